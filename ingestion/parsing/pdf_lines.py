"""A PDF page's text layer as lines, read by PDFium (pypdfium2): each line's text, the size
and weight of its type, and where it sits on the page.

PDFium orders a page's characters as its content stream draws them, the text of a Form
XObject where the form is drawn; it breaks lines where the text moves to a new line, puts
right-to-left runs (Arabic, Hebrew) in logical order, as poppler's `pdftotext` does, and maps
Arabic presentation forms to letters. Where a line ends with a hyphen and the word goes on
in the next line, PDFium does not break the line: it leaves `HYPHEN` in the hyphen's place,
and `pdf_layout` decides whether the hyphen is kept (`cost-effective`) or the word joined.
"""

from __future__ import annotations

import ctypes
import math
import re
from dataclasses import dataclass
from typing import Any

#: What PDFium puts in place of a hyphen that ends a line inside a word: U+FFFE in the
#: page's text, U+0002 for the character itself.
HYPHEN = "\ufffe"
_PDFIUM_HYPHEN = "\x02"
#: What stands between the cells of a table row in `Line.text`: a gap of at least
#: `CELL_GAP` times the type size (a space is about a quarter of it; cells are padded by
#: about half of it on each side).
CELL = "\x1f"
CELL_GAP = 1.0
#: What separates the words of `Line.text`, each with its extent in `Line.words`.
WORD_BREAK = re.compile(r"[ \x1f]+")
#: Right-to-left letters (Hebrew, Arabic and their presentation forms). In a line that
#: mixes them with digits or Latin words the characters either side of a space in logical
#: order are not neighbours on the page: such a line is measured only when it is much wider
#: than text of its length (characters are about half as wide as the type is high).
_RIGHT_TO_LEFT = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_WIDE = 0.65
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: Font flags (PDF 32000-1:2008, table 123): ForceBold, bit 19.
_FORCE_BOLD = 1 << 18
#: Font names whose weight is bold or heavier, after a subset prefix ("ABCDEF+Arial-BoldMT").
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|extrabold|ultrabold", re.IGNORECASE)
#: FPDFText_GetFontWeight: 700 is bold, 600 semibold (the CSS scale).
_BOLD_WEIGHT = 600


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a page's text layer: its `text`, with `CELL` between the cells of a
    table's row and `HYPHEN` where it goes on from a hyphen at the end of a line. Positions
    are in points (1/72 inch), y upwards from the bottom of the page: `baseline` where the
    line starts, `end_baseline` where it ends (lower when PDFium joined a word hyphenated
    across two lines); `left` and `right` its horizontal extent, `words` the left and right
    of each of its words (`WORD_BREAK` separates them; empty when not measured). `size` is
    the size of its type in points, `bold` its weight; `upright` whether it is not rotated."""

    text: str
    size: float
    bold: bool
    left: float
    right: float
    baseline: float
    end_baseline: float
    upright: bool = True
    words: tuple[tuple[float, float], ...] = ()

    @property
    def cells(self) -> tuple[tuple[float, float], ...]:
        """The left and right of each of the line's cells (the parts of `text` between
        `CELL`s); the whole line, one cell, when its words were not measured."""
        parts = self.text.split(CELL)
        if len(self.words) != len(WORD_BREAK.split(self.text)):
            return ((self.left, self.right),) if len(parts) == 1 else ()
        out = []
        first = 0
        for part in parts:
            count = len(WORD_BREAK.split(part.strip(" ")))
            span = self.words[first : first + count]
            out.append((min(w[0] for w in span), max(w[1] for w in span)))
            first += count
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Page:
    """A page's lines, in PDFium's order; `bottom` and `top` of its crop box (what is seen
    of it), in the lines' coordinates; `turned` when it is shown rotated (/Rotate 90 or
    270), its lines' tops and bottoms then on the sides of what a person sees."""

    number: int
    bottom: float
    top: float
    lines: list[Line]
    turned: bool = False
    #: The crop box's left and right edges (0, 0: not known, and no regions are given).
    left: float = 0.0
    right: float = 0.0

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def read_page(page: Any, number: int) -> Page:
    """The lines of `page`, a `pypdfium2.PdfPage`; `number` is its 1-based page number."""
    left, bottom, right, top = page.get_cropbox()
    textpage = page.get_textpage()
    try:
        reader = _CharReader(textpage)
        lines = []
        start = 0
        text = reader.text
        for match in [*_LINE_BREAK.finditer(text), None]:
            end = match.start() if match else len(text)
            line = reader.line(start, end)
            start = match.end() if match else end
            # Text outside the crop box is not on the page a person sees.
            if line and line.right > left and line.left < right and bottom < line.baseline < top:
                lines.append(line)
        turned = page.get_rotation() in (90, 270)
        return Page(
            number=number,
            bottom=bottom,
            top=top,
            lines=lines,
            turned=turned,
            left=left,
            right=right,
        )
    finally:
        textpage.close()


