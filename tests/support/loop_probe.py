"""How long the event loop keeps a task waiting while something else runs on it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

#: The probe's sleep, in seconds: short, so that a stall of the loop is seen soon.
PROBE_S = 0.005


@asynccontextmanager
async def loop_waits() -> AsyncIterator[list[float]]:
    """A task on the running loop sleeps PROBE_S again and again for the body of the
    `async with`; the list gets each sleep's lateness, in seconds (how long the loop kept
    it waiting past its time). The probe is mid-sleep when the body starts, and ends with
    it."""
    waits: list[float] = []
    finished = asyncio.Event()

    async def probe() -> None:
        while not finished.is_set():
            started = time.perf_counter()
            await asyncio.sleep(PROBE_S)
            waits.append(time.perf_counter() - started - PROBE_S)

    probing = asyncio.create_task(probe())
    await asyncio.sleep(0.05)  # the probe is timing a sleep when the body starts
    try:
        yield waits
    finally:
        finished.set()
        await probing
