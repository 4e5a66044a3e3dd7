"""API and workers as separate processes on a shared Redis: uploads wait in the queue until
a `docent worker` process takes them, and progress reaches the API's subscribers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.samples import HANDBOOK_MD
from support.servers import NETGUARD, TEST_DEFAULTS, gql, running_server, subscribe, upload

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]


def start_worker(
    data_dir: Path, redis_url: str, log: Path, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCENT_")}
    env.update(TEST_DEFAULTS)  # the embedder the test servers use: one model per index
    env.update(extra or {})
    env.update(
        DOCENT_DATA_DIR=str(data_dir),
        DOCENT_REDIS_URL=redis_url,
        DOCENT_NETGUARD_LOG=str(data_dir / "netguard.log"),
        PYTHONPATH=str(NETGUARD),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "docent.cli", "worker"], env=env,
        stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


async def test_separate_worker_process(tmp_path: Path, shared_redis: str) -> None:
    data_dir = tmp_path / "data"
    with running_server(data_dir, {"DOCENT_REDIS_URL": shared_redis}) as server:
        response = await upload(server.url, "handbook.md", HANDBOOK_MD.encode())
        document: dict[str, Any] = response.json()["data"]["uploadDocument"]["document"]
        query = "query($id: ID!) { document(id: $id) { status } }"
        # no worker in the API process when Redis is shared: the job waits
        assert (await gql(server.url, query, {"id": document["id"]}))["document"][
            "status"
        ] == "QUEUED"
        ready = await gql(server.url, "{ viewer { id } }")
        assert ready["viewer"]["id"] == "local"

        worker = start_worker(data_dir, shared_redis, tmp_path / "worker.log")
        try:
            events = [
                e["documentEvents"]
                async for e in subscribe(
                    server.ws_url,
                    "subscription($id: ID!) { documentEvents(id: $id) { status stage } }",
                    {"id": document["id"]},
                )
            ]
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        log = (tmp_path / "worker.log").read_text()
        assert events[-1]["status"] == "READY", (events, log)
        assert "EMBEDDING" in [e["stage"] for e in events]  # progress crossed processes
        assert "process_document" in log
        search = await gql(
            server.url,
            'query { search(input: {query: "paid holiday days"}) { hits { document { id } } } }',
        )
        assert search["search"]["hits"][0]["document"]["id"] == document["id"]
        assert server.network_attempts() == []


async def test_a_worker_killed_mid_document_leaves_it_to_another(
    tmp_path: Path, shared_redis: str
) -> None:
    """SIGKILL the worker while it embeds: once its lease on the job expires, a second
    worker processes the document again, and it ends READY with one copy of each chunk."""
    import asyncio

    from docent.providers.local_embedder import DIMENSION
    from docent.search.embedded.store import EmbeddedBackend

    data_dir = tmp_path / "data"
    env = {"DOCENT_REDIS_URL": shared_redis, "DOCENT_JOB_LEASE_S": "6"}
    paragraphs = [
        f"Section {i}\n\n"
        + " ".join(f"Sentence {j} of section {i} talks about topic {i * 7 + j}." for j in range(14))
        for i in range(120)
    ]
    with running_server(data_dir, env) as server:
        response = await upload(server.url, "long.txt", "\n\n".join(paragraphs).encode())
        document = response.json()["data"]["uploadDocument"]["document"]["id"]
        first = start_worker(data_dir, shared_redis, tmp_path / "worker-1.log", env)
        killed = False
        watch = "subscription($id: ID!) { documentEvents(id: $id) { status stage current total document { chunkCount } } }"
        try:
            async for event in subscribe(server.ws_url, watch, {"id": document}, timeout=120):
                progress = event["documentEvents"]
                if progress["stage"] == "EMBEDDING" and (progress["current"] or 0) >= 16:
                    os.killpg(first.pid, signal.SIGKILL)
                    killed = True
                    break
        finally:
            if not killed:
                os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert killed, "the worker finished before it could be killed"
        status = await gql(
            server.url, "query($id: ID!) { document(id: $id) { status } }", {"id": document}
        )
        assert status["document"]["status"] == "PROCESSING"

        second = start_worker(data_dir, shared_redis, tmp_path / "worker-2.log", env)
        try:
            events = [
                e["documentEvents"]
                async for e in subscribe(server.ws_url, watch, {"id": document}, timeout=180)
            ]
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(timeout=30)
        assert events[-1]["status"] == "READY", (tmp_path / "worker-2.log").read_text()[-2000:]
        count = events[-1]["document"]["chunkCount"]

    backend = EmbeddedBackend(data_dir / "index" / "docent.sqlite3")
    await backend.open(
        model="sentence-transformers/all-MiniLM-L6-v2@onnx-int8-dynamic", dimension=DIMENSION
    )
    chunks = await backend.get_chunks("local", document)
    await backend.aclose()
    assert len(chunks) == count > 16
    assert len({c.id for c in chunks}) == count
    assert [c.ordinal for c in chunks] == list(range(count))
    await asyncio.sleep(0)
