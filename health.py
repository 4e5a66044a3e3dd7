"""Readiness of a docent process: can it serve queries and take uploads now?

`/readyz` reports each dependency (search, queue, the S3 file store, malware scanner, the
in-process worker) and the providers' circuits; `/metrics` gives the providers' counters and
the ingestion queue's depth (`ingestion/queue_depth.py`) in Prometheus' text format. A provider's open circuit does not make docent unready: its fallback chain
answers, and taking every instance out of a load balancer would not help.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from docent.providers.base import ProviderRegistry, provider_metrics

log = logging.getLogger(__name__)

#: Seconds a dependency has to answer a readiness check.
CHECK_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Readiness:
    """The checks of one process; each check raises (or returns False) when unavailable."""

    search: Callable[[], Awaitable[None]]
    queue: Callable[[], Awaitable[object]]
    scanner: Callable[[], Awaitable[bool]] | None = None
    #: The blob store (`BlobStore.check`), reported as "storage".
    storage: Callable[[], Awaitable[None]] | None = None
    providers: ProviderRegistry | None = None
    #: The queue's depth in Prometheus' text format (`QueueDepth.prometheus`).
    queue_metrics: Callable[[], Awaitable[str]] | None = None

    async def checks(self) -> dict[str, str]:
        """`{"search": "ok", "queue": "unavailable: ConnectionError", ...}`."""
        checks: dict[str, str] = {}
        named = [("search", self.search), ("queue", self.queue)]
        if self.storage is not None:
            named.append(("storage", self.storage))
        for name, check in named:
            try:
                await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_S)
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"unavailable: {type(exc).__name__}"
        if self.scanner is not None:
            checks["scanner"] = "ok" if await self.scanner() else "unavailable"
        return checks

    def circuits(self) -> dict[str, str] | None:
        """Each provider operation's circuit (closed, open, half-open)."""
        return self.providers.states() if self.providers is not None else None

    async def metrics(self) -> str:
        """Prometheus' text format. A queue that does not answer within CHECK_TIMEOUT_S
        leaves its gauges out (absent, not zero: a scaler must not read an outage as an
        empty queue)."""
        text = provider_metrics(self.providers) if self.providers is not None else ""
        if self.queue_metrics is not None:
            try:
                text += await asyncio.wait_for(self.queue_metrics(), timeout=CHECK_TIMEOUT_S)
            except Exception as exc:
                log.warning("queue metrics unavailable: %s", type(exc).__name__)
        return text
