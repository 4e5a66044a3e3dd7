"""Ask: retrieve, decide whether there is evidence (answering/grounding.py), generate from
numbered sources, cite."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from docent.answering.agreement import agreement_floor_for
from docent.answering.answers import (
    Answer,
    AnswerDelta,
    AnswerDone,
    AnswerEvent,
    AnswerFailed,
    AnswerSources,
)
from docent.answering.cache import AnswerCache
from docent.answering.citations import parse_citations
from docent.answering.conversation import Conversations
from docent.answering.gates import Verdict, log_evidence
from docent.answering.grounding import (
    cross_script_floor_for,
    find_evidence,
    lead_floor_for,
    leading_document,
)
from docent.answering.prompting import CHARS_PER_TOKEN, build_prompt
from docent.answering.refusals import not_found
from docent.answering.widening import SEARCHED, widened
from docent.domain import Access, Hit
from docent.errors import DocentError, ProviderFailure, RateLimited
from docent.roles import (
    Embedder,
    GenerationDone,
    Generator,
    Source,
    Usage,
    cross_language_floor,
    embedder_languages,
    similarity_floor,
)
from docent.search.retrieval import (
    Retriever,
    SearchMode,
    SearchRequest,
    checked_text,
    checked_top_k,
)
from docent.settings import SearchSettings

NO_GENERATOR = "Answer generation is turned off (DOCENT_GENERATOR=none); the sources are below."
MAX_SOURCES = 20


@dataclass(frozen=True, slots=True)
class AskRequest:
    question: str
    top_k: int = 5
    document_ids: tuple[str, ...] | None = None
    mode: SearchMode = SearchMode.HYBRID
    #: Continue this conversation (None: start a new one, when conversations are kept).
    conversation_id: str | None = None
    #: Only passages of documents carrying all of these tags (empty: no tag filter).
    tags: tuple[str, ...] = ()


class AnswerService:
    def __init__(
        self,
        retriever: Retriever,
        generator: Generator | None,
        settings: SearchSettings,
        *,
        max_question_chars: int,
        context_tokens: int = 6000,
        cache: AnswerCache | None = None,
        embedder: Embedder | None = None,
        conversations: Conversations | None = None,
    ) -> None:
        """With `conversations`, every question is a turn of a conversation: a follow-up is
        searched for as its standalone question, which the cache keys on too."""
        self._retriever = retriever
        self._conversations = conversations
        self._generator = generator
        self._writers = list(getattr(generator, "members", [generator]))
        self._settings = settings
        self._max_question_chars = max_question_chars
        #: The prompt's budget for sources (DOCENT_CONTEXT_TOKENS), in characters.
        self._context_chars = context_tokens * CHARS_PER_TOKEN
        self._cache = cache if embedder is not None else None
        self._embedder = embedder
        # DOCENT_MIN_RELEVANCE overrides the floor measured for the embedder.
        self._similarity_floor = (
            settings.min_relevance
            if settings.min_relevance is not None
            else similarity_floor(embedder)
            if embedder is not None
            else None
        )
        self._cross_language_floor = (
            cross_language_floor(embedder) if embedder is not None else None
        )
        self._languages = embedder_languages(embedder) if embedder is not None else None
        self._cross_script_floor = (
            cross_script_floor_for(embedder.model) if embedder is not None else None
        )
        self._lead_floor = lead_floor_for(embedder.model) if embedder is not None else None
        self._agreement_floor = (
            agreement_floor_for(embedder.model) if embedder is not None else None
        )

    @property
    def generates_remotely(self) -> bool:
        """Whether an answer asked now is written by a provider (`remote`): the chain's
        first member that would be tried (`available`: its circuit is not open) is one;
        the process then waits for the text rather than making it (api/admission.py gives
        the answer's slot back at its sources). False once a provider is skipped for a
        local member: fixed from the chain's first member, an attacker who broke the
        provider's quota had every answer written on the loop without a slot."""
        for member in self._writers:
            if not getattr(member, "remote", False):
                return False
            if getattr(member, "available", True):
                return True
        return False

    async def delete_conversation(self, owner: str, conversation_id: str) -> bool:
        """Delete the owner's conversation: its messages, their feedback, and the answers
        the cache keeps from it. False when the owner has no such conversation."""
        if self._conversations is None:
            return False
        if not await self._conversations.delete(owner, conversation_id):
            return False
        if self._cache is not None:
            await self._cache.forget_conversation(owner, conversation_id)
        return True

    async def ask(
        self,
        owner: str | Access,
        request: AskRequest,
        *,
        on_sources: Callable[[], object] | None = None,
    ) -> Answer:
        """The whole answer at once (the `ask` query); `on_sources` is called once its
        sources are found. Raises `DocentError`."""
        async for event in self._events(owner, request):
            if isinstance(event, AnswerSources) and on_sources is not None:
                on_sources()
            if isinstance(event, AnswerDone):
                return event.answer
        raise RuntimeError("answer stream ended without an answer")

    async def stream(self, owner: str | Access, request: AskRequest) -> AsyncIterator[AnswerEvent]:
        """Sources first, then text deltas, then the finished answer, or `AnswerFailed`."""
        try:
            async for event in self._events(owner, request):
                yield event
        except DocentError as exc:
            wait = exc.retry_after if isinstance(exc, RateLimited) else None
            yield AnswerFailed(exc.code.value, exc.message, wait)

    def _question(self, request: AskRequest) -> str:
        question = checked_text(request.question, "question", max_chars=self._max_question_chars)
        checked_top_k(request.top_k, MAX_SOURCES)
        return question

    async def _events(
        self, reader: str | Access, request: AskRequest
    ) -> AsyncIterator[AnswerEvent]:
        question = self._question(request)
        access = Access.of(reader)
        if self._conversations is None:
            async for event in self._answer(access, request, question):
                yield event
            return
        turn = await self._conversations.begin(access, request.conversation_id, question)
        rewrite = turn.rewrite
        assert rewrite is not None
        if len(rewrite.question) > self._max_question_chars:
            # A question near the limit with its referent added: searched as asked, not
            # refused on a field the client never sent (a tester's conversation of long
            # turns got "the query is longer than 4000 characters" from then on).
            rewrite = turn.rewrite = replace(rewrite, question=question)
        history = [(t.question, t.answer) for t in turn.history]
        async for event in self._answer(
            access,
            request,
            rewrite.question,
            history=history,
            started=turn.started,
            conversation_id=turn.conversation.id,
        ):
            if isinstance(event, AnswerDone):
                answer = event.answer.evolve(
                    usage=add_usage(event.answer.usage, rewrite.usage),
                    fallbacks=rewrite.fallbacks + event.answer.fallbacks,
                )
                event = AnswerDone(await self._conversations.finish(turn, question, answer))
            yield event

    def _in_document(
        self, access: Access, request: AskRequest, question: str
    ) -> Callable[[str], Awaitable[Sequence[Hit]]]:
        """A search for `question` in one document of the request's scope (widening.py)."""

        async def search(document_id: str) -> Sequence[Hit]:
            outcome = await self._retriever.search(
                access,
                SearchRequest(
                    query=question,
                    mode=request.mode,
                    top_k=SEARCHED,
                    document_ids=(document_id,),
                    tags=request.tags,
                ),
            )
            return outcome.hits

        return search

    async def _answer(
        self,
        access: Access,
        request: AskRequest,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        started: float | None = None,
        conversation_id: str | None = None,
    ) -> AsyncIterator[AnswerEvent]:
        """Answer `question` (standalone), the earlier turns of its conversation in
        `history` (question, answer) for the generator's reference."""
        started = time.perf_counter() if started is None else started
        owner = access.owner
        cache_key: tuple[str, str, np.ndarray] | None = None
        if self._cache is not None and self._embedder is not None:
            generation = await self._cache.generation(access)
            scope = _scope(request, self._embedder.model)
            # Case and end punctuation do not change a question (small models think so).
            vector = await self._embedder.embed_query(question.casefold().strip(" ?!.;:"))
            cached = await self._cache.lookup(owner, generation, scope, vector)
            if cached is not None:
                elapsed = (time.perf_counter() - started) * 1000
                yield AnswerSources(citations=cached.sources)
                yield AnswerDelta(text=cached.text)
                yield AnswerDone(
                    replace(cached, retrieval_ms=elapsed, first_token_ms=elapsed, total_ms=elapsed)
                )
                return
            cache_key = (generation, scope, vector)
        outcome = await self._retriever.search(
            access,
            SearchRequest(
                query=question,
                mode=request.mode,
                top_k=request.top_k,
                document_ids=request.document_ids,
                tags=request.tags,
                rerank=self._retriever.reranks,
            ),
            need_similarity=True,
        )
        retrieval_ms = (time.perf_counter() - started) * 1000
        timing = _Timing(started, retrieval_ms)
        evidence = find_evidence(
            question,
            outcome.hits,
            similarity_floor=self._similarity_floor,
            rerank_floor=outcome.rerank_floor,
            cross_language_floor=self._cross_language_floor,
            languages=self._languages,
            cross_script_floor=self._cross_script_floor,
            lead=leading_document(question, outcome.semantic_documents),
            lead_floor=self._lead_floor,
            closest=outcome.semantic_documents[0][2] if outcome.semantic_documents else None,
            agreement_floor=self._agreement_floor,
        )
        log_evidence(
            question,
            evidence.signal,
            evidence.verdicts,
            Verdict(None, evidence.hit.semantic_score, None, evidence.hit.chunk.document_id)
            if evidence.hit is not None
            else None,
        )
        answer: Answer
        if not evidence.found:
            # No evidence: no model is asked.
            yield AnswerSources(citations=[])
            answer = _finish(not_found(question), [], None, timing, fallbacks=outcome.fallbacks)
        else:
            hits = await widened(
                question, outcome.hits, self._in_document(access, request, question)
            )
            sources = [Source(index=i, hit=hit) for i, hit in enumerate(hits, start=1)]
            yield AnswerSources(citations=sources)
            if self._generator is None:
                answer = _finish(NO_GENERATOR, sources, None, timing, fallbacks=outcome.fallbacks)
            else:
                parts: list[str] = []
                done: GenerationDone | None = None
                prompt = build_prompt(
                    question, sources, max_chars=self._context_chars, history=history
                )
                async for item in self._generator.stream(prompt):
                    if isinstance(item, GenerationDone):
                        done = item
                        continue
                    if not item:
                        continue
                    if timing.first_token_ms is None:
                        timing.first_token_ms = (time.perf_counter() - started) * 1000
                    parts.append(item)
                    yield AnswerDelta(text=item)
                answer = _finish(
                    "".join(parts).strip() or not_found(question),
                    sources,
                    done.model if done else self._generator.model,
                    timing,
                    usage=done.usage if done else None,
                    fallbacks=outcome.fallbacks + (done.fallbacks if done else ()),
                )
        # Kept before it is sent (`ask` stops reading at AnswerDone). A degraded answer is
        # not kept: the better provider may be back next time.
        if cache_key is not None and self._cache is not None and not answer.fallbacks:
            await self._cache.store(owner, *cache_key, answer, conversation_id=conversation_id)
        yield AnswerDone(answer)


@dataclass(slots=True)
class _Timing:
    started: float
    retrieval_ms: float
    first_token_ms: float | None = None


def add_usage(first: Usage | None, second: Usage | None) -> Usage | None:
    """Two calls' tokens together (a count neither call reported stays None)."""
    if first is None or second is None:
        return first or second

    def both(a: int | None, b: int | None) -> int | None:
        return None if a is None and b is None else (a or 0) + (b or 0)

    return Usage(
        both(first.input_tokens, second.input_tokens),
        both(first.output_tokens, second.output_tokens),
    )


def _scope(request: AskRequest, model: str) -> str:
    """What besides the question decides an answer: cached answers match on it exactly.
    The embedding model is part of it: questions embedded by another model (before a
    `docent reindex` to it) are not comparable."""
    ids = sorted(set(request.document_ids)) if request.document_ids is not None else None
    # JSON: no id or tag can make two filters one key (either may hold `,` or `|`).
    filters = json.dumps([ids, sorted(set(request.tags))])
    return f"{model}|{request.mode.value}|{request.top_k}|{filters}"


def _finish(
    text: str,
    sources: list[Source],
    model: str | None,
    timing: _Timing,
    *,
    usage: Usage | None = None,
    fallbacks: tuple[ProviderFailure, ...] = (),
) -> Answer:
    citations = parse_citations(text, sources)
    return Answer(
        text=text,
        citations=citations,
        grounded=bool(citations),
        model=model,
        sources=sources,
        retrieval_ms=timing.retrieval_ms,
        first_token_ms=timing.first_token_ms,
        total_ms=(time.perf_counter() - timing.started) * 1000,
        usage=usage,
        fallbacks=fallbacks,
    )
