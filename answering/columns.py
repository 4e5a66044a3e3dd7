"""The column a question picks by a value it names: "the 8-bay unit", "the plan with
unlimited callouts", "the NexVault with 192 TB".

A table with its entities as columns (models, plans) is read row by row ("Spec: Weight;
NX-4: 2.3 kg; NX-8: 4.6 kg", passages.units). A question naming the column by its header
("How heavy is the NX-8?") is cut by cells.named_cells. One naming it by a value it has
in another row ("What does the 8-bay unit weigh?" over "Drive bays | 4 | 8") names no
header; the row holding that value ("Drive bays") is what the question already knows,
not its answer. The answer is the cell at the row the question asks for (the attribute:
weight) and the column that value picks, with the row's first cell: "Spec: Weight;
NX-8: 4.6 kg".

Only tables whose value columns are named like entities (a code or model number, a name
of capitalised words) are read so: in a table of records ("Asset ID | Equipment |
Manufacturer") a value names its row. A value picks a column when all its words are the
question's (stemmed), no other cell of its row holds them all, and it is clearly that
row's value: the question names the row
too ("8-bay" and "Drive bays", "unlimited callouts" and "Callouts per year"), or the value
is more than a bare figure ("192 TB", "unlimited"). A bare figure without its row's word
picks nothing: "4" is in too many questions. Every picking value must pick one column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from docent.answering import wording
from docent.search import analysis

_FIGURE = re.compile(r"^[\d\s.,]+$")
#: A column named like an entity: a code or model number ("NX-8", "QS 40"), or a name of
#: capitalised words ("Complete Plus"). Columns named by attributes ("Product", "First
#: half", "Room") are a table of records, one a row: a value there names its row, not a
#: column.
_ENTITY = re.compile(r"\d|^\S+\s+[A-ZÀ-Þ]")


def cells_of(row: str) -> list[tuple[str, str]] | None:
    """`row` ("Header: cell; Header: cell; ...", passages.units) as (header, cell) pairs;
    None when it is not in that form or has fewer than two value columns."""
    pairs = [part.partition(": ") for part in row.split("; ")]
    if any(not sep for _, sep, _ in pairs) or len(pairs) < 3:
        return None
    return [(header, value) for header, _, value in pairs]


def header_of(row: str) -> tuple[str, ...] | None:
    """The column names of `row`, which tell the rows of one table from another's."""
    pairs = cells_of(row)
    return None if pairs is None else tuple(h for h, _ in pairs)


@dataclass(frozen=True, slots=True)
class Picked:
    """The column a question picks (`header`), and the rows (indices into the rows
    given) whose value picked it."""

    header: str
    rows: frozenset[int]


def picked_column(question: str, rows: Sequence[str]) -> Picked | None:
    """The value column of the table `rows` (rows of one table, in passages.units' form)
    that a value the question names picks (see the module's docstring); None when no
    value picks one, or values pick several."""
    asked = wording.content_terms(question)
    chosen: dict[str, set[int]] = {}
    for r, row in enumerate(rows):
        pairs = cells_of(row)
        if pairs is None or not all(_ENTITY.search(h) for h, _ in pairs[1:]):
            continue
        label = set(analysis.analyze(pairs[0][1]))
        values = [set(analysis.analyze(v)) for _, v in pairs[1:]]
        for j, ((header, value), terms) in enumerate(zip(pairs[1:], values, strict=True)):
            if not terms or not terms <= asked:
                continue
            if any(terms <= other for k, other in enumerate(values) if k != j):
                continue
            if _FIGURE.match(value.strip()) and not label & asked:
                continue
            chosen.setdefault(header, set()).add(r)
    if len(chosen) != 1:
        return None
    ((header, picking_rows),) = chosen.items()
    return Picked(header, frozenset(picking_rows))


def cut(row: str, header: str) -> str | None:
    """`row` cut to its first cell and the cell under `header`: "Spec: Weight; NX-8:
    4.6 kg"; None when it has no such column."""
    pairs = cells_of(row)
    if pairs is None:
        return None
    kept = [pairs[0]] + [(h, v) for h, v in pairs[1:] if h == header]
    if len(kept) < 2:
        return None
    return "; ".join(f"{h}: {v}" for h, v in kept)


def table_answer(
    question: str,
    texts: Sequence[str],
    kinds: Sequence[str],
    documents: Sequence[str | None],
    scores: Sequence[float],
    best: int,
    *,
    asks_value: bool,
    answered: Sequence[bool] = (),
) -> tuple[int, str] | None:
    """For a best unit `best` that is a row of a table with entities as columns, the row
    to quote and its text cut to the column a value of the question picks
    (`picked_column`, over the rows of that table among `texts`: same document, same
    column names). The row holding the picking value is what the question knows: when
    the question asks a value (`asks_value`), the best-scoring other row of the table is
    quoted instead, one with the whole shape asked (`answered[i]`) before one without.
    None when `best` is no such row or no value picks a column (a column
    named by its header is cells.named_cells')."""
    header = header_of(texts[best]) if kinds[best] == "row" else None
    if header is None:
        return None
    table = [
        i
        for i in range(len(texts))
        if kinds[i] == "row" and documents[i] == documents[best] and header_of(texts[i]) == header
    ]
    picked = picked_column(question, [texts[i] for i in table])
    if picked is None:
        return None
    given = {texts[table[r]] for r in picked.rows}
    row = best
    if texts[best] in given and asks_value:
        others = [i for i in table if texts[i] not in given]
        if not others:
            return None
        # The row with the whole shape asked first ("1.7 kg" for "How heavy ...?", not
        # "8 MP"), then the score.
        row = max(others, key=lambda i: (i < len(answered) and answered[i], float(scores[i])))
    quoted = cut(texts[row], picked.header)
    return None if quoted is None else (row, quoted)
