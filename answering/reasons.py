"""A "why" question, and the unit that gives the reason.

"Why did the evacuation take longer than the target?" is most like the sentence that
states the fact asked about ("All buildings were evacuated in 6 minutes 40 seconds,
against a target of 5 minutes."): it shares the question's words, and it says nothing of
why. The reason is in a sentence that says so by a causal connective ("Delays were
caused by the locked side door", "weil", "en raison de", "debido a", 因为, بسبب), often
the next one, which shares few of the question's words. This is the "reason" answer type
of question classification (Li and Roth's DESC:reason), checked by its surface marks.

Two rules, for a question asking why (`asks_why`) whose best unit gives no reason
(`gives_reason`):

- `reason_first`: a unit of the same document that gives one, holds one of the
  question's words other than its subject's, and scores within `REASON_REACH` of the best
  unit answers instead;
- `reason_after`: else the unit right after the best one in the same passage, when it is
  a sentence giving a reason, follows it (the fact, then why).

Languages: en, de, fr, es, zh, ar.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from docent.answering import passages

#: A unit giving a reason replaces a best unit giving none when it scores at most this
#: much below it (extractive.py's scores: cosine plus bonuses, ~0.7-1.2 with e5).
REASON_REACH = 0.15

#: The interrogative asking for a reason (en, de, fr, es, zh, ar).
_WHY = re.compile(
    r"^(?:and |so |but |und |et |y |pero )?[¿]?(?:why|how come)\b|\bwhy (?:is|are|was|were|do|does|did|has|have|can|can't|must|should|will|would)\b"
    r"|\b(?:warum|wieso|weshalb|weswegen|aus welchem grund)\b|\bpourquoi\b|\bpor qu[eé]\b"
    r"|为什么|为何|什么原因|لماذا|ما سبب|ما هو سبب",
    re.IGNORECASE,
)

#: Words that give a reason or a purpose (en, de, fr, es, zh, ar).
_BECAUSE = re.compile(
    r"\b(?:because|due to|caused by|owing to|as a result of|on account of|the reason|so that|in order to"
    r"|weil|wegen|aufgrund|auf grund|verursacht|damit|der grund|grund dafür|infolge"
    r"|parce que|parce qu'|en raison d[eu']|à cause d[eu']|dûe? à|dus à|causée? par|afin de|afin que|pour que|la raison"
    r"|porque|debido a|a causa de|por culpa de|causad[oa]s? por|para que|ya que|puesto que|dado que|el motivo|la raz[oó]n)\b"
    r"|因为|由于|原因|为了|导致|造成|لأن|بسبب|نظراً ل|نظرا ل|بهدف|لكي|سبب",
    re.IGNORECASE,
)

_CAR = re.compile(r"(?:,|;)\s*car\b")


def asks_why(question: str) -> bool:
    """Whether `question` asks for a reason ("Why ...?", "Warum ...?", "Pourquoi ...?",
    "¿Por qué ...?", 为什么, لماذا)."""
    return bool(_WHY.search(" ".join(question.casefold().split())))


def gives_reason(text: str) -> bool:
    """Whether `text` says why by a causal or purpose connective ("because", "caused
    by", "weil", "aufgrund", "parce que", "en raison de", "debido a", "porque", 因为, 由于,
    لأن, بسبب)."""
    folded = " ".join(text.casefold().split())
    if _BECAUSE.search(folded):
        return True
    # "car" is French for "because", and English for a car.
    return bool(_CAR.search(folded)) and passages.language(text) == "fr"


def reason_first(
    question: str,
    best: int,
    scores: np.ndarray,
    asked: np.ndarray,
    documents: Sequence[str | None],
    texts: Sequence[str],
) -> int:
    """The unit to answer `question` with: `best`, or, for a question asking why whose
    `best` gives no reason, the best-scoring unit of its document (`documents[i]`) that
    gives one, holds one of the question's words other than its subject's (`asked[i] >
    0`: picking.Words.asked) and scores within `REASON_REACH` of `best`."""
    if not asks_why(question) or gives_reason(texts[best]):
        return best
    floor = float(scores[best]) - REASON_REACH
    eligible = [
        i
        for i in range(len(texts))
        if documents[i] == documents[best]
        and asked[i] > 0
        and float(scores[i]) >= floor
        and gives_reason(texts[i])
    ]
    return max(eligible, key=lambda i: float(scores[i])) if eligible else best


def reason_after(
    question: str,
    first: int,
    texts: Sequence[str],
    sources: Sequence[int],
    kinds: Sequence[str],
) -> int | None:
    """The unit to quote after the answer `first` to a question asking why: the next unit
    of the same source (`sources[i]`), a sentence giving a reason, when `first` gives
    none ("All buildings were evacuated in 6 minutes 40 seconds, against a target of 5
    minutes." then "Delays were caused by the locked side door."); else None."""
    if not asks_why(question) or gives_reason(texts[first]):
        return None
    after = first + 1
    if (
        after < len(texts)
        and sources[after] == sources[first]
        and kinds[after] == "sentence"
        and gives_reason(texts[after])
    ):
        return after
    return None
