"""Generation through a provider: the provider's stream of a grounded prompt, under the
resilience policy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from docent.providers.resilience import Resilient
from docent.roles import GenerationDone, Prompt

OpenStream = Callable[[Prompt], AsyncIterator[str | GenerationDone]]


class ProviderGenerator:
    """A `Generator` over a provider's streaming call."""

    #: Its text is written elsewhere: the process only waits for it (api/admission.py
    #: gives an answer's slot back once its sources are found).
    remote = True

    def __init__(
        self,
        *,
        model: str,
        open_stream: OpenStream,
        resilient: Resilient,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.model = model
        self._open_stream = open_stream
        self._resilient = resilient
        self._close = close

    @property
    def available(self) -> bool:
        """Whether a call would be tried now: the provider's circuit is not open (it is
        skipped while open: resilience.CircuitBreaker)."""
        return self._resilient.breaker.state != "open"

    def stream(self, prompt: Prompt) -> AsyncIterator[str | GenerationDone]:
        return self._resilient.stream(lambda: self._open_stream(prompt))

    async def aclose(self) -> None:
        if self._close is not None:
            await self._close()
