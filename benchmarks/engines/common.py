"""Shared helpers of the engine comparison: paths, SciFact loading, the Python analyser,
metrics and timing.

Imported by compare.py (any Python 3.11), vectors.py (docent's venv) and the engine scripts
(their own venvs), so the module itself needs only the standard library; numpy and
snowballstemmer are imported by the functions that use them.

Paths:
  dataset  $DOCENT_SHARED/datasets/scifact, default <repo>/../shared/datasets/scifact
  cache    $DOCENT_BENCH_CACHE, default ~/.cache/docent/bench-engines, holding
           vectors/ (vectors.py), venv-A|B|C/ (compare.py --setup), work/ (indexes and
           databases) and results/ (one JSON and one log per engine, install.json)
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("DOCENT_SHARED", REPO.parent / "shared")) / "datasets" / "scifact"
CACHE = Path(
    os.environ.get("DOCENT_BENCH_CACHE", Path.home() / ".cache" / "docent" / "bench-engines")
).expanduser()
VECTORS = CACHE / "vectors"
WORK = CACHE / "work"
RESULTS = CACHE / "results"
DIM = 384

# NLTK English stop word list (179 words)
_NLTK_WORDS = """\
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
yourselves he him his himself she she's her hers herself it it's its itself they them their
theirs themselves what which who whom this that that'll these those am is are was were be
been being have has had having do does did doing a an the and but if or because as until
while of at by for with about against between into through during before after above below
to from up down in out on off over under again further then once here there when where why
how all any both each few more most other some such no nor not only own same so than too
very s t can will just don don't should should've now d ll m o re ve y ain aren aren't
couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma
mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren
weren't won won't wouldn wouldn't"""
STOP_NLTK = set(_NLTK_WORDS.split())
# Lucene / Elasticsearch `_english_` stop words (33 words)
_LUCENE_WORDS = """\
a an and are as at be but by for if in into is it no not of on or
such that the their then there these they this to was will with"""
STOP_LUCENE = set(_LUCENE_WORDS.split())

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # runs of letters and digits, like FTS5 unicode61


def words(text: str) -> list[str]:
    return _TOKEN.findall(text)


def make_analyzer(stop: set[str] = STOP_NLTK) -> Callable[[str], list[str]]:
    """lowercase -> word split -> stop words removed -> Snowball English stemmer."""
    import snowballstemmer

    stemmer = snowballstemmer.stemmer("english")
    cache: dict[str, str] = {}

    def analyze(text: str) -> list[str]:
        out = []
        for word in _TOKEN.findall(text.lower()):
            if word in stop:
                continue
            stem = cache.get(word)
            if stem is None:
                stem = cache[word] = stemmer.stemWord(word)
            out.append(stem)
        return out

    return analyze


def owner_of(i: int) -> str:
    """Synthetic owner of corpus row i for the filter tests: u0..u9 (~10% each), 'rare' for 11 rows."""
    return "rare" if i % 500 == 0 else f"u{i % 10}"


def read_scifact() -> tuple[list[tuple[str, str, str]], dict[str, str], dict[str, dict[str, int]]]:
    """(corpus rows (id, title, text) in file order, all query texts, test qrels in file order)."""
    corpus = []
    with (DATA / "corpus.jsonl").open() as f:
        for line in f:
            doc = json.loads(line)
            corpus.append((doc["_id"], doc.get("title", ""), doc.get("text", "")))
    queries = {}
    with (DATA / "queries.jsonl").open() as f:
        for line in f:
            query = json.loads(line)
            queries[query["_id"]] = query["text"]
    qrels: dict[str, dict[str, int]] = {}
    with (DATA / "qrels" / "test.tsv").open() as f:
        next(f)
        for line in f:
            qid, did, rel = line.rstrip("\n").split("\t")
            qrels.setdefault(qid, {})[did] = int(rel)
    return corpus, queries, qrels


