"""Text fidelity, PDF (issue 12): line ends, Form XObjects, right-to-left scripts and
headings read as a person reads the page. Each kind has its table of cases, drawn here with
reportlab, read through the parser (in process, and in the isolated child), and the
headings and line ends through the API as well."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.chunking import Element, chunk_elements
from docent.ingestion.parsing import ParseLimits, parse_file, sniffing
from docent.ingestion.parsing.headings import numbering_depth
from docent.ingestion.parsing.hyphenation import keeps_hyphen, vocabulary
from docent.ingestion.parsing.isolation import Isolation, parse_isolated
from docent.ingestion.parsing.unicode import normalize

from support.pdfs import Text, draw, flowing
from support.servers import DocentServer, keyword_chunks, module_server, upload_ready

pytest.importorskip("reportlab")


def parse(tmp_path: Path, content: bytes, name: str = "doc.pdf") -> list[Element]:
    path = tmp_path / name
    path.write_bytes(content)
    return parse_file(path, sniffing.PDF).elements


def text_of(elements: Sequence[Element]) -> str:
    return "\n".join(e.text for e in elements)


def paragraph(lines: Sequence[str], *, top: float = 750, size: float = 10) -> list[Text]:
    """Lines of one paragraph, at 1.2 times the type size apart."""
    return [Text(line, top - i * size * 1.2, size=size) for i, line in enumerate(lines)]


# --- line ends: hyphens ---

#: (line that ends with a hyphen, line that goes on, as a person reads it)
HYPHENS = [
    ("many capabili-", "ties of the system", "many capabilities of the system"),
    ("the re-", "sults were reproducible", "the results were reproducible"),
    ("the informa-", "tion was complete", "the information was complete"),
    ("a very cost-", "effective method", "a very cost-effective method"),
    ("a well-", "known approach", "a well-known approach"),
    ("a long-", "term plan", "a long-term plan"),
    ("fast decision-", "making in teams", "fast decision-making in teams"),
    ("a state-of-the-", "art engine", "a state-of-the-art engine"),
    ("the Anglo-", "Saxon chronicle", "the Anglo-Saxon chronicle"),
    ("after COVID-", "19 cases fell", "after COVID-19 cases fell"),
    ("send an e-", "mail to us", "send an e-mail to us"),
]


@pytest.mark.parametrize(("end", "start", "read"), HYPHENS, ids=[h[2] for h in HYPHENS])
def test_a_word_hyphenated_across_lines(end: str, start: str, read: str, tmp_path: Path) -> None:
    lines = ["The report describes in detail how we worked on", end, start, "this year."]
    text = text_of(parse(tmp_path, draw([paragraph(lines)])))
    assert read in text, text


#: The document's own words decide before any word list: (its other text, end, start, read).
EVIDENCE = [
    ("Interoperability matters.", "the inter-", "operability layer", "the interoperability layer"),
    ("We use pre-trained models.", "the pre-", "trained encoder", "the pre-trained encoder"),
    ("Our checkin desk is open.", "the check-", "in desk", "the checkin desk"),
    ("A check-in is needed.", "the check-", "in desk", "the check-in desk"),
]


@pytest.mark.parametrize(("other", "end", "start", "read"), EVIDENCE, ids=[e[3] for e in EVIDENCE])
def test_the_documents_own_words_decide_a_hyphen(
    other: str, end: str, start: str, read: str, tmp_path: Path
) -> None:
    lines = ["The report describes in detail how we worked on", end, start, "this year."]
    pages = [[*paragraph(lines), Text(other, 600)]]
    assert read in text_of(parse(tmp_path, draw(pages)))


@pytest.mark.parametrize(
    ("before", "after", "document", "kept"),
    [
        ("the capabili", "ties.", set(), False),
        ("the cost", "effective way", set(), True),
        ("the cost", "effective way", {"costeffective"}, False),
        ("the check", "in desk", {"check-in"}, True),
        ("a state-of-the", "art engine", set(), True),
        ("the Anglo", "Saxon era", set(), True),
        ("some", "thing", set(), False),
        ("2", "3 pages", set(), True),
        ("an e", "mail", set(), True),
        ("the hydrodyna", "mics", set(), False),
    ],
)
def test_keeps_hyphen(before: str, after: str, document: set[str], kept: bool) -> None:
    assert keeps_hyphen(before, after, frozenset(document)) is kept


def test_a_documents_vocabulary_holds_its_words_hyphenated_or_not() -> None:
    assert vocabulary(["A cost-effective, Well-known plan 2024"]) == {
        "a", "cost-effective", "well-known", "plan",
    }  # fmt: skip


def test_a_soft_hyphen_at_a_line_end_joins_the_word(tmp_path: Path) -> None:
    lines = ["The report describes in detail how the docu\xad", "ment was made this year."]
    pages = [[Text(t.text, t.y, font="DejaVu") for t in paragraph(lines)]]
    assert "the document was made" in text_of(parse(tmp_path, draw(pages)))


def test_lines_of_a_script_without_spaces_join_without_one(tmp_path: Path) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    lines = ["员工每年享有十五天带薪年假，年假需提前两周向直属", "经理申请。"]
    pages = [[Text(t.text, t.y, font="STSong-Light") for t in paragraph(lines)]]
    assert "向直属经理申请。" in text_of(parse(tmp_path, draw(pages)))


# --- line ends: Form XObjects ---

HEADING = Text("Boiler room layout", 780, font="Helvetica-Bold", size=14)
BEFORE = Text("The diagram below shows the pipes of the boiler room.", 760)
AFTER = Text("After the diagram comes the maintenance schedule.", 600)
FORM = [
    Text("condensate", 700, x=100, size=9, form="diagram"),
    Text("return", 688, x=100, size=9, form="diagram"),
    Text("feed water pump", 676, x=100, size=9, form="diagram"),
]

#: (case, the page as drawn, in the stream's order)
FORMS = [
    ("form drawn where it stands", [HEADING, BEFORE, *FORM, AFTER]),
    ("form drawn before the heading", [*FORM, HEADING, BEFORE, AFTER]),
    ("form drawn last", [HEADING, BEFORE, AFTER, *FORM]),
]


@pytest.mark.parametrize(("case", "page"), FORMS, ids=[f[0] for f in FORMS])
def test_lines_in_a_form_xobject_read_like_lines_of_the_page(
    case: str, page: list[Text], tmp_path: Path
) -> None:
    elements = parse(tmp_path, draw([page]))
    text = " ".join(text_of(elements).split())
    assert "condensatereturn" not in text and "returnfeed" not in text, text
    order = [text.index(t) for t in (HEADING.text, BEFORE.text, "condensate return", AFTER.text)]
    assert order == sorted(order), text
    assert "feed water pump" in text
    (chunk,) = [c for c in chunk_elements(elements, document_id="d") if "condensate" in c.text]
    assert chunk.section == HEADING.text


# --- right-to-left scripts ---

#: (case, as the page draws it, left to right, as a person reads it, in logical order)
RTL = [
    ("Hebrew", "שלום עולם"[::-1], "שלום עולם"),
    ("Hebrew with a number", "ןוכיסה חוטיב 2024 תנשל", "לשנת 2024 ביטוח הסיכון"),
    ("Hebrew with a Latin word", "PDF ץבוק אוה הז", "זה הוא קובץ PDF"),
    ("Arabic", "هذا هو تقرير الشركة"[::-1], "هذا هو تقرير الشركة"),
    ("Arabic presentation forms", "ﺗﻘﺮﻳﺮ اﻟﺸﺮﻛﺔ"[::-1], "تقرير الشركة"),
]


@pytest.mark.parametrize(("case", "drawn", "read"), RTL, ids=[r[0] for r in RTL])
def test_right_to_left_text_reads_in_logical_order(
    case: str, drawn: str, read: str, tmp_path: Path
) -> None:
    page = [
        Text("Quarterly summary", 780),
        Text(drawn, 740, x=520, font="DejaVu", size=12, right=True),
    ]
    content = draw([page])
    text = text_of(parse(tmp_path, content))
    assert read in text, text
    # Lines of one script read as poppler's pdftotext reads them (less its bidi marks, and
    # with presentation forms as letters); with digits or Latin words, pdftotext glues
    # words ("הסיכון2024"), and docent's reading is the one above.
    if shutil.which("pdftotext") and not any(c.isascii() for c in read.replace(" ", "")):
        (tmp_path / "rtl.pdf").write_bytes(content)
        poppler = subprocess.run(
            ["pdftotext", str(tmp_path / "rtl.pdf"), "-"], capture_output=True, text=True
        ).stdout
        assert read in normalize(poppler), poppler


# --- headings ---


@pytest.mark.parametrize(
    ("line", "depth"),
    [
        ("4. Parental Leave", 1),
        ("Chapter 3: Benefits", 1),
        ("Chapter 3", 1),
        ("CHAPTER IV Appeals", 1),
        ("Section 2.1 Eligibility", 2),
        ("2.3.1 Scope", 3),
        ("2.3.1. Scope", 3),
        ("Part II The Rules", 1),
        ("Appendix A: Forms", 1),
        ("III. Procedure", 1),
        ("3.5 million people were affected", None),
        ("2024 was a good year", None),
        ("12.05.2023 Meeting", None),
        ("4. parental leave", None),
        ("1. Purpose ........ 3", None),
        ("Sectional sofas", None),
    ],
)
def test_numbering_depth(line: str, depth: int | None) -> None:
    assert numbering_depth(line) == depth


BODY = (
    "Employees should read this part carefully because it explains the rules that apply "
    "to everyone in the company, including contractors and interns."
)
POLICY = [
    ("title", "Acme Staff Policy Handbook"),
    ("heading", "1. Purpose"),
    ("body", f"The purpose of this handbook is to set the rules. {BODY}"),
    ("heading", "2. Scope"),
    ("body", f"The scope covers all offices. {BODY}"),
    ("body", "Section 2.1 Eligibility"),
    ("body", f"Eligibility starts after the probation period of three months. {BODY}"),
    ("body", "2.3.1 Scope of travel"),
    ("body", f"Travel within the country is covered. {BODY}"),
    ("heading", "Chapter 3: Benefits"),
    ("body", f"Benefits include a pension plan with matched contributions. {BODY}"),
    ("heading", "4. Parental Leave"),
    ("body", f"Parents receive sixteen weeks of paid parental leave. {BODY} {BODY}"),
    ("bold", "Working from home"),
    ("body", f"Staff may work from home two days a week. {BODY}"),
    ("large", "Expenses and travel"),
    ("body", f"Expenses are refunded within thirty days. {BODY}"),
    ("body", "1. Keep every receipt"),
    ("body", "2. Ask your manager first"),
    ("body", f"3.5 million euros were refunded last year. {BODY}"),
    ("bold", "Claims without receipts are refused."),
    ("body", f"Refunds are paid with the next salary. {BODY}"),
]

#: (words of a passage, the heading its section ends with)
SECTIONS = [
    ("purpose of this handbook", "1. Purpose"),
    ("scope covers all offices", "2. Scope"),
    ("probation period", "Section 2.1 Eligibility"),
    ("within the country", "2.3.1 Scope of travel"),
    ("pension plan", "Chapter 3: Benefits"),
    ("sixteen weeks", "4. Parental Leave"),
    ("two days a week", "Working from home"),
    ("refunded within thirty days", "Expenses and travel"),
    ("next salary", "Expenses and travel"),
]


@pytest.fixture(scope="module")
def policy_pdf() -> bytes:
    return flowing(POLICY, title="Acme Staff Policy Handbook")


def test_headings_of_a_policy_are_found(policy_pdf: bytes, tmp_path: Path) -> None:
    titles = [(e.text, e.depth) for e in parse(tmp_path, policy_pdf) if e.kind == "title"]
    assert titles == [
        ("Acme Staff Policy Handbook", 0),
        ("1. Purpose", 1),
        ("2. Scope", 1),
        ("Section 2.1 Eligibility", 2),
        ("2.3.1 Scope of travel", 3),
        ("Chapter 3: Benefits", 1),
        ("4. Parental Leave", 1),
        ("Working from home", 3),
        ("Expenses and travel", 1),
    ]


@pytest.mark.parametrize(("words", "heading"), SECTIONS, ids=[s[0] for s in SECTIONS])
def test_a_passage_has_the_heading_above_it_as_section(
    words: str, heading: str, policy_pdf: bytes, tmp_path: Path
) -> None:
    chunks = chunk_elements(parse(tmp_path, policy_pdf), document_id="d", size=400, overlap=40)
    (chunk,) = [c for c in chunks if words in " ".join(c.text.split())][:1]
    assert chunk.section is not None and chunk.section.endswith(heading), chunk.section
    assert chunk.section.startswith("Acme Staff Policy Handbook"), chunk.section


def test_a_larger_type_alone_makes_headings(tmp_path: Path) -> None:
    blocks = [
        ("large", "Opening hours"),
        ("body", f"The office opens at eight in the morning. {BODY}"),
        ("large", "Parking"),
        ("body", f"Visitors park in the north car park. {BODY}"),
    ]
    chunks = chunk_elements(parse(tmp_path, flowing(blocks)), document_id="d")
    sections = {c.section for c in chunks if "north car park" in c.text}
    assert sections == {"Parking"}


def test_a_page_set_in_one_type_has_no_heading(tmp_path: Path) -> None:
    lines = [
        "Minutes of the meeting",
        "The committee met on Monday.",
        "1. Budget approved",
        "2. Next meeting in May",
    ]
    assert all(e.kind != "title" for e in parse(tmp_path, draw([paragraph(lines)])))


def test_a_tables_rows_stay_rows_and_its_header_is_no_heading(tmp_path: Path) -> None:
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    rows = [["Region", "Product", "Q1", "Q2", "Total"], ["North", "Pumps", "800", "975", "1775"],
            ["South", "Pumps", "455", "530", "985"]]  # fmt: skip
    table = Table(rows)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold")]))
    path = tmp_path / "sales.pdf"
    story = [
        Paragraph("Sales by region", styles["Heading2"]),
        Paragraph("The table lists the sales of the first half year.", styles["BodyText"]),
        table,
    ]
    SimpleDocTemplate(str(path)).build(story)
    elements = parse_file(path, sniffing.PDF).elements
    assert [e.text for e in elements if e.kind == "title"] == ["Sales by region"]
    (table_element,) = [e for e in elements if e.kind == "table"]
    assert table_element.text.splitlines() == [
        "Region | Product | Q1 | Q2 | Total",
        "North | Pumps | 800 | 975 | 1775",
        "South | Pumps | 455 | 530 | 985",
    ]


# --- what the page shows, and nothing else ---


def test_running_headers_footers_and_page_numbers_are_left_out(tmp_path: Path) -> None:
    pages = [
        [
            Text("ACME CONFIDENTIAL", 815, size=8),
            *paragraph([f"Body text of page {n} tells about topic {n * 7}."]),
            Text(f"Page {n} of 3", 30, size=8),
        ]
        for n in (1, 2, 3)
    ]
    text = text_of(parse(tmp_path, draw(pages)))
    assert "Body text of page 2 tells about topic 14." in text
    assert "CONFIDENTIAL" not in text and "of 3" not in text, text


def test_text_outside_the_page_is_left_out(tmp_path: Path) -> None:
    page = [*paragraph(["What the page shows, and nothing else."]), Text("hidden outside", -40)]
    assert "hidden" not in text_of(parse(tmp_path, draw([page])))


def test_a_turned_page_is_read_from_its_text_layer(tmp_path: Path) -> None:
    """A page turned by /Rotate has a text layer as good as any: read, not OCR-ed."""
    from pypdf import PdfReader, PdfWriter

    source = tmp_path / "upright.pdf"
    source.write_bytes(draw([paragraph(["The turned page holds the harbour timetable."])]))
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.pages[0].rotate(90)
    turned = tmp_path / "turned.pdf"
    with turned.open("wb") as f:
        writer.write(f)
    parsed = parse_file(turned, sniffing.PDF)
    assert parsed.ocr_pages == 0
    assert "The turned page holds the harbour timetable." in text_of(parsed.elements)


def _reboxed(
    tmp_path: Path, content: bytes, *, crop: tuple[float, ...] = (), turn: int = 0
) -> Path:
    """`content` with each page's crop box set to `crop` and turned by `turn` degrees."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import RectangleObject

    source = tmp_path / "source.pdf"
    source.write_bytes(content)
    writer = PdfWriter(clone_from=PdfReader(source))
    for page in writer.pages:
        if crop:
            page.cropbox = RectangleObject(crop)
        if turn:
            page.rotate(turn)
    path = tmp_path / "reboxed.pdf"
    with path.open("wb") as f:
        writer.write(f)
    return path


