"""What only the Elasticsearch backend has: versioned indices behind aliases, additive
mapping upgrades at start, bulk failures reported per chunk, and fenced chunk writes that
hold without a transaction."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from docent.domain import Chunk, DocumentRecord, DocumentStatus, IndexedChunk
from docent.errors import SearchUnavailable
from docent.search.backend import Fence
from docent.search.elasticsearch.store import ElasticsearchBackend

from support.vectors import unit

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
async def es(es_url: str) -> AsyncIterator[ElasticsearchBackend]:
    backend = ElasticsearchBackend(es_url, prefix=f"t-{uuid.uuid4().hex[:10]}", refresh=True)
    yield backend
    await backend.drop_all()
    await backend.aclose()


async def test_indices_are_versioned_behind_aliases_and_record_the_model(
    es: ElasticsearchBackend, es_url: str
) -> None:
    await es.open(model="m", dimension=8)
    await es.open(model="m", dimension=8)  # idempotent
    async with httpx.AsyncClient(base_url=es_url) as client:
        aliases = (await client.get(f"/_alias/{es.prefix}-*")).json()
        mapping = (await client.get(f"/{es.chunks_alias}/_mapping")).json()
    assert set(aliases) == {f"{es.prefix}-chunks-000001", f"{es.prefix}-documents-v1"}
    [chunks] = mapping.values()
    meta = chunks["mappings"]["_meta"]
    assert (meta["embedding_model"], meta["embedding_dimension"]) == ("m", 8)
    vector = chunks["mappings"]["properties"]["vector"]
    assert vector["index_options"]["type"] == "int8_hnsw" and vector["similarity"] == "cosine"
    assert chunks["mappings"]["dynamic"] == "strict"


async def test_start_adds_fields_a_newer_docent_maps(es: ElasticsearchBackend, es_url: str) -> None:
    await es.open(model="m", dimension=8)
    async with httpx.AsyncClient(base_url=es_url) as client:
        # an index made by an older docent, without the `tags` field
        old = f"{es.prefix}-documents-v1"
        before = (await client.get(f"/{old}/_mapping")).json()[old]["mappings"]["properties"]
        assert "tags" in before
        await client.delete(f"/{old}")
        properties = {k: v for k, v in before.items() if k != "tags"}
        created = await client.put(
            f"/{old}",
            json={
                "settings": {
                    "analysis": {
                        "normalizer": {"docent_lower": {"type": "custom", "filter": ["lowercase"]}}
                    }
                },
                "mappings": {"dynamic": "strict", "properties": properties},
                "aliases": {es.documents_alias: {"is_write_index": True}},
            },
        )
        assert created.status_code == 200, created.text
        again = ElasticsearchBackend(es_url, prefix=es.prefix, refresh=True)
        await again.open(model="m", dimension=8)
        await again.aclose()
        after = (await client.get(f"/{old}/_mapping")).json()[old]["mappings"]["properties"]
    assert after["tags"] == {"type": "keyword"}


async def test_bulk_failures_are_reported_per_chunk(es: ElasticsearchBackend) -> None:
    await es.open(model="m", dimension=8)
    good = {
        "_op_type": "index",
        "_index": es.chunks_alias,
        "_id": "good",
        "_source": {
            "chunk_id": "good",
            "document_id": "d",
            "owner": "o",
            "ordinal": 0,
            "text": "fine",
        },
    }
    bad = {
        "_op_type": "index",
        "_index": es.chunks_alias,
        "_id": "bad",
        "_source": {"chunk_id": "bad", "unknown_field": 1},
    }
    with pytest.raises(SearchUnavailable) as info:
        await es.bulk([good, bad])
    assert "1 of 2 chunks could not be indexed" in info.value.message
    assert "bad:" in info.value.message and "strict_dynamic_mapping_exception" in info.value.message
    assert (await es._client.count(index=es.chunks_alias))["count"] == 1  # the good one landed


async def test_an_unreachable_cluster_is_search_unavailable() -> None:
    backend = ElasticsearchBackend("http://127.0.0.1:9", prefix="nowhere", request_timeout=2)
    await backend.open(model="m", dimension=8, wait=False)  # starts anyway
    with pytest.raises(SearchUnavailable, match="cannot be reached"):
        await backend.ping()
    with pytest.raises(SearchUnavailable):
        await backend.keyword_search("o", "anything", limit=5)
    await backend.aclose()


def _record(status: DocumentStatus = DocumentStatus.QUEUED) -> DocumentRecord:
    return DocumentRecord(
        id="d", owner="o", title="t", filename="d.txt", mime_type="text/plain",
        size_bytes=1, sha256="s", status=status,
    )  # fmt: skip


def _chunks(*texts: str) -> list[IndexedChunk]:
    vectors = [unit(1, i + 1, dimension=8).tolist() for i in range(len(texts))]
    return [
        IndexedChunk(Chunk(id=f"d-{i}", document_id="d", ordinal=i, text=text), "o", "t", vector)
        for i, (text, vector) in enumerate(zip(texts, vectors, strict=True))
    ]


async def _texts(es: ElasticsearchBackend) -> list[str]:
    response = await es._client.search(index=es.chunks_alias, query={"match_all": {}})
    return sorted(hit["_source"]["text"] for hit in response["hits"]["hits"])


@pytest.fixture
async def pair(
    es: ElasticsearchBackend, es_url: str
) -> AsyncIterator[tuple[ElasticsearchBackend, ElasticsearchBackend]]:
    """Two processes' views of one set of indices, with document `d` of owner `o` stored."""
    await es.open(model="m", dimension=8)
    other = ElasticsearchBackend(es_url, prefix=es.prefix, refresh=True)
    await other.open(model="m", dimension=8)
    await es.insert_document(_record())
    yield es, other
    await other.aclose()


