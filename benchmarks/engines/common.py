"""Shared helpers of the engine comparison: paths, SciFact loading, the Python analyser,
metrics and timing, and what every engine script does with them (`Bench`, `finish`,
`command_line`).

Imported by compare.py (any Python 3.11), vectors.py (docent's venv) and the engine scripts
(their own venvs), so the module itself needs only the standard library; numpy and
snowballstemmer are imported by the functions that use them. SciFact's reader and nDCG are
the API benchmarks' (benchmarks/corpus.py, benchmarks/relevance.py: stdlib only too).

Paths:
  dataset  $DOCENT_SHARED/datasets/scifact, default <repo>/../shared/datasets/scifact
  cache    $DOCENT_BENCH_CACHE, default ~/.cache/docent/bench-engines, holding
           vectors/ (vectors.py), venv-A|B|C/ (compare.py --setup), work/ (indexes and
           databases) and results/ (one JSON and one log per engine, install.json)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# benchmarks/ (appended: a module there never shadows a package of the engine's venv)
if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parents[1]))
from corpus import SCIFACT, load_scifact
from relevance import ndcg

DATA = SCIFACT
CACHE = Path(
    os.environ.get("DOCENT_BENCH_CACHE", Path.home() / ".cache" / "docent" / "bench-engines")
).expanduser()
VECTORS = CACHE / "vectors"
WORK = CACHE / "work"
RESULTS = CACHE / "results"
DIM = 384

_STOPWORDS = Path(__file__).resolve().parent / "stopwords"
# NLTK's English stop word list (179 words)
STOP_NLTK = set((_STOPWORDS / "nltk-english.txt").read_text().split())
# Lucene's / Elasticsearch's `_english_` stop words (33 words)
STOP_LUCENE = set((_STOPWORDS / "lucene-english.txt").read_text().split())

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
    """(corpus rows (id, title, text) in file order, test query texts, test qrels in file order)."""
    beir = load_scifact("test", DATA)
    return [(i, title, text) for i, (title, text) in beir.corpus.items()], beir.queries, beir.qrels


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
    return sum(ndcg(run.get(q, []), rel, k) for q, rel in qrels.items()) / len(qrels)


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


def exact_filtered(V: Any, q: Any, mask: Any, k: int = 10) -> Any:
    """Row numbers of the exact top k by V @ q among the rows `mask` allows (fewer when
    fewer are allowed): what a filtered kNN should return."""
    import numpy as np

    sims = V @ q
    sims[~mask] = -9
    return np.argsort(-sims)[: min(k, int(mask.sum()))]


def recall_vs_exact(X: Any, Q: Any, results: list[Any], offset: int = 0) -> float:
    """Mean share of the exact top 10 by X @ Q[i] found in results[i] (row numbers, plus
    `offset`: SQLite's rowids start at 1), rounded to 4 places."""
    import numpy as np

    ref = [
        set((np.argpartition(-(X @ Q[i]), 10)[:10] + offset).tolist()) for i in range(len(results))
    ]
    shares = [len(set(map(int, got)) & top) / 10 for got, top in zip(results, ref, strict=True)]
    return round(float(np.mean(shares)), 4)


@dataclass
class Bench:
    """What an engine script measures with: SciFact's corpus rows and test queries, their
    vectors (V: row i = corpus row i; Q: row i = query i), and the scoring of rankings."""

    corpus: list[tuple[str, str, str]]
    queries: list[tuple[str, str]]
    qrels: dict[str, dict[str, int]]
    V: Any
    Q: Any
    ids: list[str] = field(init=False)  # corpus ids, by row
    qids: list[str] = field(init=False)
    qtexts: list[str] = field(init=False)
    qidx: list[int] = field(init=False)  # query rows: what the vector searches take

    def __post_init__(self) -> None:
        self.ids = [c[0] for c in self.corpus]
        self.qids = [q for q, _ in self.queries]
        self.qtexts = [t for _, t in self.queries]
        self.qidx = list(range(len(self.Q)))

    @classmethod
    def load(cls) -> Bench:
        corpus, queries, qrels = load()
        V, Q = load_vectors()
        return cls(corpus, queries, qrels, V, Q)

    def exact_top10(self) -> dict[str, list[str]]:
        """Each query's exact top 10 doc ids (numpy, V @ q): the reference for ANN recall."""
        import numpy as np

        return {
            q: [self.ids[j] for j in np.argsort(-(self.V @ self.Q[i]))[:10]]
            for i, q in enumerate(self.qids)
        }

    def score(
        self,
        results: list[list[str]],
        latencies: list[float],
        exact: dict[str, list[str]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """{"ndcg10", "lat_ms" (median, p95), "recall10_vs_numpy_exact" (with `exact`),
        **extra} of one ranked list of doc ids per query, in query order."""
        run = dict(zip(self.qids, results, strict=True))
        scored: dict[str, Any] = {
            "ndcg10": round(ndcg_at_k(run, self.qrels), 4),
            "lat_ms": pct(latencies),
        }
        if exact is not None:
            scored["recall10_vs_numpy_exact"] = round(recall_at_k(run, exact), 4)
        return {**scored, **extra}

    def hybrid(
        self,
        keyword: Callable[[str], list[str]],
        semantic: Callable[[int], list[str]],
        /,
        **extra: Any,
    ) -> dict[str, Any]:
        """Our RRF of `keyword(query text)` and `semantic(query row)`, each a top 100, scored
        (`extra`: what the result also says, e.g. which variants)."""
        res, lat = timed(lambda qi: rrf([keyword(self.qtexts[qi]), semantic(qi)]), self.qidx)
        return self.score(res, lat, **extra)


def finish(
    name: str,
    result: dict[str, Any],
    quick: bool,
    scale: Callable[[], dict[str, Any]],
    multiprocess: Callable[[], dict[str, Any]],
) -> None:
    """Save results/<name>_quick.json with --quick; else first measure ~100k vectors
    (`scale`) and a reader beside a writer process (`multiprocess`), then save <name>.json."""
    if quick:
        save(f"{name}_quick", result)
        return
    result["semantic_100k"] = scale()
    print("100k", result["semantic_100k"], flush=True)
    result["multiprocess"] = multiprocess()
    print("mp", result["multiprocess"], flush=True)
    save(name, result)


def command_line(
    doc: str,
    main: Callable[[bool], None],
    child: Callable[..., None],
    child_option: str,
    **option: Any,
) -> None:
    """An engine script's command line: `main(quick)` (--quick skips the ~100k-vector and
    multi-process parts), or, with the hidden `child_option` (made with `option`, e.g.
    type=float), `child(value)`: the script's own child process in the multi-process part
    (`child(*values)` when the option takes nargs)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="skip the ~100k-vector and multi-process parts"
    )
    parser.add_argument(child_option, dest="child", help=argparse.SUPPRESS, **option)
    args = parser.parse_args()
    if args.child is None:
        main(args.quick)
    elif "nargs" in option:
        child(*args.child)
    else:
        child(args.child)