class _CharReader:
    """The characters of one text page, and what PDFium knows of them. The text is read in
    one call; a line's type and position from a few of its characters, each a call into
    PDFium (a call per character would cost more than the rest of the parse)."""

    def __init__(self, textpage: Any) -> None:
        import pypdfium2.raw as pdfium

        self._pdfium = pdfium
        self._page = textpage
        count = pdfium.FPDFText_CountChars(textpage)
        self.text = self._read_text(max(count, 0))
        self._name = ctypes.create_string_buffer(128)
        self._flags = ctypes.c_int()
        self._x = ctypes.c_double()
        self._y = ctypes.c_double()
        self._box = pdfium.FS_RECTF()
        self._matrix = pdfium.FS_MATRIX()

    def _read_text(self, count: int) -> str:
        """The page's characters, one string character per PDFium character."""
        if count == 0:
            return ""
        pdfium = self._pdfium
        # Room for surrogate pairs: characters beyond the BMP take two UTF-16 units.
        buffer = (ctypes.c_ushort * (2 * count + 1))()
        written = pdfium.FPDFText_GetText(self._page, 0, count, buffer)
        text = bytes(memoryview(buffer).cast("B")[: 2 * max(written - 1, 0)]).decode(
            "utf-16-le", errors="replace"
        )
        if len(text) == count:
            return text.replace(_PDFIUM_HYPHEN, HYPHEN)
        # PDFium left characters out of, or added some to, its text: one call per character
        # keeps the indices right.
        chars = []
        for index in range(count):
            code = pdfium.FPDFText_GetUnicode(self._page, index)
            chars.append(chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else " ")
        return "".join(chars).replace(_PDFIUM_HYPHEN, HYPHEN)

    def line(self, start: int, end: int) -> Line | None:
        """The line of characters `start` to `end` (exclusive), None if it is blank."""
        raw = self.text[start:end]
        stripped = raw.strip()
        if not stripped:
            return None
        first = start + (len(raw) - len(raw.lstrip()))
        last = start + len(raw.rstrip()) - 1
        samples = sorted({first, (first + last) // 2, last})
        sizes = []
        bold = 0
        for index in samples:
            size, is_bold = self._type(index)
            sizes.append(size)
            bold += is_bold
        left, right, baseline = self._place(first)
        last_left, last_right, end_baseline = self._place(last)
        angle = self._pdfium.FPDFText_GetCharAngle(self._page, first)
        size = sorted(sizes)[len(sizes) // 2]
        text = stripped.replace("\t", " ")
        words: tuple[tuple[float, float], ...] = ()
        width = max(right, last_right) - min(left, last_left)
        if " " in text and (not _RIGHT_TO_LEFT.search(text) or width > _WIDE * size * len(text)):
            text, words = self._cells(first, text, size)
        return Line(
            text=text,
            size=round(size, 1),
            bold=bold * 2 > len(samples),
            left=min(left, last_left),
            right=max(right, last_right),
            baseline=baseline,
            end_baseline=end_baseline,
            # Radians; -1 when PDFium does not know.
            upright=angle < 0 or min(angle, 2 * math.pi - angle) < 0.05,
            words=words,
        )

    def _cells(
        self, first: int, text: str, size: float
    ) -> tuple[str, tuple[tuple[float, float], ...]]:
        """`text` (starting at character `first`) with `CELL` in the place of each run of
        spaces that spans a gap of `CELL_GAP` sizes or more: between cells of a table; and
        the left and right of each word. Every line with a space is measured: a row of
        long cells is no wider than a sentence of its length, and the gaps between a
        table's columns are where its continuation lines are placed (`pdf_tables`)."""
        out = []
        words = []
        start = 0
        word_left = self._span(first)[0]
        for run in re.finditer(r" +", text):
            before, after = first + run.start() - 1, first + run.end()
            left_before, right_before = self._span(before)
            left_after, right_after = self._span(after)
            # Right-to-left runs are placed from the right: a word's extent is its span.
            words.append((min(word_left, left_before), max(word_left, right_before)))
            word_left = left_after
            gap = max(left_after - right_before, left_before - right_after)
            if gap >= CELL_GAP * size:
                out.append(text[start : run.start()] + CELL)
                start = run.end()
        last_left, last_right = self._span(first + len(text) - 1)
        words.append((min(word_left, last_left), max(word_left, last_right)))
        out.append(text[start:])
        return "".join(out), tuple(words)

    def _type(self, index: int) -> tuple[float, bool]:
        """The size a character is set in (its font size scaled by its text and page
        matrices: many PDFs set 1-point type scaled up), and whether it is bold."""
        pdfium = self._pdfium
        size = float(pdfium.FPDFText_GetFontSize(self._page, index))
        if pdfium.FPDFText_GetMatrix(self._page, index, self._matrix):
            m = self._matrix
            size *= abs(m.a * m.d - m.b * m.c) ** 0.5
        weight = pdfium.FPDFText_GetFontWeight(self._page, index)
        length = pdfium.FPDFText_GetFontInfo(
            self._page, index, self._name, len(self._name), ctypes.byref(self._flags)
        )
        name = self._name.value.decode("latin-1") if 0 < length <= len(self._name) else ""
        bold = (
            weight >= _BOLD_WEIGHT
            or bool(self._flags.value & _FORCE_BOLD)
            or bool(_BOLD_NAME.search(name.rpartition("+")[2]))
        )
        return size, bold

    def _span(self, index: int) -> tuple[float, float]:
        """Left and right of a character's box (one call: `_cells` asks it of every word)."""
        self._pdfium.FPDFText_GetLooseCharBox(self._page, index, self._box)
        return self._box.left, self._box.right

    def _place(self, index: int) -> tuple[float, float, float]:
        """Left and right of a character's box, and its baseline."""
        pdfium = self._pdfium
        pdfium.FPDFText_GetLooseCharBox(self._page, index, self._box)
        pdfium.FPDFText_GetCharOrigin(self._page, index, self._x, self._y)
        return self._box.left, self._box.right, self._y.value
