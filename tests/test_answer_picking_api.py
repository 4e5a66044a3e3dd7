"""The unit that answers, through a real server with the default embedder (e5): a product
card PDF whose title line names the tool and whose spec lines on page 2 never do, and a
tenancy PDF whose property line names the flat and whose numbered clauses on page 2 hold
the rent and the bills (issue 13, session 7). The documents are made up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from support.answers import ask
from support.samples import make_pdf
from support.servers import DocentServer, running_server, upload_ok, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


CARD = [
    [
        "Cordless impact driver Varn ID-18 (item no. 31-118)",
        "",
        "A compact impact driver for decking, framing and cabinet work. It drives 100 mm",
        "screws into hardwood without pre-drilling, and its LED lights the screw head.",
        "",
        "Guarantee",
        "",
        "Varn gives a 3-year guarantee on the tool when it is registered within 30 days of",
        "purchase. Batteries and chargers are covered for 1 year.",
    ],
    [
        "Technical data",
        "",
        "Max. torque: 180 Nm",
        "No-load speed: 0-2,900 rpm",
        "Weight with battery: 1.4 kg",
        "Battery: 18 V, 4.0 Ah",
    ],
]
TENANCY = [
    [
        "Tenancy agreement",
        "",
        "Flat 3, Orchard House, 12 Mill Lane, Dunford DF2 4QR: a two-bedroom flat on the",
        "second floor, with one parking space.",
        "",
        "1. The parties",
        "",
        "1.1 The landlord is Mr Ewan Tull of 4 Bank Street, Dunford.",
        "1.2 The tenant is Ms Ana Ribeiro.",
    ],
    [
        "3. Rent and bills",
        "",
        "3.1 The rent is £780 per calendar month, payable in advance on the first day of",
        "each month. 3.2 The tenant pays a deposit of £900 before moving in.",
        "3.3 The tenant pays electricity, gas, water, council tax and broadband.",
    ],
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    with running_server(tmp_path_factory.mktemp("picking"), {"DOCENT_EMBEDDER": "e5"}) as s:

        async def load_all() -> None:
            for name, pages, title in (
                ("varn-id18-product-card.pdf", CARD, "Varn ID-18 product card"),
                ("orchard-house-tenancy.pdf", TENANCY, "Tenancy agreement, Flat 3"),
            ):
                payload = await upload_ok(s, name, make_pdf(pages, title=title))
                events = await wait_ready(s, payload["document"]["id"])
                assert events[-1]["status"] == "READY", events

        asyncio.run(load_all())
        yield s


def pages(answer: dict[str, Any]) -> set[tuple[str, int]]:
    return {(c["document"]["filename"], c["chunk"]["page"]) for c in answer["citations"]}


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("What is the maximum torque of the Varn ID-18?", "180 Nm"),
        ("How heavy is the Varn ID-18?", "1.4 kg"),
    ],
)
def test_the_spec_line_answers_not_the_title_line(
    server: DocentServer, question: str, value: str
) -> None:
    answer = ask(server, question)
    assert answer["grounded"], answer
    assert value in answer["text"], answer
    assert "item no." not in answer["text"], answer
    assert pages(answer) == {("varn-id18-product-card.pdf", 2)}, answer


def test_the_rent_clause_answers_not_the_property_line(server: DocentServer) -> None:
    answer = ask(server, "What's the monthly rent for flat 3?")
    assert answer["grounded"], answer
    assert "£780" in answer["text"], answer
    assert "Mill Lane" not in answer["text"] and "£900" not in answer["text"], answer


def test_a_list_question_gets_the_clause_that_lists(server: DocentServer) -> None:
    answer = ask(server, "Which bills does the tenant pay?")
    assert answer["grounded"], answer
    assert "electricity, gas, water" in answer["text"], answer
    assert "£900" not in answer["text"] and "£780" not in answer["text"], answer
    # the clause keeps its number, and the one before it is not glued on
    assert answer["text"].startswith("3.3 The tenant pays"), answer
