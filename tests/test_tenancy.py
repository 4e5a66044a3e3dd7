"""Tenancy through the public contract: three users with tokens, two of them in one group.
A user sees their own documents and those shared with their groups, nothing else, in every
path: document, documents, totals, search (hits and highlights), ask, answer, progress
events, the answer cache; and only an owner changes a document. Another user's document id
gets the same answer as an id that does not exist."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from docent.api.auth import DevAuth

from support.servers import DocentServer, running_server, subscribe, upload

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SECRET = "tenancy-test-secret-" + "x" * 32
WATCH = """subscription($id: ID!) { documentEvents(id: $id) { status document { id } } }"""
DOCUMENTS = """{ viewer { id documentCount } documents(first: 50) { totalCount
  edges { node { id title visibility group } } } }"""
DOCUMENT = "query($id: ID!) { document(id: $id) { id title visibility group } }"
SEARCH = """query($q: String!) { search(input: {query: $q, topK: 20}) {
  hits { highlights chunk { text } document { id } } } }"""
ASK = """query($q: String!) { ask(input: {question: $q}) {
  text grounded cached citations { document { id } } sources { document { id } } } }"""
ANSWER = """subscription($q: String!) { answer(input: {question: $q}) { __typename
  ... on AnswerSources { citations { document { id } chunk { text } } }
  ... on AnswerDone { answer { text citations { document { id } } } } } }"""
SHARE = """mutation($id: ID!, $v: Visibility!, $g: String) {
  setDocumentVisibility(id: $id, visibility: $v, group: $g) {
    document { id visibility group } userErrors { code field } } }"""
DELETE = "mutation($id: ID!) { deleteDocument(id: $id) { deletedDocumentId userErrors { code } } }"
REPROCESS = (
    "mutation($id: ID!) { reprocessDocument(id: $id) { document { id } userErrors { code } } }"
)

TOKENS = {
    name: DevAuth(SECRET).mint(name, groups=groups)
    for name, groups in {
        "alice": ("eng",),
        "bob": ("eng", "qa"),
        "carol": ("ops",),
    }.items()
}

PLANS = b"Project Zephyr plans: the zephyr launch moves to October after the turbine review."
SALARIES = b"Zephyr salary sheet: the zephyr bonus pool is kept private to Alice."
OPS = b"Carol's zephyr runbook: restart the zephyr gateway nightly."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET, "DOCENT_ANSWER_CACHE": "true"}
    with running_server(tmp_path_factory.mktemp("tenancy"), env) as s:
        yield s


async def gql(server: DocentServer, user: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            server.url,
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {TOKENS[user]}"},
        )
    assert response.status_code == 200, response.text
    return response.json()


async def data(server: DocentServer, user: str, query: str, **variables: Any) -> dict[str, Any]:
    body = await gql(server, user, query, **variables)
    assert "errors" not in body, body
    return body["data"]


async def put(server: DocentServer, user: str, name: str, content: bytes) -> str:
    response = await upload(
        server.url,
        name,
        content,
        headers={"Apollo-Require-Preflight": "1", "authorization": f"Bearer {TOKENS[user]}"},
    )
    payload = response.json()["data"]["uploadDocument"]
    assert payload["userErrors"] == [], payload
    document_id = str(payload["document"]["id"])
    async for event in subscribe(server.ws_url, WATCH, {"id": document_id}, token=TOKENS[user]):
        last = event["documentEvents"]
    assert last["status"] == "READY", last
    return document_id


@pytest.fixture(scope="module")
def docs(server: DocentServer) -> dict[str, str]:
    async def load() -> dict[str, str]:
        plans = await put(server, "alice", "plans.txt", PLANS)
        shared = await data(server, "alice", SHARE, id=plans, v="GROUP", g="eng")
        assert shared["setDocumentVisibility"]["document"]["group"] == "eng"
        return {
            "plans": plans,
            "salaries": await put(server, "alice", "salaries.txt", SALARIES),
            "ops": await put(server, "carol", "ops.txt", OPS),
        }

    return asyncio.run(load())


async def ws_messages(
    server: DocentServer, user: str, query: str, **variables: Any
) -> list[dict[str, Any]]:
    """Every message of one subscription, errors included."""
    async with websockets.connect(
        server.ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {TOKENS[user]}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        op = uuid.uuid4().hex
        await ws.send(
            json.dumps(
                {"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}}
            )
        )
        messages = []
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            messages.append(message)
            if message["type"] in ("complete", "error"):
                return messages


def ids_in(value: Any) -> set[str]:
    """Every document id anywhere in a response."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "document" and isinstance(item, dict) and "id" in item:
                found.add(item["id"])
            found |= ids_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= ids_in(item)
    return found


async def test_each_user_sees_their_own_and_their_groups(
    server: DocentServer, docs: dict[str, str]
) -> None:
    seen = {}
    for user in ("alice", "bob", "carol"):
        result = await data(server, user, DOCUMENTS)
        listed = {e["node"]["id"] for e in result["documents"]["edges"]}
        assert result["documents"]["totalCount"] == len(listed) == result["viewer"]["documentCount"]
        seen[user] = listed
    assert seen["alice"] == {docs["plans"], docs["salaries"]}
    assert seen["bob"] == {docs["plans"]}  # shared with eng, which bob is in
    assert seen["carol"] == {docs["ops"]}
    shared = await data(server, "bob", DOCUMENT, id=docs["plans"])
    assert shared["document"] == {
        "id": docs["plans"],
        "title": "plans.txt",
        "visibility": "GROUP",
        "group": "eng",
    }
    for user, hidden in (("bob", "salaries"), ("bob", "ops"), ("carol", "plans"), ("alice", "ops")):
        assert (await data(server, user, DOCUMENT, id=docs[hidden]))["document"] is None


