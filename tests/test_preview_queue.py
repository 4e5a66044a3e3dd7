"""The preview render queue (`ingestion/previews.py`) with a real preview worker and real
slow pages: its bounds refuse at once (but never a user with nothing in flight), a render
whose client left is not started, the wait in the queue counts in the deadline, a freed
worker goes to the user with the fewest renders running, and a page is rendered only at
the LADDER widths, once each."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from reportlab.lib.pagesizes import A4
from test_previews_api import hostile_pdf, png_size, three_page_pdf

from docent.domain import DocumentRecord, DocumentStatus
from docent.errors import ErrorCode, IngestionError, RateLimited
from docent.ingestion import previews
from docent.ingestion.blobs import LocalBlobStore
from docent.ingestion.parsing import sniffing
from docent.ingestion.parsing.pool import Isolation
from docent.ingestion.previews import (
    LADDER,
    PER_USER_RENDERS,
    RENDERS_PER_WORKER,
    ClientGone,
    Overloaded,
    PreviewCache,
    PreviewService,
    ladder_width,
)

pytestmark = pytest.mark.timeout(120)

Make = Callable[[float], PreviewService]


def stored(root: Path, data: bytes, document_id: str = "slow") -> DocumentRecord:
    blobs = LocalBlobStore(root / "blobs")
    path = blobs.path_for(document_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return DocumentRecord(
        id=document_id, owner="alice", title=document_id, filename=f"{document_id}.pdf",
        mime_type=sniffing.PDF, size_bytes=len(data), sha256=document_id,
        status=DocumentStatus.READY,
    )  # fmt: skip


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    services: list[PreviewService] = []

    def build(timeout_s: float) -> PreviewService:
        isolation = Isolation(
            timeout_s=timeout_s,
            memory_mb=768,
            timeout_setting="DOCENT_PREVIEW_TIMEOUT_S",
            memory_setting="DOCENT_PREVIEW_MEMORY_MB",
        )
        cache = PreviewCache(tmp_path / "previews", 64 << 20)
        services.append(PreviewService(LocalBlobStore(tmp_path / "blobs"), cache, isolation))
        return services[-1]

    yield build
    for service in services:
        await service.close()


async def test_the_queue_refuses_at_once_past_its_bounds_and_drops_a_left_request(
    tmp_path: Path, make: Make
) -> None:
    # The first render holds the worker while the others queue and leave: about 2.3 s on an
    # idle machine for 2,000,000 rectangles (1,000,000 took 1.2 s, as long as the waits
    # below once were: a race). The queued ones are never rendered, so they can be small.
    first = stored(tmp_path, hostile_pdf(2_000_000), "slow")
    pdf = hostile_pdf(1_000_000)
    records = iter([first] + [stored(tmp_path, pdf + b"%%%d" % n, f"slow{n}") for n in range(20)])
    service = make(30.0)
    tasks: list[asyncio.Task[bytes]] = []
    gone: list[asyncio.Event] = []

    def render(user: str) -> None:
        gone.append(asyncio.Event())
        call = service.page_png(next(records), 1, 200, user=user, gone=gone[-1])
        tasks.append(asyncio.create_task(call))

    render("u1")
    await asyncio.sleep(0.3)  # the first holds the worker
    for _ in range(PER_USER_RENDERS - 1):
        render("u1")
    await asyncio.sleep(0.1)
    started = time.monotonic()
    with pytest.raises(RateLimited) as mine:
        await service.page_png(next(records), 1, 200, user="u1")
    assert not isinstance(mine.value, Overloaded) and mine.value.retry_after
    # Fill the queue with users who have one render each in flight.
    while len(tasks) < RENDERS_PER_WORKER:
        render(f"u{len(tasks)}")
    await asyncio.sleep(0.1)
    with pytest.raises(Overloaded) as everyone:  # a user with one in flight: their second
        await service.page_png(next(records), 1, 200, user="u2")
    assert everyone.value.retry_after
    assert time.monotonic() - started < 1.5  # refused at once, not after a render
    # A user with nothing in flight is always let in, past the bound: it waits.
    render("newcomer")
    await asyncio.sleep(0.1)
    assert not tasks[-1].done()
    # The waiting ones' clients leave: they end, never rendered; the newcomer's is next.
    assert not tasks[0].done(), "the first render ended before its waiters left: slow it"
    for event in gone[1:-1]:
        event.set()
    for task in tasks[1:-1]:
        with pytest.raises(ClientGone):
            await asyncio.wait_for(task, timeout=1.0)
    assert isinstance(await tasks[-1], bytes)
    await asyncio.gather(tasks[0], return_exceptions=True)
    assert len(list((tmp_path / "previews").glob("*/*"))) == 2  # the first and the newcomer's


async def test_the_wait_in_the_queue_counts_in_the_deadline(tmp_path: Path, make: Make) -> None:
    record = stored(tmp_path, hostile_pdf(4_000_000))
    service = make(2.0)
    first = asyncio.create_task(service.page_png(record, 1, 100, user="u1"))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    with pytest.raises(IngestionError) as late:  # another ladder step: its own render
        await service.page_png(record, 1, 301, user="u2")
    assert late.value.code == ErrorCode.TIMEOUT
    assert time.monotonic() - started < 2.0 + 1.5  # its deadline, not its wait plus a render
    await asyncio.gather(first, return_exceptions=True)
    # The moment's failure is not remembered as the page's.
    assert not list((tmp_path / "previews").glob("*/*-w301.*"))
    assert not list((tmp_path / "previews").glob("*/*-w400.*"))


async def test_two_greedy_users_cannot_starve_a_third_users_preview(
    tmp_path: Path, make: Make
) -> None:
    """The tester's attack: two users each keep 3 requests going, every one a new render
    (a new page and ladder width), on slow pages. A third user's preview is admitted (no
    503) and gets the next free worker: it waits for about one render, not their queue."""
    pdf = hostile_pdf(2_000_000)
    slow = [stored(tmp_path, pdf + b"%%%d" % n, f"slow{n}") for n in range(9)]
    small = stored(tmp_path, three_page_pdf(), "small")
    service = make(60.0)
    await service.page_png(slow[-1], 1, 200, user="timer")  # starts the worker
    started = time.monotonic()
    await service.page_png(slow[-1], 1, 400, user="timer")
    one_render = time.monotonic() - started
    asks = iter([(record, step) for step in LADDER for record in slow[:-1]])
    stop = asyncio.Event()
    served: list[int] = []
    refused: list[int] = []

    async def greedy(user: str) -> None:
        record, step = next(asks)
        while not stop.is_set():
            try:
                await service.page_png(record, 1, step - 1, user=user)
                served.append(step)
                record, step = next(asks)
            except RateLimited as exc:  # 429: asks again (the same render) at once
                assert not isinstance(exc, Overloaded)
                refused.append(step)
                await asyncio.sleep(0.05)

    loops = [asyncio.create_task(greedy(user)) for user in ("alice", "mallory") for _ in range(3)]
    await asyncio.sleep(1.0)
    try:
        started = time.monotonic()
        png = await service.page_png(small, 1, 300, user="bob")
        waited = time.monotonic() - started
    finally:
        stop.set()
        await asyncio.gather(*loops)
    assert png_size(png)[0] == 300
    assert refused  # the greedy ones' third loops are refused at once (429)
    print(f"one render {one_render:.2f} s, the third user waited {waited:.2f} s")
    assert waited < 2 * one_render + 2.0, (waited, one_render)  # FIFO: ~4 renders


async def test_widths_are_scaled_from_a_ladder_render_and_each_renders_once(
    tmp_path: Path, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """N distinct widths of one page start at most len(LADDER) renders (worker calls), even
    asked all at once; each answers a PNG of exactly its width; a width asked twice renders
    once."""
    record = stored(tmp_path, three_page_pdf(), "handbook")
    service = make(60.0)
    renders: list[int] = []
    real = service._pool.call

    async def counting(fn: Any, args: tuple[Any, ...], **kwargs: Any) -> Any:
        renders.append(args[3])
        return await real(fn, args, **kwargs)

    monkeypatch.setattr(service._pool, "call", counting)
    twice = await asyncio.gather(*(service.page_png(record, 1, 333, user=u) for u in "ab"))
    assert twice[0] == twice[1] and renders == [400]
    assert await service.page_png(record, 1, 333, user="c") == twice[0] and renders == [400]
    widths = [100, 150, 199, 200, 201, 250, 333, 399, 401, 555, 799, 800, 801, 999, 1201,
              1450, 1601, 1777, 1999, 2000]  # fmt: skip
    pngs = await asyncio.gather(*(service.page_png(record, 1, w, user=f"u{w}") for w in widths))
    for width, png in zip(widths, pngs, strict=True):
        size = png_size(png)
        assert size[0] == width and abs(size[1] - round(width * A4[1] / A4[0])) <= 1
    assert sorted(renders) == sorted(LADDER), renders
    assert [ladder_width(w) for w in (100, 200, 201, 2000)] == [200, 200, 400, 2000]


async def test_a_burst_of_scale_downs_does_not_hold_up_the_default_thread_pool(
    tmp_path: Path, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scale-downs ran on asyncio's default thread pool, which the database, blob and cache
    reads share: a burst of new widths larger than the pool filled it, and a read queued
    behind it waited for the burst's queued scale-downs to be done. They have an executor
    of their own: a default-pool task queued once every scale-down of the burst is, ends
    before all but a few of them; every preview of the burst is still answered."""
    record = stored(tmp_path, three_page_pdf(), "handbook")
    service = make(300.0)
    await service.page_png(record, 1, 800, user="warm")  # the ladder render, cached
    default_threads = min(32, (os.cpu_count() or 1) + 4)  # asyncio's default pool
    burst_size = default_threads + 16
    reads: list[int] = []
    scaled: list[int] = []
    real_get, real_downscale = service._cache.get, previews.downscale
    loop, all_read = asyncio.get_running_loop(), asyncio.Event()

    def get(*args: Any) -> Any:
        try:
            return real_get(*args)
        finally:
            reads.append(1)
            # each reads the cache for its width and for the ladder step
            if len(reads) >= 2 * burst_size:
                loop.call_soon_threadsafe(all_read.set)

    def downscale(png: bytes, width: int) -> bytes:
        try:
            return real_downscale(png, width)
        finally:
            scaled.append(width)

    monkeypatch.setattr(service._cache, "get", get)
    monkeypatch.setattr(previews, "downscale", downscale)
    widths = [799 - i for i in range(burst_size)]
    burst = asyncio.gather(*(service.page_png(record, 1, w, user=f"u{w}") for w in widths))
    await all_read.wait()
    for _ in range(3):
        await asyncio.sleep(0)  # each has handed its scale-down over
    await asyncio.to_thread(int)  # a read of the database or the blob store, say
    done_before = len(scaled)
    pngs = await burst
    assert [png_size(png)[0] for png in pngs] == widths
    # On the default pool it waited for the 16 scale-downs queued ahead of it at least.
    assert done_before <= 4, (done_before, burst_size)
