"""The "not found" answer in the question's language (answering/refusals.py); through the
API in test_answers_api.py."""

from __future__ import annotations

import pytest

from docent.answering.refusals import MESSAGES, NOT_FOUND, not_found


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("What is the capital of Australia?", "en"),
        ("Wie viele Tage Urlaub bekommen die Beschäftigten im Jahr?", "de"),
        ("Combien de jours de congé les salariés ont-ils par an ?", "fr"),
        ("¿Cuántos días de vacaciones tienen los empleados al año?", "es"),
        ("员工每年有几天年假？", "zh"),
        ("كم يوماً من الإجازة السنوية يحصل عليها الموظفون؟", "ar"),
    ],
)
def test_not_found_is_said_in_the_questions_language(question: str, language: str) -> None:
    assert not_found(question) == MESSAGES[language]


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("WH-147?", id="too-short-to-tell"),
        pytest.param("Hoeveel vakantiedagen krijgen medewerkers per jaar?", id="no-message-nl"),
        pytest.param("年休暇は何日ありますか？", id="no-message-ja"),
    ],
)
def test_a_language_without_a_message_gets_english(question: str) -> None:
    assert not_found(question) == NOT_FOUND


def test_every_message_is_distinct_and_the_english_one_unchanged() -> None:
    assert len(set(MESSAGES.values())) == len(MESSAGES)
    assert "could not find" in MESSAGES["en"]  # what clients have matched on
