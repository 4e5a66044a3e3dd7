"""One user must not freeze everyone (issue 11): while one client sends the worst of the
issue's inputs in a loop, another client's trivial query (`{ viewer { id } }`) should keep
its p95 latency under 2x its idle p95.

A real docent server (DOCENT_AUTH=dev: each client has its own user, both on loopback, so
the same address), DOCENT_RATE_LIMITS=recommended by default (what we recommend in
production: its `refused` budget stops a loop of refused requests before they are parsed;
`--limits off` shows what each input costs without it). The attacker runs in another
process and sends one input after another as fast as the server answers; the victim sends
its query every `--gap` seconds over one keep-alive connection, with nobody attacking
(idle) just before each attack, then during it: each attack is compared with the idle phase
next to it, so that a shared machine's load drifting during the run moves both. Attacks
(what refuses each, with the default settings):

- `495 fields`: `{viewer{id} ...}` 495 times, 5.4 KB (it cost ~2 s of validation): the
  shape limits, then the `refused` budget;
- `40,000 documentIds`: a search whose variables hold 40,000 ids (~600 KB): the body limit;
- `95,000 tags`: an upload of a tiny file with 95,000 tags (~1 MB, multipart): the body
  limit on the `operations` field;
- `400 MB body`: a JSON POST announcing 400 MB (Content-Length), then sending on: 413 before
  it is read;
- `2 Content-Type`: multipart then text/plain, announcing 2,000 MB: 400 before it is read;
- `nested JSON`: a body of 100,000 nested arrays (200 KB): 400, not valid JSON;
- `255 KB comment`: a query that is one comment (the token limit does not see it): 413, the
  document is over 64 K characters;
- `ping flood`: a WebSocket sending 50,000 `ping` without reading the pongs: closed with
  4429, then aborted once it sends 257 KB past the close;
- `20 sockets x 20 subs`: one user opening 20 WebSockets with 20 `documentEvents` each: 16
  sockets admitted, 60 operations over them.

Prints, per phase, the victim's p50 and p95 (ms), an attack's p95 over the idle p95 before
it, and the attacker's requests per second. The machine is shared and noisy: run it twice
and compare ratios, not digits.

`--asks` runs another attack instead (benchmarks/abuse_asks.py, session 7): alice's 64
WebSockets of 20 `answer` subscriptions each (2,000-character questions), each restarted as
it ends, while bob searches and asks; `--search-slots` sets DOCENT_SEARCH_SLOTS (a huge
number lifts the bound: the server before admission).

    python benchmarks/abuse.py [--samples 300] [--gap 0.01] [--limits recommended|off]
    python benchmarks/abuse.py --asks [--seconds 60] [--search-slots N]
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import websockets

from common import arguments, machine, median, percentile, running_server
from support.rawhttp import exchange, head

SECRET = "abuse-benchmark-secret-" + "b" * 32
VICTIM = json.dumps({"query": "{ viewer { id } }"}).encode()
TARGET = 2.0
MB = 1024 * 1024


def _token(user: str) -> str:
    from docent.api.auth import DevAuth

    return f"Bearer {DevAuth(SECRET).mint(user)}"


def _search_ids() -> bytes:
    query = 'query ($ids: [ID!]) { search(input: {query: "x", documentIds: $ids}) { tookMs } }'
    return json.dumps({"query": query, "variables": {"ids": [f"doc-{i}" for i in range(40_000)]}}).encode()  # fmt: skip


def _tags_upload() -> tuple[bytes, str]:
    upload = "mutation ($file: Upload!, $tags: [String!]) { uploadDocument(file: $file, tags: $tags) { document { id } } }"  # fmt: skip
    operations = json.dumps({"query": upload, "variables": {"file": None, "tags": [f"t{i}" for i in range(95_000)]}})  # fmt: skip
    body = (
        b'--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n' + operations.encode()
        + b'\r\n--b\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0": ["variables.file"]}'
        + b'\r\n--b\r\nContent-Disposition: form-data; name="0"; filename="t.txt"\r\n\r\nhello\r\n--b--\r\n'
    )  # fmt: skip
    return body, "multipart/form-data; boundary=b"


async def _socket(url: str, auth: str) -> Any:
    ws = await websockets.connect(
        url.replace("http", "ws", 1),
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        open_timeout=60,
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": auth}}))
    await ws.recv()
    return ws


async def _ping_flood(url: str, auth: str) -> None:
    ws = await _socket(url, auth)
    ping = json.dumps({"type": "ping"})
    try:
        for _ in range(50_000):
            await ws.send(ping)
    except websockets.ConnectionClosed:
        pass
    finally:
        await ws.close()


async def _many_sockets(url: str, auth: str) -> None:
    events = 'subscription { documentEvents(id: "x") { status } }'

    async def one() -> None:
        try:
            ws = await _socket(url, auth)
            for i in range(20):
                payload = {"query": events}
                await ws.send(json.dumps({"id": str(i), "type": "subscribe", "payload": payload}))
            await ws.close()
        except websockets.ConnectionClosed:
            pass

    await asyncio.gather(*(one() for _ in range(20)))


def _attacks(port: int, url: str, auth: str) -> dict[str, Callable[[httpx.AsyncClient], Any]]:
    """Each attack: one request, sent and answered."""
    fields = json.dumps({"query": "{" + "viewer{id} " * 495 + "}"}).encode()
    ids = _search_ids()
    tags, multipart = _tags_upload()
    nested = b"[" * 100_000 + b"]" * 100_000
    comment = json.dumps({"query": "#" + "a" * 255_000 + "\n{ viewer { id } }"}).encode()
    json_headers = {"content-type": "application/json", "authorization": auth}
    upload_headers = {"content-type": multipart, "authorization": auth, "x-requested-with": "b"}

    async def post(client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> None:
        await client.post(url, content=body, headers=headers)

    async def raw(request: bytes) -> None:
        await exchange(port, request)

    announced = head("POST", "/graphql", [
        ("Content-Type", "application/json"), ("Authorization", auth),
        ("Content-Length", str(400 * MB))])  # fmt: skip
    ambiguous = head("POST", "/graphql", [
        ("Content-Type", "multipart/form-data; boundary=b"), ("Content-Type", "text/plain"),
        ("Authorization", auth), ("Content-Length", str(2000 * MB))])  # fmt: skip
    return {
        "495 fields": lambda c: post(c, fields, json_headers),
        "40,000 documentIds": lambda c: post(c, ids, json_headers),
        "95,000 tags": lambda c: post(c, tags, upload_headers),
        "400 MB body": lambda c: raw(announced + b'{"query": "' + b" " * 65536),
        "2 Content-Type": lambda c: raw(ambiguous + tags[:65536]),
        "nested JSON": lambda c: post(c, nested, json_headers),
        "255 KB comment": lambda c: post(c, comment, json_headers),
        "ping flood": lambda c: _ping_flood(url, auth),
        "20 sockets x 20 subs": lambda c: _many_sockets(url, auth),
    }


def _attacker(port: int, url: str, name: str, stop: Any, counter: Any) -> None:
    """The attacking process: `name` in a loop until `stop` is set."""

    async def loop() -> None:
        attack = _attacks(port, url, _token("attacker"))[name]
        async with httpx.AsyncClient(timeout=60) as client:
            while not stop.is_set():
                await attack(client)
                with counter.get_lock():
                    counter.value += 1

    asyncio.run(loop())


def _victim(url: str, samples: int, gap: float) -> list[float]:
    headers = {"content-type": "application/json", "authorization": _token("victim")}
    times: list[float] = []
    with httpx.Client(timeout=60) as client:
        for _ in range(20):  # warm the connection and the server
            client.post(url, content=VICTIM, headers=headers)
        while len(times) < samples:
            started = time.perf_counter()
            response = client.post(url, content=VICTIM, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or "errors" in response.json():
                raise RuntimeError(f"the victim was refused: {response.text}")
            time.sleep(gap)
    return times


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--limits", default="recommended")
    parser.add_argument("--asks", action="store_true", help="one user's asks and another's")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--search-slots", type=int, default=None)
    args = parser.parse_args()
    if args.asks:
        from abuse_asks import run

        run(args.seconds, args.search_slots)
        return
    env = {
        "DOCENT_AUTH": "dev",
        "DOCENT_DEV_SECRET": SECRET,
        "DOCENT_RATE_LIMITS": args.limits,
    }
    print(machine())
    print(
        f"DOCENT_RATE_LIMITS={args.limits}; {args.samples} victim queries a phase, {args.gap}s apart"
    )
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp) / "server", env) as server:
        print(f"\n{'phase':22} {'p50 ms':>8} {'p95 ms':>8} {'p95/idle':>9} {'attacks/s':>10}")
        worst, ratios = 1.0, list[float]()
        for name in _attacks(server.port, server.url, ""):
            idle = _victim(server.url, args.samples, args.gap)
            idle_p95 = percentile(idle, 0.95)
            print(f"{'  idle':22} {percentile(idle, 0.5):8.2f} {idle_p95:8.2f} {1.0:9.2f}")
            stop, counter = context.Event(), context.Value("i", 0)
            attacker = context.Process(
                target=_attacker, args=(server.port, server.url, name, stop, counter)
            )
            attacker.start()
            time.sleep(3)  # the attacker is up to speed (and, with limits, has spent its budget)
            started, before = time.monotonic(), counter.value
            under = _victim(server.url, args.samples, args.gap)
            rate = (counter.value - before) / (time.monotonic() - started)
            stop.set()
            attacker.join(30)
            ratio = percentile(under, 0.95) / idle_p95
            worst = max(worst, ratio)
            ratios.append(ratio)
            print(
                f"{name:22} {percentile(under, 0.5):8.2f} {percentile(under, 0.95):8.2f} "
                f"{ratio:9.2f} {rate:10.1f}"
            )
        verdict = "met" if worst < TARGET else "NOT met"
        print(
            f"\np95 ratio: median {median(ratios):.2f}, worst {worst:.2f} "
            f"(target under {TARGET:g}x): {verdict}"
        )


if __name__ == "__main__":
    main()
