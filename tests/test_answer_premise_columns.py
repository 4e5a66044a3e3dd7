"""The sentence that answers, third round (issue 13, session 8): a question stating its
premise is answered by the sentence after the one restating it (answering/premise.py),
and a table with entities as columns is cut to the column a value of the question picks
(answering/columns.py). Rules over question and passage; the documents are made up, of
the kinds people upload."""

from __future__ import annotations

import pytest
from test_answer_shapes import chosen, sectioned

from docent.answering import columns, premise
from docent.answering.passages import units

# ------------------------------------------------------------------ the premise


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "The Breva 2 blender is discontinued - which model replaces it?",
            "The Breva 2 blender is discontinued",
        ),
        (
            "I'm on the Silver tariff, which is being dropped - what happens to me?",
            "I'm on the Silver tariff, which is being dropped",
        ),
        ("Ya no venden la tostadora T2, ¿cuál la sustituye?", "Ya no venden la tostadora T2"),
        (
            "Der Wasserkocher WK 5 ist ausverkauft. Welches Modell gibt es stattdessen?",
            "Der Wasserkocher WK 5 ist ausverkauft",
        ),
        # A question first, a phrase naming what is asked about, or no boundary: none.
        ("How long is the warranty, and what does it cover?", None),
        ("For the 4-bay model, what is the weight?", None),
        ("Which model replaces the Breva 2 blender?", None),
        ("How much is it, please?", None),
        # "1." is an ordinal, not a sentence's end.
        ("Ab welcher Fahrzeit darf man bei Norda 1. Klasse fahren?", None),
    ],
)
def test_the_premise_is_the_statement_before_the_question(
    question: str, expected: str | None
) -> None:
    assert premise.premise(question) == expected


def test_a_sentence_restates_a_premise_by_two_thirds_of_its_words() -> None:
    said = "The Breva 2 blender is discontinued"
    terms = premise.premise_terms(f"{said} - which model replaces it?")
    assert premise.restates(terms, "The Breva 2 blender was discontinued in May 2026.", said)
    # The thing's name is not its premise; its ending said in other words is.
    assert not premise.restates(terms, "The Breva 3 blender has a 1.5 litre jug.", said)
    said = "I'm on the Silver Plus tariff, which is being withdrawn"
    terms = premise.premise_terms(f"{said} - what happens to me?")
    assert premise.restates(terms, "The Silver Plus tariff is no longer offered.", said)
    assert not premise.restates(terms, "The Silver Plus tariff costs £9 a month.", said)


BLENDERS = (
    "Blenders\n\n"
    "The Breva 2 blender has been discontinued since May 2026. Its successor is the Breva 3, "
    "at the same price of £89."
)


BLENDER_COSINES = {
    "The Breva 2 blender has been discontinued since May 2026.": 0.92,
    "Its successor is the Breva 3, at the same price of £89.": 0.84,
}


@pytest.mark.parametrize(
    ("question", "first"),
    [
        pytest.param(
            "The Breva 2 blender is discontinued - which model replaces it?",
            "Its successor is the Breva 3, at the same price of £89.",
            id="premise",
        ),
        # Without a premise the best unit stays (with the sentence continuing it).
        pytest.param(
            "Which model replaces the Breva 2 blender?",
            "The Breva 2 blender has been discontinued since May 2026.",
            id="no-premise",
        ),
    ],
)
async def test_the_sentence_after_the_restated_premise_answers(question: str, first: str) -> None:
    given = sectioned("Kitchen appliances catalogue", (BLENDERS, "Blenders"))
    quoted = await chosen(question, BLENDER_COSINES, given)
    assert quoted[0][0] == first
    if "discontinued -" in question:
        assert len(quoted) == 1


TARIFFS = (
    "4. Tariffs\n\n"
    "4.1 You may leave at any time by giving us 30 days' notice.\n"
    "4.2 The Silver tariff is no longer offered. Customers on Silver move to the Gold tariff at "
    "their next renewal, at the same monthly price."
)


async def test_the_rest_of_the_clause_restating_the_premise_answers() -> None:
    # The cancellation clause is closer to "what happens to me?" than the clause naming
    # the tariff: the clause restating the premise is taken within reach of it.
    question = "I'm on the Silver tariff, which is being dropped - what happens to me?"
    given = sectioned("Heating cover terms", (TARIFFS, "4. Tariffs"))
    quoted = await chosen(
        question,
        {
            "4.1 You may leave at any time by giving us 30 days' notice.": 0.80,
            units(TARIFFS)[1].text: 0.86,
        },
        given,
    )
    assert [text for text, _ in quoted] == [
        "Customers on Silver move to the Gold tariff at their next renewal, at the same monthly price."
    ]


