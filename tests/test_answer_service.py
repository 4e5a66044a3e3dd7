"""The answer service (answering/service.py) with a scripted retriever and generator: question
checks, the not-found gate, the answer stream and what the answer carries, failures, and the
answer-cache path (a real `AnswerCache` on a real Redis)."""

from __future__ import annotations

import asyncio
import re
import uuid
import zlib
from collections.abc import AsyncIterator, Sequence

import numpy as np
import pytest
from redis.asyncio import Redis

from docent.answering.answers import (
    Answer,
    AnswerDelta,
    AnswerDone,
    AnswerEvent,
    AnswerFailed,
    AnswerSources,
)
from docent.answering.cache import AnswerCache
from docent.answering.prompting import CHARS_PER_TOKEN, build_prompt
from docent.answering.refusals import NOT_FOUND
from docent.answering.service import (
    MAX_SOURCES,
    NO_GENERATOR,
    AnswerService,
    AskRequest,
)
from docent.domain import Access, Chunk, Hit
from docent.errors import (
    DocentError,
    InvalidInput,
    ProviderAuth,
    ProviderFailure,
    ProviderUnavailable,
    RateLimited,
    SearchUnavailable,
)
from docent.providers.chains import GeneratorChain
from docent.providers.generation import ProviderGenerator
from docent.providers.resilience import CircuitBreaker, Resilient, RetryPolicy
from docent.redis_keys import RedisKeys
from docent.roles import GenerationDone, Prompt, Source, Usage
from docent.search.retrieval import SearchMode, SearchOutcome, SearchRequest
from docent.settings import SearchSettings

QUESTION = "How long do refunds take?"
TEXTS = ("Refunds take ten days.", "Keep the receipt.", "Shipping is free for members.")
#: Passages holding none of QUESTION's terms: only their similarity can ground an answer.
#: Each holds a figure: QUESTION asks for a duration, and a passage stating no number is
#: no evidence however similar (NO_VALUE).
OFF_TOPIC = ("Parking is free on Sundays after 2 pm.", "The canteen opens at noon for 90 minutes.")
NO_VALUE = ("Parking is free on Sundays.", "The canteen opens at noon.")
RERANKER_DOWN = ProviderFailure("cohere", "PROVIDER_UNAVAILABLE", "cohere is down")
GEMINI_DOWN = ProviderFailure("gemini", "PROVIDER_UNAVAILABLE", "gemini is down")


def hit(n: int, text: str, similarity: float | None = 0.8) -> Hit:
    chunk = Chunk(id=f"c{n}", document_id=f"d{n}", ordinal=0, text=text, page=n)
    return Hit(chunk=chunk, document_title=f"Doc {n}", score=1 / n, semantic_score=similarity)


def numbered(texts: Sequence[str] = TEXTS, similarity: float | None = 0.8) -> list[Source]:
    """The sources the service makes of hits for `texts`: numbered from 1 in rank order."""
    return [Source(index=n, hit=hit(n, t, similarity)) for n, t in enumerate(texts, start=1)]


def outcome(
    texts: Sequence[str] = TEXTS,
    best: float | None = 0.8,
    fallbacks: tuple[ProviderFailure, ...] = (),
) -> SearchOutcome:
    """Hits for `texts`, each with cosine similarity `best` to the question."""
    hits = [hit(n, t, best) for n, t in enumerate(texts, start=1)]
    return SearchOutcome(hits=hits, took_ms=1.0, best_similarity=best, fallbacks=fallbacks)


class ScriptedRetriever:
    """Answers every search with one outcome (or raises one error); records the searches."""

    def __init__(self, result: SearchOutcome | DocentError, *, reranks: bool = False) -> None:
        self._result = result
        self.reranks = reranks
        self.searches: list[tuple[str | Access, SearchRequest, bool]] = []

    async def search(
        self, owner: str | Access, request: SearchRequest, *, need_similarity: bool = False
    ) -> SearchOutcome:
        self.searches.append((owner, request, need_similarity))
        if isinstance(self._result, DocentError):
            raise self._result
        return self._result


