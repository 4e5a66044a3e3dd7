"""Calling a paid provider without hanging, hammering or leaking: a time limit on every
call, a bounded number of tries with exponential backoff and jitter that honours
Retry-After, and a circuit breaker that skips a provider that keeps failing.

Failures become docent's typed errors, with a message a person can act on and never the
provider's raw payload or the key: RATE_LIMITED, PROVIDER_AUTH, PROVIDER_UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from docent.backoff import equal_jitter
from docent.errors import DocentError, ProviderAuth, ProviderUnavailable, RateLimited

log = logging.getLogger(__name__)
T = TypeVar("T")


class Failure(enum.Enum):
    """What a provider's exception means for the next try."""

    AUTH = "auth"  # a bad or revoked key: trying again will not help
    RATE_LIMITED = "rate_limited"  # 429: wait (Retry-After), then try again
    TRANSIENT = "transient"  # 5xx, timeouts, dropped connections, garbled answers
    REFUSED = "refused"  # the request itself was rejected (4xx): do not repeat it


@dataclass(frozen=True, slots=True)
class Classified:
    kind: Failure
    retry_after: float | None = None
    detail: str = ""  # safe to show: a status code or an error class, never a payload


Classifier = Callable[[BaseException], Classified]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    timeout_s: float = 30.0
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Before try `attempt + 1`: Retry-After when the provider gave one, else
        exponential backoff with equal jitter."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay_s)
        return equal_jitter(attempt, base_s=self.base_delay_s, cap_s=self.max_delay_s)


class CircuitBreaker:
    """Opens after `threshold` failed calls in a row: the provider is skipped for
    `cooldown_s`, then one trial call decides whether it closes again."""

    def __init__(self, name: str, *, threshold: int = 5, cooldown_s: float = 30.0) -> None:
        self.name = name
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if time.monotonic() - self._opened_at >= self.cooldown_s:
            return "half-open"
        return "open"

    def seconds_left(self) -> float:
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.cooldown_s - (time.monotonic() - self._opened_at))

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._trial:
            self._trial = True  # one call at a time tests the water
            return True
        return False

    def success(self) -> None:
        if self._opened_at is not None:
            log.info("provider %s is back: circuit closed", self.name)
        self._failures = 0
        self._opened_at = None
        self._trial = False

    def failure(self) -> None:
        self._failures += 1
        self._trial = False
        if self._opened_at is not None or self._failures >= self.threshold:
            if self._opened_at is None or self.state == "half-open":
                log.warning(
                    "provider %s failed %d times: skipped for %.0f s",
                    self.name, self._failures, self.cooldown_s,
                )  # fmt: skip
            self._opened_at = time.monotonic()


