"""The Elasticsearch backend, assembled: its catalogue, chunk index and reindex over the
indices of one prefix, and the checks of the cluster's health.

Writes wait for refresh (`refresh=wait_for`): the uploader reads their writes as soon as
they are READY (see `Cluster.__init__` for the constructor and the refresh policy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docent.errors import SearchUnavailable
from docent.search.backend import IndexInfo, SearchBackend
from docent.search.elasticsearch.catalog import ElasticsearchCatalog
from docent.search.elasticsearch.chunks import ElasticsearchChunkIndex
from docent.search.elasticsearch.conversations import ElasticsearchConversations
from docent.search.elasticsearch.indices import needs_open
from docent.search.elasticsearch.reindex import ElasticsearchReindex

if TYPE_CHECKING:
    from docent.settings import Settings


class ElasticsearchBackend(
    ElasticsearchCatalog, ElasticsearchChunkIndex, ElasticsearchReindex, ElasticsearchConversations
):
    """Documents and chunks in Elasticsearch, one node or a cluster."""

    name = "elasticsearch"

    @classmethod
    def from_settings(cls, settings: Settings) -> ElasticsearchBackend:
        search = settings.search
        return cls(
            search.elasticsearch_url,
            prefix=search.elasticsearch_index_prefix,
            shards=search.elasticsearch_shards,
            replicas=search.elasticsearch_replicas,
        )

    async def aclose(self) -> None:
        await self._shared.aclose()
        await self._client.close()

    @needs_open
    async def ping(self) -> None:
        health = await self._call(self._client.cluster.health(timeout="2s"))
        if health.get("status") == "red":
            raise SearchUnavailable("the Elasticsearch cluster is red")
        await self._check_model()

    @needs_open
    async def index_info(self) -> IndexInfo:
        index = await self._chunks_target()
        assert index is not None
        meta = await self._meta(index)
        count = (await self._call(self._client.count(index=self.chunks_alias)))["count"]
        return IndexInfo(meta["embedding_model"], int(meta["embedding_dimension"]), count)


# mypy checks that the engine fills every role of a search backend.
_FILLS_EVERY_ROLE: type[SearchBackend] = ElasticsearchBackend
