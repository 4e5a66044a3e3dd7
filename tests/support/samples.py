"""Real files for tests, made from scratch: a multi-page PDF, a DOCX, a PPTX, an XLSX,
Markdown and HTML."""

from __future__ import annotations

from pathlib import Path


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[list[str]], *, title: str = "docent test") -> bytes:
    """A valid PDF with a text layer: one list of lines per page (Helvetica 11pt)."""
    objects: list[bytes] = []
    count = len(pages)
    font_id = 3 + 2 * count
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    for i, lines in enumerate(pages):
        content = ["BT", "/F1 11 Tf", "14 TL", "72 740 Td"]
        for line in lines:
            content.append(f"({_escape(line)}) Tj T*")
        content.append("ET")
        stream = "\n".join(content).encode("cp1252", errors="replace")  # WinAnsiEncoding
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    info_id = len(objects) + 1
    objects.append(f"<< /Title ({_escape(title)}) >>".encode())

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info_id} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def make_docx(path: Path, sections: list[tuple[str, list[str]]]) -> Path:
    import docx

    document = docx.Document()
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    document.save(str(path))
    return path


WARRANTY_PDF_PAGES = [
    [
        "Acme Rocket Skates - Owner Manual",
        "Thank you for buying Acme Rocket Skates.",
        "Read this manual before your first ride.",
        "Always wear a helmet and knee pads when skating.",
    ],
    [
        "Warranty",
        "The warranty on Acme Rocket Skates lasts 24 months from the date of purchase.",
        "It covers defects in the rocket motor and the wheels.",
        "Damage caused by flying into canyon walls is not covered by the warranty.",
    ],
    [
        "Maintenance",
        "Clean the wheels every week with a soft brush.",
        "Refuel the rocket motor only with Acme certified fuel.",
    ],
]

HANDBOOK_MD = """# Employee Handbook

Welcome to Initech. This handbook explains how we work together.

## Holidays

Every employee receives 27 days of paid holiday per year, plus public holidays.
Unused holiday days can be carried over until the end of March.

## Expenses

Submit expense claims within 30 days with the original receipts attached.
Claims above 500 euros need approval from your manager.

## Security

Badges must be worn visibly at all times inside the building.
"""

RECIPES_HTML = """<!doctype html>
<html><head><title>Grandma's recipes</title><script>var tracking = "ignore me";</script></head>
<body>
<h1>Grandma's recipes</h1>
<h2>Lemon cake</h2>
<p>Bake the lemon cake at 180 degrees Celsius for 45 minutes.</p>
<p>Let it cool for an hour before adding the lemon glaze.</p>
<h2>Pancakes</h2>
<p>Whisk two eggs with 250 ml of milk and 125 grams of flour, then rest the batter.</p>
</body></html>
"""


def make_pptx(path: Path, slides: list[tuple[str, list[str], str]]) -> Path:
    """A presentation of (title, body paragraphs, speaker notes) slides, in python-pptx's
    "Title and Content" layout."""
    from pptx import Presentation

    deck = Presentation()
    layout = deck.slide_layouts[1]
    for title, paragraphs, notes in slides:
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        for i, paragraph in enumerate(paragraphs):
            (body.paragraphs[0] if i == 0 else body.add_paragraph()).text = paragraph
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    deck.save(str(path))
    return path


def make_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook with one worksheet of rows per name (a formula is a string starting with
    "=", saved without a cached value, as openpyxl writes it)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(str(path))
    return path
