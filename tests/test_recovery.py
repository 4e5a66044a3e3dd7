"""No document stays QUEUED or PROCESSING forever: lost jobs are queued again, and a
document whose job keeps vanishing is failed with a reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from docent.composition import open_components
from docent.domain import DocumentRecord, DocumentStatus, utcnow
from docent.ingestion.jobs import MAX_REQUEUES
from docent.ingestion.worker import recover_lost_jobs
from docent.settings import QueueSettings, Settings, StorageSettings


async def processing(runtime, doc_id: str) -> DocumentRecord:  # type: ignore[no-untyped-def]
    """A document of the local user, stored as PROCESSING (as its worker left it)."""
    record = DocumentRecord(
        id=doc_id, owner="local", title="t", filename="t.txt", mime_type="text/plain",
        size_bytes=3, sha256="abc", status=DocumentStatus.PROCESSING,
    )  # fmt: skip
    await runtime.backend.insert_document(record)
    return record


async def make_stale(runtime, record: DocumentRecord) -> None:  # type: ignore[no-untyped-def]
    current = await runtime.backend.get_document(record.owner, record.id)
    old = replace(current, updated_at=utcnow() - timedelta(hours=2))
    assert await runtime.backend.update_document(old)


async def test_lost_jobs_are_requeued_then_failed(tmp_path: Path) -> None:
    settings = Settings(
        storage=StorageSettings(data_dir=tmp_path),
        queue=QueueSettings(job_timeout_s=60),
    )
    async with open_components(settings) as runtime:
        record = await processing(runtime, "lost1")
        await make_stale(runtime, record)
        ctx = {"docent": runtime.worker}

        for _ in range(MAX_REQUEUES):
            assert await recover_lost_jobs(ctx) == 1
            current = await runtime.backend.get_document("local", "lost1")
            assert current.status is DocumentStatus.QUEUED
            # the job is now in the queue: nothing more to recover
            assert await recover_lost_jobs(ctx) == 0
            # ... until the job vanishes again (a crashed worker, a flushed Redis)
            await runtime.queue.redis.delete(runtime.settings.queue.queue_name)
            for key in await runtime.queue.redis.keys("arq:job:*"):
                await runtime.queue.redis.delete(key)
            await make_stale(runtime, record)

        assert await recover_lost_jobs(ctx) == 1
        failed = await runtime.backend.get_document("local", "lost1")
        assert failed.status is DocumentStatus.FAILED
        assert failed.error_code == "TIMEOUT"
        assert "reprocess" in (failed.error_message or "")
        assert await recover_lost_jobs(ctx) == 0


async def test_a_file_that_keeps_killing_its_worker_is_failed(tmp_path: Path) -> None:
    from docent.ingestion.worker import process_document

    settings = Settings(
        storage=StorageSettings(data_dir=tmp_path), queue=QueueSettings(max_tries=2)
    )
    async with open_components(settings) as runtime:
        await processing(runtime, "crashy")
        ctx = {"docent": runtime.worker, "job_id": "doc:crashy:v1", "job_try": 1}
        # two tries started and never finished (as if the worker had died each time)
        await runtime.queue.redis.hset("docent:tries:doc:crashy:v1", "starts", 2)
        assert await process_document(ctx, "local", "crashy", 1) == "failed"
        failed = await runtime.backend.get_document("local", "crashy")
        assert failed.status is DocumentStatus.FAILED and failed.error_code == "TIMEOUT"
        assert "2 times" in (failed.error_message or "")
