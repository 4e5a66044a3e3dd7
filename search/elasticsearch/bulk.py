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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from docent.coalescing import Coalescer

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
class SharedBulk(Coalescer[_Request]):
    """Coalesces concurrent `submit` calls into requests made by `send` of at most
    `max_actions` actions (a larger call goes alone, whole; `send` splits it in bounded
    requests)."""

    send: Send
    max_actions: int = 2000
    #: Requests made and actions sent (tests and benchmarks read them).
    requests: int = 0
    actions: int = 0

    async def submit(self, actions: list[dict[str, Any]], index: str | None = None) -> Outcome:
        """Apply `actions` (each with its `_id`) in a shared request; this caller's outcome.
        Raises what `send` raised for the request that held them (SearchUnavailable)."""
        ids = frozenset(str(a["_id"]) for a in actions)
        done = asyncio.get_running_loop().create_future()
        outcome: Outcome = await self._submit(_Request(list(actions), index, ids, done))
        return outcome

    def _fits(self, taken: list[_Request], request: _Request) -> bool:
        """Same `index`, no id written by two requests, `max_actions` in all."""
        return (
            request.index == taken[0].index
            and sum(len(r.actions) for r in taken) + len(request.actions) <= self.max_actions
            and all(r.ids.isdisjoint(request.ids) for r in taken)
        )

    async def _call(self, batch: list[_Request]) -> list[Outcome]:
        actions = [a for r in batch for a in r.actions]
        failed = await self.send(actions, batch[0].index)
        self.requests += 1
        self.actions += len(actions)
        return [outcome_of(failed, r.ids) for r in batch]


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
