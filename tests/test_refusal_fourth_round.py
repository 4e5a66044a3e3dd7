"""Issue 13, answerable questions refused (fourth round): light verbs that are no evidence
to look for, everyday words said otherwise in the document, German plurals in -s, and
questions asking for a time of day (answering/vocabulary.py, synonyms.py, clues.py,
clock.py). Each rule over question and passage; the API-level case is in
test_answer_refusal_words_api.py. The passages are made up."""

from __future__ import annotations

import pytest
from test_refusal_evidence import gate, passage

from docent.answering import asked, clock, premise, synonyms
from docent.answering.clues import Clues
from docent.answering.grounding import Signal
from docent.search import analysis

# ------------------------------------------------------------------ light verbs


def test_a_light_verb_is_not_a_word_the_passage_must_hold() -> None:
    clues = Clues.of("What fee does the garage add for a courtesy car?")
    held = clues.held("Garage extras: a courtesy car is lent for a fee of £15 per day.")
    # "add" is asked with, not about: the passage holds every other word.
    assert clues.share(held & clues.weights.keys()) == 1.0
    assert clues.light


def test_a_light_verb_still_counts_among_the_words_asked_about() -> None:
    # "take" is no evidence to look for, but the question asks about the bike, and the
    # minibus's booking rule holds nothing of it: still no evidence.
    hits = [
        passage(
            "The Valley Link minibus must be booked at least 2 hours ahead. It runs from "
            "19:00 to 23:30 and every vehicle has a ramp.",
            cosine=0.85,
            title="Bus network changes",
            section="3. The Valley Link minibus",
        )
    ]
    assert gate("Can I take my bike on the Valley Link minibus?", hits, closest=None) is None


def test_a_reworded_question_with_light_verbs_finds_its_passage() -> None:
    hits = [
        passage(
            "4. Old appliances\n\nOld boilers and radiators are removed by the installer and "
            "recycled at no extra charge.",
            cosine=0.84,
            title="Boiler installation terms",
            section="4. Old appliances",
        )
    ]
    question = "Do we pay extra for them to take the old boiler away?"
    assert gate(question, hits, closest=None) is Signal.KEYWORDS


# ------------------------------------------------------------ words said otherwise


@pytest.mark.parametrize(
    ("word", "said"),
    [
        ("clippings", "trimmings"),
        ("photos", "photographs"),
        ("draw", "consumption"),
        ("cobran", "precio"),
        ("démarre", "début"),
        ("ménage", "nettoyage"),
        ("allowed", "permission"),
    ],
)
def test_an_everyday_word_is_found_where_the_document_says_it_otherwise(
    word: str, said: str
) -> None:
    assert set(analysis.analyze(said)) & synonyms.widen(analysis.analyze(word))


def test_a_german_plural_in_s_is_held_by_its_singular() -> None:
    clues = Clues.of("Wo werden die Akkus geladen?")
    assert "akkus" in clues.held("Der Akku wird in der Ladestation geladen.")
    assert "akkus" not in clues.held("Das Ladegerät steht im Keller.")


# ------------------------------------------------------------------ time of day


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Until what time can I use the sauna?", True),
        ("What time does the library close on Fridays?", True),
        ("À quelle heure ferme la piscine ?", True),
        ("¿Hasta qué hora abre el gimnasio?", True),
        ("Bis wie viel Uhr ist die Kantine geöffnet?", True),
        ("图书馆几点关门？", True),
        ("How much time do I have to return the form?", False),
        ("When does the library close?", False),
        ("What is the price of a day pass?", False),
    ],
)
def test_a_question_asking_for_a_time_of_day(question: str, asked: bool) -> None:
    assert clock.asks_clock(question) is asked


@pytest.mark.parametrize(
    ("text", "stated"),
    [
        ("The sauna is open from 10:00 to 21:00.", True),
        ("Quiet hours start at 10 pm.", True),
        ("Die Kantine schließt um 14.30 Uhr.", True),
        ("La piscine ferme à 19h30.", True),
        ("A day pass costs 12.50 EUR.", False),
        ("Firmware 2.10 fixes the clock.", False),
        ("Support is available 24 h a day.", False),
    ],
)
def test_a_time_of_day_as_documents_write_it(text: str, stated: bool) -> None:
    assert clock.states_clock(text) is stated


def test_a_time_of_day_question_of_one_word_is_answered_by_a_clock_time() -> None:
    # "until" and "time" ask: the sauna is the one word asked about.
    question = "Until what time can I go to the sauna?"
    assert Clues.of(question).form is asked.Form.CLOCK
    opening = passage(
        "The sauna in the basement is open from 10:00 to 21:00, Monday to Saturday.",
        cosine=0.84,
        title="Residents' guide",
        section="6. Sauna",
    )
    assert gate(question, [opening], closest=None) is Signal.KEYWORDS
    rule = passage(
        "The sauna in the basement is open to residents and their guests.",
        cosine=0.84,
        title="Residents' guide",
        section="6. Sauna",
    )
    assert gate(question, [rule], closest=None) is None


# --------------------------------------------------------- counts, premises, words


def test_the_unit_a_count_is_given_in_is_not_a_word_the_passage_must_hold() -> None:
    # A capacity column says "24", not "24 people".
    clues = Clues.of("How many people fit in the Larch room?")
    held = clues.held("Room | Capacity | Projector\nLarch | 24 | yes")
    assert clues.share(held & clues.weights.keys()) >= 0.61


@pytest.mark.parametrize(
    ("word", "said"),
    [("left", "lost"), ("hang", "kept"), ("instead", "successor")],
)
def test_a_situational_word_is_found_where_the_document_says_it_otherwise(
    word: str, said: str
) -> None:
    assert set(analysis.analyze(said)) & synonyms.widen(analysis.analyze(word))


def test_a_premise_names_its_code_even_where_the_title_names_the_series() -> None:
    # "kelso-kx-kettles.pdf" names the KX series, not the KX-4: "kx" stays a word of the
    # premise, which the sentence restating it must hold.
    question = "The KX-4 kettle has been discontinued - what should I get instead?"
    texts = ["The KX-4 kettle has been discontinued since June 2026. Its successor is the KX-5."]
    titles = {1: set(analysis.analyze("kelso-kx-kettles.pdf"))}
    follow = premise.follow_on(question, texts, [1], ["d"], [1.0], 0, titles)
    assert follow is not None
    assert follow.text == "Its successor is the KX-5."


@pytest.mark.parametrize(
    ("unit", "dated"),
    [
        ("Visitors may not take photographs on site.", False),
        ("May I bring a guest?", False),
        ("The office closes on 14 May.", True),
        ("From May 2026 the fee rises.", True),
    ],
)
def test_may_is_the_month_only_beside_a_figure(unit: str, dated: bool) -> None:
    assert asked.holds(asked.Form.DATE, unit) is dated
