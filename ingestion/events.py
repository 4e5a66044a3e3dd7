"""Progress events of ingestion, through Redis so that API and workers may be different
processes: each event is published on the document's channel and kept as its latest
snapshot, so that a subscriber who arrives late first gets the current state."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from docent.domain import DocumentRecord, DocumentStatus, Stage, utcnow

log = logging.getLogger(__name__)

_SNAPSHOT_TTL_S = 7 * 24 * 3600
TERMINAL_STAGES = frozenset({Stage.READY, Stage.FAILED, Stage.DELETED})


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
        data = asdict(self)
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


class Subscription:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def next(self, timeout: float) -> DocumentEvent | None:
        """The next event, or None when `timeout` seconds pass without one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None and message.get("type") == "message":
                return DocumentEvent.from_json(message["data"])
        return None


class EventBus:
    def __init__(self, redis: Redis, *, prefix: str = "docent") -> None:
        self._redis = redis
        self._prefix = prefix

    def _channel(self, document_id: str) -> str:
        return f"{self._prefix}:events:{document_id}"

    def _snapshot_key(self, document_id: str) -> str:
        return f"{self._prefix}:progress:{document_id}"

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
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self._channel(document_id))
        try:
            yield Subscription(pubsub)
        finally:
            try:
                await pubsub.unsubscribe()
            finally:
                await pubsub.aclose()
