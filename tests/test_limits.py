"""Limits on everything a stranger can send: DOCENT_RATE_LIMITS (parsed, then enforced in
Redis across processes), upload quotas, and the shape of GraphQL requests (depth, aliases,
tokens, cost, introspection). Unit tests against a real redis-server, then end to end
through real server processes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from graphql import get_introspection_query
from redis.asyncio import Redis

from docent.api.query_limits import MAX_COST
from docent.api.rate_limiter import RateLimiter, address_key
from docent.errors import RateLimited
from docent.ingestion.quota import UploadQuota
from docent.rate_limits import (
    OFF,
    RECOMMENDED,
    Bucket,
    ByteQuota,
    LimitsConfig,
    Period,
    Rate,
    parse_limits,
)
from docent.search.backend import DocumentPage

from support.servers import DocentServer, gql, gql_raw, running_server, subscribe

# ---------------------------------------------------------------------------- the syntax


def test_off_and_the_recommended_value() -> None:
    assert parse_limits("off") == OFF == parse_limits("  OFF ")
    assert not OFF.enabled
    config = parse_limits(RECOMMENDED)
    assert config.ask == Rate(30, Period(60.0, "minute"))
    assert config.search == Rate(120, Period(60.0, "minute"))
    assert config.upload == Rate(300, Period(3600.0, "hour"))
    assert config.upload_bytes == ByteQuota(2 << 30, Period(86400.0, "day"))
    assert config.documents == 10_000 and config.per_address == 4.0
    assert config.refused == Rate(30, Period(60.0, "minute"))
    assert parse_limits("recommended") == config


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("search=3/2second", LimitsConfig(search=Rate(3, Period(2.0, "2 seconds")))),
        ("ask = 10 / 15min , upload=5/h", LimitsConfig(ask=Rate(10, Period(900.0, "15 minutes")), upload=Rate(5, Period(3600.0, "hour")))),
        ("upload_bytes=1.5KB/2day", LimitsConfig(upload_bytes=ByteQuota(1536, Period(172800.0, "2 days")))),
        ("upload_bytes=500/s", LimitsConfig(upload_bytes=ByteQuota(500, Period(1.0, "second")))),
        ("documents=7;per_address=2.5x", LimitsConfig(documents=7, per_address=2.5)),
        ("search=1/s;per_address=off", LimitsConfig(search=Rate(1, Period(1.0, "second")), per_address=None)),
    ],
)  # fmt: skip
def test_the_syntax(text: str, expected: LimitsConfig) -> None:
    assert parse_limits(text) == expected


def test_items_after_recommended_override_it() -> None:
    config = parse_limits("recommended; ask=off; documents=3\nper_address=off")
    assert config.ask is None and config.documents == 3 and config.per_address is None
    assert config.search == parse_limits(RECOMMENDED).search


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("ask=30", "COUNT/PERIOD"),
        ("ask=30/fortnight", "not a period"),
        ("ask=0/minute", "at least 1"),
        ("asks=30/minute", "unknown item"),
        ("ask=30/minute;ask=10/minute", "given twice"),
        ("ask=1/minute;recommended", "must come first"),
        ("search=5000/second", "1000 requests a second"),
        ("upload_bytes=2XB/day", "not a size"),
        ("upload_bytes=2GB", "SIZE/PERIOD"),
        ("documents=many", "not a count"),
        ("per_address=0.5x", "at least one user's"),
        ("ask=30/400day", "366 days"),
        ("search", "unknown item"),
    ],
)
def test_invalid_values_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(ValueError, match="DOCENT_RATE_LIMITS is invalid") as info:
        parse_limits(text)
    assert words in str(info.value) and "Example:" in str(info.value)


def test_address_buckets() -> None:
    assert address_key("203.0.113.9") == "203.0.113.9"
    assert address_key("::ffff:203.0.113.9") == "203.0.113.9"
    # one host picks its addresses from a whole /64
    assert address_key("2001:db8:1:2::5") == address_key("2001:db8:1:2:ffff::1")
    assert address_key("2001:db8:1:3::5") != address_key("2001:db8:1:2::5")
    assert address_key(None) is None and address_key("") is None


# ------------------------------------------------------------------ the limiter, in Redis


@pytest.fixture
async def redis_pair(shared_redis: str) -> AsyncIterator[tuple[Redis, Redis]]:
    """Two clients of one Redis: two API processes."""
    first, second = Redis.from_url(shared_redis), Redis.from_url(shared_redis)
    yield first, second
    await first.aclose()
    await second.aclose()


def _limiter(redis: Redis, text: str) -> RateLimiter:
    return RateLimiter(redis, parse_limits(text))


async def _refusal(limiter: RateLimiter, user: str = "ann", address: str | None = None) -> float:
    with pytest.raises(RateLimited) as info:
        await limiter.acquire(Bucket.SEARCH, user=user, address=address)
    assert info.value.retry_after is not None
    return info.value.retry_after


async def test_two_processes_share_one_budget(redis_pair: tuple[Redis, Redis]) -> None:
    one, two = (_limiter(r, "search=5/2second; per_address=off") for r in redis_pair)
    for limiter in (one, two, one, two, one):
        await limiter.acquire(Bucket.SEARCH, user="ann", address=None)
    for limiter in (one, two):
        with pytest.raises(RateLimited, match=r"too many searches \(at most 5 per 2 seconds"):
            await limiter.acquire(Bucket.SEARCH, user="ann", address=None)
    # another user, and another bucket, have budgets of their own
    await two.acquire(Bucket.SEARCH, user="bob", address=None)
    await two.acquire(Bucket.ASK, user="ann", address=None)  # no ask limit configured


async def test_concurrent_requests_never_exceed_the_budget(
    redis_pair: tuple[Redis, Redis],
) -> None:
    one, two = (_limiter(r, "search=20/minute") for r in redis_pair)

    async def attempt(limiter: RateLimiter) -> bool:
        try:
            await limiter.acquire(Bucket.SEARCH, user="ann", address="198.51.100.7")
        except RateLimited:
            return False
        return True

    results = await asyncio.gather(*(attempt(one if i % 2 else two) for i in range(60)))
    assert sum(results) == 20


async def test_retry_after_is_exact(redis_pair: tuple[Redis, Redis]) -> None:
    one, two = (_limiter(r, "search=2/second") for r in redis_pair)
    await one.acquire(Bucket.SEARCH, user="ann", address=None)
    await two.acquire(Bucket.SEARCH, user="ann", address=None)
    wait = await _refusal(one)
    assert 0.3 < wait <= 0.5  # one request comes back every half second
    await asyncio.sleep(wait - 0.15)
    again = await _refusal(two)  # not yet, and being refused cost nothing
    assert 0 < again <= 0.15
    await asyncio.sleep(again + 0.01)
    await two.acquire(Bucket.SEARCH, user="ann", address=None)  # when it said
    assert 0.3 < await _refusal(one) <= 0.5  # and only that one came back


async def test_looking_at_a_budget_spends_none_of_it(redis_pair: tuple[Redis, Redis]) -> None:
    one, two = (_limiter(r, "refused=2/minute; per_address=off") for r in redis_pair)
    for _ in range(5):  # how the `refused` budget is looked at before every request
        await one.check(Bucket.REFUSED, user="ann", address=None)
    await one.acquire(Bucket.REFUSED, user="ann", address=None)  # a refusal spends it
    await two.check(Bucket.REFUSED, user="ann", address=None)
    await two.acquire(Bucket.REFUSED, user="ann", address=None)
    with pytest.raises(
        RateLimited, match=r"too many refused requests \(at most 2 per minute"
    ) as info:
        await one.check(Bucket.REFUSED, user="ann", address=None)
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 30
    await one.check(Bucket.REFUSED, user="bob", address=None)


async def test_an_address_is_shared_by_its_users(redis_pair: tuple[Redis, Redis]) -> None:
    one, two = (_limiter(r, "search=2/minute; per_address=2x") for r in redis_pair)
    for user in ("ann", "ann", "bob", "bob"):
        await one.acquire(Bucket.SEARCH, user=user, address="203.0.113.9")
    with pytest.raises(RateLimited, match="from your network address") as info:
        await two.acquire(Bucket.SEARCH, user="cyd", address="203.0.113.9")
    assert "at most 4 per minute" in info.value.message
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 15
    # refused by the address, cyd's own budget was not spent: from elsewhere, both pass
    await two.acquire(Bucket.SEARCH, user="cyd", address="198.51.100.1")
    await two.acquire(Bucket.SEARCH, user="cyd", address="198.51.100.1")
    # an IPv6 host is one address per /64
    for user in ("dee", "dee", "eve", "eve"):
        await one.acquire(Bucket.SEARCH, user=user, address=f"2001:db8::{len(user)}:{user[0]}")
    with pytest.raises(RateLimited, match="network address"):
        await one.acquire(Bucket.SEARCH, user="fay", address="2001:db8::ffff")


async def test_limits_off_never_touch_redis() -> None:
    nowhere = Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    limiter = RateLimiter(nowhere, OFF)
    for _ in range(100):
        await limiter.acquire(Bucket.ASK, user="ann", address="127.0.0.1")
    # with limits on and Redis down, requests pass (and it is logged): failing open
    down = RateLimiter(nowhere, parse_limits("ask=1/minute"))
    await down.acquire(Bucket.ASK, user="ann", address="127.0.0.1")
    await down.acquire(Bucket.ASK, user="ann", address="127.0.0.1")
    await nowhere.aclose()


class _Backend:
    """Counts documents as the search backend does, for the documents quota."""

    def __init__(self, total: int) -> None:
        self.total = total

    async def list_documents(self, owner: str, query: Any, *, first: int, after: Any) -> Any:
        return DocumentPage(items=[], total=self.total, has_next=False)


async def test_upload_quotas(redis_pair: tuple[Redis, Redis]) -> None:
    now = [86400.0 * 20_000 + 3600.0]  # 01:00 UTC
    config = parse_limits("upload_bytes=10KB/day; documents=3")
    backend = _Backend(total=2)
    one, two = (UploadQuota(r, config, backend, clock=lambda: now[0]) for r in redis_pair)  # type: ignore[arg-type]
    await one.check("ann")
    first = await one.reserve("ann", 6 * 1024)
    await two.reserve("ann", 4 * 1024)  # 10 KB: the whole quota, across processes
    with pytest.raises(RateLimited, match="upload_bytes") as info:
        await two.reserve("ann", 1)
    assert info.value.retry_after == pytest.approx(23 * 3600)  # at midnight UTC
    with pytest.raises(RateLimited, match="you have uploaded 10 KB"):
        await one.check("ann")
    await one.release(first)  # a copy of a document she had: given back
    await two.reserve("ann", 6 * 1024)
    with pytest.raises(RateLimited, match="larger than your whole upload quota") as info:
        await one.reserve("bob", 11 * 1024)
    assert info.value.retry_after is None  # waiting will not help
    now[0] += 23 * 3600  # a new UTC day
    await one.reserve("ann", 10 * 1024)
    backend.total = 3
    with pytest.raises(RateLimited, match=r"you store 3 documents.*documents=3") as info:
        await one.check("ann")
    assert info.value.retry_after is None


# ------------------------------------------------------------------------ end to end

LIMITS = "search=3/2second; ask=2/minute; upload=20/minute; upload_bytes=4KB/day; documents=2"
SEARCH = 'query { search(input: {query: "warranty", mode: KEYWORD}) { tookMs } }'
ASK = 'query { ask(input: {question: "How long is the warranty?"}) { text } }'
ANSWER = """subscription { answer(input: {question: "How long is the warranty?"}) {
  __typename ... on AnswerError { code message retryAfter } } }"""
UPLOAD = """mutation ($file: Upload!) { uploadDocument(file: $file) {
  document { id } deduplicated userErrors { code message retryAfter } } }"""
DOCUMENTS = "{ documents(first: 50) { totalCount edges { node { id sizeBytes } } } }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {"DOCENT_RATE_LIMITS": LIMITS}
    with running_server(tmp_path_factory.mktemp("limits"), env) as s:
        yield s
        assert s.network_attempts() == [], s.network_attempts()


@pytest.mark.e2e
async def test_search_is_limited_then_recovers(server: DocentServer) -> None:
    # four at once (so that none has come back meanwhile): three pass, one is refused
    bodies = await asyncio.gather(*(gql_raw(server.url, SEARCH) for _ in range(4)))
    assert sum("errors" not in body for body in bodies) == 3, bodies
    [error] = next(body["errors"] for body in bodies if "errors" in body)
    assert error["extensions"]["code"] == "RATE_LIMITED"
    wait = error["extensions"]["retryAfter"]
    assert 0 < wait <= 2 / 3 and "try again in" in error["message"]
    await asyncio.sleep(wait + 0.02)
    await gql(server.url, SEARCH)  # one search came back...
    again = await gql_raw(server.url, SEARCH)  # ...and only one
    assert again["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


@pytest.mark.e2e
async def test_ask_and_the_answer_stream_share_a_budget(server: DocentServer) -> None:
    for _ in range(2):
        await gql(server.url, ASK)
    events = [e["answer"] async for e in subscribe(server.ws_url, ANSWER)]
    [event] = events
    assert event["__typename"] == "AnswerError" and event["code"] == "RATE_LIMITED"
    assert "too many questions" in event["message"]
    assert 0 < event["retryAfter"] <= 30


async def _over_websocket(ws_url: str, query: str) -> dict[str, Any]:
    """The first message answering `query` sent over graphql-transport-ws."""
    protocols = [websockets.Subprotocol("graphql-transport-ws")]
    async with websockets.connect(ws_url, subprotocols=protocols) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 30))
        return message


async def _listing(server: DocentServer) -> list[dict[str, Any]]:
    return [e["node"] for e in (await gql(server.url, DOCUMENTS))["documents"]["edges"]]


@pytest.mark.e2e
async def test_upload_quotas_refuse_and_store_nothing(server: DocentServer) -> None:
    async def send(name: str, content: bytes) -> dict[str, Any]:
        operations = {"query": UPLOAD, "variables": {"file": None}}
        async with httpx.AsyncClient(timeout=60) as client:
            response = await client.post(
                server.url,
                data={"operations": json.dumps(operations), "map": '{"0": ["variables.file"]}'},
                files={"0": (name, content, "text/plain")},
                headers={"Apollo-Require-Preflight": "true"},
            )
        assert response.status_code == 200, response.text
        payload: dict[str, Any] = response.json()["data"]["uploadDocument"]
        return payload

    first = await send("a.txt", b"alpha words here. " * 113)  # ~2 KB
    assert first["userErrors"] == []
    copy = await send("a-again.txt", b"alpha words here. " * 113)
    assert copy["deduplicated"] is True and copy["userErrors"] == []  # not counted twice
    before = await _listing(server)
    blobs = sorted(p.name for p in (server.data_dir / "blobs").rglob("*") if p.is_file())

    refused = await send("b.txt", b"bravo words here. " * 170)  # ~3 KB: 2 + 3 > 4 KB
    [error] = refused["userErrors"]
    assert refused["document"] is None and error["code"] == "RATE_LIMITED"
    assert "upload_bytes" in error["message"] and "4 KB per day" in error["message"]
    assert 0 < error["retryAfter"] <= 86400
    assert await _listing(server) == before  # nothing stored
    assert sorted(p.name for p in (server.data_dir / "blobs").rglob("*") if p.is_file()) == blobs

    # 2 KB + 0.9 KB fits in 4 KB only because the copy of a.txt was not counted
    assert (await send("c.txt", b"charlie words. " * 60))["userErrors"] == []
    over = await send("d.txt", b"delta")  # a third document, over documents=2
    [error] = over["userErrors"]
    assert error["code"] == "RATE_LIMITED" and "documents=2" in error["message"]
    assert error["retryAfter"] is None
    assert len(await _listing(server)) == 2


@pytest.mark.e2e
async def test_request_shape_limits(server: DocentServer) -> None:
    async def refused(query: str, words: str) -> dict[str, Any]:
        started = time.perf_counter()
        body = await gql_raw(server.url, query)
        assert time.perf_counter() - started < 2, query[:80]
        assert "data" not in body or body["data"] is None, body
        assert words in body["errors"][0]["message"], body
        error: dict[str, Any] = body["errors"][0]
        return error

    await refused("{" + " documents {" * 50 + " totalCount" + " }" * 51, "nested 50 levels deep")
    depth = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    await refused(depth, "introspection depth")
    await refused("{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(31)) + " }", "aliases")
    await refused("{ viewer { " + "id " * 2500 + "} }", "tokens")
    searches = " ".join(f's{i}: search(input: {{query: "x{i}"}}) {{ tookMs }}' for i in range(11))
    cost = await refused("{ " + searches + " }", "costs 110")
    assert cost["extensions"] == {"code": "INVALID_INPUT", "cost": 110, "maxCost": MAX_COST}
    # the same limits over WebSocket (graphql-transport-ws carries queries too)
    message = await _over_websocket(server.ws_url, "{ " + searches + " }")
    assert message["type"] == "error" and "costs 110" in message["payload"][0]["message"]
    # a fragment fan-out: 2^60 spreads in 1.5 KB, measured in one linear pass
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(60))
    await refused(
        "{ ...F0 } " + fragments + " fragment F60 on Query { documents { totalCount } }", "costs"
    )
    page = await gql_raw(server.url, "{ documents(first: 1000) { totalCount } }")
    assert page["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "first must be between 0 and 100" in page["errors"][0]["message"]
    # within the limits: ten lists of documents in one request are fine (cost 50)
    lists = " ".join(f"d{i}: documents(first: 1) {{ totalCount }}" for i in range(10))
    assert len((await gql(server.url, "{ viewer { id } " + lists + " }")).keys()) == 11
    async with httpx.AsyncClient(timeout=30) as client:
        full = get_introspection_query(descriptions=True, input_value_deprecation=True)
        body = (await client.post(server.url, json={"query": full})).json()
    assert "errors" not in body and body["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.e2e
def test_introspection_off_and_a_bad_setting(tmp_path: Path) -> None:
    env = {"DOCENT_INTROSPECTION": "false", "DOCENT_RATE_LIMITS": "off"}
    with running_server(tmp_path / "closed", env) as s:
        full = get_introspection_query(descriptions=True)
        body = httpx.post(s.url, json={"query": full}, timeout=30).json()
        assert "introspection" in body["errors"][0]["message"].lower()
        body = httpx.post(s.url, json={"query": '{ __type(name: "Query") { name } }'}).json()
        assert "introspection" in body["errors"][0]["message"].lower()
        body = httpx.post(s.url, json={"query": "{ viewer { id __typename } }"}).json()
        assert body["data"]["viewer"] == {"id": "local", "__typename": "Viewer"}
        message = asyncio.run(_over_websocket(s.ws_url, "{ __schema { queryType { name } } }"))
        assert message["type"] == "error"
        assert "introspection" in message["payload"][0]["message"].lower()
    bad = {"DOCENT_RATE_LIMITS": "ask=30/fortnight"}
    with (
        pytest.raises(RuntimeError, match=r"DOCENT_RATE_LIMITS is invalid: ask: .* not a period"),
        running_server(tmp_path / "bad", bad),
    ):
        pass


@pytest.mark.e2e
async def test_behind_a_trusted_proxy_the_client_address_counts(tmp_path: Path) -> None:
    """With DOCENT_FORWARDED_ALLOW_IPS the per-address budget is the client's (from the
    proxy's X-Forwarded-For), not the proxy's; without it a forged header changes nothing."""
    from docent.api.auth import DevAuth

    secret = "proxy-test-secret-" + "y" * 32
    tokens = {user: DevAuth(secret).mint(user) for user in ("ann", "ben")}
    env = {
        "DOCENT_AUTH": "dev",
        "DOCENT_DEV_SECRET": secret,
        "DOCENT_RATE_LIMITS": "search=1/minute; per_address=1x",
    }
    query = '{ search(input: {query: "anything", mode: KEYWORD}) { tookMs } }'

    async def search(server: DocentServer, user: str, client_ip: str) -> str | None:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                server.url,
                json={"query": query},
                headers={"authorization": f"Bearer {tokens[user]}", "x-forwarded-for": client_ip},
            )
        errors = response.json().get("errors")
        return errors[0]["extensions"]["code"] if errors else None

    with running_server(
        tmp_path / "proxied", {**env, "DOCENT_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    ) as server:
        assert await search(server, "ann", "203.0.113.7") is None
        assert await search(server, "ben", "203.0.113.7") == "RATE_LIMITED"  # same client
        assert await search(server, "ben", "198.51.100.9") is None  # another client
    with running_server(tmp_path / "direct", env) as server:
        assert await search(server, "ann", "203.0.113.7") is None
        # The header is not believed: both come from 127.0.0.1, whose budget is spent.
        assert await search(server, "ben", "198.51.100.9") == "RATE_LIMITED"
