"""The embedded engine's schema, its upgrades, and the embedding model it holds.

- `documents`: the records (the columns are `records.STORED_RECORD_FIELDS`).
- `chunks`: passages, with the text BM25 and the embedder saw (`search_text`).
- `chunks_fts`: an FTS5 table over terms analysed in Python (`analysis.py`: stop words,
  Snowball stems), contentless because the text itself lives in `chunks`.
- The vector table (its name in `meta`: a reindex builds the next one): a sqlite-vec
  `vec0` table partitioned by owner, so the owner filter is applied inside the
  nearest-neighbour scan (a pre-filter), with the document id as a metadata column for
  document filters.
- `conversations` and `messages`: conversations and their messages (a message's
  citations, standalone question and feedback as JSON in `details`), per owner.
- `meta`: the schema version, the embedding model and dimension, the vector table, and
  the version of the keyword analysis its terms were made by (`analysis.ANALYSIS_VERSION`;
  an index without one was made by version 1).
"""

from __future__ import annotations

import logging
from pathlib import Path

import apsw

from docent.errors import IndexMismatch, SearchUnavailable
from docent.search import analysis
from docent.search.embedded.database import scalar

log = logging.getLogger(__name__)

#: 1: first version. 2: chunks keep the text BM25 and the embedder saw (`search_text`),
#: so that `reindex` re-embeds exactly that; the vector table's name is in `meta`.
#: 3: documents can be shared with a group (`visibility`, `share_group`).
#: 4: documents count their processing runs (`run`, the fencing token of the latest).
#: 5: conversations and their messages (`conversations`, `messages`).
#: 6: chunks keep where they are drawn on their pages (`regions`, JSON).
SCHEMA_VERSION = 6
DEFAULT_VECTOR_TABLE = "chunk_vectors"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, filename TEXT NOT NULL,
    mime_type TEXT NOT NULL, size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL,
    status TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]', error_code TEXT, error_message TEXT,
    page_count INTEGER, chunk_count INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
    processed_at TEXT, updated_at TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1,
    visibility TEXT NOT NULL DEFAULT 'PRIVATE', share_group TEXT, run INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS documents_owner_sha256 ON documents (owner, sha256);
