"""Grids of cells (worksheets, CSV files, slide tables) as elements: a merged cell's value
on every row and column it spans, headings above a table apart from it, and the table's
rows rendered as `tables.table_text` renders every table.

A grid is sparse: `{row: {column: text}}`, rows and columns counted from 1 as a
spreadsheet counts them, empty cells absent.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from docent.ingestion.chunking import Element
from docent.ingestion.parsing.elements import looks_like_heading
from docent.ingestion.parsing.tables import CELL_SEPARATOR, table_text

Grid = dict[int, dict[int, str]]


@dataclass(frozen=True, slots=True)
class Merge:
    """A merged range, first and last row and column included; its value is the top-left
    cell's."""

    first_row: int
    first_column: int
    last_row: int
    last_column: int


def spread_merges(grid: Grid, merges: Iterable[Merge], room: int | None = None) -> int:
    """Write each merged range's value into every cell it spans, in place: a region label
    spanning two product rows belongs to both rows, a "First half" spanning two quarters
    heads both columns. Returns the characters written; past `room` of them it stops
    (a small file can merge a range over thousands of rows and columns: the caller says
    TOO_LARGE rather than fill the memory).

    Only rows and columns that hold a value of their own are filled: a range reaching into
    empty rows or columns (a title merged across the sheet's width, a label over blank
    spacer rows) does not make them. A row whose only content is one merged range, a banner,
    keeps the value once."""
    rows = sorted(grid)
    columns = sorted({column for cells in grid.values() for column in cells})
    written = 0
    for merge in merges:
        value = grid.get(merge.first_row, {}).get(merge.first_column)
        if not value:
            continue
        start = bisect.bisect_left(rows, merge.first_row)
        end = bisect.bisect_right(rows, merge.last_row)
        left = bisect.bisect_left(columns, merge.first_column)
        right = bisect.bisect_right(columns, merge.last_column)
        for row in rows[start:end]:
            cells = grid[row]
            if row == merge.first_row and len(cells) == 1:
                continue  # a banner: its row holds nothing else
            for column in columns[left:right]:
                if column not in cells:
                    cells[column] = value
                    written += len(value) + len(CELL_SEPARATOR)
                    if room is not None and written > room:
                        return written
    return written


def blocks(grid: Grid) -> Iterator[list[list[str]]]:
    """The grid's tables, each a list of rows of cell texts: rows in order with empty rows
    left out, columns that are empty throughout a table left out.

    An empty row ends a table when the rows after it start a new one, led by a row of a
    single cell (its title) above a row of several; otherwise it is spacing inside a table.
    """
    current: list[dict[int, str]] = []
    previous_row = 0
    rows = sorted(row for row, cells in grid.items() if cells)
    for index, row in enumerate(rows):
        cells = grid[row]
        after_gap = bool(current) and row > previous_row + 1
        titled = len(cells) == 1 and index + 1 < len(rows) and len(grid[rows[index + 1]]) > 1
        if after_gap and titled:
            yield _dense(current)
            current = []
        current.append(cells)
        previous_row = row
    if current:
        yield _dense(current)


def _dense(rows: list[dict[int, str]]) -> list[list[str]]:
    columns = sorted({column for cells in rows for column in cells})
    return [[cells.get(column, "") for column in columns] for cells in rows]


def table_elements(
    rows: list[list[str]], *, page: int | None = None, depth: int = 0
) -> list[Element]:
    """A table's elements: the rows of a single cell that lead it (when a row of several
    follows) as headings, or text when they do not read as one, then the table."""
    lead = 0
    while lead < len(rows) - 1 and sum(1 for cell in rows[lead] if cell) == 1:
        lead += 1
    if lead and sum(1 for cell in rows[lead] if cell) <= 1:
        lead = 0  # one column throughout: a list, not titles
    elements = []
    for row in rows[:lead]:
        text = next(cell for cell in row if cell)
        kind = "title" if looks_like_heading(text) else "text"
        elements.append(Element(text, kind, page, depth))
    if rows[lead:]:
        elements.append(Element(table_text([list(row) for row in rows[lead:]]), "table", page))
    return [e for e in elements if e.text.strip()]
