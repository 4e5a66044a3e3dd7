import pytest

from docent.domain import Chunk, ChunkMatch
from docent.search.fusion import reciprocal_rank_fusion
from docent.search.retrieval import (
    best_per_document,
    fuse,
    keep_first_semantic,
    keep_foreign_semantic,
)


@pytest.mark.parametrize(
    ("rankings", "k", "expected"),
    [
        # one ranking: order kept
        ({"a": ["x", "y", "z"]}, 60, ["x", "y", "z"]),
        # an item ranked well in both beats items ranked first in one only
        ({"a": ["x", "y", "z"], "b": ["w", "y", "q"]}, 60, ["y", "x", "w", "z", "q"]),
        # but a first and a third place beat two second places
        ({"a": ["x", "y", "z"], "b": ["w", "y", "x"]}, 60, ["x", "y", "w", "z"]),
        # empty rankings
        ({"a": [], "b": []}, 60, []),
        # duplicates inside one ranking count once, at the best rank
        ({"a": ["x", "x", "y"]}, 60, ["x", "y"]),
        # small k makes the top ranks dominate
        ({"a": ["x", "y"], "b": ["y", "z"]}, 1, ["y", "x", "z"]),
    ],
)
def test_rrf_order(rankings, k, expected):
    assert [item for item, _ in reciprocal_rank_fusion(rankings, k=k)] == expected


def test_rrf_scores_follow_the_formula():
    fused = dict(reciprocal_rank_fusion({"a": ["x", "y"], "b": ["y"]}, k=60))
    assert fused["x"] == pytest.approx(1 / 61)
    assert fused["y"] == pytest.approx(1 / 62 + 1 / 61)


def test_rrf_weights():
    rankings = {"a": ["x", "y"], "b": ["y", "x"]}
    assert reciprocal_rank_fusion(rankings, weights={"a": 0.9, "b": 0.1})[0][0] == "x"
    assert reciprocal_rank_fusion(rankings, weights={"a": 0.1, "b": 0.9})[0][0] == "y"


def test_rrf_ties_are_deterministic():
    # x and y each appear once at rank 1: same score, same best rank; first seen wins
    assert [i for i, _ in reciprocal_rank_fusion({"a": ["x"], "b": ["y"]})] == ["x", "y"]


def test_rrf_rejects_bad_k():
    with pytest.raises(ValueError):
        reciprocal_rank_fusion({"a": ["x"]}, k=0)


def _match(chunk_id: str, rank: int, score: float) -> ChunkMatch:
    chunk = Chunk(id=chunk_id, document_id="d", ordinal=0, text=chunk_id)
    return ChunkMatch(chunk=chunk, document_title="t", rank=rank, score=score)


def test_fuse_keeps_each_methods_rank_and_score():
    keyword = [_match("a", 1, 12.5), _match("b", 2, 7.0)]
    semantic = [_match("b", 1, 0.8), _match("c", 2, 0.5)]
    hits = {h.chunk.id: h for h in fuse(keyword, semantic, k=60, keyword_weight=0.5)}
    assert list(hits) == ["b", "a", "c"]
    assert (hits["b"].keyword_rank, hits["b"].keyword_score) == (2, 7.0)
    assert (hits["b"].semantic_rank, hits["b"].semantic_score) == (1, 0.8)
    assert hits["a"].semantic_rank is None and hits["c"].keyword_rank is None


def test_fuse_single_method_ignores_weights():
    hits = fuse([_match("a", 1, 3.0)], [], k=60, keyword_weight=0.0)
    assert [h.chunk.id for h in hits] == ["a"] and hits[0].score > 0


def _match(chunk_id: str, rank: int, score: float) -> ChunkMatch:
    return ChunkMatch(
        Chunk(id=chunk_id, document_id="d", ordinal=0, text=chunk_id), "t", rank, score
    )


