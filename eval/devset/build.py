"""Build the dev set's binary documents (PDF, DOCX, PPTX, XLSX, EML) from their sources.

    python eval/devset/build.py [--sources DIR] [--out DIR]

Each `sources/<name>.txt` becomes `documents/<name>` (or `DIR/<name>`), its format chosen
by the name's extension (`sources/halden-leave-policy.pdf.txt` -> `halden-leave-policy.pdf`).
`--sources` reads another set's sources (the held-out set:
`--sources eval/holdout/sources --out eval/holdout/documents`).
The text documents (Markdown, plain text, CSV, HTML) are written by hand in `documents/`
and are not built. The built files are committed, so the set does not change when a
library does; run this again only after editing a source, and commit both.

Source markup (one block per line or paragraph; a blank line ends a paragraph):
- a header of `key: value` lines up to the first blank line: `title`, `author`, `subject`,
  and per format `header`/`footer` (PDF running lines; `{page}` and `{pages}` are
  replaced), `direction: rtl` (DOCX), `from`/`to`/`cc`/`date`/`subject`/`message-id` (EML);
- `# `, `## `, `### ` headings; `- ` bullets; `1. ` numbered items (the number is kept
  as written); `| a | b |` table rows (the first row is the header); other lines are
  paragraph text, joined with the next line until a blank line;
- `=== page ===` starts a new page (PDF, DOCX) and `=== slide ===` a new slide (PPTX),
  whose first `# ` line is its title and `notes: ` lines its speaker notes;
- XLSX: `=== sheet: NAME ===` starts a sheet, whose lines are CSV rows (numbers become
  numbers; `@merge A1:E1` merges cells; `@bold 3` sets a row in bold);
- EML: the body follows the header; `=== attachment: NAME ===` starts an attachment.

Everything is deterministic (fixed dates in the documents' properties and ZIP entries, a
fixed MIME boundary), so building twice gives the same bytes with the same libraries.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import textwrap
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
DOCUMENTS = HERE / "documents"
#: The date in every built document's properties and ZIP entries (an e-mail's Date header
#: is its source's).
FIXED = datetime(2025, 6, 2, 9, 0, 0)


@dataclass(frozen=True)
class Block:
    """One block of the source markup: `kind` is h (a heading of `level`), p, bullet,
    number, notes, table (`rows`, the first the header) or page (a page or slide break)."""

    kind: str
    text: str = ""
    level: int = 0
    rows: tuple[tuple[str, ...], ...] = ()


# ---------------------------------------------------------------- the source markup


def split_header(text: str) -> tuple[dict[str, str], str]:
    """The `key: value` lines before the first blank line, and the rest."""
    head, _, body = text.partition("\n\n")
    meta = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"header line without a colon: {line!r}")
        meta[key.strip()] = value.strip()
    return meta, body


def blocks(body: str) -> list[Block]:
    """The markup's blocks, in order."""
    out: list[Block] = []
    paragraph: list[str] = []
    table: list[tuple[str, ...]] = []

    def flush() -> None:
        if paragraph:
            out.append(Block("p", " ".join(paragraph)))
            paragraph.clear()
        if table:
            out.append(Block("table", rows=tuple(table)))
            table.clear()

    for raw in body.splitlines():
        line = raw.strip()
        heading = re.match(r"(#{1,3}) (.+)", line)
        if not line:
            flush()
        elif raw[:1] == " " and not paragraph and out and out[-1].kind in ("bullet", "number"):
            out[-1] = Block(out[-1].kind, f"{out[-1].text} {line}")  # an item's next line
        elif line in ("=== page ===", "=== slide ==="):
            flush()
            out.append(Block("page"))
        elif line.startswith("|"):
            if paragraph:
                flush()
            table.append(tuple(cell.strip() for cell in line.strip("|").split("|")))
        elif heading or line.startswith(("- ", "notes: ")) or re.match(r"\d+\. ", line):
            flush()
            if heading:
                out.append(Block("h", heading[2], level=len(heading[1])))
            elif line.startswith("- "):
                out.append(Block("bullet", line[2:]))
            elif line.startswith("notes: "):
                out.append(Block("notes", line.removeprefix("notes: ")))
            else:
                out.append(Block("number", line))
        else:
            if table:
                flush()
            paragraph.append(line)
    flush()
    return out


