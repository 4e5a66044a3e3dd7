"""End to end over the public contract: a real server process on a free port, uploads as
GraphQL multipart requests over HTTP, progress and answers over a real WebSocket, with every
non-loopback connection refused and recorded (nothing may be downloaded at run time)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest

from support.samples import HANDBOOK_MD, RECIPES_HTML, WARRANTY_PDF_PAGES, make_docx, make_pdf
from support.servers import (
    DocentServer,
    gql,
    gql_raw,
    running_server,
    subscribe,
    upload,
    upload_ok,
    wait_ready,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SEARCH = """query Search($input: SearchInput!) {
  search(input: $input) {
    tookMs
    hits {
      score keywordRank keywordScore semanticRank semanticScore highlights
      chunk { id text page pageEnd section documentId }
      document { id title }
    }
  }
}"""

ANSWER = """subscription Answer($input: AskInput!) {
  answer(input: $input) {
    __typename
    ... on AnswerSources { citations { index chunk { id page } document { id } } }
    ... on AnswerDelta { text }
    ... on AnswerDone { answer {
        text grounded model
        citations { index chunk { id text page section } document { id title } }
        sources { index }
        timings { retrievalMs firstTokenMs totalMs } } }
    ... on AnswerError { code message }
  }
}"""


@pytest.fixture(
    scope="module",
    params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)],
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DocentServer]:
    """A server of this module's own (so that its documents are the only ones), on each
    search backend."""
    env = {"DOCENT_MAX_UPLOAD_MB": "2"}
    if request.param == "elasticsearch":
        env.update(
            DOCENT_SEARCH_BACKEND="elasticsearch",
            DOCENT_ELASTICSEARCH_URL=request.getfixturevalue("es_url"),
            DOCENT_ELASTICSEARCH_INDEX_PREFIX=f"e2e-{uuid.uuid4().hex[:10]}",
        )
    with running_server(tmp_path_factory.mktemp("e2e"), env) as s:
        yield s
        # Nothing in this module may have tried to reach the network.
        assert s.network_attempts() == [], s.network_attempts()


@pytest.fixture(scope="module")
def corpus(server: DocentServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return asyncio.run(_make_corpus(server, tmp_path_factory))


async def _make_corpus(
    server: DocentServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    docx_path = make_docx(
        tmp_path_factory.mktemp("docx") / "garden.docx",
        [("Watering", ["Water the tomatoes every morning in summer."]),
         ("Pests", ["Aphids can be removed with soapy water sprayed on the leaves."])],
    )  # fmt: skip
    files = {
        "manual.pdf": make_pdf(WARRANTY_PDF_PAGES),
        "handbook.md": HANDBOOK_MD.encode(),
        "recipes.html": RECIPES_HTML.encode(),
        "garden.docx": docx_path.read_bytes(),
        "notes.txt": "Meeting notes\n\nThe board approved the new parking policy on Tuesday.\n".encode(
            "utf-16"
        ),
    }
    ids: dict[str, str] = {}
    for name, content in files.items():
        payload = await upload_ok(server, name, content, tags=["e2e"])
        assert payload["document"]["status"] == "QUEUED"
        assert payload["deduplicated"] is False
        ids[name] = payload["document"]["id"]
    for name, document_id in ids.items():
        events = await wait_ready(server, document_id)
        last = events[-1]
        assert last["status"] == "READY", (name, events)
        assert last["document"]["chunkCount"] > 0
    return ids


async def test_uploads_become_ready_with_progress(server: DocentServer) -> None:
    content = make_pdf(
        [["Progress test page one with some words."], ["And a second page."]], title="p"
    )
    payload = await upload_ok(server, "progress.pdf", content)
    assert payload["document"]["mimeType"] == "application/pdf"
    events = await wait_ready(server, payload["document"]["id"])
    stages = [e["stage"] for e in events]
    assert stages[-1] == "READY" and events[-1]["status"] == "READY"
    # a subscriber sees the stages it arrives in time for, in order
    order = ["QUEUED", "PARSING", "OCR", "CHUNKING", "EMBEDDING", "INDEXING", "READY"]
    positions = [order.index(s) for s in stages]
    assert positions == sorted(positions)
    assert events[-1]["document"]["pageCount"] == 2
    assert events[-1]["document"]["processedAt"]
    # a late subscriber gets the current state at once, and the stream ends
    late = await wait_ready(server, payload["document"]["id"])
    assert [e["stage"] for e in late] == ["READY"]


async def test_search_in_every_mode_finds_the_right_passage(
    server: DocentServer, corpus: dict[str, str]
) -> None:
    pdf = corpus["manual.pdf"]
    for mode in ("KEYWORD", "SEMANTIC", "HYBRID"):
        data = await gql(
            server.url,
            SEARCH,
            {"input": {"query": "How long does the warranty last?", "mode": mode, "topK": 3}},
        )
        hits = data["search"]["hits"]
        assert hits, mode
        top = hits[0]
        assert top["document"]["id"] == pdf, (mode, top)
        assert "24 months" in top["chunk"]["text"]
        assert top["chunk"]["page"] == 2
        assert data["search"]["tookMs"] > 0
        if mode == "KEYWORD":
            assert top["keywordRank"] == 1 and top["semanticRank"] is None
            assert any("<em>" in h for h in top["highlights"])
        elif mode == "SEMANTIC":
            assert top["semanticRank"] == 1 and top["keywordRank"] is None
            assert 0 < top["semanticScore"] <= 1
        else:
            assert top["keywordRank"] is not None and top["semanticRank"] is not None


async def test_search_filters_by_document(server: DocentServer, corpus: dict[str, str]) -> None:
    only = [corpus["handbook.md"]]
    data = await gql(
        server.url, SEARCH, {"input": {"query": "warranty", "documentIds": only, "topK": 5}}
    )
    assert {h["document"]["id"] for h in data["search"]["hits"]} <= set(only)


async def test_sections_and_formats(server: DocentServer, corpus: dict[str, str]) -> None:
    cases = [
        ("How many days of paid holiday do employees get?", "handbook.md", "27 days", "Holidays"),
        ("How long should the lemon cake bake?", "recipes.html", "45 minutes", "Lemon cake"),
        ("How do I get rid of aphids?", "garden.docx", "soapy water", "Pests"),
        ("What did the board approve?", "notes.txt", "parking policy", None),
    ]
    for question, name, needle, section in cases:
        data = await gql(server.url, SEARCH, {"input": {"query": question, "topK": 1}})
        [hit] = data["search"]["hits"]
        assert hit["document"]["id"] == corpus[name], (question, hit)
        assert needle in hit["chunk"]["text"]
        if section:
            assert section in (hit["chunk"]["section"] or ""), hit["chunk"]
    # the script of the HTML page is not text of the document
    data = await gql(
        server.url, SEARCH, {"input": {"query": "tracking ignore me", "mode": "KEYWORD"}}
    )
    assert all("tracking" not in h["chunk"]["text"] for h in data["search"]["hits"])


async def test_answer_streams_sources_deltas_then_done_with_page_citations(
    server: DocentServer, corpus: dict[str, str]
) -> None:
    events = [
        e["answer"]
        async for e in subscribe(
            server.ws_url,
            ANSWER,
            {"input": {"question": "How long is the warranty on the rocket skates?"}},
        )
    ]
    kinds = [e["__typename"] for e in events]
    assert kinds[0] == "AnswerSources"
    assert kinds[-1] == "AnswerDone"
    assert set(kinds[1:-1]) == {"AnswerDelta"} and len(kinds) > 3
    answer = events[-1]["answer"]
    assert "".join(e["text"] for e in events[1:-1]).strip() == answer["text"]
    assert answer["grounded"] is True
    assert "extractive" in answer["model"]
    assert "24 months" in answer["text"]
    cited = answer["citations"]
    assert cited, answer
    first = cited[0]
    assert f"[{first['index']}]" in answer["text"]
    assert first["document"]["id"] == corpus["manual.pdf"]
    assert first["chunk"]["page"] == 2 and "24 months" in first["chunk"]["text"]
    source_indexes = [c["index"] for c in events[0]["citations"]]
    assert {c["index"] for c in cited} <= set(source_indexes)
    assert answer["timings"]["totalMs"] >= answer["timings"]["retrievalMs"] > 0


async def test_ask_query_and_nothing_relevant(server: DocentServer, corpus: dict[str, str]) -> None:
    query = """query Ask($input: AskInput!) { ask(input: $input) { text grounded model citations { index } } }"""
    answer = (
        await gql(
            server.url, query, {"input": {"question": "When must expense claims be submitted?"}}
        )
    )["ask"]
    assert answer["grounded"] and "30 days" in answer["text"]
    unrelated = (
        await gql(
            server.url,
            query,
            {"input": {"question": "What is the orbital period of Neptune's moon Triton?"}},
        )
    )["ask"]
    assert unrelated["grounded"] is False
    assert unrelated["citations"] == []
    assert unrelated["model"] is None
    assert "could not find" in unrelated["text"]


async def test_documents_list_dedupe_reprocess_and_delete(
    server: DocentServer, corpus: dict[str, str]
) -> None:
    listing = """query List($first: Int, $after: String, $filter: DocumentFilter) {
      documents(first: $first, after: $after, filter: $filter) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status tags } } } }"""
    first = (await gql(server.url, listing, {"first": 2, "filter": {"tags": ["e2e"]}}))["documents"]
    assert first["totalCount"] == len(corpus)
    assert first["pageInfo"]["hasNextPage"] is True and len(first["edges"]) == 2
    rest = (
        await gql(
            server.url,
            listing,
            {"first": 50, "after": first["pageInfo"]["endCursor"], "filter": {"tags": ["e2e"]}},
        )
    )["documents"]
    ids = [e["node"]["id"] for e in first["edges"] + rest["edges"]]
    assert sorted(ids) == sorted(corpus.values())
    too_many = await gql_raw(server.url, listing, {"first": 1000})
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID_INPUT"

    again = await upload_ok(server, "copy-of-handbook.md", HANDBOOK_MD.encode())
    assert again["deduplicated"] is True and again["document"]["id"] == corpus["handbook.md"]

    reprocess = """mutation R($id: ID!) { reprocessDocument(id: $id) { document { id status version } userErrors { code } } }"""
    payload = (await gql(server.url, reprocess, {"id": corpus["recipes.html"]}))[
        "reprocessDocument"
    ]
    assert payload["document"]["status"] == "QUEUED" and payload["document"]["version"] == 2
    events = await wait_ready(server, corpus["recipes.html"])
    assert events[-1]["status"] == "READY" and events[-1]["version"] == 2
    search = await gql(
        server.url, SEARCH, {"input": {"query": "lemon cake", "mode": "KEYWORD", "topK": 20}}
    )
    chunk_ids = [
        h["chunk"]["id"]
        for h in search["search"]["hits"]
        if h["document"]["id"] == corpus["recipes.html"]
    ]
    assert chunk_ids and len(chunk_ids) == len(set(chunk_ids))  # replaced, not duplicated

    delete = """mutation D($id: ID!) { deleteDocument(id: $id) { deletedDocumentId userErrors { code message } } }"""
    victim = corpus["garden.docx"]
    assert (await gql(server.url, delete, {"id": victim}))["deleteDocument"][
        "deletedDocumentId"
    ] == victim
    assert (await gql(server.url, "query($id: ID!) { document(id: $id) { id } }", {"id": victim}))[
        "document"
    ] is None
    search = await gql(server.url, SEARCH, {"input": {"query": "aphids soapy water", "topK": 10}})
    assert all(h["document"]["id"] != victim for h in search["search"]["hits"])
    gone = (await gql(server.url, delete, {"id": victim}))["deleteDocument"]
    assert gone["deletedDocumentId"] is None and gone["userErrors"][0]["code"] == "NOT_FOUND"
    assert not list((server.data_dir / "blobs").rglob(victim))


@pytest.mark.parametrize(
    ("name", "content", "code", "words"),
    [
        ("archive.txt", b"PK\x05\x06" + b"\x00" * 18, "UNSUPPORTED_TYPE", "ZIP archive"),
        (
            "program.pdf",
            b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
            "UNSUPPORTED_TYPE",
            "ELF executable",
        ),
        # unknown binary: "it is a file of binary data of an unknown kind" (once "a binary data")
        ("blob.bin", bytes(range(256)) * 4, "UNSUPPORTED_TYPE", "it is a file of binary data"),
        ("empty.txt", b"", "EMPTY", "empty"),
        ("big.txt", b"a" * (2 * 1024 * 1024 + 10), "TOO_LARGE", "2.0 MB"),
    ],
)
async def test_refused_uploads_say_why(
    server: DocentServer, name: str, content: bytes, code: str, words: str
) -> None:
    response = await upload(server.url, name, content)
    assert response.status_code == 200
    [error] = response.json()["data"]["uploadDocument"]["userErrors"]
    assert error["code"] == code and words in error["message"]
    assert not list((server.data_dir / "blobs" / ".staging").glob("upload-*"))


async def test_whitespace_document_fails_with_a_reason(server: DocentServer) -> None:
    payload = await upload_ok(server, "blank.txt", b"   \n\n\t  \n")
    events = await wait_ready(server, payload["document"]["id"])
    assert events[-1]["status"] == "FAILED"
    assert events[-1]["error"]["code"] == "EMPTY"
    doc = (
        await gql(
            server.url,
            "query($id: ID!) { document(id: $id) { status error { code message } } }",
            {"id": payload["document"]["id"]},
        )
    )["document"]
    assert doc["status"] == "FAILED" and "whitespace" in doc["error"]["message"]


async def test_transport_rules(server: DocentServer) -> None:
    # multipart without a preflight header is refused (CSRF)
    response = await upload(server.url, "x.txt", b"hello there", headers={})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    response = await upload(
        server.url, "x.txt", b"hello there world", headers={"X-Requested-With": "XMLHttpRequest"}
    )
    assert response.status_code == 200 and response.json()["data"]["uploadDocument"]["document"]
    # an oversized body is refused before it is read
    async with httpx.AsyncClient() as client:
        big = await client.post(server.url, content=b"x" * (3 * 1024 * 1024),
                                headers={"content-type": "multipart/form-data; boundary=x", "x-requested-with": "t"})  # fmt: skip
        assert big.status_code == 413
        # no trailing-slash redirect; GraphiQL for browsers; health
        plain = await client.post(
            server.url, json={"query": "{ viewer { id name documentCount } }"}
        )
        assert plain.status_code == 200 and plain.json()["data"]["viewer"]["id"] == "local"
        assert plain.headers["x-request-id"]
        page = await client.get(server.url, headers={"accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert "unpkg.com" not in page.text
        assert (await client.get(f"{server.base}/healthz")).json() == {"status": "ok"}
        ready = (await client.get(f"{server.base}/readyz")).json()
        assert ready["status"] == "ok" and ready["checks"]["search"] == "ok"


async def test_bad_input_gets_stable_codes(server: DocentServer) -> None:
    body = await gql_raw(server.url, 'query { search(input: {query: "   "}) { tookMs } }')
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    # Only invisible characters (zero-width space, BOM, NUL, a bidi override) are as empty:
    # they returned ten passages "similar" to nothing (a trial).
    for invisible in ("\u200b\u200b", "\ufeff", "\x00", "\u202e\u200d"):
        body = await gql_raw(
            server.url,
            "query($q: String!) { search(input: {query: $q}) { hits { score } } }",
            {"q": invisible},
        )
        assert body.get("data") is None, (invisible, body)
        assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "query"}
        assert body["errors"][0]["message"] == "the query is empty"
        events = [
            e["answer"]
            async for e in subscribe(server.ws_url, ANSWER, {"input": {"question": invisible}})
        ]
        assert events == [
            {
                "__typename": "AnswerError",
                "code": "INVALID_INPUT",
                "message": "the question is empty",
            }
        ], invisible
    body = await gql_raw(server.url, 'query { search(input: {query: "x", topK: 1000}) { tookMs } }')
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    body = await gql_raw(
        server.url, 'query { ask(input: {question: "%s"}) { text } }' % ("why " * 1000)
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    events = [
        e["answer"] async for e in subscribe(server.ws_url, ANSWER, {"input": {"question": ""}})
    ]
    assert events == [
        {"__typename": "AnswerError", "code": "INVALID_INPUT", "message": "the question is empty"}
    ]
    unknown = await gql_raw(server.url, 'query { document(id: "nope") { id } }')
    assert unknown["data"]["document"] is None
    events_of_unknown = await gql_raw(server.url, "{ nosuchfield }")
    assert "nosuchfield" in events_of_unknown["errors"][0]["message"]


async def test_websocket_from_another_site_is_refused(server: DocentServer) -> None:
    import websockets

    protocols = [websockets.Subprotocol("graphql-transport-ws")]
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(
            server.ws_url, subprotocols=protocols, origin=websockets.Origin("https://evil.example")
        ):
            pass
    # the same site (the page served by docent) is welcome
    async with websockets.connect(
        server.ws_url, subprotocols=protocols, origin=websockets.Origin(server.base)
    ) as ws:
        assert ws.subprotocol == "graphql-transport-ws"
