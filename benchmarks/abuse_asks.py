"""One user's asks and another's (session 7), run by `python benchmarks/abuse.py --asks`.

A real server as the tester had it: DOCENT_AUTH=dev, rate limits off, the embedded engine,
MiniLM. Alice and bob each have the same documents. Alice (another process) opens 64
WebSockets with 20 `answer` subscriptions each, 2,000-character questions, restarting each
as it ends; the server lets 200 run at once (DOCENT_WS_OPERATIONS_PER_USER) and refuses
the rest. Bob, meanwhile, sends a search, then an ask, again and again, over HTTP, and
pings the server on a WebSocket of his own every second (a WebSocket ping, answered by the
server's event loop).

Prints, idle then under attack: bob's search and ask p50, p95 and max (ms), the ping's
p50 and max (ms), and how many of alice's sockets were closed under her (the tester saw
all of them die of "keepalive ping timeout": the server did not answer a ping in 20 s).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

from common import machine, percentile, running_server, upload_ok

SECRET = "abuse-asks-benchmark-secret-" + "b" * 32
SOCKETS, PER_SOCKET = 64, 20
ANSWER = "subscription($q: String!) { answer(input: {question: $q}) { __typename } }"
SEARCH = "query($q: String!) { search(input: {query: $q}) { tookMs } }"
ASK = "query($q: String!) { ask(input: {question: $q}) { text } }"
WORDS = [
    "boiler",
    "pressure",
    "valve",
    "safety",
    "inspection",
    "pump",
    "heating",
    "water",
    "temperature",
    "gauge",
    "relief",
    "maintenance",
    "schedule",
    "annual",
    "service",
    "engineer",
    "certificate",
    "flue",
    "gas",
    "leak",
    "thermostat",
]


def _token(user: str) -> str:
    from docent.api.auth import DevAuth

    return f"Bearer {DevAuth(SECRET).mint(user)}"


def _document(n: int) -> bytes:
    """About 30 KB of text on the questions' words (every question matches many rows)."""
    lines = []
    for i in range(300):
        words = " ".join(WORDS[(i * 7 + j + n) % len(WORDS)] for j in range(12))
        lines.append(f"Section {n}.{i}: the {words} ({i} bar).")
    return "\n\n".join(lines).encode()


def _question(i: int) -> str:
    """A 2,000-character question, different for every `i` (no cached answer)."""
    words = " ".join(WORDS[(i + j) % len(WORDS)] for j in range(400))
    return f"Question {i}: what about the {words}"[:2000]


async def _alice(url: str, stop: Any, started: Any, closed: Any, refused: Any) -> None:
    auth = _token("alice")

    async def one(n: int) -> None:
        count = n * 1_000_000
        try:
            async with websockets.connect(
                url.replace("http", "ws", 1), open_timeout=60, max_size=None,
                subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            ) as ws:  # fmt: skip
                init = {"type": "connection_init", "payload": {"authorization": auth}}
                await ws.send(json.dumps(init))
                await ws.recv()

                async def start(op: str) -> None:
                    nonlocal count
                    count += 1
                    payload = {"query": ANSWER, "variables": {"q": _question(count)}}
                    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))
                    with started.get_lock():
                        started.value += 1

                for i in range(PER_SOCKET):
                    await start(str(i))
                while not stop.is_set():
                    try:
                        message = json.loads(await asyncio.wait_for(ws.recv(), 1))
                    except TimeoutError:
                        continue
                    payload = message.get("payload")
                    data = payload.get("data") if isinstance(payload, dict) else None
                    answer = (data or {}).get("answer") or {}
                    if message["type"] == "error" or answer.get("__typename") == "AnswerError":
                        with refused.get_lock():
                            refused.value += 1
                    if message["type"] in ("complete", "error"):
                        await start(message["id"])
        except websockets.ConnectionClosed:
            with closed.get_lock():
                closed.value += 1

    await asyncio.gather(*(one(n) for n in range(SOCKETS)))


def _attacker(url: str, stop: Any, started: Any, closed: Any, refused: Any) -> None:
    asyncio.run(_alice(url, stop, started, closed, refused))


