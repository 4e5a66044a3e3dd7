"""Authentication: OIDC tokens verified against a JWKS this test serves, dev tokens minted by
`docent token`, on HTTP and on WebSocket; every forgery refused with UNAUTHENTICATED and
nothing that tells the attacker why."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from docent.api.auth import REFUSED, OidcAuth
from docent.errors import Unauthenticated

from support.oidc import AUDIENCE, ISSUER, Jwks, hmac_with_public_key, token, unsigned
from support.servers import DocentServer, running_server

VIEWER = "{ viewer { id name } }"


@pytest.fixture(scope="module")
def jwks() -> Iterator[Jwks]:
    server = Jwks()
    yield server
    server.close()


@pytest.fixture(scope="module")
def oidc_server(jwks: Jwks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {
        "DOCENT_AUTH": "oidc",
        "DOCENT_OIDC_ISSUER": ISSUER,
        "DOCENT_OIDC_AUDIENCE": AUDIENCE,
        "DOCENT_OIDC_JWKS_URL": jwks.url,
        "DOCENT_AUTH_LEEWAY_S": "5",
    }
    with running_server(tmp_path_factory.mktemp("oidc"), env) as server:
        yield server


async def post(server: DocentServer, query: str, authorization: str | None) -> httpx.Response:
    headers = {"authorization": authorization} if authorization else {}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(server.url, json={"query": query}, headers=headers)


async def ws_viewer(server: DocentServer, payload: dict[str, Any]) -> tuple[str, Any]:
    """connection_init with `payload`, then a query: ("ack", data) or ("closed", code)."""
    async with websockets.connect(
        server.ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        except websockets.ConnectionClosed as closed:
            return "closed", closed.rcvd.code if closed.rcvd else None
        assert message["type"] == "connection_ack"
        op = uuid.uuid4().hex
        await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": VIEWER}}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return "ack", message["payload"]["data"]


pytestmark = pytest.mark.e2e


async def test_a_valid_token_is_accepted_on_http_and_websocket(
    oidc_server: DocentServer, jwks: Jwks
) -> None:
    good = token(jwks=jwks, name="Alice A.")
    response = await post(oidc_server, VIEWER, f"Bearer {good}")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"] == {"id": "alice", "name": "Alice A."}
    kind, data = await ws_viewer(oidc_server, {"authorization": f"Bearer {good}"})
    assert kind == "ack" and data["viewer"]["id"] == "alice"
    fetched = jwks.fetches
    for _ in range(5):
        assert (await post(oidc_server, VIEWER, f"Bearer {good}")).status_code == 200
    assert jwks.fetches == fetched  # the keys are cached, not fetched per request


def forgeries(jwks: Jwks) -> dict[str, str | None]:
    public_pem = jwks.keys[0].as_pem(private=False)
    stranger = RSAKey.generate_key(2048, parameters={"kid": "key-1"})
    now = int(time.time())
    return {
        "missing": None,
        "not a jwt": "Bearer not.a.token",
        "alg none": f"Bearer {unsigned()}",
        "HS256 with the public key": f"Bearer {hmac_with_public_key(public_pem)}",
        "unknown kid": "Bearer " + token(stranger, kid="key-404"),
        "right kid, wrong key": "Bearer " + token(stranger),
        "wrong issuer": "Bearer " + token(jwks=jwks, iss="https://evil.example"),
        "wrong audience": "Bearer " + token(jwks=jwks, aud="another-api"),
        "expired": "Bearer " + token(jwks=jwks, iat=now - 3600, exp=now - 600),
        "not yet valid": "Bearer " + token(jwks=jwks, nbf=now + 600),
        "no subject": "Bearer " + token(jwks=jwks, sub=""),
        "basic scheme": "Basic YWxpY2U6c2VjcmV0",
    }


async def test_forged_and_invalid_tokens_are_refused_alike(
    oidc_server: DocentServer, jwks: Jwks
) -> None:
    for name, authorization in forgeries(jwks).items():
        response = await post(oidc_server, VIEWER, authorization)
        assert response.status_code == 401, (name, response.text)
        body = response.json()
        assert body["errors"] == [
            {"message": REFUSED, "extensions": {"code": "UNAUTHENTICATED"}}
        ], name  # the same answer whatever was wrong
        assert response.headers["www-authenticate"] == "Bearer"
        kind, code = await ws_viewer(
            oidc_server, {"authorization": authorization} if authorization else {}
        )
        assert (kind, code) == ("closed", 4403), name


async def test_uploads_and_get_queries_need_a_token_too(oidc_server: DocentServer) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(oidc_server.url, params={"query": VIEWER})
        assert response.status_code == 401
        response = await client.post(
            oidc_server.url,
            data={"operations": "{}", "map": "{}"},
            files={"0": ("a.txt", b"hello", "text/plain")},
            headers={"Apollo-Require-Preflight": "true"},
        )
        assert response.status_code == 401
        ide = await client.get(oidc_server.url, headers={"accept": "text/html"})
        assert ide.status_code == 200 and "graphiql" in ide.text.lower()


async def test_an_expired_token_closes_its_websocket(oidc_server: DocentServer, jwks: Jwks) -> None:
    now = int(time.time())
    short = token(jwks=jwks, exp=now + 2)
    async with websockets.connect(
        oidc_server.ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {short}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        started = time.monotonic()
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 15)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        assert time.monotonic() - started < 10


async def test_rotated_keys_are_fetched_once_per_unknown_kid(jwks: Jwks) -> None:
    auth = OidcAuth(
        issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks.url, min_refresh_s=0.5, leeway=5
    )
    try:
        assert (await auth.authenticate("Bearer " + token(jwks=jwks))).id == "alice"
        assert auth.fetches == 1
        rotated = RSAKey.generate_key(2048, parameters={"kid": "key-2"})
        jwks.keys.append(rotated)
        await asyncio.sleep(0.6)
        principal = await auth.authenticate(
            "Bearer " + token(rotated, kid="key-2", groups=["/eng", "ops"])
        )
        assert principal.groups == ("eng", "ops") and auth.fetches == 2
        # A flood of made-up key ids costs at most one fetch per interval.
        for i in range(20):
            with pytest.raises(Unauthenticated):
                await auth.authenticate("Bearer " + token(rotated, kid=f"nope-{i}"))
        assert auth.fetches <= 3
    finally:
        jwks.keys = jwks.keys[:1]
        await auth.aclose()


def test_dev_tokens_from_the_cli(tmp_path: Path) -> None:
    env_run = {"DOCENT_DATA_DIR": str(tmp_path), "DOCENT_AUTH": "dev"}
    import os

    minted = subprocess.run(
        [sys.executable, "-m", "docent.cli", "token", "--user", "bob", "--group", "eng"],
        capture_output=True, text=True, timeout=60, env={**os.environ, **env_run},
    )  # fmt: skip
    assert minted.returncode == 0, minted.stderr
    dev_token = minted.stdout.strip()
    secret = tmp_path / "dev-secret"
    assert secret.exists() and secret.stat().st_mode & 0o077 == 0  # owner-only

    with running_server(tmp_path, {"DOCENT_AUTH": "dev"}) as server:
        ok = asyncio.run(post(server, VIEWER, f"Bearer {dev_token}"))
        assert ok.json()["data"]["viewer"]["id"] == "bob"
        other = OctKey.import_key(b"another secret entirely, long enough")
        forged = jwt.encode(
            {"alg": "HS256"},
            {"iss": "docent-dev", "aud": "docent", "sub": "bob", "exp": int(time.time()) + 60},
            other,
        )
        assert asyncio.run(post(server, VIEWER, f"Bearer {forged}")).status_code == 401
