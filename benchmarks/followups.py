"""The local rewrite alone on the dev set's conversations (eval/devset/followups.jsonl), in a
second and without a server: each follow-up's standalone question, made from the rewrites
of the turns before it as docent makes it, is right when it holds every
`standalone_contains` phrase and none of `standalone_absent` (compared as `docent eval`
compares them). Follow-ups of kind `answer-reference` are left out: their referent is in
the previous answer, which only a server gives.

The answers, and follow-up accuracy (answer and standalone question right), are measured
through a real server by `docent eval` (this script's former `--server`):

    docent eval answers --conversations eval/devset/followups.jsonl \
        --documents eval/devset/documents ../shared/datasets/fidelity

    python benchmarks/followups.py [--file eval/devset/followups.jsonl] [--ids fu6-]
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from docent.answering.followup import standalone_question
from docent.evaluation.conversations import load_conversations, standalone_verdict

from common import REPO, arguments, machine

DEVSET = REPO / "eval" / "devset"
NEEDS_ANSWER = "answer-reference"


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--file", type=Path, default=DEVSET / "followups.jsonl")
    parser.add_argument(
        "--ids", default="", help="only the conversations whose id starts with this (fu6-)"
    )
    args = parser.parse_args()
    conversations = [c for c in load_conversations(args.file) if c.id.startswith(args.ids)]
    print(machine())
    by_group: dict[str, list[bool]] = defaultdict(list)
    for conversation in conversations:
        previous: list[str] = []
        for number, turn in enumerate(conversation.turns, start=1):
            standalone = standalone_question(turn.question.question, previous)
            previous.append(standalone)
            if number == 1 or turn.question.kind == NEEDS_ANSWER:
                continue
            right, _, _ = standalone_verdict(turn, standalone)
            if right is None:
                continue
            split = "held-out" if conversation.held_out else "dev"
            for group in (f"language {conversation.language}", f"kind {turn.question.kind}",
                          split, "all"):  # fmt: skip
                by_group[group].append(right)
            if not right:
                print(f"  wrong  {turn.question.id}: {turn.question.question!r} -> {standalone!r}")
    every = by_group["all"]
    print(f"{len(conversations)} conversations; local rewrite: {sum(every)}/{len(every)} "
          f"standalone questions right ({100 * sum(every) / len(every):.0f}%)")  # fmt: skip
    for group, results in sorted(by_group.items()):
        if group != "all":
            print(f"  {group}: {sum(results)}/{len(results)}")


if __name__ == "__main__":
    main()