async def test_without_a_premise_the_best_unit_stays() -> None:
    question = "Which model replaces the Breva 2 blender?"
    given = sectioned("Kitchen appliances catalogue", (BLENDERS, "Blenders"))
    quoted = await chosen(
        question,
        {
            "The Breva 2 blender has been discontinued since May 2026.": 0.92,
            "Its successor is the Breva 3, at the same price of £89.": 0.84,
        },
        given,
    )
    assert quoted[0][0] == "The Breva 2 blender has been discontinued since May 2026."


# ------------------------------------------------------------- a column picked by a value

RECORDERS = (
    "Spec | KX-10 | KX-20 | KX-30\n"
    "Drive bays | 2 | 4 | 6\n"
    "Weight | 1.1 kg | 2.0 kg | 3.2 kg\n"
    "Support plan | basic | basic | premium\n"
    "Price | £199 | £349 | £499"
)


@pytest.mark.parametrize(
    ("question", "header"),
    [
        ("What does the 4-bay KX cost?", "KX-20"),
        ("How heavy is the one with 6 drive bays?", "KX-30"),
        ("What does the model with premium support cost?", "KX-30"),
        ("How much does the 3.2 kg model cost?", "KX-30"),
    ],
)
def test_a_value_of_another_row_picks_the_column(question: str, header: str) -> None:
    rows = [u.text for u in units(RECORDERS)]
    picked = columns.picked_column(question, rows)
    assert picked is not None and picked.header == header


@pytest.mark.parametrize(
    "question",
    [
        # A bare figure without its row's word ("4", not "4-bay") picks nothing; "basic"
        # is in two columns; two values picking two columns pick none.
        "How much is a pack of 4?",
        "What does the model with basic support weigh?",
        "Is the 2-bay model cheaper than the one with premium support?",
    ],
)
def test_no_column_is_picked_without_a_clear_value(question: str) -> None:
    rows = [u.text for u in units(RECORDERS)]
    assert columns.picked_column(question, rows) is None


async def test_the_asked_row_is_cut_to_the_column_the_value_picks() -> None:
    question = "What does the 4-bay KX cost?"
    given = sectioned("KX recorders datasheet", (RECORDERS, ""))
    rows = [u.text for u in units(RECORDERS)]
    quoted = await chosen(question, {rows[0]: 0.95, rows[3]: 0.85}, given)
    assert [text for text, _ in quoted] == ["Spec: Price; KX-20: £349"]


FOBS = (
    "Keys and fobs\n\n"
    "Lost or broken fobs are replaced by the estate office at £30 each. "
    "Residents locked out at night can call the 24-hour line."
)


async def test_a_unit_with_the_value_asked_answers_its_premise_itself() -> None:
    question = "I've lost my fob - what will a new one cost me?"
    given = sectioned("Residents' handbook", (FOBS, "Keys and fobs"))
    quoted = await chosen(
        question,
        {
            "Lost or broken fobs are replaced by the estate office at £30 each.": 0.9,
            "Residents locked out at night can call the 24-hour line.": 0.8,
        },
        given,
    )
    assert quoted[0][0].startswith("Lost or broken fobs"), quoted


REGISTER = (
    "Asset ID | Equipment | Manufacturer | Last calibrated\n"
    "LAB-0101 | Centrifuge | Halbrook | 2025-03-02\n"
    "LAB-0102 | pH meter | Ostwin | 2025-04-11"
)


def test_a_table_of_records_has_no_column_picked_by_a_value() -> None:
    # "Centrifuge" names its row in a register, not a column.
    rows = [u.text for u in units(REGISTER)]
    assert columns.picked_column("When was the LAB-0101 centrifuge last calibrated?", rows) is None


def test_a_closure_said_in_other_words_restates_the_premise() -> None:
    said = "The cycle store is shut for repairs"
    terms = premise.premise_terms(f"{said} - where do I park my bike now?")
    assert premise.restates(terms, "The cycle store by Gate C closes for repainting in May.", said)
    assert not premise.restates(terms, "The cycle store holds 40 bikes.", said)


async def test_the_row_with_the_shape_asked_is_taken_from_the_picking_row() -> None:
    # Beside the bays row, "Support plan" scores higher than the weight row; the weight
    # row has the weight asked.
    question = "How heavy is the 4-bay KX?"
    given = sectioned("KX recorders datasheet", (RECORDERS, ""))
    rows = [u.text for u in units(RECORDERS)]
    quoted = await chosen(question, {rows[0]: 0.99, rows[2]: 0.96, rows[1]: 0.8}, given)
    assert [text for text, _ in quoted] == ["Spec: Weight; KX-20: 2.0 kg"]


BRIEFING = (
    "Volunteers sign in from 07:15 at the blue gazebo in the car park. Water-station "
    "volunteers do not sign in there: they go straight to their station, where the station "
    "leader signs them in.\n\n"
    "Zone | Location | Zone leader\n"
    "C | Kingfisher Lock to the turnaround | Owen Marsh\n"
    "D | Water station and return leg | Lucy Brennan\n\n"
    "Zone C is the longest and the quietest, so we put experienced marshals there."
)


