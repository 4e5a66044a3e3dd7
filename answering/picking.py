"""Which unit of the retrieved passages answers, once each is scored (extractive.py): the
rules over question and unit that a score alone gets wrong.

- **The shape asked for wins within a document.** A question asking for an amount, a
  length of time, a date, a quantity in a unit (kg, dB, Nm, litres) or a list of things
  (shapes.wanted) is not answered by a unit of its document without that shape when
  another unit of the same document has it: the title line "Cordless drill KS 20 (art.
  no. 77-020)" scores high for "What is the drill's maximum torque?" (it names the drill)
  and states no torque; the spec row "Max. torque: 48 Nm" does. The unit taken instead
  has the full shape (the quantity's unit where one is asked: "48 Nm", not the article
  number's digits) and is about the question: it holds one of its words other than those
  naming the document's subject, or the best unit holds none either (a title line) and
  it states the quantity in the unit asked or scores within `SHAPE_REACH` of the best.
- **Nothing is appended that does not answer too.** Beside the best unit, a unit of the
  same source is quoted only when it holds as much of the question's words as the best
  one (lexical share, extractive._lexical_scores): "Without registration the statutory
  2-year guarantee applies." does not follow "The warranty is 3 years ..." for "How long
  is the warranty?" where it does not say "warranty"; the rule after the answer ("you
  must not reuse your last 5 passwords") is not what was asked.

Shapes are surface patterns (shapes.py): the first rule asks for the full shape, never a
partial one, so a negative answer ("Passwords do not expire on a schedule.") is not
replaced by a neighbouring rule with a figure ("at least 14 characters").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from docent.answering import shapes, wording
from docent.roles import Source
from docent.search import analysis

#: A unit of the best one's document with the shape asked for replaces a best unit
#: without it when it holds a word of the question, or scores at most this much below the
#: best (a figure in the asked unit, in another language than the question). Scores are
#: extractive.py's: cosine plus bonuses, ~0.7-1.2 with e5.
SHAPE_REACH = 0.15


def full_fit(shape: shapes.Asked) -> float:
    """The `shapes.fit` of a unit with the whole shape asked: 1 for a quantity in a unit
    of its dimension or a list, 0.5 (has the shape) otherwise."""
    if shape.shape is shapes.Shape.LIST or shape.dimension is not None:
        return 1.0
    return 0.5


#: The shapes whose absence disqualifies a unit: values (a quantity, a time) and lists. A
#: person or a place is told by surface words too loose to overrule the score.
DECISIVE = frozenset([shapes.Shape.QUANTITY, shapes.Shape.TIME, shapes.Shape.LIST])


#: A percentage states an amount of money relative to another ("a 20 % discount on the
#: monthly fee"): it answers a price question as an amount does.
_PERCENT = re.compile(r"\d\s?%")


def asked_words(
    question: str, texts: Sequence[str], sources: Sequence[int], given: Sequence[Source]
) -> np.ndarray:
    """Per unit (`texts[i]`, from source number `sources[i]` of `given`), the share of the
    question's content words (wording.content_terms) it holds, leaving out those naming
    what its document is about (its names, title and top heading: wording.subject_terms);
    0 for all when the question has no other words ("How loud is the Brandt NTS 30?")."""
    terms = wording.content_terms(question)
    about = wording.subject_terms(question, given)
    shares = np.zeros(len(texts), dtype=np.float32)
    for i, (text, source) in enumerate(zip(texts, sources, strict=True)):
        asked = terms - about.get(source, set())
        if asked:
            shares[i] = len(asked & set(analysis.analyze(text))) / len(asked)
    return shares


def shape_first(
    shape: shapes.Asked | None,
    best: int,
    scores: np.ndarray,
    fits: np.ndarray,
    words: np.ndarray,
    documents: Sequence[str | None],
    texts: Sequence[str],
) -> int:
    """The unit to answer with: `best`, or when it lacks the full shape asked for, the
    best-scoring unit of its document (`documents[i]`: unit i's document; `texts[i]`: its
    text) that has it and is about the question: it holds one of the question's words
    (`words`: `asked_words`), or `best` holds none either and it states a quantity in the
    unit asked for or scores within `SHAPE_REACH` of `best`."""
    if shape is None or shape.shape not in DECISIVE:
        return best
    need = full_fit(shape)
    if fits[best] >= need:
        return best
    if shape.dimension is shapes.Dimension.MONEY and _PERCENT.search(texts[best]):
        return best
    floor = float(scores[best]) - SHAPE_REACH
    measured = shape.dimension is not None
    eligible = [
        i
        for i in range(len(scores))
        if documents[i] == documents[best]
        and fits[i] >= need
        and (words[i] > 0 or (words[best] == 0 and (measured or scores[i] >= floor)))
    ]
    if not eligible:
        return best
    return max(eligible, key=lambda i: float(scores[i]))


def answers_too(i: int, first: int, lexical: np.ndarray, fits: np.ndarray) -> bool:
    """Whether unit `i`, beside the answer `first`, answers the question too: it has the
    shape asked for as well as `first` and holds as much of the question's words."""
    return bool(fits[i] >= fits[first] and lexical[i] >= lexical[first] - 1e-6)
