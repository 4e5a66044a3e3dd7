"""Page previews (issue 16): the latency of a preview at 800 px, first render and cached, for
a PDF page with a text layer and for a scanned page (an image filling the page).

    python benchmarks/previews.py [--runs 7]

The documents are made here (the text page and the scans of `formats.py`). Each first
render starts from an empty cache and goes through `PreviewService` as the API calls it:
the file from the blob store, the render in the preview worker (warm after the first run:
the first run, which starts the worker, is reported apart), the PNG written to the cache.
A cached preview is a read of that file; a new width under 800 px (799, 798, ...) is a
downscale of the cached 800 px render (the ladder step, `previews.LADDER`), no worker.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

from formats import abstracts, scanned_pdf

from docent.domain import DocumentRecord, DocumentStatus
from docent.ingestion.blobs import LocalBlobStore
from docent.ingestion.parsing import sniffing
from docent.ingestion.parsing.pool import Isolation
from docent.ingestion.previews import PreviewCache, PreviewService

from common import arguments, machine, median
from support.samples import make_pdf


def text_pdf() -> bytes:
    text = " ".join(body for _, body in abstracts()[:20])
    words = text.split()
    lines = [" ".join(words[i : i + 14]) for i in range(0, len(words), 14)][:45]
    return make_pdf([lines])


async def measure(root: Path, name: str, data: bytes, runs: int) -> dict[str, float]:
    blobs = LocalBlobStore(root / "blobs")
    path = blobs.path_for(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    record = DocumentRecord(
        id=name, owner="bench", title=name, filename=f"{name}.pdf", mime_type=sniffing.PDF,
        size_bytes=len(data), sha256=name, status=DocumentStatus.READY,
    )  # fmt: skip
    cache_dir = root / "previews"
    service = PreviewService(
        blobs, PreviewCache(cache_dir, 256 << 20), Isolation(timeout_s=60, memory_mb=768)
    )
    try:
        first, cold, cached, scaled = 0.0, [], [], []
        for run in range(runs + 1):
            shutil.rmtree(cache_dir, ignore_errors=True)
            started = time.perf_counter()
            await service.page_png(record, 1, 800)
            took = time.perf_counter() - started
            if run == 0:
                first = took
            else:
                cold.append(took)
            started = time.perf_counter()
            await service.page_png(record, 1, 800)
            cached.append(time.perf_counter() - started)
            # Another width under 800: a downscale of the cached 800 px render, no worker.
            started = time.perf_counter()
            await service.page_png(record, 1, 799 - run)
            scaled.append(time.perf_counter() - started)
        return {
            "worker start + render": first,
            "render": median(cold),
            "cached": median(cached),
            "new width (downscale)": median(scaled),
        }
    finally:
        await service.close()


async def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(machine(), f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in (("text", text_pdf()), ("scanned", scanned_pdf(1))):
            figures = await measure(Path(tmp), name, data, args.runs)
            shown = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in figures.items())
            print(f"{name} page at 800 px (median of {args.runs}): {shown}")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
