"""The embedded engine's document catalogue: records in the `documents` table, written in
the same transactions as their chunks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import apsw

from docent.domain import Access, DocumentRecord, DocumentStatus, Visibility, utcnow
from docent.search.backend import DocumentPage, DocumentQuery, Fence
from docent.search.cursors import Window, decode_cursor, encode_cursor, identifier, timestamp
from docent.search.embedded import schema
from docent.search.embedded.access import visible
from docent.search.embedded.chunks import delete_chunks
from docent.search.embedded.database import Database, marks, scalar
from docent.search.embedded.paging import keyset_page
from docent.search.records import (
    STORED_RECORD_FIELDS,
    STORED_RECORD_NAMES,
    iso,
    record_from_dict,
    record_to_dict,
)

#: Columns holding a list, as JSON text.
_JSON_COLUMNS = ("tags",)


class EmbeddedCatalog:
    """`DocumentCatalog` on the `documents` table."""

    _db: Database

    async def insert_document(
        self, record: DocumentRecord, *, deduplicate: bool = True
    ) -> DocumentRecord:
        # SQLite enforces one record per (owner, sha256): `deduplicate` cannot be turned off.
        def insert(conn: apsw.Connection) -> DocumentRecord:
            existing = _fetch(conn, "owner = ? AND sha256 = ?", (record.owner, record.sha256))
            if existing:
                return existing[0]
            row = _row(record)
            conn.execute(
                f"INSERT INTO documents ({', '.join(row)}) VALUES ({marks(row)})",
                tuple(row.values()),
            )
            return record

        return await self._db.write(insert)

    async def get_document(self, owner: str | Access, document_id: str) -> DocumentRecord | None:
        where, params = visible(Access.of(owner))
        rows = await self._db.run(
            lambda conn: _fetch(conn, f"{where} AND id = ?", (*params, document_id))
        )
        return rows[0] if rows else None

    async def get_documents(self, owner: str | Access, ids: Sequence[str]) -> list[DocumentRecord]:
        if not ids:
            return []
        where, params = visible(Access.of(owner))
        return await self._db.run(
            lambda conn: _fetch(conn, f"{where} AND id IN ({marks(ids)})", (*params, *ids))
        )

    async def list_documents(
        self,
        owner: str | Access,
        query: DocumentQuery,
        *,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> DocumentPage:
        where, params = _matching(Access.of(owner), query)
        window = Window.of(first, after, last, before)
        position = None
        if window.cursor is not None:
            position = decode_cursor(window.cursor, timestamp, identifier, field=window.field)

        def read(conn: apsw.Connection) -> DocumentPage:
            total = scalar(
                conn, f"SELECT count(*) FROM documents WHERE {' AND '.join(where)}", tuple(params)
            )

            def rows(condition: str, values: list[Any], order: str, limit: int) -> list[Any]:
                conditions = " AND ".join([*where, condition] if condition else where)
                return _fetch(
                    conn, f"{conditions} ORDER BY {order} LIMIT ?", (*params, *values, limit)
                )

            records, has_next, has_previous = keyset_page(
                window, position, ("created_at", "id"), descending=True, read=rows
            )
            items = [(r, encode_cursor([iso(r.created_at), r.id])) for r in records]
            return DocumentPage(items, total, has_next, has_previous)

        return await self._db.run(read)

    async def document_ids(
        self, owner: str | Access, query: DocumentQuery, *, limit: int
    ) -> list[str]:
        where, params = _matching(Access.of(owner), query)
        sql = f"SELECT id FROM documents WHERE {' AND '.join(where)} LIMIT ?"
        rows = await self._db.run(lambda conn: conn.execute(sql, (*params, limit)).fetchall())
        return [str(row[0]) for row in rows]

    async def update_document(
        self,
        record: DocumentRecord,
        *,
        expected_version: int | None = None,
        fence: Fence | None = None,
    ) -> bool:
        sql, params = _update(record, expected_version, fence)

        def update(conn: apsw.Connection) -> bool:
            conn.execute(sql, params)
            return bool(conn.changes())

        return await self._db.write(update)

    async def share_document(
        self,
        owner: str,
        document_id: str,
        visibility: Visibility,
        group: str | None,
        *,
        expected_version: int,
    ) -> DocumentRecord | None:
        # The two columns only: a job's status written since the caller read the record
        # stays (a whole-record write would put back the status the caller had read).
        def share(conn: apsw.Connection) -> DocumentRecord | None:
            conn.execute(
                "UPDATE documents SET visibility = ?, share_group = ?, updated_at = ? "
                "WHERE owner = ? AND id = ? AND version = ?",
                (visibility.value, group, iso(utcnow()), owner, document_id, expected_version),
            )
            if not conn.changes():
                return None
            return _fetch(conn, "owner = ? AND id = ?", (owner, document_id))[0]

        return await self._db.write(share)

    async def replace_content(
        self, record: DocumentRecord, *, expected_version: int
    ) -> DocumentRecord | None:
        sql, params = _update(record, expected_version, None)

        def replace(conn: apsw.Connection) -> DocumentRecord | None:
            # One transaction: the unique (owner, sha256) index is never what refuses it.
            other = _fetch(
                conn,
                "owner = ? AND sha256 = ? AND id != ?",
                (record.owner, record.sha256, record.id),
            )
            if other:
                return other[0]
            conn.execute(sql, params)
            return record if conn.changes() else None

        return await self._db.write(replace)

    async def documents_named(
        self, owner: str, *, filename: str, title: str, limit: int
    ) -> list[DocumentRecord]:
        return await self._db.run(
            lambda conn: _fetch(
                conn,
                "owner = ? AND (filename = ? OR title = ?) ORDER BY created_at DESC, id DESC "
                "LIMIT ?",
                (owner, filename, title, limit),
            )
        )

    async def claim_document(
        self, owner: str, document_id: str, version: int
    ) -> DocumentRecord | None:
        unfinished = (DocumentStatus.QUEUED.value, DocumentStatus.PROCESSING.value)

        def claim(conn: apsw.Connection) -> DocumentRecord | None:
            conn.execute(
                "UPDATE documents SET status = ?, run = run + 1, updated_at = ? "
                "WHERE owner = ? AND id = ? AND version = ? AND status IN (?, ?)",
                (DocumentStatus.PROCESSING.value, iso(utcnow()), owner, document_id, version,
                 *unfinished),
            )  # fmt: skip
            if not conn.changes():
                return None
            return _fetch(conn, "owner = ? AND id = ?", (owner, document_id))[0]

        return await self._db.write(claim)

    async def delete_document(self, owner: str, document_id: str) -> bool:
        def delete(conn: apsw.Connection) -> bool:
            table = schema.stored_vector_table(schema.read_meta(conn))
            delete_chunks(conn, owner, document_id, table)
            conn.execute("DELETE FROM documents WHERE owner = ? AND id = ?", (owner, document_id))
            return bool(conn.changes())

        return await self._db.write(delete)

    async def documents_in_status(
        self, statuses: Sequence[DocumentStatus], *, older_than_s: float = 0
    ) -> list[DocumentRecord]:
        cutoff = iso(utcnow() - timedelta(seconds=older_than_s))
        return await self._db.run(
            lambda conn: _fetch(
                conn,
                f"status IN ({marks(statuses)}) AND updated_at <= ? ORDER BY updated_at",
                (*[s.value for s in statuses], cutoff),
            )
        )


def _matching(access: Access, query: DocumentQuery) -> tuple[list[str], list[Any]]:
    """The conditions (ANDed) on `documents` of the documents `access` reads that match
    `query`, and their parameters."""
    visible_where, visible_params = visible(access)
    where = [visible_where]
    params: list[Any] = list(visible_params)
    if query.statuses:
        where.append(f"status IN ({marks(query.statuses)})")
        params.extend(s.value for s in query.statuses)
    for tag in query.tags:
        where.append("EXISTS (SELECT 1 FROM json_each(documents.tags) WHERE value = ?)")
        params.append(tag)
    if query.title_contains:
        where.append("(instr(lower(title), lower(?)) > 0 OR instr(lower(filename), lower(?)) > 0)")
        params.extend([query.title_contains, query.title_contains])
    # () matches nothing: SQLite's `IN ()` is false
    for column, values in (("sha256", query.sha256), ("id", query.ids)):
        if values is not None:
            where.append(f"{column} IN ({marks(values)})")
            params.extend(values)
    return where, params


def _update(
    record: DocumentRecord, expected_version: int | None, fence: Fence | None
) -> tuple[str, tuple[Any, ...]]:
    """The UPDATE of the owner's record to `record` (all but who and which run; under a
    fence, a job's, not its sharing either), with the version and fence it expects."""
    values = _row(record)
    for kept in ("id", "owner", "run"):  # who and which run: never changed here
        values.pop(kept)
    if fence is not None:
        # A job writes its progress, never who may read the document: sharing changes the
        # record in place while the job runs, and the job's copy must not undo it.
        for kept in ("visibility", "share_group"):
            values.pop(kept)
    sets = ", ".join(f"{k} = ?" for k in values)
    sql = f"UPDATE documents SET {sets} WHERE id = ? AND owner = ?"
    params: tuple[Any, ...] = (*values.values(), record.id, record.owner)
    if expected_version is not None:
        sql += " AND version = ?"
        params = (*params, expected_version)
    if fence is not None:
        sql += " AND version = ? AND run = ?"
        params = (*params, fence.version, fence.run)
    return sql, params


def _row(record: DocumentRecord) -> dict[str, Any]:
    """The record as a row of `documents`, by column."""
    row = record_to_dict(record, STORED_RECORD_NAMES)
    row.update({column: json.dumps(row[column]) for column in _JSON_COLUMNS})
    return row


def _fetch(conn: apsw.Connection, where: str, params: Sequence[Any]) -> list[DocumentRecord]:
    """The records of the rows matching `where` (which may end with ORDER BY, LIMIT)."""
    sql = f"SELECT {', '.join(STORED_RECORD_FIELDS)} FROM documents WHERE {where}"
    records = []
    for values in conn.execute(sql, tuple(params)):
        row = dict(zip(STORED_RECORD_FIELDS, values, strict=True))
        row.update({column: json.loads(row[column]) for column in _JSON_COLUMNS})
        records.append(record_from_dict(row, STORED_RECORD_NAMES))
    return records
