"""An answer a provider writes gives its admission slot back once its sources are found
(api/admission.py): the process only waits for the model's text, and holding the slot
for it would make DOCENT_SEARCH_SLOTS a bound on the provider's throughput (one slot per
core: two answers at once on a 2-core server, each as long as Gemini takes to write).
A real server with one slot and the fake Gemini writing slowly; orders are asserted."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from docent.api.auth import DevAuth

from support.fake_providers import FakeProviders, Stream
from support.servers import WATCH, DocentServer, running_server, subscribe, upload_ok

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SECRET = "remote-admission-secret-" + "r" * 32
ASK = """query($q: String!) { ask(input: {question: $q}) { text model } }"""
SEARCH = """query($q: String!) { search(input: {query: $q}) { hits { score } } }"""
ANSWER_WAIT_S = 4.0


@pytest.fixture(scope="module")
def server(fake: FakeProviders, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {
        "DOCENT_AUTH": "dev",
        "DOCENT_DEV_SECRET": SECRET,
        "DOCENT_SEARCH_SLOTS": "1",
        "GEMINI_API_KEY": fake.gemini_key,
        "DOCENT_GEMINI_BASE_URL": fake.url,
        "DOCENT_GENERATOR": "gemini,local",
        "DOCENT_PROVIDER_TIMEOUT_S": "30",
    }
    with running_server(tmp_path_factory.mktemp("remote-admission"), env) as running:

        async def load() -> None:
            note = b"The boiler in the basement is serviced every March by Hotwell Ltd."
            for user in ("alice", "bob"):
                token = DevAuth(SECRET).mint(user)
                headers = {"authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"}
                payload = await upload_ok(running, f"{user}.txt", note, headers=headers)
                document = {"id": payload["document"]["id"]}
                events = [e async for e in subscribe(running.ws_url, WATCH, document, token=token)]
                assert events[-1]["documentEvents"]["status"] == "READY", events

        asyncio.run(load())
        yield running


async def post(server: DocentServer, user: str, query: str, q: str) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            server.url,
            json={"query": query, "variables": {"q": q}},
            headers={"authorization": f"Bearer {DevAuth(SECRET).mint(user)}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"])


async def test_a_slowly_written_answer_does_not_hold_the_only_slot(
    fake: FakeProviders, server: DocentServer
) -> None:
    fake.reset()
    fake.script("gemini.generate", Stream(parts=["Every March [1]."], ttft_s=ANSWER_WAIT_S))
    alice = asyncio.create_task(post(server, "alice", ASK, "When is the boiler serviced?"))
    for _ in range(400):  # until her sources are found and Gemini is writing
        if fake.calls("gemini.generate"):
            break
        await asyncio.sleep(0.05)
    bob = await post(server, "bob", SEARCH, "boiler service")
    # With the slot held for the text, Bob's search waited for Alice's whole answer.
    assert not alice.done(), "Bob's search waited for Alice's answer to be written"
    assert bob["search"]["hits"]  # type: ignore[index]
    answer = (await alice)["ask"]
    assert "March" in answer["text"] and "gemini" in answer["model"], answer  # type: ignore[index]


async def test_a_slowly_written_streamed_answer_does_not_hold_the_only_slot(
    fake: FakeProviders, server: DocentServer
) -> None:
    fake.reset()
    fake.script("gemini.generate", Stream(parts=["Every March [1]."], ttft_s=ANSWER_WAIT_S))
    subscription = """subscription($q: String!) { answer(input: {question: $q}) {
      __typename ... on AnswerDone { answer { text } } } }"""

    async def streamed() -> list[str]:
        token = DevAuth(SECRET).mint("alice")
        variables = {"q": "When is the boiler serviced?"}
        events = subscribe(server.ws_url, subscription, variables, token=token)
        return [e["answer"]["__typename"] async for e in events]

    alice = asyncio.create_task(streamed())
    for _ in range(400):
        if fake.calls("gemini.generate"):
            break
        await asyncio.sleep(0.05)
    bob = await post(server, "bob", SEARCH, "boiler service")
    assert not alice.done(), "Bob's search waited for Alice's streamed answer"
    assert bob["search"]["hits"]  # type: ignore[index]
    assert (await alice)[-1] == "AnswerDone"
