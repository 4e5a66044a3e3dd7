"""SciFact benchmark through the GraphQL API: retrieval quality (nDCG@10, recall@100) and
search latency (p50/p95) per mode, on a real docent server with the embedded backend.

Each of the 5,183 abstracts is uploaded as a plain-text document ("title", blank line,
abstract) and goes through the whole ingestion pipeline. Hits are passages; a document's
rank is that of its best passage.

    python benchmarks/scifact.py [--split test] [--data-dir DIR] [--env NAME=VALUE ...]

--data-dir keeps the ingested index between runs (it is reused when it is complete).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import httpx

from common import arguments, machine, median, percentile, running_server, upload
from corpus import Beir, load_scifact
from relevance import ndcg, recall

SEARCH = """query($input: SearchInput!) { search(input: $input) {
  tookMs hits { document { filename } } } }"""
COUNT = """query($status: [DocumentStatus!]) {
  documents(first: 0, filter: {status: $status}) { totalCount } }"""
MODES = ("KEYWORD", "SEMANTIC", "HYBRID")


async def count(client: httpx.AsyncClient, url: str, status: list[str] | None) -> int:
    body = (await client.post(url, json={"query": COUNT, "variables": {"status": status}})).json()
    return int(body["data"]["documents"]["totalCount"])


async def ingest(url: str, beir: Beir, concurrency: int = 8) -> float:
    started = time.perf_counter()
    limit = asyncio.Semaphore(concurrency)

    async def one(doc_id: str, title: str, text: str) -> None:
        async with limit:
            response = await upload(
                url, f"{doc_id}.txt", f"{title}\n\n{text}\n".encode(), title=title or doc_id
            )
            errors = response.json()["data"]["uploadDocument"]["userErrors"]
            assert not errors, (doc_id, errors)

    await asyncio.gather(*(one(i, t, x) for i, (t, x) in beir.corpus.items()))
    async with httpx.AsyncClient(timeout=60) as client:
        while (pending := await count(client, url, ["QUEUED", "PROCESSING"])) > 0:
            print(f"  {pending} documents still processing", flush=True)
            await asyncio.sleep(10)
        failed = await count(client, url, ["FAILED"])
    print(f"  ingested in {time.perf_counter() - started:.0f} s ({failed} failed)")
    return time.perf_counter() - started


async def evaluate(url: str, beir: Beir) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(timeout=60) as client:
        # warm-up
        for mode in MODES:
            await client.post(
                url,
                json={"query": SEARCH, "variables": {"input": {"query": "warm up", "mode": mode}}},
            )
        for mode in MODES:
            latencies: list[float] = []
            server_ms: list[float] = []
            ndcgs: list[float] = []
            recalls: list[float] = []
            for qid, question in beir.queries.items():
                variables = {"input": {"query": question, "mode": mode, "topK": 10}}
                t0 = time.perf_counter()
                body = (
                    await client.post(url, json={"query": SEARCH, "variables": variables})
                ).json()
                latencies.append((time.perf_counter() - t0) * 1000)
                server_ms.append(body["data"]["search"]["tookMs"])
                variables["input"]["topK"] = 100
                body = (
                    await client.post(url, json={"query": SEARCH, "variables": variables})
                ).json()
                hits = body["data"]["search"]["hits"]
                # a document's rank is that of its best passage
                ranked = list(
                    dict.fromkeys(h["document"]["filename"].removesuffix(".txt") for h in hits)
                )
                ndcgs.append(ndcg(ranked, beir.qrels[qid]))
                recalls.append(recall(ranked, beir.qrels[qid], 100))
            results[mode] = {
                "ndcg@10": sum(ndcgs) / len(ndcgs),
                "recall@100": sum(recalls) / len(recalls),
                "p50_ms": median(latencies),
                "p95_ms": percentile(latencies, 0.95),
                "server_p50_ms": median(server_ms),
            }
    return results


async def main(args: argparse.Namespace) -> None:
    beir = load_scifact(args.split)
    env = {"DOCENT_RATE_LIMITS": "off", **dict(kv.split("=", 1) for kv in args.env)}
    with tempfile.TemporaryDirectory(prefix="docent-scifact-") as tmp:
        data_dir = Path(args.data_dir) if args.data_dir else Path(tmp)
        with running_server(data_dir, env) as server:
            async with httpx.AsyncClient(timeout=60) as client:
                have = await count(client, server.url, ["READY"])
            if have < len(beir.corpus):
                print(f"ingesting {len(beir.corpus)} abstracts ({have} already ready)")
                await ingest(server.url, beir)
            results = await evaluate(server.url, beir)
    print(f"\nSciFact {args.split} ({len(beir.queries)} queries), machine: {machine()}")
    print(f"settings: {env}")
    print("| mode | nDCG@10 | recall@100 | p50 ms | p95 ms | server p50 ms |")
    print("|---|---|---|---|---|---|")
    for mode, r in results.items():
        print(
            f"| {mode} | {r['ndcg@10']:.4f} | {r['recall@100']:.4f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['server_p50_ms']:.1f} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--split", default="test", choices=["test", "train"])
    parser.add_argument("--data-dir", help="keep the ingested index here and reuse it")
    parser.add_argument("--env", action="append", default=[], help="server setting, NAME=VALUE")
    parser.add_argument("--json", help="also write the results to this file")
    asyncio.run(main(parser.parse_args()))
