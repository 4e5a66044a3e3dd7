"""Which unit of the retrieved passages answers, once each is scored (extractive.py): the
rules over question and unit that a score alone gets wrong.

- **The shape asked for wins over a title line.** A question asking for an amount, a
  length of time, a date, a quantity in a unit (kg, dB, Nm, litres) or a list of things
  (`wanted`) is not answered by a title or identification line of its document, one
  that names the question's subject and holds none of its other words (or, in the
  question's language, none of its words at all), when another unit of the same
  document has that shape: the product line "Cordless drill KS 20 (art. no.
  77-020)" scores high for "What is the KS 20's maximum torque?" (it names the drill) and
  states no torque; the spec row "Max. torque: 48 Nm" does. The unit taken instead has
  the full shape (the quantity's unit where one is asked: "48 Nm", not the article
  number's digits) and is about the question: it holds one of its other words, or states
  the quantity in the unit asked, or scores within `SHAPE_REACH` of the title line.
- **Nothing is appended that does not answer too.** Beside the best unit, a unit of the
  same source is quoted only when it has the shape asked for as well (in full, where a
  value or a list is asked) and, where the best unit holds one of the question's words
  other than its subject's, holds one too: "Without registration the statutory 2-year
  period applies." does not follow "The guarantee on the mixer is 3 years" for "How long
  is the guarantee on the mixer?".

Both rules are narrow on purpose. Shapes are surface patterns (shapes.py) that miss
answers ("from the eighth day", "أول ساعتين", a table's time column): a unit that holds the
question's own words is never replaced for lacking a shape, only a line that names the
subject and nothing else asked; and the replacement must have the full shape, never a
partial one (a figure without the unit asked for).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from docent.answering import (
    compounds,
    dates,
    held_kind,
    passages,
    premise,
    shapes,
    wording,
)
from docent.answering import (
    texts as passage_texts,
)
from docent.roles import Source
from docent.search import analysis

#: A unit of the best one's document with the shape asked for replaces a best unit
#: without it when it holds a word of the question, or scores at most this much below the
#: best (a figure in the asked unit, in another language than the question). Scores are
#: extractive.py's: cosine plus bonuses, ~0.7-1.2 with e5.
SHAPE_REACH = 0.15


#: A question for several things: "which"/"what" and a plural noun before a verb ("Which
#: bills do the tenants pay?", "What documents do I need?"; not "What excess do we pay?",
#: "What bonus ...", "What basis ...": an "s" after "s", "u" or "i" makes no plural), "welche ... sind/stehen",
#: "quels/quelles ...", "qué ...s", "cuáles"; or for what is included ("What's included
#: in the day pass?", "Was ist im Lieferumfang enthalten?", "Qu'est-ce qui est inclus ?",
#: "¿Qué incluye?").
_LIST_ASKED = re.compile(
    r"^(?:and |so )?(?:which|what) (?:\w+ )?(?!(?:is|was|does|has|its|this|thus|hours|times)\b)\w*[^\W_isu]s (?:do|does|are|were|can|could|must|should|will|would|have|has|need|needs|get|go|come|cover|count|apply)\b"
    r"|^(?:und )?welche (?:\w+ )?\w+ (?:sind|stehen|gibt|werden|müssen|muss|brauche|brauchen|zahlen|zahlt|gehören|gelten)\b"
    r"|^(?:et )?(?:quels|quelles) \w+|^(?:y )?[¿]?(?:qu[eé] \w+s (?:hay|son|se|debo|necesito|incluye)|cu[aá]les)\b"
    r"|\b(?:what(?:'s| is| are)? (?:included|in the box|covered)|what does (?:\w+ ){1,4}(?:include|cover|come with))\b"
    r"|\b(?:was ist (?:\w+ )*(?:enthalten|dabei|inbegriffen)|was (?:\w+ )*(?:enthält|beinhaltet|umfasst))\b"
    r"|\b(?:qu'est-ce qui est (?:inclus|compris)|que comprend|qu'inclut)\b|\bqu[eé] (?:incluye|est[aá] incluido|cubre)\b"
    r"|哪些|包括什么|包含什么|ما الذي يشمل|ماذا يشمل"
)
#: A length asked for: by "how long/wide/far/tall/deep" or a noun naming it (en, de, fr,
#: es, zh, ar). An adjective elsewhere in the question ("a long business trip") is not, nor
#: "how high"/"wie hoch", which ask amounts as often ("Wie hoch ist die Obergrenze?").
_LENGTH_ASKED = re.compile(
    r"\bhow (?:long|wide|far|tall|deep|big)\b|\bwie (?:lang|breit|weit|tief|groß)\b"
    r"|\b(?:length|width|height|distance|range|länge|breite|höhe|entfernung|reichweite"
    r"|longueur|largeur|hauteur|distance|portée|longitud|anchura|altura|distancia|alcance)\b"
    r"|长度|宽度|高度|多高|多远|多长|距离|طول|ارتفاع|عرض|مسافة"
)


def wanted(question: str) -> shapes.Asked | None:
    """What the extractive answerer looks for: a list (Shape.LIST) for a question asking
    for several things (`_LIST_ASKED`), else `shapes.asked(question)`, without a length the
    question does not ask by its interrogative or a noun (`_LENGTH_ASKED`). Apart from `asked` since the
    not-found gate reads a measure there ("Which bills do the tenants *pay*?" is a list,
    not an amount). A question stating a premise first is read after it
    (premise.asked_part)."""
    folded = " ".join(question.casefold().replace("’", "'").split())
    if _LIST_ASKED.search(folded):
        return shapes.Asked(shapes.Shape.LIST)
    # "I've lost my fob - what will a new one cost me?": the shape is the question's
    # after its premise.
    found = shapes.asked(question) or shapes.asked(premise.asked_part(question))
    if (
        found is not None
        and found.dimension is shapes.Dimension.LENGTH
        and not _LENGTH_ASKED.search(folded)
    ):
        # "How large an advance ... for a long business trip?": "long" describes the
        # trip; the length is not what is asked.
        return shapes.Asked(found.shape)
    return found


def full_fit(shape: shapes.Asked) -> float:
    """The `shapes.fit` of a unit with the whole shape asked: 1 for a quantity in a unit
    of its dimension or a list, 0.5 (has the shape) otherwise."""
    if shape.shape is shapes.Shape.LIST or shape.dimension is not None:
        return 1.0
    return 0.5


#: The shapes whose absence disqualifies a unit: values (a quantity, a time) and lists. A
#: person or a place is told by surface words too loose to overrule the score.
DECISIVE = frozenset([shapes.Shape.QUANTITY, shapes.Shape.TIME, shapes.Shape.LIST])


#: A noun and its number name one thing of several ("flat 3", "unit 4", "Halle 2"): its
#: identification, as a name does.
_IDENTIFIER = re.compile(r"\b([^\W\d_]{2,})\s+(\d+[a-z]?)\b", re.IGNORECASE)


_PERCENT = re.compile(r"\d\s?%")
#: An e-mail address or a web address.
_ADDRESS = re.compile(rf"{held_kind.EMAIL.pattern}|\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Words:
    """Per unit, the share of the question's words it holds other than those naming what
    its document is about (`asked`), and whether it holds one of those (`subject`)."""

    asked: np.ndarray
    subject: np.ndarray
    #: Per unit, whether it is in another language than the question: holding none of
    #: the question's words then says nothing of what it is about.
    foreign: np.ndarray
    #: The units in their document's letterhead (texts.opens_document): its title,
    #: sender's line, header or greeting.
    opening: frozenset[int] = frozenset()

    def says_nothing_asked(self, i: int) -> bool:
        """Whether unit `i` holds none of what the question asks but its subject: a title
        or identification line naming it ("Flat 3, Orchard House, 12 Mill Lane ..."), or
        a sentence in the question's language holding none of its words ("It drives 100
        mm screws into hardwood." for "How heavy is the ID-18?")."""
        return not self.asked[i] and bool(self.subject[i] or not self.foreign[i])


