"""What rate limits cost a request: p50 latency over HTTP against two real docent servers,
one with DOCENT_RATE_LIMITS=off and one with limits so generous that nothing is refused.

- `{ viewer { id } }`: a trivial query, which no rate limit counts (it shows what the
  per-request machinery costs: the query-shape rule runs on both servers);
- a keyword `search` on an empty index: the cheapest operation that the limiter counts
  (one Lua script in Redis, per user and per address), so its overhead is the largest share.

Requests go one at a time over one keep-alive connection per server, alternating between
the servers in rounds so that both see the same machine noise.

    python benchmarks/limits.py [--requests 2000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from common import machine, percentile, running_server

GENEROUS = (
    "ask=60000/minute; search=60000/minute; upload=60000/minute; upload_bytes=1TB/day; "
    "documents=1000000; per_address=4x"
)
QUERIES = {
    "viewer": "{ viewer { id } }",
    "search (limited)": '{ search(input: {query: "warranty", mode: KEYWORD}) { tookMs } }',
}


async def _timed(client: httpx.AsyncClient, url: str, query: str, count: int) -> list[float]:
    times: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.post(url, json={"query": query})
        times.append((time.perf_counter() - started) * 1000)
        body = response.json()
        if "errors" in body:
            raise RuntimeError(f"refused: {body['errors']}")
    return times


async def measure(urls: dict[str, str], requests: int, rounds: int) -> None:
    per_round = max(1, requests // rounds)
    async with httpx.AsyncClient(timeout=30) as client:
        for name, query in QUERIES.items():
            samples: dict[str, list[float]] = {label: [] for label in urls}
            for url in urls.values():
                await _timed(client, url, query, 50)  # warm up
            for _ in range(rounds):
                for label, url in urls.items():
                    samples[label] += await _timed(client, url, query, per_round)
            off, on = (percentile(samples[label], 0.5) for label in ("off", "on"))
            p95_off, p95_on = (percentile(samples[label], 0.95) for label in ("off", "on"))
            print(
                f"{name:18} p50 off {off:6.2f} ms  on {on:6.2f} ms  ratio {on / off:5.3f}  "
                f"({on - off:+.2f} ms; p95 {p95_off:.2f} / {p95_on:.2f} ms; "
                f"{len(samples['on'])} requests each)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(machine())
    print(f"limits on: DOCENT_RATE_LIMITS={GENEROUS!r}")
    with tempfile.TemporaryDirectory(prefix="docent-limits-") as tmp:
        root = Path(tmp)
        with (
            running_server(root / "off", {"DOCENT_RATE_LIMITS": "off"}) as off,
            running_server(root / "on", {"DOCENT_RATE_LIMITS": GENEROUS}) as on,
        ):
            asyncio.run(measure({"off": off.url, "on": on.url}, args.requests, args.rounds))


if __name__ == "__main__":
    main()
