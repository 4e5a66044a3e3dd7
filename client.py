"""A small GraphQL client for docent: queries over HTTP, uploads as GraphQL multipart
requests, subscriptions over WebSocket (graphql-transport-ws). Used by the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Final

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

    def connect(self) -> Subscriptions:
        """The WebSockets to follow many subscriptions over (`async with client.connect()
        as live: async for data in live.subscribe(...)`): opened when first needed, closed
        on leaving the block."""
        return Subscriptions(self.url, self._token)

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """The `data` of each event of one subscription, until it completes, over a
        WebSocket of its own. To follow several, use `connect()`: a server bounds the
        sockets a user may open (DOCENT_WS_SOCKETS_PER_USER, then 2 a second)."""
        async with self.connect() as live:
            async for data in live.subscribe(query, variables):
                yield data


#: Operations one socket carries at once: the server's bound (api/app.py,
#: MAX_SUBSCRIPTIONS_PER_SOCKET); past it the next subscription opens another socket.
OPERATIONS_PER_SOCKET: Final = 20
#: A subscription the server refused as one too many for the user (RATE_LIMITED: past
#: DOCENT_WS_OPERATIONS_PER_USER, then 10 a second) is asked again this often, this far apart.
_RATE_LIMITED_TRIES, _RATE_LIMITED_WAIT_S = 30, 1.0


class _Lost:
    """Put in each operation's queue when its socket closed: `error` is why. A socket closed
    by the server is opened again (once); one that broke the protocol is not."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.reconnect = isinstance(error, websockets.ConnectionClosed)


@dataclass
class _Socket:
    """One graphql-transport-ws connection and the operations it carries, each with the
    queue its reader puts the operation's messages in."""

    ws: websockets.ClientConnection
    operations: dict[str, asyncio.Queue[dict[str, Any] | _Lost]] = field(default_factory=dict)
    lost: _Lost | None = None
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        """Hands each message to its operation's queue (and answers pings) until the socket
        closes; then every operation on it gets `_Lost`."""
        try:
            async for raw in self.ws:
                message = _message(raw)
                kind = message.get("type")
                if kind == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                queue = self.operations.get(str(message.get("id")))
                if queue is not None and kind in ("next", "error", "complete"):
                    queue.put_nowait(message)
            raise websockets.ConnectionClosedOK(None, None)  # closed by the server, cleanly
        except websockets.ConnectionClosed as exc:
            self.lost = _Lost(exc)
        except GraphQLError as exc:  # not the protocol: nothing more on it is to be trusted
            self.lost = _Lost(exc)
            await self.ws.close()
        for queue in self.operations.values():
            queue.put_nowait(self.lost)


class Subscriptions:
    """Many subscriptions over as few WebSockets as the server allows (graphql-transport-ws
    multiplexes operations by id): one socket carries up to OPERATIONS_PER_SOCKET at once,
    and another is opened only past that. A socket the server closes is opened again and
    its subscriptions asked again, once each; a second loss, or a socket refused when it is
    opened (`websockets.ConnectionClosed`, a handshake error, GraphQLError "connection
    refused"), is raised from `subscribe`."""

    def __init__(self, url: str, token: str | None) -> None:
        self._ws_url = "ws" + url.removeprefix("http")
        self._token = token
        self._sockets: list[_Socket] = []
        self._opening = asyncio.Lock()

    async def __aenter__(self) -> Subscriptions:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        sockets, self._sockets = self._sockets, []
        for socket in sockets:
            await socket.ws.close()
            if socket.reader is not None:
                await asyncio.gather(socket.reader, return_exceptions=True)

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """The `data` of each event of the subscription, until it completes. Raises
        GraphQLError for the server's errors (and its refusal of the subscription, after
        waiting out RATE_LIMITED _RATE_LIMITED_TRIES times), websockets.ConnectionClosed
        when its socket is lost twice."""
        reconnected, rate_limited = False, 0
        while True:
            socket = await self._socket()
            op_id = uuid.uuid4().hex
            queue: asyncio.Queue[dict[str, Any] | _Lost] = asyncio.Queue()
            socket.operations[op_id] = queue
            done = False
            try:
                await socket.ws.send(json.dumps({
                    "id": op_id, "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }))  # fmt: skip
                while True:
                    message = await queue.get()
                    if isinstance(message, _Lost):
                        break
                    kind = message["type"]
                    if kind == "next":
                        payload = message["payload"]
                        if payload.get("errors"):
                            raise GraphQLError(payload["errors"])
                        yield payload["data"]
                    elif kind == "error":
                        done = True
                        error = GraphQLError(message.get("payload") or [])
                        if error.code != "RATE_LIMITED" or rate_limited >= _RATE_LIMITED_TRIES:
                            raise error
                        rate_limited += 1
                        break
                    else:  # complete
                        done = True
                        return
            except websockets.ConnectionClosed:  # lost while subscribing: as below
                socket.lost = socket.lost or _Lost(websockets.ConnectionClosedError(None, None))
            finally:
                del socket.operations[op_id]
                if not done and socket.lost is None:  # left early: the server may stop it
                    with contextlib.suppress(websockets.ConnectionClosed):
                        await socket.ws.send(json.dumps({"id": op_id, "type": "complete"}))
            if done:  # refused as one too many: ask again in a while
                await asyncio.sleep(_RATE_LIMITED_WAIT_S)
                continue
            if reconnected:
                raise (
                    socket.lost.error
                    if socket.lost
                    else websockets.ConnectionClosedError(None, None)
                )
            reconnected = True

    async def _socket(self) -> _Socket:
        """An open socket with room for one more operation, opened if there is none."""
        async with self._opening:
            self._sockets = [s for s in self._sockets if s.lost is None]
            for socket in self._sockets:
                if len(socket.operations) < OPERATIONS_PER_SOCKET:
                    return socket
            socket = _Socket(await self._open())
            socket.reader = asyncio.create_task(socket.read())
            self._sockets.append(socket)
            return socket

    async def _open(self) -> websockets.ClientConnection:
        ws = await websockets.connect(
            self._ws_url,
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            max_size=None,
        )
        try:
            init: dict[str, Any] = {"type": "connection_init"}
            if self._token:
                init["payload"] = {"authorization": f"Bearer {self._token}"}
            await ws.send(json.dumps(init))
            ack = _message(await ws.recv())
            if ack.get("type") != "connection_ack":
                raise GraphQLError([{"message": f"connection refused: {ack}"}])
        except BaseException:
            await ws.close()
            raise
        return ws


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