def question_words(
    question: str, texts: Sequence[str], sources: Sequence[int], given: Sequence[Source]
) -> Words:
    """`Words` of each unit (`texts[i]`, from source number `sources[i]` of `given`): the
    question's content words (wording.content_terms) split into those naming the subject
    (its names and codes, its document's title and top heading: wording.subject_terms; a
    noun with its number: `_IDENTIFIER`) and the others."""
    terms = wording.content_terms(question)
    about = wording.subject_terms(question, given)
    named = {
        term
        for name in [m.group(0) for m in _IDENTIFIER.finditer(question)]
        + wording.names_in(question)
        for term in analysis.query_terms(name)
    } & terms
    asked = np.zeros(len(texts), dtype=np.float32)
    subject = np.zeros(len(texts), dtype=bool)
    language = passages.language(question)
    foreign = np.array([passages.language(t) != language for t in texts], dtype=bool)
    # In German a question's word is held in a compound too ("Pumpe" in "Pumpeneinheit").
    forms = compounds.surfaces(question, terms) if language == "de" else {}
    for i, (text, source) in enumerate(zip(texts, sources, strict=True)):
        # A word inside an address names no topic: "betriebsrat@kallisto-maschinenbau..."
        # under a sentence about questions sent in advance held the question's company.
        plain = _ADDRESS.sub(" ", text)
        held = set(analysis.analyze(plain))
        own = about.get(source, set()) | named
        others = terms - own
        subject[i] = bool(held & own)
        if others:
            parts = compounds.words(plain) if forms else set()
            asked[i] = sum(
                _holds(held, t) or compounds.held_any(forms.get(t, ()), parts) for t in others
            ) / len(others)
    chunks = {s.index: s.hit.chunk for s in given}
    opening = frozenset(
        i
        for i, (text, source) in enumerate(zip(texts, sources, strict=True))
        if source in chunks and passage_texts.opens_document(text, chunks[source])
    )
    return Words(asked, subject, foreign, opening)


