"""A small GraphQL client for docent: queries over HTTP, uploads as GraphQL multipart
requests, subscriptions over WebSocket (graphql-transport-ws). Used by the CLI."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import websockets


class GraphQLError(RuntimeError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        first = errors[0] if errors else {}
        self.code = (first.get("extensions") or {}).get("code")
        super().__init__("; ".join(str(e.get("message")) for e in errors) or "GraphQL error")


class FileChanged(OSError):
    """A file's bytes were not the size it had when its upload started: it changed (grew
    or shrank) meanwhile, or its size is not known before it is read (as in /proc)."""


class _AsStatted:
    """A binary file read as exactly the size `fstat` gave when it was opened (the length
    the upload announces); reading more or less raises FileChanged. h11 refused the
    mismatch itself, with a traceback ("Too much data for declared Content-Length")."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._size = os.fstat(file.fileno()).st_size
        self._read = 0

    def fileno(self) -> int:
        return self._file.fileno()

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self._read += len(data)
        if self._read > self._size or (not data and self._read < self._size):
            raise FileChanged(
                f"{self._size:,} bytes when the upload started, "
                f"{'more' if self._read > self._size else 'fewer'} when it was read"
            )
        return data


class DocentClient:
    def __init__(self, url: str, *, token: str | None = None, timeout: float = 60.0) -> None:
        self.url = url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._token = token
        self._http = httpx.AsyncClient(timeout=timeout, headers=self._headers)

    async def __aenter__(self) -> DocentClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self._http.post(
            self.url, json={"query": query, "variables": variables or {}}
        )
        return _data(response)

    async def upload(
        self,
        path: Path,
        *,
        title: str | None = None,
        tags: list[str] | None = None,
        replaces: str | None = None,
        selection: str = "document { id title status } deduplicated similarTo { id } "
        "userErrors { code message field retryAfter }",
    ) -> dict[str, Any]:
        """uploadDocument, as a GraphQL multipart request (`replaces`: the id of a document
        whose content the file replaces). Raises FileChanged when the file's size changes
        while it is sent (the server drops the upload whole)."""
        query = (
            "mutation Upload($file: Upload!, $title: String, $tags: [String!], $replaces: ID) {"
            " uploadDocument(file: $file, title: $title, tags: $tags, replaces: $replaces)"
            f" {{ {selection} }} }}"
        )
        variables = {"file": None, "title": title, "tags": tags, "replaces": replaces}
        operations = {"query": query, "variables": variables}
        with path.open("rb") as f:
            response = await self._http.post(
                self.url,
                data={
                    "operations": json.dumps(operations),
                    "map": json.dumps({"0": ["variables.file"]}),
                },
                files={"0": (path.name, _AsStatted(f), "application/octet-stream")},  # type: ignore[dict-item]
                headers={"Apollo-Require-Preflight": "true"},
            )
        return _data(response)["uploadDocument"]

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """The `data` of each event of a subscription, until it completes."""
        ws_url = "ws" + self.url.removeprefix("http")
        async with websockets.connect(
            ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")], max_size=None
        ) as ws:
            init: dict[str, Any] = {"type": "connection_init"}
            if self._token:
                init["payload"] = {"authorization": f"Bearer {self._token}"}
            await ws.send(json.dumps(init))
            ack = _message(await ws.recv())
            if ack.get("type") != "connection_ack":
                raise GraphQLError([{"message": f"connection refused: {ack}"}])
            op_id = uuid.uuid4().hex
            await ws.send(json.dumps({
                "id": op_id, "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }))  # fmt: skip
            async for raw in ws:
                message = _message(raw)
                kind = message.get("type")
                if kind == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif kind == "next" and message.get("id") == op_id:
                    payload = message["payload"]
                    if payload.get("errors"):
                        raise GraphQLError(payload["errors"])
                    yield payload["data"]
                elif kind == "error" and message.get("id") == op_id:
                    raise GraphQLError(message.get("payload") or [])
                elif kind == "complete" and message.get("id") == op_id:
                    return


def _message(raw: str | bytes) -> dict[str, Any]:
    """A graphql-transport-ws message; GraphQLError when the server sent something else."""
    try:
        message = json.loads(raw)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        raise GraphQLError([{"message": "the server sent a WebSocket message that is not JSON"}])
    return message


def _data(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        response.raise_for_status()
        body = None
    if not isinstance(body, dict):
        raise GraphQLError(
            [{"message": f"the server's answer (HTTP {response.status_code}) is not GraphQL's"}]
        )
    if body.get("errors"):
        raise GraphQLError(body["errors"])
    if response.status_code >= 400:
        response.raise_for_status()
    return body["data"]