def load() -> tuple[list[tuple[str, str, str]], list[tuple[str, str]], dict[str, dict[str, int]]]:
    """Corpus rows, test queries (qid, text) in the order of the query vectors, test qrels."""
    corpus, texts, qrels = read_scifact()
    try:
        corpus_ids = json.loads((VECTORS / "corpus_ids.json").read_text())
        query_ids = json.loads((VECTORS / "query_ids.json").read_text())
    except FileNotFoundError:
        raise SystemExit(
            f"no vectors in {VECTORS}: run `python benchmarks/engines/vectors.py` first"
        ) from None
    if corpus_ids != [c[0] for c in corpus] or set(query_ids) != set(qrels):
        raise SystemExit(f"the vectors in {VECTORS} do not match {DATA}: run vectors.py --force")
    return corpus, [(q, texts[q]) for q in query_ids], qrels


def load_vectors() -> tuple[Any, Any]:
    """(corpus vectors, row i = corpus row i; test query vectors), float32, L2-normalised."""
    import numpy as np

    return np.load(VECTORS / "corpus.npy"), np.load(VECTORS / "queries.npy")


def scratch(name: str) -> Path:
    """Path of an index or database under the cache's work directory."""
    WORK.mkdir(parents=True, exist_ok=True)
    return WORK / name


def ndcg_at_k(run: dict[str, list[str]], qrels: dict[str, dict[str, int]], k: int = 10) -> float:
    """Mean nDCG@k over all queries in qrels; run maps qid -> ranked doc ids (missing -> 0)."""
    total = 0.0
    for q, rel in qrels.items():
        ranked = run.get(q, [])[:k]
        dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked))
        ideal = sorted(rel.values(), reverse=True)[:k]
        idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
        total += dcg / idcg if idcg > 0 else 0.0
    return total / len(qrels)


def recall_at_k(run: dict[str, list[str]], ref: dict[str, list[str]], k: int = 10) -> float:
    """Mean overlap of run's top k with ref's top k (ANN recall against exact search)."""
    total = 0.0
    for q, ranked in ref.items():
        total += len(set(run.get(q, [])[:k]) & set(ranked[:k])) / max(1, len(ranked[:k]))
    return total / len(ref)


def rrf(lists: Iterable[list[str]], k: int = 60, n: int = 100) -> list[str]:
    """Reciprocal rank fusion of the top n of each ranked list."""
    scores: dict[str, float] = {}
    for ranked in lists:
        for rank, d in enumerate(ranked[:n]):
            scores[d] = scores.get(d, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores, key=lambda d: -scores[d])


def timed(fn: Callable[[Any], Any], items: list[Any]) -> tuple[list[Any], list[float]]:
    """fn(item) for every item after one warm-up pass: (results, latencies in ms)."""
    for item in items:
        fn(item)
    results, latencies = [], []
    for item in items:
        start = time.perf_counter()
        results.append(fn(item))
        latencies.append((time.perf_counter() - start) * 1000)
    return results, latencies


def pct(latencies: list[float]) -> tuple[float, float]:
    """(median, p95) in ms, rounded to microseconds."""
    s = sorted(latencies)
    mid = len(s) // 2
    median = s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
    p95 = s[min(len(s) - 1, math.ceil(0.95 * len(s)) - 1)]
    return round(median, 3), round(p95, 3)


def tile_vectors(V: Any, n_target: int = 100_000, noise: float = 0.01, seed: int = 0) -> Any:
    """V tiled to >= n_target rows, copies with small Gaussian noise, re-normalised."""
    import numpy as np

    rng = np.random.default_rng(seed)
    reps = math.ceil(n_target / len(V))
    noisy = [V + rng.normal(0, noise, V.shape).astype(np.float32) for _ in range(reps - 1)]
    X = np.concatenate([V, *noisy])
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32)


def save(name: str, result: dict[str, Any]) -> None:
    """Write results/<name>.json, with the vectors' provenance (vectors/meta.json) added."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = VECTORS / "meta.json"
    result = {**result, "vectors": json.loads(meta.read_text()) if meta.exists() else None}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