#: A term and a unit's term sharing a stem of at least this many characters, one the
#: start of the other, are one word in two forms the stemmer keeps apart ("beginnt" and
#: "Beginn", "Garantie" and "Garantiefall").
_STEM = 5


def _holds(held: set[str], term: str) -> bool:
    if term in held:
        return True
    if len(term) < _STEM:
        return False
    return any(len(h) >= _STEM and (h.startswith(term) or term.startswith(h)) for h in held)


def shape_first(
    shape: shapes.Asked | None,
    best: int,
    scores: np.ndarray,
    fits: np.ndarray,
    words: Words,
    documents: Sequence[str | None],
    kinds: Sequence[str],
    texts: Sequence[str],
) -> int:
    """The unit to answer with: `best`, or when it says nothing asked (a title or
    identification line: `Words.says_nothing_asked`; not a table row, a record, but see
    `_row_with_unit`, nor a unit stating a percentage) or states a quantity of another dimension than asked
    (`measures_else`: a temperature for a length of time; then only for a unit holding as
    many of the question's words) without the full shape asked for, the best-scoring
    unit of its document (`documents[i]`, `kinds[i]`, `texts[i]`: unit i's document, kind
    and text) that has it and is about the question: it holds one of the question's
    words, or states the quantity in the unit asked, or scores within `SHAPE_REACH` of
    `best`."""
    if shape is None or shape.shape not in DECISIVE:
        return best
    if kinds[best] == "row":
        return _row_with_unit(shape, best, scores, fits, words, documents, kinds)
    if fits[best] >= full_fit(shape):
        return best
    # A letterhead unit (a greeting, a header) names the document, as a title line does.
    other_measure = not (words.says_nothing_asked(best) or best in words.opening)
    if other_measure and not measures_else(shape, texts[best]):
        return best
    if shape.shape is shapes.Shape.QUANTITY and _PERCENT.search(texts[best]):
        # A share ("up to 80 % of the expected costs") is a quantity of its own: no
        # title line states one.
        return best
    need = full_fit(shape)
    floor = float(scores[best]) - SHAPE_REACH
    measured = shape.dimension is not None
    eligible = [
        i
        for i in range(len(scores))
        if documents[i] == documents[best]
        and fits[i] >= need
        and (words.asked[i] > 0 or measured or scores[i] >= floor)
        # Past a unit holding the question's words, only one holding as many: a sentence
        # stating the fee may say the free hours in words the shapes miss ("أول ساعتين").
        and (not other_measure or words.asked[i] >= words.asked[best] > 0)
    ]
    if not eligible:
        return best
    return max(eligible, key=lambda i: float(scores[i]))


