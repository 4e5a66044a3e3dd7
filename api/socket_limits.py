"""What one WebSocket, and one user's WebSockets together, may ask of the server.

Measured on main (tests/test_websocket_limits.py keeps each as a test): one socket sending
`ping` in a tight loop without reading the pongs stalled another user's 20 ms `search` for
16 s (50,000 pings); 200 sockets of one user with 20 `documentEvents` subscriptions each
stalled it 15 s while they were set up. The bounds here are far above what a client does
(GraphiQL and the home page open one socket, send a handful of messages, and hold a few
subscriptions) and far below what costs others anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

# The defaults of DOCENT_WS_SOCKETS_PER_USER and DOCENT_WS_OPERATIONS_PER_USER.
from docent.settings import SOCKETS_PER_USER, SUBSCRIPTIONS_PER_USER

#: Messages one socket may send per second, on average (a token bucket).
MESSAGES_PER_SECOND = 50.0
#: Messages one socket may send at once before the rate applies: a client subscribing to
#: its 20 operations at once, with their completes, is well inside it.
MESSAGE_BURST = 100
#: New sockets, and operations started, per second for one user, once the bounds above are
#: spent at once: a loop that opens 20 sockets with 20 subscriptions each, closes them and
#: starts again never holds more than the bounds, but kept another user's p95 at 330 ms
#: (benchmarks/abuse.py, `20 sockets x 20 subs`: ~500 handshakes a second). A client that
#: follows each upload on a socket of its own opens ~10 a second (a trial's `docent ingest`
#: of 1,956 files: 7-10 files a second, cut off after 64 at 2 a second).
SOCKETS_PER_SECOND = 20.0
OPERATIONS_PER_SECOND = 50.0
#: Owners whose buckets are remembered; past it, full (idle) buckets are forgotten.
_REMEMBERED = 10_000


class TokenBucket:
    """`rate` tokens a second, at most `burst` held; `take()` says whether one was left."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class Holder(Protocol):
    """A socket, as the registry counts it: the operations it runs."""

    @property
    def running(self) -> int: ...


@dataclass
class SocketRegistry:
    """The open sockets of one API process, by owner (`user:ID` or `address:HOST`).

    Per process, as the sockets are: with N API processes behind a balancer a user may hold
    N times as many (the rate limits in Redis bound what those sockets may run)."""

    sockets_per_owner: int = SOCKETS_PER_USER
    operations_per_owner: int = SUBSCRIPTIONS_PER_USER
    _owners: dict[str, set[Holder]] = field(default_factory=dict)
    #: Per user (not per address: the address's sockets are the unauthenticated, bounded by
    #: the connection_init timeout), the rate of new sockets and of operations started.
    _rates: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)

    def admit(self, owner: str, socket: Holder) -> bool:
        """Count `socket` as `owner`'s; False (and not counted) when they hold the most, or a
        user has opened SOCKETS_PER_SECOND past the bound."""
        held = self._owners.setdefault(owner, set())
        if socket not in held and len(held) >= self.sockets_per_owner:
            return False
        if owner.startswith("user:") and not self._take(owner, "sockets"):
            return False
        held.add(socket)
        return True

    def _take(self, owner: str, kind: str) -> bool:
        key = (owner, kind)
        bucket = self._rates.get(key)
        if bucket is None:
            if len(self._rates) >= _REMEMBERED:
                self._forget_idle()
            if kind == "sockets":
                bucket = TokenBucket(SOCKETS_PER_SECOND, self.sockets_per_owner)
            else:
                bucket = TokenBucket(OPERATIONS_PER_SECOND, self.operations_per_owner)
            self._rates[key] = bucket
        return bucket.take()

    def _forget_idle(self) -> None:
        for key, bucket in list(self._rates.items()):
            bucket.take()  # refills it (and spends one: it is forgotten anyway)
            if bucket.tokens >= bucket.burst - 1:
                del self._rates[key]

    def release(self, owner: str, socket: Holder) -> None:
        held = self._owners.get(owner)
        if held is not None:
            held.discard(socket)
            if not held:
                del self._owners[owner]

    def may_start(self, owner: str) -> bool:
        """Whether `owner` may start one more operation over all their sockets (and, for a
        user, at OPERATIONS_PER_SECOND past the bound)."""
        running = sum(socket.running for socket in self._owners.get(owner, ()))
        if running >= self.operations_per_owner:
            return False
        return not owner.startswith("user:") or self._take(owner, "operations")
