"""What only the Elasticsearch backend has: versioned indices behind aliases, additive
mapping upgrades at start, and bulk failures reported per chunk."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from docent.errors import SearchUnavailable
from docent.search.elasticsearch.store import ElasticsearchBackend

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