def _row_with_unit(
    shape: shapes.Asked,
    best: int,
    scores: np.ndarray,
    fits: np.ndarray,
    words: Words,
    documents: Sequence[str | None],
    kinds: Sequence[str],
) -> int:
    """For a table row `best` (a record: kept otherwise), a row of its document stating
    the quantity asked in its unit where `best` does not ("Payload: 200 kg" over "Battery:
    2 x 625 Wh"), holding as many of the question's words, scoring within `SHAPE_REACH`."""
    if shape.shape is not shapes.Shape.QUANTITY or shape.dimension is None or fits[best] >= 1:
        return best
    floor = float(scores[best]) - SHAPE_REACH
    rows = [
        i
        for i in range(len(scores))
        if kinds[i] == "row"
        and documents[i] == documents[best]
        and fits[i] >= full_fit(shape)
        and words.asked[i] >= words.asked[best]
        and float(scores[i]) >= floor
    ]
    return max(rows, key=lambda i: float(scores[i])) if rows else best


#: A unit of the best one's document stating a date replaces a best unit without one (for
#: a question asking a date: dates.asks_date) when it holds at least as many of the
#: question's words and more of them, or as many and scores at most this much below it
#: (extractive.py's scores, as `SHAPE_REACH`).
DATE_REACH = 0.15


#: An e-mail's header line as docent's e-mail reader writes it ("From: Name <address> To:
#: ... Date: ..."), or a forwarded message's quoted header in another language.
_MESSAGE_HEADER = re.compile(
    r"^(?:from|von|de|da)\s*:[^\n]*@[^\n]*\b(?:to|date|sent|an|datum|gesendet|à|para"
    r"|fecha|enviado|data|inviato)\s*:",
    re.IGNORECASE,
)
#: Words of a question about the message itself (who sent it, when, to whom): then its
#: header line may answer.
_ABOUT_MESSAGE = re.compile(
    r"\b(?:e-?mails?|mail|message|sent|send|sender|wrote|written|recipients?|nachricht"
    r"|geschickt|gesendet|verschickt|absender|empfänger|schrieb|courriel|envoy\w*"
    r"|expéditeur|destinataires?|correo|enviad\w*|remitente|destinatarios?)\b",
    re.IGNORECASE,
)


def message_header(question: str, text: str) -> bool:
    """Whether `text` is an e-mail's header line (`_MESSAGE_HEADER`) and `question` does
    not ask about the message (`_ABOUT_MESSAGE`): then it answers nothing asked, and its
    date is not the one asked (`date_first` replaces it)."""
    return bool(_MESSAGE_HEADER.search(text)) and not _ABOUT_MESSAGE.search(question)


