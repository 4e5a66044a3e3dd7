"""DOCENT_GENERATOR names a fallback chain of generators (`gemini,cohere,local`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docent.plugins import pick
from docent.providers.chains import GeneratorChain
from docent.roles import Generator

if TYPE_CHECKING:
    from docent.providers.base import ProviderRegistry
    from docent.roles import Embedder
    from docent.settings import Settings


_GENERATORS = {
    "local": "docent.answering.extractive:ExtractiveGenerator",
    "gemini": "docent.providers.gemini:GeminiGenerator.from_settings",
    "cohere": "docent.providers.cohere:CohereGenerator.from_settings",
}


def build_generator(
    settings: Settings, embedder: Embedder, providers: ProviderRegistry
) -> Generator | None:
    """The generator (or chain) DOCENT_GENERATOR names, or None for `none`."""
    names = list(settings.models.generator)
    if names == ["none"]:
        return None
    if "none" in names:
        raise ValueError("DOCENT_GENERATOR: `none` cannot be part of a chain")
    members: list[Generator] = []
    for name in names:
        factory = pick("generator", name, _GENERATORS)
        members.append(factory(embedder) if name == "local" else factory(settings, providers))
    return members[0] if len(members) == 1 else GeneratorChain(members)