class ScriptedGenerator:
    """Streams its script on every call: text deltas and `GenerationDone` are yielded, an
    error is raised where it stands. Records the prompts."""

    def __init__(
        self, script: Sequence[str | GenerationDone | DocentError], model: str = "scripted"
    ) -> None:
        self.model = model
        self._script = list(script)
        self.prompts: list[Prompt] = []

    async def stream(self, prompt: Prompt) -> AsyncIterator[str | GenerationDone]:
        self.prompts.append(prompt)
        for item in self._script:
            if isinstance(item, DocentError):
                raise item
            yield item


class BagOfWords:
    """Hashed bag-of-words vectors: the same words give the same vector. Records queries."""

    model, dimension = "bag-of-words", 64

    def __init__(self) -> None:
        self.queries: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        vector = np.full(self.dimension, 0.01, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            vector[zlib.crc32(word.encode()) % self.dimension] += 1
        return vector / np.linalg.norm(vector)

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])

    async def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return self._vector(text)

    async def aclose(self) -> None:
        pass


#: A generator's answer citing sources 1 and 2, and 9, which names no source.
ANSWERED = [
    "Refunds take",
    "",
    " ten days [1]",
    " and need a receipt [2] [9].",
    GenerationDone("m"),
]


def service(
    retriever: ScriptedRetriever,
    generator: ScriptedGenerator | GeneratorChain | None = None,
    *,
    min_relevance: float = 0.35,
    context_tokens: int = 6000,
    cache: AnswerCache | None = None,
    embedder: BagOfWords | None = None,
) -> AnswerService:
    settings = SearchSettings(
        candidates=10, rrf_k=20, keyword_weight=0.6, min_relevance=min_relevance
    )
    return AnswerService(
        retriever,  # type: ignore[arg-type]  # a fake: only `search` and `reranks` are used
        generator,
        settings,
        max_question_chars=50,
        context_tokens=context_tokens,
        cache=cache,
        embedder=embedder,
    )


async def events(
    answers: AnswerService, request: AskRequest, reader: str | Access = "alice"
) -> list[AnswerEvent]:
    return [event async for event in answers.stream(reader, request)]


def done(stream: list[AnswerEvent]) -> Answer:
    last = stream[-1]
    assert isinstance(last, AnswerDone), stream
    return last.answer


# Question checks


@pytest.mark.parametrize(
    ("question", "top_k", "message", "field"),
    [
        pytest.param("", 5, "the question is empty", "question", id="empty"),
        pytest.param(" \n\t ", 5, "the question is empty", "question", id="blank"),
        pytest.param(
            "x" * 51, 5, "the question is longer than 50 characters", "question", id="too-long"
        ),
        pytest.param(
            QUESTION, 0, f"topK must be between 1 and {MAX_SOURCES}", "topK", id="top-k-0"
        ),
        pytest.param(QUESTION, 21, "topK must be between 1 and 20", "topK", id="top-k-21"),
    ],
)
async def test_question_checks(question: str, top_k: int, message: str, field: str) -> None:
    retriever = ScriptedRetriever(outcome())
    answers = service(retriever, ScriptedGenerator(ANSWERED))
    with pytest.raises(InvalidInput) as raised:
        await answers.ask("alice", AskRequest(question, top_k=top_k))
    assert (raised.value.message, raised.value.field) == (message, field)
    stream = await events(answers, AskRequest(question, top_k=top_k))
    assert stream == [AnswerFailed("INVALID_INPUT", message, None)]
    assert retriever.searches == []


@pytest.mark.parametrize(
    ("question", "top_k", "searched"),
    [
        pytest.param("x" * 50, 5, "x" * 50, id="the-longest"),
        pytest.param("a" + " " * 100 + "b", 1, "a b", id="white-space-folded-before-counting"),
        pytest.param("  How long?\n", MAX_SOURCES, "How long?", id="most-sources"),
    ],
)
async def test_accepted_questions(question: str, top_k: int, searched: str) -> None:
    retriever = ScriptedRetriever(outcome())
    await service(retriever, ScriptedGenerator(ANSWERED)).ask("alice", AskRequest(question, top_k))
    assert [request.query for _, request, _ in retriever.searches] == [searched]


