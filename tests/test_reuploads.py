"""Uploading again, through a real server on both search backends (issue 12, "Re-uploads"):
the same bytes retry a FAILED document and apply a new title or tags; `replaces` gives a
document new content under its id and next version, stopping the version being processed;
`similarTo` names your other documents of the same file name or title; another user's id
is NOT_FOUND, as for `document(id)`."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from docent.api.auth import DevAuth

from support.samples import make_pdf
from support.servers import DocentServer, running_server, subscribe

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SECRET = "reuploads-test-secret-" + "x" * 32
TOKENS = {
    name: DevAuth(SECRET).mint(name, groups=groups)
    for name, groups in {"alice": ("eng",), "bob": ("eng",)}.items()
}

UPLOAD = """mutation($file: Upload!, $title: String, $tags: [String!], $replaces: ID,
                     $visibility: Visibility! = PRIVATE, $group: String) {
  uploadDocument(file: $file, title: $title, tags: $tags, replaces: $replaces,
                 visibility: $visibility, group: $group) {
    document { id title filename sha256 status tags version visibility group }
    deduplicated
    similarTo { id filename title }
    userErrors { code message field }
  }
}"""
WATCH = """subscription($id: ID!) { documentEvents(id: $id) {
  status stage version current error { code message } document { chunkCount } } }"""
DOCUMENT = """query($id: ID!) { document(id: $id) {
  id title filename sha256 status tags version chunkCount error { code } } }"""
SEARCH = """query($q: String!, $ids: [ID!]) {
  search(input: {query: $q, mode: KEYWORD, topK: 50, documentIds: $ids}) {
    hits { chunk { text } document { id title } } } }"""
BY_TAG = """query($tag: String!) { documents(first: 50, filter: {tags: [$tag]}) {
  edges { node { id } } } }"""
SHARE = """mutation($id: ID!) { setDocumentVisibility(id: $id, visibility: GROUP, group: "eng") {
  userErrors { code } } }"""


def backend_env(request: pytest.FixtureRequest) -> dict[str, str]:
    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET, "DOCENT_WORKER_CONCURRENCY": "1"}
    if request.param == "elasticsearch":
        env.update(
            DOCENT_SEARCH_BACKEND="elasticsearch",
            DOCENT_ELASTICSEARCH_URL=request.getfixturevalue("es_url"),
            DOCENT_ELASTICSEARCH_INDEX_PREFIX=f"reup-{uuid.uuid4().hex[:10]}",
        )
    return env


BACKENDS = ["embedded", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)]


@pytest.fixture(scope="module", params=BACKENDS)
def env(request: pytest.FixtureRequest) -> dict[str, str]:
    return backend_env(request)


@pytest.fixture(scope="module")
def server(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    """A server whose in-process worker takes one job at a time (a replaced version's run
    must stop for the next one to start)."""
    with running_server(tmp_path_factory.mktemp("reuploads"), env) as running:
        yield running
        assert running.network_attempts() == []


async def put(
    server: DocentServer, name: str, content: bytes, *, user: str = "alice", **variables: Any
) -> dict[str, Any]:
    """uploadDocument as a multipart request; its payload."""
    operations = {"query": UPLOAD, "variables": {"file": None, **variables}}
    async with httpx.AsyncClient(timeout=120) as client:
        response = await client.post(
            server.url,
            data={"operations": json.dumps(operations), "map": '{"0": ["variables.file"]}'},
            files={"0": (name, content, "application/octet-stream")},
            headers={"Apollo-Require-Preflight": "1", "authorization": f"Bearer {TOKENS[user]}"},
        )
    body = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["uploadDocument"]
    return payload


async def query(
    server: DocentServer, text: str, *, user: str = "alice", **variables: Any
) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            server.url,
            json={"query": text, "variables": variables},
            headers={"authorization": f"Bearer {TOKENS[user]}"},
        )
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def finished(
    server: DocentServer, document_id: str, *, timeout: float = 300
) -> list[dict[str, Any]]:
    """The document's events until it is READY or FAILED."""
    return [
        e["documentEvents"]
        async for e in subscribe(
            server.ws_url, WATCH, {"id": document_id}, timeout=timeout, token=TOKENS["alice"]
        )
    ]


async def ready(server: DocentServer, name: str, content: bytes, **variables: Any) -> str:
    payload = await put(server, name, content, **variables)
    assert payload["userErrors"] == [], payload
    events = await finished(server, payload["document"]["id"])
    assert events[-1]["status"] == "READY", events
    return str(payload["document"]["id"])


async def found(server: DocentServer, words: str, document_id: str) -> list[str]:
    """The texts of the passages of the document a KEYWORD search for `words` finds."""
    data = await query(server, SEARCH, q=words, ids=[document_id])
    return [hit["chunk"]["text"] for hit in data["search"]["hits"]]


