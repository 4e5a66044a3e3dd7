"""The shape of answer a question asks for (answering/shapes.py), and how the extractive
answerer uses it to choose between units of the right document: the row or sentence
stating a figure with the unit asked for, a date, a place, over the one that only names
the subject. Documents of the kinds people upload (spec sheets, price lists, policies,
notices), in en, de, fr, es, zh and ar."""

from __future__ import annotations

import pytest
from test_extractive import KeyedEmbedder, at, sources

from docent.answering import shapes
from docent.answering.asked import Form, holds
from docent.answering.extractive import ExtractiveGenerator
from docent.answering.shapes import Asked, Dimension, Shape
from docent.answering.wording import content_terms
from docent.domain import Chunk, Hit
from docent.roles import Source
from docent.search.analysis import query_terms


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How heavy is the Vulcan 6x6 when loaded?", Asked(Shape.QUANTITY, Dimension.MASS)),
        ("Wie schwer ist der Anhänger?", Asked(Shape.QUANTITY, Dimension.MASS)),
        ("Combien coûte l'abonnement annuel ?", Asked(Shape.QUANTITY, Dimension.MONEY)),
        ("¿Cuánto cuesta la cuota mensual?", Asked(Shape.QUANTITY, Dimension.MONEY)),
        ("这台冰箱的容量是多少？", Asked(Shape.QUANTITY, Dimension.VOLUME)),
        ("كم يوما إجازة الأمومة؟", Asked(Shape.QUANTITY, Dimension.DURATION)),
        (
            "How many days of paid leave do new fathers get?",
            Asked(Shape.QUANTITY, Dimension.DURATION),
        ),
        # "per night" is the rate's period, not what is asked
        ("How much is refunded per night for a hotel?", Asked(Shape.QUANTITY, Dimension.MONEY)),
        ("Quelle est la vitesse maximale du bateau ?", Asked(Shape.QUANTITY, Dimension.SPEED)),
        ("How many people fit in the lecture hall?", Asked(Shape.QUANTITY)),
        ("When does the library close on Saturdays?", Asked(Shape.TIME)),
        ("Wann beginnt die Schulung?", Asked(Shape.TIME)),
        ("À quelle heure ouvre la piscine ?", Asked(Shape.TIME)),
        ("¿Cuándo se paga la nómina?", Asked(Shape.TIME)),
        ("会议什么时候开始？", Asked(Shape.TIME)),
        ("متى يبدأ التسجيل؟", Asked(Shape.TIME)),
        ("What are the museum's opening hours?", Asked(Shape.TIME)),
        ("Who approves travel requests?", Asked(Shape.PERSON)),
        ("Wer leitet das Labor?", Asked(Shape.PERSON)),
        ("¿Quién imparte el curso de cocina?", Asked(Shape.PERSON)),
        ("谁负责安全培训？", Asked(Shape.PERSON)),
        ("And where is the workshop held?", Asked(Shape.PLACE)),
        ("Wo ist der Erste-Hilfe-Kasten?", Asked(Shape.PLACE)),
        ("Où se trouve le local vélos ?", Asked(Shape.PLACE)),
        ("前台在哪里？", Asked(Shape.PLACE)),
        ("أين يقع مكتب الاستقبال؟", Asked(Shape.PLACE)),
        # "when", "where", "who" inside a question are conjunctions or relative pronouns
        ("Does the alarm sound when the door is left open?", None),
        ("Is there a room where staff can rest?", None),
        ("Can employees who work part-time join the pension scheme?", None),
        ("Que faire quand la chaudière tombe en panne ?", None),
        ("What does the warranty cover?", None),
        # a "what" question for a measure, by its noun
        ("What is the monthly rent on flat 7?", Asked(Shape.QUANTITY, Dimension.MONEY)),
        ("Quel est le loyer de l'appartement 7 ?", Asked(Shape.QUANTITY, Dimension.MONEY)),
        ("What is the weight of the trailer?", Asked(Shape.QUANTITY, Dimension.MASS)),
        ("Which documents are needed?", None),
        # "how much" of a substance: a mass, a volume or a kitchen measure
        ("How much flour goes into the bread?", Asked(Shape.QUANTITY, Dimension.AMOUNT)),
        ("Wie viel Zucker braucht man?", Asked(Shape.QUANTITY, Dimension.AMOUNT)),
        ("How late is the pool open on Fridays?", Asked(Shape.TIME)),
        # a unit of time not counted names what is priced: "how much is" asks a price
        ("How much is a student day ticket?", Asked(Shape.QUANTITY, Dimension.MONEY)),
        ("Combien coûte le billet d'un jour ?", Asked(Shape.QUANTITY, Dimension.MONEY)),
        ("How much is the weekly pass?", Asked(Shape.QUANTITY, Dimension.MONEY)),
        ("How many working days of notice?", Asked(Shape.QUANTITY, Dimension.DURATION)),
        ("How much leave do I get in days?", Asked(Shape.QUANTITY, Dimension.DURATION)),
        ("¿Hasta qué hora abre la biblioteca?", Asked(Shape.TIME)),
    ],
)
def test_the_shape_of_answer_a_question_asks_for(question: str, expected: Asked | None) -> None:
    assert shapes.asked(question) == expected


