"""A real docent server in a subprocess, and raw GraphQL clients (HTTP and WebSocket)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from docent.evaluation.server import ServerError, wait_until_ready

from support.scripts import free_port

NETGUARD = Path(__file__).parent / "netguard"


#: Settings every test server gets unless it asks for the product's defaults: tests that
#: only need "an embedder" use MiniLM, ~5x cheaper per passage than the default e5.
TEST_DEFAULTS = {"DOCENT_EMBEDDER": "local"}


class DocentServer:
    def __init__(
        self, data_dir: Path, env: dict[str, str] | None = None, *, product_defaults: bool = False
    ) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self.ws_url = f"ws://127.0.0.1:{self.port}/graphql"
        self.base = f"http://127.0.0.1:{self.port}"
        self.netguard_log = data_dir / "netguard.log"
        self.log_path = data_dir / "server.log"
        self._env = env or {}
        self._product_defaults = product_defaults
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            k: v for k, v in os.environ.items()
            if not k.lower().endswith("_proxy") and not k.startswith("DOCENT_")
        }  # fmt: skip
        env.update(
            DOCENT_DATA_DIR=str(self.data_dir),
            DOCENT_NETGUARD_LOG=str(self.netguard_log),
            PYTHONPATH=os.pathsep.join(filter(None, [str(NETGUARD), env.get("PYTHONPATH")])),
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            DO_NOT_TRACK="true",
        )
        if not self._product_defaults:
            env.update(TEST_DEFAULTS)
        env.update(self._env)
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "docent.cli", "serve", "--port", str(self.port), "--log-level", "info"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_ready(self._process, self.base, timeout)
        except ServerError as exc:
            self.stop()
            raise RuntimeError(f"{exc}:\n{self.log()}") from None

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def network_attempts(self) -> list[str]:
        if not self.netguard_log.exists():
            return []
        return [line for line in self.netguard_log.read_text().splitlines() if line.strip()]


@contextmanager
def running_server(
    data_dir: Path, env: dict[str, str] | None = None, *, product_defaults: bool = False
):
    server = DocentServer(data_dir, env, product_defaults=product_defaults)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def module_server(
    name: str, env: dict[str, str] | None = None
) -> Callable[[pytest.TempPathFactory], Iterator[DocentServer]]:
    """A module-scoped `server` fixture: a real server of its own for the module's tests
    (`server = module_server("pdf")`), which must not have tried the network."""

    @pytest.fixture(scope="module")
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
        with running_server(tmp_path_factory.mktemp(name), env) as running:
            yield running
            assert running.network_attempts() == [], running.network_attempts()

    return server


KEYWORD_SEARCH = """query($q: String!, $id: ID!, $k: Int!) {
  search(input: {query: $q, mode: KEYWORD, topK: $k, documentIds: [$id]}) {
    hits { chunk { text page section } } } }"""


async def keyword_chunks(
    server: DocentServer, document_id: str, query: str, top_k: int = 10
) -> list[dict[str, Any]]:
    """The chunks (`text`, `page`, `section`) a KEYWORD search for `query` finds in one
    document, best first."""
    data = await gql(server.url, KEYWORD_SEARCH, {"q": query, "id": document_id, "k": top_k})
    return [hit["chunk"] for hit in data["search"]["hits"]]


async def gql(
    url: str, query: str, variables: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(url, json={"query": query, "variables": variables or {}}, **kw)
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def gql_raw(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(url, json={"query": query, "variables": variables or {}})
    return response.json()


UPLOAD = """mutation Upload($file: Upload!, $title: String, $tags: [String!]) {
  uploadDocument(file: $file, title: $title, tags: $tags) {
    document { id title filename mimeType sizeBytes sha256 status tags visibility group }
    deduplicated
    userErrors { code message field }
  }
}"""


async def upload(
    url: str,
    filename: str,
    content: bytes,
    *,
    title: str | None = None,
    tags: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """uploadDocument as a GraphQL multipart request (the spec's operations/map/file parts)."""
    operations = {"query": UPLOAD, "variables": {"file": None, "title": title, "tags": tags}}
    async with httpx.AsyncClient(timeout=120) as client:
        return await client.post(
            url,
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": (filename, content, "application/octet-stream")},
            headers={"Apollo-Require-Preflight": "true"} if headers is None else headers,
        )


async def graphql_socket(ws_url: str, token: str | None = None) -> Any:
    """A graphql-transport-ws WebSocket, initialised (with the token, if any) and
    acknowledged within 10 s; the caller closes it (or uses it in `async with`)."""
    ws = await websockets.connect(
        ws_url,
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        open_timeout=10,
        max_size=None,
    )
    init = {"authorization": f"Bearer {token}"} if token else {}
    await ws.send(json.dumps({"type": "connection_init", "payload": init}))
    async with asyncio.timeout(10):
        assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def subscribe(
    ws_url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    timeout: float = 120.0,
    token: str | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Raw graphql-transport-ws: connection_init (with the token, if any), subscribe, then
    each `next` payload."""
    async with await graphql_socket(ws_url, token) as ws:
        op = uuid.uuid4().hex
        await ws.send(
            json.dumps(
                {
                    "id": op,
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "subscription timed out"
            message = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            if message["type"] == "next":
                assert not message["payload"].get("errors"), message
                yield message["payload"]["data"]
            elif message["type"] == "complete":
                return
            elif message["type"] == "error":
                raise AssertionError(message)
            elif message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))


WATCH = """subscription Watch($id: ID!) {
  documentEvents(id: $id) {
    documentId status stage version current total progress at
    error { code message }
    document { id status chunkCount pageCount processedAt }
  }
}"""


async def wait_ready(
    server: DocentServer, document_id: str, *, timeout: float = 120.0
) -> list[dict[str, Any]]:
    """A document's events (WATCH) until processing ends (READY or FAILED), within `timeout`
    seconds."""
    events = [
        e["documentEvents"]
        async for e in subscribe(server.ws_url, WATCH, {"id": document_id}, timeout=timeout)
    ]
    assert events, "no events"
    return events


async def upload_ok(server: DocentServer, name: str, content: bytes, **kw: Any) -> dict[str, Any]:
    response = await upload(server.url, name, content, **kw)
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["uploadDocument"]
    assert payload["userErrors"] == [], payload
    return payload


async def upload_ready(
    server: DocentServer, name: str, content: bytes, timeout: float = 300
) -> str:
    """The id of a document uploaded and processed to READY (within `timeout` seconds)."""
    payload = await upload_ok(server, name, content)
    document_id: str = payload["document"]["id"]
    events = await wait_ready(server, document_id, timeout=timeout)
    assert events[-1]["status"] == "READY", events[-1]
    return document_id