async def _bob(url: str, seconds: float) -> dict[str, list[float]]:
    """Bob's search and ask in turn, and a WebSocket ping a second, for `seconds`."""
    headers = {"authorization": _token("bob")}
    times: dict[str, list[float]] = {"search": [], "ask": [], "ping": []}
    deadline = time.monotonic() + seconds

    async def pings() -> None:
        async with websockets.connect(
            url.replace("http", "ws", 1), open_timeout=60, ping_interval=None,
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        ) as ws:  # fmt: skip
            init = {"type": "connection_init", "payload": {"authorization": headers["authorization"]}}  # fmt: skip
            await ws.send(json.dumps(init))
            await ws.recv()
            while time.monotonic() < deadline:
                sent = time.perf_counter()
                await asyncio.wait_for(await ws.ping(), 120)
                times["ping"].append((time.perf_counter() - sent) * 1000)
                await asyncio.sleep(1)

    async def queries() -> None:
        async with httpx.AsyncClient(timeout=300) as client:
            i = 0
            while time.monotonic() < deadline:
                for name, query in (("search", SEARCH), ("ask", ASK)):
                    i += 1
                    body = {"query": query, "variables": {"q": f"boiler valve {i} pressure?"}}
                    sent = time.perf_counter()
                    response = await client.post(url, json=body, headers=headers)
                    times[name].append((time.perf_counter() - sent) * 1000)
                    if "errors" in response.json():
                        raise RuntimeError(f"bob was refused: {response.text}")

    await asyncio.gather(pings(), queries())
    return times


def _row(phase: str, times: dict[str, list[float]], extra: str = "") -> None:
    cells = []
    for name in ("search", "ask"):
        v = times[name]
        cells.append(
            f"{percentile(v, 0.5):8.0f} {percentile(v, 0.95):8.0f} {max(v, default=0):8.0f}"
        )
    ping = times["ping"]
    print(
        f"{phase:8} {len(times['search']):4} {cells[0]} {cells[1]} "
        f"{percentile(ping, 0.5):8.1f} {max(ping, default=0):8.0f} {extra}"
    )


async def _corpus(server: Any) -> None:
    for user in ("alice", "bob"):
        headers = {"authorization": _token(user), "x-requested-with": "b"}
        for n in range(4):
            record = await upload_ok(server, f"{user}{n}.txt", _document(n), headers=headers)
            await _ready(server, record["document"]["id"], user)


async def _ready(server: Any, document_id: str, user: str) -> None:
    query = f'{{ document(id: "{document_id}") {{ status }} }}'
    async with httpx.AsyncClient(timeout=60) as client:
        for _ in range(600):
            response = await client.post(
                server.url, json={"query": query}, headers={"authorization": _token(user)}
            )
            if response.json()["data"]["document"]["status"] in ("READY", "FAILED"):
                return
            await asyncio.sleep(0.5)
    raise RuntimeError(f"{document_id} not ready")


def run(seconds: float, search_slots: int | None) -> None:
    env = {
        "DOCENT_AUTH": "dev",
        "DOCENT_DEV_SECRET": SECRET,
        "DOCENT_RATE_LIMITS": "off",
        "DOCENT_EMBEDDER": "local",
    }
    if search_slots is not None:
        env["DOCENT_SEARCH_SLOTS"] = str(search_slots)
        env["DOCENT_QUEUED_SEARCHES_PER_USER"] = str(max(20, search_slots))
    print(machine(), f"load {os.getloadavg()[0]:.1f}")
    print(f"DOCENT_SEARCH_SLOTS={search_slots or 'default'}; {seconds:g} s a phase")
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp) / "server", env) as server:
        asyncio.run(_corpus(server))
        print(
            f"\n{'phase':8} {'n':>4} {'search p50':>10} {'p95':>8} {'max':>8} {'ask p50':>8} "
            f"{'p95':>8} {'max':>8} {'ping p50':>8} {'max':>8}"
        )
        _row("idle", asyncio.run(_bob(server.url, seconds / 3)))
        stop = context.Event()
        started, closed, refused = (context.Value("i", 0) for _ in range(3))
        attacker = context.Process(
            target=_attacker, args=(server.url, stop, started, closed, refused)
        )
        attacker.start()
        time.sleep(5)  # alice's sockets are open and her answers under way
        under = asyncio.run(_bob(server.url, seconds))
        stop.set()
        attacker.join(60)
        _row(
            "attack",
            under,
            f"alice: {started.value} answers started, {refused.value} refused, "
            f"{closed.value}/{SOCKETS} sockets closed; load {os.getloadavg()[0]:.1f}",
        )
