"""The preview render queue (`ingestion/previews.py`) with a real preview worker and real
slow pages: its bounds refuse at once, a render whose client left is not started, and the
wait in the queue counts in the deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from test_previews_api import hostile_pdf

from docent.domain import DocumentRecord, DocumentStatus
from docent.errors import ErrorCode, IngestionError, RateLimited
from docent.ingestion.blobs import LocalBlobStore
from docent.ingestion.parsing import sniffing
from docent.ingestion.parsing.pool import Isolation
from docent.ingestion.previews import (
    PER_USER_RENDERS,
    RENDERS_PER_WORKER,
    ClientGone,
    Overloaded,
    PreviewCache,
    PreviewService,
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
    pdf = hostile_pdf(1_000_000)
    records = iter([stored(tmp_path, pdf + b"%%%d" % n, f"slow{n}") for n in range(20)])
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
    await asyncio.sleep(0.3)
    started = time.monotonic()
    with pytest.raises(RateLimited) as mine:
        await service.page_png(next(records), 1, 200, user="u1")
    assert not isinstance(mine.value, Overloaded) and mine.value.retry_after
    # Fill the queue with users who have one render each in flight.
    while len(tasks) < RENDERS_PER_WORKER:
        render(f"u{len(tasks)}")
    await asyncio.sleep(0.3)
    with pytest.raises(Overloaded) as everyone:  # a user with one in flight: their second
        await service.page_png(next(records), 1, 200, user="u2")
    assert everyone.value.retry_after
    assert time.monotonic() - started < 1.5  # refused at once, not after a render
    # A user with nothing in flight is always let in, past the bound: it waits.
    render("newcomer")
    await asyncio.sleep(0.3)
    assert not tasks[-1].done()
    # The waiting ones' clients leave: they end, never rendered; the newcomer's is next.
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
