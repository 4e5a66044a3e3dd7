"""The Markdown and plain-text path (issue 14): parsing 1 MB of headed Markdown, and the
same bytes as plain text, with unstructured (the path before) and with docent's own
readers (markdown-it-py; `parsing/plaintext.py`), run alternately; then, with --ingest,
upload to READY of the Markdown through a real server (local MiniLM embedder).

    python benchmarks/text_parsing.py [--runs 3] [--ingest]

Two documents of SciFact abstracts as "## title" sections: whole abstracts until 1 MB
(~675 sections), and abstracts cut to ~600 characters until 1 MB (~1,450 sections).
Parsing runs in this process (no isolation child): wall and CPU time, medians.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from docent.ingestion.parsing import parse_file, sniffing
from docent.ingestion.parsing.elements import convert
from docent.ingestion.parsing.offline_nlp import configure_offline
from docent.ingestion.parsing.partitioners import _read_text
from docent.ingestion.parsing.text import unwrap_lines

from common import arguments, machine, median, running_server, upload_ok, wait_ready
from corpus import load_scifact

SIZE = 1_000_000


def headed_markdown(cut: int | None) -> str:
    parts = ["# SciFact abstracts\n"]
    size = 0
    for title, text in load_scifact().corpus.values():
        if cut is not None and len(text) > cut:
            text = text[:cut].rsplit(" ", 1)[0] + "."
        part = f"## {title}\n\n{text}\n"
        if size + len(part) > SIZE:
            break
        parts.append(part)
        size += len(part) + 1
    return "\n".join(parts)


def unstructured_markdown(path: Path) -> int:
    from unstructured.partition.md import partition_md

    return len(list(convert(partition_md(text=_read_text(path)))))


def unstructured_text(path: Path) -> int:
    from unstructured.partition.text import partition_text

    return len(list(convert(partition_text(text=unwrap_lines(_read_text(path))))))


def timed(parse: Callable[[], int]) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    elements = parse()
    return time.perf_counter() - wall, time.process_time() - cpu, elements


async def ingest(path: Path, runs: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="docent-bench-") as tmp,
        running_server(Path(tmp), {"DOCENT_RATE_LIMITS": "off"}) as server,
    ):
        seconds = []
        for run in range(runs):
            # a line of its own makes each upload a new document (no deduplication)
            content = path.read_bytes() + f"\nRun {run}.\n".encode()
            started = time.perf_counter()
            payload = await upload_ok(server, f"big-{run}.md", content)
            events = await wait_ready(server, payload["document"]["id"], timeout=1200)
            seconds.append(time.perf_counter() - started)
            last = events[-1]
            assert last["status"] == "READY", last
            print(
                f"ingest run {run + 1}: {last['document']['chunkCount']} chunks, "
                f"upload to READY {seconds[-1]:.1f} s (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
        print(f"ingest median of {runs}: {median(seconds):.1f} s (target <= 12 s)")


def main(args: argparse.Namespace) -> None:
    configure_offline()  # unstructured's NLP backend, as the parser sets it
    with tempfile.TemporaryDirectory(prefix="docent-md-") as tmp:
        for name, cut in (("whole abstracts", None), ("abstracts cut to 600", 600)):
            text = headed_markdown(cut)
            md, txt = Path(tmp, f"{cut}.md"), Path(tmp, f"{cut}.txt")
            md.write_text(text)
            txt.write_text(text)
            sections = text.count("\n## ")
            print(f"\n{name}: {len(text.encode()):,} bytes, {sections} sections")
            ways = {
                "Markdown, unstructured": lambda p=md: unstructured_markdown(p),
                "Markdown, docent": lambda p=md: len(parse_file(p, sniffing.MARKDOWN).elements),
                "text, unstructured": lambda p=txt: unstructured_text(p),
                "text, docent": lambda p=txt: len(parse_file(p, sniffing.TEXT).elements),
            }
            for way in ways.values():
                way()  # imports and caches warmed
            results: dict[str, list[tuple[float, float, int]]] = {w: [] for w in ways}
            for _ in range(args.runs):
                for way, parse in ways.items():
                    results[way].append(timed(parse))
            for way, runs in results.items():
                walls = ", ".join(f"{w:.2f}" for w, _, _ in runs)
                print(
                    f"  {way:24} wall {median([w for w, _, _ in runs]):6.2f} s ({walls}), "
                    f"CPU {median([c for _, c, _ in runs]):6.2f} s, {runs[0][2]} elements",
                    flush=True,
                )
            if args.ingest and cut == 600:
                asyncio.run(ingest(md, args.runs))
    print(f"\nmachine: {machine()}; load {os.getloadavg()}")


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ingest", action="store_true")
    main(parser.parse_args())
