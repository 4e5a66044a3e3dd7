"""Per-document overhead of ingestion beyond parse + embed + index: SciFact abstracts
uploaded and processed one at a time in one process (the components `docent serve`
builds: embedded backend and Redis, MiniLM unless DOCENT_EMBEDDER says otherwise), each
stage timed around the calls the pipeline makes (`parse_isolated`, the embedder, the
backend's `replace_chunks`); what is left of the upload and of the job is the overhead
(the record's claim, reads and updates, the progress events, chunking, the queue).

    python benchmarks/ingest_overhead.py [--count 200] [--concurrent 400]

One document at a time, so that no stage waits for another document's: the figures are
the work each document brings, not a throughput. Prints medians and p90 in ms.

Then (`--concurrent N`, MiniLM only) N more abstracts, uploaded first, are processed as
the worker does, `concurrency` jobs at once (the setting's default: twice the cores):
documents per second, texts per embedder call (the cross-document batches), and how busy
the embedder's sessions were (the time they ran passages over the wall time of the whole,
per session).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from docent.composition import open_components
from docent.ingestion import pipeline
from docent.settings import Settings, StorageSettings

from common import arguments, machine, percentile
from corpus import load_scifact

Timings = dict[str, list[float]]


def timed(timings: Timings, stage: str, call: Callable[..., Awaitable[Any]]) -> Any:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await call(*args, **kwargs)
        finally:
            timings[stage][-1] += time.perf_counter() - started

    return wrapper


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def measure(count: int, data_dir: Path) -> Timings:
    os.environ.setdefault("DOCENT_EMBEDDER", "local")
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    corpus = list(load_scifact().corpus.items())[: count + 5]
    timings: Timings = defaultdict(list)
    async with open_components(settings) as components:
        ingestor = components.worker.ingestor
        documents = components.services.documents
        pipeline.parse_isolated = timed(timings, "parse", pipeline.parse_isolated)  # type: ignore[assignment]
        batcher = ingestor.batcher
        batcher.embed_documents = timed(timings, "embed", batcher.embed_documents)  # type: ignore[method-assign]
        backend = ingestor.backend
        backend.replace_chunks = timed(timings, "index", backend.replace_chunks)  # type: ignore[method-assign]
        for number, (doc_id, (title, text)) in enumerate(corpus):
            for stage in ("upload", "job", "parse", "embed", "index"):
                timings[stage].append(0.0)
            started = time.perf_counter()
            result = await documents.upload(
                "bench", one(f"{title}\n\n{text}\n".encode()), filename=f"{doc_id}.txt", title=title
            )
            record = result.document
            timings["upload"][-1] = time.perf_counter() - started
            started = time.perf_counter()
            outcome = await ingestor.process(record.owner, record.id, record.version)
            timings["job"][-1] = time.perf_counter() - started
            assert outcome is pipeline.Outcome.READY, (doc_id, outcome)
            if number < 5:  # warm-up: the parse workers, the model's first runs
                for values in timings.values():
                    values.pop()
    return timings


async def throughput(count: int, data_dir: Path) -> None:
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    corpus = list(load_scifact().corpus.items())[-count:]
    async with open_components(settings) as components:
        ingestor = components.worker.ingestor
        embedder: Any = ingestor.embedder
        busy = [0.0]
        lock = threading.Lock()
        run = embedder._run

        def counted(ids: list[int]) -> Any:
            started = time.perf_counter()
            try:
                return run(ids)
            finally:
                with lock:
                    busy[0] += time.perf_counter() - started

        embedder._run = counted
        embedder.embed_sync(["warm"] * 8)
        records = []
        for doc_id, (title, text) in corpus:
            result = await components.services.documents.upload(
                "bench", one(f"{title}\n\n{text}\n".encode()), filename=f"{doc_id}.txt"
            )
            records.append(result.document)
        slots = asyncio.Semaphore(settings.queue.concurrency)
        busy[0] = 0.0

        async def job(record: Any) -> None:
            async with slots:
                outcome = await ingestor.process(record.owner, record.id, record.version)
                assert outcome is pipeline.Outcome.READY, (record.id, outcome)

        started = time.perf_counter()
        await asyncio.gather(*(job(r) for r in records))
        took = time.perf_counter() - started
        batcher = ingestor.batcher
        print(
            f"{count} documents, {settings.queue.concurrency} jobs at once: {took:.1f} s "
            f"({count / took:.1f} docs/s); {batcher.texts / max(1, batcher.calls):.1f} texts "
            f"per embedder call ({batcher.calls} calls); {embedder.sessions} sessions "
            f"{100 * busy[0] / (took * embedder.sessions):.0f}% busy; "
            f"{batcher.texts / took:.1f} passages/s; load {os.getloadavg()[0]:.1f}"
        )


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=0, help="documents (0: none)")
    args = parser.parse_args()
    print(machine(), f"load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as directory:
        timings = asyncio.run(measure(args.count, Path(directory)))
    job = timings["job"]
    work = [
        p + e + i
        for p, e, i in zip(timings["parse"], timings["embed"], timings["index"], strict=True)
    ]
    overhead = [u + j - w for u, j, w in zip(timings["upload"], job, work, strict=True)]
    rows = {**timings, "overhead (upload + job - parse - embed - index)": overhead}
    for stage, values in rows.items():
        ms = [v * 1000 for v in values]
        print(f"{stage}: median {percentile(ms, 0.5):.1f} ms, p90 {percentile(ms, 0.9):.1f} ms")
    print(f"{len(job)} documents, load {os.getloadavg()[0]:.1f}")
    if args.concurrent:
        with tempfile.TemporaryDirectory() as directory:
            asyncio.run(throughput(args.concurrent, Path(directory)))


if __name__ == "__main__":
    main()
