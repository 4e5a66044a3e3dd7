"""The sentence that answers, fourth round (issue 13): a "why" question gets the sentence
giving the reason (answering/reasons.py), an hourly rate does not follow the monthly
price asked (rates.py), a labelled place line answers "where" and the question's own
words give no line the place shape (places.py), and a line naming the subject with few
of the question's words gives way to the one that says where (picking.told_first).
Documents made up, of the kinds people upload (minutes, contracts, invitations, rules),
in en, de, fr, es, zh and ar."""

from __future__ import annotations

import pytest
from test_answer_shapes import chosen, sectioned
from test_extractive import sources

from docent.answering import cells, places, rates, reasons, shapes
from docent.answering.shapes import Asked, Shape


@pytest.mark.parametrize(
    "question",
    [
        "Why was the boiler service postponed?",
        "And why is the car park closed?",
        "Warum wurde die Sitzung verschoben?",
        "Pourquoi la salle B est-elle fermée ?",
        "¿Por qué se cancela la excursión?",
        "为什么会议推迟了？",
        "لماذا تم تأجيل الاجتماع؟",
    ],
)
def test_a_question_asking_why(question: str) -> None:
    assert reasons.asks_why(question)


@pytest.mark.parametrize(
    "question",
    ["When was the boiler serviced?", "¿Porque no hay clase? ", "How do I book the hall?"],
)
def test_a_question_not_asking_why(question: str) -> None:
    # "porque" is the answer's word ("because"), not the question's.
    assert not reasons.asks_why(question)


@pytest.mark.parametrize(
    ("text", "gives"),
    [
        ("The delay was caused by a burst pipe in the plant room.", True),
        ("Die Sitzung fällt aus, weil der Saal renoviert wird.", True),
        ("La salle est fermée en raison de travaux.", True),
        ("La salle est fermée, car le chauffage est en panne.", True),
        ("La excursión se cancela debido a la lluvia.", True),
        ("由于天气原因，会议推迟。", True),
        ("تم تأجيل الاجتماع بسبب الأمطار.", True),
        ("The meeting was moved to 14 May.", False),
        # "car" is French for "because", English for a car
        ("Visitors park in the car park by Gate 2, car spaces are marked.", False),
    ],
)
def test_a_unit_giving_a_reason(text: str, gives: bool) -> None:
    assert reasons.gives_reason(text) is gives


async def test_why_quotes_the_fact_then_the_sentence_saying_why() -> None:
    question = "Why did the Ashby fire drill take longer than planned?"
    fact = "The building was cleared in 9 minutes, against a target of 6 minutes."
    reason = "Delays were caused by a blocked stairwell on the second floor."
    other = "Minutes were taken by Owen Price."
    given = sources(f"{fact} {reason} {other}", title="ashby-committee-minutes.docx")
    picked = await chosen(question, {fact: 0.95, reason: 0.70, other: 0.60}, given)
    assert [text for text, _ in picked] == [fact, reason]


async def test_why_prefers_a_unit_giving_the_reason_within_reach() -> None:
    question = "Warum ist die Sporthalle im März geschlossen?"
    fact = "Die Sporthalle ist im März geschlossen."
    reason = "Die Sporthalle bleibt geschlossen, weil der Hallenboden erneuert wird."
    between = "Der Eingang liegt an der Nordseite des Gebäudes."
    given = sources(f"{fact} {between} {reason}", title="aushang.pdf")
    picked = await chosen(question, {fact: 0.93, between: 0.6, reason: 0.93}, given)
    assert picked[0][0] == reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Client pays £1,340 per month plus VAT.", {"month"}),
        ("Les prestations sont facturées 38 € HT de l'heure.", {"hour"}),
        ("Die Miete beträgt 780 € pro Monat.", {"month"}),
        ("El alquiler es de 650 € al mes.", {"month"}),
        ("Parking costs £12 a day or £50 per week.", {"day", "week"}),
        ("每月租金为 3000 元。", {"month"}),
        ("Callouts are charged at £95.", set()),
    ],
)
def test_the_periods_a_unit_states_a_rate_for(text: str, expected: set[str]) -> None:
    assert rates.periods(text) == expected


def test_a_rate_of_another_period_than_asked() -> None:
    question = "How much do we pay the cleaners each month?"
    assert rates.other_period(question, "Extra work is charged at 38 € per hour.")
    assert not rates.other_period(question, "The fee is 1 240 € per month, or 1 488 € TTC.")
    assert not rates.other_period(question, "Callouts are charged at £95.")
    assert not rates.other_period("How much is a callout?", "£38 per hour per operative.")


async def test_an_hourly_rate_does_not_follow_the_monthly_price_asked() -> None:
    question = "How much do we pay Brightclean each month before VAT?"
    monthly = "The fixed price is 1 240 € before VAT per month."
    hourly = "One-off jobs are charged at 38 € before VAT per hour, on a prior quote."
    given = sources(f"{monthly} {hourly}", title="brightclean-contract.docx")
    picked = await chosen(question, {monthly: 0.92, hourly: 0.91}, given)
    assert [text for text, _ in picked] == [monthly]


