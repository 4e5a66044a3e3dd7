"""The fake Cohere + Gemini server, driven through the official SDKs: it proves the wire
formats the SDKs parse, and the SDK facts in fake_providers' docstring (exception classes,
Retry-After, the SDKs' own retries, how a stream is closed)."""

from __future__ import annotations

import asyncio
import gc
import json
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import cohere
import httpx
import pytest
from cohere.core.api_error import ApiError
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from docent.answering.prompting import build_prompt
from docent.domain import Chunk, Hit
from docent.roles import Source

from support.fake_providers import NO_ANSWER, FakeProviders, Reply, Stream, answer, embed

pytestmark = pytest.mark.timeout(30)

QUESTION = "How long do refunds take?"
ANSWER = "Refunds take ten days to arrive. [2]"


def _source(index: int, text: str) -> Source:
    chunk = Chunk(id=f"c{index}", document_id="d", ordinal=index, text=text, page=index)
    return Source(index=index, hit=Hit(chunk=chunk, document_title="Handbook", score=1.0))


PROMPT = build_prompt(
    QUESTION,
    [
        _source(1, "Cats sleep most of the day. They purr when content."),
        _source(2, "Refunds take ten days to arrive.\nContact support if they do not."),
        _source(3, "Shipping is free above fifty euros."),
    ],
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviders]:
    with FakeProviders() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeProviders) -> FakeProviders:
    server.reset()
    return server


@pytest.fixture
async def co(fake: FakeProviders) -> AsyncIterator[cohere.AsyncClientV2]:
    async with cohere.AsyncClientV2(
        api_key=fake.cohere_key, base_url=fake.url, max_retries=0
    ) as client:
        yield client


@pytest.fixture(params=["aiohttp", "httpx"])
async def gemini(
    request: pytest.FixtureRequest, fake: FakeProviders
) -> AsyncIterator[genai.Client]:
    """A Gemini client without the SDK's own retries, on each async transport."""
    options = types.HttpOptions(base_url=fake.url, retry_options=types.HttpRetryOptions(attempts=1))
    http: httpx.AsyncClient | None = None
    if request.param == "httpx":
        http = httpx.AsyncClient()
        options.httpx_async_client = http
    client = genai.Client(api_key=fake.gemini_key, http_options=options)
    yield client
    await client.aio.aclose()
    if http is not None:
        await http.aclose()
    await _settle()


async def _settle() -> None:
    """Lets the loop run finalisers of generators collected in the test."""
    gc.collect()
    for _ in range(5):
        await asyncio.sleep(0)


