"""The answer to a table question is its row, or the cell the question names by its row
term and its column term (answering/cells.py); a header row is never an answer by itself
(answering/passages.py). Tables with days, products or payer groups as columns, as price
lists, opening hours and spec sheets are written (issue 13's held-out misses)."""

from __future__ import annotations

import pytest
from test_answer_shapes import chosen
from test_extractive import sources

from docent.answering import passages
from docent.answering.cells import named_cells

HOURS = (
    "Site: Central library; Monday: 09:00-18:00; Tuesday: 09:00-18:00; Wednesday: "
    "09:00-18:00; Thursday: 09:00-20:00; Friday: 09:00-17:00; Saturday: 10:00-16:00"
)
FEES = (
    "Activity: Badminton court (1 hour); Adult weekday: 11.00; Adult Saturday: 12.50; "
    "Adult Sunday: 13.50; Junior (under 16): 6.00"
)
SPECS = "Specification: Weight; TR-20: 61 kg; TR-30: 74 kg; TR-40: 90 kg"


@pytest.mark.parametrize(
    ("question", "row", "expected"),
    [
        (
            "How late is the central library open on Thursdays?",
            HOURS,
            "Site: Central library; Thursday: 09:00-20:00",
        ),
        (
            "What's the fee for a badminton court on a Sunday?",
            FEES,
            "Activity: Badminton court (1 hour); Adult Sunday: 13.50",
        ),
        (
            "What do kids pay for badminton?",
            FEES,
            "Activity: Badminton court (1 hour); Junior (under 16): 6.00",
        ),
        ("How heavy is the TR-30?", SPECS, "Specification: Weight; TR-30: 74 kg"),
        # no column named, or an attribute column: the whole row
        ("How much is a badminton court?", FEES, None),
        (
            "What is Ines Moreau's e-mail address?",
            "Name: Ines Moreau; E-mail: i.m@x.example; Postal address: 4 Quai Nord",
            None,
        ),
        ("How late is the library open?", "Day: Thursday; Opens: 09:00; Closes: 20:00", None),
    ],
)
def test_the_cell_a_question_names_by_its_column(
    question: str, row: str, expected: str | None
) -> None:
    assert named_cells(question, row) == expected


def test_a_header_row_is_never_a_unit() -> None:
    """A title in a merged row over the table, and the header repeated after a break."""
    table = (
        "Opening hours from 6 January | | |\n"
        "Site | Monday | Thursday\n"
        "Central library | 09:00-18:00 | 09:00-20:00\n"
        "Site | Monday | Thursday\n"
        "Branch library | 10:00-17:00 | 10:00-19:00"
    )
    rows = [u.text for u in passages.units(table) if u.kind == "row"]
    assert rows == [
        "Site: Central library; Monday: 09:00-18:00; Thursday: 09:00-20:00",
        "Site: Branch library; Monday: 10:00-17:00; Thursday: 10:00-19:00",
    ]


async def test_a_spec_sheet_with_products_as_columns_answers_with_the_products_cell() -> None:
    question = "How heavy is the TR-30?"
    weight = "Specification: Weight; TR-20: 61 kg; TR-30: 74 kg; TR-40: 90 kg"
    output = "Specification: Rated output; TR-20: 4.1 kW; TR-30: 6.0 kW; TR-40: 8.2 kW"
    given = sources(
        "Specification | TR-20 | TR-30 | TR-40\n"
        "Weight | 61 kg | 74 kg | 90 kg\n"
        "Rated output | 4.1 kW | 6.0 kW | 8.2 kW",
        title="tr-series-data-sheet.docx",
    )
    picked = await chosen(question, {weight: 0.86, output: 0.85}, given)
    assert picked[0] == ("Specification: Weight; TR-30: 74 kg", 1)
