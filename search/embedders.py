"""Embedders turn text into vectors. Picked by name; heavy dependencies load only when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import numpy as np

from docent.plugins import pick

if TYPE_CHECKING:
    from docent.providers.base import ProviderRegistry
    from docent.settings import Settings

EmbedderName = Literal["local", "cohere", "gemini"]


@runtime_checkable
class Embedder(Protocol):
    """Documents and queries may be embedded differently (asymmetric models)."""

    #: Recorded in the index: vectors of different models never mix.
    model: str
    dimension: int

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...

    async def embed_query(self, text: str) -> np.ndarray:
        """One L2-normalised float32 vector."""
        ...

    async def aclose(self) -> None: ...


_IMPLEMENTATIONS: dict[str, str] = {
    "local": "docent.search.local_embedder:LocalEmbedder.from_settings",
    "cohere": "docent.providers.cohere:CohereEmbedder.from_settings",
    "gemini": "docent.providers.gemini:GeminiEmbedder.from_settings",
}


def build_embedder(
    name: str, settings: Settings, providers: ProviderRegistry | None = None
) -> Embedder:
    """The embedder called `name`, imported lazily. There is no fallback: an index holds
    the vectors of one model, and queries must be embedded by that model."""
    factory = pick("embedder", name, _IMPLEMENTATIONS)
    if name == "local":
        return factory(settings)
    if providers is None:
        from docent.providers.base import ProviderRegistry

        providers = ProviderRegistry(settings.models)
    return factory(settings, providers)


def check_vectors(vectors: np.ndarray, dimension: int) -> np.ndarray:
    """Refuse vectors that must never reach an index: wrong shape, NaN, zero length."""
    if vectors.ndim != 2 or vectors.shape[1] != dimension:
        raise ValueError(f"expected vectors of dimension {dimension}, got shape {vectors.shape}")
    if not np.all(np.isfinite(vectors)):
        raise ValueError("embedder returned NaN or infinite values")
    norms = np.linalg.norm(vectors, axis=1)
    if np.any(norms < 1e-6):
        raise ValueError("embedder returned a zero vector")
    return (vectors / norms[:, None]).astype(np.float32)