@pytest.mark.parametrize(
    ("question", "text", "kind", "fit"),
    [
        ("How heavy is it?", "Item: Gross weight; Value: 18,500 kg", "row", 1.0),
        ("How heavy is it?", "Item: Wheelbase; Value: 4,200 mm", "row", 0.5),
        # the row's first cell says what it is about: "0-80 km/h" there is no speed
        ("How fast is it?", "Item: Acceleration 0-80 km/h; Value: 19 s", "row", 0.5),
        ("How fast is it?", "Item: Top speed; Value: 110 km/h", "row", 1.0),
        ("How fast is it?", "It is built for narrow streets.", "sentence", 0.0),
        ("Combien coûte le modèle ?", "Prix : 3 290 € TTC.", "sentence", 1.0),
        ("¿Cuánto cuesta?", "Calle Mayor 12, 28013 Madrid. Tel. 910 00 00 00", "sentence", 0.5),
        ("¿Cuánto cuesta?", "La matrícula cuesta 25,00 €.", "sentence", 1.0),
        ("How much is paid per month?", "Grupo Brisa abona 35 €/mes.", "sentence", 1.0),
        ("How heavy is it?", "Item: Pump; Value: 1,500 l/min", "row", 0.5),
        ("适用面积是多少？", "项目: 适用面积; 参数: 15–25 平方米", "row", 1.0),
        ("How long is the warranty?", "The charger has a 2-year warranty.", "sentence", 1.0),
        ("How long do refunds take?", "Refunds take ten working days.", "sentence", 1.0),
        ("When is the audit?", "L'audit aura lieu du 3 au 7 mars.", "sentence", 0.5),
        ("Wann beginnt sie?", "Beginn: 9:30 Uhr im Saal 2.", "sentence", 0.5),
        (
            "Where is the smoking area?",
            "Smoking is allowed only near the north gate.",
            "sentence",
            0.5,
        ),
        ("How much flour goes in?", "Bake at 220 °C for 30 minutes.", "sentence", 0.5),
        ("How much flour goes in?", "- 500 g strong white flour", "item", 1.0),
        ("Combien de sucre faut-il ?", "2 c. à soupe de sucre roux", "item", 1.0),
        ("Who chairs the committee?", "The committee meets monthly.", "sentence", 0.0),
        (
            "Who chairs the committee?",
            "It is chaired by Ana Ruiz, head of facilities.",
            "sentence",
            0.5,
        ),
    ],
)
def test_how_well_a_unit_has_the_shape_asked_for(
    question: str, text: str, kind: str, fit: float
) -> None:
    asked = shapes.asked(question)
    assert asked is not None
    assert shapes.fit(asked, text, kind) == fit