def pages_of(items: list[Block]) -> list[list[Block]]:
    """The blocks split at each page (or slide) break."""
    pages: list[list[Block]] = [[]]
    for block in items:
        if block.kind == "page":
            pages.append([])
        else:
            pages[-1].append(block)
    return [page for page in pages if page]


# ---------------------------------------------------------------- PDF


def _pdf_string(text: str) -> str:
    # Standard 14 fonts with WinAnsiEncoding: a character outside cp1252 is an error here,
    # not a "?" in the document.
    encoded = text.encode("cp1252").decode("latin-1")
    return "(" + encoded.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


class _PdfPage:
    """One page's text operations, laid out top-down from the top margin."""

    # An A4 page (595 x 842 points) with margins of about 2.25 cm.
    TOP, BOTTOM, LEFT, WIDTH = 770.0, 60.0, 64.0, 467.0

    def __init__(self) -> None:
        self.ops: list[str] = []
        self.y = self.TOP

    def line(self, text: str, *, size: float, bold: bool = False, x: float = 0.0) -> None:
        font = "F2" if bold else "F1"
        self.ops.append(
            f"BT /{font} {size:g} Tf {self.LEFT + x:.1f} {self.y:.1f} Td {_pdf_string(text)} Tj ET"
        )

    def advance(self, points: float) -> None:
        self.y -= points
        if self.y < self.BOTTOM:
            raise ValueError("a PDF page overflows: put a `=== page ===` earlier")


def _wrap(text: str, size: float, width: float) -> list[str]:
    # Helvetica averages about half an em per character in running text.
    return textwrap.wrap(text, max(8, int(width / (size * 0.5)))) or [""]


def _pdf_table(page: _PdfPage, rows: Sequence[Sequence[str]]) -> None:
    """Rows as columns at fixed offsets, as much width to a column as its longest cell."""
    columns = max(len(row) for row in rows)
    longest = [max(len(row[i]) if i < len(row) else 0 for row in rows) for i in range(columns)]
    offsets = [page.WIDTH * sum(longest[:i]) / sum(longest) for i in range(columns + 1)]
    for number, row in enumerate(rows):
        cells = [_wrap(cell, 9.5, offsets[i + 1] - offsets[i] - 8) for i, cell in enumerate(row)]
        for k in range(max(len(lines) for lines in cells)):
            for i, lines in enumerate(cells):
                if k < len(lines):
                    page.line(lines[k], size=9.5, bold=number == 0, x=offsets[i])
            page.advance(12)
        page.advance(3)


def build_pdf(source: str) -> bytes:
    """A PDF with a text layer: Helvetica headings and body, tables as aligned columns,
    a running header and a "Page n of N" footer."""
    meta, body = split_header(source)
    pages = pages_of(blocks(body))
    streams = []
    for number, page_blocks in enumerate(pages, start=1):
        page = _PdfPage()
        for block in page_blocks:
            if block.kind == "h":
                size = {1: 17.0, 2: 13.0, 3: 11.5}[block.level]
                page.advance(8 if page.y < page.TOP else 0)
                for text_line in _wrap(block.text, size, page.WIDTH):
                    page.line(text_line, size=size, bold=True)
                    page.advance(size + 5)
            elif block.kind == "table":
                page.advance(4)
                _pdf_table(page, block.rows)
                page.advance(6)
            else:
                item = block.kind in ("bullet", "number")
                text = ("\u2022  " if block.kind == "bullet" else "") + block.text
                for k, text_line in enumerate(_wrap(text, 10.5, page.WIDTH - 14 * item)):
                    hanging = 9 if k and block.kind == "bullet" else 0
                    page.line(text_line, size=10.5, x=14 * item + hanging)
                    page.advance(14)
                page.advance(5)
        for key, y in (("header", 800.0), ("footer", 36.0)):
            if key in meta:
                text = meta[key].format(page=number, pages=len(pages))
                page.ops.append(
                    f"BT /F1 8.5 Tf {page.LEFT:.1f} {y:.1f} Td {_pdf_string(text)} Tj ET"
                )
        streams.append("\n".join(op for op in page.ops if op).encode("latin-1"))
    return _pdf_file(streams, meta)


