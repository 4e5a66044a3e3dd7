"""Text analysis for BM25 in the embedded engine: the same on documents and queries.

Lower-cased Unicode words, English stop words removed, Snowball (Porter2) English stems,
as Elasticsearch's `english` analyzer does. Han, Hiragana and Katakana runs, which have no
spaces between words, are indexed as overlapping character bigrams.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
#: Lucene's English stop set plus a few question words that carry no topic.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "why",
        "when",
        "where",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "its",
        "them",
        "from",
        "has",
        "have",
        "had",
        "been",
        "being",
        "were",
        "than",
        "so",
        "very",
        "also",
    ]
)
_MAX_TOKEN = 64


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _raw_tokens(text: str) -> Iterator[str]:
    for match in _WORD.finditer(text.lower()):
        word = match.group()
        if len(word) > _MAX_TOKEN:
            continue
        cjk = _CJK.search(word)
        if cjk is None:
            yield word
            continue
        # Mixed scripts: split into CJK runs (as bigrams) and the rest.
        for part in re.split(f"({_CJK.pattern})", word):
            if not part:
                continue
            if _CJK.fullmatch(part):
                yield from (part[i : i + 2] for i in range(max(1, len(part) - 1)))
            else:
                yield part


def analyze(text: str) -> list[str]:
    """Index terms of `text`, in order, repeats kept (term frequency matters to BM25)."""
    words = [w for w in _raw_tokens(text) if w not in STOP_WORDS]
    return _stemmer().stemWords(words)


def query_terms(text: str) -> list[str]:
    """Distinct terms of a query, in order of appearance."""
    return list(dict.fromkeys(analyze(text)))


def highlight(
    text: str, terms: set[str], *, fragment_chars: int = 160, limit: int = 3
) -> list[str]:
    """Fragments of `text` around words whose stem is in `terms`, wrapped in <em>...</em>."""
    if not terms:
        return []
    stem = _stemmer().stemWord
    spans = [
        m.span()
        for m in _WORD.finditer(text)
        if (w := m.group().lower()) not in STOP_WORDS and stem(w) in terms
    ]
    fragments: list[str] = []
    i = 0
    while i < len(spans) and len(fragments) < limit:
        start = max(0, spans[i][0] - fragment_chars // 3)
        end = min(len(text), start + fragment_chars)
        start = _word_start(text, start)
        parts: list[str] = []
        cursor = start
        while i < len(spans) and spans[i][1] <= end:
            s, e = spans[i]
            parts.append(text[cursor:s] + "<em>" + text[s:e] + "</em>")
            cursor = e
            i += 1
        if not parts:  # a matched word straddles the fragment end
            i += 1
            continue
        parts.append(text[cursor:end])
        fragment = " ".join("".join(parts).split())
        fragments.append(("…" if start > 0 else "") + fragment + ("…" if end < len(text) else ""))
    return fragments


def _word_start(text: str, index: int) -> int:
    while 0 < index < len(text) and text[index - 1].isalnum():
        index -= 1
    return index
