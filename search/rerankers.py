"""Rerankers re-score fused candidates against the query. Picked by name.

No cross-encoder weights ship on PyPI, and re-scoring with the local bi-encoder only gives
back the semantic ranking (SciFact nDCG@10 0.659, below hybrid's 0.720), so the embedded
default has no reranker; Cohere's joins with the providers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from docent.plugins import pick

if TYPE_CHECKING:
    from docent.search.embedders import Embedder
    from docent.settings import Settings


class Reranker(Protocol):
    name: str

    async def rerank(self, query: str, texts: list[str]) -> list[float]:
        """A relevance score per text (higher is better), in the order given."""
        ...


_RERANKERS: dict[str, str] = {}


def build_reranker(settings: Settings, embedder: Embedder) -> Reranker | None:
    if settings.models.reranker == "none":
        return None
    factory = pick("reranker", settings.models.reranker, _RERANKERS)
    reranker: Reranker = factory(embedder)
    return reranker
