"""Upload quotas (DOCENT_RATE_LIMITS `upload_bytes` and `documents`), per owner, shared by
every docent process through Redis.

Bytes are a counter per owner and UTC window (periods counted from the epoch), checked and
incremented by one Lua script, so two API processes cannot both fit an upload into the last
of an owner's room; documents stored are the search backend's count. The syntax of the
setting is `rate_limits.py`'s.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from docent.errors import RateLimited, SearchUnavailable
from docent.rate_limits import SETTING, LimitsConfig
from docent.redis_keys import KEYS, RedisKeys
from docent.search.backend import DocumentCatalog, DocumentQuery
from docent.units import format_bytes, format_wait

log = logging.getLogger(__name__)

# KEYS[1]: the owner's byte counter for the current window. ARGV: size, limit, ttl (ms).
# Returns {1, used after} when counted, {0, used} when the size does not fit.
_RESERVE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local size = tonumber(ARGV[1])
if used + size > tonumber(ARGV[2]) then return {0, used} end
used = redis.call('INCRBY', KEYS[1], size)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, used}
"""

# KEYS[1]: a byte counter. ARGV[1]: bytes to give back (only if the window still exists).
_RELEASE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECRBY', KEYS[1], ARGV[1])
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Reservation:
    """Bytes counted against a quota window; given back when the upload is not kept."""

    key: str
    size: int


class UploadQuota:
    """Per owner: bytes uploaded per window (a counter in Redis) and documents stored (the
    search backend's count)."""

    def __init__(
        self,
        redis: Redis,
        config: LimitsConfig,
        catalog: DocumentCatalog,
        *,
        keys: RedisKeys = KEYS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._redis = redis
        self._catalog = catalog
        self._keys = keys
        self._clock = clock
        self._reserve = redis.register_script(_RESERVE)
        self._release = redis.register_script(_RELEASE)

    @property
    def enabled(self) -> bool:
        return self.config.has_quotas

    def _window(self, now: float) -> tuple[str, float]:
        """The current window's id and the seconds until it ends."""
        assert self.config.upload_bytes is not None
        period = self.config.upload_bytes.period.seconds
        index = math.floor(now / period)
        return str(index), (index + 1) * period - now

    async def check(self, owner: str, *, adds_document: bool = True) -> None:
        """Before reading an upload: refuse at once when the owner stores as many documents
        as allowed (unless the upload replaces one: `adds_document` false), or has used up
        the bytes of this window."""
        if self.config.documents is not None and adds_document:
            await self._check_documents(owner, self.config.documents)
        quota = self.config.upload_bytes
        if quota is not None:
            window, remaining_s = self._window(self._clock())
            used = int(await self._redis.get(self._key(owner, window)) or 0)
            if used >= quota.limit:
                raise RateLimited(
                    f"you have uploaded {format_bytes(used)}, your quota of "
                    f"{quota.describe()} ({SETTING} upload_bytes); try again in "
                    f"{format_wait(remaining_s)}",
                    retry_after=remaining_s,
                )

    async def _check_documents(self, owner: str, limit: int) -> None:
        try:
            page = await self._catalog.list_documents(owner, DocumentQuery(), first=0, after=None)
        except SearchUnavailable:
            # Uploads are accepted while the index is down (the job writes the record later).
            log.warning("document quota not checked: the search backend is unavailable")
            return
        if page.total >= limit:
            raise RateLimited(
                f"you store {page.total} documents, the most allowed ({SETTING} documents="
                f"{limit}); delete some to upload more"
            )

    async def reserve(self, owner: str, size: int) -> Reservation | None:
        """Count `size` bytes against the owner's window, or raise RateLimited when they do
        not fit (counting nothing)."""
        quota = self.config.upload_bytes
        if quota is None:
            return None
        window, remaining_s = self._window(self._clock())
        key = self._key(owner, window)
        ttl_ms = math.ceil((remaining_s + 3600) * 1000)
        counted, used = await self._reserve(keys=[key], args=[size, quota.limit, ttl_ms])
        if int(counted):
            return Reservation(key, size)
        if size > quota.limit:
            raise RateLimited(
                f"this file ({format_bytes(size)}) is larger than your whole upload quota of "
                f"{quota.describe()} ({SETTING} upload_bytes)"
            )
        raise RateLimited(
            f"this file ({format_bytes(size)}) would take you over your upload quota of "
            f"{quota.describe()} ({SETTING} upload_bytes; {format_bytes(int(used))} used); "
            f"try again in {format_wait(remaining_s)}",
            retry_after=remaining_s,
        )

    async def release(self, reservation: Reservation | None) -> None:
        """Give bytes back: the upload was a copy of a document the owner has, or failed."""
        if reservation is not None:
            await self._release(keys=[reservation.key], args=[reservation.size])

    def _key(self, owner: str, window: str) -> str:
        return self._keys.upload_bytes(owner, window)
