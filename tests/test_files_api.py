"""Original files through a real server: `GET /documents/{id}/file` returns the stored bytes
to a reader of the document and the same 404 to everyone else, with an ETag (304), one byte
range (206, 416), and a Content-Disposition no file name can break out of."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from docent.api.auth import DevAuth

from support.servers import UPLOAD, DocentServer, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SECRET = "files-test-secret-" + "x" * 32
TOKENS = {name: DevAuth(SECRET).mint(name) for name in ("alice", "bob", "mallory")}
CONTENT = "".join(f"line {i:04d} of the handbook: ünïcode ✓\n" for i in range(400)).encode()
DOCUMENT = "query($id: ID!) { document(id: $id) { id fileUrl sha256 } }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET}
    with running_server(tmp_path_factory.mktemp("files"), env) as s:
        yield s


def auth(user: str) -> dict[str, str]:
    return {"authorization": f"Bearer {TOKENS[user]}"}


async def upload_as(server: DocentServer, user: str, filename: str, content: bytes) -> str:
    operations = {"query": UPLOAD, "variables": {"file": None}}
    async with httpx.AsyncClient(timeout=120) as client:
        response = await client.post(
            server.url,
            data={"operations": json.dumps(operations), "map": '{"0": ["variables.file"]}'},
            files={"0": (filename, content, "application/octet-stream")},
            headers={"Apollo-Require-Preflight": "true", **auth(user)},
        )
    assert response.json().get("data"), response.text
    payload = response.json()["data"]["uploadDocument"]
    assert payload["userErrors"] == [], payload
    return str(payload["document"]["id"])


async def get(server: DocentServer, path: str, user: str | None, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=60) as client:
        return await client.get(
            server.base + path, headers={**(auth(user) if user else {}), **headers}
        )


async def query(server: DocentServer, user: str, text: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            server.url, json={"query": text, "variables": variables}, headers=auth(user)
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_the_owner_downloads_the_stored_bytes_with_an_etag(server: DocentServer) -> None:
    document_id = await upload_as(server, "alice", "handbook.txt", CONTENT)
    document = (await query(server, "alice", DOCUMENT, id=document_id))["document"]
    assert document["fileUrl"] == f"/documents/{document_id}/file"
    response = await get(server, document["fileUrl"], "alice")
    assert response.status_code == 200, response.text
    assert response.content == CONTENT
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["etag"] == f'"{document["sha256"]}"'
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    again = await get(
        server, document["fileUrl"], "alice", **{"if-none-match": response.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    other = await get(server, document["fileUrl"], "alice", **{"if-none-match": '"0000"'})
    assert other.status_code == 200 and other.content == CONTENT


async def test_one_byte_range_is_served_and_one_past_the_end_refused(server: DocentServer) -> None:
    document_id = await upload_as(server, "alice", "ranges.txt", CONTENT + b"ranges")
    path = f"/documents/{document_id}/file"
    body = CONTENT + b"ranges"
    size = len(body)
    cases = {"bytes=0-99": (0, 100), "bytes=100-": (100, size), "bytes=-50": (size - 50, size),
             f"bytes=10-{size + 1000}": (10, size)}  # fmt: skip
    for header, (start, end) in cases.items():
        response = await get(server, path, "alice", range=header)
        assert response.status_code == 206, (header, response.text)
        assert response.content == body[start:end], header
        assert response.headers["content-range"] == f"bytes {start}-{end - 1}/{size}"
        assert response.headers["content-length"] == str(end - start)
    past = await get(server, path, "alice", range=f"bytes={size}-")
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{size}"
    # Two Range header lines (a singleton field): which one? Refused, as other repeated
    # headers are, never answered with the first.
    async with httpx.AsyncClient(timeout=60) as client:
        twice = await client.get(server.base + path, headers=[
            *auth("alice").items(), ("Range", "bytes=0-1"), ("Range", "bytes=5-6")])  # fmt: skip
    assert twice.status_code == 400, twice.text
    assert twice.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST", twice.text
    # Several ranges: the whole file (RFC 9110 lets a server ignore Range).
    several = await get(server, path, "alice", range="bytes=0-1,5-6")
    assert several.status_code == 200 and several.content == body
    # If-Range with another version's tag: the whole file, not a piece of the wrong one.
    stale = await get(server, path, "alice", range="bytes=0-9", **{"if-range": '"stale"'})
    assert stale.status_code == 200 and stale.content == body
    fresh = await get(
        server, path, "alice", range="bytes=0-9", **{"if-range": stale.headers["etag"]}
    )
    assert fresh.status_code == 206 and fresh.content == body[:10]


async def test_another_users_id_is_answered_as_a_missing_one(server: DocentServer) -> None:
    document_id = await upload_as(server, "alice", "private.txt", b"alice's private notes")
    theirs = await get(server, f"/documents/{document_id}/file", "bob")
    missing = await get(server, "/documents/doesnotexist/file", "bob")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert b"alice" not in theirs.content
    anonymous = await get(server, f"/documents/{document_id}/file", None)
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    traversal = await get(server, "/documents/..%2F..%2Fetc%2Fpasswd/file", "alice")
    assert traversal.status_code == 404


@pytest.mark.parametrize(
    "filename",
    ['evil"; filename=steal.exe.txt', "résumé ✓ «draft».txt", "x\\..\\..\\boot.ini.txt"],
)
async def test_a_hostile_file_name_stays_inside_content_disposition(
    server: DocentServer, filename: str
) -> None:
    document_id = await upload_as(server, "alice", filename, b"text " + filename.encode())
    response = await get(server, f"/documents/{document_id}/file", "alice")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    kind, plain, exact = (part.strip() for part in disposition.split(";"))
    assert kind == "inline"
    assert plain.startswith('filename="') and plain.endswith('"') and plain.count('"') == 2
    assert "\\" not in plain and "/" not in plain
    assert exact.startswith("filename*=UTF-8''")
    from urllib.parse import unquote

    stored = (await query(server, "alice", "query($id: ID!) { document(id: $id) { filename } }",
                          id=document_id))["document"]["filename"]  # fmt: skip
    assert unquote(exact.removeprefix("filename*=UTF-8''")) == stored.replace("\\", "_")


async def test_an_html_file_is_a_download_and_never_a_page(server: DocentServer) -> None:
    page = b"<html><body><script>alert(document.cookie)</script><p>Policy text.</p></body></html>"
    document_id = await upload_as(server, "alice", "page.html", page)
    response = await get(server, f"/documents/{document_id}/file", "alice")
    assert response.status_code == 200 and response.content == page
    assert response.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["content-security-policy"]


async def test_numbers_of_any_length_in_a_range_get_a_typed_answer(server: DocentServer) -> None:
    """The kind: a number in a header is bounded by its length before it is read (Python's
    int() refuses 4,300+ digits with a ValueError, which was an untyped 500)."""
    body = CONTENT + b"long numbers"
    size = len(body)
    document_id = await upload_as(server, "alice", "numbers.txt", body)
    path = f"/documents/{document_id}/file"
    nines = "9" * 4400
    whole = {f"bytes=0-{nines}": (0, size), f"bytes=-{nines}": (0, size),
             f"bytes={'0' * 4400}5-9": (5, 10)}  # fmt: skip
    for header, (start, end) in whole.items():
        response = await get(server, path, "alice", range=header)
        assert response.status_code == 206, (header[:20], response.text)
        assert response.content == body[start:end]
    for header in (f"bytes={nines}-", f"bytes={nines}-{nines}", f"bytes={size}-"):
        past = await get(server, path, "alice", range=header)
        assert past.status_code == 416, (header[:20], past.text)
        assert past.headers["content-range"] == f"bytes */{size}"
        assert past.headers["content-type"] == "application/json"
        error = past.json()["errors"][0]
        assert error["extensions"]["code"] == "RANGE_NOT_SATISFIABLE"
        assert str(size) in error["message"]
    # Fullwidth digits (sent as UTF-8) are not a range: ignored, the whole file.
    async with httpx.AsyncClient(timeout=60) as client:
        fullwidth = await client.get(
            server.base + path, headers={**auth("alice"), "range": "bytes=\uff10-\uff19".encode()}
        )
    assert fullwidth.status_code == 200 and fullwidth.content == body


async def test_a_trailing_slash_is_a_typed_404_and_never_a_redirect(server: DocentServer) -> None:
    document_id = await upload_as(server, "alice", "slash.txt", CONTENT)
    for path in (f"/documents/{document_id}/file/", "/graphql/", "/healthz/"):
        async with httpx.AsyncClient(timeout=60, follow_redirects=False) as client:
            response = await client.get(
                server.base + path, headers={**auth("alice"), "host": "evil.example"}
            )
        assert response.status_code == 404, (path, response.status_code, response.headers)
        assert "location" not in response.headers
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # The routes themselves still answer.
    assert (await get(server, f"/documents/{document_id}/file", "alice")).status_code == 200
    assert (await get(server, "/", None)).status_code == 200
    assert (await get(server, "/healthz", None)).status_code == 200
