"""Load test (issue 17): N concurrent users for a bounded time, each uploading a few small
documents, searching and asking (answers streamed over the `answer` WebSocket
subscription), with DOCENT_RATE_LIMITS=recommended, against

- `--mode cluster`: one Elasticsearch node, one redis-server (AOF on), one S3 server
  (S3Proxy), two `docent serve --no-worker` processes (users alternate between them) and
  two `docent worker` processes, each on a data directory of its own (tests/test_cluster.py's
  layout); or
- `--mode embedded`: one `docent serve` process (embedded search and Redis, in-process
  worker, files in its data directory).

Each user has its own account (DOCENT_AUTH=dev) and its own loopback address (127.0.0.N:
Linux routes all of 127/8 to lo), as people behind different addresses would, so that the
per-address limits count per user. A user loops: upload one document (until it has
uploaded `--docs`), search, ask, think `--think` seconds. A request refused with
RATE_LIMITED is counted as refused, not as an error: that is the limits working.

Reports, per operation: completed, throughput (per second), p50/p95/p99 latency (ms; an
answer's time to its last event, and to its first text), unexpected errors; and for the
documents: uploaded, READY, FAILED, lost (unknown to the API) and stuck (still QUEUED or
PROCESSING `--grace` seconds after the run), and the time from upload to READY.
`--kill-worker-at S` (cluster) SIGKILLs worker 1 S seconds in and starts it again at once.

    python benchmarks/load.py --mode cluster [--users 20] [--duration 300] [--kill-worker-at 60]
    python benchmarks/load.py --mode embedded [--users 20] [--duration 300]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

from common import arguments, machine, percentile
from support.cluster import WorkerProcess, running_cluster
from support.servers import DocentServer

SECRET = "load-benchmark-secret-" + "c" * 32
UPLOAD = """mutation($file: Upload!) { uploadDocument(file: $file) {
  document { id } userErrors { code message } } }"""
SEARCH = """query($q: String!) { search(input: {query: $q, topK: 5}) { hits { score } } }"""
ANSWER = """subscription($q: String!) { answer(input: {question: $q}) {
  __typename ... on AnswerDelta { text } ... on AnswerError { code message } } }"""
STATUS = """query($id: ID!) { document(id: $id) { status processedAt } }"""
TOPICS = ["holiday", "expenses", "security", "travel", "onboarding", "laptops", "parking",
          "training", "pensions", "overtime", "meetings", "printing", "visitors", "safety"]  # fmt: skip


def document_topic(user: int, n: int) -> str:
    return random.Random(user * 1000 + n).choice(TOPICS)


def document_text(user: int, n: int) -> bytes:
    """A small document (~1 KB, a few chunks), different for each user and number."""
    rng = random.Random(user * 1000 + n + 1)
    topic = document_topic(user, n)
    lines = [f"# {topic.title()} policy, team {user}, note {n}", ""]
    for section in range(4):
        lines += [f"## {topic.title()} rule {section + 1}", ""]
        words = [rng.choice(TOPICS) for _ in range(6)]
        lines.append(
            f"Team {user} allows {rng.randint(2, 40)} days of {topic} each year. Requests about "
            f"{', '.join(words)} go to the {topic} desk within {rng.randint(1, 9)} working days."
        )
        lines.append("")
    return "\n".join(lines).encode()


def token(user: str) -> str:
    from docent.api.auth import DevAuth

    return DevAuth(SECRET).mint(user)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: (API URL, owner, document id, epoch seconds of the upload's answer)
    uploads: list[tuple[str, str, str, float]] = field(default_factory=list)

    def record(self, op: str, started: float, problem: str | None = None) -> None:
        if problem is None:
            self.latencies[op].append(time.monotonic() - started)
        elif problem == "RATE_LIMITED":
            self.refused[op] += 1
        else:
            self.errors[op].append(problem)


def _problem(body: dict[str, Any]) -> str | None:
    """None, or the first error's code (RATE_LIMITED is expected)."""
    errors = body.get("errors")
    if not errors:
        return None
    return str((errors[0].get("extensions") or {}).get("code") or errors[0].get("message"))


