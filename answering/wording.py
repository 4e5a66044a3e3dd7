"""The question's words in a quotable unit (see extractive.py): which of them are content
words, which name what a document is about (its subject: names, title and top heading),
whether a unit holds only those, and how far a table row's first cell names what is
asked. Terms are search/analysis.py's, so stemmed per language and CJK as bigrams."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from docent.answering import compounds, grounding, passages, shapes, synonyms
from docent.roles import Source
from docent.search import analysis


class Unit(Protocol):
    """A quotable unit of a source (extractive.py's candidate)."""

    @property
    def text(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def source(self) -> int: ...


class HeadedUnit(Unit, Protocol):
    """A unit with the heading it comes under ("" for none)."""

    @property
    def heading(self) -> str: ...


#: The terms of the heading a unit comes under count this much of the unit's own
#: (`lexical_scores`).
HEADING_WEIGHT = 0.5


def names_only(question: str, candidates: Sequence[Unit], sources: Sequence[Source]) -> np.ndarray:
    """Per candidate other than a table row, 1.0 when it holds only what the question is
    about and none of what it asks, else 0.0: one of the question's names (words of letters
    only: not codes such as "CM-40" or "Gas-Brennwertkessel"), or a term of its source's
    document title or top heading (the letterhead, the greeting "感谢您选购清风 KJ-300
    空气净化器。" under "清风 KJ-300 空气净化器 使用说明书"), and none of the question's other
    terms. All 0 for a question of names only ("Who is Niamh Doyle?")."""
    terms = content_terms(question)
    written = [n for n in names_in(question) if n.isalpha()]
    names = set(analysis.query_terms(" ".join(written))) & terms
    about = subject_terms(question, sources)
    flags = np.zeros(len(candidates), dtype=np.float32)
    unit_terms = [set(analysis.analyze(c.text)) for c in candidates]
    for i, c in enumerate(candidates):
        subject = about.get(c.source, names)
        others = terms - subject
        if c.kind == "row" or not subject or not others:
            # A table row naming the entity asked about is its record ("Excel avanzado |
            # Raúl Ortega" for "Who teaches the advanced Excel course?").
            continue
        held = unit_terms[i]
        flags[i] = float(bool(held & subject) and not held & others)
    return flags


def subject_terms(question: str, sources: Sequence[Source]) -> dict[int, set[str]]:
    """Per source number, the question's terms that name what the source's document is
    about: the question's names (words of letters only: not codes such as "CM-40") and
    the terms of the document's title and top heading ("清风 KJ-300 空气净化器 使用说明书")."""
    terms = content_terms(question)
    written = [n for n in names_in(question) if n.isalpha()]
    names = set(analysis.query_terms(" ".join(written))) & terms
    return {
        s.index: names
        | (
            set(
                analysis.analyze(
                    f"{s.hit.document_title} {(s.hit.chunk.section or '').split(' > ')[0]}"
                )
            )
            & terms
        )
        for s in sources
    }


def _label_share(row: str, terms: set[str], needed: set[str]) -> float:
    """The share of `needed` that the first cell of `row` ("Item: Water tank; Value: 1.8
    litres") holds, when that cell is made of `terms` (the question's content words), else
    0: how far the row is about what is asked ("Cuota mensual" is half of "the monthly fee
    *for students*"). 1 when nothing is needed."""
    first = row.split("; ", 1)[0]
    label = set(analysis.analyze(first.split(": ", 1)[1] if ": " in first else first))
    if not label or not label <= terms:
        return 0.0
    return len(needed & label) / len(needed) if needed else 1.0


def names_in(question: str) -> list[str]:
    """The question's names and codes (grounding.names_and_codes) but the calendar's: a
    capitalised "Thursdays" or "March" is when, not what the documents are about."""
    return [n for n in grounding.names_and_codes(question) if not shapes.is_calendar(n)]


def content_terms(question: str) -> set[str]:
    """The question's terms (analysis.query_terms) without those of an interrogative that
    names a measure ("heavy" of "how heavy": the answer says "26,000 kg"); all its terms
    when that would leave none."""
    terms = set(analysis.query_terms(question))
    return terms - set(analysis.query_terms(shapes.interrogative(question))) or terms


def label_shares(
    question: str,
    units: Sequence[Unit],
    fits: np.ndarray,
    shape: shapes.Asked | None,
    sources: Sequence[Source],
) -> np.ndarray:
    """Per unit, for a table row with the shape asked for (`fits`: shapes.fit; with the
    quantity's unit where one is asked), the share of the question's words (but its
    subject's and its measure's: "hold" of "How much water does the tank hold?") that
    its first cell holds, when that cell is made of the question's words; else 0."""
    content = content_terms(question)
    needed = {
        t
        for t in content - set(analysis.query_terms(shapes.asking(question)))
        # the "s" of "K2's" is no word
        if len(t) > 1 or not t.isascii()
    }
    about = subject_terms(question, sources)
    full = 1.0 if shape is not None and shape.dimension is not None else 0.5
    return np.array(
        [
            _label_share(u.text, content, needed - about.get(u.source, set()))
            if u.kind == "row" and fits[i] >= full
            else 0.0
            for i, u in enumerate(units)
        ],
        dtype=np.float32,
    )


def lexical_scores(
    question: str, candidates: Sequence[HeadedUnit], sources: Sequence[Source]
) -> np.ndarray:
    """Per candidate, the share of the question's terms it holds (its heading's counting
    `HEADING_WEIGHT`), each term weighted by its inverse document frequency among the
    candidates, in [0, 1].

    Three choices, all for the words that name what a document is about: the terms of the
    candidate's document title are left out, and so are the question's names found in two
    candidates or more (every sentence of the Copperline safety rules is about Copperline;
    its title line is not the answer for holding the name); and a term in many candidates
    weighs less than one in few ("contractors" against "leave").
    """
    terms = content_terms(question)
    unit_terms = [set(analysis.analyze(c.text)) for c in candidates]
    heading_terms = [set(analysis.analyze(c.heading)) if c.heading else set() for c in candidates]
    n = len(candidates)
    # Counted over distinct texts: overlapping chunks repeat a row or a sentence, and a
    # name held by one row twice is still the row's own ("Jonas Lindqvist").
    distinct = list(
        {c.text: terms_ for c, terms_ in zip(candidates, unit_terms, strict=True)}.values()
    )
    # A term no candidate holds is held where an everyday synonym of it is ("ring" where
    # the sentence says "telephone": `synonyms`); one that some candidate holds is not
    # widened ("paid" leave is not "pays" salary where the leave sentence says "paid").
    said = {
        t: frozenset((t,)) if any(t in u for u in distinct) else synonyms.widen((t,)) for t in terms
    }
    df = {t: sum(bool(said[t] & u) for u in distinct) for t in terms}
    idf = {t: float(np.log(1.0 + n / (1 + df[t]))) for t in terms}
    # A name in several candidates names what the documents are about ("Halden Logistics",
    # "Copperline"), not the answer; one in a single candidate may be it (a directory row).
    names = set(analysis.query_terms(" ".join(names_in(question)))) & terms
    subject = {t for t in names if df[t] >= 2 and not any(c.isdigit() for c in t)}
    # A code the title holds, separators aside ("CM-40" in "brevena-cm40-manual.pdf"),
    # names the document as its words do.
    codes = [n for n in grounding.names_and_codes(question) if any(c.isdigit() for c in n)]
    titles = {
        s.index: (
            set(analysis.analyze(s.hit.document_title))
            # the document's top heading names it as its title does ("Aldmark TIGON 4x4")
            | set(analysis.analyze((s.hit.chunk.section or "").split(" > ")[0]))
            | {
                t
                for code in codes
                if grounding.code_in_name(code, s.hit.document_title)
                for t in analysis.query_terms(code)
            }
        )
        & terms
        for s in sources
    }
    # A German question's word is held in a compound ("dauert" in "Ladedauer": compounds).
    forms = compounds.surfaces(question, terms) if passages.language(question) == "de" else {}
    scores = np.zeros(n, dtype=np.float32)
    for i, c in enumerate(candidates):
        asked = terms - titles.get(c.source, set()) - subject or terms
        total = sum(idf[t] for t in asked)
        if not total:
            continue
        held = {t for t in asked if said[t] & unit_terms[i]}
        joined: set[str] = set()
        if forms:
            parts = compounds.words(c.text)
            joined = compounds.held_each({t: forms[t] for t in asked - held if t in forms}, parts)
        headed = {t for t in asked if said[t] & heading_terms[i]} - held - joined
        own = sum(idf[t] for t in held) / total
        heading = sum(idf[t] for t in headed) / total
        # A word held in a compound is held less surely than the word itself: it counts
        # as a heading's word does.
        compound = sum(idf[t] for t in joined) / total
        scores[i] = min(1.0, own + HEADING_WEIGHT * (heading + compound))
    return scores
