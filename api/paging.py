"""Paging in the GraphQL schema: PageInfo, and the arguments every connection takes
(Relay Cursor Connections), read into a `cursors.Window`."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry

from docent.errors import InvalidInput
from docent.search.cursors import Window


@strawberry.type(
    description="Where a page sits in its list (Relay Cursor Connections): page forward "
    "with `first` and `after: endCursor`, back with `last` and `before: startCursor`."
)
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Items follow this page: always known paging forward; paging back "
        "(`before`), true when items exist at or after the `before` cursor."
    )
    has_previous_page: bool = strawberry.field(
        description="Items precede this page: always known paging back; paging forward, true "
        "when `after` was given and items exist at or before the `after` cursor (the item it "
        "was taken from, while it is still listed, counts), false without `after`."
    )
    start_cursor: str | None = strawberry.field(description="The first edge's cursor.")
    end_cursor: str | None = strawberry.field(description="The last edge's cursor.")


#: What every connection says of its paging arguments.
PAGING = (
    "Page forward with `first` (default {default}) and `after`, or back with `last` and "
    "`before` (the last items before the cursor, still in the list's order; without "
    "`before`, the end of the list), each at most DOCENT_MAX_PAGE_SIZE. As the Relay Cursor "
    "Connections spec discourages, `first` with `last` is INVALID_INPUT (field `last`), and "
    "so is a cursor of the other direction: `after` with `last` or `before` (field "
    "`before`), `before` with `first` (field `first`)."
)


def page_window(
    max_page: int,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    *,
    default: int,
) -> Window:
    """The page a connection's arguments ask for (`Window.of`), `first` and `last` each 0
    to `max_page` (InvalidInput on the field otherwise)."""
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= max_page:
            raise InvalidInput(f"{name} must be between 0 and {max_page}", field=name)
    return Window.of(first, after, last, before, default=default)


def page_info(cursors: Sequence[str], has_next: bool, has_previous: bool) -> PageInfo:
    """The PageInfo of a page whose edges have `cursors`."""
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
