"""Concurrent requests coalesced into shared calls, without a timer.

Callers queue requests; one drain task takes the oldest that fit together (`_take`), makes
one call for them (`_call`) and gives each its own result, and while that call runs the
requests that arrive meanwhile wait and go together into the next. An idle resource takes
a lone request at once; a busy one takes many in one call. Used for the embedder
(`ingestion/batching.py`) and Elasticsearch's bulk writes (`search/elasticsearch/bulk.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar


class Request(Protocol):
    """A queued request: its caller awaits `done`."""

    done: asyncio.Future[Any]


Req = TypeVar("Req", bound=Request)


@dataclass(eq=False)
class Coalescer(Generic[Req]):
    """The queue and its drain; subclasses say what fits in one call and make it."""

    _queue: list[Req] = field(default_factory=list, init=False)
    _drain: asyncio.Task[None] | None = field(default=None, init=False)

    async def _submit(self, request: Req) -> Any:
        """Queue `request` and wait for its result (or the exception of its call)."""
        self._queue.append(request)
        loop = asyncio.get_running_loop()
        if self._drain is None or self._drain.done() or self._drain.get_loop() is not loop:
            self._drain = asyncio.create_task(self._run(), name=f"docent-{type(self).__name__}")
        return await request.done

    async def _call(self, batch: list[Req]) -> list[Any]:
        """One call for `batch`: each request's result, in order."""
        raise NotImplementedError

    def _fits(self, taken: list[Req], request: Req) -> bool:
        """Whether `request` may join the call of `taken` (the oldest first)."""
        raise NotImplementedError

    def _take(self) -> list[Req]:
        """The oldest requests that fit in one call (at least one). One that does not fit
        waits for the next call, and so do those behind it: requests keep their order."""
        taken = [self._queue.pop(0)]
        while self._queue and self._fits(taken, self._queue[0]):
            taken.append(self._queue.pop(0))
        return taken

    async def _run(self) -> None:
        while self._queue:
            batch = [r for r in self._take() if not r.done.done()]  # callers that gave up
            if not batch:
                continue
            try:
                results = await self._call(batch)
            except Exception as exc:
                for r in batch:
                    if not r.done.done():
                        r.done.set_exception(exc)
                continue
            except asyncio.CancelledError:
                for r in batch:
                    r.done.cancel()
                raise
            for r, result in zip(batch, results, strict=True):
                if not r.done.done():
                    r.done.set_result(result)

    async def aclose(self) -> None:
        """Stop the call in flight (its callers get CancelledError)."""
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
