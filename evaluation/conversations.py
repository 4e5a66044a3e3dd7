"""Conversations for `docent eval answers --conversations FILE`: each asked turn by turn over
the `answer` subscription, the later turns with the conversation's id (`AskInput.
conversationId`), and each follow-up judged twice: its answer (as a single question is,
`answers.judge`) and the standalone question docent searched for (`Answer.
standaloneQuestion`).

A conversations file is JSON lines, one conversation per line::

    {"id": "fu-halden-jury", "language": "en", "held_out": false, "turns": [
      {"question": "How much paid leave is given for moving house?",
       "answer_contains": ["1 day per year"], "document": "halden-leave-policy.pdf"},
      {"question": "And for jury service?", "kind": "ellipsis",
       "standalone_contains": ["paid leave", "jury service"],
       "standalone_absent": ["moving house"],
       "answer_contains": ["up to 10 days"], "document": "halden-leave-policy.pdf"}]}

- ``id`` (required, unique), ``language`` (ISO 639-1, for the breakdown), ``held_out``
  (boolean: not tuned on; reported apart), ``note`` (free text), ``turns`` (required, at
  least one; the first is the opening question).
- A turn holds the fields of a QA question (`qa.py`: ``question``, ``answer_contains``,
  ``answer_absent``, ``document``, ``page``, ``unanswerable``, ``refusal_ok``, ``kind``,
  ``dataset``, ``note``; its id is ``<id>#<n>``, its language the conversation's), and on
  a follow-up ``standalone_contains`` (phrases the standalone question must hold) and
  ``standalone_absent`` (phrases it must not: what an elliptical fragment replaced, or the
  old subject after a change of topic), compared as answers are (`metrics.normalise`).

A follow-up is *right* when both its answer is right (where the turn says what a right
answer is: ``answer_contains``, ``document`` or ``unanswerable``) and its standalone
question is (where the turn says what it must hold); a turn that says neither is not
counted. *False carry-over*: a follow-up of kind ``topic-switch`` (a new, whole question)
whose standalone question kept a ``standalone_absent`` phrase of the old subject.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from docent.client import DocentClient
from docent.evaluation.answers import Outcome, ask, judge
from docent.evaluation.beir import json_lines
from docent.evaluation.metrics import missing_items, percentile, present_items, ratio
from docent.evaluation.qa import (
    FIELDS,
    QAFileError,
    Question,
    check_ids,
    checked_id,
    checked_object,
    question_from,
    read_set,
)

CONVERSATION_FIELDS = frozenset({"id", "language", "turns", "held_out", "note"})
STANDALONE_FIELDS = ("standalone_contains", "standalone_absent")
#: A turn's fields: a QA record's but its id and language (the conversation's), and the
#: phrases its standalone question must or must not hold.
TURN_FIELDS = (FIELDS - {"id", "language"}) | frozenset(STANDALONE_FIELDS)
#: The kind of a follow-up that changes the subject: its standalone question is the false
#: carry-over figure's.
TOPIC_SWITCH = "topic-switch"
UNSPECIFIED = "unspecified"


@dataclass(frozen=True, slots=True)
class FollowUpTurn:
    """One turn: the question as a QA question, and what its standalone question holds."""

    question: Question
    standalone_contains: tuple[str, ...] = ()
    standalone_absent: tuple[str, ...] = ()

    @property
    def judges_standalone(self) -> bool:
        return bool(self.standalone_contains or self.standalone_absent)

    @property
    def judges_answer(self) -> bool:
        q = self.question
        return bool(q.answer_contains or q.document or q.unanswerable)


@dataclass(frozen=True, slots=True)
class ConversationCase:
    id: str
    language: str | None
    turns: tuple[FollowUpTurn, ...]
    held_out: bool = False


def _conversation(record: Any, where: str, default_id: str) -> ConversationCase:
    record = checked_object(record, where, CONVERSATION_FIELDS)
    raw_id = checked_id(record, where, default_id)
    language = record.get("language")
    if language is not None and (not isinstance(language, str) or not language.strip()):
        raise QAFileError(f'{where}: "language" must be a non-empty string')
    held_out = record.get("held_out", False)
    if not isinstance(held_out, bool):
        raise QAFileError(f'{where}: "held_out" must be true or false')
    turns = record.get("turns")
    if not isinstance(turns, list) or not turns:
        raise QAFileError(f'{where}: "turns" must be a list of at least one turn')
    cases: list[FollowUpTurn] = []
    for number, turn in enumerate(turns, start=1):
        at = f"{where}, turn {number}"
        if isinstance(turn, dict) and ("id" in turn or "language" in turn):
            raise QAFileError(f'{at}: a turn takes its "id" and "language" from the conversation')
        turn = checked_object(turn, at, TURN_FIELDS)
        phrases = {}
        for name in STANDALONE_FIELDS:
            value = turn.get(name, [])
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.strip() for v in value
            ):
                raise QAFileError(f'{at}: "{name}" must be a list of non-empty strings')
            if value and number == 1:
                raise QAFileError(f'{at}: the opening question has no "{name}"')
            phrases[name] = tuple(v.strip() for v in value)
        rest = {k: v for k, v in turn.items() if k not in STANDALONE_FIELDS}
        question = question_from(
            {**rest, "id": f"{raw_id}#{number}", "language": language}, at, f"{raw_id}#{number}"
        )
        cases.append(FollowUpTurn(question, phrases["standalone_contains"],
                                  phrases["standalone_absent"]))  # fmt: skip
    return ConversationCase(raw_id, language, tuple(cases), held_out)


def load_conversations(path: Path) -> list[ConversationCase]:
    """The conversations of a file in the format above. Raises QAFileError for a file that
    is missing, unreadable or not in the format, or an id used twice."""
    text = read_set(path)
    conversations = [
        _conversation(record, f"{path}:{number}", str(number))
        for number, record in json_lines(text.splitlines(), str(path), QAFileError)
    ]
    check_ids(path, [c.id for c in conversations], "conversations")
    return conversations


def standalone_verdict(
    turn: FollowUpTurn, standalone: str | None
) -> tuple[bool | None, list[str], list[str]]:
    """(right, missing phrases, present phrases) of a standalone question; right is None
    when the turn says nothing of it."""
    if not turn.judges_standalone:
        return None, [], []
    text = standalone or ""
    missing = missing_items(text, turn.standalone_contains)
    present = present_items(text, turn.standalone_absent)
    return not missing and not present, missing, present


@dataclass(slots=True)
class TurnOutcome:
    """A turn's answer (judged as a single question) and its standalone question's verdict."""

    conversation: ConversationCase
    number: int  # 1-based
    turn: FollowUpTurn
    outcome: Outcome
    standalone_right: bool | None = None
    standalone_missing: list[str] = field(default_factory=list)
    standalone_present: list[str] = field(default_factory=list)

    @property
    def follow_up(self) -> bool:
        return self.number > 1

    @property
    def answer_right(self) -> bool | None:
        if not self.turn.judges_answer:
            return None
        if self.turn.question.unanswerable:
            return self.outcome.refused
        return bool(self.outcome.correct) and self.outcome.cited is not False

    @property
    def right(self) -> bool | None:
        """Answer right and standalone question right, where the turn judges them."""
        verdicts = [v for v in (self.answer_right, self.standalone_right) if v is not None]
        return all(verdicts) if verdicts else None

    @property
    def carried_over(self) -> bool | None:
        """A change of topic that kept the old subject (None: not a change of topic)."""
        if self.turn.question.kind != TOPIC_SWITCH or not self.turn.standalone_absent:
            return None
        return bool(self.standalone_present)

    def reason(self) -> str | None:
        reasons = []
        if self.answer_right is False:
            o = self.outcome
            if o.error:
                reasons.append(f"error {o.error}")
            elif self.turn.question.unanswerable:
                reasons.append("answered (grounded) although unanswerable")
            elif not o.grounded:
                reasons.append("refused")
            else:
                if o.missing:
                    reasons.append("missing " + ", ".join(repr(m) for m in o.missing))
                if o.present:
                    reasons.append("has " + ", ".join(repr(p) for p in o.present))
                if o.cited is False:
                    reasons.append(f"does not cite {self.turn.question.document}")
        if self.standalone_missing:
            reasons.append(
                "standalone question lacks " + ", ".join(repr(m) for m in self.standalone_missing)
            )
        if self.standalone_present:
            reasons.append(
                "standalone question keeps " + ", ".join(repr(p) for p in self.standalone_present)
            )
        return "; ".join(reasons) or None

    def as_json(self) -> dict[str, Any]:
        return {
            "conversation": self.conversation.id,
            "turn": self.number,
            "held_out": self.conversation.held_out,
            **self.outcome.as_json(),
            "standalone_contains": list(self.turn.standalone_contains),
            "standalone_absent": list(self.turn.standalone_absent),
            "standalone_right": self.standalone_right,
            "answer_right": self.answer_right,
            "right": self.right,
            "carried_over": self.carried_over,
            "failure": self.reason() if self.right is False else None,
        }


async def run(
    client: DocentClient,
    conversations: Sequence[ConversationCase],
    document_ids: Mapping[str, str],
    *,
    top_k: int | None = None,
    progress: Progress | None = None,
) -> list[TurnOutcome]:
    """Ask each conversation's turns in order, one at a time, the later ones in the
    conversation the first started; `document_ids` maps a turn's question id to the id of
    the document it must cite."""
    total = sum(len(c.turns) for c in conversations)
    task = progress.add_task("conversations", total=total) if progress else None
    results: list[TurnOutcome] = []
    for conversation in conversations:
        conversation_id: str | None = None
        for number, turn in enumerate(conversation.turns, start=1):
            outcome = await ask(client, turn.question, top_k, conversation_id)
            conversation_id = outcome.conversation_id or conversation_id
            judge(outcome, document_ids.get(turn.question.id))
            right, missing, present = standalone_verdict(turn, outcome.standalone_question)
            results.append(
                TurnOutcome(conversation, number, turn, outcome, right, missing, present)
            )
            if progress is not None and task is not None:
                progress.advance(task)
    return results


@dataclass(frozen=True, slots=True)
class FollowUpFigures:
    follow_ups: int
    judged: int
    right: int
    standalone_judged: int
    standalone_right: int
    answer_judged: int
    answer_right: int
    topic_switches: int
    carried_over: int
    errors: int
    done_ms_p50: float | None

    @property
    def accuracy(self) -> float | None:
        return ratio(self.right, self.judged)

    def as_json(self) -> dict[str, Any]:
        return {
            "follow_ups": self.follow_ups,
            "judged": self.judged,
            "right": self.right,
            "accuracy": self.accuracy,
            "standalone_judged": self.standalone_judged,
            "standalone_right": self.standalone_right,
            "standalone_accuracy": ratio(self.standalone_right, self.standalone_judged),
            "answer_judged": self.answer_judged,
            "answer_right": self.answer_right,
            "answer_accuracy": ratio(self.answer_right, self.answer_judged),
            "topic_switches": self.topic_switches,
            "carried_over": self.carried_over,
            "errors": self.errors,
            "done_ms_p50": self.done_ms_p50,
        }


def follow_up_figures(turns: Sequence[TurnOutcome]) -> FollowUpFigures:
    """The figures of a group of turns (the follow-ups among them: every turn but the first
    of its conversation)."""
    later = [t for t in turns if t.follow_up]
    switches = [t for t in later if t.carried_over is not None]
    done = [t.outcome.done_ms for t in later if t.outcome.done_ms is not None]
    return FollowUpFigures(
        follow_ups=len(later),
        judged=sum(t.right is not None for t in later),
        right=sum(bool(t.right) for t in later),
        standalone_judged=sum(t.standalone_right is not None for t in later),
        standalone_right=sum(bool(t.standalone_right) for t in later),
        answer_judged=sum(t.answer_right is not None for t in later),
        answer_right=sum(bool(t.answer_right) for t in later),
        topic_switches=len(switches),
        carried_over=sum(bool(t.carried_over) for t in switches),
        errors=sum(t.outcome.error is not None for t in later),
        done_ms_p50=percentile(done, 0.5),
    )


GROUPS = {
    "language": lambda t: t.conversation.language,
    "kind": lambda t: t.turn.question.kind,
    "split": lambda t: "held-out" if t.conversation.held_out else "dev",
}


def _grouped(turns: Sequence[TurnOutcome], name: str) -> dict[str, FollowUpFigures]:
    key = GROUPS[name]
    groups: dict[str, list[TurnOutcome]] = {}
    for turn in turns:
        if turn.follow_up:
            groups.setdefault(key(turn) or UNSPECIFIED, []).append(turn)
    return {value: follow_up_figures(groups[value]) for value in sorted(groups)}


def first_turns(turns: Sequence[TurnOutcome]) -> tuple[int, int]:
    """(right, judged) of the opening questions: the answerer without any rewrite."""
    opening = [t for t in turns if not t.follow_up and t.answer_right is not None]
    return sum(bool(t.answer_right) for t in opening), len(opening)


def conversations_report(turns: Sequence[TurnOutcome], source: str) -> dict[str, Any]:
    """The `conversations` part of the JSON report: the follow-up figures overall and per
    language, kind and split (dev, held-out), the opening questions, and every turn."""
    right, judged = first_turns(turns)
    opening_ms = [t.outcome.done_ms for t in turns if not t.follow_up and t.outcome.done_ms]
    return {
        "file": source,
        "conversations": len({t.conversation.id for t in turns}),
        "summary": follow_up_figures(turns).as_json(),
        "first_turns": {
            "judged": judged,
            "right": right,
            "accuracy": ratio(right, judged),
            "done_ms_p50": percentile(opening_ms, 0.5),
        },
        **{
            f"by_{name}": {k: f.as_json() for k, f in _grouped(turns, name).items()}
            for name in GROUPS
        },
        "turns": [t.as_json() for t in turns],
    }


def _rate(right: int, of: int) -> str:
    value = ratio(right, of)
    return "n/a" if value is None else f"{value:.1%} ({right}/{of})"


def print_conversations(console: Console, turns: Sequence[TurnOutcome]) -> None:
    """Follow-up accuracy overall and per language, kind and split, beside the opening
    questions' accuracy; then the wrong follow-ups."""
    from docent.evaluation.report import SHOWN_FAILURES, _table

    columns = ("", "follow-ups", "right (answer and standalone)", "standalone right",
               "answer right", "false carry-over", "answer p50 ms")  # fmt: skip

    def row(name: str, f: FollowUpFigures) -> list[str]:
        carried = f"{f.carried_over}/{f.topic_switches}" if f.topic_switches else "n/a"
        p50 = "n/a" if f.done_ms_p50 is None else f"{f.done_ms_p50:.0f}"
        return [name, str(f.follow_ups), _rate(f.right, f.judged),
                _rate(f.standalone_right, f.standalone_judged),
                _rate(f.answer_right, f.answer_judged), carried, p50]  # fmt: skip

    table = _table("follow-ups", columns)
    table.add_row(*row("all", follow_up_figures(turns)))
    for name in GROUPS:
        for value, figures in _grouped(turns, name).items():
            table.add_row(*row(f"{name}: {value}", figures))
    console.print(table)
    right, judged = first_turns(turns)
    console.print(
        f"opening questions of the conversations answered right: {_rate(right, judged)}",
        highlight=False,
    )
    wrong = [t for t in turns if t.follow_up and t.right is False]
    if wrong:
        console.print(f"\n[bold]wrong follow-ups[/bold] ({len(wrong)})")
    for t in wrong[:SHOWN_FAILURES]:
        console.print(
            f"- {t.turn.question.id}: {t.turn.question.question!r} -> "
            f"{t.outcome.standalone_question!r}: {t.reason()}",
            markup=False, highlight=False,
        )  # fmt: skip