@dataclass
class ProviderStats:
    """Counts for /metrics."""

    calls: int = 0
    failures: int = 0
    retries: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class Resilient:
    """Runs calls to one provider operation with the policy and its circuit breaker."""

    def __init__(
        self,
        name: str,
        classify: Classifier,
        policy: RetryPolicy,
        breaker: CircuitBreaker,
        *,
        key_variable: str = "the API key in the environment",
    ) -> None:
        self.name = name
        self.key_variable = key_variable
        self._classify = classify
        self.policy = policy
        self.breaker = breaker
        self.stats = ProviderStats()

    def check_open(self) -> None:
        if not self.breaker.allow():
            raise ProviderUnavailable(
                f"{self.name} failed repeatedly and is skipped for another "
                f"{self.breaker.seconds_left():.0f} s"
            )

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """`operation()` with a time limit per try, retries and the circuit breaker."""
        self.check_open()
        started = time.monotonic()
        last: Classified | None = None
        for attempt in range(self.policy.attempts):
            self.stats.calls += 1
            try:
                result = await asyncio.wait_for(operation(), timeout=self.policy.timeout_s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every failure is classified
                last = self.failed(exc)
                delay = self._retry_in(attempt, last, started)
                if delay is None:
                    break
                await asyncio.sleep(delay)
                continue
            self.breaker.success()
            return result
        assert last is not None
        raise self.give_up(last)

    def _retry_in(self, attempt: int, last: Classified, started: float | None) -> float | None:
        """Seconds to wait before trying again after the failed try `attempt`, or None when
        it is not worth trying again: a bad key or a refused request, a wait longer than the
        policy allows, no tries left, or (for a call `started` then) no time left in the
        whole call's budget."""
        if last.kind in (Failure.AUTH, Failure.REFUSED) or self._too_long(last):
            return None
        if attempt + 1 >= self.policy.attempts:
            return None
        delay = self.policy.delay(attempt, last.retry_after)
        budget = self.policy.timeout_s * self.policy.attempts
        if started is not None and time.monotonic() - started + delay > budget:
            return None
        self.stats.retries += 1
        log.info(
            "%s: %s (%s); try %d in %.1f s",
            self.name, last.kind.value, last.detail, attempt + 2, delay,
        )  # fmt: skip
        return delay

    def _too_long(self, failure: Classified) -> bool:
        """A provider that asks for a longer wait than the policy allows is not waited for:
        the caller fails fast (RATE_LIMITED, with the wait) and a fallback can answer."""
        return failure.retry_after is not None and failure.retry_after > self.policy.max_delay_s

    def failed(self, exc: BaseException) -> Classified:
        """Classify a failed try (and count it)."""
        classified = (
            Classified(Failure.TRANSIENT, detail=f"no answer within {self.policy.timeout_s:g} s")
            if isinstance(exc, (asyncio.TimeoutError, TimeoutError))
            else self._classify(exc)
        )
        self.stats.failures += 1
        self.stats.by_kind[classified.kind.value] = (
            self.stats.by_kind.get(classified.kind.value, 0) + 1
        )
        return classified

    def give_up(self, last: Classified) -> DocentError:
        """The typed error for a call that failed for good; the breaker hears of it."""
        if last.kind is not Failure.REFUSED:
            self.breaker.failure()
        if last.kind is Failure.AUTH:
            return ProviderAuth(
                f"{self.name} refused docent's API key ({last.detail}); check "
                f"{self.key_variable} and the key's permissions"
            )
        if last.kind is Failure.RATE_LIMITED:
            wait = f"; try again in {last.retry_after:.0f} s" if last.retry_after else ""
            return RateLimited(
                f"{self.name} is rate limiting docent (quota or requests per minute){wait}",
                retry_after=last.retry_after,
            )
        if last.kind is Failure.REFUSED:
            return ProviderUnavailable(f"{self.name} rejected the request ({last.detail})")
        return ProviderUnavailable(
            f"{self.name} is unavailable ({last.detail}); tried {self.policy.attempts} times"
        )

    async def stream(self, open_stream: Callable[[], AsyncIterator[T]]) -> AsyncIterator[T]:
        """The items of a stream. Tries again only until the first item arrives (after that,
        a retry would repeat what the client already has); a stream that breaks off later
        ends with PROVIDER_UNAVAILABLE. Each item must come within the time limit. Closing
        this iterator closes the provider's stream (the HTTP response) at once."""
        self.check_open()
        iterator: AsyncIterator[T] | None = None
        first: T | None = None
        last: Classified | None = None
        for attempt in range(self.policy.attempts):
            self.stats.calls += 1
            iterator = open_stream()
            try:
                first = await asyncio.wait_for(anext(iterator), timeout=self.policy.timeout_s)
            except StopAsyncIteration:
                self.breaker.success()
                return
            except asyncio.CancelledError:
                await close_stream(iterator)
                raise
            except Exception as exc:  # every failure is classified
                await close_stream(iterator)
                last = self.failed(exc)
                # Each try of a stream is bounded by its first part's time limit.
                delay = self._retry_in(attempt, last, None)
                if delay is None:
                    break
                await asyncio.sleep(delay)
                continue
            break
        if last is not None and first is None:
            raise self.give_up(last)
        assert iterator is not None
        count = 0
        try:
            yield first  # type: ignore[misc]
            while True:
                count += 1
                try:
                    item = await asyncio.wait_for(anext(iterator), timeout=self.policy.timeout_s)
                except StopAsyncIteration:
                    break
                yield item
        except (GeneratorExit, asyncio.CancelledError):
            raise
        except DocentError:
            raise
        except Exception as exc:
            classified = self.failed(exc)
            self.breaker.failure()
            raise ProviderUnavailable(
                f"{self.name} broke off the answer after {count} parts ({classified.detail})"
            ) from exc
        finally:
            await close_stream(iterator)
        self.breaker.success()


async def close_stream(iterator: AsyncIterator[object]) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:  # closing a broken stream may fail too
            log.debug("closing a provider stream failed", exc_info=True)
