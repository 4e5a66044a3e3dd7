"""Corpus and query vectors for the engine comparison, made once with docent's embedder.

Runs under docent's venv (not the per-engine venvs):

    python benchmarks/engines/vectors.py [--force]

The model is docent's LocalEmbedder (all-MiniLM-L6-v2, int8 arithmetic, one passage per
run, L2-normalised); its quantized graph is cached in <cache>/models. Writes <cache>/vectors:

  corpus.npy       float32 (5183, 384); row i = line i of corpus.jsonl, title + " " + text
  corpus_ids.json  the corpus ids, in row order
  queries.npy      float32 (300, 384); the test queries (qrels/test.tsv)
  query_ids.json   the query ids, in row order
  meta.json        model, model digest, counts and timing

Existing vectors are reused; --force recomputes them.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from docent.providers.local_embedder import LocalEmbedder

from common import CACHE, DATA, VECTORS, read_scifact

FILES = ("corpus.npy", "corpus_ids.json", "queries.npy", "query_ids.json", "meta.json")


def embed(embedder: LocalEmbedder, texts: list[str], label: str, step: int = 1000) -> np.ndarray:
    parts = []
    start = time.perf_counter()
    for i in range(0, len(texts), step):
        parts.append(embedder.embed_sync(texts[i : i + step]))
        done = min(i + step, len(texts))
        rate = done / (time.perf_counter() - start)
        print(f"  {label}: {done}/{len(texts)} ({rate:.0f}/s)", flush=True)
    return np.concatenate(parts).astype(np.float32)


def write(name: str, save) -> None:
    """Write VECTORS/name through a temporary file, so an interrupted run leaves no partial file."""
    tmp = VECTORS / f".{name}.tmp"
    with tmp.open("wb") as f:
        save(f)
    os.replace(tmp, VECTORS / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="recompute existing vectors")
    args = parser.parse_args()
    if not args.force and all((VECTORS / f).exists() for f in FILES):
        print(f"vectors already in {VECTORS} (--force recomputes them)")
        return
    corpus, texts, qrels = read_scifact()
    query_ids = list(qrels)
    print(f"{len(corpus)} passages and {len(query_ids)} test queries from {DATA}", flush=True)
    started = time.perf_counter()
    embedder = LocalEmbedder(cache_dir=CACHE / "models")
    V = embed(embedder, [f"{title} {text}" for _, title, text in corpus], "corpus")
    Q = embed(embedder, [texts[q] for q in query_ids], "queries")
    seconds = time.perf_counter() - started
    VECTORS.mkdir(parents=True, exist_ok=True)
    (VECTORS / "meta.json").unlink(missing_ok=True)  # written last: marks a complete set
    write("corpus.npy", lambda f: np.save(f, V))
    write("corpus_ids.json", lambda f: f.write(json.dumps([c[0] for c in corpus]).encode()))
    write("queries.npy", lambda f: np.save(f, Q))
    write("query_ids.json", lambda f: f.write(json.dumps(query_ids).encode()))
    meta = {
        "model": embedder.model,
        "model_sha256": embedder.model_sha256,
        "dataset": str(DATA),
        "corpus": list(V.shape),
        "queries": list(Q.shape),
        "seconds": round(seconds, 1),
    }
    write("meta.json", lambda f: f.write(json.dumps(meta, indent=1).encode()))
    print(f"corpus {V.shape}, queries {Q.shape} in {seconds:.0f} s -> {VECTORS}")


if __name__ == "__main__":
    main()
