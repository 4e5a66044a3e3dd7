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


def stored(root: Path, data: bytes) -> DocumentRecord:
    blobs = LocalBlobStore(root / "blobs")
    path = blobs.path_for("slow")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return DocumentRecord(
        id="slow", owner="alice", title="slow", filename="slow.pdf", mime_type=sniffing.PDF,
        size_bytes=len(data), sha256="slow", status=DocumentStatus.READY,
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
    record = stored(tmp_path, hostile_pdf(1_000_000))
    service = make(30.0)
    widths = iter(range(100, 200))
    gone = asyncio.Event()

    def render(user: str, left: asyncio.Event | None = None) -> asyncio.Task[bytes]:
        return asyncio.create_task(service.page_png(record, 1, next(widths), user=user, gone=left))

    tasks = [render("u1") for _ in range(PER_USER_RENDERS)]
    await asyncio.sleep(0.3)
    started = time.monotonic()
    with pytest.raises(RateLimited) as mine:
        await service.page_png(record, 1, next(widths), user="u1")
    assert not isinstance(mine.value, Overloaded) and mine.value.retry_after
    tasks += [render("u2") for _ in range(RENDERS_PER_WORKER - PER_USER_RENDERS - 1)]
    tasks.append(render("u3", gone))
    await asyncio.sleep(0.3)
    with pytest.raises(Overloaded) as everyone:
        await service.page_png(record, 1, next(widths), user="u4")
    assert everyone.value.retry_after
    assert time.monotonic() - started < 1.5  # refused at once, not after a render
    # The last one waits behind the others; its client leaves: it ends, never rendered.
    gone.set()
    with pytest.raises(ClientGone):
        await asyncio.wait_for(tasks[-1], timeout=1.0)
    await asyncio.gather(*tasks[:-1], return_exceptions=True)
    rendered = {p.name.split("-w")[1] for p in (tmp_path / "previews").glob("*/*")}
    assert len(rendered) == len(tasks) - 1  # u3's width has no entry, not even a failure


async def test_the_wait_in_the_queue_counts_in_the_deadline(tmp_path: Path, make: Make) -> None:
    record = stored(tmp_path, hostile_pdf(4_000_000))
    service = make(2.0)
    first = asyncio.create_task(service.page_png(record, 1, 100, user="u1"))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    with pytest.raises(IngestionError) as late:
        await service.page_png(record, 1, 101, user="u2")
    assert late.value.code == ErrorCode.TIMEOUT
    assert time.monotonic() - started < 2.0 + 1.5  # its deadline, not its wait plus a render
    await asyncio.gather(first, return_exceptions=True)
    # The moment's failure is not remembered as the page's.
    assert not list((tmp_path / "previews").glob("*/*-w101.*"))
