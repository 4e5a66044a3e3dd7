"""Answerable questions the not-found gate refused, through a real server with the default
embedder (e5): asked with light verbs and everyday words the handbook says otherwise
("take pictures" for "take photographs ... without permission"), asking for a time of
day ("Until what time ...?"), counting in a unit the table does not write ("How many
people fit ...?" over a capacity column), and stating a premise about a code whose
series the file name names ("The KX-4 ... has been discontinued - what instead?"); a
near-miss beside them stays refused (issue 13). The documents are made up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from support.answers import ask
from support.servers import DocentServer, running_server, upload_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


HANDBOOK = """# Brookfield Research Campus: house rules

Brookfield Research Campus, facilities office, issue 4, January 2026.

## 1. Visitors

Visitors sign in at the gatehouse and wear a visitor pass at all times. Visitors may not
take photographs inside the laboratories without the lab manager's permission.

## 2. Sports hall

The sports hall in building F is open from 06:30 to 21:00 on weekdays and from 08:00 to
14:00 on Saturdays. Lockers are emptied every Friday evening.

## 3. Deliveries

Parcels for staff are held at the post room for 10 working days, then returned to the
sender.

## 4. Waste

Paper, glass and mixed recycling go in the bins behind building C. Chemical waste is
collected by the safety team every Tuesday.
"""

ROOMS = "Room,Capacity,Projector\nLarch,24,yes\nRowan,60,no\nAsh,8,yes\n"

KETTLES = """# Kelso KX kettles: range and spare parts

## Current models

The KX-5 boils 1.7 litres in under three minutes and switches off when dry.

## Discontinued models

The KX-4 kettle has been discontinued since June 2026. Its successor is the KX-5, at the
same price. Spare lids for the KX-4 stay available until 2028.
"""


ON_CALL = """# Ferrand Instruments: on-call policy

## Call-outs

An engineer called out outside working hours is paid for a minimum of two hours, however
short the call-out. Travel to and from the site counts as working time.

## Allowance

The on-call allowance is £180 a week, paid with the monthly salary.
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    with running_server(tmp_path_factory.mktemp("refusal-words"), {"DOCENT_EMBEDDER": "e5"}) as s:
        for name, text in (
            ("brookfield-house-rules.md", HANDBOOK),
            ("meeting-rooms.csv", ROOMS),
            ("kelso-kx-kettles.md", KETTLES),
            ("ferrand-on-call-policy.md", ON_CALL),
        ):
            asyncio.run(upload_ready(s, name, text.encode()))
        yield s


@pytest.mark.parametrize(
    ("question", "value", "document"),
    [
        (
            "Are visitors allowed to take pictures in the labs?",
            "lab manager's permission",
            "brookfield-house-rules.md",
        ),
        (
            "Until what time is the sports hall open on weekdays?",
            "21:00",
            "brookfield-house-rules.md",
        ),
        ("How many people fit in the Rowan room?", "60", "meeting-rooms.csv"),
        (
            "The KX-4 kettle has been discontinued - what should I get instead?",
            "Its successor is the KX-5",
            "kelso-kx-kettles.md",
        ),
        # "again" is no attribute the list must name (the lids are).
        (
            "When will the KX-4 spare lids be available again?",
            "2028",
            "kelso-kx-kettles.md",
        ),
        # The asker's "40 minutes" and "£30" are no codes the policy must write.
        (
            "I was called out for 40 minutes last night. How long does Ferrand pay me for?",
            "minimum of two hours",
            "ferrand-on-call-policy.md",
        ),
        (
            "My taxi to the site cost £30. Does Ferrand count the travel as working time?",
            "counts as working time",
            "ferrand-on-call-policy.md",
        ),
    ],
)
def test_a_reworded_question_is_answered(
    server: DocentServer, question: str, value: str, document: str
) -> None:
    answer = ask(server, question)
    assert answer["grounded"], answer
    assert value in answer["text"], answer
    assert "since June 2026" not in answer["text"], answer
    assert {c["document"]["filename"] for c in answer["citations"]} == {document}, answer


@pytest.mark.parametrize(
    "question",
    [
        # The post room's rule states no time of day.
        "Until what time is the post room open?",
        "How much does a visitor pass cost?",
    ],
)
def test_a_near_miss_beside_them_stays_refused(server: DocentServer, question: str) -> None:
    answer = ask(server, question)
    assert not answer["grounded"], answer
