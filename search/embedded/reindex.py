"""Re-embedding the embedded index with another model, while the current one serves."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import apsw
import numpy as np

from docent.errors import SearchUnavailable
from docent.search.backend import EmbedTexts, Progress
from docent.search.embedded import schema
from docent.search.embedded.chunks import insert_vector
from docent.search.embedded.database import Database, scalar

#: A chunk to re-embed: its rowid, owner, document id and the text its vector is made of.
_TO_EMBED = "SELECT rowid, owner, document_id, coalesce(search_text, text) FROM chunks"


class EmbeddedReindex:
    """`reindex` of the administration role."""

    _db: Database
    _model: str | None
    _dimension: int | None

    async def reindex(
        self,
        embed: EmbedTexts,
        *,
        model: str,
        dimension: int,
        batch: int = 64,
        progress: Progress | None = None,
    ) -> int:
        """Re-embed every chunk into a new vector table while the old one keeps serving,
        then switch to it in one transaction (catching up with chunks written meanwhile)
        and drop the old table; afterwards this process serves the new model. Returns the
        chunks embedded; raises `SearchUnavailable` when chunks keep arriving faster than
        the catch-up."""

        def create(conn: apsw.Connection) -> tuple[str, str, int]:
            old = schema.stored_vector_table(schema.read_meta(conn))
            number = int(old.rsplit("_", 1)[1]) if old[-1].isdigit() else 1
            new = f"{schema.DEFAULT_VECTOR_TABLE}_{number + 1}"
            conn.execute(f"DROP TABLE IF EXISTS {new}")
            conn.execute(schema.vector_table_sql(dimension, new))
            return old, new, scalar(conn, "SELECT count(*) FROM chunks")

        old, new, total = await self._db.write(create)

        async def copy(rows: list[Any]) -> None:
            vectors = await embed([str(r[3]) for r in rows])
            await self._db.write(
                functools.partial(_insert_vectors, table=new, rows=rows, vectors=vectors)
            )

        done = 0
        last = 0
        while True:
            rows = await self._db.run(functools.partial(_chunks_after, after=last, limit=batch))
            if not rows:
                break
            await copy(rows)
            last = int(rows[-1][0])
            done += len(rows)
            if progress:
                progress(done, total)

        def missing(conn: apsw.Connection) -> list[Any]:
            return conn.execute(
                f"{_TO_EMBED} WHERE rowid NOT IN (SELECT rowid FROM {new})"
            ).fetchall()

        # Catch up with chunks written while copying, first outside the write lock (it may
        # be many), then inside the switch (a few at most; if more arrive, try again later).
        for _ in range(2):
            rows = await self._db.run(missing)
            if rows:
                await copy(rows)
                done += len(rows)

        def switch(conn: apsw.Connection) -> None:
            if missing(conn):
                raise SearchUnavailable("chunks kept arriving during the reindex; run it again")
            conn.execute(f"DELETE FROM {new} WHERE rowid NOT IN (SELECT rowid FROM chunks)")
            schema.write_meta(
                conn, embedding_model=model, embedding_dimension=str(dimension), vector_table=new
            )
            conn.execute(f"DROP TABLE IF EXISTS {old}")

        await self._db.write(switch)
        self._model, self._dimension = model, dimension
        return done


def _chunks_after(conn: apsw.Connection, *, after: int, limit: int) -> list[Any]:
    return conn.execute(
        f"{_TO_EMBED} WHERE rowid > ? ORDER BY rowid LIMIT ?", (after, limit)
    ).fetchall()


def _insert_vectors(
    conn: apsw.Connection, table: str, rows: Sequence[Any], vectors: np.ndarray
) -> None:
    for (rowid, owner, document_id, _), vector in zip(rows, vectors, strict=True):
        insert_vector(conn, table, rowid, owner, document_id, vector)
