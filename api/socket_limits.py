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

#: Messages one socket may send per second, on average (a token bucket).
MESSAGES_PER_SECOND = 50.0
#: Messages one socket may send at once before the rate applies: a client subscribing to
#: its 20 operations at once, with their completes, is well inside it.
MESSAGE_BURST = 100
#: Sockets one user (or, before authentication and with `DOCENT_AUTH=none`, one client
#: address) may hold open at once: a browser tab opens one.
SOCKETS_PER_USER = 16
#: Operations one user may run at once over all their sockets (each socket: at most 20).
#: Each `documentEvents` or `answer` holds a Redis subscription.
SUBSCRIPTIONS_PER_USER = 60


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

    def admit(self, owner: str, socket: Holder) -> bool:
        """Count `socket` as `owner`'s; False (and not counted) when they hold the most."""
        held = self._owners.setdefault(owner, set())
        if socket not in held and len(held) >= self.sockets_per_owner:
            return False
        held.add(socket)
        return True

    def release(self, owner: str, socket: Holder) -> None:
        held = self._owners.get(owner)
        if held is not None:
            held.discard(socket)
            if not held:
                del self._owners[owner]

    def may_start(self, owner: str) -> bool:
        """Whether `owner` may start one more operation over all their sockets."""
        running = sum(socket.running for socket in self._owners.get(owner, ()))
        return running < self.operations_per_owner
