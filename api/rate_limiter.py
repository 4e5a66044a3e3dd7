"""The API's rate limiter: request budgets (DOCENT_RATE_LIMITS, `rate_limits.py`) per user
and per client address, shared by every docent process through Redis.

Refusals raise `RateLimited` (code RATE_LIMITED) with a message naming the limit and
`retry_after`, the seconds until the same request would pass (None when waiting does not
help: a file larger than the whole quota, or too many documents stored).

Why our own limiter and not the `limits` library (installed, 5.8): a request is checked
against two buckets, the user's and the address's, and must be refused or counted in both
at once; `limits` checks one key per call, so a refusal by the second would already have
spent the first, and the time to wait would cost more round trips. Its async Redis storage
also wants a URI and builds its own connection pool, while the embedded Redis is a unix
socket already open for the queue. Here one Lua script does it all in one round
trip, atomically across API processes: GCRA (the generic cell rate algorithm, a token
bucket kept as one timestamp per key, so O(1) memory however large the limit), with Redis's
own clock (`TIME`), so the API processes' clocks do not matter. The time to wait is exact:
the script computes when the bucket will hold the request.

When Redis cannot be reached, rate limits let requests through (and log it): search and
answers do not need Redis, and an outage of the limiter should not become an outage of the
service. Uploads need Redis anyway (for their job).
"""

from __future__ import annotations

import ipaddress
import logging

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from docent.errors import RateLimited
from docent.rate_limits import SETTING, Bucket, LimitsConfig, Rate
from docent.redis_keys import KEYS, RedisKeys
from docent.units import format_wait

log = logging.getLogger(__name__)


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
# a request uses up) and the burst (count x interval), in microseconds; then 1 to only look
# (is there room for one more?), 0 to count. A key holds the bucket's theoretical arrival
# time (TAT); a request is allowed when its TAT, advanced by one interval, is at most one
# burst ahead of now. All keys pass and are advanced, or none is.
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
if wait > 0 or ARGV[2 * #KEYS + 1] == '1' then return {wait, refused_by} end
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
        await self._run(bucket, user=user, address=address, count=True)

    async def check(self, bucket: Bucket, *, user: str, address: str | None) -> None:
        """Raise RateLimited when `acquire` would, counting nothing either way: whether the
        budget has room for one more (the `refused` budget is looked at before a request
        runs, and spent only when it is refused)."""
        await self._run(bucket, user=user, address=address, count=False)

    async def _run(self, bucket: Bucket, *, user: str, address: str | None, count: bool) -> None:
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
        args.append(0 if count else 1)
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
