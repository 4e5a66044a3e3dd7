"""Scale benchmark for the Elasticsearch backend: index >= 100,000 chunks into a live node
and measure bulk throughput, index size, and hybrid search latency at that size.

The chunks are the 5,183 SciFact abstracts repeated with variation (`--copies`, 20 by
default: 103,660 chunks): each copy's text gets a variant marker and its vector a little
Gaussian noise (renormalised), so that copies are near neighbours, not duplicates, as in a
real collection of similar documents. Vectors come from docent's local embedder, computed
once by benchmarks/engines/vectors.py and cached.

    python scripts/elasticsearch.py start --data /tmp/es-scale --heap 1g     # prints the url
    python benchmarks/scale.py --es-url http://127.0.0.1:PORT [--copies 20]

Latency is measured twice: in-process through docent's retriever (the engine: BM25 + kNN
+ fusion, query vectors precomputed) and through the GraphQL API of a docent server on the
same indices (query embedding and HTTP included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from docent.domain import Chunk, DocumentRecord, DocumentStatus, IndexedChunk, utcnow
from docent.providers.local_embedder import DIMENSION, MODEL_NAME, QUANTIZED_SUFFIX
from docent.search.elasticsearch.chunks import chunk_source
from docent.search.elasticsearch.store import ElasticsearchBackend
from docent.search.records import STORED_RECORD_NAMES, iso, record_to_dict
from docent.search.retrieval import Retriever, SearchMode, SearchRequest
from docent.settings import SearchSettings

from common import REPO, arguments, machine, median, percentile, running_server
from corpus import load_scifact

OWNER = "local"  # the single user of DOCENT_AUTH=none, so the API sees these documents
PREFIX = "scale"
VECTORS = (
    Path(os.environ.get("DOCENT_BENCH_CACHE", "~/.cache/docent/bench-engines")).expanduser()
    / "vectors"
)
SEARCH = """query($input: SearchInput!) { search(input: $input) { tookMs hits { score } } }"""


def vectors() -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    if not (VECTORS / "meta.json").exists():
        subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "engines" / "vectors.py")], check=True
        )
    corpus = np.load(VECTORS / "corpus.npy")
    queries = np.load(VECTORS / "queries.npy")
    corpus_ids = json.loads((VECTORS / "corpus_ids.json").read_text())
    query_ids = json.loads((VECTORS / "query_ids.json").read_text())
    return corpus, corpus_ids, queries, query_ids


class Precomputed:
    """An embedder that answers the benchmark's queries from precomputed vectors."""

    model = f"{MODEL_NAME}@{QUANTIZED_SUFFIX}"
    dimension = DIMENSION

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self._table = table

    async def embed_query(self, text: str) -> np.ndarray:
        return self._table[text]

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._table[t] for t in texts])

    async def aclose(self) -> None:
        return None


