"""A follow-up with a language-model generator: the rewrite is a short Gemini call with the
recent turns (the fake Gemini, through the official SDK), retried on 429 by the resilience
policy, its tokens added to the answer's usage; when Gemini is down, the local rewrite
answers instead and the answer says Gemini was skipped."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.fake_providers import FakeProviders, Reply, Stream, tokens
from support.servers import DocentServer, gql, running_server, upload_ok, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

POLICY = (
    Path(__file__).resolve().parents[1]
    / "eval"
    / "devset"
    / "documents"
    / "halden-leave-policy.pdf"
)
ASK = """query($input: AskInput!) { ask(input: $input) { text model conversationId
  standaloneQuestion usage { inputTokens outputTokens } fallbacks { provider code } } }"""


@pytest.fixture(scope="module")
def server(fake: FakeProviders, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {"GEMINI_API_KEY": fake.gemini_key, "DOCENT_GEMINI_BASE_URL": fake.url,
           "DOCENT_GENERATOR": "gemini,local"}  # fmt: skip
    yield from policy_server(tmp_path_factory.mktemp("rewrite"), env)


@pytest.fixture(scope="module")
def cohere_server(
    fake: FakeProviders, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DocentServer]:
    env = {"COHERE_API_KEY": fake.cohere_key, "DOCENT_COHERE_BASE_URL": fake.url,
           "DOCENT_GENERATOR": "cohere,local", "DOCENT_CONVERSATION_MAX_TURNS": "2"}  # fmt: skip
    yield from policy_server(tmp_path_factory.mktemp("rewrite-cohere"), env)


def policy_server(data_dir: Path, env: dict[str, str]) -> Iterator[DocentServer]:
    """A server with the generator chain `env` names and the leave policy READY."""
    env = {
        **env,
        "DOCENT_PROVIDER_TIMEOUT_S": "5",
        "DOCENT_PROVIDER_ATTEMPTS": "3",
        "DOCENT_PROVIDER_MAX_BACKOFF_S": "1",
        "DOCENT_CIRCUIT_FAILURES": "50",
    }
    with running_server(data_dir, env) as s:

        async def load() -> None:
            payload = await upload_ok(s, "halden-leave-policy.pdf", POLICY.read_bytes())
            events = await wait_ready(s, payload["document"]["id"])
            assert events[-1]["status"] == "READY", events

        asyncio.run(load())
        yield s
        assert s.network_attempts() == [], s.network_attempts()


def ask(server: DocentServer, question: str, conversation: str | None = None) -> dict[str, Any]:
    variables = {"input": {"question": question, "conversationId": conversation}}
    return dict(asyncio.run(gql(server.url, ASK, variables))["ask"])


def prompt_of(call: Any) -> tuple[str, str]:
    body = call.body
    system = body.get("systemInstruction") or body.get("system_instruction") or {}
    return (
        " ".join(p.get("text", "") for p in system.get("parts", [])),
        " ".join(p.get("text", "") for c in body["contents"] for p in c["parts"]),
    )


def test_the_rewrite_is_a_model_call_retried_on_429_and_counted(
    fake: FakeProviders, server: DocentServer
) -> None:
    fake.reset()
    first = ask(server, "How much paid leave is given for moving house?")
    assert first["model"] == "gemini/gemini-2.5-flash"
    assert len(fake.calls("gemini.generate")) == 1  # a first question needs no rewrite
    fake.reset()
    fake.script(
        "gemini.generate",
        Reply(status=429, headers={"Retry-After": "0"}),
        Stream(parts=["How much paid leave ", "is given for ", "jury service?"]),
    )
    second = ask(server, "And for jury service?", first["conversationId"])
    assert second["standaloneQuestion"] == "How much paid leave is given for jury service?"
    calls = fake.calls("gemini.generate")
    assert [c.status for c in calls] == [429, 200, 200]  # retried, then the answer's call
    system, user = prompt_of(calls[1])
    assert "standalone question" in system
    assert "moving house" in user and "Last question: And for jury service?" in user
    # The answer was made from the standalone question.
    answer_prompt = prompt_of(calls[2])[1]
    assert "Question: How much paid leave is given for jury service?" in answer_prompt
    # The generator sees the earlier turn for reference, before the sources and marked as
    # none of them (it cites only retrieved passages).
    earlier, _, sources = answer_prompt.partition("Sources:")
    assert "Earlier in this conversation" in earlier and "not sources" in earlier
    assert "Question: How much paid leave is given for moving house?" in earlier
    assert "Earlier in this conversation" not in sources
    # Answer.usage counts both calls' tokens.
    read = sum(tokens(s) + tokens(u) for s, u in map(prompt_of, calls[1:]))
    assert second["usage"]["inputTokens"] == read
    assert second["fallbacks"] == []


def test_with_gemini_down_the_local_rewrite_answers(
    fake: FakeProviders, server: DocentServer
) -> None:
    fake.reset()
    first = ask(server, "How much paid leave is given for moving house?")
    fake.reset()
    fake.script("gemini.generate", *[Reply(status=503)] * 6)
    second = ask(server, "And for jury service?", first["conversationId"])
    # Three tries for the rewrite, three for the answer, then the local ones.
    assert [c.status for c in fake.calls("gemini.generate")] == [503] * 6
    assert second["standaloneQuestion"] == "How much paid leave is given for jury service?"
    assert second["model"] != "gemini/gemini-2.5-flash"
    assert "up to 10 days" in second["text"]
    assert {(f["provider"], f["code"]) for f in second["fallbacks"]} == {
        ("gemini/gemini-2.5-flash", "PROVIDER_UNAVAILABLE")
    }


def test_with_cohere_the_rewrite_is_a_cohere_call(
    fake: FakeProviders, cohere_server: DocentServer
) -> None:
    """The rewrite goes to whichever language-model generator is configured: Cohere too,
    through its SDK's chat, with the same instructions and earlier turns."""
    fake.reset()
    first = ask(cohere_server, "How much paid leave is given for moving house?")
    assert first["model"].startswith("cohere/"), first
    assert len(fake.calls("cohere.chat")) == 1  # a first question needs no rewrite
    fake.reset()
    fake.script(
        "cohere.chat", Stream(parts=["How much paid leave ", "is given for ", "jury service?"])
    )
    second = ask(cohere_server, "And for jury service?", first["conversationId"])
    assert second["standaloneQuestion"] == "How much paid leave is given for jury service?"
    calls = fake.calls("cohere.chat")
    assert len(calls) == 2  # the rewrite, then the answer
    system, user = (m["content"] for m in calls[0].body["messages"])
    assert "standalone question" in str(system)
    assert "moving house" in str(user) and "Last question: And for jury service?" in str(user)
    assert "Question: How much paid leave is given for jury service?" in str(
        calls[1].body["messages"]
    )
    assert second["usage"]["inputTokens"] > first["usage"]["inputTokens"]  # two calls counted
    assert second["fallbacks"] == []


