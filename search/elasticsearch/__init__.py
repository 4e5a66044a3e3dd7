"""The Elasticsearch search engine: records and chunks in versioned indices behind aliases.

- `store.py`: `ElasticsearchBackend`, every search backend role in one class.
- `catalog.py`: the document records and upload claims (`DocumentCatalog`).
- `chunks.py`: chunks, BM25 terms and vectors, and the two searches (`ChunkIndex`).
- `reindex.py`: re-embedding into the next chunks index while the current one serves.
- `indices.py`: creating and upgrading the indices, the alias switch, the model guard.
- `mappings.py` (with `mappings.json`): index settings and field mappings.
- `cluster.py`: the client, index names, refresh policy, requests and bulk writes.
"""
