"""PDF tables whose cells wrap over several lines (issue 13): a row's values stay with its
label and under their header, whether a description, a name or a header runs over two or
three lines; the paragraph after a table stays out of it. Tables drawn with reportlab
(`Table` with `Paragraph` cells that wrap, as report generators make them), read through
the parser."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest

from docent.ingestion.chunking import Element
from docent.ingestion.parsing import parse_file, sniffing
from docent.ingestion.parsing.pdf_lines import CELL, Line
from docent.ingestion.parsing.pdf_tables import MAX_WINDOW, table_at

from support.pdfs import Text, draw

pytest.importorskip("reportlab")


#: A page is read from its text layer when that reads as words (a page of figures is OCR'd).
INTRODUCTION = (
    "This leaflet tells you who we are, what our treatments cost and what to expect before "
    "and after your first visit. Please keep it for reference."
)


def _build(tmp_path: Path, story: list[Any]) -> list[Element]:
    from reportlab.platypus import SimpleDocTemplate, Spacer

    path = tmp_path / "tables.pdf"
    SimpleDocTemplate(str(path)).build([_body(INTRODUCTION), Spacer(1, 12), *story])
    return parse_file(path, sniffing.PDF).elements


def _cell(text: str, *, bold: bool = False) -> Any:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    font = "Helvetica-Bold" if bold else "Helvetica"
    return Paragraph(text, ParagraphStyle("cell", fontName=font, fontSize=9.5, leading=12))


def _table(rows: list[list[str]], widths: list[float], **padding: float) -> Any:
    """A table of wrapping cells, its first row the header (bold), `widths` in points."""
    from reportlab.platypus import Table, TableStyle

    cells = [[_cell(text, bold=i == 0) for text in row] for i, row in enumerate(rows)]
    table = Table(cells, colWidths=widths, hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    if padding:
        table.setStyle(TableStyle([(name, (0, 0), (-1, -1), v) for name, v in padding.items()]))
    return table


def _body(text: str) -> Any:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    return Paragraph(text, ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=12))


def _rows(elements: list[Element]) -> list[str]:
    (table,) = [e for e in elements if e.kind == "table"]
    return table.text.splitlines()


def test_cells_that_wrap_stay_in_their_row(tmp_path: Path) -> None:
    """A long role, a long special interest and a first-column name that each run over two
    lines; one row does not wrap at all."""
    rows = [
        ["Name", "Role", "Special interest", "Registration"],
        ["Dr. Hannah Osei", "Clinical director, consultant physiotherapist", "Spinal pain",
         "PH118204"],
        ["Mr. Tomas Lindqvist", "Senior physiotherapist", "Sports injuries, shockwave",
         "PH130977"],
        ["Mr. Callum Reeve", "Sports massage", "Runners", "PH150033"],
    ]  # fmt: skip
    elements = _build(tmp_path, [_table(rows, [80, 140, 110, 80])])
    assert _rows(elements) == [
        "Name | Role | Special interest | Registration",
        "Dr. Hannah Osei | Clinical director, consultant physiotherapist | Spinal pain | PH118204",
        "Mr. Tomas Lindqvist | Senior physiotherapist | Sports injuries, shockwave | PH130977",
        "Mr. Callum Reeve | Sports massage | Runners | PH150033",
    ]


def test_a_header_over_two_lines_is_one_row(tmp_path: Path) -> None:
    rows = [
        ["Treatment", "Length in minutes", "Fee per session"],
        ["Initial assessment", "60", "£68"],
        ["Follow-up", "30", "£48"],
    ]
    elements = _build(tmp_path, [_table(rows, [150, 60, 60])])
    assert _rows(elements) == [
        "Treatment | Length in minutes | Fee per session",
        "Initial assessment | 60 | £68",
        "Follow-up | 30 | £48",
    ]


def test_a_wrapped_description_in_a_table_without_padding(tmp_path: Path) -> None:
    """Rows as close together as the lines inside a cell (no padding above or below):
    a continuation line is told from a new row by the column it starts in."""
    rows = [
        ["Code", "Description", "Price"],
        ["E01", "Water tank empty or not seated in its place", "£4"],
        ["E03", "Thermoblock overheated", "£9"],
    ]
    table = _table(rows, [60, 140, 60], TOPPADDING=0, BOTTOMPADDING=0)
    assert _rows(_build(tmp_path, [table])) == [
        "Code | Description | Price",
        "E01 | Water tank empty or not seated in its place | £4",
        "E03 | Thermoblock overheated | £9",
    ]


def test_the_paragraph_after_a_table_stays_out_of_it(tmp_path: Path) -> None:
    from reportlab.platypus import Spacer

    rows = [
        ["Day", "Hours"],
        ["Monday to Thursday", "08:00 - 20:00"],
        ["Sunday and bank holidays", "Closed, except for the emergency line"],
    ]
    after = (
        "Appointments on Saturday mornings are kept for working patients and are booked up "
        "to four weeks ahead."
    )
    elements = _build(tmp_path, [_table(rows, [130, 110]), Spacer(1, 4), _body(after)])
    assert _rows(elements) == [
        "Day | Hours",
        "Monday to Thursday | 08:00 - 20:00",
        "Sunday and bank holidays | Closed, except for the emergency line",
    ]
    assert [e.text for e in elements if e.kind == "text"] == [INTRODUCTION, after]


def test_cells_closer_than_a_type_size_are_split_at_the_columns(tmp_path: Path) -> None:
    """A header cell that fills its column ("Covered" over "Yes") stands closer to the next
    than a type size; a row of long cells is no wider than text of its length."""
    rows = [
        ["Section", "Covered", "Sum insured", "Excess"],
        ["Buildings", "Yes", "£350,000", "£250"],
        ["Contents", "Yes", "£45,000", "£100"],
    ]
    elements = _build(tmp_path, [_table(rows, [120, 42, 120, 60], LEFTPADDING=2, RIGHTPADDING=0)])
    assert _rows(elements) == [
        "Section | Covered | Sum insured | Excess",
        "Buildings | Yes | £350,000 | £250",
        "Contents | Yes | £45,000 | £100",
    ]


def test_a_row_of_long_cells_with_one_gap_is_a_row(tmp_path: Path) -> None:
    rows = [
        ["Station", "Replacement stop"],
        ["Kellinghausen Bf", "Bahnhofsvorplatz, Bussteig 4"],
        ["Oberau", "Oberau Markt, Hauptstraße"],
    ]
    elements = _build(tmp_path, [_table(rows, [110, 160])])
    assert _rows(elements) == [
        "Station | Replacement stop",
        "Kellinghausen Bf | Bahnhofsvorplatz, Bussteig 4",
        "Oberau | Oberau Markt, Hauptstraße",
    ]


def test_two_columns_of_text_beside_a_table_stay_text(tmp_path: Path) -> None:
    """A page of two columns drawn one after the other, a small table at the top of the
    first: the lines that share a baseline across the columns are no table's rows."""
    first = [
        "The fees for the spring term are due",
        "before the first lesson, and a second",
        "child gets ten per cent off them all.",
    ]
    second = [
        "Individual lessons in piano, violin and",
        "cello are arranged with each teacher,",
        "Monday to Saturday, between eight in",
        "the morning and nine in the evening.",
        "Instrument hire is for a whole term.",
    ]
    page = [Text("Spring term: timetable and fees", 780, size=14)]
    for i, (item, fee) in enumerate(
        [("Item", "Fee"), ("Group class", "£88"), ("Practice room", "£7")]
    ):
        page += [Text(item, 740 - 12 * i), Text(fee, 740 - 12 * i, x=200)]
    page += [Text(text, 692 - 12 * i) for i, text in enumerate(first)]
    page += [Text(text, 740 - 12 * i, x=320) for i, text in enumerate(second)]
    path = tmp_path / "columns.pdf"
    path.write_bytes(draw([page]))
    elements = parse_file(path, sniffing.PDF).elements
    assert _rows(elements) == ["Item | Fee", "Group class | £88", "Practice room | £7"]
    assert [e.text for e in elements if e.kind == "text"] == [" ".join(first), " ".join(second)]


