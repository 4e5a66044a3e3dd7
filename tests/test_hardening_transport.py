"""Issue 11, the transport: bodies without a size limit, requests whose headers mean one
thing to the guards and another to the framework, error responses that were plain text
without a request id, WebSocket frames that dropped the connection, and the browser
headers of the pages docent serves. Each through a real server process; requests a client
library would not send are written by hand (support.rawhttp)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets

from docent.api.auth import DevAuth

from support.rawhttp import RawResponse, exchange, head, resident_mb
from support.servers import DocentServer, running_server

pytestmark = pytest.mark.e2e

SECRET = "hardening-transport-secret-" + "t" * 32
PROTOCOLS = [websockets.Subprotocol("graphql-transport-ws")]
VIEWER = json.dumps({"query": "{ viewer { id } }"}).encode()
MB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET, "DOCENT_MAX_UPLOAD_MB": "1"}
    with running_server(tmp_path_factory.mktemp("hardening-transport"), env) as s:
        yield s
        assert s.network_attempts() == [], s.network_attempts()
        assert "Traceback" not in s.log(), s.log()[-3000:]


def bearer(user: str = "tester") -> str:
    return f"Bearer {DevAuth(SECRET).mint(user)}"


def typed(response: RawResponse | httpx.Response, status: int, code: str) -> str:
    """A transport refusal: its status, JSON in the GraphQL error shape with `code`, and the
    request id header. Returns the message."""
    if isinstance(response, httpx.Response):
        got, headers, body = response.status_code, dict(response.headers), response.content
    else:
        got, headers, body = response.status, dict(response.headers), response.body
    assert got == status, (got, body[:300])
    assert headers.get("content-type", "").startswith("application/json"), headers
    assert headers.get("x-request-id"), headers
    [error] = json.loads(body)["errors"]
    assert error["extensions"]["code"] == code, error
    assert error["message"], error
    return str(error["message"])


# ------------------------------------------------------------------------ body size


async def test_a_json_body_larger_than_the_limit_is_refused_before_it_is_read(
    server: DocentServer,
) -> None:
    # announced: refused at once, while the 400 MB are still to come
    request = head("POST", "/graphql", [
        ("Content-Type", "application/json"), ("Authorization", bearer()),
        ("Content-Length", str(400 * MB)),
    ])  # fmt: skip
    response = await exchange(server.port, request + b'{"query": "{ viewer')
    assert "256 KB" in typed(response, 413, "TOO_LARGE")

    # not announced (chunked): refused once the limit is passed, and the memory stays
    pid = server._process.pid  # type: ignore[union-attr]
    before = resident_mb(pid)

    async def chunks() -> AsyncIterator[bytes]:
        block = b"%x\r\n%s\r\n" % (MB, b" " * MB)
        for _ in range(400):
            yield block

    request = head("POST", "/graphql", [
        ("Content-Type", "application/json"), ("Authorization", bearer()),
        ("Transfer-Encoding", "chunked"),
    ])  # fmt: skip
    response = await exchange(server.port, request, chunks())
    if not response.extra.get("reset"):  # else the answer was lost to the connection reset
        typed(response, 413, "TOO_LARGE")
    assert response.sent < 64 * MB, response.sent
    assert resident_mb(pid) - before < 100, (before, resident_mb(pid))

    # under the limit, a body is read and answered as before
    padded = json.dumps({"query": "{ viewer { id } }", "extensions": {"pad": "x" * 250_000}})
    async with httpx.AsyncClient(timeout=30) as client:
        ok = await client.post(server.url, content=padded, headers={
            "content-type": "application/json", "authorization": bearer()})  # fmt: skip
    assert ok.status_code == 200 and ok.json()["data"]["viewer"]["id"] == "tester", ok.text


# ---------------------------------------------------------------- one request, one meaning

UPLOAD_QUERY = "mutation ($file: Upload!) { uploadDocument(file: $file) { document { id } } }"
UPLOAD_OPERATIONS = json.dumps({"query": UPLOAD_QUERY, "variables": {"file": None}})


def multipart_body(size: int) -> bytes:
    return (
        b'--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        + UPLOAD_OPERATIONS.encode()
        + b'\r\n--b\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0": ["variables.file"]}'
        + b'\r\n--b\r\nContent-Disposition: form-data; name="0"; filename="a.txt"\r\n\r\n'
        + b"a" * size
        + b"\r\n--b--\r\n"
    )


AMBIGUOUS: dict[str, list[tuple[str, str]]] = {
    # the CSRF guard read the last, Starlette and Strawberry the first
    "two Content-Type": [("Content-Type", "multipart/form-data; boundary=b"), ("Content-Type", "text/plain")],
    "two Content-Type, text first": [("Content-Type", "text/plain"), ("Content-Type", "multipart/form-data; boundary=b")],
    "two Authorization": [("Content-Type", "application/json"), ("Authorization", bearer("ann")), ("Authorization", bearer("bob"))],
    "two Origin": [("Content-Type", "application/json"), ("Origin", "https://a.example"), ("Origin", "https://b.example")],
    "two Host": [("Content-Type", "application/json"), ("Host", "evil.example")],
}  # fmt: skip


@pytest.mark.parametrize("case", list(AMBIGUOUS))
async def test_repeated_security_headers_are_refused(server: DocentServer, case: str) -> None:
    headers = AMBIGUOUS[case]
    if not any(name == "Authorization" for name, _ in headers):
        headers = [("Authorization", bearer()), *headers]
    body = multipart_body(2000) if "multipart" in str(headers) else VIEWER
    # announce 2,000 MB and send a few bytes: the refusal must not wait for the rest
    request = head("POST", "/graphql", [*headers, ("Content-Length", str(2000 * MB))])
    response = await exchange(server.port, request + body[:200])
    message = typed(response, 400, "BAD_REQUEST")
    assert "header" in message.lower(), message


async def test_content_length_and_transfer_encoding_have_one_meaning(server: DocentServer) -> None:
    cases = {
        "two Content-Length": [("Content-Length", str(len(VIEWER))), ("Content-Length", "5")],
        "Transfer-Encoding with Content-Length": [
            ("Content-Length", str(len(VIEWER))), ("Transfer-Encoding", "chunked")],
    }  # fmt: skip
    for label, framing in cases.items():
        request = head("POST", "/graphql", [
            ("Content-Type", "application/json"), ("Authorization", bearer()), *framing])  # fmt: skip
        response = await exchange(server.port, request + VIEWER)
        # Refused, by the HTTP server itself or by docent (which then says why, typed).
        assert response.status == 400, (label, response.status, response.body[:200])
        if response.header("content-type") == "application/json":
            typed(response, 400, "BAD_REQUEST")


async def test_the_guard_and_the_framework_see_the_same_content_type(
    server: DocentServer,
) -> None:
    big = multipart_body(3 * MB)  # over the 1 MB upload limit
    for content_type in ("Multipart/Form-Data; boundary=b", " multipart/form-data ; boundary=b"):
        # without the CSRF header: refused as multipart, whatever the case or spacing
        request = head("POST", "/graphql", [
            ("Content-Type", content_type), ("Authorization", bearer()),
            ("Content-Length", str(len(big)))])  # fmt: skip
        response = await exchange(server.port, request + big[:100])
        assert "Apollo-Require-Preflight" in typed(response, 400, "BAD_REQUEST")
        # with it: held to the upload limit
        request = head("POST", "/graphql", [
            ("Content-Type", content_type), ("Authorization", bearer()),
            ("X-Requested-With", "t"), ("Content-Length", str(len(big)))])  # fmt: skip
        response = await exchange(server.port, request + big[:100])
        typed(response, 413, "TOO_LARGE")
    for content_type in ("text/plain", "application/graphql", "application/x-www-form-urlencoded",
                         "application/json, multipart/form-data", "text/plain; a=application/json",
                         "application/jsonp"):  # fmt: skip
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(server.url, content=VIEWER, headers={
                "content-type": content_type, "authorization": bearer()})  # fmt: skip
        assert "application/json" in typed(response, 415, "UNSUPPORTED_MEDIA_TYPE"), content_type


# ------------------------------------------------------------------ typed error answers


def multipart(operations: str, file_map: str) -> tuple[dict[str, str], dict[str, Any]]:
    return {"operations": operations, "map": file_map}, {"0": ("a.txt", b"hello", "text/plain")}


async def test_every_error_response_is_typed_json_with_the_request_id(
    server: DocentServer,
) -> None:
    auth = {"authorization": bearer()}
    upload = {**auth, "x-requested-with": "t"}
    deep = b'{"query": "{ viewer { id } }", "variables": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    async with httpx.AsyncClient(timeout=30) as client:
        cases: list[tuple[str, httpx.Response, int, str]] = [
            ("deeply nested JSON", await client.post(server.url, content=deep, headers={**auth, "content-type": "application/json"}), 400, "BAD_REQUEST"),
            ("invalid UTF-8", await client.post(server.url, content=b'{"query": "{ viewer { id } }\xff"}', headers={**auth, "content-type": "application/json"}), 400, "BAD_REQUEST"),
            ("not JSON", await client.post(server.url, content=b"{viewer", headers={**auth, "content-type": "application/json"}), 400, "BAD_REQUEST"),
            ("a map into a file", await client.post(server.url, data=multipart(UPLOAD_OPERATIONS, '{"0": ["variables.file.x.y"]}')[0], files=multipart("", "")[1], headers=upload), 400, "BAD_REQUEST"),
            ("a map that is a list", await client.post(server.url, data=multipart(UPLOAD_OPERATIONS, '[["variables.file"]]')[0], files=multipart("", "")[1], headers=upload), 400, "BAD_REQUEST"),
            ("a map to a missing file", await client.post(server.url, data=multipart(UPLOAD_OPERATIONS, '{"7": ["variables.file"]}')[0], files=multipart("", "")[1], headers=upload), 400, "BAD_REQUEST"),
            ("a map outside the variables", await client.post(server.url, data=multipart(UPLOAD_OPERATIONS, '{"0": ["query"]}')[0], files=multipart("", "")[1], headers=upload), 400, "BAD_REQUEST"),
            ("operations that are not JSON", await client.post(server.url, data=multipart("{", '{"0": ["variables.file"]}')[0], files=multipart("", "")[1], headers=upload), 400, "BAD_REQUEST"),
            ("operations nested past the stack", await client.post(server.url, data=multipart('{"query": "{ viewer { id } }", "variables": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}", "{}")[0], files=multipart("", "")[1], headers=upload), 400, "BAD_REQUEST"),
            ("a file name of 5,000 characters", await client.post(server.url, data=multipart(UPLOAD_OPERATIONS, '{"0": ["variables.file"]}')[0], files={"0": ("n" * 5000 + ".txt", b"hello", "text/plain")}, headers=upload), 400, "BAD_REQUEST"),
            ("a broken multipart body", await client.post(server.url, content=b"--b\r\nnonsense", headers={**upload, "content-type": "multipart/form-data; boundary=b"}), 400, "BAD_REQUEST"),
            ("a mutation over GET", await client.get(server.url, params={"query": 'mutation { deleteDocument(id: "x") { deletedDocumentId } }'}, headers=auth), 400, "BAD_REQUEST"),
            ("batching", await client.post(server.url, json=[{"query": "{ viewer { id } }"}], headers=auth), 400, "BAD_REQUEST"),
            ("a query that is not a string", await client.post(server.url, json={"query": 5}, headers=auth), 400, "BAD_REQUEST"),
            ("no query", await client.post(server.url, json={}, headers=auth), 400, "BAD_REQUEST"),
            ("an unknown path", await client.get(f"{server.base}/nope"), 404, "NOT_FOUND"),
            ("an unknown asset", await client.get(f"{server.base}/graphql-assets/nope.js"), 404, "NOT_FOUND"),
            ("PUT", await client.put(server.url, content=VIEWER, headers=auth), 405, "METHOD_NOT_ALLOWED"),
            ("DELETE on the home page", await client.delete(f"{server.base}/"), 405, "METHOD_NOT_ALLOWED"),
        ]  # fmt: skip
    for label, response, status, code in cases:
        try:
            message = typed(response, status, code)
        except AssertionError as exc:
            raise AssertionError(f"{label}: {exc}") from exc
        if label == "a file name of 5,000 characters":  # python-multipart's reason, not
            assert "header" in message and "4 KB" in message, message  # "Invalid multipart data."
    # Nested 900 deep (within the JSON parser's reach): Strawberry's deepcopy of it
    # overflowed the stack (a plain-text 500); now the upload simply goes through.
    nested = "[" * 900 + "]" * 900
    deep = f'{{"query": {json.dumps(UPLOAD_QUERY)}, "variables": {{"file": null, "x": {nested}}}}}'
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(server.url, headers=upload, data={
            "operations": deep, "map": '{"0": ["variables.file"]}'}, files=multipart("", "")[1])  # fmt: skip
    assert response.status_code == 200, response.text[:300]
    assert response.json()["data"]["uploadDocument"]["document"]["id"]
    assert "Traceback" not in server.log()


SEARCH = "query ($q: String!) { search(input: {query: $q}) { tookMs } }"


async def test_text_that_is_not_unicode_is_refused_at_the_door(server: DocentServer) -> None:
    """A JSON string may escape half of a UTF-16 surrogate pair (`"\\ud800"`), and Python's
    decoder of JSON bytes lets the same half through written as UTF-8 (ED A0 80): neither
    is Unicode text, and either reached the embedder, SQLite and Redis as a Python string
    no encoder takes (a trial: INTERNAL from `search`, `ask`, `conversations`,
    `conversation(id)` and `document(id)`). Refused as the body's fault, 400 BAD_REQUEST,
    wherever the JSON comes from; a whole pair (an emoji, escaped) is text."""
    auth = {"authorization": bearer(), "content-type": "application/json"}
    bodies = {
        "a lone high surrogate, escaped": b'"a\\ud800"',
        "a lone low surrogate, escaped": b'"\\uDC00b"',
        "a pair the wrong way round": b'"\\udc00\\ud800"',
        "a surrogate written as UTF-8": b'"a\xed\xa0\x80b"',
    }
    async with httpx.AsyncClient(timeout=30) as client:
        for label, value in bodies.items():
            body = b'{"query": "' + SEARCH.encode() + b'", "variables": {"q": ' + value + b"}}"
            message = typed(
                await client.post(server.url, content=body, headers=auth), 400, "BAD_REQUEST"
            )
            assert "surrogate" in message, (label, message)
            # a surrogate in a key, deep in a list, or in the query text itself
            for other in (b'{"query": "' + SEARCH.encode() + b'", "variables": {' + value + b': 1}}',
                          b'{"query": "' + SEARCH.encode() + b'", "variables": {"q": "x", "y": [[' + value + b"]]}}",
                          b'{"query": "{ viewer { id } } # ' + value[1:-1] + b'"}'):  # fmt: skip
                typed(
                    await client.post(server.url, content=other, headers=auth), 400, "BAD_REQUEST"
                )
        operations = json.dumps({"query": UPLOAD_QUERY, "variables": {"file": None, "x": "\ud800"}})
        refused = await client.post(server.url, data={"operations": operations, "map": '{"0": ["variables.file"]}'},
                                    files=multipart("", "")[1], headers={"authorization": bearer(), "x-requested-with": "t"})  # fmt: skip
        typed(refused, 400, "BAD_REQUEST")
        pair = b'{"query": "' + SEARCH.encode() + b'", "variables": {"q": "a\\ud83d\\ude00"}}'
        ok = await client.post(server.url, content=pair, headers=auth)
    assert ok.status_code == 200 and ok.json()["data"]["search"]["tookMs"] >= 0, ok.text


#: Requests uvicorn itself cannot parse, written by hand: the application never sees them.
UNPARSABLE: dict[str, bytes] = {
    "not a request line": b"HELLO THERE\r\n\r\n",
    "a space in the target": b"GET /graph ql HTTP/1.1\r\nHost: x\r\n\r\n",
    "a NUL in a header value": b"GET /graphql HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    "a header name with a space": b"GET /graphql HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
    "a chunk size that is not hex": (
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    ),
}


@pytest.mark.parametrize("case", list(UNPARSABLE))
async def test_a_request_the_http_parser_refuses_gets_a_typed_json_400(
    server: DocentServer, case: str
) -> None:
    """uvicorn answered these itself, "Invalid HTTP request received." as text/plain: the
    one refusal of docent that was not JSON. It is 400 BAD_REQUEST in the GraphQL error
    shape with a request id, like every other; the server serves on."""
    response = await exchange(server.port, UNPARSABLE[case])
    typed(response, 400, "BAD_REQUEST")
    assert response.header("connection") == "close"
    async with httpx.AsyncClient(timeout=30) as client:
        ok = await client.post(server.url, content=VIEWER, headers={
            "authorization": bearer(), "content-type": "application/json"})  # fmt: skip
    assert ok.status_code == 200, ok.text


# ------------------------------------------------------------------------ WebSockets


async def connected(server: DocentServer) -> Any:
    ws = await websockets.connect(server.ws_url, subprotocols=PROTOCOLS, open_timeout=10)
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": bearer("ws")}})
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    return ws


MALFORMED: dict[str, str | bytes] = {
    "not JSON": "{nope",
    "binary": b'{"type": "ping"}',
    "a JSON list": "[]",
    "a JSON number": "5",
    "no type": '{"id": "1"}',
    "a type that is not a string": '{"type": ["subscribe"]}',
    "a payload that is a string": '{"id": "1", "type": "subscribe", "payload": "{ viewer { id } }"}',
    "an id that is an object": '{"id": {"a": 1}, "type": "subscribe", "payload": {"query": "{ viewer { id } }"}}',
    "a complete without an id": '{"type": "complete"}',
    "a complete with a list id": '{"type": "complete", "id": [1]}',
    "deeply nested JSON": '{"type": "ping", "payload": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "a lone surrogate in a variable": '{"id": "1", "type": "subscribe", "payload": {"query": "subscription ($q: String!) { answer(input: {question: $q}) { __typename } }", "variables": {"q": "\\ud800"}}}',
}  # fmt: skip


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_a_malformed_frame_closes_the_socket_with_4400(
    server: DocentServer, case: str
) -> None:
    ws = await connected(server)
    await ws.send(MALFORMED[case])
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 10)
    # a close frame with the protocol's code, not a dropped connection
    assert closed.value.rcvd is not None, case
    assert closed.value.rcvd.code == 4400, (case, closed.value.rcvd)


async def test_a_subscribe_with_a_query_that_is_not_a_string_gets_a_typed_error(
    server: DocentServer,
) -> None:
    ws = await connected(server)
    try:
        for op, payload in (("1", {"query": 5}), ("2", {"query": "{ viewer { id } }", "variables": [1]}),
                            ("3", {"query": "{ viewer { id } }", "operationName": {"x": 1}})):  # fmt: skip
            await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert message["type"] == "error" and message["id"] == op, message
            [error] = message["payload"]
            assert error["extensions"]["code"] == "INVALID_INPUT", error
            assert error["message"].startswith("the subscribe payload's"), error
        # the socket still works
        await ws.send(
            json.dumps({"id": "4", "type": "subscribe", "payload": {"query": "{ viewer { id } }"}})
        )
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert message["payload"]["data"] == {"viewer": {"id": "ws"}}, message
    finally:
        await ws.close()


async def test_a_websocket_with_repeated_security_headers_is_refused(server: DocentServer) -> None:
    for extra in ([("Origin", server.base), ("Origin", "https://evil.example")],
                  [("Authorization", bearer("a")), ("Authorization", bearer("b"))]):  # fmt: skip
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(
                server.ws_url, subprotocols=PROTOCOLS, additional_headers=extra, open_timeout=10
            ):
                pass
        assert refused.value.response.status_code in (400, 403), extra


# ------------------------------------------------------------------- browser headers


def policy(response: httpx.Response) -> dict[str, str]:
    """The Content-Security-Policy's directives, by name."""
    text = response.headers["content-security-policy"]
    return {part.split()[0]: part.strip() for part in text.split(";") if part.strip()}


