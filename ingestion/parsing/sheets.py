"""Excel workbooks (XLSX): every worksheet as a person sees it in Excel.

Each worksheet is a section named after its tab (its page is its position, from 1), its
cells read by openpyxl (read-only, streamed) and rendered as table rows (`grids`):

- every cell with a value is kept: no text is read as "missing" (pandas, under
  unstructured, reads "NA", "N/A", "null", "#N/A" as no value and drops a column of them);
- a merged range's value is repeated on every row and column it spans;
- a formula shows its value: the one Excel cached when it saved the file, or, for a
  workbook saved without them (openpyxl and other generators write none), the value
  pycel computes. A formula pycel cannot compute, or any past the time budget, shows
  as written ("=SUM(E3:E6)") rather than as nothing;
- numbers read as their cell's number format shows them (68.00 under "0.00", 1,234,567
  under "#,##0", £19.50, 25%: `number_formats`), General ones as Excel's General shows
  them (800, not 800.0); dates as ISO 8601 (2024-03-01), booleans as TRUE / FALSE.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.chunking import MIN_WORD_CHARS, Element
from docent.ingestion.parsing import number_formats
from docent.ingestion.parsing.base import ParsedDocument, ParseLimits
from docent.ingestion.parsing.grids import Grid, Merge, blocks, spread_merges, table_elements
from docent.ingestion.parsing.tables import CELL_SEPARATOR

log = logging.getLogger(__name__)

#: Seconds spent computing formulas saved without a value, per workbook. pycel computes
#: ~300-500 formulas a second on one core (benchmarks/formats.py's machine); past this, the
#: rest show their formula, so that a generated workbook of 100,000 formulas still parses
#: well within DOCENT_PARSE_TIMEOUT_S.
FORMULA_BUDGET_S = 30.0

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]{1,3}\d+)(?::([A-Z]{1,3}\d+))?"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_WORD = re.compile(r"\w")
_PARSER = dict(resolve_entities=False, no_network=True)


def read_workbook(path: Path, limits: ParseLimits) -> ParsedDocument:
    """The elements of each worksheet of the XLSX at `path`, in tab order."""
    from openpyxl import load_workbook

    # Opened as a file: openpyxl refuses a path without an .xlsx name (stored blobs have none).
    with path.open("rb") as file, zipfile.ZipFile(file) as package:
        workbook = load_workbook(file, read_only=True, data_only=True, keep_links=False)
        try:
            sheets = workbook.worksheets  # not chart sheets: they hold no cells
            parts = {sheet.title: getattr(sheet, "_worksheet_path", "") for sheet in sheets}
            merges = {title: _merges(package, part) for title, part in parts.items()}
            uncached = {title: _uncached(package, part) for title, part in parts.items()}
            computed = _compute(file, uncached) if any(uncached.values()) else {}
            elements: list[Element] = []
            chars = 0
            for page, sheet in enumerate(sheets, start=1):
                # Counted as the cells are read and spread, before a huge sheet (or a
                # range merged over thousands of rows and columns) fills the memory.
                grid, read = _grid(sheet, computed.get(sheet.title, {}), limits.max_chars - chars)
                chars += read
                chars += spread_merges(grid, merges[sheet.title], limits.max_chars - chars)
                if chars > limits.max_chars:
                    raise IngestionError(
                        ErrorCode.TOO_LARGE,
                        f"this Excel workbook holds more than {limits.max_chars:,} characters "
                        "of text, over the limit (DOCENT_MAX_CHARS)",
                    )
                elements += _sheet_elements(sheet.title, grid, page)
        finally:
            workbook.close()
    return ParsedDocument(elements=elements, page_count=len(sheets) or None)


def _sheet_elements(title: str, grid: Grid, page: int) -> Iterator[Element]:
    """The sheet's name as its heading, then each table on it (`grids.blocks`); a banner
    that repeats the sheet's name is not said twice. A sheet with nothing to search for
    (too few word characters for a chunk, as two emoji) gets no heading either: its tab's
    name alone is not content."""
    tables = [table_elements(rows, page=page, depth=1) for rows in blocks(grid)]
    words = sum(len(_WORD.findall(e.text)) for elements in tables for e in elements)
    if words >= MIN_WORD_CHARS:
        yield Element(" ".join(title.split()) or f"Sheet {page}", "title", page, 0)
    for elements in tables:
        for element in elements:
            if element.kind != "table" and _same(element.text, title):
                continue
            yield element


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _grid(sheet: Any, computed: dict[tuple[int, int], Any], room: int) -> tuple[Grid, int]:
    """The sheet's cells as text, by row and column, computed values where Excel cached
    none; and the characters they hold, cell separators included. Past `room` of them it
    stops reading (the caller says TOO_LARGE)."""
    sheet.reset_dimensions()  # the stored dimension can claim a million empty rows
    grid: Grid = {}
    chars = 0
    for row in sheet.iter_rows():
        for cell in row:
            value = getattr(cell, "value", None)
            if value is None and computed:
                value = computed.get((getattr(cell, "row", 0), getattr(cell, "column", 0)))
                if isinstance(value, float | int) and not isinstance(value, bool) and cell.is_date:
                    value = _from_serial(value)
            text = value if isinstance(value, Written) else cell_text(value, cell.number_format)
            if text:
                grid.setdefault(cell.row, {})[cell.column] = text
                chars += len(text) + len(CELL_SEPARATOR)
        if chars > room:
            break
    return grid, chars


class Written(str):
    """A formula shown as written, for want of its value."""


def _from_serial(number: float) -> Any:
    """A date cell's computed value (pycel gives Excel serial numbers) as a date."""
    from openpyxl.utils.datetime import from_excel

    try:
        return from_excel(number)
    except (OverflowError, ValueError):
        return number


