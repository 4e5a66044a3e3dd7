"""Who is asking.

- `DOCENT_AUTH=none`: one local user, on the loopback interface only.
- `DOCENT_AUTH=dev`: tokens signed with a local secret (HS256), minted by `docent token`,
  for development and tests.
- `DOCENT_AUTH=oidc`: bearer JWTs of an OpenID Connect issuer (Keycloak, Auth0, Clerk,
  Google...), verified with the issuer's public keys: only asymmetric algorithms, `iss`,
  `aud`, `exp` and `nbf` checked with a small clock skew.

Every failure is UNAUTHENTICATED with the same message: what was wrong with a token is
logged (at debug level), never told to the caller.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey

from docent.domain import Access
from docent.errors import Unauthenticated
from docent.settings import Settings
from docent.urls import redact

log = logging.getLogger(__name__)

LOCAL_USER = "local"
#: What every refused token gets: nothing that tells an attacker what to change.
REFUSED = "a valid bearer token is required"
#: Asymmetric signatures only: never `none`, never HMAC with a public key as the secret.
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")  # fmt: skip
DEV_ISSUER = "docent-dev"
DEV_AUDIENCE = "docent"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller; `id` is the owner of everything they store."""

    id: str
    name: str
    groups: tuple[str, ...] = ()
    #: When the credential stops being valid (epoch seconds); None: never.
    expires_at: float | None = None

    @property
    def access(self) -> Access:
        """What this principal may read: their documents and their groups' shared ones."""
        return Access(owner=self.id, groups=self.groups)


def local_principal() -> Principal:
    return Principal(id=LOCAL_USER, name="Local user")


#: A WebSocket's principal before its connection_init is checked: owns nothing, and no
#: operation runs as it (Strawberry refuses operations before the connection is acked).
NOBODY = Principal(id="", name="nobody")


