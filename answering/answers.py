"""What an answer is made of, and the events that stream it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from docent.errors import ProviderFailure
from docent.roles import Source, Usage


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    citations: list[Source]
    grounded: bool
    model: str | None
    sources: list[Source] = field(default_factory=list)
    retrieval_ms: float = 0.0
    first_token_ms: float | None = None
    total_ms: float = 0.0
    usage: Usage | None = None
    cached: bool = False
    #: Providers skipped on the way to this answer (reranker or generator), and why.
    fallbacks: tuple[ProviderFailure, ...] = ()
    #: The conversation the answer belongs to, and its message in it (None outside one).
    conversation_id: str | None = None
    message_id: str | None = None
    #: The question docent searched for: the question, or a follow-up made standalone.
    standalone_question: str | None = None

    def evolve(self, **changes: object) -> Answer:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class AnswerSources:
    citations: list[Source]


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    text: str


@dataclass(frozen=True, slots=True)
class AnswerDone:
    answer: Answer


@dataclass(frozen=True, slots=True)
class AnswerFailed:
    code: str
    message: str
    retry_after: float | None = None  # RATE_LIMITED: seconds until a retry would pass


AnswerEvent = AnswerSources | AnswerDelta | AnswerDone | AnswerFailed
