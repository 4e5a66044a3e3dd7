"""An OpenID Connect issuer for tests and benchmarks: a JWKS endpoint on loopback (a thread),
and tokens minted with its keys, or forged the ways attackers forge them.

    jwks = Jwks()                      # serves {"keys": [...]} at jwks.url
    good = token(jwks=jwks, sub="ann", name="Ann", groups=["eng"])
    unsigned()                         # alg none
    hmac_with_public_key(jwks.public_pem())
    token(stranger_key(), kid="key-404")
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

ISSUER = "https://issuer.example"
AUDIENCE = "docent-api"


class Jwks:
    """A JWKS endpoint on loopback, with the keys the test chooses and a fetch counter.

    `status` other than 200 makes it answer with that status and no keys (an issuer having
    a bad day); `fetches` counts every GET, whatever was answered."""

    def __init__(self, kid: str = "key-1") -> None:
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": kid})]
        self.status = 200
        self._fetches = 0
        self._lock = threading.Lock()
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with jwks._lock:
                    jwks._fetches += 1
                status = jwks.status
                if status == 200:
                    keys = [k.as_dict(private=False) for k in jwks.keys]
                    body = json.dumps({"keys": keys}).encode()
                else:
                    body = b'{"error": "unavailable"}'
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def fetches(self) -> int:
        with self._lock:
            return self._fetches

    @fetches.setter
    def fetches(self, value: int) -> None:
        with self._lock:
            self._fetches = value

    def public_pem(self) -> bytes:
        pem: bytes = self.keys[0].as_pem(private=False)
        return pem

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Jwks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stranger_key(kid: str = "key-1") -> RSAKey:
    """An RSA key the issuer never published (by default with the issuer's key id)."""
    return RSAKey.generate_key(2048, parameters={"kid": kid})


def token(
    key: Any = None,
    *,
    jwks: Jwks | None = None,
    alg: str = "RS256",
    kid: str | None = "key-1",
    sub: str = "alice",
    groups: list[str] | None = None,
    ttl_s: int = 600,
    **claims: Any,
) -> str:
    """A signed JWT for ISSUER and AUDIENCE (signed with `key`, or the JWKS's first key).
    Claims given as keyword arguments override the defaults; a claim given as None is left
    out (`exp=None`: a token without an expiry)."""
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "iat": now,
        "exp": now + ttl_s,
        "groups": groups or [],
    }
    body.update(claims)
    header: dict[str, Any] = {"alg": alg}
    if kid:
        header["kid"] = kid
    signing = key if key is not None else jwks.keys[0] if jwks else None
    return jwt.encode(
        header, {k: v for k, v in body.items() if v is not None}, signing, algorithms=[alg]
    )


def bearer(value: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"authorization": f"Bearer {value}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_claims(**claims: Any) -> bytes:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": now + 600, **claims}
    return json.dumps(body).encode()


def unsigned(**claims: Any) -> str:
    """`alg: none`: a header, claims, and no signature."""
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(forged_claims(**claims))}."


def hmac_with_public_key(public_pem: bytes, kid: str = "key-1", **claims: Any) -> str:
    """The classic confusion: HS256, with the issuer's public key (which anyone can fetch)
    as the HMAC secret. (joserfc refuses to build it; an attacker does it by hand.)"""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    signing_input = f"{header}.{b64(forged_claims(**claims))}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


__all__ = [
    "AUDIENCE",
    "ISSUER",
    "Jwks",
    "bearer",
    "forged_claims",
    "hmac_with_public_key",
    "stranger_key",
    "token",
    "unsigned",
]