class Authenticator(Protocol):
    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an `Authorization` value ("Bearer ..."); raises Unauthenticated."""
        ...


class NoAuth:
    async def authenticate(self, authorization: str | None) -> Principal:
        return local_principal()


def bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(REFUSED)
    return token.strip()


def _header(token: str) -> dict[str, Any]:
    """The JOSE header, read before any key is chosen (to find the key id)."""
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unauthenticated(REFUSED) from exc
    if not isinstance(header, dict):
        raise Unauthenticated(REFUSED)
    return header


def _principal(claims: dict[str, Any], groups_claim: str) -> Principal:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise Unauthenticated(REFUSED)
    raw_groups = claims.get(groups_claim) or []
    if isinstance(raw_groups, str):
        raw_groups = raw_groups.split()
    groups = tuple(
        sorted({g.strip().lstrip("/") for g in raw_groups if isinstance(g, str) and g.strip()})
    )
    name = next(
        (claims[k] for k in ("name", "preferred_username", "email") if isinstance(claims.get(k), str)),
        subject,
    )  # fmt: skip
    expires = claims.get("exp")
    return Principal(
        id=subject,
        name=name,
        groups=groups,
        expires_at=float(expires) if isinstance(expires, int | float) else None,
    )


def _validate(
    token: str, key: Any, algorithms: tuple[str, ...], issuer: str, audience: str, leeway: int
) -> dict[str, Any]:
    try:
        decoded = jwt.decode(token, key, algorithms=list(algorithms))
        jwt.JWTClaimsRegistry(
            leeway=leeway,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        log.debug("token refused: %s", type(exc).__name__)
        raise Unauthenticated(REFUSED) from exc
    return dict(decoded.claims)


class DevAuth:
    """HS256 tokens signed with a local secret (`docent token --user NAME`)."""

    def __init__(self, secret: str, *, leeway: int = 60) -> None:
        self._key = OctKey.import_key(secret.encode())
        self._leeway = leeway

    async def authenticate(self, authorization: str | None) -> Principal:
        token = bearer(authorization)
        if _header(token).get("alg") != "HS256":
            raise Unauthenticated(REFUSED)
        claims = _validate(token, self._key, ("HS256",), DEV_ISSUER, DEV_AUDIENCE, self._leeway)
        return _principal(claims, "groups")

    def mint(self, user: str, *, groups: tuple[str, ...] = (), ttl_s: int = 30 * 24 * 3600) -> str:
        now = int(time.time())
        claims = {
            "iss": DEV_ISSUER, "aud": DEV_AUDIENCE, "sub": user, "name": user,
            "groups": list(groups), "iat": now, "nbf": now, "exp": now + ttl_s,
        }  # fmt: skip
        return jwt.encode({"alg": "HS256"}, claims, self._key, algorithms=["HS256"])


def dev_secret(settings: Settings) -> str:
    """DOCENT_DEV_SECRET, or a random secret kept (mode 0600) in the data directory."""
    if settings.api.dev_secret is not None:
        return settings.api.dev_secret.get_secret_value()
    path = settings.storage.data_dir / "dev-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return Path(path).read_text().strip()


@dataclass
class _Keys:
    keys: KeySet | None = None
    fetched_at: float = 0.0
    #: The last fetch tried, whether it worked or not: a failing issuer is not asked again
    #: sooner than `min_refresh_s`, however many tokens arrive.
    attempted_at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _jwks_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=10.0, follow_redirects=True)


# No repr: the JWKS URL may hold credentials, and nothing may log them.
@dataclass(kw_only=True, eq=False, repr=False)
class OidcAuth:
    """JWTs of an OpenID Connect issuer, verified with the keys its JWKS URL publishes.

    The key set is fetched once and cached; a token signed with a key id the cache does
    not know makes one refetch (keys rotate), at most every `min_refresh_s`, so a flood of
    made-up key ids cannot turn into a flood of requests to the issuer."""

    issuer: str
    audience: str
    jwks_url: str
    #: The claim that lists the user's groups.
    groups_claim: str = "groups"
    #: Clock skew tolerated on exp and nbf, in seconds.
    leeway: int = 60
    #: Seconds between two fetches of the key set, at the least.
    min_refresh_s: float = 30.0
    #: Seconds a fetched key set is used before it is fetched again.
    max_age_s: float = 24 * 3600
    http: httpx.AsyncClient = field(default_factory=_jwks_client)
    #: Fetches of the key set so far.
    fetches: int = field(default=0, init=False)
    _cache: _Keys = field(default_factory=_Keys, init=False)

    async def _fetch(self) -> None:
        response = await self.http.get(self.jwks_url)
        response.raise_for_status()
        document = response.json()
        public = [k for k in document.get("keys", []) if k.get("kty") in ("RSA", "EC", "OKP")]
        self._cache.keys = KeySet.import_key_set({"keys": public})
        self._cache.fetched_at = time.monotonic()
        self.fetches += 1

    async def _key(self, kid: str | None) -> Any:
        cache = self._cache
        async with cache.lock:
            stale = cache.keys is None or time.monotonic() - cache.fetched_at > self.max_age_s
            if stale and self._may_fetch():
                await self._fetch_or_refuse()
            key = self._find(kid)
            if key is None and self._may_fetch():
                await self._fetch_or_refuse()  # rotated keys: look once more
                key = self._find(kid)
        if key is None:
            log.debug("token refused: unknown key id")
            raise Unauthenticated(REFUSED)
        return key

    def _may_fetch(self) -> bool:
        return time.monotonic() - self._cache.attempted_at >= self.min_refresh_s

    async def _fetch_or_refuse(self) -> None:
        self._cache.attempted_at = time.monotonic()
        try:
            await self._fetch()
        except (httpx.HTTPError, ValueError, JoseError) as exc:
            log.warning(
                "cannot fetch the issuer's keys from %s (%s)",
                redact(self.jwks_url),
                type(exc).__name__,
            )
            if self._cache.keys is None:
                raise Unauthenticated(REFUSED) from exc

    def _find(self, kid: str | None) -> Any:
        keys = self._cache.keys
        if keys is None:
            return None
        if kid is None:
            return keys.keys[0] if len(keys.keys) == 1 else None
        return next((k for k in keys.keys if k.kid == kid), None)

    async def authenticate(self, authorization: str | None) -> Principal:
        token = bearer(authorization)
        header = _header(token)
        if header.get("alg") not in ASYMMETRIC:
            raise Unauthenticated(REFUSED)
        key = await self._key(header.get("kid") if isinstance(header.get("kid"), str) else None)
        claims = _validate(token, key, ASYMMETRIC, self.issuer, self.audience, self.leeway)
        return _principal(claims, self.groups_claim)

    async def aclose(self) -> None:
        await self.http.aclose()


def build_authenticator(settings: Settings) -> Authenticator:
    api = settings.api
    if api.auth == "none":
        return NoAuth()
    if api.auth == "dev":
        return DevAuth(dev_secret(settings), leeway=api.auth_leeway_s)
    missing = [
        name
        for name, value in (
            ("DOCENT_OIDC_ISSUER", api.oidc_issuer),
            ("DOCENT_OIDC_AUDIENCE", api.oidc_audience),
            ("DOCENT_OIDC_JWKS_URL", api.oidc_jwks_url),
        )
        if not value
    ]
    if missing:
        raise ValueError(f"DOCENT_AUTH=oidc needs {', '.join(missing)}")
    assert api.oidc_issuer and api.oidc_audience and api.oidc_jwks_url
    return OidcAuth(
        issuer=api.oidc_issuer,
        audience=api.oidc_audience,
        jwks_url=api.oidc_jwks_url,
        groups_claim=api.oidc_groups_claim,
        leeway=api.auth_leeway_s,
    )


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class InsecureBind(RuntimeError):
    pass


def check_bind(host: str, auth: str, *, allow_insecure: bool = False) -> None:
    """Refuse to expose an unauthenticated server beyond this machine."""
    if auth == "none" and not is_loopback(host) and not allow_insecure:
        raise InsecureBind(
            f"refusing to listen on {host} with DOCENT_AUTH=none: anyone who can reach this "
            "address would own every document. Bind 127.0.0.1 (or, in a container whose port "
            "is published on the host's loopback only, set DOCENT_ALLOW_INSECURE_BIND=true)."
        )