def _dates_the_document(question: str, i: int, words: Words, texts: Sequence[str]) -> bool:
    """Whether unit `i` is a header line of its document's letterhead (a sender's line
    with the date, "Minutes of the meeting held on 9 April 2025, ...": `Words.opening`,
    texts.header_line) and `question` does not ask of something past (dates.reports_past:
    "When was the meeting held?"): the header dates the document, not what is to come
    ("When will the committee meet after the April meeting?", "When will the network be
    serviced?")."""
    return (
        i in words.opening
        and passage_texts.header_line(texts[i])
        and not dates.reports_past(question)
    )


def date_first(
    question: str,
    best: int,
    scores: np.ndarray,
    words: Words,
    documents: Sequence[str | None],
    texts: Sequence[str],
) -> int:
    """The unit to answer a question asking a date with (dates.asks_date): `best`, or a
    unit of its document that states one where `best` does not (a duration, a notice
    period, a frequency: "Either party may end this contract early by giving six
    months' written notice." for "Until when is the contract valid?"). For the next
    occurrence asked ("When is the next lift service?", dates.asks_next), a unit of the
    document saying "next" with a date replaces a `best` that does not say it, and a
    `best` reporting a past one ("took place on Wednesday 11 February") loses to a unit
    with a date that reports none. An e-mail's header line dates the message
    (`message_header`), a letterhead's header line the document
    (`_dates_the_document`): another dated unit of its document holding a word the
    question asks with replaces it. Otherwise the unit taken holds at least as many of
    the question's words other than its subject's as `best` (`Words.asked`): more of
    them, or scores within `DATE_REACH`."""
    if not dates.asks_date(question):
        return best
    follows_next = dates.asks_next(question)

    def dated(i: int) -> bool:
        return dates.states_date(texts[i])

    def timely(i: int) -> bool:
        return dated(i) and dates.says_next(texts[i])

    if follows_next and not dates.says_next(texts[best]):
        better = [i for i in range(len(texts)) if timely(i)]
        if not better and dated(best) and dates.reports_past(texts[best]):
            better = [i for i in range(len(texts)) if dated(i) and not dates.reports_past(texts[i])]
    elif not dated(best):
        better = [i for i in range(len(texts)) if dated(i)]
    elif message_header(question, texts[best]) or _dates_the_document(question, best, words, texts):
        # An e-mail's header line dates the message, not what it announces ("Beginn:
        # 13:30 Uhr" for "Wann beginnt die Betriebsversammlung?"): a dev-set question
        # lost when another document's "beginnt" made the word commoner.
        # The header's own words are its names and addresses: any dated unit of its
        # document holding a word the question asks with tells more.
        told = [
            i
            for i in range(len(texts))
            if documents[i] == documents[best]
            and dated(i)
            and words.asked[i] > 0
            and not _MESSAGE_HEADER.search(texts[i])
            and not (i in words.opening and passage_texts.header_line(texts[i]))
        ]
        return max(told, key=lambda i: float(scores[i])) if told else best
    else:
        return best
    floor = float(scores[best]) - DATE_REACH
    eligible = [
        i
        for i in better
        if documents[i] == documents[best]
        and words.asked[i] >= words.asked[best]
        and (words.asked[i] > words.asked[best] or scores[i] >= floor)
    ]
    if not eligible:
        return best
    return max(eligible, key=lambda i: float(scores[i]))


def dated_too(question: str, i: int, first: int, texts: Sequence[str]) -> bool:
    """Whether unit `i` may follow the answer `first` to `question` as far as dates go:
    for a question asking a date whose answer states one, `i` states one too, and says
    "next" too where the question and the answer do (a frequency, "serviced every 8
    weeks", does not follow "The next routine visits are booked for 14 April"); an e-mail's
    header line follows only for a question about the message."""
    if not dates.asks_date(question):
        return True
    if message_header(question, texts[i]):
        return False
    if not dates.states_date(texts[first]):
        return True
    if not dates.states_date(texts[i]):
        return False
    if dates.asks_next(question) and dates.says_next(texts[first]):
        return dates.says_next(texts[i])
    return True


