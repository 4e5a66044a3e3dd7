"""The embedded search engine: one SQLite database holding records, BM25 and vectors.

- BM25: an FTS5 table over terms analysed in Python (`analysis.py`: stop words, Snowball
  stems), contentless because the text itself lives in `chunks`.
- Vectors: a sqlite-vec `vec0` table partitioned by owner, so the owner filter is applied
  inside the nearest-neighbour scan (a pre-filter), with the document id as a metadata
  column for document filters.
- Records: the `documents` table, in the same transactions as the chunks.

WAL mode lets the API process read while a worker process writes. The SQLite library is
the one bundled with `apsw` (FTS5 and loadable extensions on every platform).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import apsw
import numpy as np
import sqlite_vec

from docent.domain import (
    Access,
    Chunk,
    ChunkMatch,
    DocumentRecord,
    DocumentStatus,
    IndexedChunk,
    Visibility,
    utcnow,
)
from docent.errors import IndexMismatch, InvalidInput, SearchUnavailable
from docent.search import analysis
from docent.search.backend import DocumentPage, DocumentQuery, IndexInfo, checked_vector

if TYPE_CHECKING:
    from docent.settings import Settings

T = TypeVar("T")

#: 1: first version. 2: chunks keep the text BM25 and the embedder saw (`search_text`),
#: so that `reindex` re-embeds exactly that; the vector table's name is in `meta`.
#: 3: documents can be shared with a group (`visibility`, `share_group`).
SCHEMA_VERSION = 3
DEFAULT_VECTOR_TABLE = "chunk_vectors"
_DOCUMENT_COLUMNS = [
    "id",
    "owner",
    "title",
    "filename",
    "mime_type",
    "size_bytes",
    "sha256",
    "status",
    "tags",
    "error_code",
    "error_message",
    "page_count",
    "chunk_count",
    "created_at",
    "processed_at",
    "updated_at",
    "version",
    "visibility",
    "share_group",
]
_CHUNK_COLUMNS = [
    "id",
    "document_id",
    "ordinal",
    "text",
    "page",
    "page_end",
    "section",
    "element_types",
    "start_offset",
    "end_offset",
]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, filename TEXT NOT NULL,
    mime_type TEXT NOT NULL, size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL,
    status TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]', error_code TEXT, error_message TEXT,
    page_count INTEGER, chunk_count INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
    processed_at TEXT, updated_at TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1,
    visibility TEXT NOT NULL DEFAULT 'PRIVATE', share_group TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS documents_owner_sha256 ON documents (owner, sha256);
CREATE INDEX IF NOT EXISTS documents_owner_created ON documents (owner, created_at, id);
CREATE INDEX IF NOT EXISTS documents_status ON documents (status, updated_at);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL,
    owner TEXT NOT NULL, ordinal INTEGER NOT NULL, text TEXT NOT NULL, page INTEGER,
    page_end INTEGER, section TEXT, element_types TEXT NOT NULL DEFAULT '[]',
    start_offset INTEGER NOT NULL DEFAULT 0, end_offset INTEGER NOT NULL DEFAULT 0,
    search_text TEXT
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks (document_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (
    terms, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'
);
"""


