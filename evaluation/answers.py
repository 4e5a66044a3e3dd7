"""Each question of a QA set asked over the `answer` subscription, as a client asks it, and
judged: what the answer says, what it cites, whether it refused, and how long it took.

Latencies are the client's: from opening the WebSocket (handshake included) to the first
`AnswerDelta`, and to `AnswerDone`. The server's own timings are kept beside them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.progress import Progress
from websockets.exceptions import ConnectionClosed

from docent.client import DocentClient, GraphQLError
from docent.evaluation.gates import EvidenceLog, figure_of, gate_of
from docent.evaluation.metrics import missing_items, present_items
from docent.evaluation.qa import Question
from docent.evaluation.uploads import MAX_RETRY_AFTER_S

ANSWER = """subscription Answer($input: AskInput!) { answer(input: $input) {
  __typename
  ... on AnswerDelta { text }
  ... on AnswerError { code message retryAfter }
  ... on AnswerDone { answer { text grounded model cached conversationId messageId
      standaloneQuestion citations { index document { id filename } chunk { page pageEnd } }
      timings { retrievalMs firstTokenMs totalMs } fallbacks { provider code } } } } }"""


@dataclass(frozen=True, slots=True)
class Cited:
    document_id: str
    filename: str
    page: int | None
    page_end: int | None

    def covers(self, page: int) -> bool:
        if self.page is None:
            return False
        return self.page <= page <= (self.page_end or self.page)


@dataclass(slots=True)
class Outcome:
    """One question's answer and its verdicts. `correct` and `cited` are None where they do
    not apply (an unanswerable question; a question that names no document, or that was
    rightly refused); `missing` and `present` list the `answer_contains` items the answer
    lacks and the `answer_absent` items it has."""

    question: Question
    text: str = ""
    grounded: bool = False
    citations: list[Cited] = field(default_factory=list)
    error: str | None = None
    first_delta_ms: float | None = None
    done_ms: float | None = None
    server: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    cached: bool = False
    fallbacks: list[str] = field(default_factory=list)
    rate_limited_s: float = 0.0  # waited before the answer, as RATE_LIMITED's retryAfter said
    #: The conversation the question was a turn of, its answer's message, and the question
    #: docent searched for (as `Answer` gives them).
    conversation_id: str | None = None
    message_id: str | None = None
    standalone_question: str | None = None
    correct: bool | None = None
    missing: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    cited: bool | None = None
    #: The gate that refused the answer or the signal that grounded it, and the figure
    #: and floor it compared, as the server's log says (`gates.py`); None: not read.
    gate: str | None = None
    gate_figure: str = ""

    @property
    def refused(self) -> bool:
        """Said "not found" (an error is not a refusal)."""
        return self.error is None and not self.grounded

    def as_json(self) -> dict[str, Any]:
        return {
            **self.question.as_json(),
            "answer": self.text,
            "grounded": self.grounded,
            "refused": self.refused,
            "correct": self.correct,
            "missing": self.missing,
            "present": self.present,
            "cited": self.cited,
            "citations": [
                {"document": c.filename, "page": c.page, "page_end": c.page_end}
                for c in self.citations
            ],
            "error": self.error,
            "standalone_question": self.standalone_question,
            "conversation_id": self.conversation_id,
            "message_id": self.message_id,
            "first_delta_ms": self.first_delta_ms,
            "done_ms": self.done_ms,
            "server_timings": self.server,
            "model": self.model,
            "cached": self.cached,
            "fallbacks": self.fallbacks,
            "rate_limited_s": round(self.rate_limited_s, 2),
            "gate": self.gate,
            "gate_figure": self.gate_figure,
        }


def judge(outcome: Outcome, expected_document_id: str | None) -> None:
    """Set `correct`, `missing`, `present` and `cited` from the answer.

    - correct: the question is answerable, and either the answer is grounded and contains
      every `answer_contains` item and no `answer_absent` item, or it is a refusal and the
      question allows one (`refusal_ok`); no other refusal is a right answer;
    - cited: among the citations is the expected document (`expected_document_id`: the id
      docent gave the question's `document`), on the expected page when one is given.
    """
    q = outcome.question
    if q.needs_review:  # the expected answer is unknown: nothing to judge
        return
    if outcome.grounded:
        outcome.present = present_items(outcome.text, q.answer_absent)
    if q.unanswerable or outcome.error is not None:
        outcome.correct = None if q.unanswerable else False
        outcome.cited = None if q.unanswerable or q.document is None else False
        return
    if q.refusal_ok and outcome.refused:
        outcome.correct, outcome.cited = True, None
        return
    outcome.missing = missing_items(outcome.text, q.answer_contains)
    outcome.correct = outcome.grounded and not outcome.missing and not outcome.present
    if q.document is None:
        outcome.cited = None
        return
    outcome.cited = any(
        c.document_id == expected_document_id and (q.page is None or c.covers(q.page))
        for c in outcome.citations
    )


async def ask(
    client: DocentClient,
    question: Question,
    top_k: int | None = None,
    conversation_id: str | None = None,
) -> Outcome:
    """Ask one question (waiting out RATE_LIMITED as long as `retryAfter` says, up to an
    hour), as a turn of `conversation_id` when given (None: docent starts a conversation).
    An `AnswerError`, a GraphQL error or a connection closed mid-answer is the outcome's
    `error`; failing to connect raises OSError."""
    variables: dict[str, Any] = {"question": question.question}
    if top_k is not None:
        variables["topK"] = top_k
    if conversation_id is not None:
        variables["conversationId"] = conversation_id
    waited = 0.0
    while True:
        outcome = Outcome(question, rate_limited_s=waited)
        wait = await _stream(client, {"input": variables}, outcome)
        if wait is None:
            return outcome
        await asyncio.sleep(wait + 0.05)
        waited += wait + 0.05


async def _stream(
    client: DocentClient, variables: dict[str, Any], outcome: Outcome
) -> float | None:
    """Fill `outcome`; the seconds to wait before asking again when rate limited."""
    started = time.perf_counter()
    try:
        async for data in client.subscribe(ANSWER, variables):
            event = data["answer"]
            kind = event["__typename"]
            elapsed = (time.perf_counter() - started) * 1000
            if kind == "AnswerDelta" and outcome.first_delta_ms is None:
                outcome.first_delta_ms = elapsed
            elif kind == "AnswerError":
                wait = event.get("retryAfter")
                if (
                    event["code"] == "RATE_LIMITED"
                    and wait is not None
                    and wait <= MAX_RETRY_AFTER_S
                ):
                    return float(wait)
                outcome.error = f"{event['code']}: {event['message']}"
            elif kind == "AnswerDone":
                outcome.done_ms = elapsed
                _read_answer(event["answer"], outcome)
    except GraphQLError as exc:
        outcome.error = f"{exc.code or 'ERROR'}: {exc}"
    except ConnectionClosed as exc:
        outcome.error = f"CONNECTION_CLOSED: {exc}"
    if outcome.error is None and outcome.done_ms is None:
        outcome.error = "INCOMPLETE: the answer stream ended without AnswerDone"
    return None


def _read_answer(answer: Mapping[str, Any], outcome: Outcome) -> None:
    outcome.text = answer["text"]
    outcome.grounded = bool(answer["grounded"])
    outcome.model = answer["model"]
    outcome.cached = bool(answer["cached"])
    outcome.server = dict(answer["timings"])
    outcome.fallbacks = [f"{f['provider']}: {f['code']}" for f in answer["fallbacks"]]
    outcome.conversation_id = answer.get("conversationId")
    outcome.message_id = answer.get("messageId")
    outcome.standalone_question = answer.get("standaloneQuestion")
    outcome.citations = [
        Cited(c["document"]["id"], c["document"]["filename"], c["chunk"]["page"],
              c["chunk"]["pageEnd"])
        for c in answer["citations"]
    ]  # fmt: skip


async def run(
    client: DocentClient,
    questions: Sequence[Question],
    document_ids: Mapping[str, str],
    *,
    top_k: int | None = None,
    progress: Progress | None = None,
    evidence: EvidenceLog | None = None,
) -> list[Outcome]:
    """Ask `questions` one at a time (so that each latency is the server's alone) and judge
    each; `document_ids` maps a question id to the id of the document it must cite. With
    the server's `evidence` log, each outcome says which gate refused it or which signal
    grounded it (`gates.gate_of`)."""
    task = progress.add_task("questions", total=len(questions)) if progress else None
    outcomes: list[Outcome] = []
    for question in questions:
        since = evidence.mark() if evidence is not None else 0
        outcome = await ask(client, question, top_k)
        judge(outcome, document_ids.get(question.id))
        if evidence is not None:
            record = evidence.record_for(since, question.question, outcome.standalone_question)
            outcome.gate = gate_of(record, document_ids.get(question.id))
            outcome.gate_figure = figure_of(record, document_ids.get(question.id))
        outcomes.append(outcome)
        if progress is not None and task is not None:
            progress.advance(task)
    return outcomes
