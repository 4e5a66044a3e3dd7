"""Tune hybrid fusion on the SciFact train split (never on test), in-process over an index
that `scifact.py --data-dir DIR` built.

    python benchmarks/tune.py --data-dir DIR [--split train]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
from pathlib import Path

from corpus import load_scifact
from scifact import ndcg_at_10

from docent.search.embedded import EmbeddedBackend
from docent.search.local_embedder import LocalEmbedder
from docent.search.retrieval import Retriever, SearchMode, SearchRequest
from docent.settings import SearchSettings


async def main(args: argparse.Namespace) -> None:
    beir = load_scifact(args.split)
    data_dir = Path(args.data_dir)
    embedder = LocalEmbedder(cache_dir=data_dir / "models")
    backend = EmbeddedBackend(data_dir / "index" / "docent.sqlite3")
    await backend.open(model=embedder.model, dimension=embedder.dimension)
    records = {}
    # the owner of the benchmark's documents is the local user
    page_after = None
    from docent.search.backend import DocumentQuery

    while True:
        page = await backend.list_documents("local", DocumentQuery(), first=1000, after=page_after)
        records.update({r.id: r.filename.removesuffix(".txt") for r, _ in page.items})
        if not page.has_next:
            break
        page_after = page.items[-1][1]

    async def score(settings: SearchSettings, mode: SearchMode) -> float:
        retriever = Retriever(backend, embedder, None, settings)
        total = 0.0
        for qid, question in beir.queries.items():
            outcome = await retriever.search("local", SearchRequest(question, mode, top_k=100))
            ranked: list[str] = []
            for hit in outcome.hits:
                doc = records[hit.chunk.document_id]
                if doc not in ranked:
                    ranked.append(doc)
            total += ndcg_at_10(ranked, beir.qrels[qid])
        return total / len(beir.queries)

    base = SearchSettings()
    print(
        f"{args.split}: KEYWORD {await score(base, SearchMode.KEYWORD):.4f}  "
        f"SEMANTIC {await score(base, SearchMode.SEMANTIC):.4f}"
    )
    print("| rrf_k | keyword_weight | candidates | HYBRID nDCG@10 |")
    print("|---|---|---|---|")
    for k, weight, candidates in itertools.product((20, 60, 100), (0.4, 0.5, 0.6, 0.7), (100,)):
        settings = base.model_copy(
            update={"rrf_k": k, "keyword_weight": weight, "candidates": candidates}
        )
        print(
            f"| {k} | {weight} | {candidates} | {await score(settings, SearchMode.HYBRID):.4f} |",
            flush=True,
        )
    await backend.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--split", default="train", choices=["train", "test"])
    asyncio.run(main(parser.parse_args()))
