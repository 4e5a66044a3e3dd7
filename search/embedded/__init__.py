"""The embedded search engine: one SQLite database holding records, BM25 and vectors.

- `store.py`: `EmbeddedBackend`, every search backend role in one class.
- `catalog.py`: the document records (`DocumentCatalog`).
- `chunks.py`: chunks, BM25 terms and vectors, and the two searches (`ChunkIndex`).
- `access.py`: who may read what, as SQL conditions.
- `schema.py`: tables, upgrades, the embedding model the index holds.
- `reindex.py`: re-embedding into a new vector table while the old one serves.
- `database.py`: connections (WAL mode, sqlite-vec), reads and serialised writes.
"""
