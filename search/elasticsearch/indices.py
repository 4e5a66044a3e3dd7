"""docent's Elasticsearch indices: creating them, upgrading their mappings, moving the
chunks alias to a new version, and the guard on the embedding model they hold.

- `<prefix>-documents` (alias) -> `<prefix>-documents-v1`: one record per document.
- `<prefix>-claims`: one tiny document per (owner, sha256), created with op_type=create,
  which makes upload deduplication race-free (Elasticsearch has no unique constraint).
- `<prefix>-conversations`, `<prefix>-messages`: conversations and their messages, by id.
- `<prefix>-chunks` (alias) -> `<prefix>-chunks-000001`, ...: the chunks. The index
  `_meta` records the embedding model and dimension and the keyword analysis version; a
  reindex builds the next version (re-embedded, re-analysed) and moves the alias
  atomically.

When the cluster cannot be reached at start (`open(wait=False)`), the indices are created
or checked on the first call that needs them (`needs_open`).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from elasticsearch import ApiError as ESApiError
from elasticsearch import NotFoundError

from docent.errors import IndexMismatch, SearchUnavailable
from docent.search import analysis
from docent.search.elasticsearch import mappings
from docent.search.elasticsearch.cluster import Cluster

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
IndicesT = TypeVar("IndicesT", bound="Indices")

#: After a failed attempt to open, calls fail at once for this long before the next try.
_RETRY_OPEN_S = 2.0
#: How often (seconds) a search checks that another process has not reindexed.
_CHECK_MODEL_S = 30


def needs_open(
    method: Callable[Concatenate[IndicesT, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[IndicesT, P], Coroutine[Any, Any, R]]:
    """Create or check the indices first if the cluster was unreachable at start."""

    @functools.wraps(method)
    async def wrapper(self: IndicesT, *args: P.args, **kwargs: P.kwargs) -> R:
        await self._ensure_open()
        return await method(self, *args, **kwargs)

    return wrapper


class Indices(Cluster):
    """The indices' lifecycle, under the names `Cluster` gives them."""

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

    async def drop_all(self) -> None:
        """Delete every index of this prefix (tests, and `docent` uninstalls)."""
        await self._call(
            self._client.indices.delete(
                index=f"{self.prefix}-*", ignore_unavailable=True, allow_no_indices=True
            )
        )

    async def _ensure_open(self) -> None:
        if self._pending_open is None:
            return
        now = time.monotonic()
        if now - self._last_open_attempt < _RETRY_OPEN_S:
            raise SearchUnavailable(
                f"Elasticsearch at {self.where} cannot be reached; try again shortly"
            )
        self._last_open_attempt = now
        await self._open(*self._pending_open)

    async def _open(self, model: str, dimension: int, check_model: bool) -> None:
        await self._ensure_alias(
            self.documents_alias,
            f"{self.documents_alias}-v{mappings.SCHEMA_VERSION}",
            mappings.documents_mapping(),
        )
        await self._ensure_index(self.claims_index, mappings.claims_mapping())
        await self._ensure_index(self.conversations_index, mappings.conversations_mapping())
        await self._ensure_index(self.messages_index, mappings.messages_mapping())
        index = await self._chunks_target()
        if index is None:
            await self._ensure_alias(
                self.chunks_alias,
                f"{self.chunks_alias}-000001",
                mappings.chunks_mapping(model, dimension),
            )
            index = await self._chunks_target()
        assert index is not None
        stored = await self._stored_model(index)
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
                await self._create_index(new_index, mappings.chunks_mapping(model, dimension))
                await self._switch_chunks_index(index, new_index)
                index = new_index
        if check_model:
            await self._check_analysis(index)
        self._chunks_index = index
        self._checked_at = time.monotonic()
        self._pending_open = None

    async def _check_analysis(self, index: str) -> None:
        """IndexMismatch when `index` holds chunks whose BM25 terms an older keyword
        analysis made: they would not match the terms queries now have. (Elasticsearch
        does not keep the vectors in `_source`, so the terms cannot be rewritten in place;
        `docent reindex` analyses them again.) An empty index records this analysis."""
        meta = await self._meta(index)
        stored = int(meta.get("analysis_version", 1))
        if stored == analysis.ANALYSIS_VERSION:
            return
        count = (await self._call(self._client.count(index=index)))["count"]
        if count:
            raise IndexMismatch(
                f"the Elasticsearch index {index} holds {count} chunks analysed for keyword "
                f"search by an older docent (analysis version {stored}, this docent's is "
                f"{analysis.ANALYSIS_VERSION}): run `docent reindex` to analyse them again"
            )
        meta["analysis_version"] = analysis.ANALYSIS_VERSION
        await self._call(self._client.indices.put_mapping(index=index, meta=meta))

    async def _create_index(
        self, name: str, mapping: dict[str, Any], alias: str | None = None
    ) -> bool:
        body: dict[str, Any] = {
            "settings": mappings.index_settings(self._shards, self._replicas),
            "mappings": mapping,
        }
        if alias:
            body["aliases"] = {alias: {"is_write_index": True}}
        try:
            await self._call(self._client.indices.create(index=name, **body))
            return True
        except ESApiError as exc:
            if exc.error == "resource_already_exists_exception":
                return False  # another process created it first
            raise

    async def _ensure_index(self, name: str, mapping: dict[str, Any]) -> None:
        if not await self._call(self._client.indices.exists(index=name)):
            await self._create_index(name, mapping)
        else:
            await self._upgrade_mapping(name, mapping)

    async def _ensure_alias(self, alias: str, index: str, mapping: dict[str, Any]) -> None:
        if await self._call(self._client.indices.exists_alias(name=alias)):
            for target in (await self._call(self._client.indices.get_alias(name=alias))).body:
                await self._upgrade_mapping(target, mapping)
            return
        await self._create_index(index, mapping, alias=alias)

    async def _upgrade_mapping(self, index: str, mapping: dict[str, Any]) -> None:
        """Add the fields a newer docent maps (additive, idempotent)."""
        properties = {k: v for k, v in mapping["properties"].items() if k != "vector"}
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

    async def _stored_model(self, index: str) -> tuple[str | None, int]:
        """The embedding model and dimension that `index` records."""
        meta = await self._meta(index)
        return meta.get("embedding_model"), int(meta.get("embedding_dimension", 0))

    async def _next_chunks_index(self, current: str) -> str:
        number = int(current.rsplit("-", 1)[-1]) if current[-6:].isdigit() else 0
        return f"{self.chunks_alias}-{number + 1:06d}"

    async def _switch_chunks_index(self, old: str, new: str) -> None:
        """Move the chunks alias from `old` to `new` in one atomic step, then delete `old`."""
        await self._call(
            self._client.indices.update_aliases(
                actions=[
                    {"remove": {"index": old, "alias": self.chunks_alias}},
                    {"add": {"index": new, "alias": self.chunks_alias, "is_write_index": True}},
                ]
            )
        )
        await self._call(self._client.indices.delete(index=old, ignore_unavailable=True))

    async def _check_model(self) -> None:
        """Another process may have moved the alias to an index of another model (a
        reindex): then this process's vectors no longer fit, and it must say so."""
        index = await self._chunks_target()
        if index == self._chunks_index:
            return
        stored = await self._stored_model(index) if index else (None, 0)
        if stored != (self._model, self._dimension):
            raise SearchUnavailable(
                f"the index was rebuilt for {stored[0]} ({stored[1]} dimensions); restart docent "
                "with the matching DOCENT_EMBEDDER"
            )
        self._chunks_index = index

    async def _check_model_now_and_then(self) -> None:
        if time.monotonic() - self._checked_at > _CHECK_MODEL_S:
            self._checked_at = time.monotonic()
            await self._check_model()