def test_an_interrogative_naming_a_measure_is_not_a_content_word() -> None:
    # The answer says "18,500 kg", not "heavy"; "wie viele" is the question's too.
    assert "heavi" not in content_terms("How heavy is the Vulcan 6x6?")
    assert "vulcan" in content_terms("How heavy is the Vulcan 6x6?")
    assert content_terms("Wie viele Urlaubstage gibt es?") == set(query_terms("Urlaubstage gibt"))
    # A question of nothing but the interrogative keeps it.
    assert content_terms("How long?") == set(query_terms("How long?"))


async def chosen(
    question: str, cosines: dict[str, float], given: list[Source]
) -> list[tuple[str, int]]:
    """What the extractive answerer quotes from `given`, each text of `cosines` embedded at
    its cosine from the question (each on an axis of its own), any other at 0.5."""
    vectors = {question: at(1.0)} | {t: at(c, i) for i, (t, c) in enumerate(cosines.items(), 1)}
    embedder = KeyedEmbedder(vectors, default=at(0.5, len(cosines) + 1))
    return await ExtractiveGenerator(embedder).select(question, given)


def sectioned(title: str, *passages: tuple[str, str]) -> list[Source]:
    """One source per (text, section path) of one document named `title`."""
    return [
        Source(i, Hit(Chunk(f"c{i}", "d", i, text, section=section), title, 1.0))
        for i, (text, section) in enumerate(passages, start=1)
    ]


SPEC = "Item | Value\nWheelbase | 4,200 mm\nGross vehicle weight | 18,500 kg\nTop speed | 110 km/h"


@pytest.mark.parametrize(
    ("question", "intro", "row"),
    [
        pytest.param(
            "How heavy is the Vulcan 6x6 fully loaded?",
            "The Vulcan 6x6 is a forest fire engine, heavy enough for any terrain.",
            "Item: Gross vehicle weight; Value: 18,500 kg",
            id="en-mass",
        ),
        pytest.param(
            "Quelle est la vitesse maximale du Vulcan 6x6 ?",
            "Le Vulcan 6x6 est un engin de lutte contre les feux de forêt.",
            "Item: Top speed; Value: 110 km/h",
            id="fr-speed-cross-lingual",
        ),
    ],
)
async def test_the_row_with_the_unit_asked_for_beats_a_sentence_naming_the_subject(
    question: str, intro: str, row: str
) -> None:
    # e5 rates the brochure's opening sentence, which names the vehicle (the brochure's
    # top heading), above the row (0.90 against 0.80); it states no weight and no speed.
    rows = [
        "Item: Wheelbase; Value: 4,200 mm",
        "Item: Gross vehicle weight; Value: 18,500 kg",
        "Item: Top speed; Value: 110 km/h",
    ]
    given = sectioned(
        "vulcan-brochure.pdf",
        (intro, "Vulcan 6x6 > Forest fire engine"),
        (SPEC, "Vulcan 6x6 > Technical data"),
    )
    cosines = {intro: 0.90} | {r: 0.80 if r == row else 0.79 for r in rows}
    picked = await chosen(question, cosines, given)
    # The row alone: the neighbouring rows state other measures and are not appended.
    assert picked == [(row, 2)]


async def test_a_price_beats_a_sentence_about_the_same_fee_without_one() -> None:
    question = "How much is the joining fee at the Brisa sailing club?"
    sentence = "The joining fee is paid once, when you sign up at the club's office."
    row = "Item: Joining fee; Price: 45.00 €"
    other = "Item: Monthly fee; Price: 52.00 €"
    given = sources(
        sentence,
        "Item | Price\nJoining fee | 45.00 €\nMonthly fee | 52.00 €",
        title="brisa-sailing-club-prices-2025.pdf",
    )
    picked = await chosen(question, {sentence: 0.93, row: 0.84, other: 0.82}, given)
    assert picked[0] == (row, 2)


