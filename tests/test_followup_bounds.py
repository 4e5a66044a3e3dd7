"""What a long conversation's standalone questions carry (answering/followup_bounds.py):
a tester's conversation grew its standalone question by a referent a turn until search
refused it ("the query is longer than 4000 characters", on a field the client never sent)."""

from __future__ import annotations

import re

import pytest

from docent.answering.followup import standalone_question
from docent.answering.followup_bounds import MAX_CARRIED_CHARS, MAX_CARRIED_ITEMS, bounded
from docent.answering.rewriting import LocalRewriter


def carried_items(standalone: str, question: str) -> list[int]:
    """The item count of each parenthesised group the rewrite added."""
    groups = re.findall(r"\(([^()]*)\)|（([^（）]*)）", standalone)
    return [
        len(re.split(r"\s*[,;、،]\s*", a or b))
        for a, b in groups
        if f"({a})" not in question and f"（{b}）" not in question
    ]


def conversation(questions: list[str], first: str) -> list[str]:
    made = [first]
    for question in questions:
        made.append(bounded(standalone_question(question, made), question))
    return made[1:]


def test_forty_entity_swaps_carry_a_few_referents_not_the_conversation() -> None:
    questions = [f"What about the hotel limit in Berlin, variant {n}?" for n in range(1, 41)]
    made = conversation(questions, "What is the hotel limit in Berlin?")
    for question, standalone in zip(questions, made, strict=True):
        assert len(standalone) - len(question) <= MAX_CARRIED_CHARS, standalone
        assert all(n <= MAX_CARRIED_ITEMS for n in carried_items(standalone, question))
    # Before the bound the 40th was 506 characters, every earlier variant in parentheses.
    assert len(made[-1]) < 120, made[-1]
    assert "variant 40" in made[-1] and "hotel limit" in made[-1]


def test_alternating_follow_ups_stay_bounded() -> None:
    turns = ["And part-time staff?", "And contractors?", "Is it paid?", "And interns?",
             "How is it requested?", "And for apprentices?", "Who approves it?",
             "And in Hamburg?"] * 6  # fmt: skip
    made = conversation(turns, "How many days of annual leave do full-time staff get?")
    assert max(len(m) for m in made) < 150, max(made, key=len)
    assert "(annual leave, contractors) paid" in made[2]  # the bound keeps what was carried


@pytest.mark.parametrize(
    ("standalone", "question", "expected"),
    [
        ("Is it (a, b, c, d, e, f) paid?", "Is it paid?", "Is it (a, b, c, d) paid?"),
        ("Is it (a, a, b) paid?", "Is it paid?", "Is it (a, b) paid?"),  # repeats go
        ("Is (x, y, z, w, v) it?", "Is (x, y, z, w, v) it?", "Is (x, y, z, w, v) it?"),
        ("它（甲、乙、丙、丁、戊）多少钱？", "它多少钱？", "它（甲、乙、丙、丁）多少钱？"),
        ("Is it (" + "word, " * 200 + "end) paid?", "Is it paid?", "Is it (word, end) paid?"),
    ],
)
def test_bounded(standalone: str, question: str, expected: str) -> None:
    assert bounded(standalone, question) == expected


def test_a_rewrite_adding_too_much_is_not_used() -> None:
    question = "Is it paid?"
    long = "Is it (" + "a very long carried phrase of many words " * 10 + ") paid?"
    assert bounded(long, question) == question


async def test_the_local_rewriter_bounds_its_rewrite() -> None:
    from docent.answering.conversation import PastTurn

    history = [
        PastTurn(f"variant {n}", f"The hotel limit in Berlin, variant {n} (Berlin, "
                 + ", ".join(f"variant {m}" for m in range(n - 1, 0, -1)) + ")?", "")
        for n in range(2, 12)
    ]  # fmt: skip
    rewrite = await LocalRewriter().rewrite("What about variant 12?", history)
    assert all(n <= MAX_CARRIED_ITEMS for n in carried_items(rewrite.question, "x"))
