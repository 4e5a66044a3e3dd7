"""Keyset pages of the Elasticsearch lists, both ways (`cursors.Window`): documents newest
first, conversations most recently continued first, messages oldest first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from elasticsearch import AsyncElasticsearch

from docent.search.cursors import CursorField, Window, decode_cursor, encode_cursor

#: Runs a request under the store's error rule (`Cluster._call`).
Call = Callable[[Awaitable[Any]], Awaitable[Any]]
_REVERSED = {"asc": "desc", "desc": "asc"}


async def keyset_page(
    call: Call,
    client: AsyncElasticsearch,
    index: str,
    filters: list[dict[str, Any]],
    *,
    sort: Sequence[tuple[str, str]],
    fields: Sequence[CursorField | type],
    window: Window,
) -> tuple[list[tuple[dict[str, Any], str]], int, bool, bool]:
    """The page `window` asks for of the hits matching `filters`, sorted by `sort` (field
    and "asc" or "desc"; the last field unique: the id, or a message's seq): the hits in the
    list's order with each one's cursor (its sort values, checked by `fields` when decoded),
    the total, whether hits follow the page and whether hits precede it (as
    `embedded.paging.keyset_page` counts them: on a cursor's other side, the hit at the
    cursor included). INVALID_INPUT (on `after` or `before`) for a cursor that is not one
    of these."""
    order = [{name: way} for name, way in sort]
    reverse = [{name: _REVERSED[way]} for name, way in sort]
    position = None
    if window.cursor is not None:
        position = decode_cursor(window.cursor, *fields, field=window.field)

    async def search(sorted_by: list[dict[str, str]], size: int, **extra: Any) -> Any:
        query = {"bool": {"filter": filters + extra.pop("also", [])}}
        return await call(
            client.search(index=index, query=query, sort=sorted_by, size=size, **extra)
        )

    seek = {"search_after": position} if position is not None else {}
    response = await search(
        reverse if window.backward else order, window.size + 1, track_total_hits=True, **seek
    )
    hits = response["hits"]["hits"]
    more = len(hits) > window.size
    page = hits[: window.size]
    if window.backward:
        page.reverse()
    beyond = False
    if position is not None:
        # Past the cursor on its other side, then the hit at it (search_after skips it).
        other = await search(order if window.backward else reverse, 1, search_after=position,
                             source=False, track_total_hits=False)  # fmt: skip
        beyond = bool(other["hits"]["hits"])
        if not beyond:
            unique = sort[-1][0]
            at = await search(order, 1, also=[{"term": {unique: position[-1]}}], source=False,
                              track_total_hits=False)  # fmt: skip
            beyond = any(h["sort"] == position for h in at["hits"]["hits"])
    items = [(h, encode_cursor(h["sort"])) for h in page]
    total = response["hits"]["total"]["value"]
    if window.backward:
        return items, total, beyond, more
    return items, total, more, beyond