def measures_else(shape: shapes.Asked | None, text: str) -> bool:
    """Whether `text` states a quantity in a unit of another dimension than `shape` asks
    and none in its own: "Den Akku nur bei Temperaturen zwischen 10 °C und 35 °C
    aufladen." holds the question's "aufladen" and answers no "Wie lange dauert das
    Aufladen?" (a temperature, not a length of time)."""
    if shape is None or shape.dimension is None or shape.dimension is shapes.Dimension.AMOUNT:
        return False
    if shapes.states_measure(shape.dimension, text):
        return False
    return any(
        shapes.states_measure(d, text)
        for d in shapes.Dimension
        if d not in (shape.dimension, shapes.Dimension.AMOUNT)
    )


def answers_too(
    i: int, first: int, words: Words, fits: np.ndarray, shape: shapes.Asked | None = None
) -> bool:
    """Whether unit `i`, beside the answer `first`, answers the question too: it has the
    shape asked for as well as `first`, and, where `first` holds a word of the question
    other than those naming its subject, so does `i`. A `first` holding none (an e-mail's
    header line, a title, a sentence in another language) tells nothing by its words:
    then the shape alone decides ("Beginn: 13:30 Uhr" after the header). Where `shape`
    asks a value or a list (`DECISIVE`), `i` must have it in full: a figure without the
    unit asked ("at least 14 characters", "your last 5 passwords") does not follow an
    answer to "How often must I change my password?"."""
    if fits[i] < fits[first]:
        return False
    if shape is not None and shape.shape in DECISIVE and fits[i] < full_fit(shape):
        return False
    return bool(words.asked[i] > 0 or words.asked[first] == 0)


#: A unit holding less than this share of the question's words other than its subject's
#: says little of what is asked (`told_first`).
TOLD_SHARE = 0.5


def told_first(
    shape: shapes.Asked | None,
    best: int,
    scores: np.ndarray,
    fits: np.ndarray,
    words: Words,
    documents: Sequence[str | None],
) -> int:
    """For a question asking where or who (a place or a person: shapes too loose to
    overrule a score, see `DECISIVE`), the unit to answer with: `best`, or when `best`
    says nothing asked (`Words.says_nothing_asked`) or little (less than `TOLD_SHARE` of
    the question's words but its subject's: the title line "COPPERLINE DISTRIBUTION -
    DAVENTRY DISTRIBUTION CENTRE WAREHOUSE SAFETY RULES" for "Where is the fire assembly
    point at Copperline's Daventry distribution centre?"), the best-scoring unit of its
    document that has the shape (as fully as `best`, which keeps it when it has it in
    full: a labelled place), scores within `SHAPE_REACH` of `best` and holds more of
    the question's words: one where `best` holds none, else at least `TOLD_SHARE` ("... go to the fire assembly point, the staff car park by Gate
    2.")."""
    if shape is None or shape.shape not in (shapes.Shape.PLACE, shapes.Shape.PERSON):
        return best
    floor = float(scores[best]) - SHAPE_REACH
    # Past a unit holding few of the question's words ("centre" of the title line naming
    # the "Daventry distribution centre"), one holding more, and half of them.
    if fits[best] >= 1.0 or (
        not words.says_nothing_asked(best) and float(words.asked[best]) >= TOLD_SHARE
    ):
        # A labelled place ("Ort: Kantine, Gebäude 3": places.fit) says where in full.
        return best
    eligible = [
        i
        for i in range(len(scores))
        if documents[i] == documents[best]
        and fits[i] > 0
        and fits[i] >= fits[best]
        and words.asked[i] > words.asked[best]
        and (words.asked[i] >= TOLD_SHARE or not words.asked[best])
        and float(scores[i]) >= floor
    ]
    return max(eligible, key=lambda i: float(scores[i])) if eligible else best
