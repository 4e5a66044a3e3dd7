"""Progress events of ingestion, through Redis so that API and workers may be different
processes: each event is published on the document's channel and kept as its latest
snapshot, so that a subscriber who arrives late first gets the current state. And the
"documents changed" callback, for what depends on an owner's documents (cached answers)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from docent.domain import DocumentRecord, DocumentStatus, Stage, utcnow
from docent.redis_keys import KEYS, RedisKeys, text

log = logging.getLogger(__name__)

_SNAPSHOT_TTL_S = 7 * 24 * 3600
TERMINAL_STAGES = frozenset({Stage.READY, Stage.FAILED, Stage.DELETED})


class DocumentsChanged(Protocol):
    """Called when what an owner's documents say, or who may see them, changed (a document
    READY, FAILED, deleted or shared otherwise), with the owner and the groups the change
    is visible to (None for no group). Wired to the answer cache's `invalidate`."""

    async def __call__(self, owner: str, *groups: str | None) -> None: ...


@dataclass(frozen=True, slots=True)
class DocumentEvent:
    document_id: str
    status: DocumentStatus
    stage: Stage
    version: int = 1
    current: int | None = None
    total: int | None = None
    message: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    at: datetime = field(default_factory=utcnow)

    @property
    def terminal(self) -> bool:
        return self.stage in TERMINAL_STAGES

    def to_json(self) -> str:
        # The fields read directly: `dataclasses.asdict` deep-copies each value, which made
        # this ~0.3 ms an event (7 events a small document; benchmarks/ingest_overhead.py).
        data = {name: getattr(self, name) for name in _EVENT_FIELDS}
        data["at"] = self.at.isoformat()
        return json.dumps(data)

    @classmethod
    def from_json(cls, raw: str | bytes) -> DocumentEvent:
        data = json.loads(raw)
        data["status"] = DocumentStatus(data["status"])
        data["stage"] = Stage(data["stage"])
        data["at"] = datetime.fromisoformat(data["at"])
        return cls(**data)

    @classmethod
    def from_record(cls, record: DocumentRecord) -> DocumentEvent:
        stage = {
            DocumentStatus.QUEUED: Stage.QUEUED,
            DocumentStatus.PROCESSING: Stage.PARSING,
            DocumentStatus.READY: Stage.READY,
            DocumentStatus.FAILED: Stage.FAILED,
        }[record.status]
        return cls(
            document_id=record.id,
            status=record.status,
            stage=stage,
            version=record.version,
            error_code=record.error_code,
            error_message=record.error_message,
            at=record.updated_at,
        )


_EVENT_FIELDS = tuple(f.name for f in fields(DocumentEvent))

#: Events kept for a subscriber that reads slowly; past it the oldest go (progress events
#: are cumulative, and the terminal one comes last).
_BACKLOG = 256


class Subscription:
    """One subscriber's events, fed by the bus's shared Redis subscription."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[DocumentEvent] = asyncio.Queue(maxsize=_BACKLOG)

    def deliver(self, event: DocumentEvent) -> None:
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(event)

    async def next(self, timeout: float) -> DocumentEvent | None:
        """The next event, or None when `timeout` seconds pass without one."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None


class EventBus:
    """Publishes events, and fans them out to this process's subscribers through ONE Redis
    subscription (a connection per subscriber would let a few thousand open subscriptions
    exhaust Redis's clients, and the queue with them)."""

    def __init__(self, redis: Redis, *, keys: RedisKeys = KEYS) -> None:
        self._redis = redis
        self._keys = keys
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._listeners: dict[str, set[Subscription]] = {}
        self._lock = asyncio.Lock()

    def _channel(self, document_id: str) -> str:
        return self._keys.events(document_id)

    def _snapshot_key(self, document_id: str) -> str:
        return self._keys.progress(document_id)

    async def publish(self, event: DocumentEvent) -> None:
        """Record and broadcast an event. Progress is advisory: a Redis hiccup is logged,
        never allowed to fail the ingestion it reports on."""
        payload = event.to_json()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self._snapshot_key(event.document_id), payload, ex=_SNAPSHOT_TTL_S)
                pipe.publish(self._channel(event.document_id), payload)
                await pipe.execute()
        except Exception:
            log.warning("could not publish progress of %s", event.document_id, exc_info=True)

    async def snapshot(self, document_id: str) -> DocumentEvent | None:
        raw = await self._redis.get(self._snapshot_key(document_id))
        return DocumentEvent.from_json(raw) if raw else None

    @asynccontextmanager
    async def subscribe(self, document_id: str) -> AsyncIterator[Subscription]:
        """Subscribe now, read later: subscribing before reading the current state means
        that no event can fall between the two."""
        channel = self._channel(document_id)
        subscription = Subscription()
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub()
            listeners = self._listeners.setdefault(channel, set())
            listeners.add(subscription)
            if len(listeners) == 1:
                try:
                    await self._pubsub.subscribe(channel)
                except BaseException:
                    self._listeners.pop(channel, None)
                    raise
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="docent-events")
        try:
            yield subscription
        finally:
            async with self._lock:
                listeners = self._listeners.get(channel, set())
                listeners.discard(subscription)
                if not listeners and self._listeners.pop(channel, None) is not None:
                    try:
                        await self._pubsub.unsubscribe(channel)
                    except Exception:  # the connection is gone: nothing left to undo
                        log.debug("could not unsubscribe from %s", channel, exc_info=True)

    async def _read(self) -> None:
        """Hand each message to the subscribers of its channel; survive Redis outages
        (redis-py subscribes again when it reconnects)."""
        assert self._pubsub is not None
        failing = False
        while True:
            try:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # One line when an outage starts (the traceback at debug: a Redis that
                # stops, as the embedded one does at every shutdown, is no bug of docent's),
                # then quiet retries every second until it answers again.
                if not failing:
                    log.warning(
                        "progress events: Redis subscription failed (%s: %s); retrying",
                        type(exc).__name__, exc,
                    )  # fmt: skip
                log.debug("progress events: Redis subscription failed", exc_info=True)
                failing = True
                await asyncio.sleep(1.0)
                continue
            if failing:
                log.info("progress events: Redis subscription restored")
                failing = False
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"]
            channel = text(channel)
            try:
                event = DocumentEvent.from_json(message["data"])
            except (ValueError, KeyError, TypeError):
                log.warning("progress events: a malformed event on %s was dropped", channel)
                continue
            for subscription in list(self._listeners.get(channel, ())):
                subscription.deliver(event)

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
