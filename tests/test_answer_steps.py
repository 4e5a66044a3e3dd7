"""A question asking how to do something is answered by the instruction (issue 13): the
imperative sentence next to the one that repeats the question's words, not that one alone
(answering/steps.py). The documents are made up, of the kinds people upload."""

from __future__ import annotations

import pytest
from test_answer_shapes import chosen, sectioned

from docent.answering import steps


@pytest.mark.parametrize(
    ("text", "instruction"),
    [
        ("Press and hold the dial for 10 seconds, then release it.", True),
        ("2. Turn off the water supply at the mains.", True),
        ("Contact us at support@example.com.", True),
        ("Drücken Sie die Taste fünf Sekunden lang.", True),
        ("Appuyez sur le bouton pendant cinq secondes.", True),
        ("请按住电源键五秒钟。", True),
        ("The thermostat restarts with its factory settings.", False),
        ("Installation takes about 30 minutes.", False),
        ("Wenn Sie umziehen, melden Sie sich beim Büro.", False),
        ("Chez nous, le café est offert.", False),
    ],
)
def test_an_instruction_is_told_by_its_imperative(text: str, instruction: bool) -> None:
    assert steps.instructs(text) is instruction


def test_a_question_asks_how_to_do_something() -> None:
    assert steps.asks_how("How do I reset the router?")
    assert steps.asks_how("Wie kann ich das Passwort ändern?")
    assert steps.asks_how("如何重置路由器？")
    assert not steps.asks_how("How long does a reset take?")


async def test_the_instruction_next_to_the_repeated_words_answers() -> None:
    question = "How do I factory reset the Corvo R2 router?"
    press = "Press and hold the reset button for 10 seconds until the light flashes."
    after = "The router restarts with its factory settings and you set it up again."
    deleted = "Your saved networks are deleted."
    given = sectioned(
        "corvo-r2-faq.html", (f"{press} {after} {deleted}", "FAQ > How do I factory reset?")
    )
    picked = await chosen(question, {after: 0.95, press: 0.78, deleted: 0.77}, given)
    assert picked == [(press, 1), (after, 1)]
