"""PDFs for the fidelity tests, drawn with reportlab (a test-only dependency): lines at
chosen places and in chosen type, Form XObjects, right-to-left text, ligature code points."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

#: DejaVu Sans (Debian's fonts-dejavu-core, which poppler-utils and tesseract pull in): it
#: has glyphs for Latin ligatures, Hebrew and Arabic.
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class Text:
    """One line drawn at (x, y) points from the bottom left, in `font` at `size` points;
    `right` draws it ending at x (as right-to-left text is set); `form` draws it inside
    the Form XObject of that name, drawn where its first line comes."""

    text: str
    y: float
    x: float = 72
    font: str = "Helvetica"
    size: float = 10
    right: bool = False
    form: str | None = None


@cache
def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("DejaVu", DEJAVU))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", DEJAVU_BOLD))


def draw(pages: Sequence[Sequence[Text]]) -> bytes:
    """A PDF of A4 pages, each drawing its lines in order."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number, lines in enumerate(pages):
        forms: dict[str, list[Text]] = {}
        for line in lines:
            if line.form:
                forms.setdefault(f"{line.form}{number}", []).append(line)
        drawn: set[str] = set()
        for line in lines:
            if line.form:
                name = f"{line.form}{number}"
                if name not in drawn:
                    pdf.beginForm(name)
                    for inner in forms[name]:
                        _line(pdf, inner)
                    pdf.endForm()
                    pdf.doForm(name)
                    drawn.add(name)
            else:
                _line(pdf, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _line(pdf: Any, line: Text) -> None:
    pdf.setFont(line.font, line.size)
    if line.right:
        pdf.drawRightString(line.x, line.y, line.text)
    else:
        pdf.drawString(line.x, line.y, line.text)


def flowing(blocks: Sequence[tuple[str, str]], *, title: str = "", body_size: float = 10) -> bytes:
    """A document laid out by reportlab's platypus, as report generators make them: each
    block is (style, text), style one of "title", "heading" (bold, 3 points larger than
    the body), "bold" (bold, body size), "large" (4 points larger), "body"."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    leading = body_size * 1.3
    styles = {
        "title": ParagraphStyle("t", fontName="Helvetica-Bold", fontSize=18, leading=22),
        "heading": ParagraphStyle(
            "h", fontName="Helvetica-Bold", fontSize=body_size + 3, leading=body_size + 6,
            spaceBefore=8,
        ),
        "bold": ParagraphStyle("b", fontName="Helvetica-Bold", fontSize=body_size, leading=leading),
        "large": ParagraphStyle("l", fontName="Helvetica", fontSize=body_size + 4, leading=body_size + 7),
        "body": ParagraphStyle("p", fontName="Helvetica", fontSize=body_size, leading=leading),
    }  # fmt: skip
    buffer = io.BytesIO()
    story = [Paragraph(text, styles[style]) for style, text in blocks]
    SimpleDocTemplate(buffer, title=title).build(story)
    return buffer.getvalue()
