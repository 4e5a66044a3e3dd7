"""The sentence that answers, second round (issue 13, session 7), through a real server
with the default embedder (e5): a service contract PDF whose term clause (an end date) is
on page 1 and whose cancellation clause (a notice period) on page 3; a German product
manual PDF whose charging sentence gives a temperature and whose spec table gives the
charging time; a clinic's price sheet (XLSX) with notes lines under its table. The
documents are made up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.answers import ask
from support.samples import make_pdf, make_xlsx
from support.servers import DocentServer, running_server, upload_ok, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CONTRACT = [
    [
        "Alarm Service Agreement AS-2207",
        "",
        "Between Wardell Security Ltd (the Company) and Fenwick Court Residents Ltd.",
        "",
        "1. Term",
        "",
        "1.1 This agreement runs for 36 months from 1 May 2026 until 30 April 2029.",
        "",
        "2. Services",
        "",
        "2.1 The Company services the intruder alarm and the door entry system twice a year.",
    ],
    [
        "5. Charges",
        "",
        "5.1 The Client pays £420 per quarter plus VAT.",
        "5.2 Callouts outside office hours are charged at £85 per hour.",
    ],
    [
        "9. Cancellation",
        "",
        "9.1 Either party may cancel this agreement with four months' written notice.",
        "9.2 On cancellation the Company returns all keys within 14 days.",
    ],
]
MANUAL = [
    [
        "Akku-Rasentrimmer Grünwerk RT 36",
        "",
        "Laden",
        "",
        "Den Akku vor dem ersten Gebrauch vollständig laden. Den Akku nur bei",
        "Temperaturen zwischen 10 °C und 35 °C aufladen.",
    ],
    [
        "Technische Daten",
        "",
        "Ladedauer: 70 Minuten",
        "Schnittbreite: 30 cm",
        "Gewicht: 2,4 kg",
    ],
]
PRICES = {
    "Prices": [
        ["Treatment", "Price", "Length"],
        ["Sports massage", "£48", "45 min"],
        ["Physiotherapy assessment", "£65", "60 min"],
        ["Follow-up session", "£50", "40 min"],
        ["All major cards and bank transfer accepted. Parking is free behind the clinic."],
        ["Appointments cancelled with less than 24 hours' notice are charged in full."],
    ]
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    root = tmp_path_factory.mktemp("dates")
    with running_server(root, {"DOCENT_EMBEDDER": "e5"}) as s:
        prices = make_xlsx(Path(root) / "harbour-physio-prices.xlsx", PRICES).read_bytes()

        async def load_all() -> None:
            for name, data in (
                ("wardell-alarm-agreement.pdf", make_pdf(CONTRACT, title="Alarm agreement")),
                ("gruenwerk-rt36-anleitung.pdf", make_pdf(MANUAL, title="Grünwerk RT 36")),
                ("harbour-physio-prices.xlsx", prices),
            ):
                payload = await upload_ok(s, name, data)
                events = await wait_ready(s, payload["document"]["id"])
                assert events[-1]["status"] == "READY", events

        asyncio.run(load_all())
        yield s


def test_until_when_is_answered_by_the_end_date_not_the_notice(server: DocentServer) -> None:
    answer = ask(server, "Until when is the alarm service agreement valid?")
    assert answer["grounded"], answer
    assert "30 April 2029" in answer["text"], answer
    assert "four months" not in answer["text"], answer


def test_the_charging_time_row_answers_a_german_compound_question(server: DocentServer) -> None:
    answer = ask(server, "Wie lange dauert das Aufladen beim RT 36?")
    assert answer["grounded"], answer
    assert "70 Minuten" in answer["text"], answer
    assert "35 °C" not in answer["text"], answer


def test_a_notes_line_is_quoted_without_a_column_header(server: DocentServer) -> None:
    answer = ask(server, "Can I pay by card at the physio clinic?")
    assert answer["grounded"], answer
    assert "All major cards" in answer["text"], answer
    assert "Treatment: All major cards" not in answer["text"], answer
