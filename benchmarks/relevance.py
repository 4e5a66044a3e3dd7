"""Ranking quality against relevance judgements: nDCG@k and recall@k, the product's own
(`docent eval`, evaluation/metrics.py), loaded by path so that the engine comparison's
scripts (benchmarks/engines/, in virtual environments without docent) use them too."""

from __future__ import annotations

from corpus import evaluation_module

_metrics = evaluation_module("metrics")
ndcg = _metrics.ndcg
recall = _metrics.recall

__all__ = ["ndcg", "recall"]
