"""Rerankers re-score fused candidates against the query; DOCENT_RERANKER names a fallback
chain of them (`cohere,local,none`).

`local` re-scores with the local embedder (no cross-encoder weights ship on PyPI):
on SciFact that gives back the semantic ranking (nDCG@10 0.659, below hybrid's 0.720), so
it is a fallback, not a default. `none` at the end of a chain keeps the fused order when
every reranker before it fails.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from docent.errors import FALLBACK_CODES, DocentError, ProviderFailure
from docent.plugins import pick

if TYPE_CHECKING:
    from docent.providers.base import ProviderRegistry
    from docent.search.embedders import Embedder
    from docent.settings import Settings

log = logging.getLogger(__name__)


class Reranker(Protocol):
    name: str

    async def rerank(self, query: str, texts: list[str]) -> list[float]:
        """A relevance score per text (higher is better), in the order given."""
        ...


class EmbeddingReranker:
    """Cosine similarity between the query and each text, with the index's embedder."""

    name = "local"

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    async def rerank(self, query: str, texts: list[str]) -> list[float]:
        query_vector = await self._embedder.embed_query(query)
        vectors = await self._embedder.embed_documents(texts)
        return [float(s) for s in np.asarray(vectors) @ np.asarray(query_vector)]


@dataclass(frozen=True, slots=True)
class Reranked:
    scores: list[float] | None  # None: every reranker failed and the chain ends in `none`
    by: str | None
    fallbacks: tuple[ProviderFailure, ...] = ()


class RerankChain:
    """Rerankers tried in order; a member that is down, out of quota or refusing the key is
    skipped, and the result says so."""

    def __init__(self, members: Sequence[Reranker], *, none_last: bool) -> None:
        if not members:
            raise ValueError("a reranker chain needs at least one reranker")
        self.members = list(members)
        self.none_last = none_last

    @property
    def name(self) -> str:
        return ",".join([m.name for m in self.members] + (["none"] if self.none_last else []))

    async def rerank(self, query: str, texts: list[str]) -> Reranked:
        skipped: list[ProviderFailure] = []
        for position, member in enumerate(self.members):
            try:
                scores = await member.rerank(query, texts)
            except DocentError as exc:
                last = position == len(self.members) - 1
                if (last and not self.none_last) or exc.code not in FALLBACK_CODES:
                    raise
                log.warning("reranker %s failed (%s); trying the next", member.name, exc.code)
                skipped.append(ProviderFailure.of(member.name, exc))
                continue
            return Reranked(scores, member.name, tuple(skipped))
        return Reranked(None, None, tuple(skipped))


def _local(settings: Settings) -> Embedder:
    from docent.search.embedders import build_embedder

    return build_embedder("local", settings)


_RERANKERS: dict[str, str] = {
    "local": "docent.search.rerankers:EmbeddingReranker",
    "cohere": "docent.providers.cohere:CohereReranker.from_settings",
}


def build_reranker(
    settings: Settings, embedder: Embedder, providers: ProviderRegistry
) -> RerankChain | None:
    """The chain DOCENT_RERANKER names, or None for `none`."""
    names = list(settings.models.reranker)
    none_last = "none" in names
    if none_last and names.index("none") != len(names) - 1:
        raise ValueError("DOCENT_RERANKER: `none` can only come last in the chain")
    members: list[Reranker] = []
    for name in names:
        if name == "none":
            continue
        factory = pick("reranker", name, _RERANKERS)
        if name == "local":
            # The local model, even when the index is embedded by a provider: a fallback
            # must not depend on the provider that just failed.
            local = embedder if settings.models.embedder == "local" else _local(settings)
            members.append(factory(local))
        else:
            members.append(factory(settings, providers))
    return RerankChain(members, none_last=none_last) if members else None