async def test_a_row_restating_the_premise_is_not_followed_by_the_next_record() -> None:
    # The row names the water station the asker helps at; what comes after it is another
    # zone's record and a remark on zone C, which go on from nothing the row says.
    question = "I'm helping at a water station at the Riverside 10K. Where do I sign in?"
    given = sectioned("Riverside 10K volunteer briefing", (BRIEFING, "Sign-in"))
    rows = [u.text for u in units(BRIEFING) if u.kind == "row"]
    station = next(r for r in rows if "Water station" in r)
    quoted = await chosen(
        question,
        {
            station: 0.95,
            "Water-station volunteers do not sign in there: they go straight to their "
            "station, where the station leader signs them in.": 0.9,
        },
        given,
    )
    assert "Zone C is the longest" not in " ".join(text for text, _ in quoted)


async def test_a_unit_with_the_number_asked_answers_its_premise_itself() -> None:
    # "what number do I ring" names a telephone number: the unit restating the premise
    # gives it, and the remark after it is no answer.
    marshals = (
        "If a runner collapses, call 999 first and then the race control number, "
        '01632 960 882. The code word for stopping the race is "red flag".'
    )
    question = "If a runner collapses, what number do I ring after 999?"
    given = sectioned("Riverside 10K marshal briefing", (marshals, "Safety"))
    quoted = await chosen(question, {units(marshals)[0].text: 0.9}, given)
    assert "01632 960 882" in quoted[0][0], quoted


async def test_a_unit_restating_the_premise_and_saying_what_is_asked_answers_itself() -> None:
    leaflet = (
        "Appointments cancelled with less than 24 hours' notice, and missed appointments, "
        "are charged in full. The charge is waived once per patient per year in an emergency."
    )
    question = (
        "I have to cancel my physio appointment tomorrow morning at short notice. "
        "Will I be charged?"
    )
    given = sectioned("Wrenfield Physiotherapy patient leaflet", (leaflet, "Cancellations"))
    quoted = await chosen(question, {units(leaflet)[0].text: 0.95}, given)
    assert quoted[0][0].endswith("are charged in full."), quoted


async def test_a_sentence_pointing_back_is_quoted_after_the_one_it_points_at() -> None:
    leaflet = (
        "We are recognised by Bupa, AXA Health and Vitality. If you are claiming on one of "
        "these policies, bring your authorisation code to your first visit; we then invoice "
        "the insurer directly. Patients with other insurers pay at each visit."
    )
    question = "Which health insurers will the clinic invoice directly?"
    given = sectioned("Wrenfield Physiotherapy patient leaflet", (leaflet, "Insurance"))
    said = [u.text for u in units(leaflet)]
    quoted = await chosen(question, {said[1]: 0.95, said[0]: 0.8, said[2]: 0.7}, given)
    assert [text for text, _ in quoted][:2] == said[:2], quoted


TROUBLESHOOTING = (
    "Code or symptom | Cause | What to do\n"
    "E04 | Descaling overdue | Run the descaling programme (page 3)\n"
    "Coffee runs too fast | Grind too coarse or too little coffee | Use a finer grind or tamp harder\n"
    "Coffee only drips | Grind too fine or basket overfilled | Use a coarser grind or less coffee"
)


async def test_a_table_row_restating_the_premise_answers_in_its_other_cells() -> None:
    """A symptom table's row whose first cell restates the premise ("runs too fast") holds
    the answer in its other cells; the next row is another symptom's (issue 13: a wrapped
    table read whole, its rows are rows)."""
    question = "My espresso runs through too fast. What should I do?"
    given = sectioned("Brevena CM40 manual", (TROUBLESHOOTING, "Manual > Troubleshooting"))
    fast, drips = [u.text for u in units(TROUBLESHOOTING) if "Coffee" in u.text]
    quoted = await chosen(question, {fast: 0.95, drips: 0.90}, given)
    assert quoted[0][0] == fast


CHANGELOG = (
    "Security\n\nTLS 1.0 and TLS 1.1 are disabled on all endpoints. Clients need TLS 1.2 or newer."
)


async def test_the_release_asked_for_is_quoted_from_the_heading_of_its_section() -> None:
    question = "In which Quillon version were TLS 1.0 and 1.1 disabled?"
    given = sectioned(
        "Quillon API changelog",
        (CHANGELOG, "Quillon API changelog > 3.3.2 (2025-03-18) > Security"),
    )
    said = units(CHANGELOG)[0].text
    quoted = await chosen(question, {said: 0.9}, given)
    assert quoted[0][0] == f"3.3.2 (2025-03-18): {said}", quoted
    # A question not asking which release is answered by the sentence alone.
    quoted = await chosen("Are TLS 1.0 and 1.1 disabled?", {said: 0.9}, given)
    assert quoted[0][0] == said, quoted