@pytest.mark.parametrize(
    ("reader", "access"),
    [
        pytest.param("alice", Access("alice"), id="owner"),
        pytest.param(Access("alice", ("team",)), Access("alice", ("team",)), id="with-groups"),
    ],
)
@pytest.mark.parametrize("reranks", [False, True], ids=["no-reranker", "reranker"])
async def test_the_search_asked_for(reader: str | Access, access: Access, reranks: bool) -> None:
    retriever = ScriptedRetriever(outcome(), reranks=reranks)
    request = AskRequest(QUESTION, top_k=3, document_ids=("d2", "d1"), mode=SearchMode.KEYWORD)
    await service(retriever, ScriptedGenerator(ANSWERED)).ask(reader, request)
    # Always with the similarity: the gate needs it whatever the mode.
    assert retriever.searches == [
        (
            access,
            SearchRequest(QUESTION, SearchMode.KEYWORD, 3, ("d2", "d1"), rerank=reranks),
            True,
        )
    ]


# The not-found gate: no evidence, no model asked


@pytest.mark.parametrize(
    ("best", "texts", "min_relevance", "answered"),
    [
        pytest.param(None, OFF_TOPIC, 0.35, False, id="no-similarity"),
        pytest.param(0.34, OFF_TOPIC, 0.35, False, id="below"),
        pytest.param(0.35, OFF_TOPIC, 0.35, True, id="at-the-threshold"),
        pytest.param(0.9, OFF_TOPIC, 0.35, True, id="above"),
        # similar, but no passage states the duration asked for (answering/asked.py)
        pytest.param(0.9, NO_VALUE, 0.35, False, id="above-but-no-value-asked-for"),
        pytest.param(0.9, (), 0.35, False, id="relevant-but-no-hits"),
        pytest.param(-0.5, OFF_TOPIC, -1.0, True, id="threshold-off"),
        # "refunds" and "take" (2 of its 3 terms) in the first passage: keyword evidence
        pytest.param(None, TEXTS, 0.35, True, id="keywords-without-similarity"),
    ],
)
async def test_the_gate(
    best: float | None, texts: tuple[str, ...], min_relevance: float, answered: bool
) -> None:
    generator = ScriptedGenerator(ANSWERED)
    answers = service(
        ScriptedRetriever(outcome(texts, best)), generator, min_relevance=min_relevance
    )
    stream = await events(answers, AskRequest(QUESTION))
    assert len(generator.prompts) == int(answered)
    if answered:
        assert stream[0] == AnswerSources(citations=numbered(texts, best))
        assert done(stream).text != NOT_FOUND
    else:
        assert stream[:-1] == [AnswerSources(citations=[])]
        answer = done(stream)
        assert (answer.text, answer.citations, answer.sources) == (NOT_FOUND, [], [])
        assert (answer.grounded, answer.model, answer.usage) == (False, None, None)


async def test_not_found_still_says_which_reranker_was_skipped() -> None:
    retriever = ScriptedRetriever(outcome(OFF_TOPIC, best=None, fallbacks=(RERANKER_DOWN,)))
    answer = await service(retriever, ScriptedGenerator(ANSWERED)).ask(
        "alice", AskRequest(QUESTION)
    )
    assert (answer.text, answer.fallbacks) == (NOT_FOUND, (RERANKER_DOWN,))


async def test_without_a_generator_the_sources_are_the_answer() -> None:
    retriever = ScriptedRetriever(outcome(fallbacks=(RERANKER_DOWN,)))
    stream = await events(service(retriever, None), AskRequest(QUESTION))
    assert stream[:-1] == [AnswerSources(citations=numbered())]
    answer = done(stream)
    assert (answer.text, answer.sources, answer.citations) == (NO_GENERATOR, numbered(), [])
    assert (answer.grounded, answer.model, answer.fallbacks) == (False, None, (RERANKER_DOWN,))


