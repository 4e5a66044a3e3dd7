"""DOCENT_RERANKER names a fallback chain of rerankers (`cohere,local,none`) that re-score
fused candidates against the query. `none` at the end of a chain keeps the fused order when
every reranker before it fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docent.plugins import pick
from docent.providers.chains import RerankerChain
from docent.roles import Reranker

if TYPE_CHECKING:
    from docent.providers.base import ProviderRegistry
    from docent.roles import Embedder
    from docent.settings import Settings


def _local(settings: Settings) -> Embedder:
    from docent.search.embedders import build_embedder

    return build_embedder("local", settings)


_RERANKERS: dict[str, str] = {
    "local": "docent.providers.local_reranker:EmbeddingReranker",
    "cohere": "docent.providers.cohere:CohereReranker.from_settings",
}


def build_reranker(
    settings: Settings, embedder: Embedder, providers: ProviderRegistry
) -> RerankerChain | None:
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
    return RerankerChain(members, none_last=none_last) if members else None
