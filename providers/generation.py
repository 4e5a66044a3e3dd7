"""Generation through a provider: the grounded prompt, packed to the token budget, and the
provider's stream under the resilience policy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from docent.answering.answers import GenerationDone, Source
from docent.answering.prompting import Prompt, build_prompt
from docent.providers.resilience import Resilient

#: Characters per token, for packing sources into a token budget without a tokenizer.
CHARS_PER_TOKEN = 4

OpenStream = Callable[[Prompt], AsyncIterator[str | GenerationDone]]


class ProviderGenerator:
    """A `Generator` over a provider's streaming call, with the grounded prompt."""

    def __init__(
        self,
        *,
        model: str,
        open_stream: OpenStream,
        resilient: Resilient,
        context_tokens: int,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.model = model
        self._open_stream = open_stream
        self._resilient = resilient
        self._max_chars = context_tokens * CHARS_PER_TOKEN
        self._close = close

    def stream(
        self, question: str, sources: Sequence[Source]
    ) -> AsyncIterator[str | GenerationDone]:
        prompt = build_prompt(question, sources, max_chars=self._max_chars)
        return self._resilient.stream(lambda: self._open_stream(prompt))

    async def aclose(self) -> None:
        if self._close is not None:
            await self._close()
