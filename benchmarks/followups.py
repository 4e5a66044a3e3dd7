"""Follow-up accuracy on the dev set's conversations (eval/devset/followups.jsonl).

1. The local rewrite alone (default): each follow-up's standalone question, made from the
   rewrites of the turns before it as docent makes it, is right when it holds every
   `standalone_contains` phrase and none of `standalone_absent` (case-insensitive).
2. `--server`: every conversation through a real docent server (the product's defaults:
   e5 and the local extractive answerer) with the set's documents uploaded: a follow-up
   is answered right when its answer holds every `answer_contains` phrase and cites
   `document` (the first questions are scored too, as the answerer's own baseline); and
   the latency of follow-ups against first questions (p50, ms).

    python benchmarks/followups.py [--server] [--file eval/devset/followups.jsonl]
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from docent.answering.followup import standalone_question

from common import REPO, arguments, machine, median, running_server, upload_ok, wait_ready

DEVSET = REPO / "eval" / "devset"
ASK = """query($input: AskInput!) { ask(input: $input) { text conversationId standaloneQuestion
  citations { document { filename } } } }"""


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _holds(text: str, phrases: list[str]) -> bool:
    folded = " ".join(text.casefold().split())
    return all(" ".join(p.casefold().split()) in folded for p in phrases)


def rewrite_right(turn: dict[str, Any], standalone: str) -> bool:
    absent = turn.get("standalone_absent", [])
    return _holds(standalone, turn.get("standalone_contains", [])) and not any(
        _holds(standalone, [p]) for p in absent
    )


def score_rewrites(conversations: list[dict[str, Any]]) -> None:
    by_language: dict[str, list[bool]] = defaultdict(list)
    for conversation in conversations:
        previous: list[str] = []
        for i, turn in enumerate(conversation["turns"]):
            standalone = standalone_question(turn["question"], previous)
            if i:
                right = rewrite_right(turn, standalone)
                by_language[conversation["language"]].append(right)
                if not right:
                    print(
                        f"  wrong  {conversation['id']}#{i + 1}: {turn['question']!r} -> {standalone!r}"
                    )
            previous.append(standalone)
    _report("local rewrite", by_language)


def _report(what: str, by_language: dict[str, list[bool]]) -> None:
    every = [r for results in by_language.values() for r in results]
    print(
        f"{what}: {sum(every)}/{len(every)} follow-ups right ({100 * sum(every) / len(every):.0f}%)"
    )
    for language, results in sorted(by_language.items()):
        print(f"  {language}: {sum(results)}/{len(results)}")


async def score_answers(conversations: list[dict[str, Any]]) -> None:
    import httpx

    names = sorted({t["document"] for c in conversations for t in c["turns"] if t.get("document")})
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(Path(tmp), product_defaults=True) as server,
    ):
        for name in names:
            payload = await upload_ok(server, name, (DEVSET / "documents" / name).read_bytes())
            events = await wait_ready(server, payload["document"]["id"], timeout=600)
            assert events[-1]["status"] == "READY", (name, events[-1])
        by_language: dict[str, list[bool]] = defaultdict(list)
        first_ms: list[float] = []
        follow_ms: list[float] = []
        firsts: list[bool] = []
        async with httpx.AsyncClient(timeout=120) as client:
            for conversation in conversations:
                conversation_id = None
                for i, turn in enumerate(conversation["turns"]):
                    started = time.perf_counter()
                    response = await client.post(server.url, json={"query": ASK, "variables": {
                        "input": {"question": turn["question"], "conversationId": conversation_id}
                    }})  # fmt: skip
                    (follow_ms if i else first_ms).append((time.perf_counter() - started) * 1000)
                    answer = response.json()["data"]["ask"]
                    conversation_id = answer["conversationId"]
                    if not turn.get("answer_contains"):
                        continue
                    cited = {c["document"]["filename"] for c in answer["citations"]}
                    right = _holds(answer["text"], turn["answer_contains"]) and (
                        not turn.get("document") or turn["document"] in cited
                    )
                    if not i:  # the first questions: what the answerer does without a rewrite
                        firsts.append(right)
                        continue
                    by_language[conversation["language"]].append(right)
                    if not right:
                        print(
                            f"  wrong  {conversation['id']}#{i + 1}: {answer['standaloneQuestion']!r} -> {answer['text'][:100]!r}"
                        )
        _report("answers to follow-ups (local answerer)", by_language)
        print(f"answers to the first questions: {sum(firsts)}/{len(firsts)}")
        print(
            f"latency p50: first question {median(first_ms):.0f} ms, follow-up {median(follow_ms):.0f} ms"
        )


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--file", type=Path, default=DEVSET / "followups.jsonl")
    parser.add_argument("--server", action="store_true")
    args = parser.parse_args()
    conversations = load(args.file)
    print(machine())
    print(
        f"{len(conversations)} conversations, {sum(len(c['turns']) - 1 for c in conversations)} follow-ups"
    )
    score_rewrites(conversations)
    if args.server:
        asyncio.run(score_answers(conversations))


if __name__ == "__main__":
    main()
