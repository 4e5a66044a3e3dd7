"""Text fidelity, Unicode (issue 12): what a person reads is what docent indexes. Each class
of character has its case with the right value (`unicode.normalize`), every format's parser
hands its text through it (in process and in the isolated child), and through the API a
KEYWORD search finds the words that invisible characters or ligatures used to break."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from docent.ingestion.parsing import ParseLimits, parse_file, sniffing
from docent.ingestion.parsing.isolation import Isolation, parse_isolated
from docent.ingestion.parsing.unicode import normalize

from support.paths import DATASETS
from support.pdfs import Text, draw
from support.servers import DocentServer, keyword_chunks, module_server, upload_ready

FIDELITY = DATASETS / "fidelity"

#: (class, as a parser hands it over, as a person reads it)
CASES = [
    ("Latin ligatures", "Of\ufb01ce \ufb02oor e\ufb03cient \ufb00 \ufb04 \ufb05op \ufb06", "Office floor efficient ff ffl stop st"),
    ("Armenian ligature", "\ufb13", "մն"),
    ("Dutch ij digraph", "\u0132sselmeer", "IJsselmeer"),
    ("Croatian digraph", "\u01c6ungla", "džungla"),
    ("mathematical alphanumerics", "𝐁𝐨𝐥𝐝 𝑖𝑡𝑎𝑙𝑖𝑐 𝟐𝟎𝟐𝟒", "Bold italic 2024"),
    ("letterlike styled letters", "x ∈ ℝ, ℎ", "x ∈ R, h"),
    ("Arabic presentation forms", "ﺗﻘﺮﻳﺮ ﻻ", "تقرير لا"),
    ("Hebrew wide letter", "\ufb20", "ע"),
    ("full-width letters and digits", "ＰＤＦ２０２４ｒｅｐｏｒｔ", "PDF2024report"),
    ("full-width CJK punctuation kept", "你好，世界：（测试）！", "你好，世界：（测试）！"),
    ("ideographic punctuation kept", "年假规定。「注意」、", "年假规定。「注意」、"),
    ("half-width katakana", "ｶﾞｲﾄﾞ", "ガイド"),
    ("no-break and other spaces", "15\xa0minutes 1\u202f000 a\u2009b\u2003c\u3000d", "15 minutes 1 000 a b c d"),
    ("line and paragraph separators", "a\u2028b\u2029c\x0bd\x0ce\r\nf\rg\x85h", "a\nb\nc\nd\ne\nf\ng\nh"),
    ("soft hyphens", "in\xadter\xadop\xader\xada\xadbil\xadity", "interoperability"),
    ("zero-width space in a word", "Data\u200bLoader\u200bFactory", "DataLoaderFactory"),
    ("zero-width space kept in Thai", "ภาษา\u200bไทย", "ภาษา\u200bไทย"),
    ("BOM and word joiner", "\ufeffCon\ufefffig\u2060uration", "Configuration"),
    ("invisible operators", "f\u2061(x) = a\u2062b", "f(x) = ab"),
    ("object replacement character", "see\ufffc the figure", "see the figure"),
    ("ZWNJ kept in Persian", "می\u200cخواهم", "می\u200cخواهم"),
    ("ZWJ kept in Devanagari", "क्\u200dष", "क्\u200dष"),
    ("ZWJ kept in emoji sequences", "👨\u200d💻 👩🏽\u200d🔬 🏳️\u200d🌈", "👨\u200d💻 👩🏽\u200d🔬 🏳️\u200d🌈"),
    ("ZWJ and ZWNJ dropped in Latin", "Data\u200dLoader Fac\u200ctory", "DataLoader Factory"),
    ("bidirectional marks kept in RTL text", "שלום\u200f! \u2067עברית\u2069", "שלום\u200f! \u2067עברית\u2069"),
    ("bidirectional controls dropped in LTR text", "abc\u200edef \u202eevil\u202c", "abcdef evil"),
    ("emoji tag sequence kept", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"),
    ("hidden tag characters dropped", "hello\U000e0069\U000e0067\U000e006e\U000e006f\U000e0072\U000e0065", "hello"),
    ("runs of variation selectors", "❤\ufe0f\ufe0f\ufe0f\ufe0f ok", "❤\ufe0f ok"),
    ("C1 controls as Windows-1252", "don\x92t \x93quote\x94 \x80 5", "don’t “quote” € 5"),
    ("C0 controls dropped", "a\x00b\x1bc\x7fd\te", "abcd\te"),
    ("canonical composition (NFC)", "e\u0301te\u0301 A\u030a", "été Å"),
    ("superscripts and subscripts kept", "m² H₂O x³ 10⁻⁶", "m² H₂O x³ 10⁻⁶"),
    ("fractions kept", "1½ cups, ¼ inch", "1½ cups, ¼ inch"),
    ("symbols kept", "Acme™ № 5 … 10 µm ① Ⅳ ſ ©", "Acme™ № 5 … 10 µm ① Ⅳ ſ ©"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "raw", "read"), CASES, ids=[c[0] for c in CASES])
def test_each_class_reads_as_a_person_reads_it(name: str, raw: str, read: str) -> None:
    assert normalize(raw) == read


@pytest.mark.parametrize(("name", "raw", "read"), CASES, ids=[c[0] for c in CASES])
def test_normalizing_twice_changes_nothing(name: str, raw: str, read: str) -> None:
    assert normalize(read) == read


def test_plain_text_is_handed_back_as_it_is() -> None:
    text = "Plain ASCII text\nwith\ttabs and lines. " * 1000
    assert normalize(text) is text


# --- every parser's text goes through it ---

#: What the documents below hold, as pasted from a web page or a chat tool, and as read.
PASTED = (
    "The Data\u200bLoader\u200bFactory class uses the in\xadter\xadop\xader\xada\xadbil\xadity "
    "layer within\xa015\xa0minutes of the \ufeffcon\ufb01guration change."
)
READ = (
    "The DataLoaderFactory class uses the interoperability layer within 15 minutes of the "
    "configuration change."
)
INVISIBLE = ("\u200b", "\xad", "\ufeff", "\xa0", "\ufb01")


def _txt(path: Path) -> None:
    path.write_text(f"Release notes\n\n{PASTED}\n", encoding="utf-8")


def _md(path: Path) -> None:
    path.write_text(f"# Release notes\n\n{PASTED}\n", encoding="utf-8")


def _html(path: Path) -> None:
    path.write_text(
        f"<html><body><h1>Release notes</h1><p>{PASTED}</p></body></html>", encoding="utf-8"
    )


def _csv(path: Path) -> None:
    path.write_text(f'component,note\nloader,"{PASTED}"\n', encoding="utf-8")


def _docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Release notes", level=1)
    document.add_paragraph(PASTED)
    document.save(str(path))


def _pptx(path: Path) -> None:
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Release notes"
    slide.placeholders[1].text = PASTED
    deck.save(str(path))


def _xlsx(path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["component", "note"])
    sheet.append(["loader", PASTED])
    workbook.save(str(path))


def _eml(path: Path) -> None:
    message = EmailMessage()
    message["Subject"] = "Release notes"
    message["From"] = "ops@example.com"
    message["To"] = "team@example.com"
    message.set_content(PASTED)
    path.write_bytes(message.as_bytes())


def _pdf(path: Path) -> None:
    # DejaVu Sans has the ﬁ glyph; the text layer keeps U+FB01 as drawn. It has no glyph
    # for the invisible characters, which a PDF text layer does not carry: its case is
    # ligatures and no-break spaces.
    path.write_bytes(
        draw(
            [
                [
                    Text("Release notes", 780, font="DejaVu", size=14),
                    Text("The con\ufb01guration of\ufb01ce is open", 750, font="DejaVu"),
                    Text("within\xa015\xa0minutes of the \ufb02oodgate alarm.", 736, font="DejaVu"),
                ]
            ]
        )
    )


FORMATS: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "txt": (sniffing.TEXT, _txt, READ),
    "md": (sniffing.MARKDOWN, _md, READ),
    "html": (sniffing.HTML, _html, READ),
    "csv": (sniffing.CSV, _csv, READ),
    "docx": (sniffing.DOCX, _docx, READ),
    "pptx": (sniffing.PPTX, _pptx, READ),
    "xlsx": (sniffing.XLSX, _xlsx, READ),
    "eml": (sniffing.EML, _eml, READ),
    "pdf": (
        sniffing.PDF,
        _pdf,
        "The configuration office is open within 15 minutes of the floodgate alarm.",
    ),
}


def _joined(elements: list) -> str:  # type: ignore[type-arg]
    return " ".join(" ".join(e.text.split()) for e in elements)


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_every_parser_hands_over_text_as_read(extension: str, tmp_path: Path) -> None:
    mime, make, read = FORMATS[extension]
    path = tmp_path / f"notes.{extension}"
    make(path)
    assert sniffing.sniff(path, path.name).mime_type == mime
    text = _joined(parse_file(path, mime).elements)
    assert read in text, text
    assert not any(char in text for char in INVISIBLE), ascii(text)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("extension", ["docx", "md", "pdf"])
async def test_the_isolated_parser_hands_over_text_as_read(extension: str, tmp_path: Path) -> None:
    mime, make, read = FORMATS[extension]
    path = tmp_path / f"notes.{extension}"
    make(path)
    parsed = await parse_isolated(path, mime, limits=ParseLimits(), isolation=Isolation())
    text = _joined(parsed.elements)
    assert read in text, text
    assert not any(char in text for char in INVISIBLE), ascii(text)


def test_a_paragraph_of_invisible_characters_is_no_paragraph(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\n\u200b\u2060\ufeff\xad\n\nThe only words.\n", encoding="utf-8")
    texts = [e.text for e in parse_file(path, sniffing.MARKDOWN).elements]
    assert texts == ["Notes", "The only words."]


# --- through the API ---

server = module_server("unicode")


@pytest.mark.e2e
@pytest.mark.timeout(600)
@pytest.mark.skipif(not FIDELITY.exists(), reason="../shared/datasets/fidelity is missing")
@pytest.mark.parametrize("name", ["invisible-characters.md", "ligatures.pdf"])
def test_the_fidelity_files_read_as_expected(name: str, server: DocentServer) -> None:
    """expected.json's case for the file: its words found by a KEYWORD search in the
    document, in chunks that hold what must be there and nothing that must not."""
    case = next(
        c
        for c in json.loads((FIDELITY / "expected.json").read_text())["cases"]
        if c["file"] == name
    )

    async def check() -> None:
        document_id = await upload_ready(server, name, (FIDELITY / name).read_bytes())
        chunks = await keyword_chunks(server, document_id, case["keyword"], top_k=5)
        assert chunks, f"{case['keyword']!r} found nothing in {name}"
        text = " ".join(" ".join(c["text"].split()) for c in chunks).lower()
        for phrase in case["contains"]:
            assert phrase.lower() in text, (phrase, text)
        for absent in case.get("absent", []):
            assert absent not in text, (absent, ascii(text))

    asyncio.run(check())


@pytest.mark.e2e
@pytest.mark.timeout(600)
@pytest.mark.parametrize("extension", ["docx", "html", "pdf"])
def test_words_broken_by_invisible_characters_are_found(
    extension: str, server: DocentServer, tmp_path: Path
) -> None:
    _, make, read = FORMATS[extension]
    path = tmp_path / f"notes.{extension}"
    make(path)
    keyword = "configuration office" if extension == "pdf" else "DataLoaderFactory"

    async def check() -> None:
        document_id = await upload_ready(server, path.name, path.read_bytes())
        chunks = await keyword_chunks(server, document_id, keyword, top_k=5)
        texts = [" ".join(c["text"].split()) for c in chunks]
        assert any(read in text for text in texts), texts
        assert not any(char in text for text in texts for char in INVISIBLE), texts

    asyncio.run(check())


def test_the_pdf_maker_keeps_ligature_code_points() -> None:
    """The PDF case above is a real one: its text layer holds U+FB01 (pypdf reads it)."""
    from pypdf import PdfReader

    content = draw([[Text("of\ufb01ce", 780, font="DejaVu")]])
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "\ufb01" in text, ascii(text)
