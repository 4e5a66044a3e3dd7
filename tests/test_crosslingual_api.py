"""Issue 13, session 7, through a real server with the default embedder (e5) over dev-set
documents: a cross-lingual question answered, a situational one grounded by the passage
every ranking puts first, and a near-miss sharing only a place with a document refused;
from the second round, a transposed table's column named by a count, everyday words for
the document's, and near-misses whose attribute the document never names; from the third,
near-misses whose sentence lacks the kind of value asked (a fee, a code) and values of
that kind standing for its name (a phone number, an e-mail address). The rules are
unit-tested in test_refusal_evidence.py, test_refusal_second_round.py and
test_refusal_third_round.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.answers import ask
from support.servers import DocentServer, running_server, upload_ok, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

DEVSET = Path(__file__).resolve().parents[1] / "eval" / "devset" / "documents"
#: The whole dev set (eval/devset/README.md): 48 documents in six languages, so that the
#: question's closest document is measured against as many rivals as `docent eval` does.
FILES = sorted(p.name for p in DEVSET.iterdir())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    with running_server(tmp_path_factory.mktemp("xl"), {"DOCENT_EMBEDDER": "e5"}) as s:

        async def load_all() -> None:
            for name in FILES:
                payload = await upload_ok(s, name, (DEVSET / name).read_bytes())
                events = await wait_ready(s, payload["document"]["id"], timeout=600)
                assert events[-1]["status"] == "READY", (name, events)

        asyncio.run(load_all())
        yield s
        assert s.network_attempts() == [], s.network_attempts()


def cited(answer: dict[str, Any]) -> set[str]:
    return {c["document"]["filename"] for c in answer["citations"]}


def assert_refused(answer: dict[str, Any]) -> None:
    assert not answer["grounded"], answer
    assert answer["citations"] == []


def test_an_english_question_over_an_arabic_notice_is_answered(server: DocentServer) -> None:
    # The notice writes "نور بلس" and "شهرياً": the name is in its file name, and "per
    # month" is no neighbour of what an Arabic passage says.
    answer = ask(server, "What will the Noor Plus package cost per month from April 2025?")
    assert answer["grounded"], answer
    assert "149" in answer["text"], answer
    assert "ar-al-noor-telecom-notice.html" in cited(answer)


def test_a_situational_question_is_grounded_by_the_first_passage(server: DocentServer) -> None:
    answer = ask(server, "I used to get the 31 out to Millbrook - what do I take now?")
    assert answer["grounded"], answer
    assert "harwick-bus-network-changes.pdf" in cited(answer)
    answer = ask(server, "Can we get a cat?")
    assert answer["grounded"], answer
    assert "written consent" in answer["text"], answer


@pytest.mark.parametrize(
    "question",
    [
        # The workshop's price list names it and its street; nothing says parking.
        "¿Hay aparcamiento gratuito cerca de Talleres Ribera?",
        # The gym's letterhead names it and its city; nothing says a cash machine.
        "¿Dónde hay un cajero cerca del Gimnasio Olivar en Sevilla?",
    ],
)
def test_a_name_shared_with_a_document_is_no_evidence_for_the_rest(
    server: DocentServer, question: str
) -> None:
    assert_refused(ask(server, question))


def test_a_transposed_tables_column_named_by_a_count_is_evidence(server: DocentServer) -> None:
    # Models are columns; "8-channel" is written nowhere, the row "Camera channels" says it.
    answer = ask(server, "How heavy is the 8-channel recorder?")
    assert answer["grounded"], answer
    assert "kestrel-nv-recorders-datasheet.html" in cited(answer)


def test_everyday_words_find_the_documents_words(server: DocentServer) -> None:
    answer = ask(server, "Can we have a BBQ out on the balcony?")
    assert answer["grounded"], answer
    assert "not permitted" in answer["text"], answer


@pytest.mark.parametrize(
    "question",
    [
        # The datasheet names no password; its cosine and its lead grounded it.
        "What is the default admin password of the NV recorders?",
        # The handbook names no gym; its name and its letterhead grounded it.
        "Is there a residents' gym at Alder Wharf?",
    ],
)
def test_a_document_that_never_names_the_attribute_asked_is_no_evidence(
    server: DocentServer, question: str
) -> None:
    assert_refused(ask(server, question))


@pytest.mark.parametrize(
    "question",
    [
        # The storage cages' sentence names no fee; its words and cosine grounded it.
        "Do residents pay anything for a basement storage cage at Birchgate Court?",
        # The cycle store opens with the door fob: no code is written.
        "What is the entry code for the Birchgate cycle store?",
    ],
)
def test_a_sentence_without_the_kind_of_value_asked_is_no_evidence(
    server: DocentServer, question: str
) -> None:
    assert_refused(ask(server, question))


@pytest.mark.parametrize(
    ("question", "value", "document"),
    [
        (
            "What is the telephone number of Brevena's customer service?",
            "+44 20 7946 0321",
            "brevena-cm40-manual.pdf",
        ),
        (
            "What is Jonas Lindqvist's email address?",
            "j.lindqvist@larchmont.example",
            "larchmont-staff-directory.xlsx",
        ),
    ],
)
def test_a_value_of_the_kind_asked_is_evidence_without_its_name(
    server: DocentServer, question: str, value: str, document: str
) -> None:
    # Neither passage writes "telephone number" or "email address"; the value says it.
    answer = ask(server, question)
    assert answer["grounded"], answer
    assert value in answer["text"], answer
    assert document in cited(answer)


def test_a_german_document_that_never_names_the_noun_asked_is_no_evidence(
    server: DocentServer,
) -> None:
    # The FAQ has a summer party and "abfeiern" (overtime taken off), no Christmas party.
    assert_refused(ask(server, "Wer koordiniert die Weihnachtsfeier der Solvera Logistik?"))


def test_the_telephone_number_asked_for_is_quoted_alone(server: DocentServer) -> None:
    # The Spanish price list gives the tow truck's number and the workshop's; an English
    # question shares no word with either sentence (test_answer_crosslingual.py).
    answer = ask(server, "Which number should I call for the Ribera breakdown truck?")
    assert "900 813 552" in answer["text"], answer
    assert "963 402 871" not in answer["text"], answer
    assert cited(answer) == {"taller-ribera-tarifas.html"}


def test_a_place_in_the_address_line_does_not_hide_the_number_asked(
    server: DocentServer,
) -> None:
    # The question's place is in the price list's address line, which holds no telephone
    # number; across languages it was the only unit the question's words met
    # (held_kind: the gate refused the list).
    answer = ask(
        server, "We are stuck near Valencia with a flat battery - what number do I ring"
        " to get Ribera's recovery truck out to us?",
    )  # fmt: skip
    assert answer["grounded"], answer
    assert "900 813 552" in answer["text"], answer


def test_a_german_question_is_signed_by_the_file_name_across_scripts(
    server: DocentServer,
) -> None:
    # German capitalises every noun: "Tianlan" was read as no name, and the Chinese FAQ
    # (zh-tianlan-employee-faq.txt) got no cross-script floor.
    answer = ask(server, "Wie viele Tage Hochzeitsurlaub gibt es bei Tianlan?")
    assert answer["grounded"], answer
    assert "十天" in answer["text"], answer


def test_a_place_named_in_the_letterhead_does_not_hide_the_number_asked(
    server: DocentServer,
) -> None:
    # "Valencia" meets only the price list's address line, which holds the workshop's
    # number; across languages it chose where the gate looked for a phone number, and
    # the question was refused (held_kind.lacks_kind).
    answer = ask(
        server,
        "We are stuck on the road near Valencia with a flat battery - what phone number "
        "reaches the Ribera breakdown lorry?",
    )
    assert answer["grounded"], answer
    assert "900 813 552" in answer["text"], answer
    assert cited(answer) == {"taller-ribera-tarifas.html"}


def test_a_german_questions_name_signs_a_chinese_passage(server: DocentServer) -> None:
    # German capitalises every noun, so "Tianlan" was no name: the Chinese FAQ (its file
    # name writes it) was not signed by it, and its cosine alone grounded nothing.
    answer = ask(
        server, "Wie viele Tage in der Woche dürfen Mitarbeiter von Tianlan zu Hause arbeiten?"
    )
    assert answer["grounded"], answer
    assert "两天" in answer["text"], answer
    assert cited(answer) == {"zh-tianlan-employee-faq.txt"}


def test_the_e_mail_address_asked_for_is_quoted(server: DocentServer) -> None:
    # "Datenschutzbeauftragte: ..., datenschutz@..." was read as a heading.
    answer = ask(
        server, "To which e-mail address do I write to reach Solvera's data protection officer?"
    )
    assert "datenschutz@solvera-logistik.example" in answer["text"], answer


def test_a_sentence_about_another_period_is_not_appended(server: DocentServer) -> None:
    answer = ask(server, "How much do the L'Ormeau cleaners charge per month before VAT?")
    assert "1 240 €" in answer["text"], answer
    assert "38 €" not in answer["text"], answer


def test_a_passage_in_another_language_is_not_pushed_out_by_keyword_matches(
    server: DocentServer,
) -> None:
    # An Arabic question over the English leave policy (the dev set's halden-13): keyword
    # search ranks Arabic notices among the policy's passages; the embedder ranks the
    # annual-leave passage second, and fusion left it out (retrieval.py,
    # keep_foreign_semantic).
    answer = ask(
        server,
        "كم يوماً من الإجازة السنوية المدفوعة يحصل عليها موظفو Halden Logistics بدوام كامل؟",
    )
    assert "25 days" in answer["text"], answer
    assert cited(answer) == {"halden-leave-policy.pdf"}