class User:
    def __init__(self, n: int, api: DocentServer, stats: Stats, args: Any) -> None:
        self.n, self.api, self.stats, self.args = n, api, stats, args
        self.address = f"127.0.0.{n + 2}"
        self.user = f"load-user-{n}"
        self.token = token(self.user)
        self.uploaded = 0
        self.client = httpx.AsyncClient(
            timeout=120,
            headers={"authorization": f"Bearer {self.token}"},
            # A connection idle past uvicorn's keep-alive (5 s: a user's answer streams over
            # the WebSocket meanwhile) is closed by the server; reusing it as the server
            # closes it is a ReadError on the client, not the server's. Let it go first.
            transport=httpx.AsyncHTTPTransport(
                local_address=self.address, limits=httpx.Limits(keepalive_expiry=4.0)
            ),
        )

    async def run(self, until: float) -> None:
        rng = random.Random(self.n)
        await asyncio.sleep(rng.random() * self.args.think)  # users do not start in step
        try:
            while time.monotonic() < until:
                if self.uploaded < self.args.docs:
                    await self.upload()
                # about one of its own documents (answered when that one is READY)
                topic = document_topic(self.n, rng.randrange(max(1, self.uploaded)))
                await self.search(f"{topic} days")
                await self.ask(f"How many days of {topic} does team {self.n} allow?")
                await asyncio.sleep(self.args.think)
        finally:
            await self.client.aclose()

    async def _post(self, op: str, **kw: Any) -> dict[str, Any] | None:
        started = time.monotonic()
        try:
            response = await self.client.post(self.api.url, **kw)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            self.stats.record(op, started, f"{type(exc).__name__}: {exc}"[:200])
            return None
        problem = _problem(body) or (
            None if response.status_code == 200 else f"HTTP {response.status_code}"
        )
        self.stats.record(op, started, problem)
        return body if problem is None else None

    async def upload(self) -> None:
        name = f"user{self.n}-note{self.uploaded}.md"
        operations = {"query": UPLOAD, "variables": {"file": None}}
        body = await self._post(
            "upload",
            data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
            files={"0": (name, document_text(self.n, self.uploaded), "text/markdown")},
            headers={"apollo-require-preflight": "true"},
        )  # fmt: skip
        self.uploaded += 1
        if body is not None:
            payload = body["data"]["uploadDocument"]
            if payload["userErrors"]:
                self.stats.latencies["upload"].pop()
                self.stats.record("upload", 0, payload["userErrors"][0]["code"])
            else:
                self.stats.uploads.append(
                    (self.api.url, self.user, payload["document"]["id"], time.time())
                )

    async def search(self, query: str) -> None:
        await self._post("search", json={"query": SEARCH, "variables": {"q": query}})

    async def ask(self, question: str) -> None:
        started = time.monotonic()
        first: float | None = None
        try:
            async with websockets.connect(
                self.api.ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
                open_timeout=30, local_addr=(self.address, 0),
            ) as ws:  # fmt: skip
                await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {self.token}"}}))  # fmt: skip
                if json.loads(await ws.recv())["type"] != "connection_ack":
                    raise RuntimeError("no connection_ack")
                payload = {"query": ANSWER, "variables": {"q": question}}
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 120))
                    if message["type"] == "next":
                        if problem := _problem(message["payload"]):
                            self.stats.record("ask", started, problem)
                            return
                        event = message["payload"]["data"]["answer"]
                        if event["__typename"] == "AnswerError":
                            self.stats.record("ask", started, event["code"])
                            return
                        if event["__typename"] == "AnswerDelta" and first is None:
                            first = time.monotonic()
                    elif message["type"] == "complete":
                        break
                    elif message["type"] == "error":
                        problem = _problem({"errors": message["payload"]}) or "error"
                        self.stats.record("ask", started, problem)
                        return
        except (
            OSError,
            TimeoutError,
            websockets.exceptions.WebSocketException,
            RuntimeError,
        ) as exc:
            self.stats.record("ask", started, f"{type(exc).__name__}: {exc}"[:200])
            return
        self.stats.record("ask", started)
        if first is not None:
            self.stats.latencies["ask: first text"].append(first - started)


