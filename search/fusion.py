"""Reciprocal rank fusion: combine rankings by rank, never by raw score.

BM25 scores are unbounded and cosine similarities are not, so adding them is meaningless;
ranks are comparable. Cormack, Clarke & Büttcher (2009), "Reciprocal rank fusion outperforms
Condorcet and individual rank learning methods": score(d) = sum_r w_r / (k + rank_r(d)).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

#: The constant from the paper; it damps the weight of the very first ranks.
DEFAULT_K = 60


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[K]],
    *,
    k: int = DEFAULT_K,
    weights: Mapping[str, float] | None = None,
) -> list[tuple[K, float]]:
    """Fuse named rankings (best first) into one list of (item, score), best first.

    An item that appears twice in one ranking counts once, at its best rank. Ties are
    broken by the best single rank, then by first appearance, so the order is deterministic.
    """
    if k < 1:
        raise ValueError("k must be >= 1")
    scores: dict[K, float] = {}
    best_rank: dict[K, int] = {}
    for name, ranking in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 0.0)
        seen: set[K] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            best_rank[item] = min(best_rank.get(item, rank), rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], best_rank[kv[0]], order[kv[0]]))
