"""The sentence that answers, third round (issue 13, session 8), through a real server with
the default embedder (e5): a heating cover agreement PDF whose withdrawn tariff's clause
says what replaces it in its second sentence, and a storage datasheet (XLSX) with models
as columns, asked by a value of another row ("the 4-bay model"). The documents are made
up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.answers import ask
from support.samples import make_pdf, make_xlsx
from support.servers import DocentServer, running_server, upload_ok, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

AGREEMENT = [
    [
        "Heating Cover Agreement HC-5120",
        "",
        "Between Ardley Home Services Ltd and Mr Tomasz Wrona, 8 Larch Close, Brindle.",
        "",
        "2. Tariffs",
        "",
        "2.1 Your tariff is Silver Plus, at £16.40 a month.",
        "2.2 The Bronze tariff is no longer offered. Customers on Bronze move to the Silver",
        "tariff at their next renewal, at the same monthly price.",
    ],
    [
        "6. Ending the agreement",
        "",
        "6.1 You may cancel this agreement at any time by giving us 30 days' notice.",
        "6.2 We may end the agreement if a payment is more than 60 days overdue.",
    ],
]
DATASHEET = {
    "Models": [
        ["Specification", "QS-20", "QS-40", "QS-60"],
        ["Drive bays", 2, 4, 6],
        ["Weight", "1.2 kg", "2.5 kg", "3.9 kg"],
        ["Noise level", "18 dB(A)", "21 dB(A)", "25 dB(A)"],
        ["Price", "£259", "£479", "£729"],
    ]
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    root = tmp_path_factory.mktemp("premise")
    with running_server(root, {"DOCENT_EMBEDDER": "e5"}) as s:
        sheet = make_xlsx(Path(root) / "quarry-qs-datasheet.xlsx", DATASHEET).read_bytes()

        async def load_all() -> None:
            for name, data in (
                ("ardley-heating-cover.pdf", make_pdf(AGREEMENT, title="Heating cover")),
                ("quarry-qs-datasheet.xlsx", sheet),
            ):
                payload = await upload_ok(s, name, data)
                events = await wait_ready(s, payload["document"]["id"])
                assert events[-1]["status"] == "READY", events

        asyncio.run(load_all())
        yield s


def test_the_sentence_after_the_restated_premise_answers(server: DocentServer) -> None:
    answer = ask(server, "I'm on the Bronze tariff, which is being withdrawn - what happens to me?")
    assert answer["grounded"], answer
    assert "Silver" in answer["text"] and "next renewal" in answer["text"], answer
    assert "no longer offered" not in answer["text"], answer
    assert "30 days" not in answer["text"], answer


@pytest.mark.parametrize(
    ("question", "value", "others"),
    [
        ("How heavy is the QS model with 6 drive bays?", "3.9 kg", ["1.2 kg", "2.5 kg"]),
        ("How loud is the 4-bay QS model?", "21 dB(A)", ["18 dB(A)", "25 dB(A)"]),
    ],
)
def test_a_value_of_another_row_picks_the_column(
    server: DocentServer, question: str, value: str, others: list[str]
) -> None:
    answer = ask(server, question)
    assert answer["grounded"], answer
    assert value in answer["text"], answer
    assert not any(o in answer["text"] for o in others), answer