def test_a_table_drawn_line_by_line_with_wrapped_cells(tmp_path: Path) -> None:
    """The same kind of table drawn a line at a time across all its cells (as many report
    writers draw them): a continuation line with cells in two columns ("Lindqvist",
    "shockwave") is no row of its own, nor is a header's second line."""
    columns = (72, 160, 300, 440)

    def line(y: float, *cells: tuple[int, str], bold: bool = False) -> list[Text]:
        font = "Helvetica-Bold" if bold else "Helvetica"
        return [Text(text, y, x=columns[k], font=font, size=9.5) for k, text in cells]

    page = [Text(INTRODUCTION[:90], 780, size=10.5), Text(INTRODUCTION[90:], 766, size=10.5)]
    page += line(740, (0, "Name"), (1, "Role"), (2, "Special interest"), (3, "HCPC"), bold=True)
    page += line(728, (3, "number"), bold=True)
    page += line(
        713, (0, "Dr. Hannah Osei"), (1, "Clinical director,"), (2, "Spinal pain"), (3, "PH118204")
    )
    page += line(701, (1, "consultant"))
    page += line(
        686,
        (0, "Mr. Tomas"),
        (1, "Senior physiotherapist"),
        (2, "Sports injuries,"),
        (3, "PH130977"),
    )
    page += line(674, (0, "Lindqvist"), (2, "shockwave"))
    page += line(659, (0, "Mr. Callum Reeve"), (1, "Sports massage"), (2, "Runners"), (3, "-"))
    page += [Text("Dr. Osei takes clinical queries from GPs on extension 204.", 638, size=10.5)]
    path = tmp_path / "team.pdf"
    path.write_bytes(draw([page]))
    elements = parse_file(path, sniffing.PDF).elements
    assert _rows(elements) == [
        "Name | Role | Special interest | HCPC number",
        "Dr. Hannah Osei | Clinical director, consultant | Spinal pain | PH118204",
        "Mr. Tomas Lindqvist | Senior physiotherapist | Sports injuries, shockwave | PH130977",
        "Mr. Callum Reeve | Sports massage | Runners | -",
    ]