def test_margins_are_measured_on_the_crop_box(tmp_path: Path) -> None:
    """The footer of a page whose crop box starts 250 points up is in its margin there."""
    pages = [
        [*paragraph([f"Body text of page {n} tells about topic {n * 7}."]), Text(f"Page {n}", 262)]
        for n in (1, 2)
    ]
    path = _reboxed(tmp_path, draw(pages), crop=(0, 250, 595, 842))
    text = text_of(parse_file(path, sniffing.PDF).elements)
    assert "Body text of page 2 tells about topic 14." in text
    assert "Page 1" not in text and "Page 2" not in text, text


def test_lines_of_turned_pages_are_not_taken_for_margins(tmp_path: Path) -> None:
    """On a page turned by /Rotate the tops and bottoms of lines are its sides: a line
    repeated on two such pages is text, not a running header."""
    pages = [
        [*paragraph(["Harbour timetable"]), *paragraph([f"Ferries leave at {n} pm."], top=700)]
        for n in (5, 6)
    ]
    parsed = parse_file(_reboxed(tmp_path, draw(pages), turn=90), sniffing.PDF)
    text = text_of(parsed.elements)
    assert parsed.ocr_pages == 0 and text.count("Harbour timetable") == 2, text
    assert "Ferries leave at 6 pm." in text


