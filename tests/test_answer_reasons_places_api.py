"""The sentence that answers, fourth round, through a real server with the default
embedder (e5): committee minutes whose reason for a slow evacuation is in the sentence
after the one stating it, a cleaning contract with a monthly price and an hourly rate,
a German invitation whose place is a labelled line, warehouse rules whose title line
names the site that a "where" question names, and a sales review whose table states its
currency in its heading only (issue 13). The documents are made up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from support.answers import ask
from support.samples import make_pdf
from support.servers import DocentServer, running_server, upload_ok, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


MINUTES = [
    [
        "Ashby House facilities committee",
        "",
        "Minutes of the meeting held on 8 October 2025, 10:00, Room 2, Ashby House",
        "",
        "1. Fire drill",
        "",
        "The building was evacuated in 7 minutes 10 seconds, against a target of 5 minutes.",
        "Delays were caused by a blocked fire door on the east stairs. Priya Shah will",
        "check the fire doors every Monday.",
        "",
        "2. Cycle store",
        "",
        "The committee approved 20 new cycle spaces next to the main entrance.",
    ]
]
CONTRACT = [
    [
        "Contrat d'entretien - Résidence Les Tilleuls",
        "",
        "Article 4 - Prix",
        "",
        "Le prix forfaitaire est de 980 € HT par mois, soit 1 176 € TTC.",
        "Les prestations ponctuelles (nettoyage après travaux, vitres hautes) sont",
        "facturées 32 € HT de l'heure, sur devis préalable.",
        "Le prix est révisé chaque année au 1er janvier.",
    ]
]
INVITATION = (
    "Einladung zur Mitgliederversammlung des Fördervereins Lindenhof\n\n"
    "Liebe Mitglieder,\n\n"
    "wir laden euch herzlich zur diesjährigen Mitgliederversammlung ein.\n\n"
    "Datum: Freitag, 14. März 2025 Beginn: 18:00 Uhr Ort: Kantine, Gebäude 2\n\n"
    "Für die Mitglieder am Standort Nord wird die Versammlung per Video übertragen.\n\n"
    "Anträge zur Tagesordnung schickt ihr bitte bis zum 1. März an den Vorstand.\n"
)
RULES = (
    "HOLLOWAY LOGISTICS - RUGBY DISTRIBUTION CENTRE WAREHOUSE SAFETY RULES (HL-RG-004, "
    "revision 3, March 2025)\n\n"
    "These rules apply to everyone on the warehouse floor and in the yard of the Rugby "
    "distribution centre: employees, agency workers, drivers and visitors.\n\n"
    "1. Personal protective equipment\n\n"
    "1.1 Safety shoes and a high-visibility vest are worn at all times on the warehouse floor.\n\n"
    "2. Accidents\n\n"
    "2.1 Every accident is reported to the shift manager at once.\n\n"
    "3. Fire\n\n"
    "3.1 On hearing the alarm, stop work, leave by the nearest exit and go to the fire "
    "assembly point, the visitor car park by Gate 4. Do not use the loading docks as an exit.\n"
    "3.2 Fire extinguishers are checked every month by the site safety lead.\n\n"
    "4. Vehicles\n\n"
    "4.1 The speed limit in the yard is 10 km/h.\n"
)

REVIEW = (
    "# Fernwood Sensors - Q3 2025 sales review\n\n"
    "## Highlights\n\n"
    "- Revenue £21.3m, up 9% on Q3 2024\n"
    "- Gross margin 40.2%\n"
    "- Two new distributors signed: Norway and Peru\n\n"
    "## Revenue by region (£m)\n\n"
    "| Region | Q2 2025 | Q3 2025 | Change |\n"
    "|---|---|---|---|\n"
    "| Europe | 9.1 | 9.8 | +8% |\n"
    "| Americas | 6.0 | 7.1 | +18% |\n"
    "| Asia-Pacific | 4.1 | 4.4 | +7% |\n"
)

FAQ = (
    "# Mitarbeiter-FAQ der Brandt Logistik GmbH\n\n"
    "## Krankheit\n\n"
    "Die Krankmeldung muss am ersten Tag vor Schichtbeginn bei der Teamleitung erfolgen.\n\n"
    "Eine ärztliche Arbeitsunfähigkeitsbescheinigung ist ab dem dritten Krankheitstag nötig.\n\n"
    "## Kontakte\n\n"
    "IT-Helpdesk: intern Durchwahl 5050, Montag bis Freitag 7:00–18:00 Uhr\n\n"
    "Sommerfest 2025: Die Organisation übernimmt Lea Brandt aus der Personalabteilung.\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    with running_server(tmp_path_factory.mktemp("reasons"), {"DOCENT_EMBEDDER": "e5"}) as s:

        async def load_all() -> None:
            files = [
                ("ashby-committee-minutes.pdf", make_pdf(MINUTES, title="Committee minutes")),
                ("contrat-entretien-tilleuls.pdf", make_pdf(CONTRACT, title="Contrat d'entretien")),
                ("einladung-mitgliederversammlung.txt", INVITATION.encode()),
                ("holloway-rugby-safety-rules.txt", RULES.encode()),
                ("fernwood-q3-2025-sales-review.md", REVIEW.encode()),
                ("mitarbeiter-faq-brandt.md", FAQ.encode()),
            ]
            for name, data in files:
                payload = await upload_ok(s, name, data)
                events = await wait_ready(s, payload["document"]["id"])
                assert events[-1]["status"] == "READY", events

        asyncio.run(load_all())
        yield s


def test_why_is_answered_with_the_reason(server: DocentServer) -> None:
    answer = ask(server, "Why did the Ashby House evacuation take longer than the target?")
    assert answer["grounded"], answer
    assert "blocked fire door" in answer["text"], answer


def test_the_hourly_rate_does_not_follow_the_monthly_price(server: DocentServer) -> None:
    answer = ask(server, "How much do we pay the Les Tilleuls cleaners each month before VAT?")
    assert answer["grounded"], answer
    assert "980 € HT par mois" in answer["text"], answer
    assert "32 €" not in answer["text"], answer


def test_the_labelled_place_line_answers_where(server: DocentServer) -> None:
    answer = ask(server, "Wo findet die Mitgliederversammlung statt?")
    assert answer["grounded"], answer
    assert "Kantine, Gebäude 2" in answer["text"], answer


def test_the_line_saying_where_beats_the_title_line(server: DocentServer) -> None:
    answer = ask(
        server, "Where is the fire assembly point at Holloway's Rugby distribution centre?"
    )
    assert answer["grounded"], answer
    assert "Gate 4" in answer["text"], answer
    assert "SAFETY RULES" not in answer["text"], answer


def test_a_row_in_the_headings_currency_answers_the_amount(server: DocentServer) -> None:
    answer = ask(server, "What was Fernwood's Q3 2025 revenue in the Americas?")
    assert answer["grounded"], answer
    assert "7.1" in answer["text"], answer
    assert "21.3" not in answer["text"] and "9.8" not in answer["text"], answer


def test_an_ordinal_day_answers_from_which_day(server: DocentServer) -> None:
    answer = ask(server, "Ab welchem Tag brauche ich bei Brandt Logistik ein Attest vom Arzt?")
    assert answer["grounded"], answer
    assert "dritten Krankheitstag" in answer["text"], answer