def _before_next_bulk(
    es: ElasticsearchBackend, step: Callable[[], Awaitable[None]], *, after: bool = False
) -> None:
    """Run `step` (another process's move) once, just before (or after) `es`'s next bulk
    request: between a run's check of the record and its write, or its write and its
    second check."""
    original = es.bulk

    async def bulk(actions: list[dict[str, Any]], **kw: Any) -> list[str]:
        es.bulk = original  # type: ignore[method-assign]
        if not after:
            await step()
        refused = await original(actions, **kw)
        if after:
            await step()
        return refused

    es.bulk = bulk  # type: ignore[method-assign]


@pytest.mark.parametrize("after", [False, True], ids=["before-the-write", "after-the-write"])
async def test_a_document_deleted_while_its_chunks_are_written_keeps_none(
    pair: tuple[ElasticsearchBackend, ElasticsearchBackend], after: bool
) -> None:
    """Elasticsearch has no transaction: the delete comes between the run's check of the
    record and its write, or between the write and its second check. Either way nothing
    of the document stays, and the run is refused."""
    es, other = pair
    run = await es.claim_document("o", "d", 1)
    assert run is not None

    async def delete() -> None:
        assert await other.delete_document("o", "d")

    _before_next_bulk(es, delete, after=after)
    written = await es.replace_chunks("o", "d", _chunks("a", "b", "c"), fence=Fence.of(run))
    assert written is False
    assert await _texts(es) == []


async def test_an_earlier_run_never_overwrites_a_later_runs_chunks(
    pair: tuple[ElasticsearchBackend, ElasticsearchBackend],
) -> None:
    """A later run claims the document and writes between an earlier run's check and its
    write: Elasticsearch refuses the earlier run's writes over the later run's chunks (the
    fence is their external version), and the earlier run takes back the rest."""
    es, other = pair
    first = await es.claim_document("o", "d", 1)
    assert first is not None

    async def later_run() -> None:
        second = await other.claim_document("o", "d", 1)
        assert second is not None
        assert await other.replace_chunks("o", "d", _chunks("new a"), fence=Fence.of(second))

    _before_next_bulk(es, later_run)
    stale = _chunks("old a", "old b")
    assert await es.replace_chunks("o", "d", stale, fence=Fence.of(first)) is False
    assert await _texts(es) == ["new a"]
