"""A PDF table's rows rebuilt from its lines by the positions of its columns.

A table's cells wrap: a long description, a name or a header runs over two or three lines,
and the text layer has a line for each (`pdf_lines`), drawn row by row or cell by cell.
The table's lines are put in the order a reader sees them (top to bottom, the pieces on
one baseline left to right). The lines that hold cells (`CELL`) give the columns: the left
and right of each cell, over the lines with the most cells. Each word goes to the column
it starts in (cells are set from their column's left edge), so cells that stand closer
than `CELL_GAP` are parted too. A line that starts no row continues the row above it,
each word in its column's cell: a line with fewer cells than the columns, set at the
cells' own line spacing where rows are set further apart, or, where they are not, with
nothing in the first column. A line with a word across a column's edge, or one without
cells that steps down further than the rows do, is no part of the table: a paragraph
after it, or text beside it.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from docent.ingestion.parsing.pdf_lines import CELL, CELL_GAP, HYPHEN, WORD_BREAK, Line

#: The most a table's next line may step down from the last, in type sizes (rows with
#: padding above and below their cells are about twice the type size apart).
MAX_STEP = 3.0
#: The most the next line drawn may rise above the last, in type sizes: to the top of the
#: row, for a table drawn cell by cell (a cell of up to about eight lines). A page of
#: two columns drawn one after the other rises by a column's height.
MAX_RISE = 10.0
#: How far a word may stand left of its column's left edge, in type sizes (cells whose
#: text is set from the right, or centred, start a little left of the column's longest).
EDGE = 0.5
#: Steps between lines that differ by less than this (type sizes) are the same step.
SAME_STEP = 0.15
#: The most lines a table is read from at once (a table drawn cell by cell, 8 columns by 12
#: rows; the longest in the development set's documents has 15). Each line that may start
#: a table reads up to this many lines, so a page of thousands of lines with cells, none
#: lining up (a 3 KB PDF of 4,000 such lines took 34 s), costs a bounded amount per line;
#: a longer table is read as several, one after another, each of its rows whole.
MAX_WINDOW = 96
#: How many times a table's window is cut short at a line that is not the table's before
#: its lines are taken as drawn (`_as_drawn`): each cut reads the window again (the tests'
#: tables take at most three readings, the development set's one).
MAX_TRIES = 6
_LINE_END_HYPHEN = ("-", "\u2010", "\u00ad")


@dataclass(frozen=True, slots=True)
class Table:
    """A table's `rows` (each a list of its cell texts, one per column, with `HYPHEN`
    where a word was hyphenated across two lines of a cell) and the `lines` it was read
    from."""

    rows: list[list[str]]
    lines: list[Line]


def table_at(lines: list[Line], index: int) -> Table | None:
    """The table whose first line is `lines[index]`, None when there is none. Its lines
    are `lines[index:]` up to the first that is not part of it: in the order the page
    draws them, row by row or cell by cell (a cell's lines, then the next cell's)."""
    first = lines[index]
    if CELL not in first.text:
        return None
    window = _window(lines, index)
    for _ in range(MAX_TRIES):
        groups = _visual(window)
        rows = [_joined_line(group) for group in groups]
        columns = _columns(rows)
        if columns is None or CELL not in rows[0].text or first not in groups[0]:
            return _as_drawn(lines, index)
        kept = _kept(rows, columns)
        outside = {id(line) for group in groups[len(kept) :] for line in group}
        end = next((n for n, line in enumerate(window) if id(line) in outside), len(window))
        if end == len(window):
            return Table(_rows(kept, columns), window)
        window = window[:end]
    return _as_drawn(lines, index)


#: Lines whose baselines are closer than this (type sizes) are on the same line.
_ONE_LINE = 0.3


def _window(lines: list[Line], index: int) -> list[Line]:
    """`lines[index]` and the lines drawn after it that could be part of its table: in
    its type, none much above it, each at most `MAX_STEP` below the lowest before it; at
    most `MAX_WINDOW` lines."""
    first = lines[index]
    window = [first]
    lowest = first.baseline
    for line in lines[index + 1 : index + MAX_WINDOW]:
        if (
            abs(line.size - first.size) > 0.5
            or not line.upright
            or lowest - line.baseline >= MAX_STEP * line.size
            or line.baseline > first.baseline + 2 * line.size
            or line.baseline - window[-1].end_baseline > MAX_RISE * line.size
        ):
            break
        window.append(line)
        lowest = min(lowest, line.end_baseline)
    return window


def _visual(window: list[Line]) -> list[list[Line]]:
    """The window's lines as a reader sees them: top to bottom, each the pieces on one
    baseline (cells drawn one after another) left to right (`_joined_line` joins them)."""
    ordered = sorted(window, key=lambda line: -line.baseline)
    groups: list[list[Line]] = []
    for line in ordered:
        if groups and groups[-1][0].baseline - line.baseline < _ONE_LINE * line.size:
            groups[-1].append(line)
        else:
            groups.append([line])
    return [sorted(group, key=lambda line: line.left) for group in groups]


def _joined_line(pieces: list[Line]) -> Line:
    """Pieces on one baseline, left to right, as one line: `CELL` between pieces a type
    size or more apart."""
    if len(pieces) == 1:
        return pieces[0]
    text = pieces[0].text
    words = list(_spans(pieces[0]))
    for previous, piece in itertools.pairwise(pieces):
        gap = piece.left - previous.right
        text += (CELL if gap >= CELL_GAP * piece.size else " ") + piece.text
        words += _spans(piece)
    return Line(
        text=text,
        size=pieces[0].size,
        bold=pieces[0].bold,
        left=min(p.left for p in pieces),
        right=max(p.right for p in pieces),
        baseline=max(p.baseline for p in pieces),
        end_baseline=min(p.end_baseline for p in pieces),
        upright=True,
        words=tuple(words),
    )


def _spans(line: Line) -> tuple[tuple[float, float], ...]:
    return line.words if line.words else ((line.left, line.right),)


def _kept(rows: list[Line], columns: list[tuple[float, float]]) -> list[Line]:
    """The visual lines that are the table's, from the top: up to a line that crosses a
    column's edge, or that steps down further than any of its rows do."""
    kept = [rows[0]]
    widest: float | None = None  # the widest step between the rows kept
    for line in rows[1:]:
        step = kept[-1].end_baseline - line.baseline
        if _straddles(line, columns):
            break  # a word across a column's edge: text beside the table, or after it
        if CELL not in line.text:
            if widest is not None and step > widest + SAME_STEP * line.size:
                break  # a wider gap than between any of its rows: a paragraph after it
            if not _fits(line, columns):
                break
        kept.append(line)
        widest = step if widest is None else max(widest, step)
    return kept


