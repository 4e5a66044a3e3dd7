"""The Elasticsearch chunk index: passages with their BM25 terms and int8-quantized HNSW
vectors in the chunks index, and the two searches over them.

BM25 ranks terms analysed by docent itself (`analysis.py`: the same stop words and Porter2
stems as the embedded engine, so both backends rank alike, and no analysis plugin is
needed: the minimal distribution has none). Owner and document filters sit inside both the
BM25 query and the kNN `filter` (a pre-filter), so a user always gets `k` results of their
own when they exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from elasticsearch import ConnectionError, ConnectionTimeout, TransportError
from elasticsearch.helpers import async_scan

from docent.domain import Access, Chunk, ChunkMatch, DocumentRecord, IndexedChunk, utcnow
from docent.errors import SearchUnavailable
from docent.search import analysis
from docent.search.backend import checked_vector
from docent.search.elasticsearch.access import chunk_filters
from docent.search.elasticsearch.cluster import Cluster
from docent.search.elasticsearch.indices import Indices, needs_open
from docent.search.elasticsearch.mappings import CHUNK_NAMES, CHUNK_SOURCE
from docent.search.records import chunk_from_dict, chunk_to_dict, iso

#: HNSW explores this many candidates per shard for each of the k neighbours asked for.
NUM_CANDIDATES_FACTOR = 2
MIN_NUM_CANDIDATES = 100
MAX_NUM_CANDIDATES = 10_000
#: Keyword searches return this many hits at most.
MAX_KEYWORD_HITS = 1000


class ElasticsearchChunkIndex(Indices):
    """`ChunkIndex` on the chunks alias."""

    @needs_open
    async def replace_chunks(
        self, owner: str, document_id: str, chunks: Sequence[IndexedChunk]
    ) -> None:
        """Index the new chunks, then remove those of the old version that are gone. Chunk
        ids are deterministic, so a retry overwrites instead of duplicating; searches see
        either version of a chunk, never none of the document."""
        dimension = self._dimension
        actions = []
        now = iso(utcnow())
        for item in chunks:
            vector = checked_vector(item, dimension)
            actions.append({
                "_op_type": "index", "_index": self.chunks_alias, "_id": item.chunk.id,
                "_source": chunk_source(item, owner, vector, now),
            })  # fmt: skip
        await self.bulk(actions)
        keep = [item.chunk.id for item in chunks]
        await delete_chunks(self, owner, document_id, keep=keep)

    @needs_open
    async def get_chunks(self, owner: str | Access, document_id: str) -> list[Chunk]:
        record = await self.get_document(owner, document_id)
        if record is None:
            return []
        query = {"query": _document_chunks(record.owner, document_id), "_source": CHUNK_SOURCE}
        chunks = []
        async for hit in async_scan(self._client, index=self.chunks_alias, query=query):
            chunks.append(_chunk(hit["_source"]))
        return sorted(chunks, key=lambda c: c.ordinal)

    @needs_open
    async def keyword_search(
        self,
        owner: str | Access,
        query: str,
        *,
        limit: int,
        document_ids: Sequence[str] | None = None,
    ) -> list[ChunkMatch]:
        terms = analysis.query_terms(query)
        if limit <= 0 or document_ids == [] or not terms:
            return []
        await self._check_model_now_and_then()
        response = await self._call(
            self._client.search(
                index=self.chunks_alias,
                query={"bool": {
                    "must": {"match": {"terms": {"query": " ".join(terms), "analyzer": "whitespace"}}},
                    "filter": await chunk_filters(self, owner, document_ids),
                }},
                size=min(limit, MAX_KEYWORD_HITS),
                source_includes=CHUNK_SOURCE,
            )
        )  # fmt: skip
        # Highlights are made by the retriever, for the hits that are shown only.
        return _matches(response["hits"]["hits"], lambda score: score)

    @needs_open
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
        await self._check_model_now_and_then()
        k = min(limit, MAX_NUM_CANDIDATES)
        candidates = min(MAX_NUM_CANDIDATES, max(MIN_NUM_CANDIDATES, k * NUM_CANDIDATES_FACTOR))
        response = await self._call(
            self._client.search(
                index=self.chunks_alias,
                knn={
                    "field": "vector",
                    "query_vector": np.asarray(vector, dtype=np.float32).tolist(),
                    "k": k,
                    "num_candidates": candidates,
                    "filter": await chunk_filters(self, owner, document_ids),
                },
                size=k,
                source_includes=CHUNK_SOURCE,
            )
        )
        # Elasticsearch scores cosine similarity as (1 + cos) / 2
        return _matches(response["hits"]["hits"], lambda score: 2.0 * score - 1.0)

    if TYPE_CHECKING:  # the catalogue's (`catalog.py`): chunks are read through their record

        @needs_open
        async def get_document(
            self, owner: str | Access, document_id: str
        ) -> DocumentRecord | None: ...


async def delete_chunks(
    cluster: Cluster, owner: str, document_id: str, *, keep: Sequence[str] = ()
) -> None:
    """Delete a document's chunks (except `keep`): ids by a scan, then bulk deletes. (The
    minimal distribution has no _delete_by_query; this works on every cluster.)"""
    query = _document_chunks(owner, document_id)
    if keep:
        query["bool"]["must_not"] = [{"ids": {"values": list(keep)}}]
    actions = []
    try:
        async for hit in async_scan(
            cluster._client, index=cluster.chunks_alias, query={"query": query, "_source": False}
        ):
            actions.append({"_op_type": "delete", "_index": hit["_index"], "_id": hit["_id"]})
    except (ConnectionError, ConnectionTimeout, TransportError) as exc:
        raise SearchUnavailable(f"Elasticsearch at {cluster.where} failed: {exc}") from exc
    await cluster.bulk(actions)


def chunk_source(
    item: IndexedChunk, owner: str, vector: np.ndarray, now: str | None
) -> dict[str, Any]:
    """The chunk as a source of the chunks index, indexed at `now` (ISO 8601)."""
    search_text = item.search_text or item.chunk.text
    source = chunk_to_dict(item.chunk, CHUNK_NAMES)
    source.update(
        owner=owner,
        search_text=search_text,
        terms=" ".join(analysis.analyze(search_text)),
        title=item.title,
        tags=list(item.tags),
        mime_type=item.mime_type or None,
        indexed_at=now,
        vector=vector.tolist(),
    )
    return source


def _document_chunks(owner: str, document_id: str) -> dict[str, Any]:
    """The query for one document's chunks."""
    return {"bool": {"filter": [
        {"term": {"owner": owner}}, {"term": {"document_id": document_id}},
    ]}}  # fmt: skip


def _chunk(source: dict[str, Any]) -> Chunk:
    return chunk_from_dict(source, CHUNK_NAMES)


def _matches(hits: list[dict[str, Any]], score: Callable[[float], float]) -> list[ChunkMatch]:
    """Search hits, best first, as matches scored by `score(_score)`."""
    return [
        ChunkMatch(
            chunk=_chunk(hit["_source"]),
            document_title=hit["_source"].get("title", ""),
            rank=rank,
            score=score(float(hit["_score"])),
        )
        for rank, hit in enumerate(hits, start=1)
    ]