# The stream and the answer


async def test_sources_then_deltas_then_the_answer() -> None:
    skipped = ProviderFailure("gemini", "RATE_LIMITED", "slow down")
    generator = ScriptedGenerator(
        [
            "Refunds take",
            "",  # empty deltas are not sent
            " ten days [1]",
            " and need a receipt [2] [9].",
            GenerationDone("gen-model", Usage(10, 5), fallbacks=(skipped,)),
        ]
    )
    retriever = ScriptedRetriever(outcome(fallbacks=(RERANKER_DOWN,)))
    stream = await events(service(retriever, generator), AskRequest(QUESTION))
    assert stream[:-1] == [
        AnswerSources(citations=numbered()),
        AnswerDelta("Refunds take"),
        AnswerDelta(" ten days [1]"),
        AnswerDelta(" and need a receipt [2] [9]."),
    ]
    answer = done(stream)
    assert answer.text == "Refunds take ten days [1] and need a receipt [2] [9]."
    sources = numbered()
    assert answer.sources == sources
    assert answer.citations == [sources[0], sources[1]]  # [9] names no source
    assert answer.grounded is True
    assert (answer.model, answer.usage) == ("gen-model", Usage(10, 5))
    assert answer.fallbacks == (RERANKER_DOWN, skipped)
    assert answer.cached is False
    assert answer.first_token_ms is not None
    assert 0 < answer.retrieval_ms <= answer.first_token_ms <= answer.total_ms


class SlowRetriever(ScriptedRetriever):
    async def search(
        self, owner: str | Access, request: SearchRequest, *, need_similarity: bool = False
    ) -> SearchOutcome:
        await asyncio.sleep(0.05)
        return await super().search(owner, request, need_similarity=need_similarity)


async def test_the_timings_mark_retrieval_the_first_delta_and_the_end() -> None:
    answers = service(SlowRetriever(outcome()), ScriptedGenerator(ANSWERED))
    async for event in answers.stream("alice", AskRequest(QUESTION)):
        if isinstance(event, AnswerDone):
            answer = event.answer
        elif isinstance(event, AnswerSources) or event == AnswerDelta("Refunds take"):
            await asyncio.sleep(0.05)  # a slow reader: what comes next comes later
    assert answer.first_token_ms is not None
    assert answer.retrieval_ms >= 50
    assert answer.first_token_ms - answer.retrieval_ms >= 50
    assert answer.total_ms - answer.first_token_ms >= 50


@pytest.mark.parametrize(
    ("script", "text", "cited", "model"),
    [
        pytest.param(
            [" \n Refunds take ten days [1]. \n", GenerationDone("m")],
            "Refunds take ten days [1].",
            [1],
            "m",
            id="stripped",
        ),
        pytest.param(["Ten days [3]."], "Ten days [3].", [3], "scripted", id="no-done-item"),
        pytest.param(["Ten days.", GenerationDone("m")], "Ten days.", [], "m", id="uncited"),
        pytest.param([GenerationDone("m")], NOT_FOUND, [], "m", id="nothing-written"),
        pytest.param([" \n", GenerationDone("m")], NOT_FOUND, [], "m", id="only-white-space"),
    ],
)
async def test_the_answers_text_and_citations(
    script: list[str | GenerationDone], text: str, cited: list[int], model: str
) -> None:
    answers = service(ScriptedRetriever(outcome()), ScriptedGenerator(script))
    answer = await answers.ask("alice", AskRequest(QUESTION))
    assert answer.text == text
    assert [s.index for s in answer.citations] == cited
    assert answer.grounded is bool(cited)
    assert answer.model == model
    assert answer.sources == numbered()  # the model was given them, whatever it wrote


