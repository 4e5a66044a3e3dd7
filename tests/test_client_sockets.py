"""client.py's Subscriptions against a scripted graphql-transport-ws server: many
subscriptions over one socket (a second only past the 20 one may carry), a socket the
server closes opened again once with its subscriptions asked again, and a second loss
raised."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
import websockets
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from docent.client import OPERATIONS_PER_SOCKET, DocentClient

Script = Callable[[ServerConnection, int], Awaitable[None]]


@asynccontextmanager
async def fake_server(script: Script) -> AsyncIterator[tuple[str, list[int]]]:
    """A server acknowledging each socket then running `script(ws, n)` (n: the socket's
    number from 0); its URL and the list of sockets opened."""
    opened: list[int] = []

    async def handler(ws: ServerConnection) -> None:
        await ws.recv()  # connection_init
        await ws.send(json.dumps({"type": "connection_ack"}))
        opened.append(len(opened))
        await script(ws, opened[-1])

    protocol = Subprotocol("graphql-transport-ws")
    async with serve(handler, "127.0.0.1", 0, subprotocols=[protocol]) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"http://127.0.0.1:{port}/graphql", opened


async def answer_each(ws: ServerConnection, _n: int) -> None:
    """Answers every subscription with its variables, once, after a moment (so that they
    overlap), then completes it."""

    async def answer(message: dict[str, str]) -> None:
        await asyncio.sleep(0.2)
        data = {"echo": message["payload"]["variables"]}  # type: ignore[index]
        await ws.send(json.dumps({"id": message["id"], "type": "next", "payload": {"data": data}}))
        await ws.send(json.dumps({"id": message["id"], "type": "complete"}))

    tasks = set()
    async for raw in ws:
        message = json.loads(raw)
        if message["type"] == "subscribe":
            task = asyncio.create_task(answer(message))
            tasks.add(task)
            task.add_done_callback(tasks.discard)


async def follow_all(url: str, count: int) -> list[dict[str, object]]:
    async with DocentClient(url) as client, client.connect() as live:

        async def one(i: int) -> dict[str, object]:
            events = [d async for d in live.subscribe("subscription { x }", {"i": i})]
            assert len(events) == 1, events
            return events[0]

        return await asyncio.gather(*(one(i) for i in range(count)))


async def test_many_subscriptions_share_one_socket_up_to_its_bound() -> None:
    async with fake_server(answer_each) as (url, opened):
        results = await follow_all(url, OPERATIONS_PER_SOCKET)
        assert results == [{"echo": {"i": i}} for i in range(OPERATIONS_PER_SOCKET)]
        assert len(opened) == 1
    async with fake_server(answer_each) as (url, opened):
        results = await follow_all(url, OPERATIONS_PER_SOCKET + 5)
        assert [r["echo"] for r in results] == [{"i": i} for i in range(OPERATIONS_PER_SOCKET + 5)]
        assert len(opened) == 2


async def test_a_socket_the_server_closes_is_opened_again_once() -> None:
    async def close_the_first(ws: ServerConnection, n: int) -> None:
        if n == 0:
            await ws.recv()  # the subscription
            await ws.close(1012, "restarting")
            return
        await answer_each(ws, n)

    async with fake_server(close_the_first) as (url, opened):
        assert await follow_all(url, 3) == [{"echo": {"i": i}} for i in range(3)]
        assert len(opened) == 2

    async def close_every(ws: ServerConnection, n: int) -> None:
        await ws.recv()
        await ws.close(1012, "restarting")

    async with fake_server(close_every) as (url, opened):
        with pytest.raises(websockets.ConnectionClosed):
            await follow_all(url, 1)
        assert len(opened) == 2
