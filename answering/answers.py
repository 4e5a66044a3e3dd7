"""What an answer is made of, and the events that stream it."""

from __future__ import annotations

from dataclasses import dataclass, field

from docent.domain import Hit


@dataclass(frozen=True, slots=True)
class Source:
    """A passage given to the generator under a number, `[index]` in the answer text."""

    index: int
    hit: Hit


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


AnswerEvent = AnswerSources | AnswerDelta | AnswerDone | AnswerFailed
