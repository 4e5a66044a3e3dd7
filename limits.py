"""Rate limits and upload quotas (DOCENT_RATE_LIMITS), shared by every docent process
through Redis: the setting's syntax, and the API's rate limiter. The upload quotas are
enforced by `ingestion/quota.py`.

Syntax: `off`, or items separated by `;` (or `,`), each `name=value`:

    ask=30/minute; search=120/minute; upload=300/hour; upload_bytes=2GB/day;
    documents=10000; per_address=4x

- `ask`, `search`, `upload`: requests per period, for each user, as `COUNT/PERIOD`;
  PERIOD is a unit (`second`, `minute`, `hour`, `day`, or `s`, `min`, `h`, `d`),
  optionally with a multiple: `3/2second`, `100/15min`. `ask` counts the `ask` query and
  the `answer` subscription together. A user may spend the whole budget at once, and gets
  it back evenly over the period (a token bucket).
- `upload_bytes`: bytes a user may upload per period (`2GB/day`; B, KB, MB, GB, TB are
  powers of 1024, like DOCENT_MAX_UPLOAD_MB). Periods are calendar windows in UTC: a day is
  a UTC day. A re-upload of a file the user already has costs nothing.
- `documents`: documents a user may store (refused above it; deleting makes room).
- `per_address`: each client address gets this multiple of a user's `ask`, `search` and
  `upload` budget, since several users may share one address (default `4x`; `off` limits
  per user only). The address is the TCP peer: behind a reverse proxy every client has the
  proxy's address, so let the proxy limit per address and set `per_address=off`.
- `recommended` stands for `RECOMMENDED` below; later items override it
  (`recommended; ask=10/minute`). Any item may be `off` (`search=off`).

An invalid value raises ValueError from `parse_limits`, which `open_runtime` calls: docent
refuses to start rather than run without the limits someone meant to set.

Refusals raise `RateLimited` (code RATE_LIMITED) with a message naming the limit and
`retry_after`, the seconds until the same request would pass (None when waiting does not
help: a file larger than the whole quota, or too many documents stored).

Why our own limiter and not the `limits` library (installed, 5.8): a request is checked
against two buckets, the user's and the address's, and must be refused or counted in both
at once; `limits` checks one key per call, so a refusal by the second would already have
spent the first, and the time to wait would cost more round trips. Its async Redis storage
also wants a URI and builds its own connection pool, while the embedded Redis is a unix
socket already open in `runtime.queue.redis`. Here one Lua script does it all in one round
trip, atomically across API processes: GCRA (the generic cell rate algorithm, a token
bucket kept as one timestamp per key, so O(1) memory however large the limit), with Redis's
own clock (`TIME`), so the API processes' clocks do not matter. The time to wait is exact:
the script computes when the bucket will hold the request.

When Redis cannot be reached, rate limits let requests through (and log it): search and
answers do not need Redis, and an outage of the limiter should not become an outage of the
service. Uploads need Redis anyway (for their job).
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import math
import re
from dataclasses import dataclass, replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from docent.errors import RateLimited
from docent.redis_keys import KEYS, RedisKeys
from docent.units import format_bytes, format_wait

log = logging.getLogger(__name__)

SETTING = "DOCENT_RATE_LIMITS"

#: The value we recommend in production (DOCENT_RATE_LIMITS=recommended): generous for a
#: person (a question every two seconds, a folder of a few hundred files at once), tight
#: enough that one account or address cannot monopolise the generator or the workers.
RECOMMENDED = (
    "ask=30/minute; search=120/minute; upload=300/hour; upload_bytes=2GB/day; "
    "documents=10000; per_address=4x"
)

DEFAULT_ADDRESS_FACTOR = 4.0

#: Period units: seconds, and the name used in messages.
_UNITS: dict[str, tuple[float, str]] = {
    name: (seconds, canonical)
    for seconds, canonical, names in (
        (1.0, "second", ("s", "sec", "secs", "second", "seconds")),
        (60.0, "minute", ("m", "min", "mins", "minute", "minutes")),
        (3600.0, "hour", ("h", "hr", "hrs", "hour", "hours")),
        (86400.0, "day", ("d", "day", "days")),
    )
    for name in names
}

_SIZES = {"": 1, "b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}
_SIZES.update({"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40})

_PERIOD = re.compile(r"^(\d+)?\s*([a-z]+)$")
_RATE = re.compile(r"^(\d+)\s*/\s*(.+)$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([a-z]*)$")
_FACTOR = re.compile(r"^(\d+(?:\.\d+)?)\s*x?$")
#: Longest period a limit may have, and the fastest rate (one request a millisecond).
_MAX_PERIOD_S = 366 * 86400.0
_MIN_INTERVAL_S = 0.001


class Bucket(enum.StrEnum):
    """What a rate limit counts."""

    ASK = "ask"  # the ask query and the answer subscription
    SEARCH = "search"
    UPLOAD = "upload"

    @property
    def noun(self) -> str:
        return {"ask": "questions", "search": "searches", "upload": "uploads"}[self.value]


@dataclass(frozen=True, slots=True)
class Period:
    seconds: float
    text: str  # "minute", "2 seconds"

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text.strip().lower())
        unit = _UNITS.get(match.group(2)) if match else None
        if match is None or unit is None:
            raise ValueError(
                f"{text.strip()!r} is not a period: write second, minute, hour or day, "
                "optionally with a number before it (2second, 15min)"
            )
        multiple = int(match.group(1) or 1)
        if multiple < 1:
            raise ValueError(f"{text.strip()!r}: the period must be at least 1 {unit[1]}")
        seconds = multiple * unit[0]
        if seconds > _MAX_PERIOD_S:
            raise ValueError(f"{text.strip()!r}: periods longer than 366 days are not supported")
        return cls(seconds, unit[1] if multiple == 1 else f"{multiple} {unit[1]}s")


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` requests at once, refilled evenly over `period`."""

    count: int
    period: Period

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _RATE.match(text.strip().lower())
        if match is None:
            raise ValueError(f"{text.strip()!r} is not a rate: write COUNT/PERIOD (30/minute)")
        count = int(match.group(1))
        if count < 1:
            raise ValueError(f"{text.strip()!r}: the count must be at least 1 (or write off)")
        rate = cls(count, Period.parse(match.group(2)))
        if rate.period.seconds / count < _MIN_INTERVAL_S:
            raise ValueError(f"{text.strip()!r}: at most 1000 requests a second")
        return rate

    def scaled(self, factor: float) -> Rate:
        return replace(self, count=max(1, math.ceil(self.count * factor)))

    @property
    def interval_us(self) -> int:
        """Microseconds between two requests at the sustained rate."""
        return max(1, round(self.period.seconds * 1_000_000 / self.count))

    def describe(self) -> str:
        return f"{self.count} per {self.period.text}"


