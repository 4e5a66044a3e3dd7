"""An answer must name what its question asks about, not only hold what it asks for
(issue 13's near-misses): a question asking whether something is there ("¿El gimnasio
tiene piscina?", "Does the gym have a pool?") over a passage naming none of its words
besides its names (the gym's address line) is not answered (attributes.names_nothing_asked,
asked.there_asked), nor a price or number question by another item's table row
(attributes.row_lacks_attribute). The API cases are in test_answer_subject_api.py."""

from __future__ import annotations

import pytest

from docent.answering.asked import there_asked
from docent.answering.attributes import names_nothing_asked, off_subject
from docent.answering.clues import Clues


@pytest.mark.parametrize(
    ("question", "asking"),
    [
        ("Does the gym have a pool?", "Does the gym have"),
        ("Is there a car park at the station?", "Is there"),
        ("Gibt es einen Zuschuss zum Jobticket?", "Gibt es"),
        ("¿El Gimnasio Olivar tiene piscina?", "tiene"),
        ("¿Hay aparcamiento?", "Hay"),
        ("Le parking a-t-il des bornes de recharge ?", "a-t-il"),
        ("停车场有没有充电桩？", "有没有"),
        ("هل يوجد موقف للسيارات؟", "هل يوجد"),
        # "hay que" is "one must"; other yes or no questions are answered in other words
        # ("Can I keep a dog?": "Pets are not permitted"), and wh-questions ask no yes or no
        ("¿Cada cuánto hay que cambiar el filtro?", None),
        ("Can I keep a dog in the flat?", None),
        ("How much is a day pass?", None),
        ("Was kostet ein Ersatzfilter?", None),
    ],
)
def test_a_question_asking_whether_something_is_there(question: str, asking: str | None) -> None:
    assert there_asked(question) == asking


GYM = "gimnasio-olivar-tarifas-horarios.html"


@pytest.mark.parametrize(
    ("question", "unit", "context", "refused", "passage"),
    [
        # the address line names the gym, not the pool
        (
            "¿El Gimnasio Olivar tiene piscina?",
            "Gimnasio Olivar · Calle Feria 112, 41002 Sevilla · Tel. 955 01 23 45",
            GYM,
            True,
            "Gimnasio Olivar · Calle Feria 112, 41002 Sevilla · Tel. 955 01 23 45\n"
            "Tarifas y horarios del gimnasio. La cuota mensual incluye la sala de cardio.",
        ),
        (
            "¿El Gimnasio Olivar tiene piscina?",
            "La piscina cubierta abre a las 7:00.",
            GYM,
            False,
            "",
        ),
        # "tiene" asks: a unit saying what the gym has, but not a pool, names nothing asked
        (
            "¿El Gimnasio Olivar tiene piscina?",
            "El gimnasio tiene tres salas.",
            GYM,
            True,
            "El gimnasio tiene tres salas. La cuota mensual incluye la sala de cardio y las clases.",
        ),
        # a word of the asked word's group names it ("swimming" for "pool")
        (
            "Does the gym have a pool?",
            "The swimming area is open from 7 am.",
            "gym.html",
            False,
            "",
        ),
        ("Does the gym have a pool?", "Olivar Gym, 12 High Street, Leeds.", "gym.html", True, ""),
        # a word the section heading holds is the unit's too
        (
            "Is there a car park at Ashby?",
            "Open 24 hours, 120 spaces.",
            "Ashby\nCar park",
            False,
            "",
        ),
        ("停车场有没有充电桩？", "地址：北京市朝阳区建国路88号", "zh.txt", True, ""),
        ("هل يوجد موقف للسيارات؟", "العنوان: شارع الملك فهد، الرياض", "ar.txt", True, ""),
        # a wh-question is judged by the gate's other rules
        ("Where is the gym?", "Gimnasio Olivar · Calle Feria 112, 41002 Sevilla", GYM, False, ""),
        # across languages words cannot be compared
        (
            "Does the Olivar gym have a pool?",
            "El gimnasio dispone de sala de musculación, sala de cardio y vestuarios.",
            GYM,
            False,
            "",
        ),
    ],
)
def test_an_answer_names_the_thing_asked_to_be_there(
    question: str, unit: str, context: str, refused: bool, passage: str
) -> None:
    assert names_nothing_asked(question, Clues.of(question), unit, context, passage) is refused


