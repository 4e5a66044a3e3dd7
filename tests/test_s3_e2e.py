"""docent with its files on S3-compatible storage (DOCENT_BLOB_STORE=s3://...), through real
server processes and a real S3 server (S3Proxy): the whole life of a document, /readyz, and
an outage of the store (uploads refused with a typed error, a job that waits and finishes).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.s3_server import S3Server
from support.samples import HANDBOOK_MD
from support.servers import NETGUARD, DocentServer, gql, running_server, subscribe, upload

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

EVENTS = "subscription($id: ID!) { documentEvents(id: $id) { status stage version } }"
DOCUMENT = "query($id: ID!) { document(id: $id) { status version } }"
ASK = "query($q: String!) { ask(input: {question: $q}) { text grounded } }"
REPROCESS = (
    "mutation($id: ID!) { reprocessDocument(id: $id) { document { version } userErrors { code } } }"
)
DELETE = "mutation($id: ID!) { deleteDocument(id: $id) { deletedDocumentId userErrors { code message } } }"


async def final_event(server: DocentServer, document_id: str) -> dict[str, Any]:
    events = [
        e["documentEvents"]
        async for e in subscribe(server.ws_url, EVENTS, {"id": document_id}, timeout=300)
    ]
    return events[-1]


def local_files(server: DocentServer) -> list[Path]:
    return [p for p in (server.data_dir / "blobs").rglob("*") if p.is_file()]


async def readyz(server: DocentServer) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{server.base}/readyz")
    return response.status_code, response.json()


async def test_upload_ready_ask_reprocess_delete_on_s3(
    tmp_path: Path, s3: S3Server, s3_bucket: str
) -> None:
    with running_server(tmp_path / "data", s3.env(s3_bucket, "files")) as server:
        status, body = await readyz(server)
        assert status == 200 and body["checks"]["storage"] == "ok", body

        response = await upload(server.url, "handbook.md", HANDBOOK_MD.encode())
        document = response.json()["data"]["uploadDocument"]["document"]
        key = f"files/{document['id'][:2]}/{document['id']}"
        assert await s3.keys(s3_bucket) == [key]
        assert (await final_event(server, document["id"]))["status"] == "READY"
        # the object is the file; nothing of it is kept on the server's disk
        async with s3.client() as client:
            stored = await client.get_object(Bucket=s3_bucket, Key=key)
            assert await stored["Body"].read() == HANDBOOK_MD.encode()
        assert local_files(server) == []

        answer = (await gql(server.url, ASK, {"q": "How many days of paid holiday?"}))["ask"]
        assert answer["grounded"] and "27 days" in answer["text"], answer

        # reprocessing reads the file back from the bucket
        again = (await gql(server.url, REPROCESS, {"id": document["id"]}))["reprocessDocument"]
        assert again["userErrors"] == [] and again["document"]["version"] == 2
        last = await final_event(server, document["id"])
        assert last["status"] == "READY" and last["version"] == 2

        deleted = (await gql(server.url, DELETE, {"id": document["id"]}))["deleteDocument"]
        assert deleted["deletedDocumentId"] == document["id"]
        assert await s3.keys(s3_bucket) == []
        assert local_files(server) == []
        assert server.network_attempts() == []


def start_worker(data_dir: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`docent worker` beside the API (same data directory: the embedded index)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("DOCENT_")}
    full.update(env)
    full.update(
        DOCENT_DATA_DIR=str(data_dir),
        DOCENT_NETGUARD_LOG=str(data_dir / "netguard.log"),
        DOCENT_EMBEDDER="local",
        PYTHONPATH=os.pathsep.join(filter(None, [str(NETGUARD), os.environ.get("PYTHONPATH")])),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "docent.cli", "worker"], env=full,
        stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


async def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.5)


async def test_an_outage_refuses_uploads_and_jobs_wait_for_the_store(
    tmp_path: Path, s3: S3Server, s3_bucket: str, shared_redis: str
) -> None:
    """S3 down: /readyz says so, an upload answers STORAGE_UNAVAILABLE and stores nothing,
    and a queued job retries until the store is back, then finishes READY."""
    env = {**s3.env(s3_bucket), "DOCENT_REDIS_URL": shared_redis}
    data_dir = tmp_path / "data"
    with running_server(data_dir, env) as server:  # no in-process worker: Redis is shared
        response = await upload(server.url, "handbook.md", HANDBOOK_MD.encode())
        queued = response.json()["data"]["uploadDocument"]["document"]
        assert queued["status"] == "QUEUED"

        s3.stop()
        try:
            status, body = await readyz(server)
            assert status == 503 and body["checks"]["storage"].startswith("unavailable"), body
            refused = (await upload(server.url, "other.md", b"# Other\n\nAnother file.\n")).json()
            errors = refused["data"]["uploadDocument"]["userErrors"]
            assert [e["code"] for e in errors] == ["STORAGE_UNAVAILABLE"], refused
            assert refused["data"]["uploadDocument"]["document"] is None
            assert local_files(server) == []  # the refused upload left nothing staged

            log = tmp_path / "worker.log"
            worker = start_worker(data_dir, env, log)
            try:
                await wait_for(lambda: "retrying in" in log.read_text(), 180, "a retry")
                assert "STORAGE_UNAVAILABLE" not in log.read_text()  # not failed: waiting
            finally:
                s3.start()
            last = await final_event(server, queued["id"])
            assert last["status"] == "READY", log.read_text()[-3000:]
        finally:
            if not s3.running:
                s3.start()
            if "worker" in locals():
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)
        status, body = await readyz(server)
        assert status == 200 and body["checks"]["storage"] == "ok", body
        assert f"file store s3://{s3_bucket}/docent/ is unavailable" in log.read_text()