def _straddles(line: Line, columns: list[tuple[float, float]]) -> bool:
    """Whether a word of `line` (a cell, where its words were not measured) runs across
    the left edge of a column: cells that stand too close are parted between words."""
    spans = line.words or line.cells
    margin = EDGE * line.size
    edges = [edge for edge, _ in columns[1:]]
    # A word straddles when some edge lies strictly between its left and its right, each
    # moved in by the margin: the first edge past the left tells (`edges` rise).
    for left, right in spans:
        k = bisect.bisect_right(edges, left + margin)
        if k < len(edges) and edges[k] < right - margin:
            return True
    return False


def _as_drawn(lines: list[Line], index: int) -> Table:
    """Rows that do not line up (cells spanning columns, a table in a table): each line
    with cells a row of its own, as drawn, while each is just below the last."""
    rows: list[Line] = []
    for line in lines[index:]:
        if CELL not in line.text:
            break
        if rows and not 0 < rows[-1].end_baseline - line.baseline < MAX_STEP * line.size:
            break
        rows.append(line)
    return Table([row.text.split(CELL) for row in rows], rows)


def _columns(run: list[Line]) -> list[tuple[float, float]] | None:
    """The left and right of each column: over the lines with the most cells, the leftmost
    start and the rightmost end of each of their cells. None when those lines' cells do
    not line up (one line's cell reaches into the next column of another)."""
    measured = [line.cells for line in run if CELL in line.text and line.cells]
    if not measured:
        return None
    most = max(len(cells) for cells in measured)
    full = [cells for cells in measured if len(cells) == most]
    columns = [
        (min(cells[k][0] for cells in full), max(cells[k][1] for cells in full))
        for k in range(most)
    ]
    if any(a[1] >= b[0] for a, b in itertools.pairwise(columns)):
        return None
    return columns