@dataclass
class Deployment:
    apis: list[DocentServer]
    workers: list[WorkerProcess]


@contextmanager
def deployment(mode: str, root: Path, rate_limits: str) -> Iterator[Deployment]:
    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET, "DOCENT_RATE_LIMITS": rate_limits}
    with ExitStack() as stack:
        if mode == "embedded":
            api = DocentServer(root / "api", env)
            api.start(timeout=300)
            stack.callback(api.stop)
            yield Deployment([api], [])
            return
        from support.es_node import running_node
        from support.s3_server import new_bucket, start_server
        from support.scripts import run_script

        es_url = stack.enter_context(running_node())
        s3 = start_server()
        stack.callback(run_script, "s3proxy", "stop", "--dir", str(s3.info["dir"]), timeout=60)
        bucket = asyncio.run(new_bucket(s3))
        cluster = stack.enter_context(running_cluster(root, es_url, s3, bucket, env))
        yield Deployment(cluster.apis, cluster.workers)


async def kill_and_restart(worker: WorkerProcess, at: float) -> None:
    await asyncio.sleep(at)
    worker.kill()
    print(f"  {at:.0f}s: worker 1 killed (SIGKILL) and started again")
    worker.start()


async def documents(stats: Stats, grace: float) -> dict[str, Any]:
    """Waits up to `grace` seconds for the uploaded documents to finish; their fates."""
    deadline = time.monotonic() + grace
    fates: dict[str, tuple[str, float | None]] = {}
    last = 0.0  # epoch seconds the last document became READY
    by_id = {doc: (url, owner, at) for url, owner, doc, at in stats.uploads}
    async with httpx.AsyncClient(timeout=60) as client:
        while True:
            for doc, (url, owner, at) in by_id.items():
                if fates.get(doc, ("",))[0] in ("READY", "FAILED", "LOST"):
                    continue
                response = await client.post(
                    url, json={"query": STATUS, "variables": {"id": doc}},
                    headers={"authorization": f"Bearer {token(owner)}"},
                )  # fmt: skip
                body = response.json()
                record = (body.get("data") or {}).get("document")
                if record is None:
                    fates[doc] = ("LOST", None)
                    continue
                done = record["processedAt"]
                finished = datetime.fromisoformat(done).timestamp() if done else None
                if finished is not None and record["status"] == "READY":
                    last = max(last, finished)
                fates[doc] = (record["status"], finished - at if finished else None)
            pending = [d for d, (s, _) in fates.items() if s in ("QUEUED", "PROCESSING")]
            if not pending or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
    statuses = [s for s, _ in fates.values()]
    ready = [t for s, t in fates.values() if s == "READY" and t is not None]
    first = min((at for _, _, at in by_id.values()), default=0.0)
    return {
        # documents made READY per minute, from the first upload to the last READY
        "ready_per_min": 60 * len(ready) / (last - first) if last > first else float("nan"),
        "uploaded": len(by_id),
        "ready": statuses.count("READY"),
        "failed": statuses.count("FAILED"),
        "lost": statuses.count("LOST"),
        "stuck": sum(statuses.count(s) for s in ("QUEUED", "PROCESSING")),
        "ready_s_p50": percentile(ready, 0.5),
        "ready_s_p95": percentile(ready, 0.95),
    }


async def run(args: Any, deployed: Deployment) -> dict[str, Any]:
    stats = Stats()
    users = [User(n, deployed.apis[n % len(deployed.apis)], stats, args) for n in range(args.users)]
    started = time.monotonic()
    until = started + args.duration
    side = []
    if args.kill_worker_at is not None:
        side.append(asyncio.create_task(kill_and_restart(deployed.workers[0], args.kill_worker_at)))
    await asyncio.gather(*(u.run(until) for u in users))
    elapsed = time.monotonic() - started
    for task in side:
        with contextlib.suppress(asyncio.CancelledError):
            task.cancel()
            await task
    return {"elapsed_s": elapsed, "stats": stats, "documents": await documents(stats, args.grace)}


