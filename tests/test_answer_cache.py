"""The semantic answer cache (answering/cache.py) on a real Redis: generations per user and
group, invalidation, lookup by similarity within one scope, and an answer's round trip."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import numpy as np
import pytest
from redis.asyncio import Redis

from docent.answering.answers import Answer
from docent.answering.cache import MAX_ENTRIES, TTL_S, AnswerCache
from docent.domain import Access, Chunk, Hit, Region
from docent.redis_keys import RedisKeys
from docent.roles import Source, Usage

from support.vectors import unit

SCOPE = "HYBRID|5|*"


@pytest.fixture
async def redis(session_redis: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(session_redis)
    yield client
    await client.aclose()


@pytest.fixture
def keys() -> RedisKeys:
    """Keys of this test only: the Redis server is shared by the session."""
    return RedisKeys(prefix=f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def cache(redis: Redis, keys: RedisKeys) -> AnswerCache:
    return AnswerCache(redis, similarity=0.9, keys=keys)


def answer(text: str = "Refunds take ten days [1].") -> Answer:
    chunk = Chunk(
        id="c1", document_id="d1", ordinal=0, text="Refunds take ten days.",
        regions=(Region(page=1, x0=0.1, y0=0.2, x1=0.9, y1=0.25),),
    )  # fmt: skip
    source = Source(index=1, hit=Hit(chunk=chunk, document_title="Handbook", score=0.5))
    return Answer(text=text, citations=[source], grounded=True, model="m", sources=[source])


@pytest.mark.parametrize(
    ("reader", "changes", "generation"),
    [
        pytest.param("alice", [], "user:alice=0", id="nothing-changed"),
        pytest.param(
            Access("alice", ("b", "a", "b")),
            [],
            "user:alice=0|group:a=0|group:b=0",
            id="groups-sorted-once",
        ),
        pytest.param("alice", [("alice",), ("alice",)], "user:alice=2", id="own-changes"),
        pytest.param("alice", [("bob",)], "user:alice=0", id="another-owners-change"),
        pytest.param(
            Access("alice", ("team",)),
            [("bob", "team")],
            "user:alice=0|group:team=1",
            id="a-change-shared-with-a-group",
        ),
        pytest.param(
            Access("alice", ("team",)),
            [("alice", None, "")],
            "user:alice=1|group:team=0",
            id="no-group",
        ),
    ],
)
async def test_generation(
    cache: AnswerCache,
    reader: str | Access,
    changes: list[tuple[str, ...]],
    generation: str,
) -> None:
    for owner, *groups in changes:
        await cache.invalidate(owner, *groups)
    assert await cache.generation(reader) == generation


async def test_generations_are_counters_under_redis_keys(
    cache: AnswerCache, redis: Redis, keys: RedisKeys
) -> None:
    await cache.invalidate("alice", "team")
    await cache.invalidate("alice", None, "")
    assert await redis.get(keys.answer_generation("user:alice")) == b"2"
    assert await redis.get(keys.answer_generation("group:team")) == b"1"
    assert sorted(await redis.keys(keys.answer_generation("*"))) == [
        keys.answer_generation("group:team").encode(),
        keys.answer_generation("user:alice").encode(),
    ]


async def test_an_empty_cache_finds_nothing(cache: AnswerCache) -> None:
    assert await cache.lookup("alice", "user:alice=0", SCOPE, unit(1, 0)) is None


@pytest.mark.parametrize(
    ("model", "usage"),
    [
        pytest.param("gemini-2.5-flash", Usage(input_tokens=120, output_tokens=30), id="usage"),
        pytest.param(None, None, id="no-model"),
        pytest.param("cohere", Usage(input_tokens=120), id="partial-usage"),
    ],
)
async def test_an_answer_comes_back_whole_and_marked_cached(
    cache: AnswerCache, model: str | None, usage: Usage | None
) -> None:
    first = Chunk(
        id="c1",
        document_id="d1",
        ordinal=3,
        text="Refunds take ten days.",
        page=4,
        page_end=5,
        section="Returns > Refunds",
        element_types=("Title", "NarrativeText"),
        start_offset=120,
        end_offset=142,
    )
    second = Chunk(id="c2", document_id="d2", ordinal=0, text="Keep the receipt.")
    sources = [
        Source(
            1,
            Hit(
                chunk=first,
                document_title="Handbook",
                score=0.91,
                keyword_rank=1,
                keyword_score=7.25,
                semantic_rank=2,
                semantic_score=0.75,
                rerank_score=0.91,
                highlights=("<em>Refunds</em> take ten days.",),
            ),
        ),
        Source(2, Hit(chunk=second, document_title="FAQ", score=0.03, semantic_rank=1)),
    ]
    given = Answer(
        text="Keep the receipt [2]; refunds take ten days [1].",
        citations=[sources[1], sources[0]],
        grounded=True,
        model=model,
        sources=sources,
        retrieval_ms=12.5,
        first_token_ms=40.0,
        total_ms=90.0,
        usage=usage,
    )
    await cache.store("alice", "user:alice=0", SCOPE, unit(1, 2, 3), given)
    found = await cache.lookup("alice", "user:alice=0", SCOPE, unit(1, 2, 3))
    # Timings are the asker's to measure again.
    assert found == replace(given, retrieval_ms=0.0, first_token_ms=None, total_ms=0.0, cached=True)


@pytest.mark.parametrize(
    ("vector", "found"),
    [
        pytest.param(unit(1, 0), True, id="same"),
        pytest.param(unit(0.95, np.sqrt(1 - 0.95**2)), True, id="above-threshold"),
        pytest.param(unit(0.85, np.sqrt(1 - 0.85**2)), False, id="below-threshold"),
        pytest.param(unit(-1, 0), False, id="opposite"),
    ],
)
async def test_lookup_by_similarity(cache: AnswerCache, vector: np.ndarray, found: bool) -> None:
    await cache.store("alice", "user:alice=0", SCOPE, unit(1, 0), answer())
    result = await cache.lookup("alice", "user:alice=0", SCOPE, vector)
    assert (result.text if result else None) == (answer().text if found else None)


@pytest.mark.parametrize("closest_first", [True, False], ids=["closest-older", "closest-newer"])
async def test_the_most_similar_question_wins(cache: AnswerCache, closest_first: bool) -> None:
    stored = [(unit(0.96, 0.28), "Closest [1]."), (unit(1, 0), "Close enough [1].")]
    for vector, text in stored if closest_first else stored[::-1]:
        await cache.store("alice", "user:alice=0", SCOPE, vector, answer(text))
    # cosine 0.999 with the first, 0.97 with the second: both above the threshold
    found = await cache.lookup("alice", "user:alice=0", SCOPE, unit(0.97, 0.243))
    assert found is not None and found.text == "Closest [1]."


@pytest.mark.parametrize(
    ("owner", "generation", "scope"),
    [
        pytest.param("bob", "user:alice=0", SCOPE, id="another-owner"),
        pytest.param("alice", "user:alice=1", SCOPE, id="another-generation"),
        pytest.param("alice", "user:alice=0|group:team=0", SCOPE, id="another-reader-scope"),
        pytest.param("alice", "user:alice=0", "HYBRID|5|d1", id="document-filter"),
        pytest.param("alice", "user:alice=0", "KEYWORD|5|*", id="mode"),
        pytest.param("alice", "user:alice=0", "HYBRID|6|*", id="top-k"),
    ],
)
async def test_a_lookup_only_finds_answers_of_the_same_owner_generation_and_scope(
    cache: AnswerCache, owner: str, generation: str, scope: str
) -> None:
    await cache.store("alice", "user:alice=0", SCOPE, unit(1, 0), answer())
    assert await cache.lookup(owner, generation, scope, unit(1, 0)) is None
    assert await cache.lookup("alice", "user:alice=0", SCOPE, unit(1, 0)) is not None


async def test_an_answer_stored_after_a_change_is_never_read(cache: AnswerCache) -> None:
    looked_up_in = await cache.generation("alice")
    await cache.invalidate("alice")  # a document changed while the answer was written
    await cache.store("alice", looked_up_in, SCOPE, unit(1, 0), answer())
    now = await cache.generation("alice")
    assert now != looked_up_in
    assert await cache.lookup("alice", now, SCOPE, unit(1, 0)) is None


async def test_entries_are_capped_and_expire(
    cache: AnswerCache, redis: Redis, keys: RedisKeys
) -> None:
    await cache.store("alice", "user:alice=0", SCOPE, unit(1, 0), answer("Oldest [1]."))
    for _ in range(MAX_ENTRIES):
        await cache.store("alice", "user:alice=0", SCOPE, unit(0, 1), answer("Newer [1]."))
    assert await cache.lookup("alice", "user:alice=0", SCOPE, unit(1, 0)) is None
    newest = await cache.lookup("alice", "user:alice=0", SCOPE, unit(0, 1))
    assert newest is not None and newest.text == "Newer [1]."
    [key] = await redis.keys(keys.answers("alice", "*"))
    assert await redis.llen(key) == MAX_ENTRIES
    assert TTL_S - 60 < await redis.ttl(key) <= TTL_S


async def test_a_vector_of_another_dimension_is_not_a_match(cache: AnswerCache) -> None:
    await cache.store("alice", "user:alice=0", SCOPE, unit(1, 0, 0), answer())
    assert await cache.lookup("alice", "user:alice=0", SCOPE, unit(1, 0, 0, 0)) is None


async def test_deleting_a_conversation_forgets_its_answers_and_only_its_own(
    cache: AnswerCache, redis: Redis, keys: RedisKeys
) -> None:
    """deleteConversation takes the answers the cache keeps from it, under every generation
    still kept, and leaves other conversations' and other owners' answers (an owner whose id
    holds glob characters and the other's as a prefix included)."""
    await cache.store("alice", "user:alice=0", SCOPE, unit(1, 0), answer("Old [1]."),
                      conversation_id="c-1")  # fmt: skip
    await cache.store("alice", "user:alice=1", SCOPE, unit(1, 0), answer("A [1]."),
                      conversation_id="c-1")  # fmt: skip
    await cache.store("alice", "user:alice=1", SCOPE, unit(0, 1), answer("B [1]."),
                      conversation_id="c-2")  # fmt: skip
    await cache.store("alice*", "user:alice*=1", SCOPE, unit(1, 0), answer("C [1]."),
                      conversation_id="c-1")  # fmt: skip
    await cache.store("alice:x", "user:alice:x=1", SCOPE, unit(1, 0), answer("D [1]."),
                      conversation_id="c-1")  # fmt: skip

    assert await cache.forget_conversation("alice", "c-1") == 2
    assert await cache.lookup("alice", "user:alice=0", SCOPE, unit(1, 0)) is None
    assert await cache.lookup("alice", "user:alice=1", SCOPE, unit(1, 0)) is None
    kept = await cache.lookup("alice", "user:alice=1", SCOPE, unit(0, 1))
    assert kept is not None and kept.text == "B [1]."
    for owner in ("alice*", "alice:x"):
        assert await cache.lookup(owner, f"user:{owner}=1", SCOPE, unit(1, 0)) is not None
    assert await cache.forget_conversation("alice", "c-1") == 0
    assert await cache.forget_conversation("alice*", "c-1") == 1  # its id read literally
    assert await cache.lookup("alice:x", "user:alice:x=1", SCOPE, unit(1, 0)) is not None
