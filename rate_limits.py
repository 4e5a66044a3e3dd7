"""The syntax of DOCENT_RATE_LIMITS: request budgets and upload quotas. The API's rate
limiter (`api/rate_limiter.py`) and the upload quota (`ingestion/quota.py`) enforce them.

Syntax: `off`, or items separated by `;` (or `,`), each `name=value`:

    ask=30/minute; search=120/minute; upload=300/hour; upload_bytes=2GB/day;
    documents=10000; per_address=4x

- `ask`, `search`, `upload`, `preview`: requests per period, for each user, as `COUNT/PERIOD`;
  PERIOD is a unit (`second`, `minute`, `hour`, `day`, or `s`, `min`, `h`, `d`),
  optionally with a multiple: `3/2second`, `100/15min`. `ask` counts the `ask` query and
  the `answer` subscription together; `upload` counts uploadDocument, updateDocument with a
  new title or tags and reprocessDocument (each queues the whole document for a worker);
  `preview` the page previews rendered
  (`GET /documents/{id}/pages/{n}.png`; a cached one costs nothing). A user may spend the whole budget at once, and gets
  it back evenly over the period (a token bucket).
- `refused`: requests refused before they run (syntax and validation errors, the limits on
  a request's shape), as `COUNT/PERIOD`. Once it is spent, every request of that user (or
  address) is refused with RATE_LIMITED before it is parsed, until it comes back: a client
  sending refused requests in a loop costs the server one Redis call each.
- `upload_bytes`: bytes a user may upload per period (`2GB/day`; B, KB, MB, GB, TB are
  powers of 1024, like DOCENT_MAX_UPLOAD_MB). Periods are calendar windows in UTC: a day is
  a UTC day. A re-upload of a file the user already has costs nothing.
- `documents`: documents a user may store (refused above it; deleting makes room).
- `per_address`: each client address gets this multiple of a user's `ask`, `search`,
  `upload`, `preview` and `refused` budgets, since several users may share one address (default
  `4x`; `off` limits per user only). The address is the TCP peer: behind a reverse proxy
  every client has the proxy's address, so let the proxy limit per address and set
  `per_address=off`.
- `recommended` stands for `RECOMMENDED` below; later items override it
  (`recommended; ask=10/minute`). Any item may be `off` (`search=off`).

An invalid value raises ValueError from `parse_limits`, which the settings call when they
are read (`ApiSettings.rate_limits`): docent refuses to start rather than run without the
limits someone meant to set.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, replace
from typing import Any

from docent.units import format_bytes

SETTING = "DOCENT_RATE_LIMITS"

#: The value we recommend in production (DOCENT_RATE_LIMITS=recommended): generous for a
#: person (a question every two seconds, a folder of a few hundred files at once), tight
#: enough that one account or address cannot monopolise the generator or the workers. A
#: person's client is refused rarely (GraphiQL validates before it sends): 30 refusals a
#: minute is generous for typos, and stops a loop of refused requests at once.
RECOMMENDED = (
    "ask=30/minute; search=120/minute; upload=300/hour; upload_bytes=2GB/day; "
    "documents=10000; refused=30/minute; preview=300/minute; per_address=4x"
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
    REFUSED = "refused"  # requests refused before they run
    PREVIEW = "preview"  # page previews rendered (not those served from the cache)

    @property
    def noun(self) -> str:
        return {
            "ask": "questions",
            "search": "searches",
            "upload": "uploads",
            "refused": "refused requests",
            "preview": "page previews",
        }[self.value]


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
    refused: Rate | None = None
    preview: Rate | None = None
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
    "refused": Rate.parse,
    "preview": Rate.parse,
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
