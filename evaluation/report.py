"""What `docent eval` prints and writes: the figures of a run, overall and broken down, as
Markdown tables (readable in a terminal, pasted as they are into BENCHMARKS.md) and as a
JSON report that keeps every question's or query's outcome.

Answer figures (`Figures`), over the questions of a group:

- accuracy: right answers / answerable questions (`answers.judge` says what is right);
- citation accuracy: answers citing the expected document (and page) / answerable
  questions that name a document (less those rightly refused, `refusal_ok`);
- refusal precision and recall: `metrics.Refusals`; "unanswerable grounded" counts the
  unanswerable questions that got a grounded answer;
- latency: p50 and p95 of the client's time to the first text and to the whole answer,
  in milliseconds, over the questions that got there;
- needs review: questions whose right answer is not known (`needs_review`, exported from
  answers rated DOWN): asked, listed with their answers, and left out of every rate above.

A rate over nothing is None in the JSON report and "n/a" in the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from docent.evaluation.answers import Outcome
from docent.evaluation.gates import gate_table
from docent.evaluation.metrics import Refusals, percentile, ratio, refusals
from docent.evaluation.retrieval import ModeResult

#: The JSON report's format; a reader checks it before reading the rest.
FORMAT_VERSION = 1
UNSPECIFIED = "unspecified"
#: Failures listed in the terminal (the JSON report has them all).
SHOWN_FAILURES = 40


@dataclass(frozen=True, slots=True)
class Figures:
    questions: int
    answerable: int
    correct: int
    with_document: int
    cited: int
    refusals: Refusals
    unanswerable_grounded: int
    errors: int
    first_delta_ms: tuple[float | None, float | None]  # p50, p95
    done_ms: tuple[float | None, float | None]
    needs_review: int = 0

    @property
    def accuracy(self) -> float | None:
        return ratio(self.correct, self.answerable)

    @property
    def citation_accuracy(self) -> float | None:
        return ratio(self.cited, self.with_document)

    def as_json(self) -> dict[str, Any]:
        return {
            "questions": self.questions,
            "answerable": self.answerable,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "with_document": self.with_document,
            "cited": self.cited,
            "citation_accuracy": self.citation_accuracy,
            "unanswerable": self.refusals.must,
            "refused": self.refusals.refused,
            "refused_unanswerable": self.refusals.refused_must,
            "refused_refusal_ok": self.refusals.refused_may,
            "refusal_precision": self.refusals.precision,
            "refusal_recall": self.refusals.recall,
            "unanswerable_grounded": self.unanswerable_grounded,
            "errors": self.errors,
            "needs_review": self.needs_review,
            "first_delta_ms": {"p50": self.first_delta_ms[0], "p95": self.first_delta_ms[1]},
            "done_ms": {"p50": self.done_ms[0], "p95": self.done_ms[1]},
        }


def _quantiles(values: Iterable[float | None]) -> tuple[float | None, float | None]:
    present = [v for v in values if v is not None]
    return percentile(present, 0.5), percentile(present, 0.95)


def figures(outcomes: Sequence[Outcome]) -> Figures:
    """The figures of a group of judged outcomes."""
    asked = len(outcomes)
    review = [o for o in outcomes if o.question.needs_review]
    outcomes = [o for o in outcomes if not o.question.needs_review]
    answerable = [o for o in outcomes if not o.question.unanswerable]
    return Figures(
        questions=asked,
        answerable=len(answerable),
        correct=sum(bool(o.correct) for o in answerable),
        with_document=sum(o.cited is not None for o in answerable),
        cited=sum(bool(o.cited) for o in answerable),
        refusals=refusals(
            (o.question.unanswerable, o.question.refusal_ok, o.refused) for o in outcomes
        ),
        unanswerable_grounded=sum(
            o.question.unanswerable and o.error is None and o.grounded for o in outcomes
        ),
        errors=sum(o.error is not None for o in outcomes),
        first_delta_ms=_quantiles(o.first_delta_ms for o in outcomes),
        done_ms=_quantiles(o.done_ms for o in outcomes),
        needs_review=len(review),
    )


BREAKDOWNS: dict[str, Callable[[Outcome], str | None]] = {
    "language": lambda o: o.question.language,
    "file_type": lambda o: o.question.file_type,
    "kind": lambda o: o.question.kind,
}


def breakdown(
    outcomes: Sequence[Outcome], key: Callable[[Outcome], str | None]
) -> dict[str, Figures]:
    """Figures per value of `key` (questions without one: "unspecified"), sorted by value."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(key(outcome) or UNSPECIFIED, []).append(outcome)
    return {name: figures(groups[name]) for name in sorted(groups)}


def failure(outcome: Outcome) -> str | None:
    """Why a question counts against docent, in a few words; None when it does not."""
    q = outcome.question
    if outcome.error is not None:
        return f"error {outcome.error}"
    if q.needs_review:
        return None
    says = ", ".join(repr(p) for p in outcome.present)
    if q.unanswerable:
        if outcome.grounded:
            return "answered (grounded) although unanswerable" + (f", with {says}" if says else "")
        return None
    if not outcome.grounded:
        return None if q.refusal_ok else "refused"
    reasons = []
    if outcome.missing:
        reasons.append("missing " + ", ".join(repr(m) for m in outcome.missing))
    if outcome.present:
        reasons.append(f"has {says}")
    if outcome.cited is False:
        cited = ", ".join(
            dict.fromkeys(
                c.filename + (f" p.{c.page}" if c.page else "") for c in outcome.citations
            )
        )
        wanted = (q.document or "") + (f" p.{q.page}" if q.page else "")
        reasons.append(f"cites {cited or 'nothing'}, not {wanted}")
    return "; ".join(reasons) or None