async def index(backend: ElasticsearchBackend, copies: int, concurrency: int) -> dict[str, float]:
    beir = load_scifact()
    corpus, corpus_ids, _, _ = vectors()
    texts = {doc_id: f"{title}\n\n{text}" for doc_id, (title, text) in beir.corpus.items()}
    titles = {doc_id: title for doc_id, (title, _) in beir.corpus.items()}
    rng = np.random.default_rng(0)
    now = utcnow()
    stamp = iso(now)

    def actions_for(copy: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        noisy = corpus + rng.normal(0, 0.02, corpus.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        chunks, records = [], []
        for row, source_id in enumerate(corpus_ids):
            doc_id = f"c{copy:02d}-{source_id}"
            text = f"{texts[source_id]} [variant {copy}]"
            chunk = Chunk(
                id=f"{doc_id}-00000",
                document_id=doc_id,
                ordinal=0,
                text=text,
                page=1,
                section=titles[source_id],
            )
            item = IndexedChunk(chunk=chunk, owner=OWNER, title=titles[source_id], search_text=text)
            chunks.append(
                {
                    "_op_type": "index",
                    "_index": backend.chunks_alias,
                    "_id": chunk.id,
                    "_source": chunk_source(item, OWNER, noisy[row], stamp),
                }
            )
            record = DocumentRecord(id=doc_id, owner=OWNER, title=titles[source_id] or doc_id,
                                    filename=f"{doc_id}.txt", mime_type="text/plain", size_bytes=len(text),
                                    sha256=doc_id, status=DocumentStatus.READY, chunk_count=1,
                                    created_at=now, processed_at=now)  # fmt: skip
            records.append({"_op_type": "index", "_index": backend.documents_alias, "_id": doc_id,
                            "_source": record_to_dict(record, STORED_RECORD_NAMES)})  # fmt: skip
        return chunks, records

    started = time.perf_counter()
    total = 0
    prepare = 0.0
    for copy in range(copies):
        t0 = time.perf_counter()
        chunks, records = actions_for(copy)
        prepare += time.perf_counter() - t0
        parts = [chunks[i::concurrency] for i in range(concurrency)]
        await asyncio.gather(*(backend.bulk(part) for part in parts), backend.bulk(records))
        total += len(chunks)
        print(
            f"  {total} chunks indexed ({total / (time.perf_counter() - started):.0f}/s)",
            flush=True,
        )
    seconds = time.perf_counter() - started
    return {"chunks": total, "seconds": seconds, "prepare_s": prepare, "chunks_per_s": total / seconds,
            "bulk_chunks_per_s": total / (seconds - prepare)}  # fmt: skip


async def latency(backend: ElasticsearchBackend) -> dict[str, dict[str, float]]:
    beir = load_scifact()
    _, _, queries, query_ids = vectors()
    table = {" ".join(beir.queries[q].split()): queries[i] for i, q in enumerate(query_ids)}
    retriever = Retriever(backend, Precomputed(table), None, SearchSettings())  # type: ignore[arg-type]
    results = {}
    for mode in (SearchMode.KEYWORD, SearchMode.SEMANTIC, SearchMode.HYBRID):
        for question in list(table)[:20]:  # warm up
            await retriever.search(OWNER, SearchRequest(question, mode, top_k=10))
        times = []
        for question in table:
            t0 = time.perf_counter()
            await retriever.search(OWNER, SearchRequest(question, mode, top_k=10))
            times.append((time.perf_counter() - t0) * 1000)
        results[mode.value] = {"p50_ms": median(times), "p95_ms": percentile(times, 0.95)}
    return results


async def api_latency(url: str, questions: list[str]) -> dict[str, dict[str, float]]:
    results = {}
    async with httpx.AsyncClient(timeout=60) as client:
        for mode in ("KEYWORD", "SEMANTIC", "HYBRID"):
            for question in questions[:20]:
                await client.post(
                    url,
                    json={
                        "query": SEARCH,
                        "variables": {"input": {"query": question, "mode": mode}},
                    },
                )
            times = []
            for question in questions:
                t0 = time.perf_counter()
                response = await client.post(
                    url,
                    json={
                        "query": SEARCH,
                        "variables": {"input": {"query": question, "mode": mode}},
                    },
                )
                times.append((time.perf_counter() - t0) * 1000)
                assert response.json()["data"]["search"]["hits"], response.text
            results[mode] = {"p50_ms": median(times), "p95_ms": percentile(times, 0.95)}
    return results


async def main(args: argparse.Namespace) -> None:
    bulk_backend = ElasticsearchBackend(
        args.es_url, prefix=PREFIX, refresh=False, request_timeout=120
    )
    model = f"{MODEL_NAME}@{QUANTIZED_SUFFIX}"
    if not args.reuse:
        await bulk_backend.drop_all()
    await bulk_backend.open(model=model, dimension=DIMENSION)
    client = bulk_backend._client
    if not args.reuse:
        # bulk loading: no refresh until the end, then back to the default
        await client.indices.put_settings(
            index=f"{PREFIX}-*", settings={"index": {"refresh_interval": "-1"}}
        )
        stats = await index(bulk_backend, args.copies, args.concurrency)
        t0 = time.perf_counter()
        await client.indices.put_settings(
            index=f"{PREFIX}-*", settings={"index": {"refresh_interval": "1s"}}
        )
        await client.indices.refresh(index=f"{PREFIX}-*")
        stats["refresh_s"] = time.perf_counter() - t0
        print(f"indexed: {stats}")
    count = (await client.count(index=bulk_backend.chunks_alias))["count"]
    cat = await client.cat.indices(index=f"{PREFIX}-*", format="json", bytes="b")
    sizes = {row["index"]: int(row["store.size"]) for row in cat}
    engine = await latency(bulk_backend)
    await bulk_backend.aclose()

    beir = load_scifact()
    env = {
        "DOCENT_SEARCH_BACKEND": "elasticsearch",
        "DOCENT_ELASTICSEARCH_URL": args.es_url,
        "DOCENT_ELASTICSEARCH_INDEX_PREFIX": PREFIX,
        "DOCENT_RATE_LIMITS": "off",
    }
    with running_server(Path(args.data_dir), env) as server:
        api = await api_latency(server.url, list(beir.queries.values()))

    print(f"\nmachine: {machine()}")
    print(
        f"chunks in the index: {count}; store size: "
        + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sizes.items())
    )
    print("| mode | engine p50 | engine p95 | API p50 | API p95 |")
    print("|---|---|---|---|---|")
    for mode in ("KEYWORD", "SEMANTIC", "HYBRID"):
        e, a = engine[mode], api[mode]
        print(
            f"| {mode} | {e['p50_ms']:.1f} ms | {e['p95_ms']:.1f} ms | {a['p50_ms']:.1f} ms | {a['p95_ms']:.1f} ms |"
        )


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--es-url", required=True)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2, help="parallel bulk requests")
    parser.add_argument(
        "--reuse", action="store_true", help="measure latency on the indices already loaded"
    )
    parser.add_argument("--data-dir", default="/tmp/docent-scale-api")
    asyncio.run(main(parser.parse_args()))
