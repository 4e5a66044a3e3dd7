"""What an answer is made of, and the events that stream it."""

from __future__ import annotations

from dataclasses import dataclass, field

from docent.domain import Hit
from docent.errors import ProviderFailure


@dataclass(frozen=True, slots=True)
class Source:
    """A passage given to the generator under a number, `[index]` in the answer text."""

    index: int
    hit: Hit


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens a model read and wrote (as the provider counts them)."""

    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class GenerationDone:
    """The last item of a generator's stream: who wrote the answer, at what cost."""

    model: str
    usage: Usage | None = None
    #: Generators skipped before this one answered, and why.
    fallbacks: tuple[ProviderFailure, ...] = ()


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
