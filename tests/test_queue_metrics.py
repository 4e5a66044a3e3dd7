"""The ingestion queue's depth on `/metrics` (docent_jobs_queued, docent_jobs_running,
docent_job_oldest_queued_age_seconds), read through a real server on both deployments: a
shared Redis (Debian's redis-server) with a separate `docent worker`, and the embedded one."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import redis as redis_client
from arq.constants import in_progress_key_prefix

from support.cluster import WorkerProcess, read_metrics, redis_server
from support.samples import HANDBOOK_MD
from support.servers import WATCH, running_server, subscribe, upload_ok, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

QUEUED, RUNNING = "docent_jobs_queued", "docent_jobs_running"
AGE = "docent_job_oldest_queued_age_seconds"


def long_text(sections: int = 120) -> bytes:
    """A plain-text document of `sections` sections, ~14 sentences each: many chunks, so
    that its embedding takes seconds."""
    return "\n\n".join(
        f"Section {i}\n\n"
        + " ".join(f"Sentence {j} of section {i} talks about topic {i * 7 + j}." for j in range(14))
        for i in range(sections)
    ).encode()


async def embedding(ws_url: str, document_id: str) -> None:
    """Returns once the document's worker is embedding it (so its job is running)."""
    async for event in subscribe(ws_url, WATCH, {"id": document_id}, timeout=120):
        if event["documentEvents"]["stage"] == "EMBEDDING":
            return
    raise AssertionError("the document finished before it was seen embedding")


def waiting_periodic_jobs(redis_url: str) -> int:
    """The workers' periodic jobs (arq cron jobs: lost-job recovery, conversation expiry)
    ready in the queue and not running: the metric counts them too."""
    client = redis_client.Redis.from_url(redis_url)
    try:
        now_ms = time.time() * 1000
        ready = client.zrangebyscore("docent:queue", "-inf", now_ms)
        return sum(
            1 for job in ready
            if job.startswith(b"cron:") and not client.exists(in_progress_key_prefix + job.decode())
        )  # fmt: skip
    finally:
        client.close()


async def settled(base_url: str) -> dict[str, float]:
    """The metrics once no job waits or runs (a job ends just after its document's READY
    event; the worker's periodic jobs queued behind the documents run then), within 20 s."""
    deadline = time.monotonic() + 20
    while True:
        metrics = read_metrics(base_url)
        if not metrics[RUNNING] + metrics[QUEUED] or time.monotonic() > deadline:
            return metrics
        await asyncio.sleep(0.2)


async def test_queue_depth_on_a_shared_redis_with_a_separate_worker(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as redis:
        data_dir = tmp_path / "data"
        env = {"DOCENT_REDIS_URL": redis.url, "DOCENT_WORKER_CONCURRENCY": "1"}
        with running_server(data_dir, env) as server:
            assert read_metrics(server.base)[QUEUED] == 0
            ids = [(await upload_ok(server, "long.txt", long_text()))["document"]["id"]]
            for n in range(2):
                text = HANDBOOK_MD + f"\n\nAppendix {n}: nothing else.\n"
                ids.append((await upload_ok(server, f"handbook-{n}.md", text.encode()))["document"]["id"])  # fmt: skip
            await asyncio.sleep(1.5)
            before = read_metrics(server.base)
            # no worker anywhere yet: all three wait, the oldest since the first upload
            assert (before[QUEUED], before[RUNNING]) == (3, 0), before
            assert before[AGE] >= 1.5, before
            await asyncio.sleep(1.0)
            assert read_metrics(server.base)[AGE] >= before[AGE] + 1.0

            worker = WorkerProcess(data_dir, env)
            worker.start()
            try:
                await embedding(server.ws_url, ids[0])
                during = read_metrics(server.base)
                periodic = waiting_periodic_jobs(redis.url)
                # one job at a time (concurrency 1): the long one runs, two documents wait
                # (and the worker's periodic jobs, queued when it started, behind the long one)
                assert (during[QUEUED] - periodic, during[RUNNING]) == (2, 1), (during, periodic)
                for document_id in ids:
                    events = await wait_ready(server, document_id, timeout=240)
                    assert events[-1]["status"] == "READY", (events[-1], worker.log()[-2000:])
                after = await settled(server.base)
                assert (after[QUEUED], after[RUNNING], after[AGE]) == (0, 0, 0), after
            finally:
                worker.stop()
            assert worker.network_attempts() == []


async def test_queue_depth_on_the_embedded_deployment(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server:
        document_id = (await upload_ok(server, "long.txt", long_text()))["document"]["id"]
        await embedding(server.ws_url, document_id)
        during = read_metrics(server.base)
        assert (during[QUEUED], during[RUNNING], during[AGE]) == (0, 1, 0), during
        events = await wait_ready(server, document_id, timeout=240)
        assert events[-1]["status"] == "READY"
        after = await settled(server.base)
        assert (after[QUEUED], after[RUNNING]) == (0, 0), after
