"""Rerankers re-score fused candidates against the query. Picked by name."""

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


class EmbeddingReranker:
    """Re-scores candidates by the cosine similarity of whole passages with the local
    embedder: no cross-encoder weights ship on PyPI, so this is the local stand-in."""

    name = "local"

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    async def rerank(self, query: str, texts: list[str]) -> list[float]:
        query_vector = await self._embedder.embed_query(query)
        vectors = await self._embedder.embed_documents(texts)
        return [float(v) for v in vectors @ query_vector]


_RERANKERS = {"local": "docent.search.rerankers:EmbeddingReranker"}


def build_reranker(settings: Settings, embedder: Embedder) -> Reranker | None:
    if settings.models.reranker == "none":
        return None
    factory = pick("reranker", settings.models.reranker, _RERANKERS)
    return factory(embedder)
