"""Bulk ingestion through the GraphQL API: SciFact abstracts uploaded to a fresh `docent
serve` (embedded backend, or Elasticsearch with `--elasticsearch`; MiniLM unless `--env
DOCENT_EMBEDDER=e5`), timed from the first upload to the last document READY; documents
per second, the peak resident memory of the server with its children (parse workers,
Redis; not the Elasticsearch node), and the CPU seconds of the server (with those children)
and of this client (its uploads and polls: a share of the same 2 cores).

    python benchmarks/bulk_ingest.py [--count N] [--runs 3] [--elasticsearch]
                                     [--env NAME=VALUE ...]

`--elasticsearch` starts a test node (tests/support/es_node.py, heap 512 MB; or uses
DOCENT_TEST_ELASTICSEARCH_URL), each run with indices of its own.

Each abstract is a plain-text document ("title", blank line, abstract): two chunks on
average. Prints one line per run and the median.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from common import arguments, machine, median, running_server, upload
from corpus import load_scifact

COUNT = """query($status: [DocumentStatus!]) {
  documents(first: 0, filter: {status: $status}) { totalCount } }"""


async def count(client: httpx.AsyncClient, url: str, status: list[str] | None) -> int:
    body = (await client.post(url, json={"query": COUNT, "variables": {"status": status}})).json()
    return int(body["data"]["documents"]["totalCount"])


def _tree_sum(pid: int, measure: Callable[[psutil.Process], float]) -> float:
    """`measure` summed over the process and its live children (0 for one that is gone)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += measure(process)
    return total


def tree_rss_mb(pid: int) -> float:
    """Resident memory of the process and its children, in MB."""
    return _tree_sum(pid, lambda process: process.memory_info().rss) / 2**20


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of the process, its live children and the children it
    has waited for."""
    return _tree_sum(pid, _cpu_s)


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_once(
    documents: list[tuple[str, str, str]], env: dict[str, str]
) -> tuple[float, int, float, float, float]:
    """Seconds to all READY, documents FAILED, peak MB, the server's CPU seconds (with its
    children: parse workers, embedded Redis) and this client's CPU seconds."""
    with tempfile.TemporaryDirectory() as directory, running_server(Path(directory), env) as server:
        pid = server._process.pid  # type: ignore[union-attr]
        peak = 0.0
        limit = asyncio.Semaphore(8)

        async def one(doc_id: str, title: str, text: str) -> None:
            async with limit:
                response = await upload(
                    server.url,
                    f"{doc_id}.txt",
                    f"{title}\n\n{text}\n".encode(),
                    title=title or doc_id,
                )
                assert not response.json()["data"]["uploadDocument"]["userErrors"], doc_id

        started, client_cpu = time.perf_counter(), own_cpu_s()
        uploads = asyncio.gather(*(one(*d) for d in documents))
        async with httpx.AsyncClient(timeout=60) as client:
            while True:
                peak = max(peak, tree_rss_mb(pid))
                if uploads.done():
                    uploads.result()
                    if await count(client, server.url, ["QUEUED", "PROCESSING"]) == 0:
                        break
                await asyncio.sleep(0.5)
            took = time.perf_counter() - started
            server_cpu, client_cpu = tree_cpu_s(pid), own_cpu_s() - client_cpu
            failed = await count(client, server.url, ["FAILED"])
    return took, failed, peak, server_cpu, client_cpu


async def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--count", type=int, default=0, help="abstracts (default: all 5,183)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--elasticsearch", action="store_true", help="a test node's backend")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    corpus = load_scifact().corpus
    documents = [(i, t, x) for i, (t, x) in corpus.items()]
    if args.count:
        documents = documents[: args.count]
    print(machine(), f"load {os.getloadavg()[0]:.1f}")
    times = []
    with contextlib.ExitStack() as stack:
        if args.elasticsearch:
            from support.es_node import running_node

            env["DOCENT_SEARCH_BACKEND"] = "elasticsearch"
            env["DOCENT_ELASTICSEARCH_URL"] = stack.enter_context(running_node())
        for run in range(args.runs):
            if args.elasticsearch:
                env["DOCENT_ELASTICSEARCH_INDEX_PREFIX"] = f"bulk-{os.getpid()}-{run}"
            took, failed, peak, server_cpu, client_cpu = await run_once(documents, env)
            times.append(took)
            print(
                f"run {run + 1}: {len(documents)} documents in {took:.1f} s "
                f"({len(documents) / took:.1f} docs/s, {failed} failed), "
                f"peak RSS {peak:.0f} MB, CPU server {server_cpu:.0f} s / client "
                f"{client_cpu:.0f} s, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    best = median(times)
    print(f"median: {best:.1f} s, {len(documents) / best:.1f} docs/s")


if __name__ == "__main__":
    asyncio.run(main())
