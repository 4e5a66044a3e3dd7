"""A table row is about its first cell (issue 13): a table whose first line is a row (its
header lost or cut off by the PDF reader) has no header of its own, and continues under
the header of the table before it in the passage; the row whose first cell is the code a
question asks the meaning of answers it, not a sentence mentioning the code
(answering/passages.py, cells.py defined_first). The documents are made up."""

from __future__ import annotations

from test_answer_shapes import chosen, sectioned

from docent.answering import cells
from docent.answering.passages import units


def test_a_table_cut_in_two_continues_under_its_header() -> None:
    text = (
        "Feature | Kestrel K2\nMotor | 250 W\nBattery | 625 Wh\n\n"
        "Range up to 160 km with both batteries\n\n"
        "Payload | 200 kg, rider included\nWeight | 41 kg\nPrice | £4,990"
    )
    rows = [u.text for u in units(text) if u.kind == "row"]
    assert rows[-1] == "Feature: Price; Kestrel K2: £4,990"
    assert "Payload: Weight; 200 kg, rider included: 41 kg" not in rows


def test_a_table_of_codes_without_header_has_no_header_row() -> None:
    text = (
        "Troubleshooting\n\n"
        "F04 | Filter blocked | Clean the filter (page 6)\n"
        "F07 | Pump blocked | Contact customer service"
    )
    assert [u.text for u in units(text)] == [
        "F04 | Filter blocked | Clean the filter (page 6)",
        "F07 | Pump blocked | Contact customer service",
    ]


def test_a_header_naming_years_stays_a_header() -> None:
    text = "Region | 2024 | 2025\nEurope | 5.0 | 6.1\nAsia | 3.2 | 3.9"
    assert units(text)[0].text == "Region: Europe; 2024: 5.0; 2025: 6.1"


def test_a_row_is_about_its_first_cell() -> None:
    assert cells.row_label("F04 | Filter blocked | Clean the filter") == "F04"
    assert cells.row_label("Code: F04; Meaning: Filter blocked") == "F04"


async def test_the_row_defining_a_code_answers_what_it_means() -> None:
    question = "What does error code F04 mean on the Aquilo W8?"
    mention = "When the filter needs cleaning, the display shows error code F04."
    table = (
        "F04 | Filter blocked | Clean the filter (page 6)\n"
        "F07 | Pump blocked | Contact customer service"
    )
    given = sectioned(
        "aquilo-w8-manual.pdf", (mention, "Manual > Care"), (table, "Manual > Troubleshooting")
    )
    defining = "F04 | Filter blocked | Clean the filter (page 6)"
    other = "F07 | Pump blocked | Contact customer service"
    picked = await chosen(question, {mention: 0.95, defining: 0.85, other: 0.84}, given)
    assert picked == [(defining, 2)]
    # asked of something else, the code's mention may answer
    when = await chosen(
        "When does the Aquilo W8 show error code F04?",
        {mention: 0.95, defining: 0.85, other: 0.84},
        given,
    )
    assert when[0] == (mention, 1)


async def test_a_row_stating_the_unit_asked_wins_over_a_row_without_it() -> None:
    # An English question over a French spec table: no word meets, the battery row
    # scores first and states no mass.
    question = "What payload can the Mistral K2 cargo bike carry?"
    table = "Caractéristique | Mistral K2\nBatterie | 2 x 625 Wh\nCharge utile | 200 kg"
    battery = "Caractéristique: Batterie; Mistral K2: 2 x 625 Wh"
    payload = "Caractéristique: Charge utile; Mistral K2: 200 kg"
    given = sectioned("catalogue-velos.pdf", (table, "Catalogue > Mistral K2"))
    picked = await chosen(question, {battery: 0.95, payload: 0.87}, given)
    assert picked[0] == (payload, 1)
