"""Embedders turn text into vectors. Picked by name; heavy dependencies load only when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from docent.plugins import pick
from docent.roles import Embedder

if TYPE_CHECKING:
    from docent.providers.base import ProviderRegistry
    from docent.settings import Settings

EmbedderName = Literal["local", "cohere", "gemini"]


_IMPLEMENTATIONS: dict[str, str] = {
    "local": "docent.providers.local_embedder:LocalEmbedder.from_settings",
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