def _pdf_file(streams: list[bytes], meta: dict[str, str]) -> bytes:
    """The pages' content streams as an A4 PDF, written by pypdf (which reads it in the
    tests as well), with the standard Helvetica fonts, which PDF readers provide."""
    from pypdf import PdfWriter
    from pypdf.generic import ContentStream, DictionaryObject, NameObject

    def font(name: str) -> DictionaryObject:
        return DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject(f"/{name}"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )

    fonts = DictionaryObject(
        {NameObject("/F1"): font("Helvetica"), NameObject("/F2"): font("Helvetica-Bold")}
    )
    writer = PdfWriter()
    for data in streams:
        page = writer.add_blank_page(595, 842)
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
        content = ContentStream(None, writer)
        content.set_data(data)
        page.replace_contents(content)
    date = FIXED.strftime("D:%Y%m%d%H%M%S")
    info = {f"/{key.title()}": meta[key] for key in ("title", "author", "subject") if key in meta}
    writer.add_metadata({**info, "/CreationDate": date, "/ModDate": date})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------- DOCX


def _right_to_left(paragraph: object) -> None:
    """Mark a paragraph and its runs right-to-left, as Word does for Arabic text."""
    from docx.oxml import OxmlElement

    properties = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
    properties.append(OxmlElement("w:bidi"))
    for run in paragraph.runs:  # type: ignore[attr-defined]
        run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))


