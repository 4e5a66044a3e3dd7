"""A document saying that the question's subject is not its own, but covered elsewhere:
"Contractors are not covered by this policy. Their leave arrangements are set out in
their individual service agreements." Saying so is the answer (with the sentence after
it: extractive.py), not the neighbouring rule for employees."""

from __future__ import annotations

import re
from collections.abc import Sequence

from docent.answering import grounding, wording
from docent.answering.wording import content_terms
from docent.roles import Source
from docent.search import analysis

#: How a document says that a subject is not its own, but covered elsewhere (en, de, fr,
#: es): "Contractors are not covered by this policy. Their leave arrangements are set
#: out in their individual service agreements."
_ELSEWHERE = re.compile(
    r"\b(?:not covered by|(?:does|do) not apply to|(?:is|are) excluded from|set out in|"
    r"covered by (?:a |their )?(?:separate|own|individual)|gilt nicht für|gelten nicht für|"
    r"ne s['’]appliquent? pas|no se aplica)",
    re.IGNORECASE,
)
#: A term of the question held by at most this many candidates is the subject of a
#: sentence sending it elsewhere; one held by more is what the document is about.
_ELSEWHERE_DF = 2


def sent_elsewhere(
    question: str, candidates: Sequence[wording.Unit], best: int, sources: Sequence[Source]
) -> int | None:
    """The candidate, from the best one's document, that sends a term of the question
    the best one lacks elsewhere ("Contractors are not covered by this policy." for "How
    many days of annual leave do contractors get?", whose best unit is the employees'
    rule); None when there is none. The term is one of the question's words held by at
    most `_ELSEWHERE_DF` candidates, not a name and not in the document's title."""
    documents = {s.index: s.hit.chunk.document_id for s in sources}
    titles = {s.index: set(analysis.analyze(s.hit.document_title)) for s in sources}
    document = documents.get(candidates[best].source)
    names = set(analysis.query_terms(" ".join(grounding.names_and_codes(question))))
    terms = content_terms(question) - names
    terms -= titles.get(candidates[best].source, set())
    held = [set(analysis.analyze(c.text)) for c in candidates]
    # The subject sent elsewhere is a rare word ("contractors"), not one the whole
    # document is about ("leave").
    lacking = {t for t in terms - held[best] if sum(t in h for h in held) <= _ELSEWHERE_DF}
    if not lacking:
        return None
    for i, c in enumerate(candidates):
        if (
            i != best
            and documents.get(c.source) == document
            and _ELSEWHERE.search(c.text)
            and lacking & held[i]
        ):
            return i
    return None
