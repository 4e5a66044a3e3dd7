"""What a follow-up adds to an answer's time: the dev set's conversations over one document
(`halden-leave-policy.pdf`: its turns in every language, 10 conversations), asked through a
real server (`ask` over HTTP, the whole answer), first questions and follow-ups in turn.

1. The local answerer (extractive, e5 or MiniLM): the local rewrite's cost.
2. Gemini, against the fake provider server (tests/support/fake_providers.py) with a fixed
   time to first token: the rewrite's plumbing, one more model call a follow-up (the fake
   replies with the local rewrite, as a model would reply with a standalone question),
   whose tokens `Answer.usage` counts. Says nothing of the rewrite's quality or of a real
   provider's latency.
3. The same with Gemini down (503 on every call): the rewrite and the answer each try
   (DOCENT_PROVIDER_ATTEMPTS, with backoff), then fall back locally, until the circuit
   breaker opens (DOCENT_CIRCUIT_FAILURES) and Gemini is skipped; and with the breaker
   held shut, every question's tries.

Printed per mode: p50 of the first questions' and the follow-ups' `ask` time, and the p50
of the follow-up minus its own conversation's first question (paired); the model calls
per question and the rewrite call's input tokens.

    python benchmarks/followup_latency.py [--rounds 3] [--ttft-ms 200] [--embedder e5] \
        [--modes local,gemini,down,down-retrying]
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from docent.answering.followup import standalone_question

from common import REPO, arguments, machine, median, running_server, upload_ok, wait_ready
from support.fake_providers import FakeProviders, Reply, Stream
from support.servers import gql

DOCUMENT = "halden-leave-policy.pdf"
#: 503 replies scripted for a question with Gemini down: more than its calls may try.
DOWN_REPLIES = 30
ASK = """query($input: AskInput!) { ask(input: $input) { text conversationId standaloneQuestion
  model usage { inputTokens outputTokens } fallbacks { provider code } } }"""


def conversations() -> list[list[str]]:
    """The questions of the dev set's conversations whose every turn is about DOCUMENT."""
    found = []
    for line in (REPO / "eval" / "devset" / "followups.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line)
        if all(turn.get("document") == DOCUMENT for turn in item["turns"]):
            found.append([turn["question"] for turn in item["turns"]])
    return found


async def timed_ask(url: str, question: str, conversation: str | None) -> tuple[float, Any]:
    started = time.perf_counter()
    variables = {"input": {"question": question, "conversationId": conversation}}
    answer = (await gql(url, ASK, variables))["ask"]
    return (time.perf_counter() - started) * 1000, answer


async def run(
    name: str,
    data_dir: Path,
    env: dict[str, str],
    rounds: int,
    fake: FakeProviders | None = None,
    down: bool = False,
) -> None:
    threads = conversations()
    with running_server(data_dir, env) as server:
        document = (await upload_ok(server, DOCUMENT, (REPO / "eval" / "devset" / "documents" /
                                                        DOCUMENT).read_bytes()))["document"]  # fmt: skip
        assert (await wait_ready(server, document["id"], timeout=600))[-1]["status"] == "READY"
        await timed_ask(server.url, threads[0][0], None)  # warm-up: models, connections
        firsts: list[float] = []
        follow_ups: list[float] = []
        added: list[float] = []
        calls = {"first": [], "follow-up": []}  # type: dict[str, list[int]]
        rewrite_tokens: list[int] = []
        fell_back = 0
        for _ in range(rounds):
            for questions in threads:
                prepare(fake, down)
                ms, answer = await timed_ask(server.url, questions[0], None)
                firsts.append(ms)
                first_calls = len(fake.calls("gemini.generate")) if fake else 0
                calls["first"].append(first_calls)
                previous = [answer["standaloneQuestion"]]
                for question in questions[1:]:
                    prepare(fake, down)
                    if fake and not down:
                        # the fake rewrites as a model would: here, as the local rewrite does
                        rewrite = standalone_question(question, previous)
                        # as slow to its first token as the answer's call
                        fake.script("gemini.generate", Stream(parts=[rewrite], ttft_s=fake.ttft_s))
                    ms_next, next_answer = await timed_ask(
                        server.url, question, answer["conversationId"]
                    )
                    previous.append(next_answer["standaloneQuestion"])
                    follow_ups.append(ms_next)
                    added.append(ms_next - ms)
                    fell_back += bool(next_answer["fallbacks"])
                    if fake:
                        made = fake.calls("gemini.generate")
                        calls["follow-up"].append(len(made))
                        if not down and len(made) == 2:
                            rewrite_tokens.append(_input_tokens(made[0]))
    line = (
        f"{name:34} first p50 {median(firsts):6.0f} ms | follow-up p50 {median(follow_ups):6.0f}"
        f" ms | added (paired) p50 {median(added):+6.0f} ms  [{len(firsts)} first, "
        f"{len(follow_ups)} follow-ups]"
    )
    if fake:
        line += (
            f"\n{'':34} model calls a first question {median(calls['first']):.0f}, a follow-up "
            f"{median(calls['follow-up']):.0f} (p50; in all {sum(calls['first'])} and "
            f"{sum(calls['follow-up'])}); follow-ups that fell back {fell_back}"
        )
        if rewrite_tokens:
            line += f"; rewrite call's input ~{median(rewrite_tokens):.0f} tokens (p50)"
    if fake and not down:
        line += (
            f"; added less the rewrite call's TTFT p50 {median(added) - fake.ttft_s * 1000:+.0f} ms"
        )
    print(line, flush=True)


def prepare(fake: FakeProviders | None, down: bool) -> None:
    """The fake's calls forgotten (its delay kept: `reset` sets it back to 0); with `down`,
    every call of the next question answered 503."""
    if fake is None:
        return
    ttft_s = fake.ttft_s
    fake.reset()
    fake.ttft_s = ttft_s
    if down:
        fake.script("gemini.generate", *[Reply(status=503)] * DOWN_REPLIES)


def _input_tokens(call: Any) -> int:
    """The rewrite call's prompt, in tokens as the fake counts them (~4 characters)."""
    body = call.body
    system = body.get("systemInstruction") or body.get("system_instruction") or {}
    text = " ".join(p.get("text", "") for p in system.get("parts", []))
    text += " ".join(p.get("text", "") for c in body["contents"] for p in c["parts"])
    return max(1, len(text) // 4)


async def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ttft-ms", type=float, default=200)
    parser.add_argument("--embedder", default="e5")
    parser.add_argument("--modes", default="local,gemini,down,down-retrying",
                        help="which of local, gemini, down, down-retrying to run")  # fmt: skip
    args = parser.parse_args()
    print(machine())
    base = {"DOCENT_RATE_LIMITS": "off", "DOCENT_EMBEDDER": args.embedder}
    modes = set(args.modes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        if "local" in modes:
            await run("local answerer, local rewrite", Path(tmp) / "local",
                      {**base, "DOCENT_GENERATOR": "local"}, args.rounds)  # fmt: skip
        with FakeProviders() as fake:
            fake.ttft_s = args.ttft_ms / 1000
            env = {**base, "GEMINI_API_KEY": fake.gemini_key, "DOCENT_GEMINI_BASE_URL": fake.url,
                   "DOCENT_GENERATOR": "gemini,local"}  # fmt: skip
            if "gemini" in modes:
                await run(f"fake Gemini (TTFT {args.ttft_ms:.0f} ms)", Path(tmp) / "gemini", env,
                          args.rounds, fake)  # fmt: skip
            if "down" in modes:  # the circuit breaker opens after DOCENT_CIRCUIT_FAILURES
                await run("fake Gemini down (503)", Path(tmp) / "down", env, 1, fake, down=True)
            if "down-retrying" in modes:  # every question tries, as before the breaker opens
                await run("fake Gemini down, breaker held shut", Path(tmp) / "retrying",
                          {**env, "DOCENT_CIRCUIT_FAILURES": "100000"}, 1, fake, down=True)  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
