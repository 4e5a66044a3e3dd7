"""SciFact (BEIR layout) loading, and documents made from it for benchmarks."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCIFACT = Path(os.environ.get("DOCENT_SHARED", REPO.parent / "shared")) / "datasets" / "scifact"


@dataclass(frozen=True)
class Beir:
    corpus: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_scifact(split: str = "test", root: Path = SCIFACT) -> Beir:
    corpus = {}
    with (root / "corpus.jsonl").open() as f:
        for line in f:
            doc = json.loads(line)
            corpus[doc["_id"]] = (doc.get("title", ""), doc.get("text", ""))
    queries = {}
    with (root / "queries.jsonl").open() as f:
        for line in f:
            q = json.loads(line)
            queries[q["_id"]] = q["text"]
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with (root / "qrels" / f"{split}.tsv").open() as f:
        next(f)
        for line in f:
            qid, did, score = line.split()
            qrels[qid][did] = int(score)
    return Beir(corpus, {q: queries[q] for q in qrels}, dict(qrels))


def long_text_document(target_chunks: int = 1000, *, chunk_chars: int = 1000, seed: int = 0) -> str:
    """A plain-text document of about `target_chunks` chunks: SciFact abstracts as sections
    (a title line, then the abstract), until the length is reached. An abstract (~1,500
    characters) makes two chunks, so a chunk holds ~68% of `chunk_chars` on average."""
    beir = load_scifact()
    items = list(beir.corpus.values())
    start = (seed * 7919) % len(items)
    parts: list[str] = []
    size = 0
    goal = int(target_chunks * chunk_chars * 0.68)
    i = start
    while size < goal:
        title, text = items[i % len(items)]
        block = f"{title.rstrip('.')}\n\n{text}\n"
        parts.append(block)
        size += len(block)
        i += 1
    return "\n".join(parts)
