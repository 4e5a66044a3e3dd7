"""docent with Cohere and Gemini, end to end: a real server process whose SDKs talk to the
local wire-protocol server (fake_providers.py), driven over HTTP and a real WebSocket.
Reranked, streamed, cited answers; degradation by the fallback chains, said in the answer;
a cancelled subscription closing Gemini's stream; the answer cache and its invalidation;
the embedding model guard; and keys that never reach a log or a response."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from support.fake_providers import FakeProviders, Reply, Stream
from support.samples import HANDBOOK_MD
from support.servers import (
    DocentServer,
    gql,
    gql_raw,
    running_server,
    subscribe,
    upload_ok,
    wait_ready,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ANSWER = """subscription Answer($input: AskInput!) {
  answer(input: $input) {
    __typename
    ... on AnswerSources { citations { index chunk { id page } } }
    ... on AnswerDelta { text }
    ... on AnswerDone { answer {
        text grounded model cached
        citations { index chunk { id text section } document { id title } }
        usage { inputTokens outputTokens }
        fallbacks { provider code message }
        timings { retrievalMs firstTokenMs totalMs } } }
    ... on AnswerError { code message }
  }
}"""

ASK = """query Ask($input: AskInput!) { ask(input: $input) {
  text grounded model cached fallbacks { provider code } citations { index } } }"""

SEARCH = """query Search($input: SearchInput!) { search(input: $input) {
  hits { score rerankScore chunk { text } } fallbacks { provider code message } } }"""

DELETE = "mutation Delete($id: ID!) { deleteDocument(id: $id) { userErrors { code } } }"

HOLIDAY = "How many days of paid holiday does every employee receive?"


def provider_env(fake: FakeProviders, **extra: str) -> dict[str, str]:
    return {
        "COHERE_API_KEY": fake.cohere_key,
        "GEMINI_API_KEY": fake.gemini_key,
        "DOCENT_COHERE_BASE_URL": fake.url,
        "DOCENT_GEMINI_BASE_URL": fake.url,
        "DOCENT_GENERATOR": "gemini,cohere,local",
        "DOCENT_RERANKER": "cohere,local,none",
        "DOCENT_PROVIDER_TIMEOUT_S": "5",
        "DOCENT_PROVIDER_ATTEMPTS": "3",
        "DOCENT_PROVIDER_MAX_BACKOFF_S": "1",
        "DOCENT_CIRCUIT_FAILURES": "50",
        "DOCENT_ANSWER_CACHE": "true",
        **extra,
    }


@pytest.fixture(scope="module")
def server(fake: FakeProviders, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    with running_server(tmp_path_factory.mktemp("providers"), provider_env(fake)) as s:
        asyncio.run(_load(s, "handbook.md", HANDBOOK_MD.encode()))
        yield s
        assert s.network_attempts() == [], s.network_attempts()
        assert_no_keys(fake, s.log())


async def _load(server: DocentServer, name: str, content: bytes) -> str:
    payload = await upload_ok(server, name, content)
    events = await wait_ready(server, payload["document"]["id"])
    assert events[-1]["status"] == "READY", events
    return str(payload["document"]["id"])


def assert_no_keys(fake: FakeProviders, *texts: str) -> None:
    for text in texts:
        assert fake.cohere_key not in text and fake.gemini_key not in text


@pytest.fixture(autouse=True)
def _fresh(fake: FakeProviders) -> None:
    fake.reset()


async def answer_events(server: DocentServer, question: str, **input: Any) -> list[dict[str, Any]]:
    return [
        e["answer"]
        async for e in subscribe(server.ws_url, ANSWER, {"input": {"question": question, **input}})
    ]


async def test_reranked_streamed_cited_answer(fake: FakeProviders, server: DocentServer) -> None:
    events = await answer_events(server, HOLIDAY, topK=3)
    kinds = [e["__typename"] for e in events]
    assert kinds[0] == "AnswerSources" and kinds[-1] == "AnswerDone"
    assert kinds.count("AnswerDelta") >= 3  # streamed in parts, as Gemini sent them
    answer = events[-1]["answer"]
    assert answer["model"] == "gemini/gemini-2.5-flash"
    assert answer["grounded"] and answer["fallbacks"] == [] and answer["cached"] is False
    assert "".join(e["text"] for e in events if e["__typename"] == "AnswerDelta") == answer["text"]
    assert "27 days" in answer["citations"][0]["chunk"]["text"]
    assert answer["usage"]["inputTokens"] > 0 and answer["usage"]["outputTokens"] > 0
    timings = answer["timings"]
    assert timings["totalMs"] >= timings["firstTokenMs"] >= timings["retrievalMs"] > 0
    # Cohere reranked the fused candidates before the top 3 went to Gemini.
    rerank = fake.calls("cohere.rerank")
    assert len(rerank) == 1 and len(rerank[0].body["documents"]) >= 3
    assert rerank[0].body["query"] == HOLIDAY
    prompt = fake.calls("gemini.generate")[0].body["contents"][0]["parts"][0]["text"]
    assert prompt.count("<source number=") == 3

    result = (
        await gql(server.url, SEARCH, {"input": {"query": "paid holiday days", "rerank": True}})
    )["search"]
    assert result["fallbacks"] == []
    scores = [h["rerankScore"] for h in result["hits"]]
    assert all(s is not None for s in scores) and scores == sorted(scores, reverse=True)


async def test_no_model_call_without_evidence(fake: FakeProviders, server: DocentServer) -> None:
    question = {"input": {"question": "What is the orbital period of Neptune's moon Triton?"}}
    answer = (await gql(server.url, ASK, question))["ask"]
    assert answer["grounded"] is False and answer["model"] is None
    assert answer["citations"] == [] and "could not find" in answer["text"]
    assert fake.calls("gemini.generate") == [] and fake.calls("cohere.chat") == []


async def test_degrades_by_the_fallback_chains_and_says_so(
    fake: FakeProviders, server: DocentServer
) -> None:
    fake.script("gemini.generate", *[Reply(status=503)] * 3)
    fake.script("cohere.rerank", Reply(status=401))
    events = await answer_events(server, "What is the holiday policy for employees?")
    answer = events[-1]["answer"]
    assert answer["model"] == "cohere/command-a-03-2025" and answer["grounded"]
    reasons = {(f["provider"], f["code"]) for f in answer["fallbacks"]}
    assert reasons == {
        ("cohere", "PROVIDER_AUTH"),
        ("gemini/gemini-2.5-flash", "PROVIDER_UNAVAILABLE"),
    }
    assert_no_keys(fake, json.dumps(events))

    # Everything down: the local generator still answers from the documents.
    fake.script("gemini.generate", *[Reply(status=429, headers={"Retry-After": "30"})])
    fake.script("cohere.chat", *[Reply(status=500)] * 3)
    fake.script("cohere.rerank", *[Reply(status=500)] * 3)
    answer = (
        await gql(
            server.url, ASK, {"input": {"question": "Can unused holiday days be carried over?"}}
        )
    )["ask"]
    assert "extractive" in answer["model"] and answer["grounded"]
    assert [f["code"] for f in answer["fallbacks"]] == [
        "PROVIDER_UNAVAILABLE",  # the cohere reranker (the local one then ranked)
        "RATE_LIMITED",
        "PROVIDER_UNAVAILABLE",
    ]


async def test_cancelling_the_subscription_closes_the_provider_stream(
    fake: FakeProviders, server: DocentServer
) -> None:
    fake.script(
        "gemini.generate",
        Stream(parts=["Every ", "employee ", "receives ", "27 days [1]"], gap_s=2.0),
    )
    async with websockets.connect(
        server.ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        op = uuid.uuid4().hex
        query = {
            "query": ANSWER,
            "variables": {"input": {"question": "paid holiday days per year?"}},
        }
        await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": query}))
        kinds = []
        while "AnswerDelta" not in kinds:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            kinds.append(message["payload"]["data"]["answer"]["__typename"])
        await ws.send(json.dumps({"id": op, "type": "complete"}))
        started = time.monotonic()
        for _ in range(100):
            if fake.stream_cancelled("gemini.generate"):
                break
            await asyncio.sleep(0.05)
        assert fake.stream_cancelled("gemini.generate") == 1
        assert time.monotonic() - started < 1.5  # at once, not after the next part


async def test_answer_cache_and_its_invalidation(fake: FakeProviders, server: DocentServer) -> None:
    question = {
        "input": {"question": "How many days of paid holiday per year does an employee get?"}
    }
    first = (await gql(server.url, ASK, question))["ask"]
    assert first["cached"] is False and len(fake.calls("gemini.generate")) == 1
    again = (await gql(server.url, ASK, {"input": {"question": "how many days of paid holiday per year does an employee get"}}))["ask"]  # fmt: skip
    assert again["cached"] is True and again["text"] == first["text"]
    assert len(fake.calls("gemini.generate")) == 1  # no model call
    events = await answer_events(
        server, "How many days of paid holiday does an employee get per year?"
    )
    assert events[-1]["answer"]["cached"] is True and events[1]["text"] == first["text"]
    other_scope = (await gql(server.url, ASK, {"input": {**question["input"], "topK": 2}}))["ask"]
    assert other_scope["cached"] is False

    # A new document changes what the answer may be: the cache is not used...
    memo = await _load(
        server,
        "memo.txt",
        b"Memo: from 2027, every employee receives 30 days of paid holiday per year.",
    )
    assert (await gql(server.url, ASK, question))["ask"]["cached"] is False
    assert (await gql(server.url, ASK, question))["ask"]["cached"] is True
    # ... nor after a document is deleted.
    deleted = await gql(server.url, DELETE, {"id": memo})
    assert deleted["deleteDocument"]["userErrors"] == []
    assert (await gql(server.url, ASK, question))["ask"]["cached"] is False


async def test_health_shows_the_circuits_and_metrics(
    fake: FakeProviders, server: DocentServer
) -> None:
    await gql(server.url, ASK, {"input": {"question": HOLIDAY}})
    async with httpx.AsyncClient() as client:
        ready = (await client.get(f"{server.base}/readyz")).json()
        metrics = (await client.get(f"{server.base}/metrics")).text
    assert ready["status"] == "ok"
    assert ready["providers"]["gemini.generate"] == "closed"
    assert 'docent_provider_circuit_state{operation="gemini.generate"} 0' in metrics
    assert 'docent_provider_calls_total{operation="cohere.rerank"}' in metrics
    assert_no_keys(fake, json.dumps(ready), metrics)


async def test_provider_embeddings_and_the_model_guard(fake: FakeProviders, tmp_path: Path) -> None:
    env = provider_env(
        fake,
        DOCENT_EMBEDDER="cohere",
        DOCENT_COHERE_EMBED_DIMENSION="256",
        DOCENT_GENERATOR="local",
        DOCENT_RERANKER="none",
        DOCENT_MIN_RELEVANCE="0.1",
    )
    with running_server(tmp_path / "cohere", env) as s:
        await _load(s, "handbook.md", HANDBOOK_MD.encode())
        embeds = fake.calls("cohere.embed")
        assert embeds and {c.body["input_type"] for c in embeds} == {"search_document"}
        hits = (await gql(s.url, SEARCH, {"input": {"query": "paid holiday days", "mode": "SEMANTIC"}}))["search"]["hits"]  # fmt: skip
        assert "27 days" in hits[0]["chunk"]["text"]
        assert fake.calls("cohere.embed")[-1].body["input_type"] == "search_query"

        # The embedder is down: no other model may embed the query (its vectors would not
        # match the index), so the search fails, saying why.
        fake.script("cohere.embed", *[Reply(status=503)] * 3)
        body = await gql_raw(s.url, SEARCH, {"input": {"query": "badges", "mode": "SEMANTIC"}})
        error = body["errors"][0]
        assert error["extensions"]["code"] == "PROVIDER_UNAVAILABLE"
        assert "cohere.embed is unavailable" in error["message"]

        # Ingestion waits for it: the document is READY once Cohere is back.
        fake.script("cohere.embed", *[Reply(status=503)] * 6)
        payload = await upload_ok(s, "later.txt", b"Parking permits are renewed every January.")
        events = await wait_ready(s, payload["document"]["id"])
        assert events[-1]["status"] == "READY", events
        assert [c.status for c in fake.calls("cohere.embed")][-7:] == [503] * 6 + [200]
        assert_no_keys(fake, s.log())

    # Restarting on the same index with another embedder is refused with a clear message.
    with (
        pytest.raises(RuntimeError, match=r"cohere/embed-v4\.0"),
        running_server(tmp_path / "cohere", provider_env(fake, DOCENT_GENERATOR="local")),
    ):
        pass
