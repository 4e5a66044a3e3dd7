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
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import apsw
import numpy as np
import sqlite_vec

from docent.domain import Chunk, ChunkMatch, DocumentRecord, DocumentStatus, IndexedChunk, utcnow
from docent.errors import IndexMismatch, InvalidInput, SearchUnavailable
from docent.search import analysis
from docent.search.backend import DocumentPage, DocumentQuery, IndexInfo

if TYPE_CHECKING:
    from docent.settings import Settings

T = TypeVar("T")

SCHEMA_VERSION = 1
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
    processed_at TEXT, updated_at TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX IF NOT EXISTS documents_owner_sha256 ON documents (owner, sha256);
CREATE INDEX IF NOT EXISTS documents_owner_created ON documents (owner, created_at, id);
CREATE INDEX IF NOT EXISTS documents_status ON documents (status, updated_at);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL,
    owner TEXT NOT NULL, ordinal INTEGER NOT NULL, text TEXT NOT NULL, page INTEGER,
    page_end INTEGER, section TEXT, element_types TEXT NOT NULL DEFAULT '[]',
    start_offset INTEGER NOT NULL DEFAULT 0, end_offset INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks (document_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (
    terms, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'
);
"""


def _vector_table_sql(dimension: int) -> str:
    return (
        "CREATE VIRTUAL TABLE IF NOT EXISTS chunk_vectors USING vec0 ("
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

    async def open(self, *, model: str, dimension: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        await self._write(lambda conn: self._migrate(conn, model, dimension))
        self._dimension = dimension

    def _migrate(self, conn: apsw.Connection, model: str, dimension: int) -> None:
        conn.execute(_SCHEMA)
        meta = _meta(conn)
        stored_version = int(meta.get("schema_version", SCHEMA_VERSION))
        if stored_version > SCHEMA_VERSION:
            raise IndexMismatch(
                f"the index at {self.path} was written by a newer docent "
                f"(schema {stored_version}); upgrade docent to open it"
            )
        chunk_count = _scalar(conn, "SELECT count(*) FROM chunks")
        stored_model, stored_dim = meta.get("embedding_model"), meta.get("embedding_dimension")
        if stored_model is not None and (stored_model, int(stored_dim or 0)) != (model, dimension):
            if chunk_count:
                raise IndexMismatch(
                    f"the index at {self.path} holds {chunk_count} chunks embedded with "
                    f"{stored_model} ({stored_dim} dimensions), but the configured embedder is "
                    f"{model} ({dimension} dimensions). Vectors of different models cannot be "
                    "compared: set DOCENT_EMBEDDER back, or run `docent reindex` to re-embed."
                )
            conn.execute("DROP TABLE IF EXISTS chunk_vectors")
        conn.execute(_vector_table_sql(dimension))
        for key, value in (
            ("schema_version", str(SCHEMA_VERSION)),
            ("embedding_model", model),
            ("embedding_dimension", str(dimension)),
        ):
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    async def aclose(self) -> None:
        def close_all() -> None:
            with self._connections_lock:
                for conn in self._connections:
                    conn.close()
                self._connections.clear()

        self._executor.shutdown(wait=True)
        close_all()

    async def ping(self) -> None:
        await self._run(lambda conn: conn.execute("SELECT 1 FROM meta LIMIT 1").fetchall())

    async def index_info(self) -> IndexInfo:
        def read(conn: apsw.Connection) -> IndexInfo:
            meta = _meta(conn)
            count = _scalar(conn, "SELECT count(*) FROM chunks")
            return IndexInfo(meta["embedding_model"], int(meta["embedding_dimension"]), count)

        return await self._run(read)

    # -- documents ---------------------------------------------------------------------

    async def insert_document(self, record: DocumentRecord) -> DocumentRecord:
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

    async def get_document(self, owner: str, document_id: str) -> DocumentRecord | None:
        rows = await self._run(
            lambda conn: _fetch_documents(conn, "owner = ? AND id = ?", (owner, document_id))
        )
        return rows[0] if rows else None

    async def get_documents(self, owner: str, ids: Sequence[str]) -> list[DocumentRecord]:
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        return await self._run(
            lambda conn: _fetch_documents(conn, f"owner = ? AND id IN ({marks})", (owner, *ids))
        )

    async def list_documents(
        self, owner: str, query: DocumentQuery, *, first: int, after: str | None
    ) -> DocumentPage:
        where = ["owner = ?"]
        params: list[Any] = [owner]
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
            _delete_chunks(conn, owner, document_id)
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
            if item.vector is None or len(item.vector) != dimension:
                raise ValueError(f"chunk {item.chunk.id} has no {dimension}-dimension vector")
            vector = np.asarray(item.vector, dtype=np.float32)
            if not np.all(np.isfinite(vector)) or float(np.linalg.norm(vector)) < 1e-6:
                raise ValueError(f"chunk {item.chunk.id} has a zero or invalid vector")
            terms = " ".join(analysis.analyze(item.search_text or item.chunk.text))
            rows.append((item.chunk, terms, vector.tobytes()))

        def replace(conn: apsw.Connection) -> None:
            _delete_chunks(conn, owner, document_id)
            for chunk, terms, vector in rows:
                conn.execute(
                    "INSERT INTO chunks (id, document_id, owner, ordinal, text, page, page_end, "
                    "section, element_types, start_offset, end_offset) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        chunk.id, document_id, owner, chunk.ordinal, chunk.text, chunk.page,
                        chunk.page_end, chunk.section, json.dumps(list(chunk.element_types)),
                        chunk.start_offset, chunk.end_offset,
                    ),
                )  # fmt: skip
                rowid = conn.last_insert_rowid()
                conn.execute("INSERT INTO chunks_fts (rowid, terms) VALUES (?, ?)", (rowid, terms))
                conn.execute(
                    "INSERT INTO chunk_vectors (rowid, owner, document_id, embedding) "
                    "VALUES (?, ?, ?, ?)",
                    (rowid, owner, document_id, vector),
                )

        await self._write(replace)

    async def get_chunks(self, owner: str, document_id: str) -> list[Chunk]:
        def read(conn: apsw.Connection) -> list[Chunk]:
            cursor = conn.execute(
                f"SELECT {', '.join(_CHUNK_COLUMNS)} FROM chunks "
                "WHERE owner = ? AND document_id = ? ORDER BY ordinal",
                (owner, document_id),
            )
            return [_chunk(row) for row in cursor]

        return await self._run(read)

    async def keyword_search(
        self, owner: str, query: str, *, limit: int, document_ids: Sequence[str] | None = None
    ) -> list[ChunkMatch]:
        terms = analysis.query_terms(query)
        if not terms or limit <= 0 or document_ids == []:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        where, params = "chunks_fts MATCH ? AND c.owner = ?", [match, owner]
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
        owner: str,
        vector: np.ndarray,
        *,
        limit: int,
        document_ids: Sequence[str] | None = None,
    ) -> list[ChunkMatch]:
        if limit <= 0 or document_ids == []:
            return []
        # sqlite-vec caps k at 4096; deeper pages are not useful for fusion anyway.
        k = min(limit, 4096)
        where, params = "embedding MATCH ? AND k = ? AND owner = ?", [
            np.asarray(vector, dtype=np.float32).tobytes(), k, owner,
        ]  # fmt: skip
        if document_ids:
            where += f" AND document_id IN ({', '.join('?' * len(document_ids))})"
            params.extend(document_ids)
        columns = ", ".join(f"c.{c}" for c in _CHUNK_COLUMNS)
        sql = (
            f"WITH knn AS (SELECT rowid, distance FROM chunk_vectors WHERE {where}) "
            f"SELECT {columns}, d.title, knn.distance FROM knn "
            "JOIN chunks c ON c.rowid = knn.rowid JOIN documents d ON d.id = c.document_id "
            "ORDER BY knn.distance"
        )
        rows = await self._run(lambda conn: conn.execute(sql, tuple(params)).fetchall())
        return [
            ChunkMatch(
                chunk=_chunk(row[: len(_CHUNK_COLUMNS)]),
                document_title=str(row[-2]),
                rank=rank,
                score=1.0 - float(row[-1]),  # type: ignore[arg-type]
            )
            for rank, row in enumerate(rows, start=1)
        ]


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


def _delete_chunks(conn: apsw.Connection, owner: str, document_id: str) -> None:
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
        conn.execute(f"DELETE FROM chunk_vectors WHERE rowid IN ({marks})", batch)
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