async def test_nothing_written_has_no_first_token() -> None:
    answers = service(ScriptedRetriever(outcome()), ScriptedGenerator([GenerationDone("m")]))
    stream = await events(answers, AskRequest(QUESTION))
    assert [type(e) for e in stream] == [AnswerSources, AnswerDone]
    assert done(stream).first_token_ms is None


@pytest.mark.parametrize(
    ("context_tokens", "prompted"),
    [pytest.param(6000, [1, 2, 3], id="all-fit"), pytest.param(60, [1], id="first-only")],
)
async def test_the_prompt(context_tokens: int, prompted: list[int]) -> None:
    texts = [f"{t} " * 20 for t in TEXTS]  # 400 to 600 characters each
    generator = ScriptedGenerator(ANSWERED)
    answers = service(ScriptedRetriever(outcome(texts)), generator, context_tokens=context_tokens)
    await answers.ask("alice", AskRequest("  How long do\nrefunds take? "))
    sources = numbered(texts)
    budget = context_tokens * CHARS_PER_TOKEN
    assert generator.prompts == [build_prompt(QUESTION, sources, max_chars=budget)]
    assert [s.index for s in generator.prompts[0].sources] == prompted


async def test_a_generator_chain_says_which_generator_was_skipped() -> None:
    down = ScriptedGenerator([ProviderUnavailable("gemini is down")], model="gemini")
    local = ScriptedGenerator(["Ten days [1].", GenerationDone("local")], model="local")
    answers = service(ScriptedRetriever(outcome()), GeneratorChain([down, local]))
    answer = await answers.ask("alice", AskRequest(QUESTION))
    assert (answer.text, answer.model) == ("Ten days [1].", "local")
    assert answer.fallbacks == (GEMINI_DOWN,)


# Failures


@pytest.mark.parametrize(
    ("script", "error", "sent"),
    [
        pytest.param(
            [],
            ProviderUnavailable("every generator is down"),
            [AnswerFailed("PROVIDER_UNAVAILABLE", "every generator is down", None)],
            id="before-the-first-delta",
        ),
        pytest.param(
            ["Refunds take"],
            ProviderAuth("the key was refused"),
            [AnswerDelta("Refunds take"), AnswerFailed("PROVIDER_AUTH", "the key was refused")],
            id="after-the-first-delta",
        ),
        pytest.param(
            [],
            RateLimited("slow down", retry_after=7.5),
            [AnswerFailed("RATE_LIMITED", "slow down", 7.5)],
            id="rate-limited-says-when",
        ),
    ],
)
async def test_a_failed_generation(
    script: list[str], error: DocentError, sent: list[AnswerEvent]
) -> None:
    answers = service(ScriptedRetriever(outcome()), ScriptedGenerator([*script, error]))
    assert await events(answers, AskRequest(QUESTION)) == [
        AnswerSources(citations=numbered()),
        *sent,
    ]
    with pytest.raises(type(error), match=error.message):
        await answers.ask("alice", AskRequest(QUESTION))


async def test_a_failed_search() -> None:
    generator = ScriptedGenerator(ANSWERED)
    answers = service(ScriptedRetriever(SearchUnavailable("the index is down")), generator)
    stream = await events(answers, AskRequest(QUESTION))
    assert stream == [AnswerFailed("SEARCH_UNAVAILABLE", "the index is down", None)]
    with pytest.raises(SearchUnavailable):
        await answers.ask("alice", AskRequest(QUESTION))
    assert generator.prompts == []


# The answer cache


@pytest.fixture
async def cache(session_redis: str) -> AsyncIterator[AnswerCache]:
    """A real answer cache whose keys are this test's alone (the server is the session's)."""
    redis = Redis.from_url(session_redis)
    yield AnswerCache(redis, keys=RedisKeys(prefix=f"test-{uuid.uuid4().hex[:12]}"))
    await redis.aclose()


