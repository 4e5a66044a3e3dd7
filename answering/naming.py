"""The document a question names: by its names and codes (capitalised: "Panther",
"CM-40": `entity_focus`), or by a common noun ("the lift contract", "the hand vacuum",
"the mower": `named_focus`), matched by the documents' titles, which say what each
document is about. extractive.py takes points off a source that names less of it.

When a word of the question is in the title or file name of one retrieved document, an
answer from a document that names it nowhere (not in its title, file name, sections or
retrieved text) needs stronger evidence: "What does the lift maintenance cost a
quarter?" is answered by the lift contract, not by the grounds maintenance agreement's
monthly charge, which shares "maintenance" and "cost" but never says "lift".

Words naming a kind of document ("contract", "manual", "policy", "Vertrag", "contrat")
are left out: every contract's title holds "contract", and that tells none apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from docent.answering import grounding, shapes, wording
from docent.roles import Source
from docent.search import analysis

#: Kinds of document (en, de, fr, es): in many titles, they name none of them.
_KINDS = frozenset(
    analysis.query_terms(
        "contract contracts agreement agreements policy policies manual manuals guide handbook "
        "list price prices sheet spec specification brochure catalogue newsletter notice "
        "minutes report programme faq terms conditions document service services "
        "vertrag verträge vereinbarung richtlinie anleitung bedienungsanleitung handbuch "
        "preisliste datenblatt protokoll "
        "contrat règlement guide notice catalogue compte rendu "
        "contrato política manual guía tarifas"
    )
)
_SEPARATORS = re.compile(r"[-_.]+")


def _title_terms(title: str) -> set[str]:
    """The terms of a document's title or file name, its separators as spaces
    ("ostara-lift-maintenance-contract.pdf": "ostara", "lift", ...)."""
    return set(analysis.analyze(_SEPARATORS.sub(" ", title)))


def named_focus(question: str, sources: Sequence[Source]) -> dict[int, float]:
    """Per source number, the share of the question's title words (its content words,
    not those asking for the answer's form nor `_KINDS`, held by the title or file name of
    a retrieved document) that the source's document names nowhere in what was retrieved
    (title, sections, texts), counting only words some document does not name; empty
    when there are none, or the sources are of one document."""
    documents: dict[str, list[str]] = {}
    titles: dict[str, set[str]] = {}
    for source in sources:
        chunk = source.hit.chunk
        documents.setdefault(chunk.document_id, []).extend(
            (source.hit.document_title, chunk.section or "", chunk.text)
        )
        titles.setdefault(chunk.document_id, set()).update(_title_terms(source.hit.document_title))
    if len(documents) < 2:
        return {}
    asking = set(analysis.query_terms(shapes.asking(question)))
    terms = wording.content_terms(question) - asking - _KINDS
    named = {t for t in terms if any(t in held for held in titles.values())}
    if not named:
        return {}
    said = {
        document: set(analysis.analyze(" ".join(parts))) | titles[document]
        for document, parts in documents.items()
    }
    # A word every document names tells none apart ("maintenance" in both contracts).
    named = {t for t in named if not all(t in held for held in said.values())}
    if not named:
        return {}
    return {
        source.index: len(named - said[source.hit.chunk.document_id]) / len(named)
        for source in sources
    }


def entity_focus(question: str, sources: Sequence[Source]) -> dict[int, float]:
    """Per source number, the share of the question's names and codes it lacks compared
    with the source that has most of them (0 for that one, and for all when the question
    names nothing).

    A name (no digit: "Halden", "Panther") is looked for in the source's whole document as
    retrieved (its title and the sections and texts of its passages): the Halden policy's
    annual-leave passage does not say "Halden Logistics", its scope passage does. A code
    with a digit ("3.4.0", "Q2", "LU-04") is looked for in the source's own title, section
    and text: it tells a document's sections apart (a changelog's versions).
    """
    names = [n.casefold() for n in grounding.names_and_codes(question)]
    if not names:
        return {}
    documents: dict[str, list[str]] = {}
    for source in sources:
        chunk = source.hit.chunk
        documents.setdefault(chunk.document_id, [source.hit.document_title]).extend(
            (chunk.section or "", chunk.text)
        )
    whole = {document: " ".join(parts).casefold() for document, parts in documents.items()}
    shares = {}
    for source in sources:
        chunk = source.hit.chunk
        own = " ".join((source.hit.document_title, chunk.section or "", chunk.text)).casefold()
        shares[source.index] = sum(
            _has(own if any(c.isdigit() for c in n) else whole[chunk.document_id], n) for n in names
        ) / len(names)
    top = max(shares.values())
    return {index: top - share for index, share in shares.items()}


def _has(folded_text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded_text) is not None
