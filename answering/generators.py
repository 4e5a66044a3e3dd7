"""Generators write the answer from numbered sources, streaming text. Picked by name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Protocol

from docent.answering.answers import Source
from docent.plugins import pick

if TYPE_CHECKING:
    from docent.search.embedders import Embedder
    from docent.settings import Settings


class Generator(Protocol):
    #: Shown with every answer: which model (or method) wrote it.
    model: str

    def stream(self, question: str, sources: Sequence[Source]) -> AsyncIterator[str]:
        """Text deltas of the answer, citing sources as [n]."""
        ...


_GENERATORS = {"local": "docent.answering.extractive:ExtractiveGenerator"}


def build_generator(settings: Settings, embedder: Embedder) -> Generator | None:
    if settings.models.generator == "none":
        return None
    factory = pick("generator", settings.models.generator, _GENERATORS)
    return factory(embedder)