class Cached:
    """A service with a cache, and the collaborators to count what a cached answer saves."""

    def __init__(
        self,
        cache: AnswerCache | None,
        result: SearchOutcome | DocentError | None = None,
        script: Sequence[str | GenerationDone | DocentError] = ANSWERED,
    ) -> None:
        self.retriever = ScriptedRetriever(outcome() if result is None else result)
        self.generator = ScriptedGenerator(script)
        self.embedder = BagOfWords()
        self.answers = service(self.retriever, self.generator, cache=cache, embedder=self.embedder)

    @property
    def searches(self) -> int:
        return len(self.retriever.searches)


async def test_the_same_question_again_is_answered_from_the_cache(cache: AnswerCache) -> None:
    asked = Cached(cache)
    first = await asked.answers.ask("alice", AskRequest(QUESTION))
    stream = await events(asked.answers, AskRequest("  how long do REFUNDS\ttake "))
    assert (asked.searches, len(asked.generator.prompts)) == (1, 1)
    # Case, end punctuation and white space do not make another question.
    assert asked.embedder.queries == ["how long do refunds take"] * 2
    assert stream[:-1] == [AnswerSources(citations=first.sources), AnswerDelta(first.text)]
    again = done(stream)
    assert again.cached is True
    assert (again.text, again.citations, again.sources) == (
        first.text,
        first.citations,
        first.sources,
    )
    assert (again.model, again.usage, again.grounded) == (first.model, first.usage, first.grounded)
    assert again.retrieval_ms == again.first_token_ms == again.total_ms > 0


@pytest.mark.parametrize(
    ("then", "reader", "hit"),
    [
        pytest.param(AskRequest(QUESTION), "alice", True, id="same"),
        pytest.param(AskRequest("Where is the office?"), "alice", False, id="another-question"),
        pytest.param(AskRequest(QUESTION, top_k=4), "alice", False, id="top-k"),
        pytest.param(AskRequest(QUESTION, mode=SearchMode.SEMANTIC), "alice", False, id="mode"),
        pytest.param(AskRequest(QUESTION, document_ids=("d1",)), "alice", False, id="filter"),
        pytest.param(AskRequest(QUESTION, tags=("hr",)), "alice", False, id="tag-filter"),
        pytest.param(AskRequest(QUESTION), "bob", False, id="another-owner"),
        pytest.param(AskRequest(QUESTION), Access("alice", ("team",)), False, id="group-reader"),
    ],
)
async def test_what_a_cached_answer_is_found_for(
    cache: AnswerCache, then: AskRequest, reader: str | Access, hit: bool
) -> None:
    asked = Cached(cache)
    await asked.answers.ask("alice", AskRequest(QUESTION))
    await asked.answers.ask(reader, then)
    assert asked.searches == (1 if hit else 2)


async def test_two_tag_filters_never_share_an_answer(cache: AnswerCache) -> None:
    asked = Cached(cache)
    await asked.answers.ask("alice", AskRequest(QUESTION, tags=("hr",)))
    await asked.answers.ask("alice", AskRequest(QUESTION, tags=("it",)))
    await asked.answers.ask("alice", AskRequest(QUESTION, tags=("hr", "it")))
    # A tag holding the separators of the key is not two tags.
    await asked.answers.ask("alice", AskRequest(QUESTION, tags=('hr","it',)))
    assert asked.searches == 4
    assert [request.tags for _, request, _ in asked.retriever.searches] == [
        ("hr",), ("it",), ("hr", "it"), ('hr","it',),
    ]  # fmt: skip
    # The same tags, in another order or repeated, are the same filter.
    await asked.answers.ask("alice", AskRequest(QUESTION, tags=("it", "hr", "it")))
    assert asked.searches == 4
    # Nor does an id holding a comma stand for two ids.
    await asked.answers.ask("alice", AskRequest(QUESTION, document_ids=("d1", "d2")))
    await asked.answers.ask("alice", AskRequest(QUESTION, document_ids=("d1,d2",)))
    assert asked.searches == 6


async def test_the_document_filter_is_a_set(cache: AnswerCache) -> None:
    asked = Cached(cache)
    await asked.answers.ask("alice", AskRequest(QUESTION, document_ids=("d2", "d1")))
    await asked.answers.ask("alice", AskRequest(QUESTION, document_ids=("d1", "d2")))
    assert asked.searches == 1


