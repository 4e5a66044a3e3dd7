"""A question that states its premise first, and the sentence after the one restating it.

People often say what they know before asking: "The NX-6 has been discontinued - what
should I buy instead?", "I'm on the Basic plan, which is being withdrawn - what happens
to my plan?", "Ya no hacen alisado con keratina, ¿qué recomiendan?". The sentence of the
document most like such a question is the one that says the premise again ("The NX-6 has
been discontinued since March 2026."), and it answers nothing: the question already
knows it. What was asked is in the sentence after it ("Its successor is the NX-8, ...";
"En su lugar recomendamos ..."), in the same numbered clause, list item or paragraph.

`premise` splits the question at the boundary before its interrogative clause (a dash,
or a comma, semicolon, colon or full stop before an interrogative word or a modal verb,
in en, de, fr, es). `follow_on` finds, within the best unit's document, a unit whose first
sentence restates the premise (holds at least `RESTATED` of its content words, at least
two, the words of the document's title aside) and whose following sentence is there to
quote; the answer is that following sentence (the rest of the clause or list item, or
the next sentence of the passage), without the premise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from docent.answering import passages, wording
from docent.answering.clues import names_and_codes
from docent.search import analysis

#: Share of the premise's content words a sentence must hold to restate it. Half: the
#: premise says it in the asker's words ("is being withdrawn" for "is no longer
#: available", "shut for works" for "closes for resurfacing"), the names and the thing
#: stay.
RESTATED = 1 / 2
#: A unit restating the premise is taken when it scores at most this much below the best
#: unit (extractive.py's scores: cosine plus bonuses, ~0.7-1.2 with e5): "what happens to
#: my plan?" is close to a cancellation clause too.
PREMISE_REACH = 0.1

#: The start of the interrogative clause (en, de, fr, es), after the premise's boundary.
_ASK = (
    r"(?:what|which|who|whom|whose|where|when|why|how|can|could|should|shall|do|does|did"
    r"|is|are|will|would|may|must|any"
    r"|was|welche[rsnm]?|wer|wen|wem|wo|wohin|woher|wann|warum|wie|kann|können|soll|sollte"
    r"|muss|gibt|bekomme|habe"
    r"|que|qu'|quoi|quel|quelle|quels|quelles|qui|où|quand|comment|pourquoi|est-ce|puis-je|dois-je"
    r"|qué|que|cuál|cuáles|quién|dónde|cuándo|cómo|por qué|puedo|debo|hay|tienen)\b"
)
#: The premise's end: a dash, or a comma, semicolon, colon or full stop before the
#: interrogative clause ("¿" and "¡" may open it).
_BOUNDARY = re.compile(
    rf"\s+[-–—]+\s+|[,;:.]\s+[¿¡]?(?={_ASK})|(?<=[^\W\d])\.\s+(?=[A-ZÀ-Þ¿])",
    re.IGNORECASE,
)


#: Words saying that something ended or is no longer offered (en, de, fr, es).
_ENDED = re.compile(
    r"\b(?:discontinu\w*|withdrawn|being withdrawn|no longer|not (?:available|offered|sold) any ?more"
    r"|dropped|stopped|ceased|clos(?:ed|es|ing|ure)|shut|replaced|sold out|out of stock|retired"
    r"|eingestellt|nicht mehr|ausverkauft|ersetzt|geschlossen|entfällt"
    r"|n'est plus|ne sont plus|plus (?:disponible|proposée?s?|vendue?s?)|arrêtée?s?|supprimée?s?"
    r"|remplacée?s?|fermée?s?"
    r"|ya no|descatalogad[oa]s?|cerrad[oa]s?|sustituid[oa]s?|suprimid[oa]s?|agotad[oa]s?)\b",
    re.IGNORECASE,
)
#: A premise is a clause: at least this many words.
_PREMISE_WORDS = 3
#: What opens a question or a phrase, not a statement.
_NOT_PREMISE = re.compile(
    rf"{_ASK}|(?:for|in|on|at|with|about|regarding|as for|für|bei|im|zum|zur|pour|dans|quant"
    r"|para|en|sobre|con)\b",
    re.IGNORECASE,
)


def premise(question: str) -> str | None:
    """The premise `question` states before asking ("The NX-6 has been discontinued" of
    "The NX-6 has been discontinued - what should I buy instead?"), or None when it asks
    at once. The last boundary before the interrogative clause counts: "I'm on Guardian
    Basic, which is being withdrawn - what ...?" keeps its relative clause."""
    found = list(_BOUNDARY.finditer(question))
    if not found:
        return None
    head = question[: found[-1].start()].strip(" ¿¡")
    # A question first ("How long is the warranty, and what does it cover?") or a phrase
    # naming what is asked about ("For the 8-bay model, what ...?") states no premise.
    if len(head.split()) < _PREMISE_WORDS or _NOT_PREMISE.match(head):
        return None
    return head


def asked_part(question: str) -> str:
    """What `question` asks after its premise (`premise`): "what will a new one cost me?"
    of "I've lost my fob - what will a new one cost me?"; the whole question when it
    states none."""
    found = list(_BOUNDARY.finditer(question))
    if not found or premise(question) is None:
        return question
    return question[found[-1].end() :].strip()


