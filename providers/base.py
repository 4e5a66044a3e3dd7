"""What every provider role shares: one resilience wrapper (time limit, retries, circuit
breaker) per provider operation for the whole process, the keys, and the batching of texts.

A provider's circuit is shared by everything in the process that calls it, so a Gemini
outage seen by one answer makes the next skip Gemini at once; `/readyz` and `/metrics`
read the same registry.
"""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

import httpx
from pydantic import SecretStr

from docent.errors import ProviderAuth
from docent.providers.resilience import (
    CircuitBreaker,
    Classified,
    Classifier,
    Failure,
    Resilient,
    RetryPolicy,
)
from docent.settings import ModelSettings

T = TypeVar("T")


_KEY_VARIABLES = {"cohere": "COHERE_API_KEY", "gemini": "GEMINI_API_KEY"}


class ProviderRegistry:
    """The resilient wrappers of this process, by name ("gemini.generate", ...)."""

    def __init__(self, settings: ModelSettings) -> None:
        self._settings = settings
        self._wrappers: dict[str, Resilient] = {}

    def get(self, name: str, classify: Classifier) -> Resilient:
        wrapper = self._wrappers.get(name)
        if wrapper is None:
            s = self._settings
            wrapper = Resilient(
                name,
                classify,
                RetryPolicy(
                    attempts=s.provider_attempts,
                    timeout_s=s.provider_timeout_s,
                    max_delay_s=s.provider_max_backoff_s,
                ),
                CircuitBreaker(name, threshold=s.circuit_failures, cooldown_s=s.circuit_cooldown_s),
                key_variable=_KEY_VARIABLES.get(name.partition(".")[0], "the API key"),
            )
            self._wrappers[name] = wrapper
        return wrapper

    def __iter__(self) -> Iterator[Resilient]:
        return iter(sorted(self._wrappers.values(), key=lambda w: w.name))

    def states(self) -> dict[str, str]:
        """Each provider operation's circuit: closed, open or half-open."""
        return {w.name: w.breaker.state for w in self}


def api_key(secret: SecretStr | None, variable: str, provider: str) -> str:
    """The key from the environment, or a start-up error naming the variable to set."""
    value = secret.get_secret_value().strip() if secret is not None else ""
    if not value:
        raise ProviderAuth(f"{provider} is configured but {variable} is not set")
    return value


def check_keys(models: ModelSettings) -> None:
    """Refuse to start when a provider is named without its key (ProviderAuth, naming the
    variable), instead of failing on the first question."""
    named = {models.embedder, *models.reranker, *models.generator}
    if "cohere" in named:
        api_key(models.cohere_api_key, "COHERE_API_KEY", "Cohere")
    if "gemini" in named:
        api_key(models.gemini_api_key, "GEMINI_API_KEY", "Gemini")


def batches(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def gather_bounded(calls: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run `calls` at most `limit` at a time, results in order; the first failure cancels
    the rest (no call is left running behind a failed request)."""
    semaphore = asyncio.Semaphore(limit)

    async def run(call: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await call()

    tasks = [asyncio.ensure_future(run(call)) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def classify_status(
    status: int | None, headers: Mapping[str, str] | None, *, bad_key: bool = False
) -> Classified:
    """What an HTTP status from a provider means. `bad_key` marks a 400 that the provider
    uses for an invalid key (Google does)."""
    detail = f"HTTP {status}" if status else "no status"
    if status in (401, 403) or bad_key:
        return Classified(Failure.AUTH, detail=detail)
    if status == 429:
        return Classified(Failure.RATE_LIMITED, retry_after(headers), detail)
    if status is None or status in (408, 409, 425) or status >= 500:
        return Classified(Failure.TRANSIENT, retry_after(headers), detail)
    return Classified(Failure.REFUSED, detail=detail)


class MalformedAnswer(Exception):
    """A provider answered with something docent cannot use; the message is docent's own."""


def classify_other(exc: BaseException) -> Classified:
    """A failure without an HTTP status: a dropped connection, a timeout, a garbled body."""
    if isinstance(exc, MalformedAnswer):
        return Classified(Failure.TRANSIENT, detail=str(exc))
    if isinstance(exc, httpx.TimeoutException):
        return Classified(Failure.TRANSIENT, detail="timed out")
    if isinstance(exc, httpx.TransportError):
        return Classified(Failure.TRANSIENT, detail=f"connection failed ({type(exc).__name__})")
    return Classified(Failure.TRANSIENT, detail=f"unexpected answer ({type(exc).__name__})")


_CIRCUIT_VALUES = {"closed": 0, "half-open": 1, "open": 2}


def provider_metrics(registry: ProviderRegistry) -> str:
    """The registry in Prometheus' text format, for /metrics."""
    lines = [
        "# HELP docent_provider_circuit_state Circuit of a provider operation: 0 closed, "
        "1 half-open (one trial call), 2 open (skipped).",
        "# TYPE docent_provider_circuit_state gauge",
    ]
    for w in registry:
        lines.append(
            f'docent_provider_circuit_state{{operation="{w.name}"}} '
            f"{_CIRCUIT_VALUES[w.breaker.state]}"
        )
    for metric, help_text, value in (
        ("calls", "Tries sent to a provider operation.", lambda w: w.stats.calls),
        ("retries", "Tries repeated after a failure.", lambda w: w.stats.retries),
    ):
        lines += [
            f"# HELP docent_provider_{metric}_total {help_text}",
            f"# TYPE docent_provider_{metric}_total counter",
        ]
        lines += [
            f'docent_provider_{metric}_total{{operation="{w.name}"}} {value(w)}' for w in registry
        ]
    lines += [
        "# HELP docent_provider_failures_total Failed tries, by kind of failure.",
        "# TYPE docent_provider_failures_total counter",
    ]
    for w in registry:
        for kind, count in sorted(w.stats.by_kind.items()):
            lines.append(
                f'docent_provider_failures_total{{operation="{w.name}",kind="{kind}"}} {count}'
            )
    return "\n".join(lines) + "\n"