@dataclass(frozen=True, slots=True)
class ByteQuota:
    limit: int
    period: Period

    @classmethod
    def parse(cls, text: str) -> ByteQuota:
        size, slash, period = text.strip().partition("/")
        if not slash:
            raise ValueError(f"{text.strip()!r} is not a quota: write SIZE/PERIOD (2GB/day)")
        return cls(parse_size(size), Period.parse(period))

    def describe(self) -> str:
        return f"{format_bytes(self.limit)} per {self.period.text}"


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    """Parsed DOCENT_RATE_LIMITS; a None limit does not apply."""

    ask: Rate | None = None
    search: Rate | None = None
    upload: Rate | None = None
    upload_bytes: ByteQuota | None = None
    documents: int | None = None
    per_address: float | None = DEFAULT_ADDRESS_FACTOR

    def rate(self, bucket: Bucket) -> Rate | None:
        rate: Rate | None = getattr(self, bucket.value)
        return rate

    @property
    def has_rates(self) -> bool:
        return any(self.rate(b) for b in Bucket)

    @property
    def has_quotas(self) -> bool:
        return self.upload_bytes is not None or self.documents is not None

    @property
    def enabled(self) -> bool:
        return self.has_rates or self.has_quotas


OFF = LimitsConfig(per_address=None)


def parse_size(text: str) -> int:
    match = _SIZE.match(text.strip().lower())
    if match is None or match.group(2) not in _SIZES:
        raise ValueError(f"{text.strip()!r} is not a size: write a number and B, KB, MB, GB or TB")
    value = int(float(match.group(1)) * _SIZES[match.group(2)])
    if value < 1:
        raise ValueError(f"{text.strip()!r}: the size must be at least 1 byte")
    return value


def _count(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"{text.strip()!r} is not a count of at least 1")
    return int(text)


def _factor(text: str) -> float:
    match = _FACTOR.match(text.strip().lower())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a multiple: write 4x (or off)")
    factor = float(match.group(1))
    if factor < 1:
        raise ValueError(
            f"{text.strip()!r}: an address is shared by its users, so its budget is at least "
            "one user's (1x); write off for no per-address limit"
        )
    return factor


_PARSERS = {
    "ask": Rate.parse,
    "search": Rate.parse,
    "upload": Rate.parse,
    "upload_bytes": ByteQuota.parse,
    "documents": _count,
    "per_address": _factor,
}


