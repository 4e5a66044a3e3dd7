"""Issue 13, session 7's second round: the not-found gate's rules for transposed tables
(a count joined to its noun is no code), everyday synonyms and hypernyms, the attribute a
near-miss asks for, and HYBRID's first passage tying with the closest one. Each rule over
question and passage; the API-level cases are in test_crosslingual_api.py."""

from __future__ import annotations

import pytest
from test_refusal_evidence import AGREEMENT_FLOOR, gate, passage

from docent.answering.agreement import TIE, agrees
from docent.answering.attributes import asked_head, asked_phrase, missing_attribute
from docent.answering.clues import Clues
from docent.answering.grounding import Signal
from docent.answering.vocabulary import count_compound

# ------------------------------------------------------------- transposed tables

SPECS = (
    "Specification | VX-200 | VX-400 | VX-800\n"
    "Ports | 2 | 4 | 8\n"
    "Weight | 0.9 kg | 1.3 kg | 2.2 kg\n"
    "Order code | VX200-EU | VX400-EU | VX800-EU"
)


@pytest.mark.parametrize(
    ("token", "count"),
    [
        ("8-channel", True),
        ("16-port", True),
        ("24-hour", True),
        ("WH-147", False),
        ("KJ-300", False),
        ("A4", False),
        ("12-Monats", False),
    ],
)
def test_a_count_joined_to_its_noun_is_no_code(token: str, count: bool) -> None:
    assert count_compound(token) is count


def test_a_transposed_tables_column_named_by_a_count_is_evidence() -> None:
    # "4-port" is written nowhere: the row "Ports | 2 | 4 | 8" names the column. Read
    # as a code the document lacks, it refused the question.
    question = "How heavy is the 4-port switch?"
    assert Clues.of(question).codes == ()
    table = passage(SPECS, cosine=0.83, title="vx-switches-datasheet.md")
    assert gate(question, [table], closest=SPECS) is not None
    # A real code the document lacks still refuses it ("the VX-1600").
    assert gate("How heavy is the VX-1600 switch?", [table], closest=SPECS) is None


# ------------------------------------------------------------- everyday words


@pytest.mark.parametrize(
    ("question", "text"),
    [
        (
            "Can we have a BBQ out on the balcony?",
            "Barbecues and open flames are not permitted on balconies.",
        ),
        (
            "Will reception take in my grocery delivery?",
            "Reception accepts parcels for residents. Perishable deliveries (food) are "
            "not accepted.",
        ),
        (
            "I'm locked out at midnight - who do I ring?",
            "Residents locked out outside office hours call the 24-hour line.",
        ),
    ],
)
def test_everyday_words_and_narrower_ones_find_the_documents_words(
    question: str, text: str
) -> None:
    # Below every cosine floor, not SEMANTIC's first: by the words alone.
    hit = passage(text, cosine=0.80, title="residents-handbook.md")
    assert gate(question, [hit], closest=None) is Signal.KEYWORDS


def test_a_word_of_the_question_is_not_found_by_another_of_its_words() -> None:
    # "wash" and "laundry" are one group; "laundry" is its own word here, and a passage
    # saying it holds no wash (nor a price of one).
    clues = Clues.of("How much is one wash in the laundry room?")
    washes = [terms for terms, _ in clues.words if "wash" in terms]
    assert washes and all("laundri" not in terms for terms in washes)
    assert any("laundri" in terms for terms, _ in Clues.of("Until when can I wash?").words)


# ------------------------------------------------------------- the attribute asked


@pytest.mark.parametrize(
    ("question", "phrase", "head"),
    [
        (
            "What is the default admin password of the NV recorders?",
            ["default", "admin", "password"],
            "password",
        ),
        ("Is there a surcharge for parking a motorbike?", ["surcharge"], "surcharge"),
        ("How much is a hearing test?", ["hearing", "test"], "test"),
        ("What does an extended warranty for a router cost?", ["extended", "warranty"], "warranty"),
        # the kind of answer, stated by its shape: no attribute to find
        ("What is the phone number of Brevena customer service?", ["phone", "number"], None),
        # picking one of several entities
        ("What's the order code of the smallest one?", ["order", "code"], "code"),
        # another verb than "cost": what it asks cannot be told without a parser
        ("What does MHE stand for in the safety rules?", [], None),
        ("Can we end the contract early?", [], None),
    ],
)
def test_the_attribute_a_question_asks_for(
    question: str, phrase: list[str], head: str | None
) -> None:
    assert asked_phrase(question) == phrase
    assert asked_head(question) == head


NV = (
    "Every NV recorder carries a 3-year warranty. Firmware updates are free and are "
    "installed from the KestrelView app."
)


def test_a_document_that_never_names_the_attribute_asked_is_no_evidence() -> None:
    question = "What is the default admin password of the NV recorders?"
    clues = Clues.of(question)
    assert missing_attribute(question, clues, NV, NV)
    # Close in meaning, above the similarity floor: it grounded the near-miss.
    hit = passage(NV, cosine=0.93, title="nv-recorders-datasheet.html")
    assert gate(question, [hit], closest=NV) is None
    # Its document naming a password elsewhere (retrieved too), it is judged as before.
    login = "The admin password is set on first start; there is no default password."
    other = passage(login, cosine=0.90, title="nv-recorders-datasheet.html")
    assert not missing_attribute(question, clues, NV, f"{NV}\n{login}")
    assert gate(question, [hit, other], closest=NV) is Signal.SIMILARITY


def test_the_attribute_is_found_by_a_word_of_its_group_and_only_in_english() -> None:
    question = "What is the warranty on the NV recorders?"
    guarantee = "Every NV recorder is guaranteed for 3 years."
    assert not missing_attribute(question, Clues.of(question), guarantee, guarantee)
    # Across languages, words cannot be compared: left to the cosine floors.
    german = "Alle NV-Rekorder haben 3 Jahre Garantie."
    assert not missing_attribute(
        "What is the PIN of the NV recorders?", Clues.of("What is the PIN?"), german, german
    )


# ------------------------------------------------------------- ties with the closest

PETS = "Residents may keep one cat or one small dog with the managing agent's written consent."
LEASE_PETS = "No pets may be kept without the landlord's written consent."


@pytest.mark.parametrize(
    ("first_cosine", "agreeing"),
    [(0.821 - TIE / 2, True), (0.821 - 2 * TIE, False)],
)
def test_hybrids_first_passage_tying_with_the_closest_agrees(
    first_cosine: float, agreeing: bool
) -> None:
    question = "Can we get a cat?"
    first = passage(PETS, cosine=first_cosine, title="residents-handbook.md")
    closest = passage(LEASE_PETS, cosine=0.821, title="tenancy.pdf", document="e")
    clues = Clues.of(question)
    assert not agrees(question, clues, first, closest=LEASE_PETS, floor=AGREEMENT_FLOOR)
    assert (
        agrees(
            question,
            clues,
            first,
            closest=LEASE_PETS,
            floor=AGREEMENT_FLOOR,
            rivals=[first, closest],
        )
        is agreeing
    )