def cell_text(value: Any, number_format: str = "General") -> str:
    """A cell's value as Excel shows it: under its number format (`number_formats`), or
    General, percentage and date formats as docent writes them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, (int, float)):
        shown = number_formats.displayed(value, number_format or "General")
        if shown is not None:
            return shown
        decimals = _percent_decimals(number_format)
        if decimals is not None:
            return f"{value * 100:.{decimals}f}%"
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g") if isinstance(value, float) else str(value)
    return " ".join(str(value).split())  # line breaks inside a cell read as spaces


def _percent_decimals(number_format: str) -> int | None:
    """The decimals of a percentage format ("0.0%" -> 1), None for any other format."""
    bare = re.sub(r'"[^"]*"|\\.', "", number_format or "").split(";")[0]
    if "%" not in bare:
        return None
    match = re.search(r"\.(0+)", bare)
    return len(match.group(1)) if match else 0


def _merges(package: zipfile.ZipFile, part: str) -> list[Merge]:
    """The merged ranges of a worksheet part (read from its XML: openpyxl's read-only
    worksheets do not expose them)."""
    from openpyxl.utils.cell import coordinate_to_tuple

    data = _read(package, part)
    merges = []
    for first, last in _MERGE.findall(data):
        top, left = coordinate_to_tuple(first.decode())
        bottom, right = coordinate_to_tuple((last or first).decode())
        merges.append(Merge(top, left, bottom, right))
    return merges


def _uncached(package: zipfile.ZipFile, part: str) -> list[str]:
    """The cells of a worksheet part holding a formula saved without its value."""
    data = _read(package, part)
    if not _FORMULA.search(data):
        return []
    found = []
    for _, element in etree.iterparse(io.BytesIO(data), tag=("{*}c", "{*}row"), **_PARSER):
        if etree.QName(element).localname == "row":
            element.clear()
            while element.getprevious() is not None:  # keep memory flat on a large sheet
                del element.getparent()[0]
            continue
        children = {etree.QName(child).localname: child for child in element}
        value = children.get("v")
        if "f" in children and (value is None or not (value.text or "").strip()):
            found.append(element.get("r", ""))
    return [coordinate for coordinate in found if coordinate]


def _read(package: zipfile.ZipFile, part: str) -> bytes:
    try:
        return package.read(part.lstrip("/"))
    except KeyError:
        return b""


def _compute(
    file: IO[bytes], uncached: dict[str, list[str]]
) -> dict[str, dict[tuple[int, int], Any]]:
    """The values of formulas saved without one, computed by pycel (an Excel formula
    evaluator) within FORMULA_BUDGET_S; a formula it cannot compute stays as written."""
    from openpyxl import load_workbook
    from openpyxl.utils.cell import coordinate_to_tuple
    from pycel import ExcelCompiler

    # pycel logs each evaluation, and each failing one with its traceback.
    logging.getLogger("pycel").setLevel(logging.CRITICAL)
    deadline = time.monotonic() + FORMULA_BUDGET_S
    workbook = load_workbook(file, keep_links=False)
    compiler = ExcelCompiler(excel=workbook)
    results: dict[str, dict[tuple[int, int], Any]] = {}
    skipped = 0
    for title, coordinates in uncached.items():
        sheet = workbook[title]
        quoted = "'" + title.replace("'", "''") + "'"
        for coordinate in coordinates:
            formula = sheet[coordinate].value  # a string, or an ArrayFormula with its text
            value: Any = Written(str(getattr(formula, "text", formula) or ""))
            if time.monotonic() < deadline:
                try:
                    computed = compiler.evaluate(f"{quoted}!{coordinate}")
                except Exception:  # pycel raises its own and Python's errors on a formula
                    log.debug("formula %s!%s not computed", title, coordinate, exc_info=True)
                else:
                    # None: nothing computed; a tuple: an array formula's range
                    if computed is not None and not isinstance(computed, tuple):
                        value = computed
            else:
                skipped += 1
            results.setdefault(title, {})[coordinate_to_tuple(coordinate)] = value
    if skipped:
        log.info("%d formulas shown as written: over the %gs budget", skipped, FORMULA_BUDGET_S)
    return results