def premise_terms(question: str) -> set[str]:
    """The content words (wording.content_terms) of the premise, of two letters or more;
    empty when the question states none."""
    said = premise(question)
    if said is None:
        return set()
    return {t for t in wording.content_terms(said) if len(t) >= 2}


def restates(terms: set[str], text: str, said: str = "") -> bool:
    """Whether `text` says the premise of content words `terms` (document title words
    already taken out) again: it holds at least two of them and `RESTATED` of them, and
    what the premise `said` says of them: where it says that something ended (`_ENDED`:
    "discontinued", "is being withdrawn", "ausverkauft", "ya no"), words saying so too
    ("is no longer available"; "The Breva 3 blender has a 1.5 litre jug." names the
    blender of "The Breva 2 blender is discontinued" and restates nothing), else one of
    its words other than its names (wording.names_in)."""
    if len(terms) < 2:
        return False
    held = terms & set(analysis.analyze(text))
    if len(held) < max(2, math.ceil(RESTATED * len(terms))):
        return False
    if _ENDED.search(said):
        return bool(_ENDED.search(text))
    names = set(analysis.query_terms(" ".join(wording.names_in(said)))) if said else set()
    return bool(held - names)


@dataclass(frozen=True, slots=True)
class FollowOn:
    """The answer after a restated premise: `text` to quote, from candidate `index`
    (the unit restating the premise, or the one after it)."""

    index: int
    text: str


def follow_on(
    question: str,
    texts: Sequence[str],
    sources: Sequence[int],
    documents: Sequence[str | None],
    scores: Sequence[float],
    best: int,
    titles: dict[int, set[str]],
    answered: Sequence[bool] = (),
    kinds: Sequence[str] = (),
) -> FollowOn | None:
    """The sentence after the one restating `question`'s premise (`premise`), when the best
    unit (`best`) or a unit of its document scoring within `PREMISE_REACH` of it restates
    it (`restates`) in its first sentence, and that sentence does not hold all that is
    asked after the premise too (`asked_part`'s words): the rest of that unit (a
    clause or list item of several sentences), else the next unit of the same source
    (`texts[i]` of source `sources[i]`, in the passage's order). `titles` holds per source
    number its document's title words, which name the document, not the premise. A unit
    with the whole shape of answer asked (`answered[i]`: "Replacement fobs cost £25 each." for
    "I've lost my fob - what will a new one cost me?") answers itself and is kept, and so
    does a table row (`kinds[i] == "row"`: "Coffee runs too fast | Grind too coarse | Use a
    finer grind"): its other cells answer, the next row is another record's. None when
    the question states no premise, no unit restates it, or nothing follows it."""
    terms = premise_terms(question)
    if len(terms) < 2:
        return None
    stated = premise(question) or ""
    # The words of what is asked after the premise ("charged" of "Will I be charged?").
    asking = {t for t in wording.content_terms(asked_part(question)) if len(t) >= 2} - terms
    floor = float(scores[best]) - PREMISE_REACH
    ranked = sorted(range(len(texts)), key=lambda i: -float(scores[i]))
    for i in ranked:
        if float(scores[i]) < floor:
            break
        if documents[i] != documents[best] or (i < len(answered) and answered[i]):
            continue
        own = _untitled(terms, titles.get(sources[i], set()), _code_terms(stated))
        said = passages.sentences(texts[i], passages.language(texts[i]))
        if not said or not restates(own, said[0], stated):
            continue
        if i < len(kinds) and kinds[i] == "row":
            return FollowOn(i, texts[i])
        if asking and asking <= set(analysis.analyze(said[0])):
            # It says what is asked too: "Appointments cancelled with less than 24 hours'
            # notice ... are charged in full." for "... at short notice. Will I be charged?"
            continue
        if len(said) > 1:
            return FollowOn(i, " ".join(said[1:]))
        after = i + 1
        if (
            after < len(texts)
            and sources[after] == sources[i]
            and not restates(own, texts[after], stated)
            and texts[after].strip()
        ):
            return FollowOn(after, texts[after])
    return None


def _code_terms(said: str) -> list[set[str]]:
    """The terms of each code of the premise `said` ("NX-6": {"nx", "6"}; `names_and_codes`,
    those with a digit)."""
    codes = [n for n in names_and_codes(said) if any(c.isdigit() for c in n)]
    return [set(analysis.query_terms(code)) for code in codes]


def _untitled(terms: set[str], title: set[str], codes: Sequence[set[str]] = ()) -> set[str]:
    """`terms` without the document title's, in either of two forms the stemmer gives
    (a file name "peluqueria-alameda-precios.html" is analysed without the question's
    language: "alameda" there, "alamed" and "alameda" in the question). A term of one of
    the premise's `codes` (each as its terms) stays unless the title holds the whole code:
    "nexvault-nx-storage-datasheet.docx" names the NX series, not the NX-6 of "The NX-6
    has been discontinued"."""
    kept = {t for code in codes if not code <= title for t in code}
    return {
        t
        for t in terms
        if t in kept
        or not any(
            t == w or (min(len(t), len(w)) >= 4 and (t.startswith(w) or w.startswith(t)))
            for w in title
        )
    }