def test_an_answers_passages_keep_the_embedders_first_choice() -> None:
    # A German question over an English policy: BM25 finds five other passages, the
    # embedder ranks "policy" first; fused, it falls out of the top 5.
    keyword = [_match(f"k{i}", i, 10.0 - i) for i in range(1, 8)]
    semantic = [_match("policy", 1, 0.86), *[_match(f"k{i}", i + 1, 0.8) for i in range(6, 8)]]
    fused = fuse(keyword, semantic, k=60, keyword_weight=0.7)
    top = fused[:5]
    assert "policy" not in [h.chunk.id for h in top]
    kept = keep_first_semantic(top, semantic, fused=fused)
    assert [h.chunk.id for h in kept][:4] == [h.chunk.id for h in top][:4]
    assert kept[-1].chunk.id == "policy" and kept[-1].semantic_score == 0.86
    # already among them: unchanged
    assert keep_first_semantic(fused[:5], keyword[:1], fused=fused) == fused[:5]


def _text_match(chunk_id: str, text: str, rank: int) -> ChunkMatch:
    return ChunkMatch(Chunk(id=chunk_id, document_id="d", ordinal=0, text=text), "t", rank, 1.0)


ENGLISH = "The passes are sold at the desk and the price is on the board for all of the staff."
GERMAN = "Vollzeitbeschäftigte haben 30 Urlaubstage im Jahr, und der Resturlaub verfällt nicht."


def test_the_embedders_first_passages_in_another_language_are_kept() -> None:
    # An English question over a German FAQ: BM25 ranks English passages that share its
    # words; the embedder ranks the German answer second. It takes the place of the last
    # English passage; the embedder's first passage stays.
    keyword = [_text_match(f"en{i}", ENGLISH, i) for i in range(1, 8)]
    semantic = [
        _text_match("en7", ENGLISH, 1),
        _text_match("de", GERMAN, 2),
        _text_match("en6", ENGLISH, 3),
    ]
    fused = fuse(keyword, semantic, k=20, keyword_weight=0.6)
    top = fused[:5]
    assert [h.chunk.id for h in top] == ["en7", "en6", "en1", "en2", "en3"]
    kept = keep_foreign_semantic(
        top, semantic, "How many days of holiday do full-time staff get?", fused=fused
    )
    ids = [h.chunk.id for h in kept]
    assert ids == ["en7", "en6", "en1", "en2", "de"]
    # A question in the passages' language: nothing in another language to keep.
    assert (
        keep_foreign_semantic(
            top, semantic, "Wie viele Urlaubstage gibt es für die Mitarbeiter?", fused=fused
        )
        == top
    )


def test_a_foreign_passage_displaces_no_passage_in_another_language_than_the_question() -> None:
    # Every hit in German already for an English question: keyword search pushed nothing
    # of the question's language in, and nothing is replaced.
    keyword = [_text_match(f"de{i}", GERMAN, i) for i in range(1, 8)]
    semantic = [_text_match("de1", GERMAN, 1), _text_match("dex", GERMAN, 2)]
    fused = fuse(keyword, semantic, k=20, keyword_weight=0.6)
    top = fused[:5]
    assert "dex" not in [h.chunk.id for h in top]
    assert (
        keep_foreign_semantic(top, semantic, "How many days of holiday do staff get?", fused=fused)
        == top
    )


def test_the_best_passage_of_each_document() -> None:
    def match(doc: str, rank: int, score: float) -> ChunkMatch:
        chunk = Chunk(id=f"{doc}{rank}", document_id=doc, ordinal=rank, text=doc)
        return ChunkMatch(chunk, "t", rank, score)

    ranked = [match("a", 1, 0.88), match("a", 2, 0.86), match("b", 3, 0.83), match("c", 4, 0.8)]
    assert best_per_document(ranked) == (("a", 0.88, "a"), ("b", 0.83, "b"), ("c", 0.8, "c"))
    assert best_per_document(ranked, limit=1) == (("a", 0.88, "a"),)
    assert best_per_document([]) == ()
