"""The question's words in a quotable unit (see extractive.py): which of them are content
words, which name what a document is about (its subject: names, title and top heading),
whether a unit holds only those, and how far a table row's first cell names what is
asked. Terms are search/analysis.py's, so stemmed per language and CJK as bigrams."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from docent.answering import grounding, shapes
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
