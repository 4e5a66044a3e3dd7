"""`filter: {tags, documentIds}` on search, ask and the answer subscription, through a real
server: tags are matched as `documents(filter: {tags})` matches them, at once after
updateDocument retags a document; the deprecated top-level `documentIds` still works and is
intersected with `filter.documentIds`; lists over their bounds are INVALID_INPUT on their
field; a tag filter counts in the request's cost."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_files_api import upload_as
from test_update_document import TOKENS, UPDATE, call, ready

from docent.api.query_shape import FIELD_COSTS, MAX_COST, TAG_FILTER_COST
from docent.ingestion.labels import MAX_TAGS

from support.servers import DocentServer, running_server, subscribe

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SEARCH = """query($q: String!, $f: SearchFilter, $ids: [ID!]) {
  search(input: {query: $q, mode: KEYWORD, topK: 10, filter: $f, documentIds: $ids}) {
    hits { document { id } } } }"""
ASK = """query($q: String!, $f: SearchFilter) { ask(input: {question: $q, filter: $f}) {
  grounded sources { document { id } } } }"""
ANSWER = """subscription($q: String!, $f: SearchFilter) { answer(input: {question: $q, filter: $f}) {
  __typename ... on AnswerSources { citations { document { id } } } } }"""

TEXTS = {
    "leave": (b"Parental leave: sixteen weeks of parental leave at full pay.", ["hr", "2026"]),
    "travel": (b"Parental leave does not apply to travel; book trains for trips.", ["hr"]),
    "laptops": (b"Parental leave aside, laptops are replaced every three years.", ["it"]),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    from test_update_document import SECRET

    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET}
    with running_server(tmp_path_factory.mktemp("filters"), env) as s:
        yield s


@pytest.fixture(scope="module")
def documents(server: DocentServer) -> dict[str, str]:
    async def upload() -> dict[str, str]:
        ids = {}
        for name, (text, tags) in TEXTS.items():
            document_id = await upload_as(server, "alice", f"{name}.txt", text)
            await ready(server, document_id)
            await call(server, "alice", UPDATE, id=document_id, tags=tags)
            await ready(server, document_id)
            ids[name] = document_id
        return ids

    return asyncio.run(upload())


async def found(server: DocentServer, **variables: Any) -> set[str]:
    data = await call(server, "alice", SEARCH, q="parental leave", **variables)
    return {h["document"]["id"] for h in data["search"]["hits"]}


async def refused(server: DocentServer, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            server.url,
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {TOKENS['alice']}"},
        )
    [error] = response.json()["errors"]
    return dict(error["extensions"])


async def test_search_ask_and_answer_keep_the_documents_with_all_the_tags(
    server: DocentServer, documents: dict[str, str]
) -> None:
    ids = documents
    assert await found(server) == set(ids.values())
    assert await found(server, f={"tags": ["hr"]}) == {ids["leave"], ids["travel"]}
    assert await found(server, f={"tags": ["hr", "2026"]}) == {ids["leave"]}
    assert await found(server, f={"tags": ["finance"]}) == set()
    assert await found(server, f={"tags": []}) == set(ids.values())  # no tag: no filter
    asked = (await call(server, "alice", ASK, q="How long is parental leave?",
                        f={"tags": ["it"]}))["ask"]  # fmt: skip
    assert {s["document"]["id"] for s in asked["sources"]} == {ids["laptops"]}
    async for event in subscribe(
        server.ws_url, ANSWER, {"q": "How long is parental leave?", "f": {"tags": ["2026"]}},
        token=TOKENS["alice"],
    ):  # fmt: skip
        assert event["answer"]["__typename"] == "AnswerSources"
        assert {c["document"]["id"] for c in event["answer"]["citations"]} == {ids["leave"]}
        break


async def test_document_ids_in_the_filter_and_the_deprecated_argument_intersect(
    server: DocentServer, documents: dict[str, str]
) -> None:
    ids = documents
    leave, travel, laptops = ids["leave"], ids["travel"], ids["laptops"]
    assert await found(server, ids=[leave, travel]) == {leave, travel}
    assert await found(server, f={"documentIds": [travel, laptops]}) == {travel, laptops}
    assert await found(server, ids=[leave, travel], f={"documentIds": [travel, laptops]}) == {
        travel
    }
    assert await found(server, ids=[leave], f={"documentIds": [laptops]}) == set()
    assert await found(server, f={"documentIds": [leave, travel, laptops], "tags": ["hr"]}) == {
        leave,
        travel,
    }


async def test_a_retag_moves_the_document_between_tag_filters_at_once(
    server: DocentServer, documents: dict[str, str]
) -> None:
    laptops = documents["laptops"]
    payload = (await call(server, "alice", UPDATE, id=laptops, tags=["hardware"]))["updateDocument"]
    assert payload["userErrors"] == [] and payload["document"]["status"] == "QUEUED"
    # Before its next version is indexed: the filter reads the document's tags as they are.
    assert laptops in await found(server, f={"tags": ["hardware"]})
    assert laptops not in await found(server, f={"tags": ["it"]})
    await ready(server, laptops)
    assert await found(server, f={"tags": ["hardware"]}) == {laptops}
    assert await found(server, f={"tags": ["it"]}) == set()


@pytest.mark.parametrize("query", [SEARCH, ASK], ids=["search", "ask"])
async def test_lists_over_their_bounds_are_invalid_input_on_their_field(
    server: DocentServer, query: str
) -> None:
    tags = [f"t{i}" for i in range(MAX_TAGS + 1)]
    assert await refused(server, query, q="x", f={"tags": tags}) == {
        "code": "INVALID_INPUT", "field": "tags",
    }  # fmt: skip
    many = [f"doc-{i}" for i in range(1001)]
    extensions = await refused(server, query, q="x", f={"documentIds": many})
    assert extensions == {"code": "INVALID_INPUT", "field": "documentIds"}


async def test_a_tag_filter_counts_in_the_cost(server: DocentServer) -> None:
    search = FIELD_COSTS[("Query", "search")]
    fits = MAX_COST // search  # plain searches a request may make
    plain = [f's{i}: search(input: {{query: "x"}}) {{ tookMs }}' for i in range(fits)]
    await call(server, "alice", "{ " + " ".join(plain) + " }")
    cost = search * fits + TAG_FILTER_COST
    assert cost > MAX_COST
    for header, filter, variables in (
        ("", '{tags: ["hr"]}', {}),
        ("query($f: SearchFilter) ", "$f", {"f": {"tags": ["hr"]}}),
    ):
        tagged = f'search(input: {{query: "x", filter: {filter}}}) {{ tookMs }}'
        document = header + "{ " + " ".join([*plain[1:], f"t: {tagged}"]) + " }"
        extensions = await refused(server, document, **variables)
        assert extensions["code"] == "INVALID_INPUT" and extensions["cost"] == cost
    # An empty tag list filters nothing, and costs nothing more.
    empty = 'search(input: {query: "x", filter: {tags: []}}) { tookMs }'
    await call(server, "alice", "{ " + " ".join([*plain[1:], f"t: {empty}"]) + " }")
