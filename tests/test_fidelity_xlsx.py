"""XLSX read as Excel shows it (issue 12): a merged cell's value on every row and column it
spans, formulas as their values (cached when saved, computed when not), no column ever
dropped. Workbooks are made here with openpyxl (cached values written into its XML, as
Excel saves them), parsed as the worker parses them; the last test goes through the server."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.parsing import ParseLimits, parse_file, sniffing
from docent.ingestion.parsing.grids import Merge, spread_merges
from docent.ingestion.parsing.sheets import cell_text

from support.office import uploaded_chunks, with_cached_values
from support.samples import make_xlsx
from support.servers import DocentServer

SALES: list[list[Any]] = [
    ["Region", "Product", "First half", None, "Total"],
    [None, None, "Q1", "Q2"],
    ["North", "Valves", 1200, 1350, "=C3+D3"],
    [None, "Pumps", 800, 975, "=C4+D4"],
    ["South", "Valves", 640, 710, "=C5+D5"],
    [None, "Pumps", 455, 530, "=C6+D6"],
    ["Grand total", None, None, None, "=SUM(E3:E6)"],
]
SALES_MERGES = ["A3:A4", "A5:A6", "C1:D1"]
SALES_LINES = [
    "Region | Product | First half | First half | Total",
    "North | Valves | 1200 | 1350 | 2550",
    "North | Pumps | 800 | 975 | 1775",
    "South | Valves | 640 | 710 | 1350",
    "South | Pumps | 455 | 530 | 985",
    "Grand total |  |  |  | 6660",
]


def workbook(
    path: Path, sheets: dict[str, list[list[Any]]], merges: dict[str, list[str]] | None = None
) -> Path:
    make_xlsx(path, sheets)
    if merges:
        from openpyxl import load_workbook

        book = load_workbook(path)
        for name, ranges in merges.items():
            for cells in ranges:
                book[name].merge_cells(cells)
        book.save(str(path))
    return path


def lines_of(path: Path) -> list[str]:
    return [line for e in parse_file(path, sniffing.XLSX).elements for line in e.text.split("\n")]


def test_merged_cells_and_formulas_saved_without_values(tmp_path: Path) -> None:
    path = workbook(tmp_path / "sales.xlsx", {"Sales": SALES}, {"Sales": SALES_MERGES})
    lines = lines_of(path)
    for line in SALES_LINES:
        assert line in lines, (line, lines)


def test_formulas_saved_with_values_show_the_saved_value(tmp_path: Path) -> None:
    rows = [row[:] for row in SALES]
    rows[6][4] = "=MYMACRO(E3:E6)"  # a function only the author's Excel has: never computed
    path = workbook(tmp_path / "sales.xlsx", {"Sales": rows}, {"Sales": SALES_MERGES})
    cached = {"E3": "2550", "E4": "1775", "E5": "1350", "E6": "985", "E7": "6660"}
    lines = lines_of(with_cached_values(path, 1, cached))
    for line in SALES_LINES:
        assert line in lines, (line, lines)


#: id -> (rows of one sheet, a line the sheet must read as)
FORMULAS: dict[str, tuple[list[list[Any]], str]] = {
    "arithmetic and SUM": ([["a", 2, 3, "=B1*C1+SUM(B1:C1)"]], "a | 2 | 3 | 11"),
    "text functions and IF": (
        [["Ann", 31, '=IF(B1>30,"senior","junior")', '=CONCATENATE(A1," (",B1,")")']],
        "Ann | 31 | senior | Ann (31)",
    ),
    "lookup": (
        [["P-40", 12.5], ["P-41", 14], ["price", '=VLOOKUP("P-41",A1:B2,2,FALSE)']],
        "price | 14",
    ),
    "a formula pycel cannot compute shows as written": (
        [["x", "=NOSUCHFUNCTION(1)"]],
        "x | =NOSUCHFUNCTION(1)",
    ),
}


@pytest.mark.parametrize("case", list(FORMULAS))
def test_formulas_saved_without_values_are_computed(case: str, tmp_path: Path) -> None:
    rows, line = FORMULAS[case]
    assert line in lines_of(workbook(tmp_path / "f.xlsx", {"Sheet": rows})), case


def test_formulas_across_sheets_and_in_date_and_percent_formats(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = workbook(
        tmp_path / "two.xlsx",
        {
            "Orders": [["Item", "Qty"], ["bolts", 40], ["nuts", 60]],
            "Summary": [
                ["Total", "=SUM(Orders!B2:B3)"],
                ["Share of bolts", "=Orders!B2/B1"],
                ["Due", "=DATE(2024,3,1)"],
            ],
        },
    )
    book = load_workbook(path)
    book["Summary"]["B2"].number_format = "0.0%"
    book["Summary"]["B3"].number_format = "yyyy-mm-dd"
    book.save(str(path))
    lines = lines_of(path)
    assert "Total | 100" in lines
    assert "Share of bolts | 40.0%" in lines
    assert "Due | 2024-03-01" in lines


def test_number_formats_show_as_in_excel(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = workbook(
        tmp_path / "prices.xlsx",
        {"Prices": [["Item", "Price", "Stock", "Rate"], ["Rabies vaccine", 32, 1500, 0.2]]},
    )
    book = load_workbook(path)
    sheet = book["Prices"]
    sheet["B2"].number_format = '#,##0.00 "€"'
    sheet["C2"].number_format = "#,##0"
    sheet["D2"].number_format = "0%"
    book.save(str(path))
    assert "Rabies vaccine | 32.00 € | 1,500 | 20%" in lines_of(path)


def test_no_value_is_taken_for_missing(tmp_path: Path) -> None:
    # pandas (under unstructured) reads these as NaN: the "Code" column vanished
    rows = [["Region", "Code", "Share"], ["North America", "NA", "N/A"], ["Namibia", "NA", "#N/A"],
            ["Nowhere", "null", "None"]]  # fmt: skip
    lines = lines_of(workbook(tmp_path / "codes.xlsx", {"Sheet": rows}))
    assert "North America | NA | N/A" in lines
    assert "Namibia | NA | #N/A" in lines
    assert "Nowhere | null | None" in lines


def test_sheets_titles_banners_and_sparse_columns(tmp_path: Path) -> None:
    far = [["Name", "Team"] + [None] * 20 + ["Badge"], ["Ida", "Ops"] + [None] * 20 + ["B-17"]]
    path = workbook(
        tmp_path / "staff.xlsx",
        {
            "Staff": [["Staff list 2024"], *far],
            "Rooms": [["Rooms"], ["Room", "Seats"], ["Atlas", 12]],
            "Names": [["Ann"], ["Bob"], ["Cid"]],
        },
        {"Staff": ["A1:W1"]},
    )
    parsed = parse_file(path, sniffing.XLSX)
    got = [(e.page, e.kind, e.text) for e in parsed.elements]
    assert got == [
        (1, "title", "Staff"),
        (1, "title", "Staff list 2024"),  # a banner merged across the table: once
        (1, "table", "Name | Team | Badge\nIda | Ops | B-17"),  # no empty columns between
        (2, "title", "Rooms"),  # the banner that repeats the sheet's name is not said twice
        (2, "table", "Room | Seats\nAtlas | 12"),
        (3, "title", "Names"),
        (3, "table", "Ann\nBob\nCid"),  # one column: a list, not headings
    ]
    assert parsed.page_count == 3


def test_a_sheet_with_nothing_to_search_for_gets_no_heading(tmp_path: Path) -> None:
    # its tab's name alone is not content: the document stays NO_TEXT, as it was (since the
    # parse-time check of words, the parse says so itself; a heading "Icons" would pass it)
    path = workbook(tmp_path / "icons.xlsx", {"Icons": [["🤠😅"]]})
    with pytest.raises(IngestionError) as refused:
        parse_file(path, sniffing.XLSX)
    assert refused.value.code is ErrorCode.NO_TEXT


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (800.0, "General", "800"),
        (1234.5, "General", "1234.5"),
        (0.1 + 0.2, "General", "0.3"),
        (0.25, "0%", "25%"),
        (0.256, "0.0%", "25.6%"),
        (0.5, '0.00" %"', "0.50 %"),  # a quoted % is literal text, not a percentage
        (68, "0.00", "68.00"),  # a whole price under two decimals, as the sheet shows it
        (68.95, "0.00", "68.95"),
        (1234567, "#,##0", "1,234,567"),
        (1234.5, "#,##0.00", "1,234.50"),
        (19.5, '"£"#,##0.00', "£19.50"),
        (29.5, "#,##0.00 [$€-407]", "29.50 €"),
        (29.5, '#,##0.00\\ "€"', "29.50 €"),
        (-3, "0.00;(0.00)", "(3.00)"),
        (-3, "[Red]0.00;[Blue]-0.00", "-3.00"),
        (12, "_($* #,##0.00_)", "$12.00"),  # the fill between $ and the number collapses
        (0.125, "# ?/?", "1/8"),
        (12345, "0.00E+00", "1.23E+04"),
        (1e300, "0.00", "1e+300"),  # Excel would not print 303 digits: General
        (float("nan"), "0.00", "nan"),
        (True, "General", "TRUE"),
        (dt.datetime(2024, 3, 1), "yyyy-mm-dd", "2024-03-01"),
        (dt.datetime(2024, 3, 1, 14, 30), "m/d/yy h:mm", "2024-03-01 14:30"),
        (dt.time(9, 5), "h:mm", "09:05"),
        ("Pumpe P-40\nmit Motorschutz", "General", "Pumpe P-40 mit Motorschutz"),
    ],
)
def test_cell_values_read_as_excel_shows_them(value: Any, number_format: str, shown: str) -> None:
    assert cell_text(value, number_format) == shown


def test_formula_computing_has_a_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from docent.ingestion.parsing import sheets

    monkeypatch.setattr(sheets, "FORMULA_BUDGET_S", 0.0)
    lines = lines_of(workbook(tmp_path / "f.xlsx", {"Sheet": [["a", 2, "=B1*2"]]}))
    assert "a | 2 | =B1*2" in lines  # past the budget: as written, never nothing


def test_a_workbook_over_the_character_limit_is_too_large(tmp_path: Path) -> None:
    from docent.errors import IngestionError

    path = workbook(tmp_path / "big.xlsx", {"Sheet": [[f"row {i}", "x" * 50] for i in range(100)]})
    with pytest.raises(IngestionError) as raised:
        parse_file(path, sniffing.XLSX, limits=ParseLimits(max_chars=2000))
    assert raised.value.code.value == "TOO_LARGE"


def test_a_range_merged_over_a_sparse_sheet_is_too_large_before_it_is_spread(
    tmp_path: Path,
) -> None:
    from docent.errors import IngestionError

    # 600 short cells along the right and bottom edges, one label merged over the
    # 299 x 300 cells between them: spread, 90,000 cells (a 10 KB file)
    rows: list[list[Any]] = [[None] * 299 + [f"r{i}"] for i in range(300)]
    rows[0][0] = "label"
    rows.append([f"c{i}" for i in range(300)])
    path = workbook(tmp_path / "bomb.xlsx", {"Sheet": rows}, {"Sheet": ["A1:KM300"]})
    with pytest.raises(IngestionError) as raised:
        parse_file(path, sniffing.XLSX, limits=ParseLimits(max_chars=100_000))
    assert raised.value.code.value == "TOO_LARGE"

    # and the spreading stops at its room rather than writing all 90,000 cells first
    grid = {row: {300: f"r{row}"} for row in range(1, 301)}
    grid[1][1] = "label"
    grid[301] = {column: f"c{column}" for column in range(1, 301)}
    written = spread_merges(grid, [Merge(1, 1, 300, 299)], room=1_000)
    assert 1_000 < written < 1_100
    assert sum(len(cells) for cells in grid.values()) < 1_000


@pytest.mark.e2e
def test_merged_cells_and_formulas_through_the_server(
    docent_server: DocentServer, tmp_path: Path
) -> None:
    path = workbook(tmp_path / "sales.xlsx", {"Sales": SALES}, {"Sales": SALES_MERGES})
    chunks = asyncio.run(uploaded_chunks(docent_server, "sales.xlsx", path.read_bytes()))
    lines = [line for chunk in chunks for line in chunk["text"].split("\n")]
    for line in SALES_LINES:
        assert line in lines, (line, lines)
    assert {chunk["section"] for chunk in chunks} == {"Sales"}
