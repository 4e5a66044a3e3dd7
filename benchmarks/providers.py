"""Provider benchmarks, against the local server that speaks the Cohere and Gemini wire
protocols (tests/support/fake_providers.py), through the official SDKs:

1. Overhead docent adds around a generator: from sending the `answer` subscription to the
   first streamed token, minus the provider's own time to first token (a fixed delay in
   the fake server). A real docent server process, over a real WebSocket.
2. Embedding throughput with batching and concurrency, as a ratio to one text a request,
   with a fixed latency per request (as a real provider has).

    python benchmarks/providers.py [--questions 40] [--ttft-ms 300] [--texts 384] [--latency-ms 50]
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

import websockets

from common import arguments, machine, median, percentile, running_server, upload_ok, wait_ready
from support.fake_providers import FakeProviders, Reply
from support.samples import HANDBOOK_MD

QUESTIONS = [
    "How many days of paid holiday does every employee receive?",
    "Can unused holiday days be carried over?",
    "Until when can holiday days be carried over?",
    "When must expense claims be submitted?",
    "What must be attached to expense claims?",
    "Which claims need approval from a manager?",
    "Where must badges be worn?",
    "What does the handbook explain?",
]

ANSWER = """subscription($input: AskInput!) { answer(input: $input) { __typename
  ... on AnswerDone { answer { model timings { retrievalMs firstTokenMs totalMs } } }
  ... on AnswerError { code message } } }"""


async def first_token(ws_url: str, question: str) -> tuple[float, dict]:
    """Seconds from sending the subscription to the first AnswerDelta, and the answer."""
    async with websockets.connect(
        ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        await ws.recv()
        op = uuid.uuid4().hex
        payload = {"query": ANSWER, "variables": {"input": {"question": question}}}
        started = time.perf_counter()
        await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))
        first: float | None = None
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "complete":
                break
            event = message["payload"]["data"]["answer"]
            if event["__typename"] == "AnswerDelta" and first is None:
                first = time.perf_counter() - started
            if event["__typename"] == "AnswerError":
                raise RuntimeError(event)
            if event["__typename"] == "AnswerDone":
                done = event["answer"]
        assert first is not None
        return first, done


async def overhead(fake: FakeProviders, data_dir: Path, questions: int, ttft_s: float) -> None:
    fake.ttft_s = ttft_s
    env = {
        "COHERE_API_KEY": fake.cohere_key,
        "GEMINI_API_KEY": fake.gemini_key,
        "DOCENT_COHERE_BASE_URL": fake.url,
        "DOCENT_GEMINI_BASE_URL": fake.url,
        "DOCENT_GENERATOR": "gemini,local",
        "DOCENT_RATE_LIMITS": "off",
    }
    for reranker in ("none", "cohere"):
        with running_server(data_dir / reranker, {**env, "DOCENT_RERANKER": reranker}) as server:
            document = (await upload_ok(server, "handbook.md", HANDBOOK_MD.encode()))["document"]
            assert (await wait_ready(server, document["id"]))[-1]["status"] == "READY"
            for question in QUESTIONS[:2]:  # warm-up: models, connections
                await first_token(server.ws_url, question)
            firsts: list[float] = []
            retrieval: list[float] = []
            for i in range(questions):
                seconds, answer = await first_token(
                    server.ws_url, f"{QUESTIONS[i % len(QUESTIONS)]} ({i})"
                )
                assert answer["model"].startswith("gemini"), answer
                firsts.append(seconds * 1000)
                retrieval.append(answer["timings"]["retrievalMs"])
            extra = [f - ttft_s * 1000 for f in firsts]
            print(
                f"reranker={reranker:6} first token p50 {median(firsts):6.1f} ms "
                f"(provider TTFT {ttft_s * 1000:.0f} ms) -> docent overhead p50 "
                f"{median(extra):5.1f} ms, p95 {percentile(extra, 0.95):5.1f} ms; "
                f"retrieval p50 {median(retrieval):5.1f} ms  [{questions} questions]"
            )


async def throughput(fake: FakeProviders, texts_count: int, latency_s: float) -> None:
    os.environ.update(
        COHERE_API_KEY=fake.cohere_key,
        DOCENT_COHERE_BASE_URL=fake.url,
        DOCENT_COHERE_EMBED_DIMENSION="1024",
    )
    from docent.composition import build_embedder
    from docent.providers.base import gather_bounded
    from docent.settings import Settings

    embedder = build_embedder(Settings.load(), "cohere")
    texts = [f"passage {i}: " + "words of a typical chunk " * 40 for i in range(texts_count)]

    def slow_replies(n: int) -> None:
        fake.reset()
        fake.script("cohere.embed", *[Reply(delay_s=latency_s)] * n)

    async def one_by_one() -> None:
        for text in texts:
            await embedder.embed_documents([text])

    async def one_by_one_concurrent() -> None:
        await gather_bounded(
            [lambda t=t: embedder.embed_documents([t]) for t in texts],  # type: ignore[misc]
            Settings.load().models.embed_concurrency,
        )

    async def batched() -> None:
        await embedder.embed_documents(texts)

    results: dict[str, float] = {}
    for name, run in (
        ("one text a request, one at a time", one_by_one),
        ("one text a request, 4 at a time", one_by_one_concurrent),
        ("docent: 96 a request, 4 at a time", batched),
    ):
        times = []
        for _ in range(3):
            slow_replies(texts_count)
            started = time.perf_counter()
            await run()
            times.append(time.perf_counter() - started)
        results[name] = texts_count / median(times)
        requests = len(fake.calls("cohere.embed"))
        print(f"{name:36} {results[name]:8.0f} texts/s  ({requests} requests, median of 3)")
    base = results["one text a request, one at a time"]
    print(
        f"batching + concurrency: {results['docent: 96 a request, 4 at a time'] / base:.0f}x "
        f"one text a request ({texts_count} texts of ~1,000 characters, {latency_s * 1000:.0f} ms "
        "a request)"
    )
    await embedder.aclose()


async def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--ttft-ms", type=float, default=300)
    parser.add_argument("--texts", type=int, default=384)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    print(machine())
    with FakeProviders() as fake, tempfile.TemporaryDirectory() as tmp:
        await overhead(fake, Path(tmp), args.questions, args.ttft_ms / 1000)
        await throughput(fake, args.texts, args.latency_ms / 1000)


if __name__ == "__main__":
    asyncio.run(main())