@pytest.mark.parametrize(
    ("reader", "change"),
    [
        pytest.param("alice", ("alice",), id="own-documents"),
        pytest.param(
            Access("bob", ("team",)), ("alice", "team"), id="documents-shared-with-a-group"
        ),
    ],
)
async def test_a_change_to_the_documents_forgets_the_answer(
    cache: AnswerCache, reader: str | Access, change: tuple[str, ...]
) -> None:
    asked = Cached(cache)
    await asked.answers.ask(reader, AskRequest(QUESTION))
    await cache.invalidate(*change)
    await asked.answers.ask(reader, AskRequest(QUESTION))
    assert asked.searches == 2


@pytest.mark.parametrize(
    ("result", "script"),
    [
        pytest.param(outcome(fallbacks=(RERANKER_DOWN,)), ANSWERED, id="reranker-skipped"),
        pytest.param(
            outcome(),
            ["Ten days [1].", GenerationDone("local", fallbacks=(GEMINI_DOWN,))],
            id="generator-skipped",
        ),
    ],
)
async def test_a_degraded_answer_is_not_kept(
    cache: AnswerCache, result: SearchOutcome, script: list[str | GenerationDone]
) -> None:
    asked = Cached(cache, result, script)
    for _ in range(2):
        answer = await asked.answers.ask("alice", AskRequest(QUESTION))
        assert answer.fallbacks and not answer.cached
    assert asked.searches == 2


async def test_a_failed_answer_is_not_kept(cache: AnswerCache) -> None:
    asked = Cached(cache, script=[ProviderUnavailable("down")])
    for _ in range(2):
        stream = await events(asked.answers, AskRequest(QUESTION))
        assert isinstance(stream[-1], AnswerFailed)
    assert asked.searches == 2


async def test_not_found_is_kept_until_the_documents_change(cache: AnswerCache) -> None:
    asked = Cached(cache, outcome(OFF_TOPIC, best=None))
    await asked.answers.ask("alice", AskRequest(QUESTION))
    again = await asked.answers.ask("alice", AskRequest(QUESTION))
    assert (again.text, again.cached, asked.searches) == (NOT_FOUND, True, 1)


async def test_a_cache_without_an_embedder_is_not_used(cache: AnswerCache) -> None:
    retriever = ScriptedRetriever(outcome())
    answers = service(retriever, ScriptedGenerator(ANSWERED), cache=cache, embedder=None)
    for _ in range(2):
        assert (await answers.ask("alice", AskRequest(QUESTION))).cached is False
    assert len(retriever.searches) == 2


def test_answers_are_written_remotely_only_while_the_provider_is_tried() -> None:
    """api/admission.py gives an answer's slot back at its sources when a provider writes
    the text. Decided once from the chain's first member, a provider skipped with its
    circuit open had every answer written by the local answerer, on the loop, without a
    slot (an attacker who broke the provider's quota: another user's ask 5.7-13.1 s)."""
    breaker = CircuitBreaker("gemini", threshold=1, cooldown_s=60)
    resilient = Resilient("gemini", lambda exc: None, RetryPolicy(), breaker)  # type: ignore[arg-type]
    provider = ProviderGenerator(
        model="gemini", open_stream=lambda prompt: ScriptedGenerator([]).stream(prompt),
        resilient=resilient,
    )  # fmt: skip
    local = ScriptedGenerator([GenerationDone(model="local")])
    answers = service(
        ScriptedRetriever(SearchOutcome([], 0.0, None)), GeneratorChain([provider, local])
    )  # type: ignore[list-item]
    assert answers.generates_remotely
    breaker.failure()  # the threshold reached: open for 60 s
    assert breaker.state == "open"
    assert not answers.generates_remotely
    assert not service(
        ScriptedRetriever(SearchOutcome([], 0.0, None)), GeneratorChain([local])
    ).generates_remotely