def report(result: dict[str, Any]) -> dict[str, Any]:
    stats: Stats = result["stats"]
    elapsed = result["elapsed_s"]
    ops: dict[str, Any] = {}
    print(
        f"\n{'operation':16} {'done':>6} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'refused':>8} {'errors':>7}"
    )
    for op in ("upload", "search", "ask", "ask: first text"):
        values = stats.latencies.get(op, [])
        row = {
            "done": len(values),
            "per_s": len(values) / elapsed,
            "p50_ms": percentile(values, 0.5) * 1000,
            "p95_ms": percentile(values, 0.95) * 1000,
            "p99_ms": percentile(values, 0.99) * 1000,
            "refused": stats.refused.get(op, 0),
            "errors": len(stats.errors.get(op, [])),
        }
        ops[op] = row
        print(f"{op:16} {row['done']:6d} {row['per_s']:7.2f} {row['p50_ms']:8.0f} {row['p95_ms']:8.0f} {row['p99_ms']:8.0f} {row['refused']:8d} {row['errors']:7d}")  # fmt: skip
    attempts = sum(len(v) for v in stats.latencies.values() if v) + sum(
        len(v) for v in stats.errors.values()
    )
    errors = sum(len(v) for v in stats.errors.values())
    for op, problems in stats.errors.items():
        print(f"  {op} errors: {sorted(set(problems))[:5]}")
    docs = result["documents"]
    print(
        f"\ndocuments: {docs['uploaded']} uploaded, {docs['ready']} READY, {docs['failed']} FAILED, "
        f"{docs['lost']} lost, {docs['stuck']} stuck; upload to READY p50 {docs['ready_s_p50']:.1f} s, "
        f"p95 {docs['ready_s_p95']:.1f} s; {docs['ready_per_min']:.1f} READY per minute"
    )
    print(f"unexpected error rate: {errors}/{attempts} = {errors / max(1, attempts):.2%}")
    return {"elapsed_s": elapsed, "operations": ops, "documents": docs,
            "errors": errors, "attempts": attempts}  # fmt: skip


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--mode", choices=["cluster", "embedded"], default="cluster")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load")
    parser.add_argument("--docs", type=int, default=3, help="documents each user uploads")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between a user's rounds")
    parser.add_argument(
        "--grace", type=float, default=120.0, help="seconds documents may take after the run"
    )
    parser.add_argument(
        "--kill-worker-at",
        type=float,
        default=None,
        help="cluster: SIGKILL worker 1 at S s, restart it",
    )
    parser.add_argument("--rate-limits", default="recommended")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if args.kill_worker_at is not None and args.mode != "cluster":
        parser.error("--kill-worker-at needs --mode cluster (the embedded worker is the API)")
    if args.users > 250:
        parser.error("--users: at most 250 (one loopback address each)")
    print(machine())
    print(f"load average before: {os.getloadavg()}")
    print(f"mode={args.mode} users={args.users} duration={args.duration:.0f}s docs/user={args.docs} "
          f"think={args.think}s DOCENT_RATE_LIMITS={args.rate_limits} kill-worker-at={args.kill_worker_at}")  # fmt: skip
    with (
        tempfile.TemporaryDirectory() as tmp,
        deployment(args.mode, Path(tmp), args.rate_limits) as deployed,
    ):
        print(f"started: {len(deployed.apis)} API, {len(deployed.workers)} worker processes")
        result = asyncio.run(run(args, deployed))
        print(f"load average after: {os.getloadavg()}")
        figures = report(result)
    figures |= {"mode": args.mode, "users": args.users, "kill_worker_at": args.kill_worker_at}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
