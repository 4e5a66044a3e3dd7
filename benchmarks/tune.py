"""Tune hybrid fusion on the SciFact train split (never on test), in-process over an index
that `scifact.py --data-dir DIR` built.

    python benchmarks/tune.py --data-dir DIR [--split train]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
from pathlib import Path

from docent.providers.local_embedder import LocalEmbedder
from docent.search.embedded.store import EmbeddedBackend
from docent.search.retrieval import Retriever, SearchMode, SearchRequest
from docent.settings import SearchSettings

from common import arguments
from corpus import load_scifact
from relevance import ndcg


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
            # a document's rank is that of its best passage
            ranked = list(dict.fromkeys(records[h.chunk.document_id] for h in outcome.hits))
            total += ndcg(ranked, beir.qrels[qid])
        return total / len(beir.queries)

    base = SearchSettings()
    if args.relevance:
        await relevance(beir, backend, embedder, base)
        await backend.aclose()
        return
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


#: Questions SciFact's abstracts do not answer, to see where "not found" should start.
OFF_TOPIC = [
    "What is the capital of France?", "How do I reset my router password?",
    "Who won the football world cup in 2014?", "What time does the bakery open on Sunday?",
    "How many moons does Jupiter have?", "What is the best recipe for lasagna?",
    "How do I renew my passport?", "Which programming language should I learn first?",
    "What is the price of a train ticket from Paris to Lyon?", "Who wrote Pride and Prejudice?",
    "How do I change a flat tyre?", "What is the plot of the movie Inception?",
    "When is the next leap year?", "How tall is the Eiffel Tower?",
    "What are the rules of chess castling?", "How do I file my tax return?",
    "What is the weather like in Lisbon in May?", "How do I install Python on Windows?",
    "Who is the lead singer of Queen?", "How many players are on a rugby team?",
]  # fmt: skip


async def relevance(beir, backend, embedder, settings: SearchSettings) -> None:  # type: ignore[no-untyped-def]
    """Best question-passage similarity for answerable (SciFact) and unanswerable questions."""
    retriever = Retriever(backend, embedder, None, settings)

    async def best(question: str) -> float:
        outcome = await retriever.search(
            "local", SearchRequest(question, SearchMode.SEMANTIC, top_k=1)
        )
        return outcome.best_similarity or -1.0

    answerable = sorted([await best(q) for q in beir.queries.values()])
    unanswerable = sorted([await best(q) for q in OFF_TOPIC])
    for threshold in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45):
        kept = sum(v >= threshold for v in answerable) / len(answerable)
        wrong = sum(v >= threshold for v in unanswerable) / len(unanswerable)
        print(
            f"min_relevance {threshold}: answers {kept:.1%} of SciFact questions, "
            f"{wrong:.0%} of off-topic ones"
        )
    print(f"off-topic best similarities: {[round(v, 2) for v in unanswerable]}")


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--split", default="train", choices=["train", "test"])
    parser.add_argument("--relevance", action="store_true", help="tune DOCENT_MIN_RELEVANCE")
    asyncio.run(main(parser.parse_args()))
