"""Elasticsearch goes down and comes back: /readyz says so, queries answer SEARCH_UNAVAILABLE,
uploads are still accepted and queued, and ingestion resumes when the node is back."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest

from support.es_node import is_external, start_node, stop_node
from support.prerequisites import Unavailable, unavailable
from support.samples import HANDBOOK_MD, RECIPES_HTML
from support.scripts import free_port, run_script, start_service
from support.servers import gql, gql_raw, running_server, upload

pytestmark = [pytest.mark.elasticsearch, pytest.mark.e2e, pytest.mark.timeout(600)]

STATUS = "query($id: ID!) { document(id: $id) { status chunkCount } }"


def restart(data: str, port: int) -> None:
    node = start_service(
        "elasticsearch", "--data", data, "--port", str(port), "--heap", "512m",
        "--owner-pid", str(os.getpid()), timeout=400,
    )  # fmt: skip
    assert str(node["url"]).endswith(f":{port}")


async def wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(1)


async def test_outage_and_recovery(tmp_path: Path) -> None:
    if is_external():
        pytest.skip("needs a node of its own to stop and start")
    port = free_port()
    try:
        node = start_node()
    except Unavailable as error:
        unavailable("Elasticsearch node", str(error))
    stop_node(node)  # keep its data directory, come back on a known port
    data = str(node["data"])
    restart(data, port)
    url = f"http://127.0.0.1:{port}"
    env = {"DOCENT_SEARCH_BACKEND": "elasticsearch", "DOCENT_ELASTICSEARCH_URL": url}
    try:
        with running_server(tmp_path / "docent", env) as server:
            first = (await upload(server.url, "handbook.md", HANDBOOK_MD.encode())).json()
            first_id = first["data"]["uploadDocument"]["document"]["id"]

            async def ready(doc: str) -> bool:
                body = await gql_raw(server.url, STATUS, {"id": doc})
                document = (body.get("data") or {}).get("document")  # None until written
                return bool(document and document["status"] == "READY")

            await wait_for(lambda: ready(first_id), 120)

            run_script("elasticsearch", "stop", "--data", data, timeout=120)
            async with httpx.AsyncClient() as client:
                readyz = await client.get(f"{server.base}/readyz")
            assert readyz.status_code == 503
            assert readyz.json()["checks"]["search"].startswith("unavailable")
            search = await gql_raw(
                server.url, '{ search(input: {query: "holiday"}) { hits { score } } }'
            )
            assert search["errors"][0]["extensions"]["code"] == "SEARCH_UNAVAILABLE"
            assert "cannot be reached" in search["errors"][0]["message"]
            answer = await gql_raw(
                server.url, '{ ask(input: {question: "How many holidays?"}) { text } }'
            )
            assert answer["errors"][0]["extensions"]["code"] == "SEARCH_UNAVAILABLE"

            # uploads are accepted and queued while the index is down
            second = (await upload(server.url, "recipes.html", RECIPES_HTML.encode())).json()
            payload = second["data"]["uploadDocument"]
            assert payload["userErrors"] == [] and payload["document"]["status"] == "QUEUED"
            second_id = payload["document"]["id"]

            restart(data, port)
            await wait_for(lambda: ready(second_id), 300)
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"{server.base}/readyz")).status_code == 200
            hits = (
                await gql(
                    server.url,
                    '{ search(input: {query: "lemon cake baking time"}) { hits { document { id } } } }',
                )
            )["search"]["hits"]
            assert hits[0]["document"]["id"] == second_id
            assert server.network_attempts() == []
    finally:
        run_script("elasticsearch", "stop", "--data", data, timeout=120)
