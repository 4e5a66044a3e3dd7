"""docent as a cluster of processes that share nothing but the services: one Elasticsearch
node, one redis-server (Debian's, AOF on), one S3 server (S3Proxy); two `docent serve`
processes with no in-process worker and two `docent worker` processes, each on a data
directory of its own.

Upload through API 1; watch and answer through API 2; a worker killed (SIGKILL) in the
middle of the document leaves it to the other once its lease ends, with one copy of each
chunk; API 2 restarted under the live subscription, whose client reconnects and sees the
final state; deleted through API 2, the object is gone from the bucket.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import websockets

from support.cluster import WorkerProcess, running_cluster
from support.s3_server import S3Server
from support.samples import HANDBOOK_MD
from support.servers import WATCH, DocentServer, gql, subscribe, upload_ok

pytestmark = [pytest.mark.e2e, pytest.mark.elasticsearch, pytest.mark.timeout(600)]

#: Short enough that the killed worker's job is taken within seconds (the setting's floor).
LEASE_S = 5
ASK = "query($q: String!) { ask(input: {question: $q}) { text grounded } }"
DELETE = "mutation($id: ID!) { deleteDocument(id: $id) { deletedDocumentId userErrors { code } } }"


def long_text(sections: int = 48) -> bytes:
    """Many chunks, so that a worker can be killed in the middle of embedding them."""
    return "\n\n".join(
        f"Section {i}\n\n"
        + " ".join(f"Sentence {j} of section {i} talks about topic {i * 7 + j}." for j in range(14))
        for i in range(sections)
    ).encode()


class Watcher:
    """A `documentEvents` client that reconnects when its server goes away (as a browser
    client would), resubscribing until the document's final state."""

    def __init__(self, api: DocentServer, document_id: str) -> None:
        self.api, self.document_id = api, document_id
        self.events: list[dict[str, Any]] = []
        self.reconnects = 0
        self.embedding = asyncio.Event()

    async def run(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                async for event in subscribe(
                    self.api.ws_url, WATCH, {"id": self.document_id},
                    timeout=deadline - time.monotonic(),
                ):  # fmt: skip
                    progress = event["documentEvents"]
                    self.events.append(progress)
                    if progress["stage"] == "EMBEDDING" and (progress["current"] or 0) >= 16:
                        self.embedding.set()
                return self.events[-1]
            except (websockets.exceptions.WebSocketException, OSError, TimeoutError):
                assert time.monotonic() < deadline, "the subscription never came back"
                self.reconnects += 1
                await asyncio.sleep(0.5)


def running_worker(workers: list[WorkerProcess], job: str) -> WorkerProcess:
    """The worker whose log says it started `job` (arq logs each job it starts)."""
    started = [w for w in workers if job in w.log()]
    assert len(started) == 1, [w.log()[-1500:] for w in workers]
    return started[0]


async def test_two_apis_two_workers_share_nothing_but_the_services(
    tmp_path: Path, es_url: str, s3: S3Server, s3_bucket: str
) -> None:
    env = {"DOCENT_JOB_LEASE_S": str(LEASE_S)}
    with running_cluster(tmp_path, es_url, s3, s3_bucket, env) as c:
        api1, api2 = c.apis
        for api in c.apis:
            assert "worker=external" in api.log()  # no in-process worker

        uploaded = await upload_ok(api1, "long.txt", long_text())
        document_id = uploaded["document"]["id"]
        key = f"files/{document_id[:2]}/{document_id}"
        assert await s3.keys(s3_bucket) == [key]

        watcher = Watcher(api2, document_id)
        watching = asyncio.create_task(watcher.run(timeout=200))
        await asyncio.wait_for(watcher.embedding.wait(), 120)
        victim = running_worker(c.workers, f"doc:{document_id}:v1")
        victim.kill()
        survivor = next(w for w in c.workers if w is not victim)

        # API 2 goes away and comes back while the document is still being processed (the
        # job waits out the dead worker's lease): its subscriber reconnects.
        status = await gql(api1.url, "query($id: ID!) { document(id: $id) { status } }",
                           {"id": document_id})  # fmt: skip
        assert status["document"]["status"] == "PROCESSING"
        await asyncio.to_thread(api2.stop)
        await asyncio.to_thread(api2.start, 180)

        final = await watching
        assert final["status"] == "READY", (final, c.logs())
        assert watcher.reconnects >= 1
        assert f"doc:{document_id}:v1" in survivor.log()  # the other worker finished it
        count = final["document"]["chunkCount"]
        # exactly one copy of each chunk, though two workers wrote them
        assert c.chunk_ordinals(document_id) == list(range(count)), count
        assert count > 16

        handbook = await upload_ok(api1, "handbook.md", HANDBOOK_MD.encode())
        async for _ in subscribe(api2.ws_url, WATCH, {"id": handbook["document"]["id"]}):
            pass
        answer = (await gql(api2.url, ASK, {"q": "How many days of paid holiday?"}))["ask"]
        assert answer["grounded"] and "27 days" in answer["text"], answer

        deleted = (await gql(api2.url, DELETE, {"id": document_id}))["deleteDocument"]
        assert deleted == {"deletedDocumentId": document_id, "userErrors": []}
        assert key not in await s3.keys(s3_bucket)
        assert c.chunk_ordinals(document_id) == []

        for process in [*c.apis, *c.workers]:
            assert process.network_attempts() == []
