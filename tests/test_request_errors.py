"""Requests that are wrong in their JSON or their variables: each answered with a typed error
(a stable `extensions.code`, a message in JSON's terms, never a Python repr), through the
session's real server (an attacker's findings)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from support.servers import DocentServer


@pytest.fixture
def server(docent_server: DocentServer) -> DocentServer:
    return docent_server


pytestmark = pytest.mark.e2e


async def post(server: DocentServer, body: bytes | str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=60) as client:
        return await client.post(
            server.url, content=body, headers={"content-type": "application/json"}
        )


def only_error(response: httpx.Response) -> dict[str, Any]:
    [error] = response.json()["errors"]
    assert isinstance(error, dict)
    return error


@pytest.mark.parametrize("body", ["null", '"a string"', "5", "true", "1.5"])
async def test_a_body_that_is_not_an_object_is_400_like_a_list(
    server: DocentServer, body: str
) -> None:
    like = await post(server, "[]")
    response = await post(server, body)
    assert response.status_code == 400 == like.status_code, response.text[:300]
    error = only_error(response)
    assert error["extensions"]["code"] == only_error(like)["extensions"]["code"], error
    assert "object" in error["message"], error


SEARCH = "query($in: SearchInput!) { search(input: $in) { hits { chunk { text } } } }"

WRONG_VARIABLES = {
    "null for String!": ("query($q: String!) { search(input: {query: $q}) { hits { score } } }", {"q": None}),
    "an unknown input field": (SEARCH, {"in": {"query": "w", "bogus": 1}}),
    "Int from a string": ("query($n: Int) { documents(first: $n) { totalCount } }", {"n": "abc"}),
    "Int too large": ("query($n: Int) { documents(first: $n) { totalCount } }", {"n": 1e40}),
    "ID from an object": ('query($i: ID!) { document(id: $i) { id } }', {"i": {"a": [1, True, None]}}),
    "ID from a float": ('query($i: ID!) { document(id: $i) { id } }', {"i": 1.5}),
    "a list of objects for a string": ("query($q: String!) { search(input: {query: $q}) { hits { score } } }", {"q": [{"x": False}]}),
}  # fmt: skip


@pytest.mark.parametrize("case", list(WRONG_VARIABLES))
async def test_a_variable_of_the_wrong_type_is_invalid_input_in_json_terms(
    server: DocentServer, case: str
) -> None:
    query, variables = WRONG_VARIABLES[case]
    response = await post(server, json.dumps({"query": query, "variables": variables}))
    body = response.json()
    assert body.get("data") is None, body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_INPUT", error
    message = error["message"]
    # no Python reprs: quotes, True/None, dict reprs
    for python in ("{'", "['", "': ", "True", "None", "False"):
        assert python not in message, (python, message)


async def test_an_operation_name_that_is_not_a_string_is_a_typed_400(server: DocentServer) -> None:
    body = {"query": "query A { viewer { id } }", "operationName": {"a": 1}}
    response = await post(server, json.dumps(body))
    assert response.status_code == 400, response.text[:300]
    error = only_error(response)
    assert error["extensions"]["code"] == "BAD_REQUEST", error
    assert "operationName" in error["message"] and "{'" not in error["message"], error


async def test_two_operations_without_an_operation_name_are_refused(server: DocentServer) -> None:
    body = {"query": "query A { viewer { id } } query B { viewer { name } }"}
    response = await post(server, json.dumps(body))
    payload = response.json()
    assert payload.get("data") is None, payload
    error = payload["errors"][0]
    assert "Must provide operation name" in error["message"], error
    assert error["extensions"]["code"] == "INVALID_INPUT", error
    # naming one runs it
    named = await post(server, json.dumps({**body, "operationName": "B"}))
    assert named.json()["data"] == {"viewer": {"name": "Local user"}}, named.text


async def test_a_client_that_drops_mid_body_is_one_info_line(server: DocentServer) -> None:
    """Attack: Content-Length 100, 24 bytes, close: `ERROR docent.api: unexpected error` and
    a ClientDisconnect traceback."""
    before = len(server.log())
    _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n" + b'{"query": "{ viewer { id'
    )
    await writer.drain()
    await asyncio.sleep(0.5)
    writer.close()
    await asyncio.sleep(1.5)
    response = await post(server, json.dumps({"query": "{ viewer { id } }"}))
    assert response.json()["data"] == {"viewer": {"id": "local"}}
    log = server.log()[before:]
    assert "Traceback" not in log and "unexpected error" not in log, log[-3000:]
    assert "went away" in log, log[-3000:]


LONG_DOCUMENTS = {
    "a comment": "#" + "a" * 200_000 + "\n{ viewer { id } }",
    "commas": "," * 200_000 + "{ viewer { id } }",
    "a string": '{ document(id: "' + "a" * 200_000 + '") { id } }',
    # just under the body limit (DOCENT_MAX_REQUEST_KB, 256 KB); was refused by the token limit
    "250 KB of tokens": "{ viewer { " + "id " * 85_000 + "} }",
}


@pytest.mark.parametrize("case", list(LONG_DOCUMENTS))
async def test_a_document_over_64k_characters_is_413_before_it_is_parsed(
    server: DocentServer, case: str
) -> None:
    """Attack: 16 concurrent 255 KB comments (under the body bound; the token limit does not
    see a comment) gave another user 2 s: graphql-core lexes ~1 µs a character."""
    response = await post(server, json.dumps({"query": LONG_DOCUMENTS[case]}))
    assert response.status_code == 413, response.text[:300]
    error = only_error(response)
    assert error["extensions"]["code"] == "TOO_LARGE", error
    assert "variables" in error["message"], error


async def test_a_document_of_a_thousand_inline_ids_passes(server: DocentServer) -> None:
    ids = ", ".join(f'"{i:032x}"' for i in range(1000))
    query = f'{{ search(input: {{query: "w", documentIds: [{ids}]}}) {{ hits {{ score }} }} }}'
    assert 32_000 < len(query) < 64 * 1024
    response = await post(server, json.dumps({"query": query}))
    assert response.status_code == 200, response.text[:300]
    assert "errors" not in response.json(), response.text[:300]
