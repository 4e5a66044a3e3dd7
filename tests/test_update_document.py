"""updateDocument through a real server: the owner changes a document's title, tags and
sharing; the title and tags are cleaned as an upload's are, and reach the index once the
document is processed again (keyword search finds the new title's words); sharing alone
changes at once; anyone else gets NOT_FOUND or FORBIDDEN as a userError."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_files_api import SECRET, upload_as

from docent.api.auth import DevAuth

from support.servers import DocentServer, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TOKENS = {
    name: DevAuth(SECRET).mint(name, groups=groups)
    for name, groups in {"alice": ("eng",), "bob": ("eng",), "carol": ()}.items()
}
UPDATE = """mutation($id: ID!, $title: String, $tags: [String!], $v: Visibility, $g: String) {
  updateDocument(id: $id, title: $title, tags: $tags, visibility: $v, group: $g) {
    document { id title tags visibility group version status }
    userErrors { code field message } } }"""
STATUS = "query($id: ID!) { document(id: $id) { status version title tags } }"
BY_TAG = """query($tags: [String!]) { documents(first: 50, filter: {tags: $tags}) {
  edges { node { id } } } }"""
KEYWORD = """query($q: String!) { search(input: {query: $q, mode: KEYWORD, topK: 10}) {
  hits { document { id title } } } }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET}
    with running_server(tmp_path_factory.mktemp("update"), env) as s:
        yield s


async def call(server: DocentServer, user: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            server.url,
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {TOKENS[user]}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def ready(server: DocentServer, document_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        document = (await call(server, "alice", STATUS, id=document_id))["document"]
        if document["status"] in ("READY", "FAILED"):
            assert document["status"] == "READY", document
            return dict(document)
        await asyncio.sleep(0.3)
    raise AssertionError("not processed in time")


async def test_the_owner_renames_and_retags_and_the_index_follows(server: DocentServer) -> None:
    text = b"Travel rules: book trains for trips under four hours; receipts within a month."
    document_id = await upload_as(server, "alice", "travel.txt", text)
    before = await ready(server, document_id)
    payload = (
        await call(
            server, "alice", UPDATE, id=document_id,
            title="  Quetzalcoatl\u200b expenses  ", tags=["finance", " finance ", "2026"],
        )
    )["updateDocument"]  # fmt: skip
    assert payload["userErrors"] == []
    document = payload["document"]
    assert document["title"] == "Quetzalcoatl expenses"
    assert document["tags"] == ["finance", "2026"]
    assert document["version"] == before["version"] + 1
    found = await call(server, "alice", BY_TAG, tags=["finance"])
    assert [e["node"]["id"] for e in found["documents"]["edges"]] == [document_id]
    await ready(server, document_id)
    hits = (await call(server, "alice", KEYWORD, q="quetzalcoatl"))["search"]["hits"]
    assert [h["document"]["id"] for h in hits] == [document_id]
    assert hits[0]["document"]["title"] == "Quetzalcoatl expenses"
    # Nothing changed: nothing queued.
    same = await call(server, "alice", UPDATE, id=document_id, tags=["finance", "2026"])
    assert same["updateDocument"]["document"]["version"] == document["version"]


async def test_sharing_alone_changes_in_place(server: DocentServer) -> None:
    document_id = await upload_as(
        server, "alice", "shared.txt", b"Roadmap notes for the eng group."
    )
    first = (await call(server, "alice", STATUS, id=document_id))["document"]
    shared = (await call(server, "alice", UPDATE, id=document_id, v="GROUP", g="eng"))[
        "updateDocument"
    ]
    assert shared["userErrors"] == []
    assert (shared["document"]["visibility"], shared["document"]["group"]) == ("GROUP", "eng")
    assert shared["document"]["version"] == first["version"]
    seen = await call(server, "bob", "query($id: ID!) { document(id: $id) { id } }", id=document_id)
    assert seen["document"] == {"id": document_id}
    # A group member may read it, not change it; a stranger is told it does not exist.
    bob = (await call(server, "bob", UPDATE, id=document_id, title="Bob's now"))["updateDocument"]
    assert bob["document"] is None and bob["userErrors"][0]["code"] == "FORBIDDEN"
    carol = (await call(server, "carol", UPDATE, id=document_id, title="x"))["updateDocument"]
    assert carol["document"] is None and carol["userErrors"][0]["code"] == "NOT_FOUND"
    outsider = await call(server, "alice", UPDATE, id=document_id, v="GROUP", g="ops")
    assert outsider["updateDocument"]["userErrors"][0]["field"] == "group"
    private = (await call(server, "alice", UPDATE, id=document_id, v="PRIVATE"))["updateDocument"]
    assert (private["document"]["visibility"], private["document"]["group"]) == ("PRIVATE", None)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "t" * 100_000}, "title"),
        ({"tags": [f"tag{i}" for i in range(500)]}, "tags"),
        ({"tags": ["x" * 10_000]}, "tags"),
    ],
)
async def test_bad_labels_are_user_errors(
    server: DocentServer, changes: dict[str, Any], field: str
) -> None:
    document_id = await upload_as(server, "alice", f"labels-{field}.txt", f"{changes}".encode())
    payload = (await call(server, "alice", UPDATE, id=document_id, **changes))["updateDocument"]
    assert payload["document"] is None
    assert payload["userErrors"][0]["code"] == "INVALID_INPUT"
    assert payload["userErrors"][0]["field"] == field


REPROCESS = """mutation($id: ID!) { reprocessDocument(id: $id) {
  document { id } userErrors { code field message } } }"""


async def test_a_new_title_or_tags_spends_the_upload_budget(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Found by a trial user: renaming queued the whole document again for free, so a loop
    # of renames kept the workers busy past any upload limit. Reprocessing is the same kind.
    env = {
        "DOCENT_AUTH": "dev",
        "DOCENT_DEV_SECRET": SECRET,
        "DOCENT_RATE_LIMITS": "upload=3/hour; per_address=off",
    }
    with running_server(tmp_path_factory.mktemp("update-limits"), env) as limited:
        document_id = await upload_as(limited, "alice", "memo.txt", b"Limits memo: short.")
        first = await call(limited, "alice", UPDATE, id=document_id, title="Memo one")
        assert first["updateDocument"]["userErrors"] == []
        second = await call(limited, "alice", UPDATE, id=document_id, tags=["memo"])
        assert second["updateDocument"]["userErrors"] == []
        # Sharing alone queues nothing: it spends nothing.
        shared = await call(limited, "alice", UPDATE, id=document_id, v="GROUP", g="eng")
        assert shared["updateDocument"]["userErrors"] == []
        third = await call(limited, "alice", UPDATE, id=document_id, title="Memo two")
        [error] = third["updateDocument"]["userErrors"]
        assert error["code"] == "RATE_LIMITED" and "uploads" in error["message"], error
        again = await call(limited, "alice", REPROCESS, id=document_id)
        assert again["reprocessDocument"]["userErrors"][0]["code"] == "RATE_LIMITED"