def text(*lines: str) -> bytes:
    return "\n\n".join(lines).encode()


def long_markdown(sections: int) -> bytes:
    """About one chunk per section, all of the words 'lighthouse keeper'."""
    return "\n\n".join(
        f"## Part {i}\n\n"
        + " ".join(f"The lighthouse keeper logs lamp {i}-{j} at dusk." for j in range(12))
        for i in range(sections)
    ).encode()


# The same bytes again -------------------------------------------------------------------


async def test_a_failed_document_uploaded_again_is_processed_again(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The same bytes of a FAILED document were handed back FAILED. Here a PDF over the
    page limit fails; the administrator raises DOCENT_MAX_PAGES and restarts; the owner
    uploads the file again, and it is processed again, as its next version, to READY."""
    pdf = make_pdf([[f"Page {n} of the turbine inspection report."] for n in range(3)])
    env = dict(env)
    if "DOCENT_ELASTICSEARCH_INDEX_PREFIX" in env:  # indices of its own
        env["DOCENT_ELASTICSEARCH_INDEX_PREFIX"] += "-failed"
    with running_server(tmp_path / "data", {**env, "DOCENT_MAX_PAGES": "2"}) as server:
        first = await put(server, "inspection.pdf", pdf)
        document = first["document"]["id"]
        events = await finished(server, document)
        assert events[-1]["status"] == "FAILED"
        assert events[-1]["error"]["code"] == "TOO_LARGE"
    with running_server(tmp_path / "data", env) as server:
        again = await put(server, "inspection.pdf", pdf)
        assert again["userErrors"] == []
        assert again["deduplicated"] is True
        assert again["document"]["id"] == document
        assert again["document"]["status"] == "QUEUED"
        assert again["document"]["version"] == 2
        events = await finished(server, document)
        assert events[-1]["status"] == "READY", events
        assert events[-1]["version"] == 2
        stored = (await query(server, DOCUMENT, id=document))["document"]
        assert stored["error"] is None
        assert await found(server, "turbine inspection", document)


async def test_the_same_bytes_with_a_new_title_and_tags_apply_them(server: DocentServer) -> None:
    """A new title or tags with the same bytes were silently ignored. They are applied (as
    the document's next version, so its passages carry them too); the same bytes with no
    title or tags leave the document as it is."""
    content = text("Onboarding checklist", "Badge, laptop and the quokka handbook.")
    document = await ready(server, "checklist.md", content, title="Checklist", tags=["hr"])

    plain = await put(server, "checklist-copy.md", content)
    assert plain["deduplicated"] is True
    assert plain["document"]["id"] == document
    assert plain["document"]["version"] == 1
    assert (plain["document"]["title"], plain["document"]["tags"]) == ("Checklist", ["hr"])

    again = await put(server, "checklist.md", content, title="Onboarding 2025", tags=["people"])
    assert again["userErrors"] == []
    assert again["deduplicated"] is True
    assert again["document"]["id"] == document
    assert again["document"]["title"] == "Onboarding 2025"
    assert again["document"]["tags"] == ["people"]
    assert again["document"]["version"] == 2
    assert (await finished(server, document))[-1]["status"] == "READY"

    stored = (await query(server, DOCUMENT, id=document))["document"]
    assert (stored["title"], stored["tags"], stored["version"]) == (
        "Onboarding 2025",
        ["people"],
        2,
    )
    tagged = (await query(server, BY_TAG, tag="people"))["documents"]["edges"]
    assert document in [edge["node"]["id"] for edge in tagged]
    hits = (await query(server, SEARCH, q="quokka handbook", ids=[document]))["search"]["hits"]
    assert hits
    assert {hit["document"]["title"] for hit in hits} == {"Onboarding 2025"}


# Replacing a document ---------------------------------------------------------------------


async def test_replaces_keeps_the_id_bumps_the_version_and_drops_the_old_passages(
    server: DocentServer,
) -> None:
    old = text("Travel policy", "Economy class for every flight; the zanzibar allowance is 40.")
    new = text("Travel policy", "Premium economy over six hours; the quetzal allowance is 55.")
    document = await ready(server, "travel.md", old, title="Travel", tags=["policy"])
    assert await found(server, "zanzibar", document)

    payload = await put(server, "travel.md", new, replaces=document)
    assert payload["userErrors"] == []
    assert payload["deduplicated"] is False
    replaced = payload["document"]
    assert replaced["id"] == document
    assert replaced["version"] == 2
    assert replaced["status"] == "QUEUED"
    assert replaced["sha256"] == hashlib.sha256(new).hexdigest()
    assert (replaced["title"], replaced["tags"]) == ("Travel", ["policy"])  # kept
    assert payload["similarTo"] == []  # the replaced document is not "another" one

    events = await finished(server, document)
    assert events[-1]["status"] == "READY"
    assert events[-1]["version"] == 2
    assert await found(server, "zanzibar", document) == []
    assert await found(server, "quetzal", document)
    listed = (await query(server, BY_TAG, tag="policy"))["documents"]["edges"]
    assert [e["node"]["id"] for e in listed].count(document) == 1

    # The old bytes are no longer this document's: uploaded again, they are a new one.
    back = await put(server, "travel-2024.md", old)
    assert back["deduplicated"] is False
    assert back["document"]["id"] != document
    # New bytes that are another of your documents: refused, nothing changed.
    clash = await put(server, "travel.md", old, replaces=document)
    assert [e["code"] for e in clash["userErrors"]] == ["CONFLICT"]
    assert clash["document"] is None
    assert (await query(server, DOCUMENT, id=document))["document"]["version"] == 2


async def test_replacing_a_document_while_it_is_processed_stops_the_old_version(
    server: DocentServer,
) -> None:
    """Replaced mid-embedding, the first version's run stops (the one-job worker starts the
    new version) and writes nothing: only the new content is found."""
    first = await put(server, "lighthouse.md", long_markdown(2000), title="Logbook")
    document = first["document"]["id"]
    async for event in subscribe(
        server.ws_url, WATCH, {"id": document}, timeout=300, token=TOKENS["alice"]
    ):
        progress = event["documentEvents"]
        if progress["stage"] == "EMBEDDING" and (progress["current"] or 0) >= 16:
            break
        assert progress["status"] not in ("READY", "FAILED"), progress

    short = text("Logbook", "The harbour master moved the ferry schedule to noon.")
    payload = await put(server, "lighthouse.md", short, replaces=document)
    assert payload["userErrors"] == []
    assert payload["document"]["version"] == 2

    events = await finished(server, document, timeout=600)
    assert events[-1]["status"] == "READY", events
    assert events[-1]["version"] == 2
    assert events[-1]["document"]["chunkCount"] == 1
    assert await found(server, "lighthouse keeper", document) == []
    assert await found(server, "ferry schedule", document)
    stored = (await query(server, DOCUMENT, id=document))["document"]
    assert (stored["title"], stored["version"], stored["chunkCount"]) == ("Logbook", 2, 1)


async def test_same_name_uploads_list_the_other_documents_of_that_name(
    server: DocentServer,
) -> None:
    """A second file of the same name became a second document with no warning. It still
    does (keep both), and the payload names the others, newest first; another user's
    documents of that name are never named."""
    theirs = await put(server, "minutes.md", text("Bob's minutes of the budget call."), user="bob")
    assert theirs["similarTo"] == []
    first = await put(server, "minutes.md", text("Minutes of March: the roof repair."))
    assert first["similarTo"] == []
    second = await put(server, "minutes.md", text("Minutes of April: the parking lot."))
    assert second["deduplicated"] is False
    assert second["document"]["id"] != first["document"]["id"]
    assert [d["id"] for d in second["similarTo"]] == [first["document"]["id"]]
    # A file named otherwise, titled as the others are named.
    third = await put(server, "may.md", text("Minutes of May: the garden."), title="minutes.md")
    assert [d["id"] for d in third["similarTo"]] == [
        second["document"]["id"],
        first["document"]["id"],
    ]
    unrelated = await put(server, "agenda.md", text("Agenda of June: the elevator."))
    assert unrelated["similarTo"] == []


async def test_another_users_document_cannot_be_replaced(server: DocentServer) -> None:
    """Another user's id answers as one that does not exist (NOT_FOUND, same message); a
    document only shared with you is FORBIDDEN; neither changes."""
    content = text("Alice's roadmap: the orchid release ships in May.")
    document = await ready(server, "roadmap.md", content)
    attempt = text("Bob's overwrite.")

    foreign = await put(server, "roadmap.md", attempt, user="bob", replaces=document)
    missing = await put(server, "roadmap.md", attempt, user="bob", replaces=uuid.uuid4().hex)
    assert foreign["document"] is None
    assert foreign["similarTo"] == []
    assert foreign["userErrors"] == missing["userErrors"]
    assert foreign["userErrors"] == [
        {"code": "NOT_FOUND", "message": "no document with this id", "field": "replaces"}
    ]

    assert (await query(server, SHARE, id=document))["setDocumentVisibility"]["userErrors"] == []
    shared = await put(server, "roadmap.md", attempt, user="bob", replaces=document)
    assert [(e["code"], e["field"]) for e in shared["userErrors"]] == [("FORBIDDEN", "replaces")]

    stored = (await query(server, DOCUMENT, id=document))["document"]
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored["version"] == 1
    assert await found(server, "orchid release", document)