async def _eventually(condition: Callable[[], bool], timeout_s: float = 2.0) -> float:
    """Seconds until `condition()` is true; fails after `timeout_s`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            pytest.fail(f"not true within {timeout_s} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - start


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def delta_text(event: Any) -> str:
    """The text of a Cohere content-delta event."""
    return str(event.delta.message.content.text)


def cohere_messages(prompt: str = PROMPT.user) -> list[Any]:
    return [
        cohere.SystemChatMessageV2(content=PROMPT.system),
        cohere.UserChatMessageV2(content=prompt),
    ]


def texts(*items: str) -> Any:
    """Texts for embed_content (whose `contents` type does not accept a list[str])."""
    return list(items)


def gemini_config() -> types.GenerateContentConfig:
    return types.GenerateContentConfig(system_instruction=PROMPT.system, temperature=0.1)


# --- deterministic answers ----------------------------------------------------------------


def test_answer_picks_the_source_sharing_most_words_with_the_question():
    assert answer(PROMPT.user) == ANSWER
    assert answer("Question: anything at all?") == NO_ANSWER
    truncated = '<source number="4">\n[4] "T", page 1\nDogs bark loudly. Often.\n\nQuestion: dogs?'
    assert answer(truncated) == "Dogs bark loudly. [4]"


def test_embeddings_are_deterministic_and_never_zero():
    a, b, c = (embed(t, 64) for t in ("refunds take ten days", "refunds days", "cats purr"))
    assert a == embed("Refunds take TEN days", 64)
    assert cosine(a, b) > 0.5 > cosine(a, c)
    assert any(embed("", 8)) and any(embed("the of", 8))
    assert embed("__zero__", 8) == [0.0] * 8
    assert len(embed("__short__", 8)) == 7


def test_script_rejects_unknown_routes_and_streams_on_json_routes(fake: FakeProviders):
    with pytest.raises(ValueError, match="unknown route"):
        fake.script("cohere.generate", Reply())
    with pytest.raises(ValueError, match="does not stream"):
        fake.script("gemini.embed", Stream())
    with pytest.raises(ValueError):
        fake.calls("nope")


# --- Cohere -------------------------------------------------------------------------------


async def test_cohere_embed(fake: FakeProviders, co: cohere.AsyncClientV2):
    texts = ["refunds take ten days", "how long do refunds take", "cats purr", "__short__"]
    response = await co.embed(
        model="embed-v4.0",
        texts=texts,
        input_type="search_document",
        embedding_types=["float"],
        output_dimension=256,
    )
    vectors = response.embeddings.float_
    assert vectors is not None
    assert [len(v) for v in vectors] == [256, 256, 256, 255]
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    default = await co.embed(
        model="embed-v4.0", texts=["x"], input_type="search_query", embedding_types=["float"]
    )
    assert default.embeddings.float_ is not None
    assert len(default.embeddings.float_[0]) == 1024
    calls = fake.calls("cohere.embed")
    assert [c.body["input_type"] for c in calls] == ["search_document", "search_query"]
    assert calls[0].body["texts"] == texts
    assert calls[0].headers["authorization"] == f"Bearer {fake.cohere_key}"
    assert [c.status for c in calls] == [200, 200]


async def test_cohere_rerank(fake: FakeProviders, co: cohere.AsyncClientV2):
    documents = ["Cats purr.", "Refunds take ten days.", "Refunds are rare.", "Shipping."]
    response = await co.rerank(
        model="rerank-v3.5", query="how long do refunds take", documents=documents, top_n=3
    )
    assert [r.index for r in response.results] == [1, 2, 0]
    scores = [r.relevance_score for r in response.results]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores) and scores[0] > scores[1] > 0
    assert fake.calls("cohere.rerank")[0].body["top_n"] == 3


async def test_cohere_chat_stream(fake: FakeProviders, co: cohere.AsyncClientV2):
    kinds: list[str] = []
    text: list[str] = []
    end: Any = None
    async for event in co.chat_stream(model="command-a-03-2025", messages=cohere_messages()):
        kinds.append(event.type)
        if event.type == "content-delta":
            assert event.delta is not None and event.delta.message is not None
            assert event.delta.message.content is not None
            text.append(event.delta.message.content.text or "")
        elif event.type == "message-end":
            end = event
    assert "".join(text) == ANSWER
    assert len(text) > 1  # streamed in parts
    assert kinds[:2] == ["message-start", "content-start"]
    assert kinds[-2:] == ["content-end", "message-end"]
    assert end.delta.finish_reason == "COMPLETE"
    billed = end.delta.usage.billed_units
    assert billed.input_tokens > 0 and billed.output_tokens > 0
    assert end.delta.usage.tokens.input_tokens > billed.input_tokens
    body = fake.calls("cohere.chat")[0].body
    assert body["stream"] is True
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


async def test_cohere_chat_without_stream(co: cohere.AsyncClientV2):
    response = await co.chat(model="command-a-03-2025", messages=cohere_messages())
    assert response.message.content is not None
    assert response.message.content[0].text == ANSWER  # type: ignore[union-attr]
    assert response.finish_reason == "COMPLETE"
    assert response.usage is not None and response.usage.billed_units is not None
    no_sources = await co.chat(
        model="command-a-03-2025", messages=cohere_messages("Question: why?")
    )
    assert no_sources.message.content[0].text == NO_ANSWER  # type: ignore[index, union-attr]


async def test_cohere_errors_map_to_sdk_exceptions(fake: FakeProviders, co: cohere.AsyncClientV2):
    fake.script(
        "cohere.embed",
        Reply(status=429, headers={"Retry-After": "1"}),
        Reply(status=500),
        Reply(status=503),
        Reply(status=502, body="<html>bad gateway</html>"),
        Reply(status=429, body="slow down"),
        Reply(status=200, body="not json{"),
    )
    expected: list[tuple[type[ApiError], int]] = [
        (cohere.TooManyRequestsError, 429),
        (cohere.InternalServerError, 500),
        (cohere.ServiceUnavailableError, 503),
        (ApiError, 502),
        (ApiError, 429),  # a body that is not JSON: a plain ApiError whatever the status
        (ApiError, 200),
    ]
    caught: list[ApiError] = []
    for cls, status in expected:
        with pytest.raises(ApiError) as info:
            await co.embed(
                model="embed-v4.0",
                texts=["x"],
                input_type="search_query",
                embedding_types=["float"],
            )
        assert type(info.value) is cls and info.value.status_code == status
        caught.append(info.value)
    assert caught[0].headers is not None and caught[0].headers["retry-after"] == "1"
    assert set(caught[0].body) == {"message"} and isinstance(caught[0].body["message"], str)
    assert caught[3].body == "<html>bad gateway</html>"
    # max_retries=0: one request per call, no retry by the SDK.
    assert [c.status for c in fake.calls("cohere.embed")] == [429, 500, 503, 502, 429, 200]


async def test_cohere_retries_by_itself_unless_told_not_to(fake: FakeProviders):
    quick = {"retry-after-ms": "10"}
    fake.script("cohere.rerank", Reply(status=503, headers=quick), Reply(status=429, headers=quick))
    async with cohere.AsyncClientV2(api_key=fake.cohere_key, base_url=fake.url) as default:
        response = await default.rerank(model="rerank-v3.5", query="a", documents=["a", "b"])
    assert len(response.results) == 2
    assert [c.status for c in fake.calls("cohere.rerank")] == [503, 429, 200]


async def test_cohere_chat_stream_error_status_and_bad_key(
    fake: FakeProviders, co: cohere.AsyncClientV2
):
    fake.script("cohere.chat", Reply(status=429, headers={"Retry-After": "7"}))
    with pytest.raises(cohere.TooManyRequestsError) as info:
        async for _ in co.chat_stream(model="command-a-03-2025", messages=cohere_messages()):
            pass
    assert info.value.headers is not None and info.value.headers["retry-after"] == "7"
    fake.script("cohere.chat", Reply(status=503))  # not consumed by the unauthenticated call
    async with cohere.AsyncClientV2(api_key="wrong", base_url=fake.url, max_retries=0) as bad:
        with pytest.raises(cohere.UnauthorizedError) as unauthorized:
            await bad.chat(model="command-a-03-2025", messages=cohere_messages())
    assert unauthorized.value.status_code == 401
    assert unauthorized.value.body == {"message": "invalid api token"}
    with pytest.raises(cohere.ServiceUnavailableError):
        await co.chat(model="command-a-03-2025", messages=cohere_messages())


async def test_cohere_broken_stream_raises(fake: FakeProviders, co: cohere.AsyncClientV2):
    fake.script("cohere.chat", Stream(parts=["one ", "two ", "three"], break_after=2))
    text: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        async for event in co.chat_stream(model="command-a-03-2025", messages=cohere_messages()):
            if event.type == "content-delta":
                text.append(delta_text(event))
    assert text == ["one ", "two "]
    assert fake.stream_cancelled("cohere.chat") == 0  # the server broke it, not the client


async def test_cohere_skips_a_malformed_event(fake: FakeProviders, co: cohere.AsyncClientV2):
    fake.script("cohere.chat", Stream(parts=["one ", "two"], malformed_after=1))
    kinds: list[str] = []
    text: list[str] = []
    async for event in co.chat_stream(model="command-a-03-2025", messages=cohere_messages()):
        kinds.append(event.type)
        if event.type == "content-delta":
            text.append(delta_text(event))
    assert text == ["one ", "two"]  # the garbage line was logged and skipped, no exception
    assert kinds[-1] == "message-end"


async def test_cohere_stream_closed_early_is_counted(fake: FakeProviders, co: cohere.AsyncClientV2):
    fake.script("cohere.chat", Stream(parts=["one ", "two"], gap_s=30))  # stalls after "one"
    stream = co.chat_stream(model="command-a-03-2025", messages=cohere_messages())
    async for event in stream:
        if event.type == "content-delta":
            break
    await stream.aclose()  # type: ignore[attr-defined]
    await _eventually(lambda: fake.stream_cancelled("cohere.chat") == 1)


# --- Gemini -------------------------------------------------------------------------------


async def test_gemini_stream(fake: FakeProviders, gemini: genai.Client):
    text: list[str] = []
    chunks = []
    stream = await gemini.aio.models.generate_content_stream(
        model="gemini-2.5-flash", contents=PROMPT.user, config=gemini_config()
    )
    async for chunk in stream:
        chunks.append(chunk)
        text.append(chunk.text or "")
    assert "".join(text) == ANSWER
    assert len(chunks) > 2
    last = chunks[-1]
    assert last.candidates and last.candidates[0].finish_reason == types.FinishReason.STOP
    usage = last.usage_metadata
    assert usage is not None and usage.prompt_token_count and usage.candidates_token_count
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    call = fake.calls("gemini.generate")[0]
    assert call.path == "/v1/models/gemini-2.5-flash:streamGenerateContent"
    assert call.query["alt"] == "sse"
    assert call.headers["x-goog-api-key"] == fake.gemini_key
    assert call.body["systemInstruction"]["parts"][0]["text"] == PROMPT.system
    assert call.body["contents"][0]["parts"][0]["text"] == PROMPT.user


async def test_gemini_generate_content_and_v1beta(fake: FakeProviders):
    options = types.HttpOptions(
        base_url=fake.url, api_version="v1beta", retry_options=types.HttpRetryOptions(attempts=1)
    )
    client = genai.Client(api_key=fake.gemini_key, http_options=options)
    try:
        response = await client.aio.models.generate_content(
            model="gemini-2.5-flash", contents=PROMPT.user, config=gemini_config()
        )
    finally:
        await client.aio.aclose()
    assert response.text == ANSWER
    assert response.usage_metadata is not None and response.usage_metadata.candidates_token_count
    assert (
        fake.calls("gemini.generate")[0].path == "/v1beta/models/gemini-2.5-flash:generateContent"
    )


async def test_gemini_embed(fake: FakeProviders, gemini: genai.Client):
    response = await gemini.aio.models.embed_content(
        model="gemini-embedding-001",
        contents=texts("refunds take ten days", "how long do refunds take", "__short__"),
        config=types.EmbedContentConfig(task_type="RETRIEVAL_DOCUMENT", output_dimensionality=128),
    )
    assert response.embeddings is not None
    vectors = [e.values or [] for e in response.embeddings]
    assert [len(v) for v in vectors] == [128, 128, 127]
    query = await gemini.aio.models.embed_content(
        model="gemini-embedding-001",
        contents=texts("cats"),
        config=types.EmbedContentConfig(task_type="RETRIEVAL_QUERY"),
    )
    assert query.embeddings and len(query.embeddings[0].values or []) == 3072
    calls = fake.calls("gemini.embed")
    assert calls[0].path.endswith("/models/gemini-embedding-001:batchEmbedContents")
    first = calls[0].body["requests"][0]
    assert first["taskType"] == "RETRIEVAL_DOCUMENT" and first["outputDimensionality"] == 128
    assert first["content"]["parts"][0]["text"] == "refunds take ten days"
    assert calls[1].body["requests"][0]["taskType"] == "RETRIEVAL_QUERY"


async def test_gemini_429_carries_retry_after(fake: FakeProviders, gemini: genai.Client):
    fake.script("gemini.generate", Reply(status=429, headers={"Retry-After": "1"}), Reply(503))
    stream = await gemini.aio.models.generate_content_stream(model="m", contents="hi")
    assert fake.calls("gemini.generate") == []  # the request waits for the first __anext__
    with pytest.raises(genai_errors.ClientError) as info:
        async for _ in stream:
            pass
    error = info.value
    assert error.code == 429 and error.status == "RESOURCE_EXHAUSTED"
    assert error.response.headers.get("retry-after") == "1"
    assert error.response.headers.get("Retry-After") == "1"
    assert error.details["error"]["details"][0]["retryDelay"] == "1s"
    with pytest.raises(genai_errors.ServerError) as server_error:
        await gemini.aio.models.generate_content(model="m", contents="hi")
    assert server_error.value.code == 503 and server_error.value.status == "UNAVAILABLE"
    # retry_options=HttpRetryOptions(attempts=1): the SDK sent each request once.
    assert [c.status for c in fake.calls("gemini.generate")] == [429, 503]


async def test_gemini_bad_or_missing_key(fake: FakeProviders, gemini: genai.Client):
    fake.script("gemini.embed", Reply(status=500))  # not consumed by the unauthenticated calls
    bad = genai.Client(
        api_key="wrong",
        http_options=types.HttpOptions(
            base_url=fake.url, retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )
    try:
        with pytest.raises(genai_errors.ClientError) as info:
            await bad.aio.models.embed_content(model="gemini-embedding-001", contents=texts("x"))
    finally:
        await bad.aio.aclose()
    assert info.value.code == 400 and info.value.status == "INVALID_ARGUMENT"
    assert "API_KEY_INVALID" in str(info.value.details)
    async with httpx.AsyncClient() as http:
        url = f"{fake.url}/v1beta/models/gemini-embedding-001:embedContent"
        missing = await http.post(url, json={})
        by_query = await http.post(
            url, params={"key": fake.gemini_key}, json={"content": {"parts": [{"text": "a"}]}}
        )
    assert missing.status_code == 403
    assert missing.json()["error"]["status"] == "PERMISSION_DENIED"
    assert by_query.status_code == 500  # authenticated: the scripted reply
    assert [c.status for c in fake.calls("gemini.embed")] == [400, 403, 500]


async def test_gemini_bodies_that_are_not_json(
    request: pytest.FixtureRequest, fake: FakeProviders, gemini: genai.Client
):
    json_label = {"content-type": "application/json"}
    fake.script(
        "gemini.embed",
        Reply(status=502, body="<html>bad gateway</html>"),
        Reply(status=500, body="oops{", headers=json_label),
        Reply(status=200, body="not json{"),
    )
    with pytest.raises(genai_errors.ServerError) as info:
        await gemini.aio.models.embed_content(model="e", contents="x")
    assert info.value.code == 502
    assert info.value.details == {"message": "<html>bad gateway</html>", "status": "Bad Gateway"}
    # An invalid body labelled JSON: aiohttp's response.json() fails outside the SDK's guard.
    aiohttp = request.node.callspec.params["gemini"] == "aiohttp"
    with pytest.raises(json.JSONDecodeError if aiohttp else genai_errors.ServerError):
        await gemini.aio.models.embed_content(model="e", contents="x")
    with pytest.raises(json.JSONDecodeError):  # a 200 that is not JSON
        await gemini.aio.models.embed_content(model="e", contents="x")


async def test_gemini_broken_stream_raises(fake: FakeProviders, gemini: genai.Client):
    import aiohttp

    fake.script("gemini.generate", Stream(parts=["one ", "two ", "three"], break_after=2))
    text: list[str] = []
    with pytest.raises((aiohttp.ClientPayloadError, httpx.RemoteProtocolError)):
        async for chunk in await gemini.aio.models.generate_content_stream(
            model="m", contents="hi"
        ):
            text.append(chunk.text or "")
    assert text == ["one ", "two "]


async def test_gemini_malformed_event_raises(fake: FakeProviders, gemini: genai.Client):
    fake.script("gemini.generate", Stream(parts=["one ", "two"], malformed_after=1))
    text: list[str] = []
    with pytest.raises(genai_errors.UnknownApiResponseError):
        async for chunk in await gemini.aio.models.generate_content_stream(
            model="m", contents="hi"
        ):
            text.append(chunk.text or "")
    assert text == ["one "]


async def test_gemini_stream_closed_early_needs_a_gc_to_close_the_connection(
    fake: FakeProviders, gemini: genai.Client
):
    fake.script("gemini.generate", Stream(parts=["one ", "two"], gap_s=30))  # stalls
    stream = await gemini.aio.models.generate_content_stream(model="m", contents="hi")
    gc.disable()  # no automatic collection while checking that aclose() alone is not enough
    try:
        async for _ in stream:
            break
        await stream.aclose()  # type: ignore[attr-defined]
        await asyncio.sleep(0.3)
        assert fake.stream_cancelled("gemini.generate") == 0, (
            "google-genai now closes the connection on aclose(): the gc.collect() can go"
        )
    finally:
        gc.enable()
    gc.collect()
    await _eventually(lambda: fake.stream_cancelled("gemini.generate") == 1)


# --- the server itself --------------------------------------------------------------------


async def test_timings_ttft_gap_and_delay(fake: FakeProviders):
    fake.ttft_s = 0.3
    fake.script("cohere.rerank", Reply(delay_s=0.2))
    fake.script("gemini.generate", Reply(), Stream(parts=["a ", "b"], ttft_s=0.0, gap_s=0.3))
    url = f"{fake.url}/v1/models/m:streamGenerateContent"
    headers = {"x-goog-api-key": fake.gemini_key}
    body = {"contents": [{"parts": [{"text": PROMPT.user}]}]}
    async with httpx.AsyncClient() as http:
        for expected_first, expected_total in ((0.3, 0.3), (0.0, 0.6)):
            start = time.monotonic()
            arrivals: list[float] = []
            async with http.stream("POST", url, headers=headers, json=body) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        arrivals.append(time.monotonic() - start)
            assert expected_first <= arrivals[0] < expected_first + 0.25
            assert expected_total <= arrivals[-1] < expected_total + 0.25
        start = time.monotonic()
        rerank = await http.post(
            f"{fake.url}/v2/rerank",
            headers={"authorization": f"Bearer {fake.cohere_key}"},
            json={"query": "a", "documents": ["a"]},
        )
        assert rerank.status_code == 200 and 0.2 <= time.monotonic() - start < 0.45
    fake.reset()
    assert fake.ttft_s == 0.0 and fake.calls() == []


async def test_hang_blocks_neither_other_requests_nor_shutdown():
    with FakeProviders() as fake:
        fake.script("gemini.embed", Reply(hang=True))
        fake.script("gemini.generate", Stream(gap_s=60))
        headers = {"x-goog-api-key": fake.gemini_key}
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            hanging = asyncio.ensure_future(
                http.post(f"{fake.url}/v1/models/e:embedContent", json={})
            )
            stalled = asyncio.ensure_future(
                http.post(f"{fake.url}/v1/models/m:streamGenerateContent", json={})
            )
            await _eventually(lambda: len(fake.calls()) == 2)
            other = await http.post(
                f"{fake.url}/v1/models/e:embedContent",
                json={"content": {"parts": [{"text": "a"}]}, "outputDimensionality": 4},
            )
            assert other.status_code == 200 and len(other.json()["embedding"]["values"]) == 4
            assert fake.calls("gemini.embed")[0].status is None  # never answered
            start = time.monotonic()
            await asyncio.to_thread(fake.stop)
            assert time.monotonic() - start < 2.0
            results = await asyncio.gather(hanging, stalled, return_exceptions=True)
    # The hanging request is dropped (a 500 from uvicorn or a closed connection).
    hung = results[0]
    assert isinstance(hung, httpx.HTTPError) or (
        isinstance(hung, httpx.Response) and hung.status_code == 500
    )
    assert isinstance(results[1], httpx.HTTPError)  # the stalled body never ends


async def test_raw_bodies_and_unknown_paths(fake: FakeProviders):
    fake.script("cohere.chat", Reply(status=200, body={"custom": True}, headers={"X-Test": "1"}))
    auth = {"authorization": f"Bearer {fake.cohere_key}"}
    async with httpx.AsyncClient() as http:
        custom = await http.post(f"{fake.url}/v2/chat", headers=auth, json={"stream": True})
        unknown = await http.post(f"{fake.url}/v2/generate", headers=auth, json={})
        gemini_unknown = await http.post(f"{fake.url}/v1/models/m:countTokens", json={})
    assert custom.json() == {"custom": True} and custom.headers["x-test"] == "1"
    assert unknown.status_code == 404 and "message" in unknown.json()
    assert gemini_unknown.status_code == 404
    assert gemini_unknown.json()["error"]["status"] == "NOT_FOUND"
