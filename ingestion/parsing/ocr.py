"""Optical character recognition with tesseract (Debian's `tesseract-ocr`), for images and
for PDF pages that have no usable text layer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from docent.domain import Region

if TYPE_CHECKING:
    from PIL.Image import Image

#: 300 dpi is tesseract's recommended resolution for body text.
DEFAULT_DPI = 300
_TOKEN = re.compile(r"\S+")
_CLEAN_WORD = re.compile(r"^[\"'(\[]?[^\W\d_]{2,}[.,;:!?'\")\]]*$")
#: Tesseract refuses an image with a side longer than 2^15 - 1 pixels ("Image too large":
#: tesseract-ocr/tesseract#3184); longer images are read in strips of at most STRIP.
MAX_SIDE = 32_767
STRIP = 8_000
#: How far back from a strip's end a blank line is looked for (a share of STRIP).
CUT_SEARCH = 0.1
#: Grey level (0 black, 255 white) under which a pixel is ink.
INK = 200
#: A page whose largest image covers this much of it is a scan.
SCANNED_AREA = 0.5
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True, slots=True)
class Reading:
    """What one tesseract run read: the `text` (page segmentation mode 1: orientation and
    script detected first, so pages scanned sideways or upside down read) and its `words`
    in the same order, each with its box as fractions of the image from the top-left."""

    text: str
    words: list[tuple[str, Region]] = field(default_factory=list)


def read_image(image: Image, *, languages: str = "eng", page: int = 1) -> Reading:
    """The text and the words' boxes (tesseract's TSV), from one run of tesseract
    (the boxes cost nothing more); the boxes are on page `page`.

    An image with a side over MAX_SIDE, which tesseract refuses ("Image too large"), is
    read in strips along that side (`strips`), its words' boxes put back in the whole
    image's fractions: a very tall page (a receipt, a web page printed as one page) is
    read, not failed."""
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    width, height = image.size
    if max(width, height) > MAX_SIDE:
        return _read_in_strips(image, languages=languages, page=page)
    return _read_whole(image, languages=languages, page=page)


def _read_whole(image: Image, *, languages: str, page: int) -> Reading:
    import unstructured_pytesseract as tesseract

    text, tsv = tesseract.run_and_get_multiple_output(
        image, extensions=["txt", "tsv"], lang=languages, extra_config="--psm 1"
    )
    width, height = image.size
    words = []
    for row in str(tsv).splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        left, top, w, h = (int(c) for c in cells[6:10])
        box = Region(page, left / width, top / height, (left + w) / width, (top + h) / height)
        words.append((cells[11].strip(), box))
    return Reading(str(text), words)


def _read_in_strips(image: Image, *, languages: str, page: int) -> Reading:
    """`read_image` of an image over MAX_SIDE: each strip read alone, texts joined as
    paragraphs, boxes mapped from the strip's fractions to the image's."""
    width, height = image.size
    vertical = height >= width
    length = height if vertical else width
    texts: list[str] = []
    words: list[tuple[str, Region]] = []
    for start, end in strips(image, vertical=vertical):
        box = (0, start, width, end) if vertical else (start, 0, end, height)
        reading = _read_whole(image.crop(box), languages=languages, page=page)
        texts.append(reading.text.strip())
        share, offset = (end - start) / length, start / length
        for word, r in reading.words:
            if vertical:
                mapped = Region(page, r.x0, offset + r.y0 * share, r.x1, offset + r.y1 * share)
            else:
                mapped = Region(page, offset + r.x0 * share, r.y0, offset + r.x1 * share, r.y1)
            words.append((word, mapped))
    return Reading("\n\n".join(t for t in texts if t), words)


def strips(image: Image, *, vertical: bool) -> list[tuple[int, int]]:
    """Where to cut an image too long for tesseract: `(start, end)` pixel spans along its
    long side (rows when `vertical`), each at most STRIP long, each cut moved back to the
    nearest blank line (a row or column with no ink) within the strip's last
    CUT_SEARCH share, so that a cut falls between lines of text rather than through one.
    Without a blank line there, the cut is at STRIP (a line cut in two reads badly: rare,
    and better than no text)."""
    from PIL import ImageOps

    gray = ImageOps.grayscale(image)
    length = gray.height if vertical else gray.width
    spans: list[tuple[int, int]] = []
    start = 0
    while start < length:
        end = min(start + STRIP, length)
        if length - end < STRIP * CUT_SEARCH:
            end = length  # a sliver left over joins this strip (it stays under MAX_SIDE)
        else:
            end = _blank_line_before(
                gray, end, floor=end - int(STRIP * CUT_SEARCH), vertical=vertical
            )
        spans.append((start, end))
        start = end
    return spans


def _blank_line_before(gray: Image, end: int, *, floor: int, vertical: bool) -> int:
    """The last blank row (or column) in [floor, end), else `end`. A line is blank when
    its darkest pixel is lighter than INK (on a white page, no glyph touches it)."""
    from PIL.Image import Transpose

    span = (0, floor, gray.width, end) if vertical else (floor, 0, end, gray.height)
    band = gray.crop(span)
    if not vertical:
        band = band.transpose(Transpose.TRANSPOSE)  # columns become rows, in order
    pixels, row = band.tobytes(), band.width
    for index in range(band.height - 1, 0, -1):
        if min(pixels[index * row : (index + 1) * row]) > INK:
            return floor + index
    return end


def paragraph_regions(reading: Reading, parts: list[str]) -> list[tuple[Region, ...]]:
    """For each of `parts` (`paragraphs(reading.text)`), the box of its words: the words of
    the text and of the TSV come from one recognition, in one order, so each paragraph
    takes as many words as it has. A paragraph past a mismatch gets none."""
    out: list[tuple[Region, ...]] = []
    index = 0
    for part in parts:
        tokens = part.split()
        words = reading.words[index : index + len(tokens)]
        index += len(tokens)
        if len(words) != len(tokens) or any(
            w != t for (w, _), t in zip(words, tokens, strict=True)
        ):
            out.append(())
            continue
        boxes = [box for _, box in words]
        out.append((
            Region(
                boxes[0].page,
                round(min(b.x0 for b in boxes), 4), round(min(b.y0 for b in boxes), 4),
                round(max(b.x1 for b in boxes), 4), round(max(b.y1 for b in boxes), 4),
            ),
        ))  # fmt: skip
    return out


def paragraphs(text: str) -> list[str]:
    """OCR output split into paragraphs, lines of a paragraph joined."""
    parts = (" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text))
    return [p for p in parts if p]


def looks_readable(text: str) -> bool:
    """Whether a PDF page's text layer is worth keeping: not empty, not letters spaced out
    one by one ("R o t a t e d"), not the symbol soup of a bad OCR layer. Unicode letters
    count as letters, so Korean or Greek text passes."""
    tokens = _TOKEN.findall(text)
    if sum(len(t) for t in tokens) < 20:
        return False
    single = sum(1 for t in tokens if len(t) == 1) / len(tokens)
    if single > 0.4:
        return False
    wordlike = sum(
        1 for t in tokens if len(t) >= 2 and sum(ch.isalpha() for ch in t) >= 0.7 * len(t)
    )
    return wordlike / len(tokens) >= 0.5


def text_score(text: str) -> float:
    """The share of tokens that are clean words (letters only, with ordinary punctuation):
    to choose between a scan's old OCR layer and a new OCR of it."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return 0.0
    return sum(1 for t in tokens if _CLEAN_WORD.match(t)) / len(tokens)


def scanned_pages(path: Path) -> set[int]:
    """1-based numbers of the pages that are mostly one image (scans). Their text layer, if
    any, is an earlier OCR's, and a new one may read better."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        scanned = set()
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            for obj in page.get_objects(max_depth=2):
                if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE:
                    left, bottom, right, top = obj.get_bounds()
                    if (right - left) * (top - bottom) >= SCANNED_AREA * width * height:
                        scanned.add(index + 1)
                        break
        return scanned
    finally:
        document.close()


def render_pdf_page(path: Path, index: int, *, dpi: int = DEFAULT_DPI, max_pixels: int) -> Image:
    """Page `index` (0-based) of a PDF as an image, refusing pages too large to render."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        page = document[index]
        width, height = page.get_size()  # points, 1/72 inch
        scale = dpi / 72
        if width * scale * height * scale > max_pixels:
            scale = (max_pixels / (width * height)) ** 0.5
        return page.render(scale=scale).to_pil()
    finally:
        document.close()