PASSAGES = {
    "Wie": "Der Sauger ist leicht und leise. Das Zubehör wird mit dem Gerät geliefert.",
    **dict.fromkeys(
        ("How", "What", "When"),
        "The vehicle is built for airport fire services and carries its crew of six.",
    ),
}


@pytest.mark.parametrize(
    ("question", "unit", "context", "refused"),
    [
        # another item's row holds a quantity, not the one asked about
        (
            "How much dry powder does the Tigon carry?",
            "Item: Foam concentrate tank; Value: 1,100 litres",
            "tigon-brochure.pdf",
            True,
        ),
        (
            "How much dry powder does the Panther carry?",
            "Item: Dry powder; Value: 250 kg",
            "panther-brochure.pdf",
            False,
        ),
        # the trade price is no warranty's price
        (
            "What does an extended warranty for an NV recorder cost?",
            "Specification: Trade price (ex. VAT); NV-410: £189; NV-820: £279",
            "kestrel-nv-recorders-datasheet.html",
            True,
        ),
        (
            "What does an extended warranty for an NV recorder cost?",
            "A three-year extended warranty costs £45 per recorder.",
            "kestrel-nv-recorders-datasheet.html",
            False,
        ),
        # a measure is stated by its figure: the row names the thing measured
        (
            "What is the water tank capacity of the Tigon?",
            "Item: Water tank; Value: 9,000 litres",
            "tigon-brochure.pdf",
            False,
        ),
        # "fully loaded": the adverb and participle say how, not what
        (
            "How heavy is the Tigon 4x4 fully loaded?",
            "Item: Gross vehicle weight; Value: 26,000 kg",
            "tigon-brochure.pdf",
            False,
        ),
        # German: the asked noun as a compound's part
        (
            "Wie viel kostet ein Ersatzfilter?",
            "Zubehör: HEPA-Filter; Preis: 19,90 €",
            "brandt-produktkarte.pdf",
            False,
        ),
        (
            "Wie viel kostet ein Ersatzfilter?",
            "Zubehör: Bodendüse; Preis: 24,90 €",
            "brandt-produktkarte.pdf",
            True,
        ),
        # a sentence may name the thing in other words, or say "it": not judged
        (
            "How much does the extended warranty cost?",
            "It costs £45 per recorder and year.",
            "kestrel-nv-recorders-datasheet.html",
            False,
        ),
        # a date's sentence names its event in its own words: not judged
        (
            "When is the next lift service?",
            "The next routine visits are booked for 14 April 2026.",
            "ostara-lift-maintenance-contract.pdf",
            False,
        ),
    ],
)
def test_a_price_or_number_row_names_the_asked_noun(
    question: str, unit: str, context: str, refused: bool
) -> None:
    # The unit's passage tells its language (a row is too short to tell).
    passage = f"{unit}\n{PASSAGES[question.split()[0]]}"
    # A table row is written "Header: cell; Header: cell" (passages.units).
    row = ";" in unit
    assert off_subject(question, Clues.of(question), unit, context, passage, row=row) is refused


def test_a_row_under_a_table_naming_the_asked_noun_is_not_judged() -> None:
    question = "How much dry powder does the Tigon carry?"
    row = "Item: Foam concentrate tank; Value: 1,100 litres"
    table = f"{row}\nItem: Dry powder unit; Value: 250 kg\n{PASSAGES['How']}"
    assert not off_subject(question, Clues.of(question), row, "tigon.pdf", table, row=True)
