"""The not-found gate: is any retrieved passage evidence for an answer?

Retrieval always returns passages; the question is whether one of them is about what was
asked. Each passage (`Hit`) is judged on three signals, and one is enough:

- **reranker relevance**, only when the reranker that scored it is calibrated (it declares
  a `relevance_floor`, e.g. Cohere's relevance scores; the local reranker is cosine
  similarity and declares none);
- **keyword evidence**: the passage holds most of the question's terms, its names and
  codes ("Marta Kowalczyk", "WH-147") weighing more than common words;
- **similarity** with the question, at or above the floor measured for the embedder that
  made the vectors (`similarity_floor` on the embedder, or DOCENT_MIN_RELEVANCE when set),
  and only when the passage is written in the question's script: a cosine between a
  Chinese question and an Arabic passage says nothing about the answer.

When a calibrated reranker scored the passages, it decides, except for a passage with the
question's terms and one of its codes exactly: a model trained to judge relevance outranks
word counts and cosines, but not an exact part number.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from docent.domain import Hit
from docent.search import analysis

#: Keyword evidence: this share of the question's terms, weighted, found in one passage
#: (2 of 3 plain terms, or a name of two words and one more term of four), and at least two
#: terms. Names and codes weigh `NAME_WEIGHT` plain terms: they are rare, and what the
#: question is about. Measured on the dev set (eval/devset) with `docent eval`: none of its
#: off-topic questions reaches it, while plain questions whose words the passage repeats do.
KEYWORD_SHARE = 0.66
NAME_WEIGHT = 2.0
#: How much of a passage is looked at to tell its script.
_SCRIPT_SAMPLE = 2000

# A code: letters and digits joined, or with a hyphen, slash or dot ("WH-147", "KJ-300",
# "3.4.0", "A4", "G.12"); a name: a capitalised word that does not start the question.
_TOKEN = re.compile(r"\w+(?:[-/.]\w+)*")


class Signal(enum.StrEnum):
    RERANKER = "reranker"
    KEYWORDS = "keywords"
    SIMILARITY = "similarity"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Which passage grounds the answer and by what signal; `hit` is None when none does."""

    hit: Hit | None
    signal: Signal | None

    @property
    def found(self) -> bool:
        return self.hit is not None


NONE = Evidence(None, None)


def find_evidence(
    question: str,
    hits: Sequence[Hit],
    *,
    similarity_floor: float | None,
    rerank_floor: float | None,
) -> Evidence:
    """The first of `hits` (in rank order) that is evidence for `question`, and why.

    `similarity_floor`: cosine similarity (question, passage) from which a passage is
    evidence, for the embedder that made the vectors; None when nobody measured it (then
    similarity is never evidence). `rerank_floor`: the relevance score from which the
    reranker that scored `hits` calls a passage relevant; None when the hits were not
    reranked or the reranker's scores are not calibrated.
    """
    if not hits:
        return NONE
    clues = Clues.of(question)
    for hit in hits:
        keywords = clues.keyword_evidence(hit.chunk.text)
        if rerank_floor is not None and hit.rerank_score is not None:
            if hit.rerank_score >= rerank_floor:
                return Evidence(hit, Signal.RERANKER)
            if keywords and clues.code_in(hit.chunk.text):
                return Evidence(hit, Signal.KEYWORDS)
            continue
        if keywords:
            return Evidence(hit, Signal.KEYWORDS)
        if (
            similarity_floor is not None
            and hit.semantic_score is not None
            and hit.semantic_score >= similarity_floor
            and script(hit.chunk.text) == clues.script
        ):
            return Evidence(hit, Signal.SIMILARITY)
    return NONE


@dataclass(frozen=True, slots=True)
class Clues:
    """What of a question a passage must contain to be keyword evidence."""

    #: The question's analysed terms (stemmed, no stop words), each with its weight.
    weights: dict[str, float]
    #: Codes ("WH-147", "KJ-300"), case-folded: found as a whole word in a passage, they
    #: name what it is about.
    codes: tuple[str, ...]
    script: str | None

    @classmethod
    def of(cls, question: str) -> Clues:
        named = names_and_codes(question)
        heavy = set(analysis.query_terms(" ".join(named)))
        weights = {
            t: NAME_WEIGHT if t in heavy else 1.0
            for t in analysis.query_terms(question)
            if len(t) > 1 or not t.isascii()
        }
        codes = tuple(dict.fromkeys(n.casefold() for n in named if _is_code(n)))
        return cls(weights, codes, script(question))

    def keyword_evidence(self, text: str) -> bool:
        """Whether `text` holds enough of the question's terms to be about it."""
        # NFKC: a PDF's ligatures ("ﬃ") and full-width forms read as the letters they are.
        found = set(analysis.analyze(unicodedata.normalize("NFKC", text))) & self.weights.keys()
        if len(found) < 2:
            return False
        total = sum(self.weights.values())
        return sum(self.weights[t] for t in found) >= KEYWORD_SHARE * total

    def code_in(self, text: str) -> bool:
        """Whether one of the question's codes is in `text`, exactly, as a whole word."""
        folded = unicodedata.normalize("NFKC", text).casefold()
        return any(_has_word(folded, code) for code in self.codes)


def _is_code(token: str) -> bool:
    return any(c.isdigit() for c in token) or sum(c.isupper() for c in token) >= 2


def names_and_codes(question: str) -> list[str]:
    """Words of `question` that are names or codes, as written: a token with a digit, an
    acronym or a word with a capital inside ("WH-147", "LAB-0233", "HomeKit"), or a
    capitalised word after the first ("Marta", "Kowalczyk"). A possessive 's is dropped."""
    found: list[str] = []
    for i, match in enumerate(_TOKEN.finditer(question)):
        token = match.group()
        token = token[:-2] if token.endswith(("'s", "’s")) else token
        name = i > 0 and token[:1].isupper() and token[1:].islower() and token.isalpha()
        if name or _is_code(token):
            found.append(token)
    return found


def _has_word(folded_text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded_text) is not None


def script(text: str) -> str | None:
    """The writing system most of `text`'s letters belong to, by their Unicode names:
    "LATIN", "CJK" (Han, kana and Hangul together), "ARABIC", "CYRILLIC", ...; None when
    it has no letters."""
    counts: dict[str, int] = {}
    for ch in text[:_SCRIPT_SAMPLE]:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        first = name.split(" ", 1)[0]
        if first in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL") or name.startswith("IDEOGRAPHIC"):
            first = "CJK"
        counts[first] = counts.get(first, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else None
