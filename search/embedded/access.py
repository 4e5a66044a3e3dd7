"""Who may read what, in SQL: a reader's own documents, and those of other owners shared
with one of the reader's groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import apsw

from docent.domain import Access
from docent.search.embedded.database import marks


def visible(access: Access) -> tuple[str, list[Any]]:
    """The documents `access` may read, as a WHERE condition on the documents table and its
    parameters."""
    if not access.groups:
        return "owner = ?", [access.owner]
    return (
        f"(owner = ? OR (visibility = 'GROUP' AND share_group IN ({marks(access.groups)})))",
        [access.owner, *access.groups],
    )


def shared_with(
    conn: apsw.Connection, access: Access, document_ids: Sequence[str] | None
) -> dict[str, list[str]]:
    """Other owners' documents shared with the reader's groups (of `document_ids`, when
    given), by owner."""
    if not access.groups:
        return {}
    sql = (
        "SELECT owner, id FROM documents WHERE visibility = 'GROUP' "
        f"AND share_group IN ({marks(access.groups)}) AND owner != ?"
    )
    params: list[Any] = [*access.groups, access.owner]
    if document_ids is not None:
        sql += f" AND id IN ({marks(document_ids)})"
        params.extend(document_ids)
    shared: dict[str, list[str]] = {}
    for owner, document_id in conn.execute(sql, tuple(params)):
        shared.setdefault(owner, []).append(document_id)
    return shared


def visible_chunks(access: Access, table: str = "chunks") -> tuple[str, list[Any]]:
    """The chunks `access` may read, as a WHERE condition on the chunks table (called
    `table` in the query) and its parameters."""
    if not access.groups:
        return f"{table}.owner = ?", [access.owner]
    return (
        f"({table}.owner = ? OR {table}.document_id IN (SELECT id FROM documents WHERE "
        f"visibility = 'GROUP' AND share_group IN ({marks(access.groups)})))",
        [access.owner, *access.groups],
    )
