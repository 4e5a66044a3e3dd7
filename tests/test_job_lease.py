"""A worker killed just after it starts a job leaves the job to another worker within the
lease (DOCENT_JOB_LEASE_S), not after arq's whole job timeout: the load test (benchmarks/
load.py --kill-worker-at) found a document stuck when its worker died in the first third of
a lease, before the lease thread's first renewal shortened arq's mark."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis as redis_client
from arq.constants import in_progress_key_prefix

from support.cluster import WorkerProcess, redis_server
from support.servers import WATCH, running_server, subscribe, upload_ok

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

LEASE_S = 30  # its first renewal comes 10 s after the job starts


async def test_a_worker_killed_as_its_job_starts_holds_it_no_longer_than_the_lease(
    tmp_path: Path,
) -> None:
    text = "\n\n".join(
        f"Section {i}\n\n" + " ".join(f"Sentence {j} about item {i * 9 + j}." for j in range(14))
        for i in range(40)
    ).encode()
    with redis_server(tmp_path / "redis") as redis:
        data_dir = tmp_path / "data"
        env = {"DOCENT_REDIS_URL": redis.url, "DOCENT_JOB_LEASE_S": str(LEASE_S)}
        with running_server(data_dir, env) as server:
            document_id = (await upload_ok(server, "long.txt", text))["document"]["id"]
            first = WorkerProcess(tmp_path / "worker-1-logs", env | {"DOCENT_DATA_DIR": str(data_dir)})  # fmt: skip
            first.start()
            try:
                async for event in subscribe(server.ws_url, WATCH, {"id": document_id}):
                    if event["documentEvents"]["status"] == "PROCESSING":
                        break
            finally:
                first.kill()
            client = redis_client.Redis.from_url(redis.url)
            try:
                ttl_ms = client.pttl(f"{in_progress_key_prefix}doc:{document_id}:v1")
            finally:
                client.close()
            # the dead worker's mark ends with the lease, not with the 30-minute job timeout
            assert 0 < ttl_ms <= LEASE_S * 1000, (ttl_ms, first.log()[-2000:])

            second = WorkerProcess(tmp_path / "worker-2-logs", env | {"DOCENT_DATA_DIR": str(data_dir)})  # fmt: skip
            second.start()
            try:
                events = [
                    e["documentEvents"]
                    async for e in subscribe(
                        server.ws_url, WATCH, {"id": document_id}, timeout=LEASE_S + 200
                    )
                ]
            finally:
                second.stop()
            assert events[-1]["status"] == "READY", (events[-1], second.log()[-2000:])
