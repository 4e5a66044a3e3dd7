"""Retrieval quality and search latency on a BEIR collection, through the `search` query.

Every judged query runs once per mode with `topK: 10`, timed (the client's round trip;
the server's `tookMs` beside it), and once with `topK: 100` for the ranking. Hits are
passages; a document's rank is its best passage's. nDCG@10 and recall@100 are averaged
over the queries (BEIR's convention), latencies summarised by p50 and p95.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.progress import Progress

from docent.client import DocentClient
from docent.evaluation.beir import Beir
from docent.evaluation.metrics import ndcg, percentile, recall

MODES = ("KEYWORD", "SEMANTIC", "HYBRID")
SEARCH = """query Search($input: SearchInput!) { search(input: $input) {
  tookMs hits { document { id } } } }"""
#: The deepest ranking `search` gives (its topK limit), and the depth recall is taken at.
DEPTH = 100


@dataclass(slots=True)
class ModeResult:
    mode: str
    ndcg: dict[str, float] = field(default_factory=dict)  # query id -> nDCG@10
    recall: dict[str, float] = field(default_factory=dict)  # query id -> recall@100
    latency_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    top10: dict[str, list[str]] = field(default_factory=dict)  # query id -> corpus ids

    def summary(self) -> dict[str, float | None]:
        n = len(self.ndcg)
        return {
            "ndcg@10": sum(self.ndcg.values()) / n if n else None,
            "recall@100": sum(self.recall.values()) / n if n else None,
            "p50_ms": percentile(self.latency_ms, 0.5),
            "p95_ms": percentile(self.latency_ms, 0.95),
            "server_p50_ms": percentile(self.server_ms, 0.5),
            "server_p95_ms": percentile(self.server_ms, 0.95),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "queries": {
                q: {"ndcg@10": self.ndcg[q], "recall@100": self.recall[q], "top10": self.top10[q]}
                for q in self.ndcg
            },
        }


def parse_modes(text: str) -> list[str]:
    """`KEYWORD,HYBRID` (any case) as a list of search modes. Raises ValueError naming an
    unknown one."""
    modes = [m.strip().upper() for m in text.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise ValueError(
            f"unknown search mode {unknown[0] if unknown else text!r}: use {', '.join(MODES)}"
        )
    return list(dict.fromkeys(modes))


async def _search(client: DocentClient, query: str, mode: str, top_k: int) -> dict[str, Any]:
    variables = {"input": {"query": query, "mode": mode, "topK": top_k}}
    result: dict[str, Any] = (await client.execute(SEARCH, variables))["search"]
    return result


def ranking(hits: Sequence[str], corpus_ids: Mapping[str, Sequence[str]]) -> list[str]:
    """The collection's document ids in the order of the hits' docent document ids: a
    document ranks at its best passage; one docent document that holds several identical
    collection documents (docent keeps one copy of the same bytes) ranks them all there;
    one from outside the collection keeps its place, as `docent:<id>`."""
    ranked: dict[str, None] = {}
    for document_id in hits:
        for corpus_id in corpus_ids.get(document_id, (f"docent:{document_id}",)):
            ranked.setdefault(corpus_id)
    return list(ranked)


async def run(
    client: DocentClient,
    beir: Beir,
    corpus_ids: Mapping[str, Sequence[str]],
    modes: Sequence[str] = MODES,
    *,
    progress: Progress | None = None,
) -> list[ModeResult]:
    """Every judged query of `beir` in each of `modes`. `corpus_ids` maps docent's document
    ids to the collection's (see `ranking`)."""
    results: list[ModeResult] = []
    for mode in modes:
        await _search(client, "warm up", mode, 10)  # the first search loads what it needs
        result = ModeResult(mode)
        task = progress.add_task(mode, total=len(beir.queries)) if progress else None
        for query_id, query in beir.queries.items():
            started = time.perf_counter()
            timed = await _search(client, query, mode, 10)
            result.latency_ms.append((time.perf_counter() - started) * 1000)
            result.server_ms.append(float(timed["tookMs"]))
            hits = (await _search(client, query, mode, DEPTH))["hits"]
            ranked = ranking([h["document"]["id"] for h in hits], corpus_ids)
            relevant = beir.qrels[query_id]
            result.ndcg[query_id] = ndcg(ranked, relevant, 10)
            result.recall[query_id] = recall(ranked, relevant, DEPTH)
            result.top10[query_id] = ranked[:10]
            if progress is not None and task is not None:
                progress.advance(task)
        results.append(result)
    return results
