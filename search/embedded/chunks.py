"""The embedded engine's chunk index: passages in `chunks`, their BM25 terms in
`chunks_fts` and their vectors in the vector table, under one rowid; and the two searches.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any

import apsw
import numpy as np

from docent.domain import Access, Chunk, ChunkMatch, IndexedChunk
from docent.search import analysis
from docent.search.backend import Fence, checked_vector
from docent.search.embedded import schema
from docent.search.embedded.access import shared_with, visible, visible_chunks
from docent.search.embedded.database import Database, marks
from docent.search.records import CHUNK_FIELDS, chunk_from_dict, region_to_dict

#: sqlite-vec caps k at 4096; deeper pages are not useful for fusion anyway.
MAX_K = 4096
#: Rows deleted per statement (SQLite's limit on parameters is far above).
_DELETE_BATCH = 500
_COLUMNS = ", ".join(f"c.{column}" for column in CHUNK_FIELDS)


class EmbeddedChunkIndex:
    """`ChunkIndex` on the `chunks`, `chunks_fts` and vector tables."""

    _db: Database
    _model: str | None
    _dimension: int | None

    def _vector_table(self, conn: apsw.Connection) -> str:
        return schema.serving_vector_table(conn, self._model, self._dimension)

    async def replace_chunks(
        self,
        owner: str,
        document_id: str,
        chunks: Sequence[IndexedChunk],
        *,
        fence: Fence | None = None,
    ) -> bool:
        """The check of the document (and fence) and every write are one transaction: a
        document deleted or superseded before it gets nothing, and one deleted after it
        loses these chunks with it."""
        # Text analysis and vector checks are CPU work that grows with the document: done
        # on a thread, not on the event loop.
        rows = await asyncio.to_thread(_rows, chunks, self._dimension)

        def replace(conn: apsw.Connection) -> bool:
            if not holds(conn, owner, document_id, fence):
                return False
            table = self._vector_table(conn)
            delete_chunks(conn, owner, document_id, table)
            for chunk, search_text, terms, vector in rows:
                conn.execute(
                    "INSERT INTO chunks (id, document_id, owner, ordinal, text, page, page_end, "
                    "section, element_types, start_offset, end_offset, search_text, regions) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        chunk.id, document_id, owner, chunk.ordinal, chunk.text, chunk.page,
                        chunk.page_end, chunk.section, json.dumps(list(chunk.element_types)),
                        chunk.start_offset, chunk.end_offset, search_text,
                        json.dumps([region_to_dict(r) for r in chunk.regions]),
                    ),
                )  # fmt: skip
                rowid = conn.last_insert_rowid()
                conn.execute("INSERT INTO chunks_fts (rowid, terms) VALUES (?, ?)", (rowid, terms))
                insert_vector(conn, table, rowid, owner, document_id, vector)
            return True

        return await self._db.write(replace)

    async def get_chunks(self, owner: str | Access, document_id: str) -> list[Chunk]:
        where, params = visible(Access.of(owner))

        def read(conn: apsw.Connection) -> list[Chunk]:
            cursor = conn.execute(
                f"SELECT {_COLUMNS} FROM chunks c WHERE document_id = ? AND "
                f"document_id IN (SELECT id FROM documents WHERE {where}) ORDER BY ordinal",
                (document_id, *params),
            )
            return [_chunk(row) for row in cursor]

        return await self._db.run(read)

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
        readable, readable_params = visible_chunks(Access.of(owner), "c")
        where, params = f"chunks_fts MATCH ? AND {readable}", [" OR ".join(f'"{t}"' for t in terms)]
        params.extend(readable_params)
        if document_ids:
            where += f" AND c.document_id IN ({marks(document_ids)})"
            params.extend(document_ids)
        sql = (
            f"SELECT {_COLUMNS}, d.title, bm25(chunks_fts) AS score FROM chunks_fts "
            "JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "JOIN documents d ON d.id = c.document_id "
            f"WHERE {where} ORDER BY score LIMIT ?"
        )
        rows = await self._db.run(lambda conn: conn.execute(sql, (*params, limit)).fetchall())
        # FTS5's bm25() is negated so that smaller sorts first
        return _matches(rows, lambda bm25: -bm25)

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
        k = min(limit, MAX_K)
        embedding = np.asarray(vector, dtype=np.float32).tobytes()

        def query(partition: str, ids: Sequence[str] | None) -> tuple[str, list[Any]]:
            """The k nearest chunks in one owner's partition (the filter is inside the
            kNN search), limited to `ids` when given."""
            where, params = "embedding MATCH ? AND k = ? AND owner = ?", [embedding, k, partition]
            if ids is not None:
                where += f" AND document_id IN ({marks(ids)})"
                params.extend(ids)
            sql = (
                "WITH knn AS (SELECT rowid, distance FROM {table} WHERE " + where + ") "
                f"SELECT {_COLUMNS}, d.title, knn.distance FROM knn "
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
                for other, ids in shared_with(conn, access, document_ids).items():
                    queries.append(query(other, ids))
                for sql, params in queries:
                    rows.extend(conn.execute(sql.format(table=table), tuple(params)).fetchall())
            rows.sort(key=lambda row: float(row[-1]))
            return rows[:k]

        rows = await self._db.run(read)
        # sqlite-vec's cosine distance is 1 - similarity
        return _matches(rows, lambda distance: 1.0 - distance)


def holds(conn: apsw.Connection, owner: str, document_id: str, fence: Fence | None) -> bool:
    """Whether the owner's document exists and, with `fence`, still has its version and
    run (read inside the caller's transaction)."""
    row = conn.execute(
        "SELECT version, run FROM documents WHERE owner = ? AND id = ?", (owner, document_id)
    ).fetchone()
    return row is not None and (fence is None or (fence.version, fence.run) == tuple(row))


def _rows(
    chunks: Sequence[IndexedChunk], dimension: int | None
) -> list[tuple[Chunk, str, str, np.ndarray]]:
    """Each chunk with the text it is searched by, its analysed terms and its checked
    vector (ValueError for a vector that must not be indexed)."""
    rows = []
    for item in chunks:
        vector = checked_vector(item, dimension)
        search_text = item.search_text or item.chunk.text
        terms = " ".join(analysis.analyze(search_text))
        rows.append((item.chunk, search_text, terms, vector))
    return rows


def insert_vector(
    conn: apsw.Connection,
    table: str,
    rowid: int,
    owner: str,
    document_id: str,
    vector: np.ndarray,
) -> None:
    """Store the vector of the chunk at `rowid` in the vector table `table`."""
    conn.execute(
        f"INSERT INTO {table} (rowid, owner, document_id, embedding) VALUES (?, ?, ?, ?)",
        (rowid, owner, document_id, np.asarray(vector, dtype=np.float32).tobytes()),
    )


def delete_chunks(conn: apsw.Connection, owner: str, document_id: str, table: str) -> None:
    """Delete a document's chunks, their terms and their vectors (in the vector table
    `table`)."""
    rowids = [
        r[0]
        for r in conn.execute(
            "SELECT rowid FROM chunks WHERE owner = ? AND document_id = ?", (owner, document_id)
        )
    ]
    for start in range(0, len(rowids), _DELETE_BATCH):
        batch = rowids[start : start + _DELETE_BATCH]
        conn.execute(f"DELETE FROM chunks_fts WHERE rowid IN ({marks(batch)})", batch)
        conn.execute(f"DELETE FROM {table} WHERE rowid IN ({marks(batch)})", batch)
        conn.execute(f"DELETE FROM chunks WHERE rowid IN ({marks(batch)})", batch)


def _chunk(row: Sequence[Any]) -> Chunk:
    values = dict(zip(CHUNK_FIELDS, row, strict=True))
    values["element_types"] = json.loads(values["element_types"])
    values["regions"] = json.loads(values["regions"])
    return chunk_from_dict(values)


def _matches(rows: Sequence[Any], score: Callable[[float], float]) -> list[ChunkMatch]:
    """Rows of chunk columns, document title and raw score, best first, as matches scored
    by `score(raw)`."""
    return [
        ChunkMatch(
            chunk=_chunk(row[: len(CHUNK_FIELDS)]),
            document_title=str(row[-2]),
            rank=rank,
            score=score(float(row[-1])),
        )
        for rank, row in enumerate(rows, start=1)
    ]