async def test_a_greeting_under_the_manuals_heading_does_not_answer() -> None:
    # A Chinese manual: the greeting holds the product's name (the manual's top heading)
    # and nothing of what is asked.
    question = "明光 LX-20 台灯的功率是多少？"
    greeting = "感谢您选购明光 LX-20 台灯。"
    row = "项目: 功率; 参数: 12 瓦"
    top = "明光 LX-20 台灯 使用说明书"
    given = sectioned(
        "mingguang-lx20.docx",
        (greeting, top),
        ("项目 | 参数\n功率 | 12 瓦\n色温 | 4000 K", f"{top} > 产品参数"),
    )
    picked = await chosen(question, {greeting: 0.95, row: 0.85}, given)
    assert picked[0] == (row, 2)


async def test_the_row_about_what_is_asked_beats_a_step_with_the_same_unit() -> None:
    # A kettle's manual: a step pours 1 litre into the tank; the spec row is the tank's.
    question = "How much water does the Aquila K2's tank hold?"
    step = "1. Pour 1 litre of water into the tank and switch the kettle on."
    row = "Item: Water tank; Value: 2.2 litres"
    given = sectioned(
        "aquila-k2-manual.pdf",
        (step, "Aquila K2 > First use"),
        ("Item | Value\nWater tank | 2.2 litres\nPower | 2,200 W", "Aquila K2 > Technical data"),
    )
    picked = await chosen(question, {step: 0.92, row: 0.86}, given)
    assert picked[0] == (row, 2)


async def test_a_row_about_part_of_the_question_earns_nothing_for_its_label() -> None:
    # "The monthly fee for students": the row "Cuota mensual" is the fee for everyone; the
    # sentence on the students' discount answers.
    question = "¿Cuánto cuesta la cuota mensual para los estudiantes?"
    discount = "Los estudiantes tienen un descuento del 20 % en la cuota mensual."
    row = "Modalidad: Cuota mensual; Precio: 39,90 €"
    given = sources(discount, "Modalidad | Precio\nCuota mensual | 39,90 €\nMatrícula | 20,00 €")
    picked = await chosen(question, {discount: 0.88, row: 0.86}, given)
    assert picked[0] == (discount, 1)


async def test_an_ingredient_line_answers_how_much_of_it() -> None:
    # A recipe: the title and the oven line are close to the question; the ingredient
    # line states the amount.
    question = "How much grated Gruyère goes into the onion tart?"
    oven = "Bake the onion tart at 190 °C for 35 minutes, until golden."
    line = "- 120 g grated Gruyère"
    given = sources(
        oven,
        "Ingredients\n\n- 1 sheet of shortcrust pastry\n- 120 g grated Gruyère\n- 3 eggs",
        title="onion-tart-recipe.pdf",
    )
    picked = await chosen(question, {oven: 0.90, line: 0.84}, given)
    assert picked[0] == (line, 2)


async def test_the_row_named_by_the_question_beats_a_neighbouring_row() -> None:
    # A vet's price list: the dog vaccination row is closer by e5 (it says "dog").
    question = "How much does the rabies vaccination for a dog cost at Pawford Vets?"
    dog = "Treatment: Dog vaccination (DHPP); Price: 45 EUR"
    rabies = "Treatment: Rabies vaccination; Price: 32 EUR"
    given = sources(
        "Treatment | Price\nDog vaccination (DHPP) | 45 EUR\nRabies vaccination | 32 EUR",
        title="pawford-vets-prices.pdf",
    )
    picked = await chosen(question, {dog: 0.90, rabies: 0.87}, given)
    assert picked[0] == (rabies, 1)


