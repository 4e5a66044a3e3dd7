"""Index writes of concurrent documents in shared bulk requests, on the real node: every
document's chunks land, each caller gets its own outcome (conflicts, failures), and the
fence of issue 11 holds inside a shared request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from docent.domain import Chunk, DocumentRecord, DocumentStatus, IndexedChunk
from docent.errors import SearchUnavailable
from docent.search.backend import Fence
from docent.search.elasticsearch.chunks import fence_version
from docent.search.elasticsearch.store import ElasticsearchBackend

from support.vectors import unit

pytestmark = pytest.mark.elasticsearch


@pytest.fixture(params=[True, "wait_for"], ids=["refresh", "wait_for"])
async def es(es_url: str, request: pytest.FixtureRequest) -> AsyncIterator[ElasticsearchBackend]:
    backend = ElasticsearchBackend(
        es_url, prefix=f"t-{uuid.uuid4().hex[:10]}", refresh=request.param
    )
    await backend.open(model="m", dimension=8)
    yield backend
    await backend.drop_all()
    await backend.aclose()


def _record(doc_id: str) -> DocumentRecord:
    return DocumentRecord(
        id=doc_id, owner="o", title="t", filename=f"{doc_id}.txt", mime_type="text/plain",
        size_bytes=1, sha256=f"s-{doc_id}", status=DocumentStatus.QUEUED,
    )  # fmt: skip


def _chunks(doc_id: str, count: int) -> list[IndexedChunk]:
    return [
        IndexedChunk(
            Chunk(id=f"{doc_id}-{i}", document_id=doc_id, ordinal=i, text=f"{doc_id} part {i}"),
            "o",
            "t",
            unit(1, i + 1, dimension=8).tolist(),
        )
        for i in range(count)
    ]


def _write(chunk_id: str, version: int) -> dict[str, Any]:
    return {
        "_op_type": "index", "_index": "CHUNKS", "_id": chunk_id,
        "_source": {"chunk_id": chunk_id, "document_id": "x", "owner": "o", "ordinal": 0,
                    "text": f"v{version}"},
        "_version": version, "_version_type": "external_gte",
    }  # fmt: skip


def _aliased(es: ElasticsearchBackend, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**a, "_index": es.chunks_alias} for a in actions]


async def test_concurrent_documents_share_requests_and_every_chunk_lands(
    es: ElasticsearchBackend,
) -> None:
    ids = [f"d{i:02d}" for i in range(24)]
    fences = {}
    for doc_id in ids:
        await es.insert_document(_record(doc_id))
        run = await es.claim_document("o", doc_id, 1)
        assert run is not None
        fences[doc_id] = Fence.of(run)
    written = await asyncio.gather(
        *(es.replace_chunks("o", d, _chunks(d, 2), fence=fences[d]) for d in ids)
    )
    assert written == [True] * len(ids)
    assert es._shared.actions == 2 * len(ids)
    assert es._shared.requests < len(ids) // 2, es._shared.requests  # shared, not one each
    for doc_id in ids:
        chunks = await es.get_chunks("o", doc_id)
        assert [c.id for c in chunks] == [f"{doc_id}-0", f"{doc_id}-1"]
    # Each chunk carries its run's fence as its external version.
    hit = await es._client.get(index=es.chunks_alias, id="d05-1")
    assert hit["_version"] == fence_version(fences["d05"])


async def test_each_caller_gets_its_own_conflicts_and_failures(es: ElasticsearchBackend) -> None:
    """Three callers in flight together: one writes under a fence older than the stored
    chunks' (refused, 409, for it alone), one writes plainly, one sends an item the mapping
    refuses (SearchUnavailable for it alone; its good item lands)."""
    assert await es.bulk(_aliased(es, [_write("x-0", 10), _write("x-1", 10)])) == []
    bad = {"_op_type": "index", "_index": es.chunks_alias, "_id": "z-bad",
           "_source": {"chunk_id": "z-bad", "unknown_field": 1}}  # fmt: skip
    before = es._shared.requests
    stale, plain, failing = await asyncio.gather(
        es.bulk(_aliased(es, [_write("x-0", 7), _write("x-1", 7)])),
        es.bulk(_aliased(es, [_write("y-0", 1), _write("y-1", 1)])),
        es.bulk(_aliased(es, [_write("z-good", 1), bad])),
        return_exceptions=True,
    )
    assert sorted(stale) == ["x-0", "x-1"]  # type: ignore[arg-type]
    assert plain == []
    assert isinstance(failing, SearchUnavailable)
    assert "1 of 2 chunks could not be indexed" in failing.message
    assert "z-bad:" in failing.message and "x-0" not in failing.message
    assert es._shared.requests - before <= 2  # the first alone at most, the rest together
    texts = {}
    for chunk_id in ("x-0", "x-1", "y-0", "y-1", "z-good"):
        texts[chunk_id] = (await es._client.get(index=es.chunks_alias, id=chunk_id))["_source"]
    assert texts["x-0"]["text"] == texts["x-1"]["text"] == "v10"  # the later run's, kept
    assert texts["y-0"]["text"] == "v1" and texts["z-good"]["text"] == "v1"


async def test_two_writes_of_one_chunk_never_share_a_request(es: ElasticsearchBackend) -> None:
    """Two runs of one document write the same chunk ids at once: they go in separate
    requests, in the order made, so the earlier-made write with the later fence wins and
    the other is refused for its own caller."""
    first, second = await asyncio.gather(
        es.bulk(_aliased(es, [_write("w-0", 20)])),
        es.bulk(_aliased(es, [_write("w-0", 15)])),
    )
    assert first == [] and second == ["w-0"]
    hit = await es._client.get(index=es.chunks_alias, id="w-0")
    assert hit["_source"]["text"] == "v20" and hit["_version"] == 20
