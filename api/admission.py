"""Admission of search work per user: a bounded number of `ask` / `answer` / `search`
pipelines run at once per API process (DOCENT_SEARCH_SLOTS), a freed slot going to the
waiting request whose user has the fewest running (`FairSlots`, as parsing and previews
share their workers).

Why: their CPU work (rows to chunks, the query's analysis, highlights, grounding) runs on
the event loop. With no bound, one user's 200 asks in flight at once interleaved there:
another user's search took 8-37 s and every WebSocket ping went unanswered for > 20 s,
though no single step held the loop > 0.1 s. With a bound, the loop holds a few pipelines'
work at a time, and a user with nothing running waits for about one slot to free up
however many another user has queued.

An answer written by the local answerer holds its slot until its text is done. Given back
once its sources were found, it let one user's answers pile up in generation (the local
answerer's CPU work, on the loop too): another user's ask still took up to 53 s
(BENCHMARKS.md, session 7). An answer a provider writes (Gemini, Cohere: the generator
chain's first member) gives its slot back with its sources: the process only waits for
the text, and holding the slot for seconds of a model's writing would make the slots a
bound on the provider's throughput. (When the chain falls back to the local answerer, that
answer's text is made without a slot.)

A user may have DOCENT_QUEUED_SEARCHES_PER_USER requests waiting; one more is refused with
RATE_LIMITED and a `retry_after` (memory stays bounded). A waiting request whose client
left (a cancelled subscription: its task is cancelled; an HTTP request: `gone` is set)
gives up its place. docent's search and ask have no time limit of their own: the wait has
none either.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator

from starlette.requests import Request

from docent.api.auth import LOCAL_USER
from docent.api.context import Context
from docent.errors import DocentError, RateLimited
from docent.ingestion.fair_slots import FairSlots

#: The weight of the latest hold in the running mean of how long a slot is held (an
#: exponentially weighted mean over about the last 10 holds).
_HOLD_WEIGHT = 0.1


class ClientGone(DocentError):
    """The request's client left while it waited for a slot: it is not run (the error
    is answered to nobody; a DocentError, so it is not logged as unexpected)."""

    def __init__(self) -> None:
        super().__init__("the client left before the request's turn")


class Slot:
    """A slot held by one request; `release()` gives it back early (idempotent)."""

    def __init__(self, admission: Admission | None, user: str) -> None:
        self._admission = admission
        self._user = user
        self._taken = time.perf_counter()
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            if self._admission is not None:
                self._admission._release(self._user, time.perf_counter() - self._taken)


class Admission:
    """`slots` pipelines at once, shared fairly between users; at most `queued_per_user`
    of one user's requests waiting. Single event loop; not thread-safe."""

    def __init__(self, slots: int, queued_per_user: int) -> None:
        self._slots = FairSlots(slots)
        self.queued_per_user = queued_per_user
        self._queued: dict[str, int] = {}
        #: Running mean of how long a slot is held, in seconds (for `retry_after`).
        self._mean_hold_s = 0.1

    @property
    def slots(self) -> int:
        return self._slots.slots

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot, over all users."""
        return self._slots.waiting

    def queued(self, user: str) -> int:
        """`user`'s requests waiting for a slot."""
        return self._queued.get(user, 0)

    def running(self, user: str) -> int:
        """Slots `user` holds."""
        return self._slots.held(user)

    @contextlib.asynccontextmanager
    async def slot(self, user: str, gone: asyncio.Event | None = None) -> AsyncIterator[Slot]:
        """Hold a slot for `user` while the block runs (or until `Slot.release`). Raises
        RateLimited (with `retry_after`, seconds) when `user` already has `queued_per_user`
        requests waiting, ClientGone when `gone` is set before a slot is free;
        cancellable (a cancelled wait holds nothing)."""
        await self._acquire(user, gone)
        held = Slot(self, user)
        try:
            yield held
        finally:
            held.release()

    def retry_after(self) -> float:
        """When a place in a full queue is likely free again, in seconds: a slot's mean hold
        (by then each slot has been freed about once, and the user's first waiting request
        has likely had its turn), rounded up, at least 1."""
        return float(max(1, math.ceil(self._mean_hold_s)))

    async def _acquire(self, user: str, gone: asyncio.Event | None) -> None:
        if self.queued(user) >= self.queued_per_user:
            raise RateLimited(
                f"you have {self.queued(user)} searches or answers waiting for their turn "
                "(DOCENT_QUEUED_SEARCHES_PER_USER); retry when some have run",
                retry_after=self.retry_after(),
            )
        self._queued[user] = self.queued(user) + 1
        try:
            if gone is None:
                await self._slots.acquire(user)
            else:
                await self._acquire_unless_gone(user, gone)
        finally:
            left = self._queued.pop(user) - 1
            if left:
                self._queued[user] = left

    async def _acquire_unless_gone(self, user: str, gone: asyncio.Event) -> None:
        if gone.is_set():
            raise ClientGone()
        taking = asyncio.ensure_future(self._slots.acquire(user))
        watching = asyncio.ensure_future(gone.wait())
        try:
            await asyncio.wait({taking, watching}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            await self._stop(taking, user)
            raise
        finally:
            watching.cancel()
        if not taking.done():
            await self._stop(taking, user)
            raise ClientGone()

    async def _stop(self, taking: asyncio.Future[None], user: str) -> None:
        """Stop a wait for a slot; a slot it took as it was stopped is given back."""
        taking.cancel()
        try:
            await taking
        except asyncio.CancelledError:
            return  # FairSlots passed on a slot handed over as the wait ended
        self._slots.release(user)

    def _release(self, user: str, held_s: float) -> None:
        self._mean_hold_s += _HOLD_WEIGHT * (held_s - self._mean_hold_s)
        self._slots.release(user)


def requester(context: Context) -> str:
    """Whose turn a request takes: its user; with DOCENT_AUTH=none (everyone is the local
    user), its client's address, as the WebSocket limits count it."""
    user = context.principal.id
    if user and user != LOCAL_USER:
        return f"user:{user}"
    return f"address:{context.client_host or 'unknown'}"


@contextlib.asynccontextmanager
async def admitted(context: Context) -> AsyncIterator[Slot]:
    """A slot of the process's `Admission` for the request's user (`requester`) while the
    block runs: over HTTP, the wait ends with ClientGone when the client disconnects; on a
    WebSocket, the operation's task is cancelled when it is stopped. Without an admission
    (a context built outside the server), a slot that bounds nothing."""
    admission = context.admission
    user = requester(context)
    if admission is None:
        yield Slot(None, user)
        return
    if context.request is None:
        async with admission.slot(user) as slot:
            yield slot
        return
    gone = asyncio.Event()
    watcher = asyncio.create_task(watch_disconnect(context.request, gone))
    try:
        async with admission.slot(user, gone) as slot:
            watcher.cancel()
            yield slot
    finally:
        watcher.cancel()


async def watch_disconnect(request: Request, gone: asyncio.Event) -> None:
    """Set `gone` when the client closes the connection (ASGI `http.disconnect`): once the
    body is read (a GET has none, but an empty `http.request`), the next message is that."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
    gone.set()
