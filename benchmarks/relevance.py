"""Ranking quality against relevance judgements (BEIR qrels: doc id -> grade, 0 for not
relevant), for one query's ranked doc ids. Stdlib only: the engine comparison's scripts
(benchmarks/engines/, in venvs of their own) use it too."""

from __future__ import annotations

import math


def ndcg(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    """nDCG@k with graded gains (grade / log2(rank + 1)); 0 when nothing is relevant."""
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    """The share of the relevant docs (grade > 0) in the top k."""
    hits = {d for d in ranked[:k] if relevant.get(d, 0) > 0}
    return len(hits) / max(1, sum(1 for v in relevant.values() if v > 0))
