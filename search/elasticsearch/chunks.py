"""The Elasticsearch chunk index: passages with their BM25 terms and int8-quantized HNSW
vectors in the chunks index, and the two searches over them.

BM25 ranks terms analysed by docent itself (`analysis.py`: the same stop words and Porter2
stems as the embedded engine, so both backends rank alike, and no analysis plugin is
needed: the minimal distribution has none). Owner and document filters sit inside both the
BM25 query and the kNN `filter` (a pre-filter), so a user always gets `k` results of their
own when they exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from elasticsearch import ConnectionError, ConnectionTimeout, TransportError
from elasticsearch.helpers import async_scan

from docent.domain import Access, Chunk, ChunkMatch, DocumentRecord, IndexedChunk, utcnow
from docent.errors import SearchUnavailable
from docent.search import analysis
from docent.search.backend import Fence, checked_vector
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
#: The external versions of fenced chunk writes start here (`fence_version`).
_FENCED_VERSIONS = 1 << 32


class ElasticsearchChunkIndex(Indices):
    """`ChunkIndex` on the chunks alias."""

    @needs_open
    async def replace_chunks(
        self,
        owner: str,
        document_id: str,
        chunks: Sequence[IndexedChunk],
        *,
        fence: Fence | None = None,
    ) -> bool:
        """Index the new chunks, then remove those of the old version that are gone. Chunk
        ids are deterministic, so a retry overwrites instead of duplicating; searches see
        either version of a chunk, never none of the document.

        Elasticsearch has no transaction across documents, so a write is checked, made,
        and checked again. The record is read (realtime) before the chunks are written
        and after: a run that no longer holds it at the first read writes nothing; one
        that lost it while writing takes its chunks back and is refused. Under a fence,
        every chunk is written and deleted with the fence as its external version
        (`fence_version`), so Elasticsearch itself refuses to let an earlier run overwrite
        or delete a later run's chunk. With `delete_document`'s two sweeps (before and after
        the record goes), no chunk of a deleted document stays, unless the delete itself
        fails between the record and the second sweep while a run is writing."""
        version = None if fence is None else fence_version(fence)
        actions = await asyncio.to_thread(self._index_actions, owner, chunks, version)
        if not await self._holds(owner, document_id, fence):
            return False
        refused = await self.bulk(actions)
        written = [item.chunk.id for item in chunks]
        if refused or not await self._holds(owner, document_id, fence):
            await self.bulk([self._delete_action(i, version) for i in written])
            return False
        await delete_chunks(self, owner, document_id, keep=written, version=version)
        return True

    def _index_actions(
        self, owner: str, chunks: Sequence[IndexedChunk], version: int | None
    ) -> list[dict[str, Any]]:
        """The bulk actions that index `chunks` (CPU work: text analysis, vectors as JSON
        lists), conditional on `version` when given; ValueError for a bad vector."""
        actions = []
        now = iso(utcnow())
        for item in chunks:
            vector = checked_vector(item, self._dimension)
            actions.append({
                "_op_type": "index", "_index": self.chunks_alias, "_id": item.chunk.id,
                "_source": chunk_source(item, owner, vector, now), **_versioned(version),
            })  # fmt: skip
        return actions

    def _delete_action(self, chunk_id: str, version: int | None) -> dict[str, Any]:
        return {
            "_op_type": "delete", "_index": self.chunks_alias, "_id": chunk_id,
            **_versioned(version),
        }  # fmt: skip

    async def _holds(self, owner: str, document_id: str, fence: Fence | None) -> bool:
        """Whether the owner's document exists and, with `fence`, still has its version
        and run (a realtime read of the record)."""
        record = await self.get_document(owner, document_id)
        if record is None or record.owner != owner:
            return False
        return fence is None or Fence.of(record) == fence

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


def fence_version(fence: Fence) -> int:
    """A fence as the external version of the chunks its run writes: a number that grows
    with every claim (each adds one to `run`), above every version Elasticsearch gave a
    chunk written without a fence (its own versions count writes from 1)."""
    return _FENCED_VERSIONS + fence.run


def _versioned(version: int | None) -> dict[str, Any]:
    """The bulk metadata of a write conditional on `version`: refused (409) when the chunk
    holds a higher one (`external_gte`), so a later run's chunk is never overwritten or
    deleted by an earlier run."""
    if version is None:
        return {}
    return {"_version": version, "_version_type": "external_gte"}


async def delete_chunks(
    cluster: Cluster,
    owner: str,
    document_id: str,
    *,
    keep: Sequence[str] = (),
    version: int | None = None,
) -> None:
    """Delete a document's chunks (except `keep`; with `version`, only those no later run
    wrote): ids by a scan, then bulk deletes. (The minimal distribution has no
    _delete_by_query; this works on every cluster.)"""
    query = _document_chunks(owner, document_id)
    if keep:
        query["bool"]["must_not"] = [{"ids": {"values": list(keep)}}]
    actions = []
    try:
        async for hit in async_scan(
            cluster._client, index=cluster.chunks_alias, query={"query": query, "_source": False}
        ):
            actions.append({
                "_op_type": "delete", "_index": hit["_index"], "_id": hit["_id"],
                **_versioned(version),
            })  # fmt: skip
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