def test_a_reply_that_is_no_rewrite_gives_way_to_the_local_one(
    fake: FakeProviders, server: DocentServer
) -> None:
    """A model that answers, or refuses, instead of rewriting (here the reply keeps none of
    the follow-up's words) is not searched for: the local rewrite is, and the answer is
    still the model's. (The fake's unscripted reply is such a refusal: before, the follow-up
    searched for it and was answered "not found" with no answer call.)"""
    fake.reset()
    first = ask(server, "How much paid leave is given for moving house?")
    fake.reset()
    fake.script("gemini.generate", Stream(parts=["The documents do not ", "answer this question."]))
    second = ask(server, "And for jury service?", first["conversationId"])
    assert second["standaloneQuestion"] == "How much paid leave is given for jury service?"
    assert len(fake.calls("gemini.generate")) == 2  # the rewrite, then the answer
    assert second["model"] == "gemini/gemini-2.5-flash" and second["fallbacks"] == []


@pytest.mark.parametrize(
    ("question", "reply", "kept"),
    [
        ("And for jury service?", "How much paid leave is given for jury service?", True),
        ("Is that paid?", "Is parental leave for the secondary caregiver PAID?", True),
        ("And in 2025?", "What did the Tigon cost in 2025?", True),
        ("那兼职员工呢？", "兼职员工每年有几天年假？", True),
        ("And it?", "What is the notice period?", True),  # nothing to keep
        ("And for jury service?", "The documents do not answer this question.", False),
        # A limit: an answer that repeats one of the question's words passes for a rewrite.
        ("Is that paid?", "Yes, it is fully paid at the normal rate. [1]", True),
        ("Und für Teilzeitkräfte?", "Ich weiß es nicht.", False),
    ],
)
def test_a_rewrite_keeps_one_of_the_follow_ups_words(question: str, reply: str, kept: bool) -> None:
    from docent.answering.rewriting import keeps_words

    assert keeps_words(question, reply) is kept


def test_a_follow_up_is_read_with_the_last_max_turns_only(
    fake: FakeProviders, cohere_server: DocentServer
) -> None:
    """DOCENT_CONVERSATION_MAX_TURNS=2 on this server: the fourth question's rewrite and its
    answer see the second and third turns, not the first."""
    turns = [
        ("How much paid leave is given for moving house?", None),
        ("And for jury service?", "How much paid leave is given for jury service?"),
        ("And for volunteering?", "How much paid leave is given for volunteering?"),
        ("And for reserve forces training?",
         "How much paid leave is given for reserve forces training?"),
    ]  # fmt: skip
    conversation = None
    for question, rewrite in turns:
        fake.reset()
        if rewrite:
            fake.script("cohere.chat", Stream(parts=[rewrite]))
        answer = ask(cohere_server, question, conversation)
        conversation = answer["conversationId"]
        assert answer["standaloneQuestion"] == (rewrite or question)
    rewrite_call, answer_call = fake.calls("cohere.chat")
    rewrite_prompt = str(rewrite_call.body["messages"])
    assert "And for jury service?" in rewrite_prompt and "And for volunteering?" in rewrite_prompt
    assert "moving house" not in rewrite_prompt
    earlier = str(answer_call.body["messages"]).partition("Sources:")[0]
    assert "jury service" in earlier and "volunteering" in earlier
    assert "moving house" not in earlier
