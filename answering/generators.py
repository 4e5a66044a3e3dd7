"""Generators write the answer from numbered sources, streaming text. DOCENT_GENERATOR names
a fallback chain of them (`gemini,cohere,local`).

The chain tries each member in order. A member that fails before it has written anything
(down, out of quota, refusing the key, its circuit open) is skipped and the next one
answers; the answer says which was skipped and why. Once text has reached the client a
failure ends the answer (switching models mid-sentence would repeat or contradict it).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Protocol

from docent.answering.answers import GenerationDone, Source
from docent.errors import FALLBACK_CODES, DocentError, ProviderFailure, ProviderUnavailable
from docent.plugins import pick
from docent.providers.resilience import close_stream

if TYPE_CHECKING:
    from docent.providers.base import ProviderRegistry
    from docent.search.embedders import Embedder
    from docent.settings import Settings


class Generator(Protocol):
    #: Shown with every answer: which model (or method) wrote it.
    model: str

    def stream(
        self, question: str, sources: Sequence[Source]
    ) -> AsyncIterator[str | GenerationDone]:
        """Text deltas of the answer, citing sources as [n], then one `GenerationDone`."""
        ...


log = logging.getLogger(__name__)


class FallbackGenerator:
    """Generators tried in order (DOCENT_GENERATOR=gemini,cohere,local)."""

    def __init__(self, members: Sequence[Generator]) -> None:
        if not members:
            raise ValueError("a fallback chain needs at least one generator")
        self.members = list(members)
        self.model = self.members[0].model

    async def stream(
        self, question: str, sources: Sequence[Source]
    ) -> AsyncIterator[str | GenerationDone]:
        skipped: list[ProviderFailure] = []
        for position, member in enumerate(self.members):
            last = position == len(self.members) - 1
            started = False
            stream = member.stream(question, sources)
            try:
                async for item in stream:
                    if isinstance(item, GenerationDone):
                        item = GenerationDone(item.model, item.usage, fallbacks=tuple(skipped))
                    started = True
                    yield item
                return
            except DocentError as exc:
                if started or last or exc.code not in FALLBACK_CODES:
                    raise
                log.warning("generator %s failed (%s); trying the next", member.model, exc.code)
                skipped.append(ProviderFailure.of(member.model, exc))
            finally:
                await close_stream(stream)
        raise ProviderUnavailable("no generator is available")  # pragma: no cover


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
    return members[0] if len(members) == 1 else FallbackGenerator(members)
