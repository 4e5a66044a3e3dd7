"""Who may read what, as Elasticsearch filters: a reader's own documents, and those of
other owners shared with one of the reader's groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from elasticsearch.helpers import async_scan

from docent.domain import Access
from docent.search.elasticsearch.cluster import Cluster


def visible(access: Access) -> dict[str, Any]:
    """The documents `access` may read (a filter on the documents index)."""
    own: dict[str, Any] = {"term": {"owner": access.owner}}
    if not access.groups:
        return own
    shared = {"bool": {"filter": [
        {"term": {"visibility": "GROUP"}}, {"terms": {"share_group": list(access.groups)}},
    ]}}  # fmt: skip
    return {"bool": {"should": [own, shared], "minimum_should_match": 1}}


async def chunk_filters(
    cluster: Cluster, owner: str | Access, document_ids: Sequence[str] | None
) -> list[dict[str, Any]]:
    """The chunk filter of a search (inside the kNN search, not after it): the reader's
    own chunks, and those of documents shared with one of the reader's groups; of
    `document_ids` only, when given."""
    access = Access.of(owner)
    readable: dict[str, Any] = {"term": {"owner": access.owner}}
    shared = await _shared_with(cluster, access)
    if shared:
        readable = {"bool": {"should": [readable, {"terms": {"document_id": shared}}],
                             "minimum_should_match": 1}}  # fmt: skip
    filters = [readable]
    if document_ids is not None:
        filters.append({"terms": {"document_id": list(document_ids)}})
    return filters


async def _shared_with(cluster: Cluster, access: Access) -> list[str]:
    """Ids of other owners' documents shared with the reader's groups."""
    if not access.groups:
        return []
    query = {"bool": {
        "filter": [{"term": {"visibility": "GROUP"}}, {"terms": {"share_group": list(access.groups)}}],
        "must_not": [{"term": {"owner": access.owner}}],
    }}  # fmt: skip
    ids: list[str] = []
    async for hit in async_scan(
        cluster._client, index=cluster.documents_alias, query={"query": query, "_source": False}
    ):
        ids.append(hit["_id"])
    return ids
