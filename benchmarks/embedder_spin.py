"""The local MiniLM embedder's CPU and wall time per passage with onnxruntime's pool
threads spinning while idle (onnxruntime's default) and not (docent's setting): SciFact
abstracts embedded one per call, as ingestion sends small documents.

    python benchmarks/embedder_spin.py [--count 150] [--runs 2]

Prints, per run and setting, wall and CPU seconds and the machine's load; spinning costs
most when other processes want the cores (a busy `docent serve`: parse workers, the API).
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

from common import arguments, machine, median
from corpus import load_scifact


def run(texts: list[str], spinning: bool) -> tuple[float, float]:
    """(wall s, CPU s) to embed `texts` one per call."""
    from docent.providers.local_embedder import LocalEmbedder

    embedder = LocalEmbedder(cache_dir=Path.home() / ".cache" / "docent", spinning=spinning)
    embedder.embed_sync(texts[:5])  # warm
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for text in texts:
        embedder.embed_sync([text])
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--count", type=int, default=150)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    corpus = list(load_scifact().corpus.values())[: args.count]
    texts = [f"{title}\n{text}" for title, text in corpus]
    print(machine())
    results: dict[bool, list[float]] = {True: [], False: []}
    for number in range(args.runs):
        for spinning in (True, False):
            wall, cpu = run(texts, spinning)
            results[spinning].append(wall)
            print(
                f"run {number + 1} spinning={spinning}: wall {wall:.1f} s, CPU {cpu:.1f} s, "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    print(
        f"median wall: spinning {median(results[True]):.1f} s, not {median(results[False]):.1f} s"
    )


if __name__ == "__main__":
    main()
