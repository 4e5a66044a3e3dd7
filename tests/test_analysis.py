"""Text analysis for BM25 (search/analysis.py): index terms, query terms and highlights."""

import pytest

from docent.search.analysis import analyze, highlight, query_terms


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        pytest.param(
            "The refunds are processed within ten days",
            ["refund", "process", "within", "ten", "day"],
            id="stop-words-out-stems-in",
        ),
        pytest.param("What is the policy? How do I apply?", ["polici", "appli"], id="question"),
        pytest.param("refund Refunds REFUNDING", ["refund"] * 3, id="case-folded-repeats-kept"),
        pytest.param("COVID-19 in 2024", ["covid", "19", "2024"], id="digits-and-hyphen"),
        pytest.param("snake_case", ["snake_cas"], id="underscore-joins"),
        pytest.param("Über café NAÏVE Straße", ["über", "café", "naïv", "straße"], id="unicode"),
        pytest.param("東京都", ["東京", "京都"], id="han-bigrams"),
        pytest.param("ひらがな", ["ひら", "らが", "がな"], id="hiragana-bigrams"),
        pytest.param("日", ["日"], id="single-han"),
        pytest.param("abc東京def", ["abc", "東京", "def"], id="mixed-scripts"),
        pytest.param("한국어", ["한국어"], id="hangul-is-a-word"),
        pytest.param("x" * 64 + " " + "y" * 65, ["x" * 64], id="over-64-chars-dropped"),
        pytest.param("the and of to", [], id="only-stop-words"),
        pytest.param("", [], id="empty"),
    ],
)
def test_analyze(text: str, terms: list[str]) -> None:
    assert analyze(text) == terms


@pytest.mark.parametrize(
    "word",
    ["a", "the", "not", "no", "what", "which", "how", "should", "i", "your", "also", "very"],
)
def test_stop_words_are_not_terms(word: str) -> None:
    # Lucene's English stop set, and question words that carry no topic.
    assert analyze(word) == []
    assert analyze(word.upper() + " refund") == ["refund"]


def test_query_terms_are_distinct_in_order_of_appearance() -> None:
    assert query_terms("Refunds, refund and REFUNDING policy; refund policies") == [
        "refund",
        "polici",
    ]
    assert query_terms("Which is it?") == []


#: 100 filler words, then the match, then 100 more: a fragment is cut on both sides.
_LONG = "word " * 100 + "refund" + " word" * 100


@pytest.mark.parametrize(
    ("text", "query", "fragments"),
    [
        pytest.param(
            "Refunds take ten days.", "refund", ["<em>Refunds</em> take ten days."], id="stem"
        ),
        pytest.param(
            "Refunded items are paid back; refunds are final.",
            "refunding",
            ["<em>Refunded</em> items are paid back; <em>refunds</em> are final."],
            id="every-match-in-the-fragment",
        ),
        pytest.param(
            "Our refund\n\n   policy is simple.",
            "refund policy",
            ["Our <em>refund</em> <em>policy</em> is simple."],
            id="white-space-folded",
        ),
        pytest.param("Shipping is free.", "refund", [], id="no-match"),
        pytest.param(
            _LONG,
            "refund",
            ["…" + "word " * 11 + "<em>refund</em>" + " word" * 20 + "…"],
            id="cut-at-word-starts-with-ellipses",
        ),
    ],
)
def test_highlight(text: str, query: str, fragments: list[str]) -> None:
    assert highlight(text, set(query_terms(query))) == fragments


def test_highlight_without_terms_is_empty() -> None:
    assert highlight("Refunds take ten days.", set()) == []


def test_stop_words_are_never_highlighted() -> None:
    # Even when the terms name one: they are never index terms, so never what matched.
    assert highlight("The end of the story.", {"the", "end"}) == ["The <em>end</em> of the story."]


def test_highlight_fragments_are_limited() -> None:
    # Matches about 300 characters apart: a fragment each, at most `limit` of them.
    text = " ".join(["refund" + " filler" * 43] * 5)
    three = highlight(text, {"refund"})
    assert len(three) == 3
    assert all(f.count("<em>refund</em>") == 1 for f in three)
    assert three[0].startswith("<em>refund</em> filler") and three[0].endswith("…")
    assert three[1].startswith("…filler") and three[1].endswith("…")
    assert len(highlight(text, {"refund"}, limit=2)) == 2
    [short] = highlight(text, {"refund"}, fragment_chars=30, limit=1)
    assert short.startswith("<em>refund</em> filler filler")
    assert len(short.replace("<em>", "").replace("</em>", "").rstrip("…")) == 30
