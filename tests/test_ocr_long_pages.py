"""Pages and images longer than tesseract takes (a side over 32,767 px: "Image too large")
are read in strips cut between lines, not failed as CORRUPT; a page whose only text is
drawn off the page ends NO_TEXT (what a reader sees), not CORRUPT."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.parsing import ocr, sniffing
from docent.ingestion.parsing.base import ParseLimits
from docent.ingestion.parsing.pdf import parse_pdf


def _lines_image(size: tuple[int, int], lines: list[tuple[int, int, str]]) -> Image.Image:
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    for x, y, text in lines:
        draw.text((x, y), text, fill=0, font=font)
    return image


@pytest.mark.parametrize(
    ("vertical", "ink", "expected_first_cut"),
    [
        (True, None, ocr.STRIP),  # blank page: the last blank line before STRIP
        (True, (7_900, 8_050), 7_899),  # a line of text across STRIP: cut above it
        (True, (7_000, 8_100), ocr.STRIP),  # ink all through the search window: at STRIP
        (False, (7_950, 8_010), 7_949),  # the same along a wide image's columns
    ],
)
def test_strips_cut_between_lines(
    vertical: bool, ink: tuple[int, int] | None, expected_first_cut: int
) -> None:
    long_side, short_side = 20_000, 50
    size = (short_side, long_side) if vertical else (long_side, short_side)
    image = Image.new("L", size, 255)
    if ink is not None:
        box = (0, ink[0], short_side, ink[1]) if vertical else (ink[0], 0, ink[1], short_side)
        ImageDraw.Draw(image).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=0)
    spans = ocr.strips(image, vertical=vertical)
    # A blank image cuts at the last blank line before STRIP: STRIP - 1.
    expected = expected_first_cut - (1 if ink is None else 0)
    assert spans[0] == (0, expected)
    assert spans[-1][1] == long_side
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert all(0 < end - start <= ocr.STRIP + ocr.STRIP * ocr.CUT_SEARCH for start, end in spans)


def test_a_sliver_at_the_end_joins_the_last_strip() -> None:
    image = Image.new("L", (40, ocr.STRIP * 2 + 30), 255)
    spans = ocr.strips(image, vertical=True)
    assert len(spans) == 2
    assert spans[-1][1] == image.height


def test_an_image_taller_than_tesseract_takes_is_read_whole_in_order() -> None:
    lines = [(30, y, f"Clause {n} applies") for n, y in enumerate(range(200, 34_000, 4_000))]
    image = _lines_image((600, 34_000), lines)
    assert image.height > ocr.MAX_SIDE
    reading = ocr.read_image(image, page=3)
    assert ocr.paragraphs(reading.text) == [text for _, _, text in lines]
    # Each line's words are boxed where it was drawn, in the whole image's fractions.
    clauses = [box for word, box in reading.words if word == "Clause"]
    assert len(clauses) == len(lines)
    for (_, y, _), box in zip(lines, clauses, strict=True):
        assert box.page == 3
        assert abs(box.y0 - y / image.height) < 0.002


def test_a_tall_scanned_pdf_page_is_read_by_ocr(tmp_path: Path) -> None:
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    # 216 x 8,200 pt at 300 dpi is 900 x 34,167 px: over tesseract's 32,767.
    width_pt, height_pt = 216, 8_200
    lines = [(30, y, f"Receipt line {n}") for n, y in enumerate(range(300, 34_000, 5_000))]
    scan = _lines_image((900, 34_167), lines)
    buffer = io.BytesIO()
    scan.save(buffer, format="PNG")
    path = tmp_path / "receipt.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(width_pt, height_pt))
    pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, width_pt, height_pt)
    pdf.showPage()
    pdf.save()
    parsed = parse_pdf(path, ParseLimits(), lambda *_: None)
    assert [e.text for e in parsed.elements] == [text for _, _, text in lines]
    assert parsed.ocr_pages == 1
    assert all(e.regions and e.regions[0].page == 1 for e in parsed.elements)


def test_text_drawn_off_a_tall_narrow_page_is_no_text_not_corrupt(tmp_path: Path) -> None:
    """The trial's 10 x 14,400 pt page with its only line drawn past the right edge:
    nothing is visible, so there is no text (the layer holds it, but no reader sees it)."""
    from reportlab.pdfgen import canvas

    from docent.ingestion.parsing.files import parse_file

    path = tmp_path / "tall.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(10, 14_400))
    pdf.drawString(72, 7_000, "tall page text")
    pdf.showPage()
    pdf.save()
    with pytest.raises(IngestionError) as caught:
        parse_file(path, sniffing.PDF, limits=ParseLimits())
    assert caught.value.code == ErrorCode.NO_TEXT
