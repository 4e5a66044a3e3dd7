"""Ingestion benchmark: from upload to READY for a ~1,000-chunk plain-text document,
through the GraphQL API of a real docent server (embedded mode, local embedder).

    python benchmarks/ingest.py [--chunks 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import datetime
from pathlib import Path

from common import arguments, machine, median, running_server, upload_ok, wait_ready
from corpus import long_text_document


async def one_run(server, text: str, name: str) -> dict[str, float]:
    started = time.perf_counter()
    payload = await upload_ok(server, name, text.encode())
    uploaded = time.perf_counter()
    events = await wait_ready(server, payload["document"]["id"], timeout=600)
    finished = time.perf_counter()
    last = events[-1]
    assert last["status"] == "READY", last
    stages: dict[str, datetime] = {}  # when each stage began
    for event in events:
        stages.setdefault(event["stage"], datetime.fromisoformat(event["at"]))
    chunks = last["document"]["chunkCount"]

    def span(a: str, b: str) -> float:
        return (
            (stages[b] - stages[a]).total_seconds() if a in stages and b in stages else float("nan")
        )

    return {
        "chunks": chunks,
        "seconds": finished - started,
        "upload_s": uploaded - started,
        "parse_s": span("PARSING", "CHUNKING"),
        "embed_s": span("EMBEDDING", "INDEXING"),
        "index_s": span("INDEXING", "READY"),
        "chunks_per_s": chunks / (finished - started),
    }


async def main(args: argparse.Namespace) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="docent-bench-") as tmp,
        running_server(Path(tmp), {"DOCENT_RATE_LIMITS": "off"}) as server,
    ):
        # warm-up: the first document pays for loading the parser modules
        await one_run(server, long_text_document(20, seed=99), "warmup.txt")
        results = []
        for run in range(args.runs):
            text = long_text_document(args.chunks, seed=run)
            result = await one_run(server, text, f"long-{run}.txt")
            results.append(result)
            print(
                f"run {run + 1}: {result['chunks']} chunks ready in {result['seconds']:.1f} s "
                f"({result['chunks_per_s']:.1f} chunks/s; parse {result['parse_s']:.1f} s, "
                f"embed {result['embed_s']:.1f} s, index {result['index_s']:.2f} s)"
            )
    print(f"\nmachine: {machine()}")
    print(
        f"median of {args.runs}: {median([r['chunks'] for r in results]):.0f} chunks, "
        f"upload to READY {median([r['seconds'] for r in results]):.1f} s, "
        f"{median([r['chunks_per_s'] for r in results]):.1f} chunks/s "
        f"(target <= 30 s; the system replaced took 68 s)"
    )


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
