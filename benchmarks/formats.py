"""Ingestion by format: pages/s and chunks/s for text PDFs, scanned pages (OCR), DOCX, PPTX,
XLSX and CSV, upload-to-READY for a 100-page PDF, and the peak memory of the worker and its
parsers.

    python benchmarks/formats.py [--pages 100] [--ocr-pages 5] [--parse-only]

The documents are made here from SciFact abstracts: a PDF with a text layer (Helvetica,
~45 lines a page), a DOCX of the same text with a heading per abstract, a PDF of
scanned pages (the text drawn into 200-dpi images), a PPTX of one slide per abstract (title,
its sentences as bullets, its first sentence as speaker notes), and a workbook and a CSV of
one row per abstract (id, title, year, text; `--pages` x 30 rows). Parsing is timed in docent's isolated
parser (a forked child, as the worker runs it); upload-to-READY through the GraphQL API of a
real server, whose process tree is sampled for memory every 0.1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
import textwrap
import threading
import time
from pathlib import Path

from docent.ingestion.parsing import ParseLimits, sniffing
from docent.ingestion.parsing.isolation import Isolation, parse_isolated

from common import arguments, machine, median, running_server, upload_ok, wait_ready
from corpus import load_scifact

# `common` put tests/ on the path: the sample-file makers live in tests/support/.
from support.samples import make_docx, make_pdf, make_pptx, make_xlsx


def abstracts() -> list[tuple[str, str]]:
    return list(load_scifact().corpus.values())


def text_pdf(pages: int) -> bytes:
    lines: list[str] = []
    for title, text in abstracts():
        lines += [title[:90], *textwrap.wrap(text, 90), ""]
        if len(lines) >= pages * 45:
            break
    return make_pdf([lines[i : i + 45] for i in range(0, pages * 45, 45)])


def docx(path: Path, sections: int) -> Path:
    return make_docx(
        path, [(title[:80] or "Untitled", [text]) for title, text in abstracts()[:sections]]
    )


def pptx(path: Path, slides: int) -> Path:
    return make_pptx(
        path,
        [
            (title[:80] or "Untitled", text.split(". "), text.split(". ")[0])
            for title, text in abstracts()[:slides]
        ],
    )


def table_rows(count: int) -> list[list[object]]:
    header: list[object] = ["id", "title", "year", "text"]
    return [header] + [
        [i, title, 1990 + i % 30, text] for i, (title, text) in enumerate(abstracts()[:count])
    ]


def xlsx(path: Path, rows: int) -> Path:
    return make_xlsx(path, {"Abstracts": table_rows(rows)})


def csv_bytes(rows: int) -> bytes:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer).writerows(table_rows(rows))
    return buffer.getvalue().encode()


def scanned_pdf(pages: int) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=26)
    images = []
    for title, text in abstracts()[:pages]:
        image = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
        draw = ImageDraw.Draw(image)
        y = 120
        for line in [title, "", *textwrap.wrap(text, 95)]:
            draw.text((120, y), line, fill=0, font=font)
            y += 38
        images.append(image)
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=200)
    return buffer.getvalue()


async def parse_speed(path: Path, mime: str, runs: int = 3) -> tuple[float, int]:
    times, pages = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        parsed = await parse_isolated(path, mime, limits=ParseLimits(), isolation=Isolation())
        times.append(time.perf_counter() - t0)
        pages = parsed.page_count or 0
    return median(times), pages


class MemorySampler:
    """Peak memory of a process (resident) and of its whole tree, parsers included
    (proportional set size: pages the forked parsers share with their parent count once)."""

    def __init__(self, pid: int) -> None:
        import psutil

        self._root = psutil.Process(pid)
        self.peak_process = 0
        self.peak_tree = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                own = self._root.memory_info().rss
                tree = self._root.memory_full_info().pss + sum(
                    child.memory_full_info().pss
                    for child in self._root.children(recursive=True)
                    if child.name() != "redis-server"
                )
            except psutil.Error:
                continue
            self.peak_process = max(self.peak_process, own)
            self.peak_tree = max(self.peak_tree, tree)
            time.sleep(0.2)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def to_ready(server, name: str, content: bytes) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    payload = await upload_ok(server, name, content)
    last = (await wait_ready(server, payload["document"]["id"], timeout=1800))[-1]
    assert last["status"] == "READY", last
    return time.perf_counter() - t0, last["document"]


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="docent-formats-") as tmp:
        folder = Path(tmp)
        pdf = folder / "text.pdf"
        pdf.write_bytes(text_pdf(args.pages))
        word = docx(folder / "text.docx", args.pages * 3)
        scans = folder / "scans.pdf"
        scans.write_bytes(scanned_pdf(args.ocr_pages))
        slides = pptx(folder / "slides.pptx", args.pages)
        workbook = xlsx(folder / "rows.xlsx", args.pages * 30)
        table = folder / "rows.csv"
        table.write_bytes(csv_bytes(args.pages * 30))

        print("parsing (isolated child, median of 3):")
        speeds = {}
        for label, path, mime in (
            ("text PDF", pdf, sniffing.PDF),
            ("DOCX", word, sniffing.DOCX),
            ("PPTX", slides, sniffing.PPTX),
            ("XLSX", workbook, sniffing.XLSX),
            ("CSV", table, sniffing.CSV),
            ("scanned PDF (OCR)", scans, sniffing.PDF),
        ):
            seconds, pages = await parse_speed(path, mime, runs=1 if "OCR" in label else 3)
            speeds[label] = (seconds, pages)
            size = path.stat().st_size / 1e6
            rate = f"{pages / seconds:.1f} pages/s, " if pages > 1 else ""
            print(
                f"  {label:18s} {seconds:6.2f} s for {pages or '-'} pages, {size:.2f} MB: "
                f"{rate}{size / seconds:.2f} MB/s"
            )
        if args.parse_only:
            return

        with running_server(folder / "data", {"DOCENT_RATE_LIMITS": "off"}) as server:
            assert server._process is not None
            with MemorySampler(server._process.pid) as memory:
                print("upload to READY (GraphQL, embedded default):")
                for label, name, content in (
                    (f"{args.pages}-page text PDF", "text.pdf", pdf.read_bytes()),
                    ("DOCX", "text.docx", word.read_bytes()),
                    (f"{args.ocr_pages}-page scanned PDF", "scans.pdf", scans.read_bytes()),
                ):
                    seconds, document = await to_ready(server, name, content)
                    print(
                        f"  {label:22s} {seconds:6.1f} s, {document['chunkCount']} chunks "
                        f"({document['chunkCount'] / seconds:.0f} chunks/s), {document['pageCount']} pages"
                    )
        print(
            f"peak memory: worker+API process {memory.peak_process / 2**20:.0f} MB, "
            f"with its parser processes {memory.peak_tree / 2**20:.0f} MB (PSS)"
        )
        print(f"machine: {machine()}")


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--ocr-pages", type=int, default=5)
    parser.add_argument("--parse-only", action="store_true", help="skip upload to READY")
    asyncio.run(main(parser.parse_args()))