@pytest.mark.parametrize(
    "text",
    [
        "Datum: 24. April 2025 Beginn: 13:30 Uhr Ort: Kantine, Gebäude 3",
        "Date: 3 May; Venue: Kelvin Hall",
        "Lieu : salle B, 2e étage",
        "Lugar: salón de actos",
        "地点：3号会议室",
        "المكان: قاعة الاجتماعات",
    ],
)
def test_a_labelled_place_line(text: str) -> None:
    assert places.labelled(text)
    assert places.fit("Where is it?", Asked(Shape.PLACE), text) == 1.0


def test_the_questions_own_place_words_give_no_place() -> None:
    question = "Where is the first aid room at the Daventry distribution centre?"
    title = "DAVENTRY DISTRIBUTION CENTRE - SAFETY RULES (revision 7)"
    assert shapes.fit(Asked(Shape.PLACE), title) == 0.5
    assert places.fit(question, Asked(Shape.PLACE), title) == 0.0
    answer = "The first aid room is next to the canteen."
    assert places.fit(question, Asked(Shape.PLACE), answer) == 0.5


async def test_a_labelled_place_line_answers_where() -> None:
    question = "Wo findet die Betriebsversammlung statt?"
    video = "Für die Beschäftigten am Standort Nord wird die Versammlung per Video übertragen."
    line = "Datum: Donnerstag, 24. April 2025 Beginn: 13:30 Uhr Ort: Kantine, Gebäude 3"
    given = sources(f"{video}\n\n{line}", title="einladung-versammlung.eml")
    # Without its label the line would score 0.06 below the sentence (0.91 against 0.97).
    picked = await chosen(question, {video: 0.84, line: 0.85}, given)
    assert picked[0][0] == line


async def test_the_line_saying_where_beats_a_title_line_holding_the_subjects_words() -> None:
    question = "Where is the first aid room at the Daventry distribution centre?"
    title = "DAVENTRY DISTRIBUTION CENTRE WAREHOUSE SAFETY RULES (revision 7)"
    answer = "4.3 The first aid room is on the ground floor, next to the canteen."
    given = sources(f"{title}\n\n{answer}", title="warehouse-safety-rules.txt")
    picked = await chosen(question, {title: 0.96, answer: 0.90}, given)
    assert picked[0][0] == answer


@pytest.mark.parametrize(
    ("heading", "dimension", "fit"),
    [
        ("Revenue by region (£m)", shapes.Dimension.MONEY, 1.0),
        ("Preise (€ netto)", shapes.Dimension.MONEY, 1.0),
        ("Tarifs 2025 (€ HT)", shapes.Dimension.MONEY, 1.0),
        ("Weights (kg)", shapes.Dimension.MASS, 1.0),
        ("Revenue by region (£m)", shapes.Dimension.MASS, 0.5),
        ("Revenue by region", shapes.Dimension.MONEY, 0.5),
    ],
)
def test_a_row_under_a_heading_stating_the_unit_asked(
    heading: str, dimension: shapes.Dimension, fit: float
) -> None:
    asked = Asked(Shape.QUANTITY, dimension)
    assert cells.headed_fit(asked, 0.5, "row", heading) == fit
    # a sentence under it states its own units
    assert cells.headed_fit(asked, 0.5, "sentence", heading) == 0.5


async def test_the_row_in_the_captions_currency_beats_a_sentence_with_another_figure() -> None:
    question = "What was Fernwood's Q3 revenue in Asia?"
    table = "Revenue by region (£m)\n\n| Region | Q2 | Q3 |\n| Europe | 7.9 | 8.6 |\n| Asia | 5.1 | 6.2 |"
    highlights = "Highlights\n\nRevenue £18.4m, up 12% on last year, and three new distributors."
    given = sectioned("fernwood-q3-review.pptx", (highlights, "Highlights"), (table, "Revenue"))
    asia = "Region: Asia; Q2: 5.1; Q3: 6.2"
    sentence = "Revenue £18.4m, up 12% on last year, and three new distributors."
    picked = await chosen(question, {sentence: 0.90, asia: 0.85}, given)
    assert picked[0][0].startswith("Region: Asia")


@pytest.mark.parametrize(
    "question",
    [
        "On which floor is the engineering team?",
        "In welchem Raum findet der Kurs statt?",
        "À quel étage se trouve la salle B ?",
        "¿En qué planta está la recepción?",
        "工程部在几楼？",
    ],
)
def test_a_place_asked_for_by_its_noun(question: str) -> None:
    assert shapes.asked(question) == Asked(Shape.PLACE)


@pytest.mark.parametrize(
    ("text", "has"),
    [
        ("A doctor's note is needed from the third day of sickness.", True),
        ("Ein Attest ist ab dem dritten Krankheitstag nötig.", True),
        ("Un certificat est exigé dès le troisième jour d'absence.", True),
        ("Se necesita un justificante a partir del tercer día.", True),
        ("从病假第三天起需要医生证明。", True),
        ("يلزم تقرير طبي من اليوم الثالث للغياب.", True),
        ("A doctor's note is needed for any absence.", False),
    ],
)
def test_an_ordinal_day_is_a_point_in_time(text: str, has: bool) -> None:
    assert shapes.has(Shape.TIME, text) is has
