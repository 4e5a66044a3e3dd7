"""The local standalone question of a follow-up (answering/followup.py), in the four
languages it knows."""

from __future__ import annotations

import pytest

from docent.answering.followup import standalone_question

LEAVE = "How many weeks of parental leave does the primary caregiver get?"


@pytest.mark.parametrize(
    ("before", "question", "expected"),
    [
        # A fragment after a connective takes its counterpart's place: same head word...
        (LEAVE, "And the secondary caregiver?",
         "How many weeks of parental leave does the secondary caregiver get?"),
        # ...after the same preposition...
        ("How many vacation days do employees in Germany get?", "And in France?",
         "How many vacation days do employees in France get?"),
        # ...an entity of the same kind.
        ("What did the Tigon cost in 2024?", "What about 2025?",
         "What did the Tigon cost in 2025?"),
        # Elliptical, with nothing to replace: added as the new qualification.
        ("How many days of annual leave do employees get?", "For contractors?",
         "How many days of annual leave do employees get, for contractors?"),
        # A pronoun gets its referent, the unit of "how many" left out.
        ("How many weeks of parental leave does the secondary caregiver get?",
         "Is that paid?", "Is that (parental leave, secondary caregiver) paid?"),
        # A pronoun's referent, given by an earlier rewrite, goes with it.
        ("What evidence is required for it (leave, jury service)?", "And for volunteering?",
         "What evidence is required for volunteering?"),
        ("Wie hoch ist das Hotellimit in München?", "Wird das erstattet?",
         "Wird das (Hotellimit, München) erstattet?"),
        ("Wie hoch ist das Hotellimit in München?", "Und in Hamburg?",
         "Wie hoch ist das Hotellimit in Hamburg?"),
        ("Combien de jours de congé ont les salariés ?", "Et pour les stagiaires ?",
         "Combien de jours de congé ont les stagiaires ?"),
        ("Combien de jours de congé ont les salariés ?", "Est-ce que cela inclut les week-ends ?",
         "Est-ce que cela (jours de congé, salariés) inclut les week-ends ?"),
        ("¿A qué hora abre el gimnasio Olivar los domingos?", "¿Y los sábados?",
         "¿A qué hora abre el gimnasio Olivar los sábados?"),
    ],
)  # fmt: skip
def test_a_follow_up_that_refers_back_is_made_standalone(
    before: str, question: str, expected: str
) -> None:
    assert standalone_question(question, [before]) == expected


@pytest.mark.parametrize(
    "question",
    [
        "What is the notice period for resigning employees?",
        "Welche Reisekosten werden bei Velmora erstattet?",
        "Quel est l'horaire d'ouverture de l'atelier Lumière ?",
    ],
)
def test_a_question_that_stands_alone_is_kept(question: str) -> None:
    assert standalone_question(question, [LEAVE]) == question


def test_without_a_previous_question_or_in_another_language_nothing_changes() -> None:
    assert standalone_question("And the secondary caregiver?", []) == "And the secondary caregiver?"
    assert standalone_question("那么第二个呢?", ["仓库的安全培训多长时间?"]) == "那么第二个呢?"
    # Only the last standalone question counts: it already carries the ones before.
    assert standalone_question("And in France?", ["x", "Who pays in Germany?"]) == (
        "Who pays in France?"
    )


def test_the_dev_sets_follow_ups_are_understood() -> None:
    """The dev set's conversations (eval/devset/followups.jsonl): well formed, at least 40,
    and the local rewrite understands at least 85% of their follow-ups (issue 15's bar;
    benchmarks/followups.py prints which)."""
    import json
    from pathlib import Path

    devset = Path(__file__).resolve().parents[1] / "eval" / "devset"
    conversations = [
        json.loads(line) for line in (devset / "followups.jsonl").read_text().splitlines()
    ]
    assert len(conversations) >= 40
    assert len({c["id"] for c in conversations}) == len(conversations)
    assert {c["language"] for c in conversations} == {"en", "de", "fr", "es"}
    right = []
    for conversation in conversations:
        assert 2 <= len(conversation["turns"]) <= 3, conversation["id"]
        previous: list[str] = []
        for i, turn in enumerate(conversation["turns"]):
            if turn.get("document"):
                assert (devset / "documents" / turn["document"]).is_file(), turn["document"]
            standalone = standalone_question(turn["question"], previous)
            if i:
                assert turn["standalone_contains"], conversation["id"]
                folded = standalone.casefold()
                right.append(
                    all(p.casefold() in folded for p in turn["standalone_contains"])
                    and not any(p.casefold() in folded for p in turn.get("standalone_absent", []))
                )
            previous.append(standalone)
    assert sum(right) / len(right) >= 0.85, f"{sum(right)} of {len(right)}"
