"""Near-misses answered with a neighbouring sentence (issue 13): a "what time" question
needs a clock time (asked.Form.CLOCK), the asked noun of "When is ...", "How long is ..."
and "Which ... is" questions must be named by its document (attributes.asked_head), and a
mobile number is a phone number held by the unit naming whom it is asked of
(held_kind). Each rule over question and passage; the API cases are in
test_near_miss_api.py."""

from __future__ import annotations

import pytest

from docent.answering.asked import Form, form_of, holds
from docent.answering.attributes import asked_head, asked_phrase, missing_attribute
from docent.answering.clues import Clues
from docent.answering.held_kind import Kind, kind_of, lacks_kind


@pytest.mark.parametrize(
    ("question", "form"),
    [
        ("What time does the last bus leave the station?", Form.CLOCK),
        ("By what time must I call my line manager?", Form.CLOCK),
        ("Until what time can I do my washing?", Form.CLOCK),
        ("À quelle heure ouvre la piscine ?", Form.CLOCK),
        ("Um wie viel Uhr beginnt die Versammlung?", Form.CLOCK),
        ("¿A qué hora cierra el gimnasio?", Form.CLOCK),
        ("图书馆几点开门？", Form.CLOCK),
        ("في أي ساعة يفتح المكتب؟", Form.CLOCK),
        # a length of time, not a time of day
        ("Within what time must damage be reported?", None),
        ("When does the library open?", Form.DATE),
    ],
)
def test_a_time_of_day_asked_for(question: str, form: Form | None) -> None:
    assert form_of(question) == form


@pytest.mark.parametrize(
    ("unit", "held"),
    [
        ("The first bus leaves at 05:50.", True),
        ("La journée commence à 8 h 30.", True),
        ("Die Versammlung beginnt um 13 Uhr.", True),
        ("Abrimos a las 7 de la mañana.", True),
        ("The office closes at 5 pm.", True),
        ("图书馆上午9点开门。", True),
        ("We close at midnight.", True),
        # a day is no time of day, nor a price or a length of time
        ("Route 31 is withdrawn after the last journey on Saturday 6 September 2025.", False),
        ("A day ticket costs 4.50.", False),
        ("Report it within 24 hours.", False),
    ],
)
def test_a_unit_holds_a_clock_time(unit: str, held: bool) -> None:
    assert holds(Form.CLOCK, unit) is held


@pytest.mark.parametrize(
    ("question", "phrase", "head"),
    [
        ("When is sports day at Hollybrook?", ["sports", "day"], "sports"),
        ("How long is the guarantee on a replacement boiler?", ["guarantee"], "guarantee"),
        # the noun after "which" is the class of the answer; its modifiers say which
        ("Which tablet model is standard issue at Pellwood?", ["tablet"], "tablet"),
        ("Which jobs are charged as additional work?", [], None),
        ("Which carrier had the worst on-time rate?", [], None),
        # a predicate or a participle ending the phrase is the question's verb
        ("When is the Larchmont library open on Fridays?", ["Larchmont", "library"], "library"),
        ("How long is the lift closed?", ["lift"], "lift"),
        # ... and so do a time adverb and a participle not in -ed
        (
            "When will the RM-53 drive belt be available again?",
            ["RM-53", "drive", "belt", "be"],
            "belt",
        ),
        ("How much is taken each month by direct debit?", [], None),
        ("How many NV-310 gas sensors did Norvale sell in Q2?", [], None),
    ],
)
def test_the_noun_asked_in_more_forms(question: str, phrase: list[str], head: str | None) -> None:
    assert asked_phrase(question) == phrase
    assert asked_head(question) == head


NEWSLETTER = (
    "World Book Day is on Thursday 5 March: children may come dressed as a book character. "
    "Parents' evening is on Tuesday 17 March from 3:30 pm."
)


def test_an_event_the_document_never_names_is_missing() -> None:
    question = "When is sports day at Hollybrook?"
    assert missing_attribute(question, Clues.of(question), NEWSLETTER, NEWSLETTER)
    named = "When is parents' evening at Hollybrook?"
    assert not missing_attribute(named, Clues.of(named), NEWSLETTER, NEWSLETTER)


def test_a_mobile_number_is_a_phone_number_of_whom_it_is_asked() -> None:
    assert kind_of("What is the lift engineer's mobile number?") is Kind.PHONE
    assert kind_of("Wie lautet die Handynummer des Hausmeisters?") is Kind.PHONE
    assert kind_of("¿Cuál es el número de móvil del técnico?") is Kind.PHONE
    text = (
        "The site agent is Ms Nadia Ferreira.\n"
        "Breakdowns are answered 24 hours a day on 0330 041 7700."
    )
    question = "What is Nadia Ferreira's mobile number?"
    # the switchboard's number is in another sentence than the one naming her
    assert lacks_kind(question, Clues.of(question), text, set())
    held = f"{text}\nNadia Ferreira can be reached on 07700 900 123."
    assert not lacks_kind(question, Clues.of(question), held, set())


def test_a_yes_no_question_about_having_a_thing_asks_for_it() -> None:
    assert asked_phrase("Does the gym have a pool?") == ["pool"]
    assert asked_head("Does Brightwell offer a student discount?") == "discount"
    # without an article, what follows "have" may be a verb's object clause
    assert asked_phrase("Do we have to book?") == []
    rules = "The gym has a sauna and a climbing wall. Towels are free."
    question = "Does the gym have a pool?"
    assert missing_attribute(question, Clues.of(question), rules, rules)
    sauna = "Does the gym have a sauna?"
    assert not missing_attribute(sauna, Clues.of(sauna), rules, rules)


def test_whether_the_company_pays_asks_for_money() -> None:
    assert kind_of("Does the company pay for safety boots?") is Kind.MONEY
    text = (
        "Safety boots are required in the workshop and the loading yard.\n"
        "Hearing protection must be worn at the press line."
    )
    question = "Does the company pay for safety boots?"
    assert lacks_kind(question, Clues.of(question), text, set())
    paid = f"{text}\nSafety boots are paid for by the company up to £80 a year."
    assert not lacks_kind(question, Clues.of(question), paid, set())


MODELS = " | DH-12 | DH-20\nWater tank | 2.0 litres | 4.5 litres\nWeight | 10.2 kg | 13.8 kg"


def test_a_code_heading_a_column_names_the_values_of_its_rows() -> None:
    # The table's entities are its columns: "DH-20" is in the header, the tank's value
    # in the row below it.
    question = "How much water does the DH-20's tank hold?"
    assert Clues.of(question).states_form(MODELS, set(), "The two models")
    # A table of the models without the tank's row states nothing of it.
    other = MODELS.replace("Water tank | 2.0 litres | 4.5 litres", "Colour | white | grey")
    assert not Clues.of(question).states_form(other, set(), "The two models")


def test_an_attribute_is_named_without_a_word_between_two_of_its_own() -> None:
    team = "Our team\nName | Role | HCPC number\nMs. Priya Natarajan | Physiotherapist | PH142615"
    question = "What is Priya Natarajan's HCPC registration number?"
    assert not missing_attribute(question, Clues.of(question), team, team)
    # Another register's number is not named by the HCPC's.
    other = "What is Priya Natarajan's GMC registration number?"
    assert missing_attribute(other, Clues.of(other), team, team)