async def test_search_and_answers_stay_within_what_a_user_may_see(
    server: DocentServer, docs: dict[str, str]
) -> None:
    visible = {
        "alice": {docs["plans"], docs["salaries"]},
        "bob": {docs["plans"]},
        "carol": {docs["ops"]},
    }
    for user, allowed in visible.items():
        result = await data(server, user, SEARCH, q="zephyr bonus runbook launch")
        found = ids_in(result)
        assert found and found <= allowed, (user, found)
        texts = " ".join(
            h["chunk"]["text"] + " ".join(h["highlights"]) for h in result["search"]["hits"]
        )
        if user != "alice":
            assert "bonus" not in texts
        answer = (await data(server, user, ASK, q="What is in the zephyr bonus pool?"))["ask"]
        assert ids_in(answer) <= allowed
        if user == "bob":
            assert "bonus" not in answer["text"]
        events = [
            e["answer"]
            async for e in subscribe(
                server.ws_url, ANSWER, {"q": "zephyr gateway restart"}, token=TOKENS[user]
            )
        ]
        assert ids_in(events) <= allowed, (user, events)


async def test_others_documents_are_indistinguishable_from_missing_ones(
    server: DocentServer, docs: dict[str, str]
) -> None:
    missing = uuid.uuid4().hex
    for mutation in (DELETE, REPROCESS):
        field = "deleteDocument" if mutation is DELETE else "reprocessDocument"
        hidden = (await data(server, "carol", mutation, id=docs["salaries"]))[field]["userErrors"]
        absent = (await data(server, "carol", mutation, id=missing))[field]["userErrors"]
        assert hidden == absent == [{"code": "NOT_FOUND"}]
    hidden_watch = await ws_messages(server, "carol", WATCH, id=docs["salaries"])
    absent_watch = await ws_messages(server, "carol", WATCH, id=missing)
    strip = lambda ms: [json.dumps(m.get("payload"), sort_keys=True) for m in ms]  # noqa: E731
    assert strip(hidden_watch) == strip(absent_watch)
    assert "NOT_FOUND" in json.dumps(hidden_watch)
    # A group member sees the shared document but cannot change it.
    for mutation, field in ((DELETE, "deleteDocument"), (REPROCESS, "reprocessDocument")):
        errors = (await data(server, "bob", mutation, id=docs["plans"]))[field]["userErrors"]
        assert errors == [{"code": "FORBIDDEN"}]
    errors = (await data(server, "bob", SHARE, id=docs["plans"], v="PRIVATE"))[
        "setDocumentVisibility"
    ]["userErrors"]
    assert errors == [{"code": "FORBIDDEN", "field": "id"}]
    # ...and watches its progress.
    events = [
        e async for e in subscribe(server.ws_url, WATCH, {"id": docs["plans"]}, token=TOKENS["bob"])
    ]
    assert events[-1]["documentEvents"]["status"] == "READY"
    assert (await data(server, "alice", DOCUMENT, id=docs["plans"]))["document"] is not None


async def test_sharing_only_with_ones_own_groups(
    server: DocentServer, docs: dict[str, str]
) -> None:
    for variables, field in (
        ({"v": "GROUP", "g": "ops"}, "group"),
        ({"v": "GROUP"}, "group"),
        ({"v": "PRIVATE", "g": "eng"}, "group"),
    ):
        errors = (await data(server, "alice", SHARE, id=docs["salaries"], **variables))[
            "setDocumentVisibility"
        ]["userErrors"]
        assert errors == [{"code": "INVALID_INPUT", "field": field}], variables
    response = await upload(
        server.url, "x.txt", b"some words to index",
        headers={"Apollo-Require-Preflight": "1", "authorization": f"Bearer {TOKENS['carol']}"},
    )  # fmt: skip
    assert response.json()["data"]["uploadDocument"]["document"]["visibility"] == "PRIVATE"


async def test_unsharing_takes_effect_at_once_and_clears_cached_answers(
    server: DocentServer, docs: dict[str, str]
) -> None:
    question = "When does the zephyr launch happen?"
    first = (await data(server, "bob", ASK, q=question))["ask"]
    assert docs["plans"] in ids_in(first) and "October" in first["text"]
    assert (await data(server, "bob", ASK, q=question))["ask"]["cached"] is True
    await data(server, "alice", SHARE, id=docs["plans"], v="PRIVATE")
    after = (await data(server, "bob", ASK, q=question))["ask"]
    assert after["cached"] is False and docs["plans"] not in ids_in(after)
    assert (await data(server, "bob", DOCUMENT, id=docs["plans"]))["document"] is None
    assert ids_in(await data(server, "bob", SEARCH, q="zephyr launch october")) == set()
    await data(server, "alice", SHARE, id=docs["plans"], v="GROUP", g="eng")  # as it was
    assert (await data(server, "bob", DOCUMENT, id=docs["plans"]))["document"] is not None
