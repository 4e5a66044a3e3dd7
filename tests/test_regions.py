"""Where on the page a passage is drawn (issue 16), through a real server: a PDF the test
draws with reportlab, at known places, is uploaded; the passages search finds carry regions
that cover the drawn text within a few percent of the page; a format without pages has
none. (Both backends keep regions: tests/test_backend_contract.py.)"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas
from test_files_api import SECRET, query, upload_as

from docent.domain import Region
from docent.ingestion.chunking import Element, chunk_elements, merge_regions

from support.servers import DocentServer, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

WIDTH, HEIGHT = A4
SIZE = 12
#: (page, x, baselines, lines): two paragraphs at known places on two pages.
PARAGRAPHS = [
    (1, 72.0, [700.0, 685.0, 670.0], [
        "The zeppelin hangar is inspected every spring by the airship crew,",
        "who check the mooring mast, the gas cells and the winches before",
        "the first flight of the season is allowed to leave the field.",
    ]),
    (2, 260.0, [400.0, 385.0], [
        "The lighthouse keeper logs the lamp hours",
        "and the fog signal tests each evening.",
    ]),
]  # fmt: skip
SEARCH = """query($q: String!) { search(input: {query: $q, topK: 5}) {
  hits { chunk { page text regions { page x0 y0 x1 y1 } } document { id } } } }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET}
    with running_server(tmp_path_factory.mktemp("regions"), env) as s:
        yield s


def drawn_pdf() -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for number, (page, x, baselines, lines) in enumerate(PARAGRAPHS, start=1):
        assert page == number
        pdf.setFont("Helvetica", SIZE)
        for baseline, line in zip(baselines, lines, strict=True):
            pdf.drawString(x, baseline, line)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def drawn_box(page: int) -> tuple[float, float, float, float]:
    """The drawn text's box on `page` as fractions from the top-left: from the lines'
    start, their widths, and the type's cap height above the top baseline and descender
    below the lowest (Helvetica: 0.72 and 0.21 of the size)."""
    _, x, baselines, lines = PARAGRAPHS[page - 1]
    right = x + max(stringWidth(line, "Helvetica", SIZE) for line in lines)
    top, bottom = max(baselines) + 0.72 * SIZE, min(baselines) - 0.21 * SIZE
    return x / WIDTH, (HEIGHT - top) / HEIGHT, right / WIDTH, (HEIGHT - bottom) / HEIGHT


async def ready(server: DocentServer, document_id: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        doc = await query(server, "alice", "query($id: ID!) { document(id: $id) { status } }", id=document_id)  # fmt: skip
        if doc["document"]["status"] in ("READY", "FAILED"):
            assert doc["document"]["status"] == "READY"
            return
        await asyncio.sleep(0.3)
    raise AssertionError("not processed in time")


async def hit(server: DocentServer, document_id: str, q: str) -> dict[str, Any]:
    hits = (await query(server, "alice", SEARCH, q=q))["search"]["hits"]
    mine = [h["chunk"] for h in hits if h["document"]["id"] == document_id]
    assert mine, hits
    return dict(mine[0])


@pytest.mark.parametrize(
    ("page", "words"), [(1, "zeppelin hangar mooring mast"), (2, "lighthouse keeper fog signal")]
)
async def test_a_passages_region_covers_where_its_text_is_drawn(
    server: DocentServer, page: int, words: str
) -> None:
    document_id = await upload_as(
        server, "alice", f"drawn-{page}.pdf", drawn_pdf() + b"%" + bytes([page])
    )
    await ready(server, document_id)
    chunk = await hit(server, document_id, words)
    assert chunk["page"] == page
    assert len(chunk["regions"]) == 1, chunk["regions"]
    region = chunk["regions"][0]
    assert region["page"] == page
    expected = drawn_box(page)
    got = (region["x0"], region["y0"], region["x1"], region["y1"])
    # The region holds the drawn text, and is no more than 3% of the page larger.
    assert got[0] <= expected[0] + 0.005 and got[1] <= expected[1] + 0.005, (got, expected)
    assert got[2] >= expected[2] - 0.005 and got[3] >= expected[3] - 0.005, (got, expected)
    assert all(abs(g - e) < 0.03 for g, e in zip(got, expected, strict=True)), (got, expected)


async def test_a_format_without_pages_has_no_regions(server: DocentServer) -> None:
    document_id = await upload_as(
        server, "alice", "plain.txt", b"The orchard ladder is stored in the barn loft."
    )
    await ready(server, document_id)
    chunk = await hit(server, document_id, "orchard ladder barn")
    assert chunk["regions"] == []


def test_a_chunk_takes_the_regions_of_the_elements_it_spans() -> None:
    top = Region(1, 0.1, 0.10, 0.5, 0.15)
    below = Region(1, 0.1, 0.152, 0.5, 0.20)  # touches `top`: one paragraph's box
    column = Region(1, 0.6, 0.10, 0.9, 0.20)  # beside them: a box of its own
    other_page = Region(2, 0.1, 0.1, 0.2, 0.2)
    assert merge_regions([column, below, top, other_page]) == (
        Region(1, 0.1, 0.10, 0.5, 0.20), column, other_page,
    )  # fmt: skip
    elements = [
        Element("First paragraph on the first page.", page=1, regions=(top,)),
        Element("Second paragraph, in the other column.", page=1, regions=(column,)),
        Element("A paragraph on the second page.", page=2, regions=(other_page,)),
    ]
    chunks = chunk_elements(elements, document_id="d", size=200, overlap=0)
    assert [c.regions for c in chunks] == [(top, column), (other_page,)]


def scanned_note() -> tuple[bytes, tuple[float, float, float, float]]:
    """A PNG with two lines of type at a known place, and the box they are drawn in."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1200, 900), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 36)
    lines = ["The orchard ladder is kept", "in the barn loft over winter."]
    boxes = [draw.textbbox((420, 560 + 50 * i), line, font=font) for i, line in enumerate(lines)]
    for i, line in enumerate(lines):
        draw.text((420, 560 + 50 * i), line, font=font, fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return out.getvalue(), (x0 / 1200, y0 / 900, x1 / 1200, y1 / 900)


async def test_ocr_word_boxes_place_a_scanned_passage(server: DocentServer) -> None:
    image, expected = scanned_note()
    document_id = await upload_as(server, "alice", "note.png", image)
    await ready(server, document_id)
    chunk = await hit(server, document_id, "orchard ladder barn loft")
    assert len(chunk["regions"]) == 1, chunk
    region = chunk["regions"][0]
    got = (region["x0"], region["y0"], region["x1"], region["y1"])
    assert region["page"] == 1
    assert all(abs(g - e) < 0.03 for g, e in zip(got, expected, strict=True)), (got, expected)
