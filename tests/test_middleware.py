"""The transport rules of api/middleware.py, in process and without a runtime (each refusal
happens before GraphQL would need one): who is refused, with which status and code, and
that every refusal carries the request id. Their order against a live server is tested in
test_security.py and test_e2e.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from docent.api.app import create_app
from docent.settings import Settings

Client = Callable[..., TestClient]


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Client:
    def make(host: str, **env: str) -> TestClient:
        monkeypatch.setenv("DOCENT_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("DOCENT_MAX_UPLOAD_MB", "1")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        app = create_app(Settings.load(), run_worker=False)  # no lifespan: no runtime
        return TestClient(app, client=(host, 50000))

    return make


def refusal(response: httpx.Response, status: int, code: str) -> str:
    """The message of a refusal, checked for its status, code and request id."""
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": code}
    assert response.headers["x-request-id"]
    return str(error["message"])


def test_without_auth_only_the_loopback_is_served(client: Client) -> None:
    remote = client("192.0.2.7", DOCENT_AUTH="none")
    for path in ("/", "/healthz", "/graphql"):
        assert "only its own machine" in refusal(remote.get(path), 403, "FORBIDDEN")
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        remote.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]),
    ):
        pass
    assert closed.value.code == 4403
    local = client("127.0.0.1", DOCENT_AUTH="none")
    assert local.get("/healthz").json() == {"status": "ok"}


def test_operations_need_a_token_and_refusals_keep_the_request_id(client: Client) -> None:
    http = client("192.0.2.7", DOCENT_AUTH="dev", DOCENT_DEV_SECRET="s" * 40)
    for response in (
        http.post("/graphql", json={"query": "{ viewer { id } }"}, headers={"x-request-id": "r-1"}),
        http.get("/graphql?%71uery=%7Bviewer%7Bid%7D%7D", headers={"x-request-id": "r-1"}),
    ):
        refusal(response, 401, "UNAUTHENTICATED")
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["x-request-id"] == "r-1"
    weird = http.get("/healthz", headers={"x-request-id": "not a plain id"})
    assert weird.status_code == 200 and weird.headers["x-request-id"] != "not a plain id"


def test_multipart_needs_a_preflight_header_then_fits_the_limit(client: Client) -> None:
    http = client("127.0.0.1", DOCENT_AUTH="none")
    multipart = {"content-type": "multipart/form-data; boundary=b"}
    message = refusal(
        http.post("/graphql", content=b"--b--", headers=multipart), 400, "BAD_REQUEST"
    )
    assert "Apollo-Require-Preflight" in message
    big = b"x" * (2 * 1024 * 1024)
    headers = {**multipart, "x-requested-with": "XMLHttpRequest"}
    message = refusal(http.post("/graphql", content=big, headers=headers), 413, "TOO_LARGE")
    assert message == "the upload is larger than 1 MB"

    def chunked() -> Iterator[bytes]:  # no Content-Length: refused as it streams in
        yield from (big[i : i + 65536] for i in range(0, len(big), 65536))

    # GraphQL reads the body once it has a context: services no resolver gets to use.
    http.app.state.docent.services = SimpleNamespace()
    refusal(http.post("/graphql", content=chunked(), headers=headers), 413, "TOO_LARGE")
