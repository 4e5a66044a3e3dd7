"""Worker slots shared fairly between users: a freed slot goes to the waiting request whose
user has the fewest slots held; ties go to the user served longest ago (a user never served
first), then to the oldest request. Not to the oldest request: a few users who keep many
requests queued cannot starve another's one request, which waits for about one slot to
free up however long their queue is.

Ties matter: with one worker every waiter's user holds no slot, so "fewest held, then
oldest" alone would be first come, first served. Serving users in turn (round robin, the
simplest fair queueing) breaks them; slots held first keeps a user from holding several
workers while another has none. Cost is counted in slots, not time (a page render's cost
is not known before it runs).
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field


@dataclass(eq=False)
class _Waiter:
    user: str
    order: int
    granted: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class FairSlots:
    """`slots` slots (workers); `acquire(user)` waits for one, `release(user)` gives it
    back (to the fairest waiter). Single event loop; not thread-safe."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._free = slots
        self._waiting: list[_Waiter] = []
        self._held: dict[str, int] = {}
        self._order = itertools.count()
        #: When each user with a slot held or a request waiting was last given a slot.
        self._served: dict[str, int] = {}
        self._grants = itertools.count()

    def held(self, user: str) -> int:
        """Slots `user` holds now."""
        return self._held.get(user, 0)

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot."""
        return len(self._waiting)

    async def acquire(self, user: str) -> None:
        """Take a slot for `user`, waiting for one when all are held. Cancellable: a
        cancelled wait holds nothing (a slot handed over at that moment is passed on)."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
            self._take(user)
            return
        waiter = _Waiter(user, next(self._order))
        self._waiting.append(waiter)
        try:
            await waiter.granted
        except BaseException:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self.release(user)  # it was handed to us as we left: pass it on
            elif waiter in self._waiting:
                self._waiting.remove(waiter)
                self._forget(user)
            raise

    def release(self, user: str) -> None:
        """Give back a slot `user` holds: to the waiter whose user holds fewest (ties: the
        user served longest ago, then the oldest), or to the free pool when nobody waits."""
        left = self._held.pop(user, 1) - 1
        if left > 0:
            self._held[user] = left
        # A waiter whose task is being cancelled has its future cancelled already, before
        # its `except` runs: it is not handed a slot.
        self._waiting = [w for w in self._waiting if not w.granted.done()]
        self._forget(user)
        self._free += 1
        self._hand_over()

    def resize(self, slots: int) -> None:
        """Have `slots` slots from now on: new ones go to the waiters at once; slots taken
        away are taken back as they are released."""
        self._free += slots - self.slots
        self.slots = slots
        self._waiting = [w for w in self._waiting if not w.granted.done()]
        self._hand_over()

    def _hand_over(self) -> None:
        """Free slots to the fairest waiters: whose user holds fewest, then the user served
        longest ago, then the oldest request."""
        while self._free > 0 and self._waiting:
            chosen = min(
                self._waiting,
                key=lambda w: (self.held(w.user), self._served.get(w.user, -1), w.order),
            )
            self._waiting.remove(chosen)
            self._free -= 1
            self._take(chosen.user)
            chosen.granted.set_result(None)

    def _take(self, user: str) -> None:
        self._held[user] = self._held.get(user, 0) + 1
        self._served[user] = next(self._grants)

    def _forget(self, user: str) -> None:
        """Drop `user`'s turn once nothing of theirs is held or waiting (bounded memory; a
        user who comes back is served as a newcomer, which is fair: they had nothing)."""
        if not self.held(user) and all(w.user != user for w in self._waiting):
            self._served.pop(user, None)
