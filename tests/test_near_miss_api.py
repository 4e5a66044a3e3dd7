"""Near-misses answered with a neighbouring sentence (issue 13), through a real server
with the default embedder (e5): a bus network notice without the time asked for, a school
newsletter without the event asked for, an equipment table without the device asked for,
a lift contract with a switchboard number but no engineer's mobile, site rules that
require safety boots without saying who pays. Each beside a question
of the same form that the documents answer. The documents are made up; the rules are
unit-tested in test_near_miss_forms.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.answers import ask
from support.samples import make_pdf, make_xlsx
from support.servers import DocentServer, running_server, upload_ok, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

BUSES = [
    [
        "Ashby bus network changes from October 2025",
        "",
        "Route 12 (Ashby - Kelham) is withdrawn after the last journey on Saturday 4 October 2025.",
        "Route 14 now runs every 20 minutes between Ashby and the County Hospital.",
        "The travel shop at Ashby bus station opens at 08:30 on weekdays.",
    ]
]
NEWSLETTER = [
    [
        "Fernleigh Primary School - Spring newsletter",
        "",
        "Science Week starts on Monday 9 March, with a visit from the planetarium.",
        "Parents' evening is on Tuesday 17 March from 3:30 pm in the school hall.",
        "The school photographer visits on Friday 20 March.",
        "Football club meets on Tuesdays from 3:20 to 4:30 pm; netball club on Thursdays.",
    ]
]
LIFTS = [
    [
        "Lift Maintenance Contract LM-3310",
        "",
        "2. Servicing",
        "2.1 Each lift is serviced every 8 weeks by a qualified engineer, on a weekday.",
        "3. Breakdowns",
        "3.1 The Company answers breakdown calls 24 hours a day on 0330 041 7700.",
        "3.2 An engineer attends within 1 hour when a person is trapped in a lift.",
    ]
]
SITE = [
    [
        "Marlow Joinery - site rules",
        "",
        "3. Safety equipment",
        "Safety boots are required in the workshop and the loading yard.",
        "Safety glasses are issued free of charge by the stores.",
    ]
]
EQUIPMENT = {
    "Equipment": [
        ["Item", "Standard issue", "Replacement cycle"],
        ["Laptop", "Lenovo ThinkPad T14", "4 years"],
        ["Mobile phone", "Samsung Galaxy A55", "3 years"],
        ["Monitor", "27-inch QHD, two per desk", "6 years"],
    ]
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    root = tmp_path_factory.mktemp("near-miss")
    with running_server(root, {"DOCENT_EMBEDDER": "e5"}) as s:
        equipment = make_xlsx(Path(root) / "brockley-it-equipment.xlsx", EQUIPMENT).read_bytes()

        async def load_all() -> None:
            for name, data in (
                ("ashby-bus-changes.pdf", make_pdf(BUSES, title="Ashby bus changes")),
                ("fernleigh-newsletter.pdf", make_pdf(NEWSLETTER, title="Fernleigh newsletter")),
                ("lift-contract-lm3310.pdf", make_pdf(LIFTS, title="Lift contract")),
                ("marlow-site-rules.pdf", make_pdf(SITE, title="Site rules")),
                ("brockley-it-equipment.xlsx", equipment),
            ):
                payload = await upload_ok(s, name, data)
                events = await wait_ready(s, payload["document"]["id"])
                assert events[-1]["status"] == "READY", events

        asyncio.run(load_all())
        yield s


@pytest.mark.parametrize(
    "question",
    [
        # a day is no time of day (Form.CLOCK)
        "What time does the last route 14 bus leave the County Hospital?",
        # an event the newsletter never names (When is ...: attributes)
        "When is sports day at Fernleigh Primary School?",
        # a device the table has no row for (Which ... model: attributes)
        "Which tablet model is standard issue at Brockley?",
        # the switchboard is not the engineer's mobile (held_kind)
        "What is the lift engineer's mobile number?",
        # boots are required, not paid for (held_kind: "Does the company pay ...?")
        "Does Marlow Joinery pay for safety boots?",
    ],
)
def test_a_near_miss_is_refused(server: DocentServer, question: str) -> None:
    answer = ask(server, question)
    assert not answer["grounded"], answer


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("What time does the travel shop at Ashby bus station open?", "08:30"),
        ("When is parents' evening at Fernleigh Primary School?", "17 March"),
        ("Which laptop model is standard issue at Brockley?", "ThinkPad T14"),
        ("What is the breakdown phone number of the lift company?", "0330 041 7700"),
    ],
)
def test_the_same_forms_are_answered_when_the_documents_hold_them(
    server: DocentServer, question: str, value: str
) -> None:
    answer = ask(server, question)
    assert answer["grounded"], answer
    assert value in answer["text"], answer
