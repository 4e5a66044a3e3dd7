"""Keyset pages of the embedded engine's lists, both ways (`cursors.Window`): documents
newest first, conversations most recently continued first, messages oldest first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from docent.search.cursors import Window

Row = TypeVar("Row")
#: Reads the list's rows that also meet `condition` (SQL, with its parameters), in the
#: `order` given (an ORDER BY list), `limit` at most.
Read = Callable[[str, list[Any], str, int], list[Row]]


def keyset_page(
    window: Window,
    position: Sequence[Any] | None,
    keys: Sequence[str],
    *,
    descending: bool,
    read: Read[Row],
) -> tuple[list[Row], bool, bool]:
    """The page `window` asks for of a list sorted by the columns `keys` (together unique;
    all descending, or all ascending), `position` being its cursor's sort values: the rows,
    in the list's order, whether rows follow the page and whether rows precede it.

    One read of the page (one row more than asked, to know whether the list goes on past
    it) and, with a cursor, one of a single row on the cursor's other side: rows at the
    cursor's position or beyond it count there (the row the cursor was taken from, while
    it is still there, precedes a page after it)."""
    columns = f"({', '.join(keys)})"
    marks = f"({', '.join('?' for _ in keys)})"
    forward_op, back_op = ("<", ">") if descending else (">", "<")
    order = lambda way: ", ".join(f"{key} {way}" for key in keys)  # noqa: E731
    list_order = order("DESC" if descending else "ASC")
    reverse_order = order("ASC" if descending else "DESC")
    values = list(position) if position is not None else []
    seek_op, other_op = (back_op, forward_op) if window.backward else (forward_op, back_op)
    condition = f"{columns} {seek_op} {marks}" if position is not None else ""
    rows = read(
        condition, values, reverse_order if window.backward else list_order, window.size + 1
    )
    more = len(rows) > window.size
    rows = rows[: window.size]
    beyond = position is not None and bool(
        read(f"{columns} {other_op}= {marks}", values, list_order, 1)
    )
    if window.backward:
        return rows[::-1], beyond, more
    return rows, more, beyond
