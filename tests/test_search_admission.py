"""Admission of search work per user (api/admission.py): one user's many asks cannot
hold every pipeline of an API process while another's waits behind them all. The unit
tests drive `Admission` on one loop; the end-to-end ones a real server with one slot
(DOCENT_SEARCH_SLOTS=1), where orders are asserted, not times."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from docent.api.admission import Admission, ClientGone
from docent.api.auth import DevAuth
from docent.errors import RateLimited

from support.servers import (
    WATCH,
    DocentServer,
    graphql_socket,
    running_server,
    subscribe,
    upload,
)  # fmt: skip

SECRET = "search-admission-secret-" + "s" * 32
QUEUED = 12
ANSWER = """subscription($q: String!) { answer(input: {question: $q, topK: 20}) {
  __typename ... on AnswerSources { citations { index } }
  ... on AnswerError { code message retryAfter } } }"""
ASK = """query($q: String!) { ask(input: {question: $q, topK: 20}) { text } }"""


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_freed_slot_goes_to_the_user_with_none_running() -> None:
    """Alice holds the one slot and has five asks waiting; Bob's one ask, queued after
    them, runs next."""
    admission = Admission(1, queued_per_user=10)
    order: list[str] = []

    async def run(user: str, name: str) -> None:
        async with admission.slot(user):
            order.append(name)
            await asyncio.sleep(0)

    async with admission.slot("alice"):
        tasks = [asyncio.create_task(run("alice", f"a{i}")) for i in range(5)]
        await settle()
        tasks.append(asyncio.create_task(run("bob", "b")))
        await settle()
        assert admission.waiting == 6 and admission.queued("alice") == 5
    await asyncio.gather(*tasks)
    assert order[0] == "b", order


async def test_a_users_queue_past_its_bound_is_refused_and_others_are_let_in() -> None:
    admission = Admission(1, queued_per_user=2)
    async with admission.slot("alice"):
        waiting = [asyncio.create_task(admission.slot("alice").__aenter__()) for _ in range(2)]
        await settle()
        with pytest.raises(RateLimited) as refused:
            async with admission.slot("alice"):
                pass
        assert refused.value.retry_after is not None and refused.value.retry_after >= 1
        assert "DOCENT_QUEUED_SEARCHES_PER_USER" in refused.value.message
        bob = asyncio.create_task(admission.slot("bob").__aenter__())  # bob: nothing queued
        await settle()
        assert admission.queued("bob") == 1 and admission.queued("alice") == 2
        for task in [*waiting, bob]:
            task.cancel()
        await asyncio.gather(*waiting, bob, return_exceptions=True)
    assert admission.waiting == 0 and admission.queued("alice") == 0


async def test_a_cancelled_or_abandoned_wait_leaves_the_queue_and_holds_nothing() -> None:
    admission = Admission(1, queued_per_user=5)
    gone = asyncio.Event()

    async def waits_unless_gone() -> None:
        async with admission.slot("alice", gone):
            raise AssertionError("ran though its client left")

    async with admission.slot("alice"):
        cancelled = asyncio.create_task(admission.slot("alice").__aenter__())
        abandoned = asyncio.create_task(waits_unless_gone())
        await settle()
        assert admission.queued("alice") == 2
        cancelled.cancel()
        gone.set()
        await settle()
        assert admission.queued("alice") == 0 and admission.waiting == 0
        with pytest.raises(ClientGone):
            await abandoned
        with contextlib.suppress(asyncio.CancelledError):
            await cancelled
    # the slot is free again: taken at once, and by nobody else
    async with asyncio.timeout(1), admission.slot("bob"):
        assert admission.running("bob") == 1 and admission.running("alice") == 0


async def test_a_slot_given_back_early_is_given_back_once() -> None:
    """A slot given back before its block ends (`Slot.release`) is not given back again
    when the block ends (which would let two run in one slot)."""
    admission = Admission(1, queued_per_user=5)
    async with admission.slot("alice") as slot:
        slot.release()
        async with admission.slot("bob"):
            slot.release()
            assert admission.running("bob") == 1
            later = asyncio.create_task(admission.slot("carol").__aenter__())
            await settle()
            assert not later.done()  # bob still holds the one slot
            later.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await later


# ---------------------------------------------------------------------------------------
# Through a real server, one slot.


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {
        "DOCENT_AUTH": "dev",
        "DOCENT_DEV_SECRET": SECRET,
        "DOCENT_SEARCH_SLOTS": "1",
        "DOCENT_QUEUED_SEARCHES_PER_USER": str(QUEUED),
    }
    with running_server(tmp_path_factory.mktemp("search-admission"), env) as running:
        yield running
        assert running.network_attempts() == [], running.network_attempts()
        assert "Traceback" not in running.log(), running.log()[-3000:]


def token(user: str) -> str:
    return DevAuth(SECRET).mint(user)


def question(i: int) -> str:
    """A 2,000-character question, a different one for each `i` (no cached answer)."""
    return (f"What does part {i} say about the boiler pressure and its valves? " * 40)[:2000]


async def socket(server: DocentServer, user: str) -> Any:
    return await graphql_socket(server.ws_url, token(user))


async def start(ws: Any, op: str, i: int) -> None:
    payload = {"query": ANSWER, "variables": {"q": question(i)}}
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))


async def first_events(
    ws: Any, count: int, seen: list[tuple[str, dict[str, Any]]], prefix: str = ""
) -> None:
    """Read until `count` operations whose ids start with `prefix` have sent their first
    event (sources or an error); each is appended to `seen` as it comes (operation id,
    event). Other operations' messages are skipped."""
    firsts: set[str] = set()
    while len(firsts) < count:
        # Not asyncio.wait_for: on Python 3.11 it swallows a cancel that comes as recv()
        # completes, and a reader cancelled then read on for its 120 s (a CI run).
        async with asyncio.timeout(120):
            message = json.loads(await ws.recv())
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
        op = message.get("id", "")
        if message["type"] == "next" and op.startswith(prefix) and op not in firsts:
            firsts.add(op)
            seen.append((op, message["payload"]["data"]["answer"]))


