"""Bulk requests shared by the writes of concurrent documents.

A worker indexes several documents at once, each with a few chunks when documents are
small (two for a SciFact abstract). One bulk request per document costs a request, a
translog fsync (Elasticsearch's default `index.translog.durability: request` syncs once
per bulk request) and, under `refresh=wait_for`, a wait for the next refresh, per
document. Here the writes of concurrent callers are queued; while one shared request is in
flight, those that arrive meanwhile wait and go together in the next (up to
`max_actions`), so an idle cluster takes a lone document at once and a busy one takes
many in one request and one refresh.

Each caller still gets exactly its own outcome: the ids of its writes a version condition
refused (409) and the failures of its own items, so the fenced write protocol of
`chunks.replace_chunks` (check, write, check again; external versions per chunk) holds as
it did with a request per document: every action of a caller has been applied or refused
when its call returns. Two callers writing the same id (two runs of one document) never
share a request, so an outcome is never attributed to the wrong caller and their writes
stay in the order they were made.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

#: What a bulk request reports for each item that did not succeed: (its _id, its
#: operation, the item's result).
Failed = list[tuple[str, str, dict[str, Any]]]
Send = Callable[[list[dict[str, Any]], str | None], Awaitable[Failed]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One caller's part of a shared request: ids refused by a version condition (409),
    and `id: error` of each item that failed otherwise."""

    conflicts: list[str]
    failures: list[str]


@dataclass(eq=False)
class _Request:
    actions: list[dict[str, Any]]
    index: str | None
    ids: frozenset[str]
    done: asyncio.Future[Outcome]


@dataclass(eq=False)
class SharedBulk:
    """Coalesces concurrent `submit` calls into requests made by `send` of at most
    `max_actions` actions (a larger call goes alone, whole; `send` splits it in bounded
    requests)."""

    send: Send
    max_actions: int = 2000
    _queue: list[_Request] = field(default_factory=list)
    _drain: asyncio.Task[None] | None = None
    #: Requests made and actions sent (tests and benchmarks read them).
    requests: int = 0
    actions: int = 0

    async def submit(self, actions: list[dict[str, Any]], index: str | None = None) -> Outcome:
        """Apply `actions` (each with its `_id`) in a shared request; this caller's outcome.
        Raises what `send` raised for the request that held them (SearchUnavailable)."""
        loop = asyncio.get_running_loop()
        ids = frozenset(str(a["_id"]) for a in actions)
        request = _Request(list(actions), index, ids, loop.create_future())
        self._queue.append(request)
        if self._drain is None or self._drain.done() or self._drain.get_loop() is not loop:
            self._drain = asyncio.create_task(self._run(), name="docent-es-shared-bulk")
        return await request.done

    async def _run(self) -> None:
        while self._queue:
            wanted = [r for r in self._take() if not r.done.done()]  # callers that gave up
            if not wanted:
                continue
            actions = [a for r in wanted for a in r.actions]
            try:
                failed = await self.send(actions, wanted[0].index)
            except Exception as exc:
                for r in wanted:
                    if not r.done.done():
                        r.done.set_exception(exc)
                continue
            except asyncio.CancelledError:
                for r in wanted:
                    r.done.cancel()
                raise
            self.requests += 1
            self.actions += len(actions)
            for r in wanted:
                if not r.done.done():
                    r.done.set_result(outcome_of(failed, r.ids))

    def _take(self) -> list[_Request]:
        """The oldest requests that fit in one request (at least one): same `index`, no id
        written by two of them, `max_actions` in all. A request that does not fit waits
        for the next, and so do those behind it (writes keep their order)."""
        first = self._queue.pop(0)
        taken, ids, size = [first], set(first.ids), len(first.actions)
        while self._queue:
            nxt = self._queue[0]
            if (
                nxt.index != first.index
                or size + len(nxt.actions) > self.max_actions
                or not ids.isdisjoint(nxt.ids)
            ):
                break
            taken.append(self._queue.pop(0))
            ids |= nxt.ids
            size += len(nxt.actions)
        return taken

    async def aclose(self) -> None:
        """Stop the request in flight (its callers get CancelledError)."""
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain


def outcome_of(failed: Failed, ids: frozenset[str] | None) -> Outcome:
    """The outcome of the items of `ids` (None: of every item)."""
    conflicts, failures = [], []
    for doc_id, op, item in failed:
        if ids is not None and doc_id not in ids:
            continue
        if op == "delete" and item.get("status") == 404:
            continue  # already gone: what a delete wants
        if item.get("status") == 409:
            conflicts.append(doc_id)
        else:
            failures.append(f"{doc_id}: {item.get('error') or item.get('status')}")
    return Outcome(conflicts, failures)