async def test_pages_and_answers_carry_browser_security_headers(server: DocentServer) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        pages = {
            "home": await client.get(f"{server.base}/"),
            "GraphiQL": await client.get(server.url, headers={"accept": "text/html"}),
        }
        answers = {
            "query": await client.post(server.url, content=VIEWER, headers={
                "content-type": "application/json", "authorization": bearer()}),
            "refusal": await client.post(server.url, content=VIEWER, headers={"content-type": "application/json"}),
            "health": await client.get(f"{server.base}/healthz"),
        }  # fmt: skip
    for name, response in {**pages, **answers}.items():
        assert response.headers["x-content-type-options"] == "nosniff", name
        assert response.headers["x-frame-options"] == "DENY", name
        assert policy(response)["frame-ancestors"] == "frame-ancestors 'none'", name
    for name, response in pages.items():
        assert response.status_code == 200 and "<script" in response.text, name
        directives = policy(response)
        # no inline script runs but the page's own, named by its hash
        scripts = directives["script-src"]
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, name
        inline = re.findall(r"<script>(.*?)</script>", response.text, re.S)
        if name == "home":  # its one script is a file of docent's: no inline script at all
            assert inline == [] and scripts == "script-src 'self'", scripts
            assert re.findall(r"<script\b[^>]*>", response.text) == [
                '<script src="/home.js" defer>'
            ]
        else:
            assert inline and all(_sha256(code) in scripts for code in inline), name
        assert directives["object-src"] == "object-src 'none'", name
    for name, response in answers.items():
        assert policy(response)["default-src"] == "default-src 'none'", name
    async with httpx.AsyncClient(timeout=30) as client:  # the home page's script and style
        for path, media_type in (("/home.js", "text/javascript"), ("/home.css", "text/css")):
            response = await client.get(f"{server.base}{path}")
            assert response.status_code == 200, path
            assert response.headers["content-type"].split(";")[0] == media_type, path
            assert response.headers["x-content-type-options"] == "nosniff", path


def _sha256(code: str) -> str:
    import base64
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"
