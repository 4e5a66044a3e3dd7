"""The Elasticsearch backend: records and chunks in versioned indices behind aliases.

- `<prefix>-documents` (alias) -> `<prefix>-documents-v1`: one record per document.
- `<prefix>-claims`: one tiny document per (owner, sha256), created with op_type=create,
  which makes upload deduplication race-free (Elasticsearch has no unique constraint).
- `<prefix>-chunks` (alias) -> `<prefix>-chunks-000001`, ...: passages, with BM25 over
  terms analysed by docent itself (`analysis.py`: the same stop words and Porter2 stems as
  the embedded engine, so both backends rank alike, and no analysis plugin is needed: the
  minimal distribution has none) and an int8-quantized HNSW `dense_vector`. The index
  `_meta` records the embedding model and dimension; `reindex` builds the next version and
  moves the alias atomically.

Owner and document filters sit inside both the BM25 query and the kNN `filter` (a
pre-filter), so a user always gets `k` results of their own when they exist. Writes wait
for refresh (`refresh=wait_for`): the uploader reads their writes as soon as they are READY.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import numpy as np
from elasticsearch import ApiError as ESApiError
from elasticsearch import (
    AsyncElasticsearch,
    ConflictError,
    ConnectionError,
    ConnectionTimeout,
    NotFoundError,
    TransportError,
)
from elasticsearch.helpers import async_scan, async_streaming_bulk

from docent.domain import (
    Access,
    Chunk,
    ChunkMatch,
    DocumentRecord,
    DocumentStatus,
    IndexedChunk,
    Visibility,
    utcnow,
)
from docent.errors import IndexMismatch, InvalidInput, SearchUnavailable
from docent.search import analysis
from docent.search.backend import DocumentPage, DocumentQuery, IndexInfo, checked_vector
from docent.urls import redact

if TYPE_CHECKING:
    from docent.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

SCHEMA_VERSION = 1
#: Bulk requests of this many chunks (~1.5 KB of vector and text each): well under the
#: 100 MB http.max_content_length, and small enough to retry cheaply.
BULK_CHUNK = 250
#: HNSW explores this many candidates per shard for each of the k neighbours asked for.
NUM_CANDIDATES_FACTOR = 2
MIN_NUM_CANDIDATES = 100
MAX_NUM_CANDIDATES = 10_000

_ANALYSIS = {"normalizer": {"docent_lower": {"type": "custom", "filter": ["lowercase"]}}}

_DOCUMENT_PROPERTIES: dict[str, Any] = {
    "id": {"type": "keyword"},
    "owner": {"type": "keyword"},
    "title": {
        "type": "text",
        "fields": {
            "lower": {"type": "keyword", "normalizer": "docent_lower", "ignore_above": 1024}
        },
    },
    "filename": {
        "type": "keyword",
        "fields": {"lower": {"type": "keyword", "normalizer": "docent_lower"}},
    },
    "mime_type": {"type": "keyword"},
    "size_bytes": {"type": "long"},
    "sha256": {"type": "keyword"},
    "status": {"type": "keyword"},
    "tags": {"type": "keyword"},
    "error_code": {"type": "keyword"},
    "error_message": {"type": "text", "index": False},
    "page_count": {"type": "integer"},
    "chunk_count": {"type": "integer"},
    "created_at": {"type": "date_nanos"},
    "processed_at": {"type": "date_nanos"},
    "updated_at": {"type": "date_nanos"},
    "version": {"type": "integer"},
    "visibility": {"type": "keyword"},
    "share_group": {"type": "keyword"},
}


def _chunk_properties(dimension: int) -> dict[str, Any]:
    return {
        "chunk_id": {"type": "keyword"},
        "document_id": {"type": "keyword"},
        "owner": {"type": "keyword"},
        "ordinal": {"type": "integer"},
        # what the passage says (shown; matched as typed by the `standard` analyzer)
        "text": {"type": "text"},
        # what the embedder saw: the text with its section heading (kept for reindex)
        "search_text": {"type": "text", "index": False},
        # what BM25 ranks: the analysed terms of search_text, separated by spaces
        "terms": {"type": "text", "analyzer": "whitespace"},
        "title": {"type": "text"},
        "section": {
            "type": "text",
            "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}},
        },
        "page": {"type": "integer"},
        "page_end": {"type": "integer"},
        "element_types": {"type": "keyword"},
        "start_offset": {"type": "integer"},
        "end_offset": {"type": "integer"},
        "tags": {"type": "keyword"},
        "mime_type": {"type": "keyword"},
        "indexed_at": {"type": "date_nanos"},
        "vector": {
            "type": "dense_vector",
            "dims": dimension,
            "index": True,
            "similarity": "cosine",
            # int8 scalar quantization: a quarter of the float32 memory for HNSW, with the
            # float vectors kept on disk for rescoring.
            "index_options": {"type": "int8_hnsw", "m": 16, "ef_construction": 100},
        },
    }


_CHUNK_SOURCE = [
    "chunk_id", "document_id", "ordinal", "text", "page", "page_end", "section",
    "element_types", "start_offset", "end_offset", "title",
]  # fmt: skip


P = ParamSpec("P")
R = TypeVar("R")


def _needs_open(
    method: Callable[Concatenate[ElasticsearchBackend, P], Awaitable[R]],
) -> Callable[Concatenate[ElasticsearchBackend, P], Awaitable[R]]:
    """Create or check the indices first if the cluster was unreachable at start."""

    @functools.wraps(method)
    async def wrapper(self: ElasticsearchBackend, *args: P.args, **kwargs: P.kwargs) -> R:
        await self._ensure_open()
        return await method(self, *args, **kwargs)

    return wrapper


class ElasticsearchBackend:
    """Documents and chunks in Elasticsearch, one node or a cluster."""

    name = "elasticsearch"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "docent",
        shards: int = 1,
        replicas: int = 0,
        request_timeout: float = 30.0,
        client: AsyncElasticsearch | None = None,
        refresh: bool | str = "wait_for",
    ) -> None:
        """Refresh policy: a new record and a document's chunks wait for the next periodic
        refresh (`refresh="wait_for"`, the default; 1 s at most), so that an upload is listed
        at once and a READY document is searchable at once, without forcing extra segments
        under load; status updates and claims, read by id (a realtime GET), do not wait.
        Tests pass True: everything is refreshed at once."""
        self.url = url
        self.prefix = prefix
        #: The cluster's address for messages and logs, without any user or password.
        self.where = redact(url)
        self._client = client or AsyncElasticsearch(
            hosts=[url], request_timeout=request_timeout, retry_on_timeout=True, max_retries=2
        )
        self._shards = shards
        self._replicas = replicas
        self.documents_alias = f"{prefix}-documents"
        self.chunks_alias = f"{prefix}-chunks"
        self.claims_index = f"{prefix}-claims"
        self._model: str | None = None
        self._dimension: int | None = None
        self._chunks_index: str | None = None
        self._checked_at = 0.0
        self._refresh = refresh
        self._pending_open: tuple[str, int, bool] | None = None
        self._last_open_attempt = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ElasticsearchBackend:
        search = settings.search
        return cls(
            search.elasticsearch_url,
            prefix=search.elasticsearch_index_prefix,
            shards=search.elasticsearch_shards,
            replicas=search.elasticsearch_replicas,
        )

    # -- plumbing ----------------------------------------------------------------------

    async def _call(self, operation: Awaitable[T]) -> T:
        try:
            return await operation
        except (ConnectionError, ConnectionTimeout) as exc:
            raise SearchUnavailable(
                f"Elasticsearch at {self.where} cannot be reached; try again shortly"
            ) from exc
        except TransportError as exc:
            raise SearchUnavailable(f"Elasticsearch at {self.where} failed: {exc}") from exc
        except ESApiError as exc:
            if exc.meta.status in (429, 502, 503, 504):
                raise SearchUnavailable(
                    f"Elasticsearch is overloaded or unavailable ({exc.meta.status}); try again"
                ) from exc
            raise

    def _index_settings(self) -> dict[str, Any]:
        return {
            "number_of_shards": self._shards,
            "number_of_replicas": self._replicas,
            "analysis": _ANALYSIS,
        }

    # -- lifecycle ---------------------------------------------------------------------

    async def open(
        self, *, model: str, dimension: int, check_model: bool = True, wait: bool = True
    ) -> None:
        """With `wait=False`, an unreachable cluster does not fail the start: the indices
        are created or checked on first use instead (`/readyz` says it is down meanwhile)."""
        self._model, self._dimension = model, dimension
        self._pending_open = (model, dimension, check_model)
        try:
            await self._open(model, dimension, check_model)
        except SearchUnavailable:
            if wait:
                raise
            log.warning(
                "Elasticsearch at %s is unreachable; docent starts and will retry", self.where
            )

    async def _ensure_open(self) -> None:
        if self._pending_open is None:
            return
        now = time.monotonic()
        if now - self._last_open_attempt < 2.0:
            raise SearchUnavailable(
                f"Elasticsearch at {self.where} cannot be reached; try again shortly"
            )
        self._last_open_attempt = now
        await self._open(*self._pending_open)

    async def _open(self, model: str, dimension: int, check_model: bool) -> None:
        await self._ensure_alias(
            self.documents_alias,
            f"{self.documents_alias}-v{SCHEMA_VERSION}",
            {
                "dynamic": "strict",
                "properties": _DOCUMENT_PROPERTIES,
                "_meta": {"schema_version": SCHEMA_VERSION},
            },
        )
        await self._ensure_index(
            self.claims_index,
            {"dynamic": "strict", "properties": {"document_id": {"type": "keyword"}}},
        )
        index = await self._chunks_target()
        if index is None:
            await self._ensure_alias(
                self.chunks_alias,
                f"{self.chunks_alias}-000001",
                self._chunks_mapping(model, dimension),
            )
            index = await self._chunks_target()
        assert index is not None
        meta = await self._meta(index)
        stored = (meta.get("embedding_model"), int(meta.get("embedding_dimension", 0)))
        if stored != (model, dimension):
            count = (await self._call(self._client.count(index=index)))["count"]
            if count and not check_model:
                self._model, self._dimension = stored[0], stored[1]
            elif count:
                raise IndexMismatch(
                    f"the Elasticsearch index {index} holds {count} chunks embedded with "
                    f"{stored[0]} ({stored[1]} dimensions), but the configured embedder is "
                    f"{model} ({dimension} dimensions). Vectors of different models cannot be "
                    "compared: set DOCENT_EMBEDDER back, or run `docent reindex` to re-embed."
                )
            else:  # an empty index adopts the configured model
                new_index = await self._next_chunks_index(index)
                await self._create_index(new_index, self._chunks_mapping(model, dimension))
                await self._swap_alias(self.chunks_alias, index, new_index)
                await self._call(self._client.indices.delete(index=index, ignore_unavailable=True))
                index = new_index
        self._chunks_index = index
        self._checked_at = time.monotonic()
        self._pending_open = None

    async def aclose(self) -> None:
        await self._client.close()

    async def drop_all(self) -> None:
        """Delete every index of this prefix (tests, and `docent` uninstalls)."""
        await self._call(
            self._client.indices.delete(
                index=f"{self.prefix}-*", ignore_unavailable=True, allow_no_indices=True
            )
        )

    @_needs_open
    async def ping(self) -> None:
        health = await self._call(self._client.cluster.health(timeout="2s"))
        if health.get("status") == "red":
            raise SearchUnavailable("the Elasticsearch cluster is red")
        await self._check_model()

    @_needs_open
    async def index_info(self) -> IndexInfo:
        index = await self._chunks_target()
        assert index is not None
        meta = await self._meta(index)
        count = (await self._call(self._client.count(index=self.chunks_alias)))["count"]
        return IndexInfo(meta["embedding_model"], int(meta["embedding_dimension"]), count)

    def _chunks_mapping(self, model: str, dimension: int) -> dict[str, Any]:
        return {
            "dynamic": "strict",
            "_meta": {
                "schema_version": SCHEMA_VERSION,
                "embedding_model": model,
                "embedding_dimension": dimension,
            },
            # The vector (as JSON, ~3.5 KB a chunk) and the analysed terms are indexed but not
            # kept in _source: a reindex re-embeds search_text and analyses it again.
            "_source": {"excludes": ["vector", "terms"]},
            "properties": _chunk_properties(dimension),
        }

    async def _create_index(
        self, name: str, mappings: dict[str, Any], alias: str | None = None
    ) -> bool:
        body: dict[str, Any] = {"settings": self._index_settings(), "mappings": mappings}
        if alias:
            body["aliases"] = {alias: {"is_write_index": True}}
        try:
            await self._call(self._client.indices.create(index=name, **body))
            return True
        except ESApiError as exc:
            if exc.error == "resource_already_exists_exception":
                return False  # another process created it first
            raise

    async def _ensure_index(self, name: str, mappings: dict[str, Any]) -> None:
        if not await self._call(self._client.indices.exists(index=name)):
            await self._create_index(name, mappings)
        else:
            await self._upgrade_mapping(name, mappings)

    async def _ensure_alias(self, alias: str, index: str, mappings: dict[str, Any]) -> None:
        if await self._call(self._client.indices.exists_alias(name=alias)):
            for target in (await self._call(self._client.indices.get_alias(name=alias))).body:
                await self._upgrade_mapping(target, mappings)
            return
        await self._create_index(index, mappings, alias=alias)

    async def _upgrade_mapping(self, index: str, mappings: dict[str, Any]) -> None:
        """Add the fields a newer docent maps (additive, idempotent)."""
        properties = {k: v for k, v in mappings["properties"].items() if k != "vector"}
        await self._call(self._client.indices.put_mapping(index=index, properties=properties))

    async def _chunks_target(self) -> str | None:
        try:
            aliases = await self._call(self._client.indices.get_alias(name=self.chunks_alias))
        except NotFoundError:
            return None
        names = sorted(aliases.body)
        return names[-1] if names else None

    async def _meta(self, index: str) -> dict[str, Any]:
        mapping = await self._call(self._client.indices.get_mapping(index=index))
        return dict(mapping.body[index]["mappings"].get("_meta", {}))

    async def _next_chunks_index(self, current: str) -> str:
        number = int(current.rsplit("-", 1)[-1]) if current[-6:].isdigit() else 0
        return f"{self.chunks_alias}-{number + 1:06d}"

    async def _swap_alias(self, alias: str, old: str, new: str) -> None:
        await self._call(
            self._client.indices.update_aliases(
                actions=[
                    {"remove": {"index": old, "alias": alias}},
                    {"add": {"index": new, "alias": alias, "is_write_index": True}},
                ]
            )
        )

    async def _check_model(self) -> None:
        """Another process may have moved the alias to an index of another model (a
        reindex): then this process's vectors no longer fit, and it must say so."""
        index = await self._chunks_target()
        if index == self._chunks_index:
            return
        meta = await self._meta(index) if index else {}
        stored = (meta.get("embedding_model"), int(meta.get("embedding_dimension", 0)))
        if stored != (self._model, self._dimension):
            raise SearchUnavailable(
                f"the index was rebuilt for {stored[0]} ({stored[1]} dimensions); restart docent "
                "with the matching DOCENT_EMBEDDER"
            )
        self._chunks_index = index

    async def _check_model_now_and_then(self) -> None:
        if time.monotonic() - self._checked_at > 30:
            self._checked_at = time.monotonic()
            await self._check_model()

    # -- documents ---------------------------------------------------------------------

    def _claim_id(self, owner: str, sha256: str) -> str:
        return hashlib.sha256(f"{owner}\x00{sha256}".encode()).hexdigest()

    @_needs_open
    async def insert_document(
        self, record: DocumentRecord, *, deduplicate: bool = True
    ) -> DocumentRecord:
        claim = self._claim_id(record.owner, record.sha256)
        for _ in range(3 if deduplicate else 0):
            try:
                await self._call(
                    self._client.create(
                        index=self.claims_index, id=claim, document={"document_id": record.id},
                        refresh=False,  # claims are only read by id (a realtime GET)
                    )
                )  # fmt: skip
                break
            except ConflictError:
                existing = await self._call(self._client.get(index=self.claims_index, id=claim))
                found = await self.get_document(record.owner, existing["_source"]["document_id"])
                if found is not None:
                    return found
                # a claim left by a deleted document: take it over
                await self._call(
                    self._client.delete(index=self.claims_index, id=claim, refresh=False)
                )
        await self._call(
            self._client.index(
                index=self.documents_alias, id=record.id, document=_document_source(record),
                refresh=self._refresh, op_type="create",
            )
        )  # fmt: skip
        return record

    @_needs_open
    async def get_document(self, owner: str | Access, document_id: str) -> DocumentRecord | None:
        try:
            hit = await self._call(self._client.get(index=self.documents_alias, id=document_id))
        except NotFoundError:
            return None
        record = _document(hit["_source"])
        return record if Access.of(owner).can_see(record) else None

    @_needs_open
    async def get_documents(self, owner: str | Access, ids: Sequence[str]) -> list[DocumentRecord]:
        if not ids:
            return []
        response = await self._call(self._client.mget(index=self.documents_alias, ids=list(ids)))
        records = [_document(d["_source"]) for d in response["docs"] if d.get("found")]
        access = Access.of(owner)
        return [r for r in records if access.can_see(r)]

    @_needs_open
    async def list_documents(
        self, owner: str | Access, query: DocumentQuery, *, first: int, after: str | None
    ) -> DocumentPage:
        filters: list[dict[str, Any]] = [_visible(Access.of(owner))]
        if query.statuses:
            filters.append({"terms": {"status": [s.value for s in query.statuses]}})
        filters.extend({"term": {"tags": tag}} for tag in query.tags)
        if query.title_contains:
            pattern = f"*{_escape_wildcard(query.title_contains.lower())}*"
            filters.append({"bool": {"should": [
                {"wildcard": {"title.lower": pattern}}, {"wildcard": {"filename.lower": pattern}},
            ], "minimum_should_match": 1}})  # fmt: skip
        body: dict[str, Any] = {
            "query": {"bool": {"filter": filters}},
            "sort": [{"created_at": "desc"}, {"id": "desc"}],
            "size": first + 1,
            "track_total_hits": True,
        }
        if after:
            body["search_after"] = _decode_cursor(after)
        response = await self._call(self._client.search(index=self.documents_alias, **body))
        hits = response["hits"]["hits"]
        items = [(_document(h["_source"]), _encode_cursor(h["sort"])) for h in hits[:first]]
        return DocumentPage(
            items=items, total=response["hits"]["total"]["value"], has_next=len(hits) > first
        )

    @_needs_open
    async def update_document(
        self, record: DocumentRecord, *, expected_version: int | None = None
    ) -> bool:
        try:
            current = await self._call(self._client.get(index=self.documents_alias, id=record.id))
        except NotFoundError:
            return False
        source = current["_source"]
        if source["owner"] != record.owner:
            return False
        if expected_version is not None and source["version"] != expected_version:
            return False
        try:
            await self._call(
                self._client.index(
                    index=current["_index"], id=record.id, document=_document_source(record),
                    if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"],
                    # Status changes are read by id (realtime) and by the progress events;
                    # lists see them within the refresh interval. Waiting here would cost
                    # each ingestion job a second per update.
                    refresh=self._refresh is True,
                )
            )  # fmt: skip
        except ConflictError:
            return False  # changed meanwhile: the caller's expectation no longer holds
        return True

    @_needs_open
    async def delete_document(self, owner: str, document_id: str) -> bool:
        record = await self.get_document(owner, document_id)
        if record is None:
            return False
        await self._delete_chunks(owner, document_id)
        await self._call(
            self._client.delete(index=self.documents_alias, id=document_id, refresh=self._refresh)
        )
        with contextlib.suppress(NotFoundError):
            await self._call(
                self._client.delete(
                    index=self.claims_index,
                    id=self._claim_id(owner, record.sha256),
                    refresh=False,
                )
            )
        return True

    @_needs_open
    async def documents_in_status(
        self, statuses: Sequence[DocumentStatus], *, older_than_s: float = 0
    ) -> list[DocumentRecord]:
        cutoff = utcnow().timestamp() - older_than_s
        query = {"bool": {"filter": [
            {"terms": {"status": [s.value for s in statuses]}},
            {"range": {"updated_at": {"lte": _iso_from_ts(cutoff)}}},
        ]}}  # fmt: skip
        records = []
        async for hit in async_scan(
            self._client, index=self.documents_alias, query={"query": query}
        ):
            records.append(_document(hit["_source"]))
        return sorted(records, key=lambda r: r.updated_at)

    # -- chunks ------------------------------------------------------------------------

    @_needs_open
    async def replace_chunks(
        self, owner: str, document_id: str, chunks: Sequence[IndexedChunk]
    ) -> None:
        """Index the new chunks, then remove those of the old version that are gone. Chunk
        ids are deterministic, so a retry overwrites instead of duplicating; searches see
        either version of a chunk, never none of the document."""
        dimension = self._dimension
        actions = []
        now = _iso(utcnow())
        for item in chunks:
            vector = checked_vector(item, dimension)
            actions.append({
                "_op_type": "index", "_index": self.chunks_alias, "_id": item.chunk.id,
                "_source": _chunk_source(item, owner, vector, now),
            })  # fmt: skip
        await self.bulk(actions)
        keep = [item.chunk.id for item in chunks]
        await self._delete_chunks(owner, document_id, keep=keep)

    async def bulk(self, actions: list[dict[str, Any]], *, index: str | None = None) -> None:
        """Bulk-index in bounded requests, retrying 429s (es_rejected_execution_exception)
        with backoff; any chunk that still fails is reported, never dropped silently."""
        if not actions:
            return
        failures: list[str] = []
        try:
            async for ok, result in async_streaming_bulk(
                self._client, actions, index=index, chunk_size=BULK_CHUNK,
                max_retries=6, initial_backoff=0.5, max_backoff=30,
                raise_on_error=False, raise_on_exception=False, refresh=self._refresh,
            ):  # fmt: skip
                if not ok:
                    op, item = next(iter(result.items()))
                    if op == "delete" and item.get("status") == 404:
                        continue  # already gone: what a delete wants
                    failures.append(f"{item.get('_id')}: {item.get('error') or item.get('status')}")
        except (ConnectionError, ConnectionTimeout, TransportError) as exc:
            raise SearchUnavailable(
                f"Elasticsearch at {self.where} failed during indexing: {exc}"
            ) from exc
        if failures:
            raise SearchUnavailable(
                f"{len(failures)} of {len(actions)} chunks could not be indexed: "
                + "; ".join(failures[:5])
            )

    async def _delete_chunks(
        self, owner: str, document_id: str, *, keep: Sequence[str] = ()
    ) -> None:
        """Delete a document's chunks (except `keep`): ids by a scan, then bulk deletes. (The
        minimal distribution has no _delete_by_query; this works on every cluster.)"""
        query: dict[str, Any] = {"bool": {"filter": [
            {"term": {"owner": owner}}, {"term": {"document_id": document_id}},
        ]}}  # fmt: skip
        if keep:
            query["bool"]["must_not"] = [{"ids": {"values": list(keep)}}]
        actions = []
        try:
            async for hit in async_scan(
                self._client, index=self.chunks_alias, query={"query": query, "_source": False}
            ):
                actions.append({"_op_type": "delete", "_index": hit["_index"], "_id": hit["_id"]})
        except (ConnectionError, ConnectionTimeout, TransportError) as exc:
            raise SearchUnavailable(f"Elasticsearch at {self.where} failed: {exc}") from exc
        await self.bulk(actions)

    @_needs_open
    async def get_chunks(self, owner: str | Access, document_id: str) -> list[Chunk]:
        record = await self.get_document(owner, document_id)
        if record is None:
            return []
        query = {
            "bool": {
                "filter": [
                    {"term": {"owner": record.owner}},
                    {"term": {"document_id": document_id}},
                ]
            }
        }
        chunks = []
        async for hit in async_scan(
            self._client, index=self.chunks_alias, query={"query": query, "_source": _CHUNK_SOURCE}
        ):
            chunks.append(_chunk(hit["_source"]))
        return sorted(chunks, key=lambda c: c.ordinal)

    async def _filters(
        self, owner: str | Access, document_ids: Sequence[str] | None
    ) -> list[dict[str, Any]]:
        """The chunk filter of a search (inside the kNN search, not after it): the reader's
        own chunks, and those of documents shared with one of the reader's groups."""
        access = Access.of(owner)
        visible: dict[str, Any] = {"term": {"owner": access.owner}}
        shared = await self._shared_with(access)
        if shared:
            visible = {"bool": {"should": [visible, {"terms": {"document_id": shared}}],
                                "minimum_should_match": 1}}  # fmt: skip
        filters = [visible]
        if document_ids is not None:
            filters.append({"terms": {"document_id": list(document_ids)}})
        return filters

    async def _shared_with(self, access: Access) -> list[str]:
        """Ids of other owners' documents shared with the reader's groups."""
        if not access.groups:
            return []
        query = {"bool": {
            "filter": [{"term": {"visibility": "GROUP"}}, {"terms": {"share_group": list(access.groups)}}],
            "must_not": [{"term": {"owner": access.owner}}],
        }}  # fmt: skip
        ids: list[str] = []
        async for hit in async_scan(
            self._client, index=self.documents_alias, query={"query": query, "_source": False}
        ):
            ids.append(hit["_id"])
        return ids

    @_needs_open
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
                    "filter": await self._filters(owner, document_ids),
                }},
                size=min(limit, 1000),
                source_includes=_CHUNK_SOURCE,
            )
        )  # fmt: skip
        # Highlights are made by the retriever, for the hits that are shown only.
        return [
            ChunkMatch(
                chunk=_chunk(hit["_source"]),
                document_title=hit["_source"].get("title", ""),
                rank=rank,
                score=float(hit["_score"]),
            )
            for rank, hit in enumerate(response["hits"]["hits"], start=1)
        ]

    @_needs_open
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
                    "filter": await self._filters(owner, document_ids),
                },
                size=k,
                source_includes=_CHUNK_SOURCE,
            )
        )
        return [
            ChunkMatch(
                chunk=_chunk(hit["_source"]),
                document_title=hit["_source"].get("title", ""),
                rank=rank,
                # Elasticsearch scores cosine similarity as (1 + cos) / 2
                score=2.0 * float(hit["_score"]) - 1.0,
            )
            for rank, hit in enumerate(response["hits"]["hits"], start=1)
        ]

    # -- reindex -----------------------------------------------------------------------

    @_needs_open
    async def reindex(
        self,
        embed: Callable[[list[str]], Awaitable[np.ndarray]],
        *,
        model: str,
        dimension: int,
        batch: int = 64,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Re-embed every chunk into a new index version and move the alias to it in one
        atomic step, while the old one keeps serving; chunks written meanwhile are caught up
        before the switch, and the old index is deleted after it."""
        old = await self._chunks_target()
        assert old is not None
        new = await self._next_chunks_index(old)
        await self._call(self._client.indices.delete(index=new, ignore_unavailable=True))
        await self._create_index(new, self._chunks_mapping(model, dimension))
        total = (await self._call(self._client.count(index=old)))["count"]
        started = _iso(utcnow())
        copied = await self._copy(old, new, embed, batch, total, progress, since=None)
        # catch up with what was indexed while copying, then switch
        copied += await self._copy(
            old, new, embed, batch, total, progress, since=started, done_before=copied
        )
        await self._swap_alias(self.chunks_alias, old, new)
        await self._call(self._client.indices.delete(index=old, ignore_unavailable=True))
        self._model, self._dimension, self._chunks_index = model, dimension, new
        return copied

    async def _copy(
        self,
        source: str,
        target: str,
        embed: Callable[[list[str]], Awaitable[np.ndarray]],
        batch: int,
        total: int,
        progress: Callable[[int, int], None] | None,
        since: str | None,
        done_before: int = 0,
    ) -> int:
        query: dict[str, Any] = (
            {"match_all": {}} if since is None else {"range": {"indexed_at": {"gte": since}}}
        )
        pending: list[dict[str, Any]] = []
        done = 0

        async def flush() -> None:
            nonlocal done
            vectors = await embed(
                [p["_source"].get("search_text") or p["_source"]["text"] for p in pending]
            )
            actions = []
            for hit, vector in zip(pending, vectors, strict=True):
                source_doc = dict(hit["_source"])
                source_doc["vector"] = np.asarray(vector, dtype=np.float32).tolist()
                text = source_doc.get("search_text") or source_doc["text"]
                source_doc["terms"] = " ".join(analysis.analyze(text))
                actions.append(
                    {
                        "_op_type": "index",
                        "_index": target,
                        "_id": hit["_id"],
                        "_source": source_doc,
                    }
                )
            await self.bulk(actions)
            done += len(pending)
            pending.clear()
            if progress:
                progress(done_before + done, max(total, done_before + done))

        async for hit in async_scan(self._client, index=source, query={"query": query}, size=500):
            pending.append(hit)
            if len(pending) >= batch:
                await flush()
        if pending:
            await flush()
        return done


# -- conversions -----------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="microseconds") if value else None


def _iso_from_ts(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=utcnow().tzinfo).isoformat(timespec="microseconds")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _document_source(record: DocumentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "owner": record.owner,
        "title": record.title,
        "filename": record.filename,
        "mime_type": record.mime_type,
        "size_bytes": record.size_bytes,
        "sha256": record.sha256,
        "status": record.status.value,
        "tags": list(record.tags),
        "error_code": record.error_code,
        "error_message": record.error_message,
        "page_count": record.page_count,
        "chunk_count": record.chunk_count,
        "created_at": _iso(record.created_at),
        "processed_at": _iso(record.processed_at),
        "updated_at": _iso(record.updated_at),
        "version": record.version,
        "visibility": record.visibility.value,
        "share_group": record.group,
    }


def _document(source: dict[str, Any]) -> DocumentRecord:
    return DocumentRecord(
        id=source["id"],
        owner=source["owner"],
        title=source["title"],
        filename=source["filename"],
        mime_type=source["mime_type"],
        size_bytes=source["size_bytes"],
        sha256=source["sha256"],
        status=DocumentStatus(source["status"]),
        tags=tuple(source.get("tags") or ()),
        error_code=source.get("error_code"),
        error_message=source.get("error_message"),
        page_count=source.get("page_count"),
        chunk_count=source.get("chunk_count") or 0,
        created_at=_parse_time(source["created_at"]) or utcnow(),
        processed_at=_parse_time(source.get("processed_at")),
        updated_at=_parse_time(source["updated_at"]) or utcnow(),
        version=source.get("version", 1),
        visibility=Visibility(source.get("visibility") or Visibility.PRIVATE),
        group=source.get("share_group"),
    )


def _chunk_source(
    item: IndexedChunk, owner: str, vector: np.ndarray, now: str | None
) -> dict[str, Any]:
    chunk = item.chunk
    return {
        "chunk_id": chunk.id,
        "document_id": chunk.document_id,
        "owner": owner,
        "ordinal": chunk.ordinal,
        "text": chunk.text,
        "search_text": item.search_text or chunk.text,
        "terms": " ".join(analysis.analyze(item.search_text or chunk.text)),
        "title": item.title,
        "section": chunk.section,
        "page": chunk.page,
        "page_end": chunk.page_end,
        "element_types": list(chunk.element_types),
        "start_offset": chunk.start_offset,
        "end_offset": chunk.end_offset,
        "tags": list(item.tags),
        "mime_type": item.mime_type or None,
        "indexed_at": now,
        "vector": vector.tolist(),
    }


def _chunk(source: dict[str, Any]) -> Chunk:
    return Chunk(
        id=source["chunk_id"],
        document_id=source["document_id"],
        ordinal=source["ordinal"],
        text=source["text"],
        page=source.get("page"),
        page_end=source.get("page_end"),
        section=source.get("section"),
        element_types=tuple(source.get("element_types") or ()),
        start_offset=source.get("start_offset") or 0,
        end_offset=source.get("end_offset") or 0,
    )


def _encode_cursor(sort: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(sort).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> list[Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError
        return value
    except (ValueError, TypeError) as exc:
        raise InvalidInput("invalid cursor", field="after") from exc


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def _visible(access: Access) -> dict[str, Any]:
    """The documents `access` may read: their own, and those shared with their groups."""
    own: dict[str, Any] = {"term": {"owner": access.owner}}
    if not access.groups:
        return own
    shared = {"bool": {"filter": [
        {"term": {"visibility": "GROUP"}}, {"terms": {"share_group": list(access.groups)}},
    ]}}  # fmt: skip
    return {"bool": {"should": [own, shared], "minimum_should_match": 1}}
