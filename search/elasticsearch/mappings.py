"""The Elasticsearch indices' settings and mappings (the field types are data, in
`mappings.json`), and the chunk fields a search reads back.

Every mapping is `dynamic: strict`. Fields of the chunks index:
- `text`: what the passage says (shown; matched as typed by the `standard` analyzer);
- `search_text`: what the embedder saw, the text with its section heading (not indexed:
  kept for reindex);
- `terms`: what BM25 ranks, the analysed terms of `search_text` separated by spaces
  (`analysis.py`, so no analysis plugin is needed);
- `regions`: where the passage is drawn on its pages (kept in `_source`, not indexed);
- `vector`: a `dense_vector` (cosine) with int8 scalar quantization: a quarter of the
  float32 memory for HNSW, with the float vectors kept on disk for rescoring.
The vector (as JSON, ~3.5 KB a chunk) and the terms are indexed but not kept in `_source`:
a reindex re-embeds `search_text` and analyses it again.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from docent.search import analysis
from docent.search.records import CHUNK_FIELDS

SCHEMA_VERSION = 1
_FIELDS: dict[str, Any] = json.loads((Path(__file__).parent / "mappings.json").read_text())

#: A chunk's id is `chunk_id` in its source (`_id` is the index's own).
CHUNK_NAMES = {"id": "chunk_id"}
#: The source fields a search reads: the chunk and its document's title.
CHUNK_SOURCE = [*(CHUNK_NAMES.get(name, name) for name in CHUNK_FIELDS), "title"]


def index_settings(shards: int, replicas: int) -> dict[str, Any]:
    return {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "analysis": _FIELDS["analysis"],
    }


def documents_mapping() -> dict[str, Any]:
    """One record per document, by document id."""
    return {
        "dynamic": "strict",
        "properties": _FIELDS["documents"],
        "_meta": {"schema_version": SCHEMA_VERSION},
    }


def claims_mapping() -> dict[str, Any]:
    """One tiny document per (owner, sha256), naming the document that claimed it."""
    return {"dynamic": "strict", "properties": _FIELDS["claims"]}


def conversations_mapping() -> dict[str, Any]:
    """One document per conversation, by its id."""
    return {"dynamic": "strict", "properties": _FIELDS["conversations"]}


def messages_mapping() -> dict[str, Any]:
    """One document per message, by its id (its details as JSON text, not indexed)."""
    return {"dynamic": "strict", "properties": _FIELDS["messages"]}


def chunks_mapping(model: str, dimension: int) -> dict[str, Any]:
    """Chunks with `dimension`-dimension vectors of `model` and terms of this docent's
    keyword analysis (both recorded in `_meta`; an index without `analysis_version` was
    analysed by version 1)."""
    properties = copy.deepcopy(_FIELDS["chunks"])
    properties["vector"]["dims"] = dimension
    return {
        "dynamic": "strict",
        "_meta": {
            "schema_version": SCHEMA_VERSION,
            "embedding_model": model,
            "embedding_dimension": dimension,
            "analysis_version": analysis.ANALYSIS_VERSION,
        },
        "_source": {"excludes": ["vector", "terms"]},
        "properties": properties,
    }
