"""Ask: retrieve, decide whether there is evidence, generate from numbered sources, cite."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from docent.answering.answers import (
    Answer,
    AnswerDelta,
    AnswerDone,
    AnswerEvent,
    AnswerFailed,
    AnswerSources,
    Source,
)
from docent.answering.citations import parse_citations
from docent.answering.generators import Generator
from docent.errors import DocentError, InvalidInput
from docent.search.retrieval import Retriever, SearchMode, SearchRequest
from docent.settings import SearchSettings

NOT_FOUND = "I could not find an answer to this question in your documents."
NO_GENERATOR = "Answer generation is turned off (DOCENT_GENERATOR=none); the sources are below."
MAX_SOURCES = 20


@dataclass(frozen=True, slots=True)
class AskRequest:
    question: str
    top_k: int = 5
    document_ids: tuple[str, ...] | None = None
    mode: SearchMode = SearchMode.HYBRID


class AnswerService:
    def __init__(
        self,
        retriever: Retriever,
        generator: Generator | None,
        settings: SearchSettings,
        *,
        max_question_chars: int,
    ) -> None:
        self._retriever = retriever
        self._generator = generator
        self._settings = settings
        self._max_question_chars = max_question_chars

    async def ask(self, owner: str, request: AskRequest) -> Answer:
        """The whole answer at once (the `ask` query). Raises `DocentError`."""
        async for event in self._events(owner, request):
            if isinstance(event, AnswerDone):
                return event.answer
        raise RuntimeError("answer stream ended without an answer")

    async def stream(self, owner: str, request: AskRequest) -> AsyncIterator[AnswerEvent]:
        """Sources first, then text deltas, then the finished answer, or `AnswerFailed`."""
        try:
            async for event in self._events(owner, request):
                yield event
        except DocentError as exc:
            yield AnswerFailed(exc.code.value, exc.message)

    async def _events(self, owner: str, request: AskRequest) -> AsyncIterator[AnswerEvent]:
        started = time.perf_counter()
        question = " ".join(request.question.split())
        if not question:
            raise InvalidInput("the question is empty", field="question")
        if len(question) > self._max_question_chars:
            raise InvalidInput(
                f"the question is longer than {self._max_question_chars} characters",
                field="question",
            )
        if not 1 <= request.top_k <= MAX_SOURCES:
            raise InvalidInput(f"topK must be between 1 and {MAX_SOURCES}", field="topK")
        outcome = await self._retriever.search(
            owner,
            SearchRequest(
                query=question,
                mode=request.mode,
                top_k=request.top_k,
                document_ids=request.document_ids,
            ),
            need_similarity=True,
        )
        retrieval_ms = (time.perf_counter() - started) * 1000
        relevant = (
            outcome.best_similarity is not None
            and outcome.best_similarity >= self._settings.min_relevance
        )
        if not relevant or not outcome.hits:
            yield AnswerSources(citations=[])
            yield AnswerDone(self._finish(NOT_FOUND, [], None, started, retrieval_ms, None))
            return
        sources = [Source(index=i, hit=hit) for i, hit in enumerate(outcome.hits, start=1)]
        yield AnswerSources(citations=sources)
        if self._generator is None:
            yield AnswerDone(self._finish(NO_GENERATOR, sources, None, started, retrieval_ms, None))
            return
        parts: list[str] = []
        first_token_ms: float | None = None
        async for delta in self._generator.stream(question, sources):
            if not delta:
                continue
            if first_token_ms is None:
                first_token_ms = (time.perf_counter() - started) * 1000
            parts.append(delta)
            yield AnswerDelta(text=delta)
        text = "".join(parts).strip() or NOT_FOUND
        yield AnswerDone(
            self._finish(
                text, sources, self._generator.model, started, retrieval_ms, first_token_ms
            )
        )

    @staticmethod
    def _finish(
        text: str,
        sources: list[Source],
        model: str | None,
        started: float,
        retrieval_ms: float,
        first_token_ms: float | None,
    ) -> Answer:
        citations = parse_citations(text, sources)
        return Answer(
            text=text,
            citations=citations,
            grounded=bool(citations),
            model=model,
            sources=sources,
            retrieval_ms=retrieval_ms,
            first_token_ms=first_token_ms,
            total_ms=(time.perf_counter() - started) * 1000,
        )