# --- the isolated child, the limits and the reasons stay ---


@pytest.mark.timeout(300)
async def test_the_isolated_parser_reads_headings_and_hyphens(
    policy_pdf: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "policy.pdf"
    path.write_bytes(policy_pdf)
    parsed = await parse_isolated(path, sniffing.PDF, limits=ParseLimits(), isolation=Isolation())
    assert ("4. Parental Leave", 1) in [(e.text, e.depth) for e in parsed.elements]
    assert parsed.page_count == 1


def test_an_encrypted_pdf_is_still_encrypted(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    source = tmp_path / "plain.pdf"
    source.write_bytes(draw([paragraph(["A secret plan for the harbour."])]))
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="secret", owner_password="owner")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as f:
        writer.write(f)
    with pytest.raises(IngestionError) as info:
        parse_file(locked, sniffing.PDF)
    assert info.value.code is ErrorCode.ENCRYPTED


def test_the_page_limit_still_holds(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    path.write_bytes(draw([paragraph([f"Page {n} of the long report."]) for n in range(5)]))
    with pytest.raises(IngestionError) as info:
        parse_file(path, sniffing.PDF, limits=ParseLimits(max_pages=4))
    assert info.value.code is ErrorCode.TOO_LARGE


# --- through the API ---

server = module_server("pdf")


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_sections_of_a_policy_pdf_through_the_api(server: DocentServer, policy_pdf: bytes) -> None:

    async def check() -> None:
        document_id = await upload_ready(server, "policy.pdf", policy_pdf)
        for words, heading in SECTIONS:
            chunks = await keyword_chunks(server, document_id, words)
            (chunk,) = [c for c in chunks if words in " ".join(c["text"].split())][:1]
            assert chunk["section"].endswith(heading), (words, chunk)
            assert chunk["page"] == 1

    asyncio.run(check())


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_line_ends_through_the_api(server: DocentServer) -> None:
    lines = [
        "Our new platform brings many capabili-",
        "ties that the team tested with cost-",
        "effective methods and a well-",
        "known approach.",
    ]
    content = draw([[*FORM[:2], HEADING, *paragraph(lines, top=740)]])

    async def check() -> None:
        document_id = await upload_ready(server, "lines.pdf", content)
        chunks = await keyword_chunks(server, document_id, "capabilities")
        text = " ".join(" ".join(c["text"].split()) for c in chunks)
        assert "many capabilities that the team tested with cost-effective methods" in text
        assert "a well-known approach" in text, text
        chunks = await keyword_chunks(server, document_id, "condensate")
        (chunk,) = [c for c in chunks if "condensate return" in " ".join(c["text"].split())]
        assert chunk["section"] == HEADING.text, chunk

    asyncio.run(check())
