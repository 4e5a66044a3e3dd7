"""Which gate of the not-found decision refused a passage, or which signal grounded it,
and the record of it each answer leaves on the `docent.answering` logger.

The not-found gate (`grounding.find_evidence`) judges the retrieved passages one by one;
a passage is refused by the first gate it fails: a neighbour of what was asked
(`contrast`), a document that never names the attribute asked (`attribute`), a passage
without the kind of value asked (`held-kind`), too small a share of the question's words
(`keyword-share`: the share and `clues.KEYWORD_SHARE`), ... `Verdict` holds the gate's
name and, where the gate compares a figure with a floor, both. A `Verdict` is true when
the passage passed, so a check returning one reads as the boolean it was.

`log_evidence` writes one DEBUG record per answer (`docent serve --debug
docent.answering` shows it; `docent eval answers` reads it from its server's log and
counts the gates: `evaluation/gates.py`): the signal that grounded the answer, or the
verdict of each retrieved passage, the first first. The question itself is not logged,
only a digest of it (`question_digest`) that tells whose answer a record is.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("docent.answering")

#: What starts the message of an evidence record (`log_evidence`), the JSON after it.
EVIDENCE_MARK = "answer evidence: "


@dataclass(frozen=True, slots=True)
class Verdict:
    """A gate's decision on a passage: `gate` None when it passed, else the gate's name,
    with the `figure` it measured and the `floor` that figure had to reach, where it
    compares one (several gates failed: their names joined by "+"). True when the passage
    passed."""

    gate: str | None = None
    figure: float | None = None
    floor: float | None = None
    #: The document of the passage judged, where the verdict is a passage's.
    document: str | None = None
    #: Where several gates refused the passage (keyword evidence, then similarity), each
    #: one's verdict: `figure` and `floor` are the last's.
    parts: tuple[Verdict, ...] = ()

    def __bool__(self) -> bool:
        return self.gate is None

    def as_json(self) -> dict[str, Any]:
        """The verdict as a log record holds it (figures rounded to 3 places)."""
        held: dict[str, Any] = {
            "gate": self.gate,
            "figure": None if self.figure is None else round(self.figure, 3),
            "floor": None if self.floor is None else round(self.floor, 3),
            "document": self.document,
        }
        if self.parts:
            held["parts"] = [{**p.as_json(), "document": None} for p in self.parts]
        return held


PASS = Verdict()


def refused(gate: str, figure: float | None = None, floor: float | None = None) -> Verdict:
    """The verdict of `gate` refusing a passage, its `figure` below `floor`."""
    return Verdict(gate, figure, floor)


def check(passed: bool, gate: str) -> Verdict:
    """A boolean check's verdict: `PASS`, or refused by `gate`."""
    return PASS if passed else Verdict(gate)


def question_digest(question: str) -> str:
    """12 hex digits of the SHA-256 of `question` (stripped): whose record it is."""
    return hashlib.sha256(question.strip().encode()).hexdigest()[:12]


def log_evidence(
    question: str,
    signal: str | None,
    verdicts: Sequence[Verdict],
    grounding: Verdict | None = None,
) -> None:
    """One DEBUG record of the not-found decision for `question`: the `signal` that
    grounded it (None: refused), each passage's verdict before it, in rank order, and the
    `grounding` passage's (its document and its cosine with the question). Its message is `EVIDENCE_MARK` and the record as JSON; the record is also the
    log record's `evidence` attribute, for structured handlers."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    record = {
        "question": question_digest(question),
        "signal": signal,
        "passages": [v.as_json() for v in verdicts],
        "grounding": grounding.as_json() if grounding is not None else None,
    }
    log.debug("%s%s", EVIDENCE_MARK, json.dumps(record), extra={"evidence": record})
