"""DOCX read as Word shows it (issue 12): text boxes read once, footnotes and endnotes after
their paragraph, tracked changes as accepted, comments left out, content controls and
other wrappers read in place, headers kept. Each case is a document written here in raw
WordprocessingML, parsed as the worker parses it; the last test goes through the server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from docent.ingestion.parsing import parse_file, sniffing
from docent.ingestion.parsing.word import format_number

from support.office import drawing_text_box, make_docx, p, r, uploaded_chunks, vml_text_box
from support.servers import DocentServer

HOST = "Please read the notes in the box beside this paragraph."


def footnote_reference(i: int, kind: str = "footnote") -> str:
    return f'<w:r><w:{kind}Reference w:id="{i}"/></w:r>'


def table(*rows: str) -> str:
    return "<w:tbl>" + "".join(rows) + "</w:tbl>"


def row(*cells: str, deleted: bool = False) -> str:
    properties = '<w:trPr><w:del w:id="9" w:author="A"/></w:trPr>' if deleted else ""
    return f"<w:tr>{properties}" + "".join(f"<w:tc>{c}</w:tc>" for c in cells) + "</w:tr>"


def ins(content: str, tag: str = "ins") -> str:
    return (
        f'<w:{tag} w:id="1" w:author="Reviewer" w:date="2024-05-02T10:00:00Z">{content}</w:{tag}>'
    )


def deleted(text: str, tag: str = "del") -> str:
    return (
        f'<w:{tag} w:id="2" w:author="Reviewer" w:date="2024-05-02T10:00:00Z"><w:r>'
        f'<w:delText xml:space="preserve">{text}</w:delText></w:r></w:{tag}>'
    )


#: id -> (body, make_docx keywords, texts that must be read once each and in this order,
#: texts that must not be read anywhere)
CASES: dict[str, tuple[str, dict[str, Any], list[str], list[str]]] = {
    "DrawingML text box with its VML fallback: read once, after its paragraph": (
        f"<w:p>{r(HOST)}{drawing_text_box('Assembly point: the north car park.')}</w:p>"
        + p("Report every incident."),
        {},
        [HOST, "Assembly point: the north car park.", "Report every incident."],
        [],
    ),
    "DrawingML text box without a fallback": (
        f"<w:p>{r(HOST)}{drawing_text_box('Gate code 2291.', fallback=False)}</w:p>",
        {},
        [HOST, "Gate code 2291."],
        [],
    ),
    "legacy VML text box": (
        f"<w:p>{r(HOST)}{vml_text_box('First-aid officer: extension 4471.')}</w:p>",
        {},
        [HOST, "First-aid officer: extension 4471."],
        [],
    ),
    "two text boxes anchored in one paragraph keep their order": (
        f"<w:p>{r(HOST)}{vml_text_box('Box one.')}{drawing_text_box('Box two.')}</w:p>",
        {},
        [HOST, "Box one.", "Box two."],
        [],
    ),
    "text box inside a table cell": (
        table(row(p("Zone"), f"<w:p>{r('Note')}{vml_text_box('Hard hats required.')}</w:p>")),
        {},
        ["Hard hats required."],
        [],
    ),
    "text box in the header": (
        p("Body text of the page."),
        {"header": f"<w:p>{r('Site 7')}{vml_text_box('Confidential draft')}</w:p>"},
        ["Confidential draft"],
        [],
    ),
    "footnote after its paragraph, led by its number": (
        f"<w:p>{r('Revenue grew by 12 percent.')}{footnote_reference(1)}</w:p>"
        + f"<w:p>{r('Costs fell.')}{footnote_reference(2)}</w:p>"
        + p("Outlook is stable."),
        {"footnotes": {1: "Source: annual report 2023.", 2: "Excluding one-off items."}},
        [
            "Revenue grew by 12 percent.",
            "1 Source: annual report 2023.",
            "Costs fell.",
            "2 Excluding one-off items.",
            "Outlook is stable.",
        ],
        [],
    ),
    "endnote after its paragraph, in Word's roman numbering": (
        f"<w:p>{r('The method is described elsewhere.')}{footnote_reference(5, 'endnote')}</w:p>",
        {"endnotes": {5: "See appendix B for the full method."}},
        ["The method is described elsewhere.", "i See appendix B for the full method."],
        [],
    ),
    "footnote with a custom mark": (
        '<w:p><w:r><w:t xml:space="preserve">Prices exclude tax</w:t></w:r><w:r>'
        '<w:footnoteReference w:customMarkFollows="1" w:id="3"/></w:r><w:r><w:t>*</w:t></w:r></w:p>',
        {"footnotes": {3: "Tax is 21 percent."}},
        # (unstructured reads a paragraph led by "*" as a bulleted list item, without it)
        ["Prices exclude tax*", "Tax is 21 percent."],
        [],
    ),
    "tracked insertions in, deletions out": (
        "<w:p>"
        + r("Invoices are payable within ")
        + deleted("90 days")
        + ins(r("30 days"))
        + r(" of receipt.")
        + "</w:p>",
        {},
        ["Invoices are payable within 30 days of receipt."],
        ["90 days"],
    ),
    "a tracked move reads at its destination only": (
        "<w:p>"
        + deleted("Moved sentence. ", "moveFrom")
        + r("Fixed sentence.")
        + "</w:p><w:p>"
        + ins(r("Moved sentence."), "moveTo")
        + "</w:p>",
        {},
        ["Fixed sentence.", "Moved sentence."],
        ["Moved sentence. Fixed"],
    ),
    "a tracked deleted table row is gone, an inserted paragraph is there": (
        table(
            row(p("Item"), p("Price")),
            row(p("Old widget"), p("17 EUR"), deleted=True),
            row(p("New widget"), p("19 EUR")),
        )
        + '<w:p><w:pPr><w:rPr><w:ins w:id="7" w:author="A"/></w:rPr></w:pPr>'
        + ins(r("Prices valid until June."))
        + "</w:p>"
        + f"<w:p>{ins(r('Inserted whole paragraph.'))}</w:p>",
        {},
        ["Prices valid until June.", "Inserted whole paragraph."],
        ["Old widget", "17 EUR"],
    ),
    "insertion inside a hyperlink": (
        '<w:p><w:hyperlink w:anchor="tariffs">'
        + ins(r("the tariff page"))
        + "</w:hyperlink></w:p>",
        {},
        ["the tariff page"],
        [],
    ),
    "comments left out, the commented text kept": (
        '<w:p><w:commentRangeStart w:id="0"/>'
        + r("Delivery within five working days.")
        + '<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r></w:p>',
        {"comments": {0: "Legal wants ten days here, please check."}},
        ["Delivery within five working days."],
        ["Legal wants ten days"],
    ),
    "content controls, smart tags and simple fields read in place": (
        "<w:sdt><w:sdtPr><w:alias w:val='Cover'/></w:sdtPr><w:sdtContent>"
        + p("Annual maintenance plan")
        + "</w:sdtContent></w:sdt><w:p>"
        + r("Owner: ")
        + "<w:sdt><w:sdtPr/><w:sdtContent>"
        + r("Facilities team")
        + "</w:sdtContent></w:sdt>"
        + '<w:smartTag w:uri="urn:x" w:element="place">'
        + r(", Rotterdam")
        + '</w:smartTag><w:fldSimple w:instr=" DATE ">'
        + r(", 2 May 2024")
        + "</w:fldSimple></w:p>",
        {},
        ["Annual maintenance plan", "Owner: Facilities team, Rotterdam, 2 May 2024"],
        [],
    ),
    "the header is kept as today": (
        p("Body text of the page."),
        {"header": p("Acme Corporation internal")},
        ["Acme Corporation internal", "Body text of the page."],
        [],
    ),
}


def parse_texts(path: Path) -> list[str]:
    return [e.text for e in parse_file(path, sniffing.DOCX).elements]


@pytest.mark.parametrize("case", list(CASES))
def test_docx_reads_as_word_shows_it(case: str, tmp_path: Path) -> None:
    body, extra, in_order, absent = CASES[case]
    texts = parse_texts(make_docx(tmp_path / "case.docx", body, **extra))
    everything = "\n".join(texts)
    positions = [everything.find(text) for text in in_order]
    assert -1 not in positions and positions == sorted(positions), (in_order, texts)
    for text in in_order:
        assert everything.count(text) == 1, (text, texts)  # read once
    for text in absent:
        assert text not in everything, (text, texts)


def test_a_document_without_such_markup_is_read_from_the_file_itself(tmp_path: Path) -> None:
    from docent.ingestion.parsing.word import as_shown

    plain = make_docx(tmp_path / "plain.docx", p("Nothing special here."))
    assert as_shown(plain, tmp_path / "copy.docx") == plain
    assert not (tmp_path / "copy.docx").exists()


@pytest.mark.parametrize(
    ("number", "number_format", "mark"),
    [
        (1, "decimal", "1"),
        (4, "lowerRoman", "iv"),
        (14, "upperRoman", "XIV"),
        (2, "lowerLetter", "b"),
        (27, "upperLetter", "AA"),
        (3, "chicago", "3"),
    ],
)
def test_note_marks_in_word_number_formats(number: int, number_format: str, mark: str) -> None:
    assert format_number(number, number_format) == mark


@pytest.mark.e2e
def test_text_boxes_notes_and_revisions_through_the_server(
    docent_server: DocentServer, tmp_path: Path
) -> None:
    body = (
        p("Payment terms", "Heading1")
        + f"<w:p>{r('Invoices are payable within ')}{deleted('90 days')}{ins(r('30 days'))}"
        + f"{r(' of receipt.')}{footnote_reference(1)}"
        + f"{drawing_text_box('Assembly point: the north car park beside the water tower.')}</w:p>"
    )
    document = make_docx(
        tmp_path / "terms.docx",
        body,
        footnotes={1: "Receipt means the day the invoice reaches accounts."},
        comments={0: "An unprinted remark."},
    )
    chunks = asyncio.run(uploaded_chunks(docent_server, "terms.docx", document.read_bytes()))
    text = " ".join(" ".join(c["text"].split()) for c in chunks)
    assert "payable within 30 days of receipt" in text
    assert "90 days" not in text
    assert "1 Receipt means the day the invoice reaches accounts." in text
    assert text.count("Assembly point: the north car park beside the water tower.") == 1
    for phrase in ("30 days", "Receipt means", "Assembly point"):
        assert {c["section"] for c in chunks if phrase in c["text"]} == {"Payment terms"}
