"""Tables set in a fixed-width font: columns of text that runs of spaces keep apart at the
same place on every line, as a typewriter, a terminal or a plain-text report sets them.

    Model                   DH-12            DH-20
    Water tank              2.0 litres       4.5 litres
    Room size up to         60 m2            100 m2

A reader sees the columns by where the text stands, not by the spaces between words, so
this is how they are found: a column boundary is a run of at least `MIN_GAP` character
positions that are blank on every line of the block (the "text edges" of a stream-mode
table reader such as camelot's, on a grid of characters instead of points). A cell is
what stands between two boundaries on one line. A line whose first cell is empty, below
the first, goes on with the row above it: a cell that wraps inside its column ("Annual
check of the" / "boiler and flue").

Prose does not read as a table: its words are one space apart, so no run of two blank
positions crosses every one of its lines (each `gapped`), and a block is a table only when
every row has two cells or more.
"""

from __future__ import annotations

import re

#: The fewest blank positions, on every line, between two columns.
MIN_GAP = 2
#: The widest table read, in characters: a wider block is no page's table.
MAX_WIDTH = 400
_WORD = re.compile(r"\S+")
#: A run of spaces inside a line that could part two cells: at least `MIN_GAP` spaces (or a
#: tab) after something that does not end a sentence ("end.  Next" is a typist's habit).
_GAP = re.compile(r"(?<=[^\s.!?:;])(?: {2,}|\t)\s*(?=\S)")


def gapped(line: str) -> bool:
    """Whether `line` holds a run of spaces that may part two cells of a fixed-width table
    (`_GAP`): such a line is not a wrapped line of prose, and is never joined to the next."""
    return _GAP.search(line.strip()) is not None


def rows(lines: list[str]) -> list[list[str]] | None:
    """`lines` (a block between blank lines) as the rows of a fixed-width table, each a
    list of its cells' texts (stripped; "" for an empty one), the first line first; None
    when they read as no table: fewer than two lines with a gap (`gapped`), a line with
    none that is not indented, lines wider than `MAX_WIDTH`, fewer than two columns, or
    a row (but the first, which may be a header over the first column) with fewer than
    two cells filled. Tabs count as spaces to the next multiple of 8. Linear in the
    block's length."""
    grid = [line.expandtabs(8).rstrip() for line in lines]
    # Every line has a gap, or is indented: a cell going on in a later column.
    indented = [line.startswith(" " * MIN_GAP) for line in grid]
    if sum(gapped(line) for line in grid) < 2 or not all(
        gapped(line) or inset for line, inset in zip(grid, indented, strict=True)
    ):
        return None
    width = max(len(line) for line in grid)
    if width > MAX_WIDTH:
        return None
    # Where some line has text: each word's span marked, in time linear in the words.
    occupied = bytearray(width)
    for line in grid:
        for word in _WORD.finditer(line):
            occupied[word.start() : word.end()] = b"\x01" * (word.end() - word.start())
    blank = [not taken for taken in occupied]
    # The columns' spans: text between runs of MIN_GAP blank positions or more.
    spans: list[tuple[int, int]] = []
    start: int | None = None
    run = 0
    for p, empty in enumerate([*blank, True]):
        if not empty:
            if start is None:
                start = p
            elif run >= MIN_GAP:
                spans.append((start, p - run))
                start = p
            run = 0
        else:
            run += 1
    if start is not None:
        spans.append((start, width))
    if len(spans) < 2:
        return None
    table: list[list[str]] = []
    for number, line in enumerate(grid):
        cells = [line[a:b].strip() for a, b in spans]
        if number and not cells[0] and table:
            # The row above wraps into this line: each cell goes on in its column.
            table[-1] = [
                f"{above} {more}".strip() for above, more in zip(table[-1], cells, strict=True)
            ]
            continue
        table.append(cells)
    if len(table) < 2 or any(sum(bool(c) for c in row) < 2 for row in table[1:]):
        return None
    return table
