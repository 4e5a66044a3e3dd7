"""The retriever (search/retrieval.py) over a scripted backend: input checks, which methods
each mode asks, fusion, reranking through the chain and its fallbacks, top-k, highlights."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from docent.domain import Access, Chunk, ChunkMatch
from docent.errors import (
    DocentError,
    InvalidInput,
    ProviderFailure,
    ProviderUnavailable,
    RateLimited,
)
from docent.providers.chains import RerankerChain
from docent.search.backend import DocumentQuery
from docent.search.retrieval import (
    MAX_FILTERED_DOCUMENTS,
    MAX_QUERY_CHARS,
    MAX_TOP_K,
    Retriever,
    SearchMode,
    SearchRequest,
)
from docent.settings import SearchSettings

#: The fusion constant and the keyword ranking's share, as the tests below compute them.
K, KEYWORD_WEIGHT = 20, 0.6


def match(chunk_id: str, rank: int, score: float, text: str = "", *highlights: str) -> ChunkMatch:
    chunk = Chunk(id=chunk_id, document_id="d", ordinal=rank, text=text or f"Passage {chunk_id}.")
    return ChunkMatch(chunk, "Handbook", rank, score, tuple(highlights))


class ScriptedBackend:
    """Returns the matches it is given (cut to `limit`) and records every search."""

    name = "scripted"

    def __init__(
        self, keyword: Sequence[ChunkMatch] = (), semantic: Sequence[ChunkMatch] = ()
    ) -> None:
        self._keyword, self._semantic = list(keyword), list(semantic)
        self.calls: list[tuple[str, Any, Any, int, Sequence[str] | None]] = []

    async def keyword_search(
        self, owner: str | Access, query: str, *, limit: int, document_ids: Any = None
    ) -> list[ChunkMatch]:
        self.calls.append(("keyword", owner, query, limit, document_ids))
        return self._keyword[:limit]

    async def semantic_search(
        self, owner: str | Access, vector: np.ndarray, *, limit: int, document_ids: Any = None
    ) -> list[ChunkMatch]:
        self.calls.append(("semantic", owner, vector.tolist(), limit, document_ids))
        return self._semantic[:limit]

    def methods(self) -> set[str]:
        return {call[0] for call in self.calls}


class QueryEmbedder:
    """One fixed query vector; records the queries."""

    model, dimension = "fixed", 2

    def __init__(self) -> None:
        self.queries: list[str] = []

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.tile(np.array([0.6, 0.8], dtype=np.float32), (len(texts), 1))

    async def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return np.array([0.6, 0.8], dtype=np.float32)

    async def aclose(self) -> None:
        pass


class ScriptedReranker:
    """Scores the texts from a table of text -> score, or raises the error it is given."""

    def __init__(self, name: str, scores: dict[str, float] | DocentError) -> None:
        self.name = name
        self._scores = scores
        self.calls: list[tuple[str, list[str]]] = []

    async def rerank(self, query: str, texts: list[str]) -> list[float]:
        self.calls.append((query, texts))
        if isinstance(self._scores, DocentError):
            raise self._scores
        return [self._scores[t] for t in texts]


def retriever(
    backend: ScriptedBackend,
    reranker: RerankerChain | None = None,
    *,
    candidates: int = 10,
    rerank_candidates: int = 50,
    embedder: QueryEmbedder | None = None,
) -> Retriever:
    settings = SearchSettings(
        candidates=candidates, rrf_k=K, keyword_weight=KEYWORD_WEIGHT, min_relevance=0.35
    )
    return Retriever(
        backend,
        embedder or QueryEmbedder(),
        reranker,
        settings,
        rerank_candidates=rerank_candidates,
    )


#: "a" is found by keywords only, "c" by meaning only, "b" by both.
KEYWORD = [match("a", 1, 9.0), match("b", 2, 4.0)]
SEMANTIC = [match("b", 1, 0.8), match("c", 2, 0.6)]


@pytest.mark.parametrize(
    ("query", "top_k", "message", "field"),
    [
        pytest.param("", 5, "the query is empty", "query", id="empty"),
        pytest.param(" \n\t ", 5, "the query is empty", "query", id="blank"),
        # nothing a person sees: searched, it found passages "similar" to nothing (a trial)
        pytest.param("\u200b\ufeff\x00 \u202e", 5, "the query is empty", "query", id="invisible"),
        pytest.param(
            "x" * (MAX_QUERY_CHARS + 1),
            5,
            "the query is longer than 4000 characters",
            "query",
            id="too-long",
        ),
        pytest.param("refunds", 0, "topK must be between 1 and 100", "topK", id="top-k-0"),
        pytest.param(
            "refunds", MAX_TOP_K + 1, "topK must be between 1 and 100", "topK", id="top-k-101"
        ),
    ],
)
async def test_input_checks(query: str, top_k: int, message: str, field: str) -> None:
    backend, embedder = ScriptedBackend(KEYWORD, SEMANTIC), QueryEmbedder()
    with pytest.raises(InvalidInput) as raised:
        await retriever(backend, embedder=embedder).search(
            "alice", SearchRequest(query, top_k=top_k)
        )
    assert (raised.value.message, raised.value.field) == (message, field)
    assert backend.calls == [] and embedder.queries == []


@pytest.mark.parametrize(
    ("query", "top_k", "sent"),
    [
        pytest.param(" refunds \n policy ", 5, "refunds policy", id="white-space-folded"),
        pytest.param("x" * MAX_QUERY_CHARS, MAX_TOP_K, "x" * MAX_QUERY_CHARS, id="the-limits"),
        pytest.param("a" + " " * MAX_QUERY_CHARS + "b", 1, "a b", id="folded-before-counting"),
    ],
)
async def test_the_query_each_method_gets(query: str, top_k: int, sent: str) -> None:
    backend, embedder = ScriptedBackend(), QueryEmbedder()
    await retriever(backend, embedder=embedder).search("alice", SearchRequest(query, top_k=top_k))
    assert [call[2] for call in backend.calls if call[0] == "keyword"] == [sent]
    assert embedder.queries == [sent]


BOTH = {"keyword", "semantic"}


@pytest.mark.parametrize("need_similarity", [False, True], ids=["search-only", "with-similarity"])
@pytest.mark.parametrize(
    ("mode", "methods", "ranks", "best"),
    # methods and best: without, then with the similarity asked for
    [
        pytest.param(
            SearchMode.HYBRID,
            (BOTH, BOTH),
            [("b", 2, 1), ("a", 1, None), ("c", None, 2)],
            (0.8, 0.8),
            id="hybrid",
        ),
        # The semantic candidates asked for only measure relevance: the hits stay keyword hits.
        pytest.param(
            SearchMode.KEYWORD,
            ({"keyword"}, BOTH),
            [("a", 1, None), ("b", 2, None)],
            (None, 0.8),
            id="keyword",
        ),
        pytest.param(
            SearchMode.SEMANTIC,
            ({"semantic"}, {"semantic"}),
            [("b", None, 1), ("c", None, 2)],
            (0.8, 0.8),
            id="semantic",
        ),
    ],
)
async def test_modes(
    mode: SearchMode,
    methods: tuple[set[str], set[str]],
    ranks: list[tuple[str, int | None, int | None]],
    best: tuple[float | None, float | None],
    need_similarity: bool,
) -> None:
    backend = ScriptedBackend(KEYWORD, SEMANTIC)
    outcome = await retriever(backend).search(
        "alice", SearchRequest("refunds", mode=mode), need_similarity=need_similarity
    )
    assert backend.methods() == methods[need_similarity]
    assert [(h.chunk.id, h.keyword_rank, h.semantic_rank) for h in outcome.hits] == ranks
    expected = best[need_similarity]
    assert outcome.best_similarity == (pytest.approx(expected) if expected is not None else None)
    assert outcome.fallbacks == ()
    assert outcome.took_ms >= 0


async def test_hybrid_scores_are_weighted_reciprocal_ranks() -> None:
    outcome = await retriever(ScriptedBackend(KEYWORD, SEMANTIC)).search(
        "alice", SearchRequest("refunds")
    )
    scores = {h.chunk.id: h.score for h in outcome.hits}
    semantic_weight = 1 - KEYWORD_WEIGHT
    assert scores == pytest.approx(
        {
            "b": KEYWORD_WEIGHT / (K + 2) + semantic_weight / (K + 1),
            "a": KEYWORD_WEIGHT / (K + 1),
            "c": semantic_weight / (K + 2),
        }
    )
    b = outcome.hits[0]
    assert (b.keyword_score, b.semantic_score) == (4.0, pytest.approx(0.8))


@pytest.mark.parametrize(
    ("keyword", "semantic", "scores"),
    [
        pytest.param(KEYWORD, [], {"a": 1 / (K + 1), "b": 1 / (K + 2)}, id="keywords-only"),
        pytest.param([], SEMANTIC, {"b": 1 / (K + 1), "c": 1 / (K + 2)}, id="meaning-only"),
    ],
)
async def test_one_method_finding_nothing_leaves_the_other_unweighted(
    keyword: list[ChunkMatch], semantic: list[ChunkMatch], scores: dict[str, float]
) -> None:
    outcome = await retriever(ScriptedBackend(keyword, semantic)).search(
        "alice", SearchRequest("refunds")
    )
    assert {h.chunk.id: h.score for h in outcome.hits} == pytest.approx(scores)


@pytest.mark.parametrize(
    ("semantic", "best"),
    [
        pytest.param([match("x", 1, 0.5), match("y", 2, 0.7)], 0.7, id="the-highest-score"),
        pytest.param([match("x", 1, -0.2)], -0.2, id="negative"),
        pytest.param([], None, id="nothing-found"),
    ],
)
async def test_best_similarity(semantic: list[ChunkMatch], best: float | None) -> None:
    outcome = await retriever(ScriptedBackend(KEYWORD, semantic)).search(
        "alice", SearchRequest("refunds", mode=SearchMode.KEYWORD), need_similarity=True
    )
    assert outcome.best_similarity == (pytest.approx(best) if best is not None else None)


@pytest.mark.parametrize(
    ("candidates", "top_k", "limit"),
    [pytest.param(10, 5, 10, id="candidates"), pytest.param(10, 30, 30, id="top-k")],
)
@pytest.mark.parametrize(
    "reader",
    [pytest.param("alice", id="owner"), pytest.param(Access("alice", ("team",)), id="groups")],
)
@pytest.mark.parametrize(
    ("document_ids", "sent_ids"),
    [
        pytest.param(None, None, id="all-documents"),
        pytest.param(("d2", "d1"), ["d2", "d1"], id="some"),
    ],
)
async def test_what_reaches_the_backend(
    candidates: int,
    top_k: int,
    limit: int,
    reader: str | Access,
    document_ids: tuple[str, ...] | None,
    sent_ids: list[str] | None,
) -> None:
    backend = ScriptedBackend(KEYWORD, SEMANTIC)
    await retriever(backend, candidates=candidates).search(
        reader, SearchRequest("refunds", top_k=top_k, document_ids=document_ids)
    )
    assert sorted(backend.calls, key=lambda c: c[0]) == [
        ("keyword", reader, "refunds", limit, sent_ids),
        ("semantic", reader, pytest.approx([0.6, 0.8]), limit, sent_ids),
    ]


class TaggedCatalog:
    """A catalogue whose documents carry the tags given; records each read."""

    def __init__(self, tags: dict[str, set[str]]) -> None:
        self.tags = tags
        self.reads: list[tuple[Any, DocumentQuery, int]] = []

    async def document_ids(self, owner: Any, query: DocumentQuery, *, limit: int) -> list[str]:
        self.reads.append((owner, query, limit))
        found = [
            d
            for d, tags in self.tags.items()
            if set(query.tags) <= tags and (query.ids is None or d in query.ids)
        ]
        return found[:limit]


@pytest.mark.parametrize(
    ("document_ids", "tags", "sent_ids"),
    [
        pytest.param(None, ("hr",), ["d1", "d3"], id="tags"),
        pytest.param(None, ("hr", "2024"), ["d3"], id="all-of-the-tags"),
        pytest.param(("d1", "d2"), ("hr",), ["d1"], id="tags-within-ids"),
        pytest.param(None, ("none",), [], id="no-document"),
        pytest.param(("d2",), (), ["d2"], id="no-tags-no-read"),
    ],
)
async def test_a_tag_filter_is_matched_in_the_catalogue(
    document_ids: tuple[str, ...] | None, tags: tuple[str, ...], sent_ids: list[str]
) -> None:
    backend = ScriptedBackend(KEYWORD, SEMANTIC)
    catalog = TaggedCatalog({"d1": {"hr"}, "d2": {"it"}, "d3": {"hr", "2024"}})
    searcher = Retriever(
        backend, QueryEmbedder(), None, SearchSettings(candidates=10), catalog=catalog
    )  # type: ignore[arg-type]
    reader = Access("alice", ("team",))
    await searcher.search(reader, SearchRequest("refunds", document_ids=document_ids, tags=tags))
    assert {(c[0], c[4] if c[4] is None else tuple(c[4])) for c in backend.calls} == {
        ("keyword", tuple(sent_ids)),
        ("semantic", tuple(sent_ids)),
    }
    expected = [] if not tags else [(reader, DocumentQuery(tags=tags, ids=document_ids),
                                     MAX_FILTERED_DOCUMENTS + 1)]  # fmt: skip
    assert catalog.reads == expected


async def test_a_tag_filter_on_too_many_documents_is_refused_not_cut() -> None:
    many = {f"d{i}": {"hr"} for i in range(MAX_FILTERED_DOCUMENTS + 1)}
    backend = ScriptedBackend(KEYWORD, SEMANTIC)
    searcher = Retriever(
        backend, QueryEmbedder(), None, SearchSettings(candidates=10), catalog=TaggedCatalog(many)
    )  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as refused:
        await searcher.search("alice", SearchRequest("refunds", tags=("hr",)))
    assert refused.value.field == "tags" and str(MAX_FILTERED_DOCUMENTS) in refused.value.message
    assert backend.calls == []
    del many["d0"]  # exactly the bound: searched
    await Retriever(
        backend, QueryEmbedder(), None, SearchSettings(candidates=10), catalog=TaggedCatalog(many)
    ).search("alice", SearchRequest("refunds", tags=("hr",)))  # type: ignore[arg-type]
    assert len(backend.calls[0][4]) == MAX_FILTERED_DOCUMENTS


async def test_top_k_cuts_the_fused_list() -> None:
    outcome = await retriever(ScriptedBackend(KEYWORD, SEMANTIC)).search(
        "alice", SearchRequest("refunds", top_k=2)
    )
    assert [h.chunk.id for h in outcome.hits] == ["b", "a"]


async def test_highlights_come_from_the_backend_or_from_the_query() -> None:
    keyword = [
        match("a", 1, 9.0, "Our refund policy is simple.", "<em>backend</em> fragment"),
        match("b", 2, 4.0, "The refund takes ten days."),
    ]
    semantic = [match("c", 1, 0.9, "A refund policy for members.")]
    hybrid = await retriever(ScriptedBackend(keyword, semantic)).search(
        "alice", SearchRequest("refund policy")
    )
    assert {h.chunk.id: h.highlights for h in hybrid.hits} == {
        "a": ("<em>backend</em> fragment",),
        "b": ("The <em>refund</em> takes ten days.",),
        "c": ("A <em>refund</em> <em>policy</em> for members.",),
    }
    # Without keywords nothing is highlighted.
    semantic_only = await retriever(ScriptedBackend(keyword, semantic)).search(
        "alice", SearchRequest("refund policy", mode=SearchMode.SEMANTIC)
    )
    assert [h.highlights for h in semantic_only.hits] == [()]


#: Reranker scores by text: "c" best, then "a", then "b" (the fused order is b, a, c).
SCORES = {"Passage a.": 0.5, "Passage b.": 0.1, "Passage c.": 0.9}


async def test_reranked_hits_carry_the_rerankers_scores() -> None:
    reranker = ScriptedReranker("cohere", SCORES)
    search = retriever(
        ScriptedBackend(KEYWORD, SEMANTIC), RerankerChain([reranker], none_last=False)
    )
    assert search.reranks
    outcome = await search.search("alice", SearchRequest(" refunds  policy ", rerank=True))
    assert reranker.calls == [("refunds policy", ["Passage b.", "Passage a.", "Passage c."])]
    assert [(h.chunk.id, h.score, h.rerank_score) for h in outcome.hits] == [
        ("c", 0.9, 0.9),
        ("a", 0.5, 0.5),
        ("b", 0.1, 0.1),
    ]
    # Each method's rank stays, to show why a hit was found.
    assert [(h.keyword_rank, h.semantic_rank) for h in outcome.hits] == [
        (None, 2),
        (1, None),
        (2, 1),
    ]
    assert outcome.fallbacks == ()


async def test_equal_rerank_scores_keep_the_fused_order() -> None:
    reranker = ScriptedReranker("cohere", dict.fromkeys(SCORES, 0.5))
    search = retriever(
        ScriptedBackend(KEYWORD, SEMANTIC), RerankerChain([reranker], none_last=False)
    )
    outcome = await search.search("alice", SearchRequest("refunds", rerank=True))
    assert [h.chunk.id for h in outcome.hits] == ["b", "a", "c"]


@pytest.mark.parametrize(
    ("rerank_candidates", "top_k", "reranked", "hits"),
    [
        pytest.param(2, 1, ["Passage b.", "Passage a."], ["a"], id="candidates-then-top-k"),
        pytest.param(2, 3, ["Passage b.", "Passage a.", "Passage c."], ["c", "a", "b"], id="top-k"),
    ],
)
async def test_how_many_candidates_are_reranked(
    rerank_candidates: int, top_k: int, reranked: list[str], hits: list[str]
) -> None:
    reranker = ScriptedReranker("cohere", SCORES)
    chain = RerankerChain([reranker], none_last=False)
    search = retriever(
        ScriptedBackend(KEYWORD, SEMANTIC), chain, rerank_candidates=rerank_candidates
    )
    outcome = await search.search("alice", SearchRequest("refunds", top_k=top_k, rerank=True))
    assert reranker.calls == [("refunds", reranked)]
    assert [h.chunk.id for h in outcome.hits] == hits


@pytest.mark.parametrize(
    ("configured", "rerank", "nothing_found"),
    [
        pytest.param(True, False, False, id="not-asked"),
        pytest.param(False, True, False, id="none-configured"),
        pytest.param(True, True, True, id="nothing-to-rerank"),
    ],
)
async def test_when_nothing_is_reranked(
    configured: bool, rerank: bool, nothing_found: bool
) -> None:
    reranker = ScriptedReranker("cohere", SCORES)
    chain = RerankerChain([reranker], none_last=False) if configured else None
    backend = ScriptedBackend() if nothing_found else ScriptedBackend(KEYWORD, SEMANTIC)
    search = retriever(backend, chain)
    assert search.reranks is configured
    outcome = await search.search("alice", SearchRequest("refunds", rerank=rerank))
    assert reranker.calls == []
    assert [h.chunk.id for h in outcome.hits] == ([] if nothing_found else ["b", "a", "c"])
    assert all(h.rerank_score is None for h in outcome.hits)


DOWN = ProviderUnavailable("cohere is down")


@pytest.mark.parametrize(
    ("members", "none_last", "order", "fallbacks"),
    [
        pytest.param(
            [ScriptedReranker("cohere", DOWN), ScriptedReranker("local", SCORES)],
            False,
            ["c", "a", "b"],
            (ProviderFailure("cohere", "PROVIDER_UNAVAILABLE", "cohere is down"),),
            id="next-reranker",
        ),
        pytest.param(
            [ScriptedReranker("cohere", RateLimited("slow down", retry_after=3))],
            True,
            ["b", "a", "c"],
            (ProviderFailure("cohere", "RATE_LIMITED", "slow down"),),
            id="fused-order-when-none-last",
        ),
    ],
)
async def test_reranker_fallbacks(
    members: list[ScriptedReranker],
    none_last: bool,
    order: list[str],
    fallbacks: tuple[ProviderFailure, ...],
) -> None:
    search = retriever(
        ScriptedBackend(KEYWORD, SEMANTIC), RerankerChain(members, none_last=none_last)
    )
    outcome = await search.search("alice", SearchRequest("refunds", rerank=True))
    assert [h.chunk.id for h in outcome.hits] == order
    assert outcome.fallbacks == fallbacks
    assert all(len(m.calls) == 1 for m in members)


@pytest.mark.parametrize(
    ("error", "none_last"),
    [
        pytest.param(DOWN, False, id="last-reranker-down"),
        pytest.param(DocentError("the reranker broke"), True, id="not-a-fallback-code"),
    ],
)
async def test_reranker_failures_that_fail_the_search(error: DocentError, none_last: bool) -> None:
    chain = RerankerChain([ScriptedReranker("cohere", error)], none_last=none_last)
    with pytest.raises(type(error), match=error.message):
        await retriever(ScriptedBackend(KEYWORD, SEMANTIC), chain).search(
            "alice", SearchRequest("refunds", rerank=True)
        )