def answers_report(outcomes: Sequence[Outcome], about: dict[str, Any]) -> dict[str, Any]:
    """The JSON report of an answers run: `about` (what was measured) and its figures,
    overall, per language, file type and kind, then every question's outcome."""
    return {
        "format": FORMAT_VERSION,
        "kind": "answers",
        **about,
        "models": sorted({o.model for o in outcomes if o.model}),
        "summary": figures(outcomes).as_json(),
        **{
            f"by_{name}": {k: f.as_json() for k, f in breakdown(outcomes, key).items()}
            for name, key in BREAKDOWNS.items()
        },
        "questions": [{**o.as_json(), "failure": failure(o)} for o in outcomes],
        "gates": gates(outcomes),
    }


def gates(outcomes: Sequence[Outcome]) -> dict[str, dict[str, dict[str, int]]]:
    """Per gate, the answerable and unanswerable questions it refused; per signal, those
    it grounded (`evaluation/gates.py`); empty when no outcome says (`--url`)."""
    rows = [
        (o.gate, o.question.unanswerable, o.refused)
        for o in outcomes
        if o.gate is not None and o.error is None and not o.question.needs_review
    ]
    return gate_table(rows) if rows else {}


def retrieval_report(results: Sequence[ModeResult], about: dict[str, Any]) -> dict[str, Any]:
    """The JSON report of a retrieval run: per mode its figures and every query's."""
    return {
        "format": FORMAT_VERSION,
        "kind": "retrieval",
        **about,
        "modes": {r.mode: r.as_json() for r in results},
    }


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _ms(pair: tuple[float | None, float | None]) -> str:
    return " / ".join("n/a" if v is None else f"{v:.0f}" for v in pair)


def _table(title: str, columns: Sequence[str]) -> Table:
    table = Table(title=title, box=box.MARKDOWN, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column)
    return table


_COLUMNS = ("", "questions", "accuracy", "citations", "refusal precision", "refusal recall",
            "errors", "first text p50 / p95 ms", "answer p50 / p95 ms")  # fmt: skip


def _row(name: str, f: Figures) -> list[str]:
    return [
        name,
        str(f.questions),
        f"{_rate(f.accuracy)} ({f.correct}/{f.answerable})",
        f"{_rate(f.citation_accuracy)} ({f.cited}/{f.with_document})",
        f"{_rate(f.refusals.precision)} ({f.refusals.refused_must + f.refusals.refused_may}"
        f"/{f.refusals.refused})",
        f"{_rate(f.refusals.recall)} ({f.refusals.refused_must}/{f.refusals.must})",
        str(f.errors),
        _ms(f.first_delta_ms),
        _ms(f.done_ms),
    ]


def print_answers(console: Console, outcomes: Sequence[Outcome]) -> None:
    """The figures overall and per language, file type and kind, then the failures."""
    overall = figures(outcomes)
    table = _table("answers", _COLUMNS)
    table.add_row(*_row("all", overall))
    console.print(table)
    for name, key in BREAKDOWNS.items():
        table = _table(f"by {name.replace('_', ' ')}", _COLUMNS)
        for value, group in breakdown(outcomes, key).items():
            table.add_row(*_row(value, group))
        console.print(table)
    console.print(
        f"unanswerable questions answered as grounded: {overall.unanswerable_grounded}",
        highlight=False,
    )
    for name, counted in gates(outcomes).items():
        table = _table(name.replace("_", " "), ("", "answerable", "unanswerable"))
        for label, n in counted.items():
            table.add_row(label, str(n["answerable"]), str(n["unanswerable"]))
        console.print(table)
    review = [o for o in outcomes if o.question.needs_review]
    if review:
        console.print(f"\n[bold]needs review[/bold] ({len(review)}: the right answer is not known)")
    for outcome in review[:SHOWN_FAILURES]:
        answer = " ".join(outcome.text.split())[:200] or "(no answer)"
        console.print(
            f"- {outcome.question.id}: {outcome.question.question} -> {answer}",
            markup=False, highlight=False,
        )  # fmt: skip
    failures = [(o, why) for o in outcomes if (why := failure(o))]
    if failures:
        console.print(f"\n[bold]failures[/bold] ({len(failures)})")
    for outcome, why in failures[:SHOWN_FAILURES]:
        if why == "refused" and outcome.gate is not None:
            why = f"refused by {outcome.gate} {outcome.gate_figure}".rstrip()
        console.print(f"- {outcome.question.id}: {why}", markup=False, highlight=False)
    if len(failures) > SHOWN_FAILURES:
        console.print(f"- ... {len(failures) - SHOWN_FAILURES} more in the JSON report (--json)")


def print_retrieval(console: Console, results: Sequence[ModeResult], title: str) -> None:
    """One row per mode: nDCG@10, recall@100, the client's p50 and p95, the server's p50."""
    table = _table(title, ("mode", "nDCG@10", "recall@100", "p50 ms", "p95 ms", "server p50 ms"))
    for result in results:
        s = result.summary()
        table.add_row(
            result.mode,
            *("n/a" if s[k] is None else f"{s[k]:.4f}" for k in ("ndcg@10", "recall@100")),
            *(
                "n/a" if s[k] is None else f"{s[k]:.1f}"
                for k in ("p50_ms", "p95_ms", "server_p50_ms")
            ),
        )
    console.print(table)
