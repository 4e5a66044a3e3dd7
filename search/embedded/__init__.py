"""The embedded search engine: records, BM25 and vectors in one SQLite database."""