@pytest.fixture(scope="module")
def corpus(server: DocentServer) -> None:
    """A document for each user, so that every ask searches passages."""

    async def put(user: str) -> None:
        text = "\n\n".join(
            f"Section {i}. The boiler pressure is kept at {i} bar by valve {i}." for i in range(300)
        )
        response = await upload(
            server.url, f"{user}.txt", text.encode(),
            headers={"authorization": f"Bearer {token(user)}", "x-requested-with": "t"},
        )  # fmt: skip
        document = response.json()["data"]["uploadDocument"]["document"]["id"]
        events = [
            e["documentEvents"]["status"]
            async for e in subscribe(
                server.ws_url, WATCH, {"id": document}, timeout=300, token=token(user)
            )
        ]
        assert events[-1] == "READY", events

    async def both() -> None:
        await asyncio.gather(put("alice"), put("bob"))

    asyncio.run(both())


@pytest.mark.e2e
async def test_bobs_ask_is_served_before_most_of_alices_queued_answers(
    server: DocentServer, corpus: None
) -> None:
    """Attack: alice's 200 answers in flight at once, each doing its search on the event
    loop: bob's asks took up to 50 s. With one slot, bob's ask, sent after alice's twelve
    are queued, runs about next: before at least eight of hers have found their sources."""
    ws = await socket(server, "alice")
    try:
        for i in range(QUEUED + 1):
            await start(ws, f"a{i}", i)
        seen: list[tuple[str, dict[str, Any]]] = []
        reading = asyncio.create_task(first_events(ws, QUEUED + 1, seen))
        while not seen:  # noqa: ASYNC110 (alice's first has run, the rest are queued)
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(timeout=120) as client:
            response = await client.post(
                server.url,
                json={"query": ASK, "variables": {"q": question(1000)}},
                headers={"authorization": f"Bearer {token('bob')}"},
            )
        served_before_bob = len(seen)
        assert "errors" not in response.json(), response.json()
        await reading
    finally:
        await ws.close()
    assert all(event["__typename"] == "AnswerSources" for _, event in seen), seen
    assert QUEUED + 1 - served_before_bob >= 8, served_before_bob


@pytest.mark.e2e
async def test_a_full_queue_refuses_and_cancelled_answers_leave_it(
    server: DocentServer, corpus: None
) -> None:
    """Alice's answers past her queue's bound are refused with RATE_LIMITED and a
    retryAfter; the answers she stops leave the queue at once: as many new ones are let
    in, which a queue drained by its slot alone could not take (one at a time)."""
    first = await socket(server, "alice")
    try:
        # One burst: one running, QUEUED waiting, three more refused.
        for i in range(QUEUED + 4):
            await start(first, f"q{i}", 100 + i)
        seen: list[tuple[str, dict[str, Any]]] = []
        reading = asyncio.create_task(first_events(first, QUEUED + 4, seen))
        while not seen:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        refused = [event for _, event in seen if event["__typename"] == "AnswerError"]
        assert refused, seen
        assert all(e["code"] == "RATE_LIMITED" and e["retryAfter"] >= 1 for e in refused), seen
        for i in range(QUEUED + 4):  # alice stops them all
            await first.send(json.dumps({"id": f"q{i}", "type": "complete"}))
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
        # On the same socket: its messages are taken in order, the stops first.
        again: list[tuple[str, dict[str, Any]]] = []
        for i in range(QUEUED):
            await start(first, f"again{i}", 300 + i)
        await first_events(first, QUEUED, again, prefix="again")
        assert all(event["__typename"] == "AnswerSources" for _, event in again), again
    finally:
        await first.close()


@pytest.mark.e2e
async def test_an_ask_whose_client_disconnected_leaves_the_queue(
    server: DocentServer, corpus: None
) -> None:
    """Alice's HTTP asks fill her queue and she hangs up: the asks leave it (the server
    sees the disconnect while they wait), so her next answers are all let in."""
    headers = {"authorization": f"Bearer {token('alice')}"}

    async def ask(client: httpx.AsyncClient, i: int) -> None:
        await client.post(
            server.url, json={"query": ASK, "variables": {"q": question(i)}}, headers=headers
        )

    clients = [httpx.AsyncClient(timeout=120) for _ in range(QUEUED + 1)]
    asks = [asyncio.create_task(ask(c, 400 + i)) for i, c in enumerate(clients)]
    await asyncio.sleep(0.3)
    for task in asks:  # alice hangs up: each connection is closed
        task.cancel()
    await asyncio.gather(*asks, return_exceptions=True)
    for client in clients:
        await client.aclose()
    await asyncio.sleep(0.2)
    ws = await socket(server, "alice")
    try:
        for i in range(QUEUED):
            await start(ws, f"after{i}", 500 + i)
        after: list[tuple[str, dict[str, Any]]] = []
        await first_events(ws, QUEUED, after)
    finally:
        await ws.close()
    assert all(event["__typename"] == "AnswerSources" for _, event in after), after
