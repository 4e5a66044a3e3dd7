"""Issue 15's remaining conversation tests, end to end through a real server with the fake
Gemini (tests/support/fake_providers.py, through the official SDK): a three-turn
conversation whose later turns are answered right only when understood, the rewrite's
history bounded by DOCENT_CONVERSATION_REWRITE_TOKENS, and how the rewrite call counts
(DOCENT_RATE_LIMITS counts API requests, so a follow-up is one `ask` whatever the calls
behind it; the provider's tokens of the rewrite are in `Answer.usage`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from test_conversations_providers import ASK, ask, prompt_of

from support.fake_providers import FakeProviders, Stream, tokens
from support.servers import DocentServer, gql_raw, running_server, upload_ok, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

#: DOCENT_CONVERSATION_REWRITE_TOKENS on the server: the earlier turns of a rewrite prompt
#: hold at most this many tokens of ~4 characters (answering/prompting.CHARS_PER_TOKEN).
REWRITE_TOKENS = 100
#: One fact a document, so that the fake Gemini, which answers with the first sentence of
#: the source sharing most words with the question it is given, answers right only from
#: the standalone question: the follow-ups' own words ("What about the Tigon?": "about";
#: "How much water does it carry?": "much", "water") pick the wrong source.
FACTS = {
    "panther-speed.txt": "The Panther reaches a top speed of 115 km/h.",
    "tigon-speed.txt": "The Tigon reaches a top speed of 120 km/h.",
    "tigon-tank.txt": "The Tigon carries about 9,000 litres of water in its tank.",
    "panther-tank.txt": "The Panther carries 12,500 litres of water, as much as two small engines.",
}


def gemini_env(fake: FakeProviders, **more: str) -> dict[str, str]:
    return {
        "GEMINI_API_KEY": fake.gemini_key,
        "DOCENT_GEMINI_BASE_URL": fake.url,
        "DOCENT_GENERATOR": "gemini,local",
        "DOCENT_PROVIDER_TIMEOUT_S": "5",
        "DOCENT_PROVIDER_ATTEMPTS": "3",
        "DOCENT_PROVIDER_MAX_BACKOFF_S": "1",
        **more,
    }


@pytest.fixture(scope="module")
def server(fake: FakeProviders, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = gemini_env(fake, DOCENT_CONVERSATION_REWRITE_TOKENS=str(REWRITE_TOKENS))
    with running_server(tmp_path_factory.mktemp("turns"), env) as s:

        async def load() -> None:
            for name, text in FACTS.items():
                payload = await upload_ok(s, name, text.encode())
                events = await wait_ready(s, payload["document"]["id"])
                assert events[-1]["status"] == "READY", events

        asyncio.run(load())
        yield s
        assert s.network_attempts() == [], s.network_attempts()


def earlier_turns(rewrite_prompt: str) -> str:
    """The earlier turns of a rewrite prompt (`rewriting.ModelRewriter._user`)."""
    _, _, rest = rewrite_prompt.partition("Conversation so far:")
    return rest.rpartition("Last question:")[0].strip()


def test_a_three_turn_conversation_is_understood_through_the_model_rewrite(
    fake: FakeProviders, server: DocentServer
) -> None:
    fake.reset()
    first = ask(server, "What is the top speed of the Panther?")
    assert "115 km/h" in first["text"], first
    assert first["standaloneQuestion"] == "What is the top speed of the Panther?"
    assert len(fake.calls("gemini.generate")) == 1  # no rewrite for a first question
    conversation = first["conversationId"]

    # Asked alone, the follow-ups' own words pick the wrong facts: the test can fail.
    for alone, wrong in (("What about the Tigon?", "9,000"), ("How much water does it carry?",
                                                            "12,500")):  # fmt: skip
        assert wrong in ask(server, alone)["text"]

    turns = [
        ("What about the Tigon?", "What is the top speed of the Tigon?", "120 km/h"),
        ("How much water does it carry?",
         "How many litres of water does the Tigon carry in its tank?", "9,000 litres"),
    ]  # fmt: skip
    before = ("What is the top speed of the Panther?", "115 km/h")
    for question, rewritten, value in turns:
        fake.reset()
        fake.script("gemini.generate", Stream(parts=[rewritten]))  # the rewrite; then normal
        answer = ask(server, question, conversation)
        assert answer["conversationId"] == conversation
        assert answer["standaloneQuestion"] == rewritten
        assert value in answer["text"], (question, answer)
        rewrite_call, answer_call = fake.calls("gemini.generate")
        system, user = prompt_of(rewrite_call)
        assert "standalone question" in system
        assert f"Last question: {question}" in user
        # the rewrite sees the turn before, its question and its answer
        assert f"Question: {before[0]}" in user and before[1] in user
        before = (question, value)
        # the answer is made from the standalone question, the earlier turns for reference
        answer_prompt = prompt_of(answer_call)[1]
        assert answer_prompt.rstrip().endswith(f"Question: {rewritten}")
        # both calls' tokens are the answer's usage (input and output)
        calls = [prompt_of(c) for c in (rewrite_call, answer_call)]
        assert answer["usage"]["inputTokens"] == sum(tokens(s) + tokens(u) for s, u in calls)
        replies = [rewritten, answer["text"]]
        assert answer["usage"]["outputTokens"] == sum(tokens(r) for r in replies)
        assert answer["model"] == "gemini/gemini-2.5-flash" and answer["fallbacks"] == []


def test_a_long_answer_does_not_push_the_rewrite_prompt_past_its_bound(
    fake: FakeProviders, server: DocentServer
) -> None:
    """The earlier turns sent for the rewrite hold at most REWRITE_TOKENS tokens (~4
    characters each) however long an answer was, and keep the question before it (a turn
    that did not fit whole was left out, and the follow-up lost its referent)."""
    fake.reset()
    long_answer = "The Tigon reaches a top speed of 120 km/h [1]. " + "It is fast. " * 300
    fake.script("gemini.generate", Stream(parts=[long_answer]))
    first = ask(server, "What is the top speed of the Tigon?")
    assert len(first["text"]) > 3000
    fake.reset()
    fake.script("gemini.generate", Stream(parts=["How much water does the Tigon carry?"]))
    second = ask(server, "How much water does it carry?", first["conversationId"])
    assert second["standaloneQuestion"] == "How much water does the Tigon carry?"
    earlier = earlier_turns(prompt_of(fake.calls("gemini.generate")[0])[1])
    assert len(earlier) <= REWRITE_TOKENS * 4, len(earlier)
    assert "Question: What is the top speed of the Tigon?" in earlier
    assert "120 km/h" in earlier and earlier.endswith("[...]")


@pytest.fixture(scope="module")
def limited(
    fake: FakeProviders, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DocentServer]:
    env = gemini_env(fake, DOCENT_RATE_LIMITS="ask=2/hour; per_address=off")
    with running_server(tmp_path_factory.mktemp("turns-limited"), env) as s:
        yield s
        assert s.network_attempts() == [], s.network_attempts()


def test_a_follow_up_is_one_ask_and_its_rewrite_is_in_the_usage(
    fake: FakeProviders, limited: DocentServer
) -> None:
    """DOCENT_RATE_LIMITS counts the `ask` requests (rate_limits.py): a follow-up is one,
    with its rewrite call; the rewrite's tokens are the answer's usage even when nothing is
    found and no answer call is made (this server has no documents)."""
    fake.reset()
    first = ask(limited, "What is the top speed of the Panther?")
    assert first["usage"] is None and fake.calls("gemini.generate") == []
    fake.script("gemini.generate", Stream(parts=["What is the top speed of the Tigon?"]))
    second = ask(limited, "What about the Tigon?", first["conversationId"])
    [rewrite_call] = fake.calls("gemini.generate")
    assert second["standaloneQuestion"] == "What is the top speed of the Tigon?"
    system, user = prompt_of(rewrite_call)
    assert second["usage"] == {
        "inputTokens": tokens(system) + tokens(user),
        "outputTokens": tokens("What is the top speed of the Tigon?"),
    }
    # The budget of two asks is spent: the third is refused before any call.
    variables = {"input": {"question": "And its tank?", "conversationId": first["conversationId"]}}
    refused = asyncio.run(gql_raw(limited.url, ASK, variables))
    assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED", refused
    assert len(fake.calls("gemini.generate")) == 1