# --- the rules, over lines as pdf_lines reads them ---


def _line(y: float, *cells: tuple[float, str], bold: bool = False, size: float = 10) -> Line:
    """A line of cells, each (left, text), its words set at half the type size a letter
    and a quarter of it a space."""
    words: list[tuple[float, float]] = []
    for left, text in cells:
        x = left
        for word in text.split(" "):
            words.append((x, x + 0.5 * size * len(word)))
            x = words[-1][1] + 0.25 * size
    return Line(
        text=CELL.join(text for _, text in cells),
        size=size,
        bold=bold,
        left=words[0][0],
        right=words[-1][1],
        baseline=y,
        end_baseline=y,
        words=tuple(words),
    )


COLUMNS = (72.0, 160.0, 300.0, 440.0)


def _rows_of(*lines: Line) -> list[list[str]]:
    table = table_at(list(lines), 0)
    assert table is not None
    return table.rows


@pytest.mark.parametrize(
    ("continuation", "expected"),
    [
        # Rows as close as a cell's lines: a line with nothing in the first column and
        # at most half the columns filled goes on with the row above.
        (
            _line(688, (COLUMNS[1], "too little coffee"), (COLUMNS[2], "tamp harder")),
            [["Fast", "Coarse grind or too little coffee", "Finer grind or tamp harder", "E2"]],
        ),
        # One with the other columns all filled is a row whose first cell is left empty
        # (the label above it holds for it too).
        (
            _line(688, (COLUMNS[1], "Dose"), (COLUMNS[2], "Less coffee"), (COLUMNS[3], "E3")),
            [
                ["Fast", "Coarse grind or", "Finer grind or", "E2"],
                ["", "Dose", "Less coffee", "E3"],
            ],
        ),
    ],
)
def test_a_line_without_a_label_in_a_table_without_padding(
    continuation: Line, expected: list[list[str]]
) -> None:
    header = _line(712, *zip(COLUMNS, ["Symptom", "Cause", "Remedy", "Code"], strict=True))
    row = _line(
        700, *zip(COLUMNS, ["Fast", "Coarse grind or", "Finer grind or", "E2"], strict=True)
    )
    assert _rows_of(header, row, continuation)[1:] == expected


def test_a_bold_header_over_two_lines_then_a_body_row_with_empty_cells() -> None:
    header = _line(712, (COLUMNS[0], "Item"), (COLUMNS[1], "Length in"), bold=True)
    more = _line(700, (COLUMNS[1], "minutes"), bold=True)
    row = _line(688, (COLUMNS[0], "Massage"), (COLUMNS[1], "45"))
    assert _rows_of(header, more, row) == [["Item", "Length in minutes"], ["Massage", "45"]]