def _vector_table_sql(dimension: int, table: str = DEFAULT_VECTOR_TABLE) -> str:
    return (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING vec0 ("
        "owner TEXT PARTITION KEY, document_id TEXT, "
        f"embedding float[{dimension}] distance_metric=cosine)"
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="microseconds") if value else None


def _from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _encode_cursor(record: DocumentRecord) -> str:
    raw = json.dumps([_iso(record.created_at), record.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, doc_id = json.loads(raw)
        if not isinstance(created, str) or not isinstance(doc_id, str):
            raise ValueError
        return created, doc_id
    except (ValueError, TypeError) as exc:
        raise InvalidInput("invalid cursor", field="after") from exc


class EmbeddedBackend:
    """Records, BM25 and vectors in one SQLite file under the data directory."""

    name = "embedded"

    def __init__(self, path: Path, *, threads: int = 4) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="docent-db")
        self._local = threading.local()
        self._connections: list[apsw.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_lock = asyncio.Lock()
        self._dimension: int | None = None
        self._model: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedBackend:
        return cls(settings.storage.index_dir / "docent.sqlite3")

    # -- connections -------------------------------------------------------------------

    def _connection(self) -> apsw.Connection:
        conn: apsw.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = apsw.Connection(str(self.path))
            conn.set_busy_timeout(30_000)
            conn.enable_load_extension(True)
            conn.load_extension(sqlite_vec.loadable_path())
            conn.enable_load_extension(False)
            conn.pragma("journal_mode", "wal")
            conn.pragma("synchronous", "normal")
            conn.pragma("foreign_keys", True)
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    async def _run(self, fn: Callable[[apsw.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, lambda: fn(self._connection()))
        except apsw.BusyError as exc:
            raise SearchUnavailable("the index is busy; try again") from exc
        except (apsw.CantOpenError, apsw.IOError, apsw.CorruptError, apsw.FullError) as exc:
            raise SearchUnavailable(f"the embedded index cannot be used: {exc}") from exc

    async def _write(self, fn: Callable[[apsw.Connection], T]) -> T:
        async with self._write_lock:
            return await self._run(lambda conn: _in_transaction(conn, fn))

    # -- lifecycle ---------------------------------------------------------------------

    async def open(
        self, *, model: str, dimension: int, check_model: bool = True, wait: bool = True
    ) -> None:  # a local file is always reachable: `wait` changes nothing
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._model, self._dimension = await self._write(
            lambda conn: self._migrate(conn, model, dimension, check_model)
        )

    def _migrate(
        self, conn: apsw.Connection, model: str, dimension: int, check_model: bool
    ) -> tuple[str, int]:
        """Create or upgrade the schema; returns the model and dimension the index holds."""
        conn.execute(_SCHEMA)
        meta = _meta(conn)
        stored_version = int(meta.get("schema_version", SCHEMA_VERSION))
        if stored_version > SCHEMA_VERSION:
            raise IndexMismatch(
                f"the index at {self.path} was written by a newer docent "
                f"(schema {stored_version}); upgrade docent to open it"
            )
        columns = {row[1] for row in conn.execute("PRAGMA table_info(chunks)")}
        if "search_text" not in columns:  # schema 1 -> 2
            conn.execute("ALTER TABLE chunks ADD COLUMN search_text TEXT")
        columns = {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
        if "visibility" not in columns:  # schema 2 -> 3
            conn.execute(
                "ALTER TABLE documents ADD COLUMN visibility TEXT NOT NULL DEFAULT 'PRIVATE'"
            )
            conn.execute("ALTER TABLE documents ADD COLUMN share_group TEXT")
        conn.execute(
            "CREATE INDEX IF NOT EXISTS documents_shared ON documents (share_group, owner) "
            "WHERE visibility = 'GROUP'"
        )
        chunk_count = _scalar(conn, "SELECT count(*) FROM chunks")
        table = meta.get("vector_table", DEFAULT_VECTOR_TABLE)
        stored_model, stored_dim = meta.get("embedding_model"), meta.get("embedding_dimension")
        if stored_model is not None and (stored_model, int(stored_dim or 0)) != (model, dimension):
            if chunk_count and check_model:
                raise IndexMismatch(
                    f"the index at {self.path} holds {chunk_count} chunks embedded with "
                    f"{stored_model} ({stored_dim} dimensions), but the configured embedder is "
                    f"{model} ({dimension} dimensions). Vectors of different models cannot be "
                    "compared: set DOCENT_EMBEDDER back, or run `docent reindex` to re-embed."
                )
            if not chunk_count:  # an empty index adopts the configured model
                conn.execute(f"DROP TABLE IF EXISTS {table}")
                stored_model, stored_dim = None, None
        if stored_model is None:
            conn.execute(_vector_table_sql(dimension, table))
            meta.update(embedding_model=model, embedding_dimension=str(dimension))
        for key, value in (
            ("schema_version", str(SCHEMA_VERSION)),
            ("embedding_model", meta["embedding_model"]),
            ("embedding_dimension", meta["embedding_dimension"]),
            ("vector_table", table),
        ):
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
        return meta["embedding_model"], int(meta["embedding_dimension"])

    def _vector_table(self, conn: apsw.Connection) -> str:
        """The vector table, after checking that it holds this process's model: a reindex
        in another process may have replaced it with another model's."""
        meta = _meta(conn)
        if (meta.get("embedding_model"), int(meta.get("embedding_dimension", 0))) != (
            self._model,
            self._dimension,
        ):
            raise SearchUnavailable(
                f"the index was rebuilt for {meta.get('embedding_model')} "
                f"({meta.get('embedding_dimension')} dimensions); restart docent with the "
                "matching DOCENT_EMBEDDER"
            )
        return meta.get("vector_table", DEFAULT_VECTOR_TABLE)

    async def aclose(self) -> None:
        def close_all() -> None:
            with self._connections_lock:
                for conn in self._connections:
                    conn.close()
                self._connections.clear()

        self._executor.shutdown(wait=True)
        close_all()

    async def ping(self) -> None:
        await self._run(self._vector_table)  # readable, and still holding our model

    async def index_info(self) -> IndexInfo:
        def read(conn: apsw.Connection) -> IndexInfo:
            meta = _meta(conn)
            count = _scalar(conn, "SELECT count(*) FROM chunks")
            return IndexInfo(meta["embedding_model"], int(meta["embedding_dimension"]), count)

        return await self._run(read)

    # -- documents ---------------------------------------------------------------------

    async def insert_document(
        self, record: DocumentRecord, *, deduplicate: bool = True
    ) -> DocumentRecord:
        # SQLite enforces one record per (owner, sha256): `deduplicate` cannot be turned off.
        def insert(conn: apsw.Connection) -> DocumentRecord:
            existing = _fetch_documents(
                conn, "owner = ? AND sha256 = ?", (record.owner, record.sha256)
            )
            if existing:
                return existing[0]
            values = _document_row(record)
            conn.execute(
                f"INSERT INTO documents ({', '.join(values)}) "
                f"VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()),
            )
            return record

        return await self._write(insert)

    async def get_document(self, owner: str | Access, document_id: str) -> DocumentRecord | None:
        visible, params = _visible(Access.of(owner))
        rows = await self._run(
            lambda conn: _fetch_documents(conn, f"{visible} AND id = ?", (*params, document_id))
        )
        return rows[0] if rows else None

    async def get_documents(self, owner: str | Access, ids: Sequence[str]) -> list[DocumentRecord]:
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        visible, params = _visible(Access.of(owner))
        return await self._run(
            lambda conn: _fetch_documents(conn, f"{visible} AND id IN ({marks})", (*params, *ids))
        )

    async def list_documents(
        self, owner: str | Access, query: DocumentQuery, *, first: int, after: str | None
    ) -> DocumentPage:
        visible, visible_params = _visible(Access.of(owner))
        where = [visible]
        params: list[Any] = list(visible_params)
        if query.statuses:
            where.append(f"status IN ({', '.join('?' * len(query.statuses))})")
            params.extend(s.value for s in query.statuses)
        for tag in query.tags:
            where.append("EXISTS (SELECT 1 FROM json_each(documents.tags) WHERE value = ?)")
            params.append(tag)
        if query.title_contains:
            where.append(
                "(instr(lower(title), lower(?)) > 0 OR instr(lower(filename), lower(?)) > 0)"
            )
            params.extend([query.title_contains, query.title_contains])
        page_where, page_params = list(where), list(params)
        if after:
            created, doc_id = _decode_cursor(after)
            page_where.append("(created_at, id) < (?, ?)")
            page_params.extend([created, doc_id])

        def read(conn: apsw.Connection) -> DocumentPage:
            total = _scalar(
                conn, f"SELECT count(*) FROM documents WHERE {' AND '.join(where)}", tuple(params)
            )
            rows = _fetch_documents(
                conn,
                " AND ".join(page_where) + " ORDER BY created_at DESC, id DESC LIMIT ?",
                (*page_params, first + 1),
            )
            items = [(r, _encode_cursor(r)) for r in rows[:first]]
            return DocumentPage(items=items, total=total, has_next=len(rows) > first)

        return await self._run(read)

    async def update_document(
        self, record: DocumentRecord, *, expected_version: int | None = None
    ) -> bool:
        values = _document_row(record)
        values.pop("id")
        values.pop("owner")
        sets = ", ".join(f"{k} = ?" for k in values)
        sql = f"UPDATE documents SET {sets} WHERE id = ? AND owner = ?"
        params: tuple[Any, ...] = (*values.values(), record.id, record.owner)
        if expected_version is not None:
            sql += " AND version = ?"
            params = (*params, expected_version)

        def update(conn: apsw.Connection) -> bool:
            conn.execute(sql, params)
            return bool(conn.changes())

        return await self._write(update)

    async def delete_document(self, owner: str, document_id: str) -> bool:
        def delete(conn: apsw.Connection) -> bool:
            _delete_chunks(
                conn, owner, document_id, _meta(conn).get("vector_table", DEFAULT_VECTOR_TABLE)
            )
            conn.execute("DELETE FROM documents WHERE owner = ? AND id = ?", (owner, document_id))
            return bool(conn.changes())

        return await self._write(delete)

    async def documents_in_status(
        self, statuses: Sequence[DocumentStatus], *, older_than_s: float = 0
    ) -> list[DocumentRecord]:
        cutoff = _iso(utcnow() - timedelta(seconds=older_than_s))
        marks = ", ".join("?" * len(statuses))
        return await self._run(
            lambda conn: _fetch_documents(
                conn,
                f"status IN ({marks}) AND updated_at <= ? ORDER BY updated_at",
                (*[s.value for s in statuses], cutoff),
            )
        )

    # -- chunks ------------------------------------------------------------------------

    async def replace_chunks(
        self, owner: str, document_id: str, chunks: Sequence[IndexedChunk]
    ) -> None:
        dimension = self._dimension
        rows = []
        for item in chunks:
            vector = checked_vector(item, dimension)
            search_text = item.search_text or item.chunk.text
            terms = " ".join(analysis.analyze(search_text))
            rows.append((item.chunk, search_text, terms, vector.tobytes()))

        def replace(conn: apsw.Connection) -> None:
            table = self._vector_table(conn)
            _delete_chunks(conn, owner, document_id, table)
            for chunk, search_text, terms, vector in rows:
                conn.execute(
                    "INSERT INTO chunks (id, document_id, owner, ordinal, text, page, page_end, "
                    "section, element_types, start_offset, end_offset, search_text) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        chunk.id, document_id, owner, chunk.ordinal, chunk.text, chunk.page,
                        chunk.page_end, chunk.section, json.dumps(list(chunk.element_types)),
                        chunk.start_offset, chunk.end_offset, search_text,
                    ),
                )  # fmt: skip
                rowid = conn.last_insert_rowid()
                conn.execute("INSERT INTO chunks_fts (rowid, terms) VALUES (?, ?)", (rowid, terms))
                conn.execute(
                    f"INSERT INTO {table} (rowid, owner, document_id, embedding) VALUES (?, ?, ?, ?)",
                    (rowid, owner, document_id, vector),
                )

        await self._write(replace)

    async def get_chunks(self, owner: str | Access, document_id: str) -> list[Chunk]:
        visible, params = _visible(Access.of(owner))

        def read(conn: apsw.Connection) -> list[Chunk]:
            cursor = conn.execute(
                f"SELECT {', '.join(_CHUNK_COLUMNS)} FROM chunks WHERE document_id = ? AND "
                f"document_id IN (SELECT id FROM documents WHERE {visible}) ORDER BY ordinal",
                (document_id, *params),
            )
            return [_chunk(row) for row in cursor]

        return await self._run(read)

    async def keyword_search(
        self,
        owner: str | Access,
        query: str,
        *,
        limit: int,
        document_ids: Sequence[str] | None = None,
    ) -> list[ChunkMatch]:
        terms = analysis.query_terms(query)
        if not terms or limit <= 0 or document_ids == []:
            return []
        access = Access.of(owner)
        match = " OR ".join(f'"{t}"' for t in terms)
        where, params = "chunks_fts MATCH ? AND (c.owner = ?", [match, access.owner]
        if access.groups:
            marks = ", ".join("?" * len(access.groups))
            where += (
                " OR c.document_id IN (SELECT id FROM documents WHERE visibility = 'GROUP' "
                f"AND share_group IN ({marks}))"
            )
            params.extend(access.groups)
        where += ")"
        if document_ids:
            where += f" AND c.document_id IN ({', '.join('?' * len(document_ids))})"
            params.extend(document_ids)
        columns = ", ".join(f"c.{c}" for c in _CHUNK_COLUMNS)
        sql = (
            f"SELECT {columns}, d.title, bm25(chunks_fts) AS score FROM chunks_fts "
            "JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "JOIN documents d ON d.id = c.document_id "
            f"WHERE {where} ORDER BY score LIMIT ?"
        )
        rows = await self._run(lambda conn: conn.execute(sql, (*params, limit)).fetchall())
        return [
            ChunkMatch(
                chunk=_chunk(row[: len(_CHUNK_COLUMNS)]),
                document_title=str(row[-2]),
                rank=rank,
                score=-float(row[-1]),  # type: ignore[arg-type]  # FTS5's bm25() is negated so that smaller sorts first
            )
            for rank, row in enumerate(rows, start=1)
        ]

    async def semantic_search(
        self,
        owner: str | Access,
        vector: np.ndarray,
        *,
        limit: int,
        document_ids: Sequence[str] | None = None,
    ) -> list[ChunkMatch]:
        if limit <= 0 or document_ids == []:
            return []
        access = Access.of(owner)
        # sqlite-vec caps k at 4096; deeper pages are not useful for fusion anyway.
        k = min(limit, 4096)
        embedding = np.asarray(vector, dtype=np.float32).tobytes()
        columns = ", ".join(f"c.{c}" for c in _CHUNK_COLUMNS)

        def query(partition: str, ids: Sequence[str] | None) -> tuple[str, list[Any]]:
            """The k nearest chunks in one owner's partition (the filter is inside the
            kNN search), limited to `ids` when given."""
            where, params = "embedding MATCH ? AND k = ? AND owner = ?", [embedding, k, partition]
            if ids is not None:
                where += f" AND document_id IN ({', '.join('?' * len(ids))})"
                params.extend(ids)
            sql = (
                "WITH knn AS (SELECT rowid, distance FROM {table} WHERE " + where + ") "
                f"SELECT {columns}, d.title, knn.distance FROM knn "
                "JOIN chunks c ON c.rowid = knn.rowid JOIN documents d ON d.id = c.document_id "
                "ORDER BY knn.distance"
            )
            return sql, params

        def read(conn: apsw.Connection) -> list[Any]:
            rows: list[Any] = []
            with conn:  # one read transaction: a reindex cannot swap the table in between
                table = self._vector_table(conn)
                # Own documents, then each other owner's documents shared with the reader's
                # groups: one partition each, never a partition read without its filter.
                queries = [query(access.owner, document_ids)]
                for other, ids in _shared_with(conn, access, document_ids).items():
                    queries.append(query(other, ids))
                for sql, params in queries:
                    rows.extend(conn.execute(sql.format(table=table), tuple(params)).fetchall())
            rows.sort(key=lambda row: float(row[-1]))
            return rows[:k]

        rows = await self._run(read)
        return [
            ChunkMatch(
                chunk=_chunk(row[: len(_CHUNK_COLUMNS)]),
                document_title=str(row[-2]),
                rank=rank,
                score=1.0 - float(row[-1]),
            )
            for rank, row in enumerate(rows, start=1)
        ]

    # -- reindex -----------------------------------------------------------------------

    async def reindex(
        self,
        embed: Callable[[list[str]], Awaitable[np.ndarray]],
        *,
        model: str,
        dimension: int,
        batch: int = 64,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Re-embed every chunk into a new vector table while the old one keeps serving,
        then switch to it in one transaction (catching up with chunks written meanwhile)
        and drop the old table."""

        def create(conn: apsw.Connection) -> tuple[str, str, int]:
            old = _meta(conn).get("vector_table", DEFAULT_VECTOR_TABLE)
            number = int(old.rsplit("_", 1)[1]) if old[-1].isdigit() else 1
            new = f"{DEFAULT_VECTOR_TABLE}_{number + 1}"
            conn.execute(f"DROP TABLE IF EXISTS {new}")
            conn.execute(_vector_table_sql(dimension, new))
            return old, new, _scalar(conn, "SELECT count(*) FROM chunks")

        old, new, total = await self._write(create)
        done = 0
        last = 0
        while True:
            rows = await self._run(functools.partial(_chunks_after, after=last, limit=batch))
            if not rows:
                break
            vectors = await embed([str(r[3]) for r in rows])
            await self._write(
                functools.partial(_insert_vectors, table=new, rows=rows, vectors=vectors)
            )
            last = int(rows[-1][0])
            done += len(rows)
            if progress:
                progress(done, total)

        def missing(conn: apsw.Connection) -> list[Any]:
            return conn.execute(
                "SELECT rowid, owner, document_id, coalesce(search_text, text) FROM chunks "
                f"WHERE rowid NOT IN (SELECT rowid FROM {new})"
            ).fetchall()

        # Catch up with chunks written while copying, first outside the write lock (it may
        # be many), then inside the switch (a few at most; if more arrive, try again later).
        for _ in range(2):
            rows = await self._run(missing)
            if rows:
                vectors = await embed([str(r[3]) for r in rows])
                await self._write(
                    functools.partial(_insert_vectors, table=new, rows=rows, vectors=vectors)
                )
                done += len(rows)

        def switch(conn: apsw.Connection) -> None:
            if missing(conn):
                raise SearchUnavailable("chunks kept arriving during the reindex; run it again")
            conn.execute(f"DELETE FROM {new} WHERE rowid NOT IN (SELECT rowid FROM chunks)")
            for key, value in (
                ("embedding_model", model),
                ("embedding_dimension", str(dimension)),
                ("vector_table", new),
            ):
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            conn.execute(f"DROP TABLE IF EXISTS {old}")

        await self._write(switch)
        self._model, self._dimension = model, dimension
        return done


def _scalar(conn: apsw.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    row = conn.execute(sql, tuple(params)).fetchone()
    return None if row is None else row[0]


def _meta(conn: apsw.Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}


def _in_transaction(conn: apsw.Connection, fn: Callable[[apsw.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def _chunks_after(conn: apsw.Connection, *, after: int, limit: int) -> list[Any]:
    return conn.execute(
        "SELECT rowid, owner, document_id, coalesce(search_text, text) FROM chunks "
        "WHERE rowid > ? ORDER BY rowid LIMIT ?",
        (after, limit),
    ).fetchall()


def _insert_vectors(
    conn: apsw.Connection, table: str, rows: Sequence[Any], vectors: np.ndarray
) -> None:
    for (rowid, owner, document_id, _), vector in zip(rows, vectors, strict=True):
        conn.execute(
            f"INSERT INTO {table} (rowid, owner, document_id, embedding) VALUES (?, ?, ?, ?)",
            (rowid, owner, document_id, np.asarray(vector, dtype=np.float32).tobytes()),
        )


def _delete_chunks(conn: apsw.Connection, owner: str, document_id: str, table: str) -> None:
    rowids = [
        r[0]
        for r in conn.execute(
            "SELECT rowid FROM chunks WHERE owner = ? AND document_id = ?", (owner, document_id)
        )
    ]
    for start in range(0, len(rowids), 500):
        batch = rowids[start : start + 500]
        marks = ", ".join("?" * len(batch))
        conn.execute(f"DELETE FROM chunks_fts WHERE rowid IN ({marks})", batch)
        conn.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", batch)
        conn.execute(f"DELETE FROM chunks WHERE rowid IN ({marks})", batch)


def _document_row(record: DocumentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "owner": record.owner,
        "title": record.title,
        "filename": record.filename,
        "mime_type": record.mime_type,
        "size_bytes": record.size_bytes,
        "sha256": record.sha256,
        "status": record.status.value,
        "tags": json.dumps(list(record.tags)),
        "error_code": record.error_code,
        "error_message": record.error_message,
        "page_count": record.page_count,
        "chunk_count": record.chunk_count,
        "created_at": _iso(record.created_at),
        "processed_at": _iso(record.processed_at),
        "updated_at": _iso(record.updated_at),
        "version": record.version,
        "visibility": record.visibility.value,
        "share_group": record.group,
    }


def _fetch_documents(
    conn: apsw.Connection, where: str, params: Sequence[Any]
) -> list[DocumentRecord]:
    sql = f"SELECT {', '.join(_DOCUMENT_COLUMNS)} FROM documents WHERE {where}"
    rows = conn.execute(sql, tuple(params))
    return [_document(dict(zip(_DOCUMENT_COLUMNS, row, strict=True))) for row in rows]


def _document(row: dict[str, Any]) -> DocumentRecord:
    return DocumentRecord(
        id=row["id"],
        owner=row["owner"],
        title=row["title"],
        filename=row["filename"],
        mime_type=row["mime_type"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
        status=DocumentStatus(row["status"]),
        tags=tuple(json.loads(row["tags"])),
        error_code=row["error_code"],
        error_message=row["error_message"],
        page_count=row["page_count"],
        chunk_count=row["chunk_count"],
        created_at=_from_iso(row["created_at"]) or utcnow(),
        processed_at=_from_iso(row["processed_at"]),
        updated_at=_from_iso(row["updated_at"]) or utcnow(),
        version=row["version"],
        visibility=Visibility(row["visibility"] or Visibility.PRIVATE),
        group=row["share_group"],
    )


def _chunk(row: Sequence[Any]) -> Chunk:
    values = dict(zip(_CHUNK_COLUMNS, row, strict=True))
    return Chunk(
        id=values["id"],
        document_id=values["document_id"],
        ordinal=values["ordinal"],
        text=values["text"],
        page=values["page"],
        page_end=values["page_end"],
        section=values["section"],
        element_types=tuple(json.loads(values["element_types"])),
        start_offset=values["start_offset"],
        end_offset=values["end_offset"],
    )


def _visible(access: Access) -> tuple[str, list[Any]]:
    """The documents `access` may read, as a WHERE condition on the documents table."""
    if not access.groups:
        return "owner = ?", [access.owner]
    marks = ", ".join("?" * len(access.groups))
    return (
        f"(owner = ? OR (visibility = 'GROUP' AND share_group IN ({marks})))",
        [access.owner, *access.groups],
    )


def _shared_with(
    conn: apsw.Connection, access: Access, document_ids: Sequence[str] | None
) -> dict[str, list[str]]:
    """Other owners' documents shared with the reader's groups, by owner."""
    if not access.groups:
        return {}
    marks = ", ".join("?" * len(access.groups))
    sql = (
        "SELECT owner, id FROM documents WHERE visibility = 'GROUP' "
        f"AND share_group IN ({marks}) AND owner != ?"
    )
    params: list[Any] = [*access.groups, access.owner]
    if document_ids is not None:
        sql += f" AND id IN ({', '.join('?' * len(document_ids))})"
        params.extend(document_ids)
    shared: dict[str, list[str]] = {}
    for owner, document_id in conn.execute(sql, tuple(params)):
        shared.setdefault(owner, []).append(document_id)
    return shared