def build_docx(source: str) -> bytes:
    """A Word document: Heading 1-3, bulleted lists, numbered items (their numbers kept in
    the text), Table Grid tables with a bold header, page breaks; with `direction: rtl`
    every paragraph right-to-left."""
    import docx
    from docx.enum.text import WD_BREAK

    meta, body = split_header(source)
    document = docx.Document()
    properties = document.core_properties
    properties.title = meta.get("title", "")
    properties.author = properties.last_modified_by = meta.get("author", "")
    properties.created = properties.modified = FIXED
    styles = {"p": None, "bullet": "List Bullet", "number": "List Paragraph"}
    for block in blocks(body):
        if block.kind == "h":
            document.add_heading(block.text, level=block.level)
        elif block.kind in styles:
            document.add_paragraph(block.text, style=styles[block.kind])
        elif block.kind == "page":
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif block.kind == "table":
            table = document.add_table(rows=len(block.rows), cols=len(block.rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(block.rows):
                for c, text in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = text
                    cell.paragraphs[0].runs[0].bold = r == 0
    if meta.get("direction") == "rtl":
        cells = [c for t in document.tables for row in t.rows for c in row.cells]
        for paragraph in [*document.paragraphs, *(p for c in cells for p in c.paragraphs)]:
            _right_to_left(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- PPTX


def build_pptx(source: str) -> bytes:
    """A slide deck: each slide a title, then bullets or paragraphs in the body
    placeholder, a table when the slide has one, and speaker notes."""
    import pptx
    from pptx.util import Inches, Pt

    meta, body = split_header(source)
    deck = pptx.Presentation()
    deck.core_properties.title = meta.get("title", "")
    deck.core_properties.author = meta.get("author", "")
    deck.core_properties.created = deck.core_properties.modified = FIXED
    deck.core_properties.revision = 1
    for number, slide_blocks in enumerate(pages_of(blocks(body))):
        kinds = {block.kind: block for block in slide_blocks}
        text = [b.text for b in slide_blocks if b.kind in ("p", "bullet", "number")]
        notes = " ".join(b.text for b in slide_blocks if b.kind == "notes")
        # Slide layouts of the default template: title slide, title and content, title only.
        layout = deck.slide_layouts[0 if number == 0 else 5 if "table" in kinds else 1]
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = kinds["h"].text if "h" in kinds else ""
        if text:
            frame = slide.placeholders[1].text_frame
            frame.text = "\n".join(text)  # one paragraph per line
        if "table" in kinds:
            rows = kinds["table"].rows
            shape = slide.shapes.add_table(
                len(rows), len(rows[0]), Inches(0.6), Inches(1.6), Inches(8.8), Inches(0.4)
            )
            for r, row in enumerate(rows):
                for c, cell_text in enumerate(row):
                    cell = shape.table.cell(r, c)
                    cell.text = cell_text
                    cell.text_frame.paragraphs[0].runs[0].font.size = Pt(14)
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- XLSX


def _cell_value(text: str) -> str | int | float:
    if re.fullmatch(r"-?\d+", text) and not (len(text) > 1 and text.startswith("0")):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def build_xlsx(source: str) -> bytes:
    """A workbook: one sheet per `=== sheet: NAME ===`, CSV rows, numbers as numbers
    (two decimals shown as written), merged cells and bold rows by directive."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    meta, body = split_header(source)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = meta.get("title", "")
    workbook.properties.creator = meta.get("author", "")
    workbook.properties.created = FIXED
    sheet = None
    for line in body.splitlines():
        if match := re.fullmatch(r"=== sheet: (.+) ===", line.strip()):
            sheet = workbook.create_sheet(match[1])
        elif sheet is None or not line.strip():
            continue
        elif line.startswith("@merge "):
            sheet.merge_cells(line.split()[1])
        elif line.startswith("@bold "):
            for cell in sheet[int(line.split()[1])]:
                cell.font = Font(bold=True)
        else:
            row = next(csv.reader([line]))
            sheet.append([_cell_value(cell) for cell in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, float):
                    decimals = len(str(row[cell.column - 1]).partition(".")[2])
                    cell.number_format = "0." + "0" * decimals
    for sheet in workbook.worksheets:
        for column in range(1, sheet.max_column + 1):
            cells = [sheet.cell(row, column).value for row in range(2, sheet.max_row + 1)]
            width = max((len(str(v)) for v in cells if v is not None), default=8)
            sheet.column_dimensions[get_column_letter(column)].width = min(60, width + 2)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- EML


def build_eml(source: str) -> bytes:
    """An e-mail (RFC 5322, MIME): the plain-text body, and attachments by name."""
    meta, body = split_header(source)
    parts = re.split(r"^=== attachment: (.+) ===$", body, flags=re.MULTILINE)
    message = EmailMessage(policy=SMTP)
    for key in ("from", "to", "cc", "date", "subject", "message-id"):
        if key in meta:
            message[key.title().replace("Message-Id", "Message-ID")] = meta[key]
    message.set_content(parts[0].strip() + "\n", cte="quoted-printable")
    for name, content in zip(parts[1::2], parts[2::2], strict=True):
        subtype = {"csv": "csv", "txt": "plain"}[name.rpartition(".")[2]]
        message.add_attachment(
            content.strip().encode("utf-8") + b"\n", maintype="text", subtype=subtype,
            filename=name,
        )  # fmt: skip
    if message.is_multipart():
        message.set_boundary("devset-part-boundary")  # not a random one: the same bytes
    return message.as_bytes()


# ---------------------------------------------------------------- files


def _fixed_zip(data: bytes) -> bytes:
    """The same ZIP package with every entry dated FIXED, and the modification time in
    docProps/core.xml set to it (the libraries write the current time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            info = zipfile.ZipInfo(entry.filename, date_time=FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, content)
    return out.getvalue()


BUILDERS: dict[str, Callable[[str], bytes]] = {
    "pdf": build_pdf,
    "docx": build_docx,
    "pptx": build_pptx,
    "xlsx": build_xlsx,
    "eml": build_eml,
}


def build(out: Path, sources: Path = SOURCES) -> list[Path]:
    """Build every source in `sources` into `out`; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(sources.glob("*.txt")):
        name = source.name.removesuffix(".txt")
        kind = name.rpartition(".")[2]
        data = BUILDERS[kind](source.read_text(encoding="utf-8"))
        if kind in ("docx", "pptx", "xlsx"):
            data = _fixed_zip(data)
        (out / name).write_bytes(data)
        written.append(out / name)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCUMENTS, help="where to write")
    parser.add_argument("--sources", type=Path, default=SOURCES, help="where to read")
    args = parser.parse_args()
    for path in build(args.out, args.sources):
        print(f"{path.stat().st_size:>8}  {path.name}")


if __name__ == "__main__":
    main()