async def test_the_days_row_answers_how_late_a_place_is_open() -> None:
    # Opening hours in a sheet: the note holds the question's words; the Thursday row
    # holds the closing time.
    question = "How late is the Marlow pool open on Thursdays?"
    note = "The pool is open to members only on Thursdays."
    thursday = "Day: Thursday; Opens: 07:00; Closes: 21:30"
    friday = "Day: Friday; Opens: 07:00; Closes: 20:00"
    given = sources(
        note,
        "Day | Opens | Closes\nThursday | 07:00 | 21:30\nFriday | 07:00 | 20:00",
        title="marlow-pool-hours.xlsx",
    )
    picked = await chosen(question, {note: 0.92, thursday: 0.85, friday: 0.84}, given)
    assert picked == [(thursday, 2)]


@pytest.mark.parametrize(
    ("word", "calendar"),
    [("March", True), ("Thursdays", True), ("Montag", True), ("mars", True), ("Marlow", False)],
)
def test_a_month_or_a_weekday_is_no_name(word: str, calendar: bool) -> None:
    assert shapes.is_calendar(word) is calendar


async def test_a_line_naming_the_subject_and_the_place_asked_for_answers_where() -> None:
    # A conference programme: the venue line holds only the conference's name (its top
    # heading) beside the place; the programme's rows hold rooms, places too.
    question = "Where is the Harbourline Summit 2026 held?"
    venue = "12-13 May 2026 · Quayside Conference Centre, 4 Dock Street, Leith"
    row = "Time: 10:00; Room: Room 1; Session: Opening keynote"
    given = sectioned(
        "harbourline-summit-2026-programme.html",
        (venue, "Harbourline Summit 2026"),
        (
            "Time | Room | Session\n10:00 | Room 1 | Opening keynote\n11:00 | Room 2 | Panel",
            "Harbourline Summit 2026 > Programme",
        ),
    )
    picked = await chosen(question, {venue: 0.86, row: 0.84}, given)
    assert picked[0] == (venue, 1)


@pytest.mark.parametrize(
    "sentence",
    [
        "Parents receive sixteen weeks of leave.",
        "Der Vertrag läuft achtzehn Monate.",
        "La garantie court dix-huit mois.",
        "El contrato dura dieciséis semanas.",
    ],
)
def test_numbers_written_out_past_twelve_are_quantities_as_the_gate_reads_them(
    sentence: str,
) -> None:
    """One vocabulary of numbers (answering/vocabulary.py) for the gate's forms and the
    answerer's shapes: what the gate takes for a number the answerer does too."""
    assert holds(Form.NUMBER, sentence)
    assert shapes.has(Shape.QUANTITY, sentence)
    assert shapes.has(Shape.TIME, sentence)


@pytest.mark.parametrize(
    ("text", "lists"),
    [
        ("The tenant pays electricity, gas, water and broadband.", True),
        ("Bring your passport, your visa, two photos, the form.", True),
        ("供应笔记本电脑、显示器、键盘和鼠标。", True),
        # two commas setting off a clause list nothing
        (
            "Fragen zu den Tagesordnungspunkten, z. B. zu den neuen Schichtmodellen, "
            "könnt ihr vorab an den Betriebsrat schicken.",
            False,
        ),
        ("Tea and coffee are free.", False),
    ],
)
def test_a_sentence_lists_three_things_joined_by_a_conjunction_or_commas(
    text: str, lists: bool
) -> None:
    assert shapes.enumerates(text) is lists


async def test_the_floor_heading_a_row_answers_where_a_team_sits() -> None:
    # The table lists floors, and what is on each: the first column is the answer.
    question = "On which floor is the engineering team in the Tessaline office?"
    first = "Floor: First floor; What you will find there: Engineering and the Brunel room"
    buddy = (
        "Your buddy answers everyday questions about the Tessaline office and the "
        "engineering team for your first three months."
    )
    given = sectioned(
        "tessaline-onboarding.pptx",
        (buddy, "Tessaline onboarding > Who to ask"),
        (
            "Floor | What you will find there\nGround floor | Reception, café\n"
            "First floor | Engineering and the Brunel room",
            "Tessaline onboarding > The office",
        ),
    )
    picked = await chosen(question, {buddy: 0.85, first: 0.86}, given)
    assert picked[0] == (first, 2)
