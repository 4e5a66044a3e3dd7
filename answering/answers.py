"""What an answer is made of, and the events that stream it."""

from __future__ import annotations

from dataclasses import dataclass, field

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
