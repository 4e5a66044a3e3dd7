"""Which gate refused each answer, or which signal grounded it, as the measured server's
log says (`answering/gates.py`): `docent eval answers` starts its server with `--debug
docent.answering`, asks one question at a time, and reads the evidence record that each
answer wrote to the server's log (`EvidenceLog`) while it was asked; the record's digest
of the question tells that it is this question's.

Per question, `gate_of` names the gate that refused it: the verdict on the first passage
of the document the question must cite (when retrieved; that it was not is said), else on
the first passage. `gate_table` counts them over the refusals, answerable and
unanswerable questions apart, and the signals over the grounded answers.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: What starts an evidence record's message in the server's log, as `answering/gates.py`
#: writes it (the eval reads docent through its API and its log, never its modules).
EVIDENCE_MARK = "answer evidence: "

#: The label of an answer with no evidence record (a cached answer, a server not started
#: by the eval, a log not readable).
UNRECORDED = "unrecorded"


class EvidenceLog:
    """The evidence records a server writes to its log at `path`: `mark()` before asking,
    `records(mark)` after the answer, the records written between."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mark(self) -> int:
        """Where the log ends now (0 when there is none yet)."""
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def records(self, since: int) -> list[dict[str, Any]]:
        """The evidence records written after byte `since`, in order."""
        try:
            with self.path.open("rb") as log:
                log.seek(since)
                text = log.read().decode(errors="replace")
        except OSError:
            return []
        found = []
        for line in text.splitlines():
            at = line.find(EVIDENCE_MARK)
            if at < 0:
                continue
            try:
                record = json.loads(line[at + len(EVIDENCE_MARK) :])
            except ValueError:
                continue
            if isinstance(record, dict):
                found.append(record)
        return found

    def record_for(self, since: int, *questions: str | None) -> dict[str, Any] | None:
        """The last record written after `since` for one of `questions` (as asked, or as
        docent made it standalone); None when there is none."""
        digests = {question_digest(q) for q in questions if q}
        mine = [r for r in self.records(since) if r.get("question") in digests]
        return mine[-1] if mine else None


def question_digest(question: str) -> str:
    """The digest an evidence record names its question by (`answering/gates.py`)."""
    return hashlib.sha256(question.strip().encode()).hexdigest()[:12]


def gate_of(record: Mapping[str, Any] | None, document: str | None) -> str:
    """How `record` decided: "grounded: SIGNAL", or the gate that refused the first passage
    of `document` (the id of the document to cite; None: any), or of the first passage
    with "not retrieved: " before it when `document`'s is not among them."""
    if record is None:
        return UNRECORDED
    if record.get("signal"):
        return f"grounded: {record['signal']}"
    passages = record.get("passages") or []
    if not passages:
        return "no passage"
    own = _own(passages, document)
    if own:
        return str(own[0].get("gate"))
    return f"not retrieved: {passages[0].get('gate')}"


def figure_of(record: Mapping[str, Any] | None, document: str | None) -> str:
    """The figures and floors of the verdict `gate_of` names ("0.781 < 0.800"; where
    several gates refused, each one's: "keyword-share 0.400 < 0.610, similarity 0.814 <
    0.910"), or "". A cosine that reached its floor ("similarity-form 0.872 >= 0.800")
    says the passage failed the gate's other condition."""
    if record is None or record.get("signal"):
        return ""
    passages = record.get("passages") or []
    chosen = (_own(passages, document) or passages or [{}])[0]
    parts = chosen.get("parts") or []
    if parts:
        return ", ".join(
            f"{p['gate']} {_compared(p)}"
            for p in parts
            if p.get("figure") is not None and p.get("floor") is not None
        )
    if chosen.get("figure") is None or chosen.get("floor") is None:
        return ""
    return _compared(chosen)


def _own(passages: list[dict[str, Any]], document: str | None) -> list[dict[str, Any]]:
    """The verdicts on the passages of `document` (None: every passage), in rank order."""
    return [p for p in passages if document is None or p.get("document") == document]


def _compared(verdict: Mapping[str, Any]) -> str:
    """ "0.781 < 0.800"; "0.872 >= 0.800" for a gate after the cosine's (the cosine reached
    its floor, the passage failed another condition: `similarity-form`)."""
    figure, floor = verdict["figure"], verdict["floor"]
    return f"{figure:.3f} {'<' if figure < floor else '>='} {floor:.3f}"


def gate_table(
    rows: Iterable[tuple[str, bool, bool]],
) -> dict[str, dict[str, dict[str, int]]]:
    """From (gate label, unanswerable, refused) per question: "refused_by_gate", per
    refusing gate, how many answerable and unanswerable questions it refused;
    "grounded_by_signal", per signal, how many of each it grounded. Most first."""
    rows = list(rows)
    counts: Counter[tuple[str, str]] = Counter()
    for label, _, refused in rows:
        counts[("refused_by_gate" if refused else "grounded_by_signal", label)] += 1
    tables: dict[str, dict[str, dict[str, int]]] = {"refused_by_gate": {}, "grounded_by_signal": {}}
    for (table, label), _ in counts.most_common():
        tables[table][label] = {"answerable": 0, "unanswerable": 0}
    for label, unanswerable, refused in rows:
        table = "refused_by_gate" if refused else "grounded_by_signal"
        tables[table][label]["unanswerable" if unanswerable else "answerable"] += 1
    return tables
