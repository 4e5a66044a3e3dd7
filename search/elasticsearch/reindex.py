"""Re-embedding the Elasticsearch chunks into the next index version, while the current
one serves."""

from __future__ import annotations

from typing import Any

import numpy as np
from elasticsearch.helpers import async_scan

from docent.domain import utcnow
from docent.search import analysis
from docent.search.backend import EmbedTexts, Progress
from docent.search.elasticsearch import mappings
from docent.search.elasticsearch.indices import Indices, needs_open
from docent.search.records import iso

#: Chunks read per scroll page while copying.
_SCAN_PAGE = 500


class ElasticsearchReindex(Indices):
    """`reindex` of the administration role."""

    @needs_open
    async def reindex(
        self,
        embed: EmbedTexts,
        *,
        model: str,
        dimension: int,
        batch: int = 64,
        progress: Progress | None = None,
    ) -> int:
        """Re-embed every chunk into a new index version and move the alias to it in one
        atomic step, while the old one keeps serving; chunks written meanwhile are caught up
        before the switch, and the old index is deleted after it."""
        old = await self._chunks_target()
        assert old is not None
        new = await self._next_chunks_index(old)
        await self._call(self._client.indices.delete(index=new, ignore_unavailable=True))
        await self._create_index(new, mappings.chunks_mapping(model, dimension))
        total = (await self._call(self._client.count(index=old)))["count"]
        started = iso(utcnow())
        copied = await self._copy(old, new, embed, batch, total, progress, since=None)
        # catch up with what was indexed while copying, then switch
        copied += await self._copy(
            old, new, embed, batch, total, progress, since=started, done_before=copied
        )
        await self._switch_chunks_index(old, new)
        self._model, self._dimension, self._chunks_index = model, dimension, new
        return copied

    async def _copy(
        self,
        source: str,
        target: str,
        embed: EmbedTexts,
        batch: int,
        total: int,
        progress: Progress | None,
        since: str | None,
        done_before: int = 0,
    ) -> int:
        """Copy the chunks of `source` (those indexed at `since` or later, when given) to
        `target` with new vectors, `batch` at a time; returns how many."""
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
                        # The chunk keeps its version: the fence of the run that wrote it
                        # (`chunks.fence_version`) still holds in the new index.
                        "_version": hit["_version"],
                        "_version_type": "external_gte",
                    }
                )
            await self.bulk(actions)
            done += len(pending)
            pending.clear()
            if progress:
                progress(done_before + done, max(total, done_before + done))

        async for hit in async_scan(
            self._client, index=source, query={"query": query, "version": True}, size=_SCAN_PAGE
        ):
            pending.append(hit)
            if len(pending) >= batch:
                await flush()
        if pending:
            await flush()
        return done
