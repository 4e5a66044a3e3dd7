"""The embedded engine, assembled: its catalogue and chunk index over one SQLite database,
and the administration of that database (schema, model guard, reindex)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import apsw

from docent.search.backend import IndexInfo, SearchBackend
from docent.search.embedded import schema
from docent.search.embedded.catalog import EmbeddedCatalog
from docent.search.embedded.chunks import EmbeddedChunkIndex
from docent.search.embedded.database import Database, scalar
from docent.search.embedded.reindex import EmbeddedReindex

if TYPE_CHECKING:
    from docent.settings import Settings


class EmbeddedBackend(EmbeddedCatalog, EmbeddedChunkIndex, EmbeddedReindex):
    """Records, BM25 and vectors in one SQLite file under the data directory."""

    name = "embedded"

    def __init__(self, path: Path, *, threads: int = 4) -> None:
        self.path = path
        self._db = Database(path, threads=threads)
        # The model and dimension this process embeds with, set by `open`.
        self._dimension: int | None = None
        self._model: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedBackend:
        return cls(settings.storage.index_dir / "docent.sqlite3")

    async def open(
        self, *, model: str, dimension: int, check_model: bool = True, wait: bool = True
    ) -> None:  # a local file is always reachable: `wait` changes nothing
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._model, self._dimension = await self._db.write(
            lambda conn: schema.migrate(conn, self.path, model, dimension, check_model)
        )

    async def aclose(self) -> None:
        self._db.close()

    async def ping(self) -> None:
        await self._db.run(self._vector_table)  # readable, and still holding our model

    async def index_info(self) -> IndexInfo:
        def read(conn: apsw.Connection) -> IndexInfo:
            meta = schema.read_meta(conn)
            count = scalar(conn, "SELECT count(*) FROM chunks")
            return IndexInfo(meta["embedding_model"], int(meta["embedding_dimension"]), count)

        return await self._db.run(read)


# mypy checks that the engine fills every role of a search backend.
_FILLS_EVERY_ROLE: type[SearchBackend] = EmbeddedBackend