CREATE INDEX IF NOT EXISTS documents_owner_created ON documents (owner, created_at, id);
CREATE INDEX IF NOT EXISTS documents_status ON documents (status, updated_at);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL,
    owner TEXT NOT NULL, ordinal INTEGER NOT NULL, text TEXT NOT NULL, page INTEGER,
    page_end INTEGER, section TEXT, element_types TEXT NOT NULL DEFAULT '[]',
    start_offset INTEGER NOT NULL DEFAULT 0, end_offset INTEGER NOT NULL DEFAULT 0,
    search_text TEXT, regions TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks (document_id, ordinal);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_owner_updated ON conversations (owner, updated_at, id);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (updated_at);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, owner TEXT NOT NULL, role TEXT NOT NULL,
    text TEXT NOT NULL, seq INTEGER NOT NULL, created_at TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation_id, seq);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (
    terms, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'
);
"""


def vector_table_sql(dimension: int, table: str = DEFAULT_VECTOR_TABLE) -> str:
    """The statement that creates a vector table of `dimension` (if it does not exist)."""
    return (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING vec0 ("
        "owner TEXT PARTITION KEY, document_id TEXT, "
        f"embedding float[{dimension}] distance_metric=cosine)"
    )


def read_meta(conn: apsw.Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}


def write_meta(conn: apsw.Connection, **values: str) -> None:
    for key, value in values.items():
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def stored_vector_table(meta: dict[str, str]) -> str:
    """The vector table in use, whatever model it holds."""
    return meta.get("vector_table", DEFAULT_VECTOR_TABLE)


def migrate(
    conn: apsw.Connection, path: Path, model: str, dimension: int, check_model: bool
) -> tuple[str, int]:
    """Create or upgrade the schema of the database at `path` (named in errors); returns
    the model and dimension the index holds. Raises `IndexMismatch` for a schema newer
    than this docent's, or (with `check_model`) chunks embedded with another model."""
    conn.execute(_SCHEMA)
    meta = read_meta(conn)
    stored_version = int(meta.get("schema_version", SCHEMA_VERSION))
    if stored_version > SCHEMA_VERSION:
        raise IndexMismatch(
            f"the index at {path} was written by a newer docent "
            f"(schema {stored_version}); upgrade docent to open it"
        )
    columns = {row[1] for row in conn.execute("PRAGMA table_info(chunks)")}
    if "search_text" not in columns:  # schema 1 -> 2
        conn.execute("ALTER TABLE chunks ADD COLUMN search_text TEXT")
    if "regions" not in columns:  # schema 5 -> 6
        conn.execute("ALTER TABLE chunks ADD COLUMN regions TEXT NOT NULL DEFAULT '[]'")
    columns = {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
    if "visibility" not in columns:  # schema 2 -> 3
        conn.execute("ALTER TABLE documents ADD COLUMN visibility TEXT NOT NULL DEFAULT 'PRIVATE'")
        conn.execute("ALTER TABLE documents ADD COLUMN share_group TEXT")
    if "run" not in columns:  # schema 3 -> 4
        conn.execute("ALTER TABLE documents ADD COLUMN run INTEGER NOT NULL DEFAULT 0")
    conn.execute(
        "CREATE INDEX IF NOT EXISTS documents_shared ON documents (share_group, owner) "
        "WHERE visibility = 'GROUP'"
    )
    chunk_count = scalar(conn, "SELECT count(*) FROM chunks")
    table = stored_vector_table(meta)
    stored_model, stored_dim = meta.get("embedding_model"), meta.get("embedding_dimension")
    if stored_model is not None and (stored_model, int(stored_dim or 0)) != (model, dimension):
        if chunk_count and check_model:
            raise IndexMismatch(
                f"the index at {path} holds {chunk_count} chunks embedded with "
                f"{stored_model} ({stored_dim} dimensions), but the configured embedder is "
                f"{model} ({dimension} dimensions). Vectors of different models cannot be "
                "compared: set DOCENT_EMBEDDER back, or run `docent reindex` to re-embed."
            )
        if not chunk_count:  # an empty index adopts the configured model
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            stored_model, stored_dim = None, None
    if stored_model is None:
        conn.execute(vector_table_sql(dimension, table))
        meta.update(embedding_model=model, embedding_dimension=str(dimension))
    stored_analysis = int(meta.get("analysis_version", 1 if chunk_count else 0))
    if chunk_count and stored_analysis != analysis.ANALYSIS_VERSION:
        reanalyse(conn, path, stored_analysis, chunk_count)
    write_meta(
        conn,
        schema_version=str(SCHEMA_VERSION),
        analysis_version=str(analysis.ANALYSIS_VERSION),
        embedding_model=meta["embedding_model"],
        embedding_dimension=meta["embedding_dimension"],
        vector_table=table,
    )
    return meta["embedding_model"], int(meta["embedding_dimension"])


def reanalyse(conn: apsw.Connection, path: Path, stored: int, chunk_count: int) -> None:
    """Make every chunk's BM25 terms again with this docent's analysis, from the text they
    were made of (`search_text`): the keyword index of an older analysis would not match
    the terms its queries now have. Vectors are untouched. ~1 ms a chunk, once."""
    log.warning(
        "re-analysing the %d chunks of %s for keyword search (analysis version %d -> %d)",
        chunk_count, path, stored, analysis.ANALYSIS_VERSION,
    )  # fmt: skip
    conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('delete-all')")
    rows = conn.execute("SELECT rowid, coalesce(search_text, text) FROM chunks").fetchall()
    for rowid, text in rows:
        conn.execute(
            "INSERT INTO chunks_fts (rowid, terms) VALUES (?, ?)",
            (rowid, " ".join(analysis.analyze(str(text)))),
        )


def serving_vector_table(conn: apsw.Connection, model: str | None, dimension: int | None) -> str:
    """The vector table, after checking that it holds this process's model: a reindex in
    another process may have replaced it with another model's (`SearchUnavailable`)."""
    meta = read_meta(conn)
    if (meta.get("embedding_model"), int(meta.get("embedding_dimension", 0))) != (
        model,
        dimension,
    ):
        raise SearchUnavailable(
            f"the index was rebuilt for {meta.get('embedding_model')} "
            f"({meta.get('embedding_dimension')} dimensions); restart docent with the "
            "matching DOCENT_EMBEDDER"
        )
    return stored_vector_table(meta)
