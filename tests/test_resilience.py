"""The resilience policy on its own: backoff, Retry-After, bounded tries, the circuit breaker
and streams (the same policy against the real SDKs is in test_providers.py)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest

from docent.errors import ProviderAuth, ProviderUnavailable, RateLimited
from docent.providers.base import classify_status, retry_after
from docent.providers.resilience import (
    CircuitBreaker,
    Classified,
    Failure,
    Resilient,
    RetryPolicy,
)


class Boom(Exception):
    def __init__(self, status: int, retry: str | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = {"Retry-After": retry} if retry else {}


def classify(exc: BaseException) -> Classified:
    assert isinstance(exc, Boom)
    return classify_status(exc.status, exc.headers)


def resilient(attempts: int = 4, timeout_s: float = 2.0, threshold: int = 3) -> Resilient:
    return Resilient(
        "test.op",
        classify,
        RetryPolicy(attempts=attempts, timeout_s=timeout_s, base_delay_s=0.01, max_delay_s=5),
        CircuitBreaker("test.op", threshold=threshold, cooldown_s=0.3),
    )


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (6, 8.0)]:
        delays = [policy.delay(attempt, None) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 10  # jittered, not fixed
    assert policy.delay(0, 3.0) == 3.0  # Retry-After wins
    assert policy.delay(0, 600.0) == 8.0  # but never beyond the cap


def test_retry_after_header_forms() -> None:
    assert retry_after({"retry-after": "7"}) == 7.0
    assert retry_after({"Retry-After": "1.5"}) == 1.5
    assert retry_after({}) is None
    assert retry_after({"Retry-After": "soon"}) is None
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    seconds = retry_after({"Retry-After": future})
    assert seconds is not None and 25 <= seconds <= 31


def test_statuses_are_classified() -> None:
    assert classify_status(401, {}).kind is Failure.AUTH
    assert classify_status(403, {}).kind is Failure.AUTH
    assert classify_status(400, {}, bad_key=True).kind is Failure.AUTH
    assert classify_status(429, {"Retry-After": "2"}) == Classified(
        Failure.RATE_LIMITED, 2.0, "HTTP 429"
    )
    assert classify_status(503, {}).kind is Failure.TRANSIENT
    assert classify_status(500, {}).kind is Failure.TRANSIENT
    assert classify_status(400, {}).kind is Failure.REFUSED


async def test_rate_limit_waits_as_told_then_succeeds() -> None:
    calls: list[float] = []

    async def operation() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise Boom(429, "0.3")
        return "ok"

    r = resilient()
    assert await r.call(operation) == "ok"
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert len(calls) == 3 and all(0.28 <= g < 1.0 for g in gaps), gaps
    assert r.stats.retries == 2 and r.breaker.state == "closed"


async def test_tries_are_bounded_and_end_in_a_typed_error() -> None:
    calls = 0

    async def operation() -> None:
        nonlocal calls
        calls += 1
        raise Boom(503)

    with pytest.raises(ProviderUnavailable, match=r"test.op is unavailable .*HTTP 503.* 3 times"):
        await resilient(attempts=3).call(operation)
    assert calls == 3

    async def limited() -> None:
        raise Boom(429, "1")

    with pytest.raises(RateLimited) as info:
        await resilient(attempts=1).call(limited)
    assert info.value.retry_after == 1.0

    calls = 0

    async def come_back_later() -> None:
        nonlocal calls
        calls += 1
        raise Boom(429, "3600")

    started = time.monotonic()
    with pytest.raises(RateLimited, match="try again in 3600 s"):
        await resilient().call(come_back_later)
    assert calls == 1 and time.monotonic() - started < 1  # not waited for: fallbacks answer


async def test_a_bad_key_is_not_retried() -> None:
    calls = 0

    async def operation() -> None:
        nonlocal calls
        calls += 1
        raise Boom(401)

    with pytest.raises(ProviderAuth, match="refused docent's API key"):
        await resilient().call(operation)
    assert calls == 1


async def test_each_try_has_a_time_limit() -> None:
    async def hangs() -> None:
        await asyncio.sleep(60)

    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match=r"no answer within 0\.2 s"):
        await resilient(attempts=2, timeout_s=0.2).call(hangs)
    assert time.monotonic() - started < 2


async def test_circuit_opens_skips_and_recovers() -> None:
    r = resilient(attempts=1, threshold=2)
    healthy = False
    calls = 0

    async def operation() -> str:
        nonlocal calls
        calls += 1
        if not healthy:
            raise Boom(500)
        return "ok"

    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            await r.call(operation)
    assert r.breaker.state == "open"
    with pytest.raises(ProviderUnavailable, match="skipped for another"):
        await r.call(operation)
    assert calls == 2  # skipped: the provider was not called

    await asyncio.sleep(0.35)
    assert r.breaker.state == "half-open"
    with pytest.raises(ProviderUnavailable):
        await r.call(operation)  # the trial call fails: open again
    assert r.breaker.state == "open" and calls == 3

    await asyncio.sleep(0.35)
    healthy = True
    assert await r.call(operation) == "ok"
    assert r.breaker.state == "closed"


async def test_stream_retries_only_before_the_first_item() -> None:
    opened = 0
    closed = 0

    async def flaky() -> AsyncIterator[str]:
        nonlocal opened, closed
        opened += 1
        try:
            if opened == 1:
                raise Boom(503)
            yield "a"
            yield "b"
            if opened == 2:
                raise Boom(500)
        finally:
            closed += 1

    r = resilient()
    items: list[str] = []
    with pytest.raises(ProviderUnavailable, match="broke off the answer after 2 parts"):
        async for item in r.stream(flaky):
            items.append(item)
    assert items == ["a", "b"] and opened == 2 and closed == 2


async def test_a_stalled_stream_times_out() -> None:
    async def stalls() -> AsyncIterator[str]:
        yield "a"
        await asyncio.sleep(60)
        yield "never"

    items: list[str] = []
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        async for item in resilient(timeout_s=0.2).stream(stalls):
            items.append(item)
    assert items == ["a"] and time.monotonic() - started < 2


async def test_closing_the_stream_closes_the_provider_stream() -> None:
    closed = asyncio.Event()

    async def endless() -> AsyncIterator[str]:
        try:
            while True:
                yield "x"
                await asyncio.sleep(0.01)
        finally:
            closed.set()

    stream = resilient().stream(endless)
    assert await anext(stream) == "x"
    await stream.aclose()  # type: ignore[attr-defined]
    assert closed.is_set()