def test_a_paragraph_below_a_table_at_the_rows_spacing_is_not_part_of_it() -> None:
    header = _line(712, (COLUMNS[0], "Day"), (COLUMNS[1], "Hours"))
    row = _line(700, (COLUMNS[0], "Friday"), (COLUMNS[1], "08:00 - 17:30"))
    prose = _line(688, (COLUMNS[0], "Appointments on Saturday mornings are kept for workers."))
    table = table_at([header, row, prose], 0)
    assert table is not None
    assert table.rows == [["Day", "Hours"], ["Friday", "08:00 - 17:30"]]
    assert table.lines == [header, row]


# --- hostile pages: the cost of reading a page's tables is linear in its lines ---


def _cpu(call: Any) -> tuple[float, Any]:
    started = time.process_time()
    result = call()
    return time.process_time() - started, result


def test_a_page_of_thousands_of_cells_that_never_line_up_is_read_in_linear_time(
    tmp_path: Path,
) -> None:
    """A 3 KB PDF of 4,000 lines of two cells ("aa", "bb"), each a little right of the
    last and on one of two baselines a line apart, took 34 s of CPU: every line could start
    a table, and each read all the page's lines below it (quadratic). A table is read from
    at most `MAX_WINDOW` lines: 1.4 s. 3,000 lines here (19 s before); every cell's text is
    still in the page's elements."""
    lines = [
        Text(f"aa{n}          bb{n}", 700 + (n % 2) * 12, x=72 + (n % 7) * 3) for n in range(3000)
    ]
    path = tmp_path / "cells.pdf"
    path.write_bytes(draw([lines]))
    parse_file(path, sniffing.PDF)  # imports warmed
    spent, parsed = _cpu(lambda: parse_file(path, sniffing.PDF))
    assert spent < 6.0, spent
    words = {word for element in parsed.elements for word in element.text.split()}
    assert {f"aa{n}" for n in range(3000)} | {f"bb{n}" for n in range(3000)} <= words


def test_a_table_of_thousands_of_columns_is_placed_in_time_linear_in_its_words() -> None:
    """Each word was tested against every column's edge (`_straddles`, `_column_of`): two
    rows of 4,000 cells over a line of 4,000 words took 7.6 s of CPU, 4 times as long for
    twice the columns. The columns' edges are bisected: 0.1 s."""
    count = 4000
    cells = [(10.0 * k, f"c{k}") for k in range(count)]
    rows = [_line(700, *cells, size=1), _line(698.8, *cells, size=1)]
    wide = _line(697.6, (0.0, " ".join(f"w{k}" for k in range(count))), size=1)
    spent, table = _cpu(lambda: table_at([*rows, wide], 0))
    assert spent < 2.0, spent
    assert table is not None and table.rows[0][:3] == ["c0", "c1", "c2"]


def test_a_table_longer_than_a_window_keeps_every_row() -> None:
    """A table of more than `MAX_WINDOW` lines is read as several, one after another: no
    row is lost or split."""
    lines = [
        _line(800 - 1.2 * n, *zip(COLUMNS, [f"r{n}", "x", "y", "z"], strict=True), size=1)
        for n in range(3 * MAX_WINDOW + 5)
    ]
    rows: list[list[str]] = []
    index = 0
    while index < len(lines):
        table = table_at(lines, index)
        assert table is not None
        rows += table.rows
        index += len(table.lines)
    assert rows == [[f"r{n}", "x", "y", "z"] for n in range(len(lines))]


def test_a_page_of_one_paragraph_of_thousands_of_lines_is_read_in_linear_time(
    tmp_path: Path,
) -> None:
    """A page 14,000 points high of 12,000 lines in 1-point type, one paragraph: each line
    measured the whole paragraph before it to tell whether it starts a new one (8,000
    lines took 5 s, 4 times as long for twice the lines). The paragraph's extent is kept as
    it grows: about 2 s, and every line is in it."""
    from reportlab.pdfgen import canvas

    count, height = 12_000, 12_000 * 1.2 + 40
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(600, height))
    pdf.setFont("Helvetica", 1)
    for n in range(count):
        pdf.drawString(10, height - 20 - 1.2 * n, f"lorem ipsum dolor sit amet line{n} elit sed do")
    pdf.showPage()
    pdf.save()
    path = tmp_path / "paragraph.pdf"
    path.write_bytes(buffer.getvalue())
    parse_file(path, sniffing.PDF)  # imports warmed
    spent, parsed = _cpu(lambda: parse_file(path, sniffing.PDF))
    assert spent < 5.0, spent
    words = {word for element in parsed.elements for word in element.text.split()}
    assert {f"line{n}" for n in range(count)} <= words
