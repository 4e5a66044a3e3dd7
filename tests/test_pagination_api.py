"""Backward pagination through a real server (Relay Cursor Connections): 45 documents walked
forward in pages of 10 and back again give the same ids, and each page says rightly whether
pages lie before and after it; `first` with `last` is INVALID_INPUT."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_files_api import upload_as
from test_update_document import SECRET, TOKENS, call

from support.servers import DocentServer, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

DOCUMENTS = 45
PAGE = """query($first: Int, $after: String, $last: Int, $before: String) {
  documents(first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
CONVERSATIONS = """query($first: Int, $last: Int, $before: String) {
  conversations(first: $first, last: $last, before: $before) { edges { node { id
    messages(last: 1) { edges { node { text } } pageInfo { hasPreviousPage hasNextPage } } } }
  pageInfo { hasNextPage hasPreviousPage startCursor } } }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET}
    with running_server(tmp_path_factory.mktemp("pages"), env) as s:
        yield s


@pytest.fixture(scope="module")
def uploaded(server: DocentServer) -> list[str]:
    async def upload() -> list[str]:
        return [
            await upload_as(server, "alice", f"note-{i}.txt", f"Note {i}: item {i * 7}.".encode())
            for i in range(DOCUMENTS)
        ]

    return asyncio.run(upload())


async def page(server: DocentServer, **arguments: Any) -> dict[str, Any]:
    return dict((await call(server, "alice", PAGE, **arguments))["documents"])


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


async def test_45_documents_forward_in_tens_and_back_again(
    server: DocentServer, uploaded: list[str]
) -> None:
    forward: list[str] = []
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        connection = await page(server, first=10, after=after)
        pages.append(connection)
        forward += ids(connection)
        info = connection["pageInfo"]
        assert connection["totalCount"] == DOCUMENTS
        assert info["startCursor"] == connection["edges"][0]["cursor"]
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert [len(p["edges"]) for p in pages] == [10, 10, 10, 10, 5]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True, True, True]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, True, True, False]
    assert forward == uploaded[::-1]  # newest first

    backward: list[str] = []
    back_pages: list[dict[str, Any]] = []
    before = None
    while True:
        connection = await page(server, last=10, before=before)
        back_pages.append(connection)
        backward = ids(connection) + backward
        info = connection["pageInfo"]
        if not info["hasPreviousPage"]:
            break
        before = info["startCursor"]
    assert [len(p["edges"]) for p in back_pages] == [10, 10, 10, 10, 5]
    assert [p["pageInfo"]["hasNextPage"] for p in back_pages] == [False, True, True, True, True]
    assert [p["pageInfo"]["hasPreviousPage"] for p in back_pages] == [True] * 4 + [False]
    assert backward == forward
    # Back from the third forward page's start: the second page, exactly.
    second = await page(server, last=10, before=pages[2]["pageInfo"]["startCursor"])
    assert ids(second) == ids(pages[1])


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        pytest.param({"first": 10, "last": 10}, "last", id="first-and-last"),
        pytest.param({"last": 101}, "last", id="last-too-large"),
        pytest.param({"last": -1}, "last", id="last-negative"),
        pytest.param({"last": 5, "before": "bm90IGEgY3Vyc29y"}, "before", id="bad-before"),
    ],
)
async def test_arguments_outside_the_spec_are_invalid_input(
    server: DocentServer, arguments: dict[str, Any], field: str
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            server.url,
            json={"query": PAGE, "variables": arguments},
            headers={"authorization": f"Bearer {TOKENS['alice']}"},
        )
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": field}


async def test_conversations_and_messages_page_back_too(server: DocentServer) -> None:
    for question in ("What is note 3?", "What is note 5?", "What is note 8?"):
        await call(server, "bob", "query($q: String!) { ask(input: {question: $q}) { text } }",
                   q=question)  # fmt: skip
    latest = (await call(server, "bob", CONVERSATIONS, last=2))["conversations"]
    assert len(latest["edges"]) == 2
    assert latest["pageInfo"] == {
        "hasNextPage": False, "hasPreviousPage": True,
        "startCursor": latest["pageInfo"]["startCursor"],
    }  # fmt: skip
    earlier = (
        await call(server, "bob", CONVERSATIONS, last=2, before=latest["pageInfo"]["startCursor"])
    )["conversations"]
    assert len(earlier["edges"]) == 1
    assert earlier["pageInfo"]["hasNextPage"] and not earlier["pageInfo"]["hasPreviousPage"]
    newest_first = (await call(server, "bob", CONVERSATIONS, first=3))["conversations"]
    assert [e["node"]["id"] for e in newest_first["edges"]] == [
        e["node"]["id"] for e in earlier["edges"] + latest["edges"]
    ]
    # Each conversation holds a question and its answer: the last message is the answer.
    for edge in newest_first["edges"]:
        messages = edge["node"]["messages"]
        assert len(messages["edges"]) == 1 and messages["edges"][0]["node"]["text"]
        assert messages["pageInfo"] == {"hasPreviousPage": True, "hasNextPage": False}