def _edges(columns: list[tuple[float, float]], size: float) -> list[float]:
    """How far left a word may start in each column (`EDGE`), rising left to right
    (`_columns` refuses overlapping columns)."""
    return [column_left - EDGE * size for column_left, _ in columns]


def _column_of(left: float, edges: list[float]) -> int:
    """The column a word starting at `left` is in: the last whose left edge it is not
    (much) left of (`_edges`), found by bisection."""
    return max(bisect.bisect_right(edges, left) - 1, 0)


def _fits(line: Line, columns: list[tuple[float, float]]) -> bool:
    """Whether a line lies within the table's columns: a line with cells always; one
    without, when all its words are in one column and end before the next begins."""
    if CELL in line.text:
        return True
    spans = line.words or ((line.left, line.right),)
    k = _column_of(spans[0][0], _edges(columns, line.size))
    end = columns[k + 1][0] if k + 1 < len(columns) else columns[k][1] + 2 * line.size
    return spans[0][0] >= columns[k][0] - EDGE * line.size and max(s[1] for s in spans) < end


def _placed(line: Line, columns: list[tuple[float, float]]) -> list[str]:
    """The line's words in the cells of its columns, one text per column."""
    texts = WORD_BREAK.split(line.text)
    spans = line.words if len(line.words) == len(texts) else None
    cells: list[list[str]] = [[] for _ in columns]
    edges = _edges(columns, line.size)
    if spans is None:
        # A line of one word, or one whose words were not measured: each cell at its left,
        # or the whole line at the line's left where its cells are not known either.
        parts = line.text.split(CELL)
        lefts = [left for left, _ in line.cells]
        if len(lefts) != len(parts):
            parts, lefts = [" ".join(parts)], [line.left]
        for part, left in zip(parts, lefts, strict=True):
            cells[_column_of(left, edges)].append(part)
    else:
        for text, (left, _) in zip(texts, spans, strict=True):
            cells[_column_of(left, edges)].append(text)
    return [" ".join(words) for words in cells]


def _rows(run: list[Line], columns: list[tuple[float, float]]) -> list[list[str]]:
    """The table's rows: each line starts one, or continues the row above it."""
    steps = [a.end_baseline - b.baseline for a, b in itertools.pairwise(run)]
    shortest = min(steps, default=0.0)
    widest = max(steps, default=0.0)
    rows: list[list[str]] = []
    for index, line in enumerate(run):
        cells = _placed(line, columns)
        filled = sum(1 for cell in cells if cell)
        # Body rows in regular type below a header in bold start rows of their own.
        below_header = len(rows) == 1 and run[0].bold and not line.bold
        if index and filled < len(columns) and not below_header:
            size = line.size
            closer = widest > shortest + SAME_STEP * size and (
                steps[index - 1] <= shortest + SAME_STEP * size
            )
            if closer or (not cells[0] and 2 * filled <= len(columns)):
                rows[-1] = [_joined(a, b) for a, b in zip(rows[-1], cells, strict=True)]
                continue
        rows.append(cells)
    return rows


def _joined(above: str, below: str) -> str:
    """A cell's text and the next line of it: a hyphen that ends the first inside a word
    marked `HYPHEN` (kept or dropped with the document's words, as for paragraphs)."""
    if not above or not below:
        return above or below
    if above.endswith(_LINE_END_HYPHEN) and above[-2:-1].isalpha() and below[:1].isalpha():
        return above[:-1] + HYPHEN + below
    return above + " " + below