def parse_limits(text: str) -> LimitsConfig:
    """DOCENT_RATE_LIMITS as a LimitsConfig; ValueError, with what is wrong and an example,
    for anything else."""
    try:
        return _parse(text)
    except ValueError as exc:
        raise ValueError(
            f"{SETTING} is invalid: {exc}. Example: {SETTING}={RECOMMENDED!r}"
        ) from None


def _parse(text: str) -> LimitsConfig:
    stripped = text.strip()
    if stripped.lower() == "off":
        return OFF
    if not stripped:
        raise ValueError("it is empty (write off for no limits)")
    values: dict[str, Any] = {}
    given: set[str] = set()
    items = [item.strip() for item in re.split(r"[;,\n]", stripped) if item.strip()]
    for position, item in enumerate(items):
        if item.lower() == "recommended":
            if position:
                raise ValueError("recommended must come first (the items after it override it)")
            values.update(vars_of(_parse(RECOMMENDED)))
            continue
        name, equals, value = (part.strip() for part in item.partition("="))
        name = name.lower()
        if not equals or name not in _PARSERS:
            raise ValueError(
                f"unknown item {item!r}: the items are {', '.join(_PARSERS)} (name=value), "
                "recommended, or off alone"
            )
        if name in given:
            raise ValueError(f"{name} is given twice")
        given.add(name)
        if not value:
            raise ValueError(f"{name} has no value")
        try:
            values[name] = None if value.lower() == "off" else _PARSERS[name](value)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return LimitsConfig(**values)


def vars_of(config: LimitsConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in _PARSERS}


def address_key(address: str | None) -> str | None:
    """The bucket of a client address: IPv4 as it is, IPv6 by its /64 network (one host
    has a whole /64 to pick addresses from)."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


# KEYS: one bucket per limit that applies. ARGV: for each key, the emission interval (time
# a request uses up) and the burst (count x interval), in microseconds. A key holds the
# bucket's theoretical arrival time (TAT); a request is allowed when its TAT, advanced by one
# interval, is at most one burst ahead of now. All keys pass and are advanced, or none is.
# Returns {0, 0} when allowed, else {microseconds to wait, index of the key that waits most}.
_GCRA = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local wait, refused_by = 0, 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key))
  if tat == nil or tat < now then tat = now end
  tats[i] = tat + interval
  if tats[i] - burst - now > wait then
    wait, refused_by = tats[i] - burst - now, i
  end
end
if wait > 0 then return {wait, refused_by} end
for i, key in ipairs(KEYS) do
  local ttl = math.max(1, math.ceil((tats[i] - now) / 1000))
  redis.call('SET', key, string.format('%.0f', tats[i]), 'PX', ttl)
end
return {0, 0}
"""

_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class RateLimiter:
    """Request budgets per user and per address, for each bucket; one per process, all
    processes sharing their state in Redis."""

    def __init__(self, redis: Redis, config: LimitsConfig, *, keys: RedisKeys = KEYS) -> None:
        self.config = config
        self._keys = keys
        self._script = redis.register_script(_GCRA)

    @property
    def enabled(self) -> bool:
        return self.config.has_rates

    async def acquire(self, bucket: Bucket, *, user: str, address: str | None) -> None:
        """Count one request of `user` from `address`, or raise RateLimited (and count
        nothing) when the user's or the address's budget is spent."""
        rate = self.config.rate(bucket)
        if rate is None:
            return
        limits: list[tuple[str, Rate, bool]] = [(self._keys.rate(bucket, f"u:{user}"), rate, False)]
        where = address_key(address)
        if where is not None and self.config.per_address is not None:
            scaled = rate.scaled(self.config.per_address)
            limits.append((self._keys.rate(bucket, f"a:{where}"), scaled, True))
        args: list[int] = []
        for _, limit, _ in limits:
            args += [limit.interval_us, limit.interval_us * limit.count]
        try:
            wait_us, refused_by = await self._script(keys=[key for key, _, _ in limits], args=args)
        except _REDIS_DOWN as exc:
            log.warning("rate limits not applied, Redis is unavailable: %s", exc)
            return
        if int(wait_us) <= 0:
            return
        _, limit, per_address = limits[int(refused_by) - 1]
        retry_after = int(wait_us) / 1_000_000
        who = "from your network address " if per_address else ""
        raise RateLimited(
            f"too many {bucket.noun} {who}(at most {limit.describe()}, {SETTING} "
            f"{bucket.value}); try again in {format_wait(retry_after)}",
            retry_after=retry_after,
        )
