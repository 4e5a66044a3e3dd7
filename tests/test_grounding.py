"""The not-found gate (answering/grounding.py): which passage is evidence, and by which
signal. The API-level cases are in test_answers_api.py."""

from __future__ import annotations

import pytest

from docent.answering.grounding import Signal, find_evidence, names_and_codes, script
from docent.domain import Chunk, Hit


def hit(
    text: str,
    *,
    similarity: float | None = None,
    rerank: float | None = None,
    title: str = "Doc",
    section: str | None = None,
) -> Hit:
    chunk = Chunk(id="c", document_id="d", ordinal=0, text=text, section=section)
    return Hit(chunk, title, 1.0, semantic_score=similarity, rerank_score=rerank)


BONUS = "The efficiency bonus is paid to every field engineer each quarter."
HANDBOOK = "Every employee receives 27 days of paid holiday per year."


@pytest.mark.parametrize(
    ("question", "hits", "similarity_floor", "rerank_floor", "signal"),
    [
        pytest.param(
            "Who receives the efficiency bonus?",
            [hit(BONUS, similarity=0.1)],
            0.35,
            None,
            Signal.KEYWORDS,
            id="keywords-with-a-low-cosine",
        ),
        pytest.param(
            "What is the capital of Australia?",
            [hit(HANDBOOK, similarity=0.2)],
            0.35,
            None,
            None,
            id="off-topic-refused",
        ),
        pytest.param(
            "What is the company's policy on bringing dogs to the office?",
            [hit("This policy applies to every office of the company.", similarity=0.3)],
            0.35,
            None,
            None,
            id="common-words-are-not-enough",
        ),
        pytest.param(
            "What is Marta Kowalczyk's phone extension?",
            [hit("Marta Kowalczyk | Acoustics | extension 4417")],
            None,
            None,
            Signal.KEYWORDS,
            id="a-name-weighs-more",
        ),
        pytest.param(
            "How long is the holiday?",
            [hit(HANDBOOK, similarity=0.5)],
            0.35,
            None,
            Signal.SIMILARITY,
            id="similarity",
        ),
        pytest.param(
            "How long is the holiday?",
            [hit(HANDBOOK, similarity=0.9)],
            None,
            None,
            None,
            id="no-floor-measured-no-similarity-evidence",
        ),
        pytest.param(
            "员工每年有几天年假？",
            [hit("يحصل الموظفون على ثلاثين يوما من الإجازة السنوية.", similarity=0.9)],
            0.35,
            None,
            None,
            id="another-script-is-not-evidence-by-similarity",
        ),
        pytest.param(
            "员工每年有几天年假？",
            # other words than the question's (no keyword evidence): similarity decides
            [hit("每名职工可休十天带薪假期。", similarity=0.6)],
            0.35,
            None,
            Signal.SIMILARITY,
            id="same-script",
        ),
        pytest.param(
            "Zyx qwv?",
            [hit(HANDBOOK, similarity=0.01, rerank=0.99)],
            0.35,
            0.1,
            Signal.RERANKER,
            id="calibrated-reranker-over-a-bad-cosine",
        ),
        pytest.param(
            "How long is the holiday?",
            [hit(HANDBOOK, similarity=0.9, rerank=0.02)],
            0.35,
            0.1,
            None,
            id="calibrated-reranker-says-no",
        ),
        pytest.param(
            "Which warehouse stores part WH-147?",
            [hit("Part WH-147 is stored in warehouse B.", rerank=0.01)],
            0.35,
            0.1,
            Signal.KEYWORDS,
            id="an-exact-code-outranks-the-reranker",
        ),
        pytest.param(
            "How long is the holiday?",
            [hit(HANDBOOK, similarity=0.9, rerank=0.02)],
            0.35,
            None,
            Signal.SIMILARITY,
            id="uncalibrated-reranker-ignored",
        ),
        pytest.param("How long is the holiday?", [], 0.35, None, None, id="no-hits"),
        pytest.param(
            "How many days of paid annual leave do full-time employees at Halden Logistics get?",
            [
                hit(
                    "Full-time employees receive 25 days of paid annual leave per leave year.",
                    title="Halden Logistics - Leave Policy",
                    section="2. Annual leave",
                )
            ],
            None,
            None,
            Signal.KEYWORDS,
            id="the-title-names-what-the-passage-is-about",
        ),
        pytest.param(
            "How many days of paid annual leave do full-time employees at Halden Logistics get?",
            [hit("Full-time employees receive 25 days of paid annual leave per leave year.")],
            None,
            None,
            None,
            id="without-the-title-the-company-is-missing",
        ),
        pytest.param(
            "How loud is the Brevena CM-40 in decibels?",
            [hit("Thank you for choosing the Brevena CM-40.", title="Brevena CM-40 manual")],
            None,
            None,
            None,
            id="names-alone-do-not-ask-the-question",
        ),
        pytest.param(
            "How much does a box of A5 copier paper cost at Fennick?",
            [
                hit(
                    "SKU: FX-1002; Product: A4 copier paper; Pack: box of 5 reams; Price: 27.45",
                    title="Fennick price list",
                )
            ],
            None,
            None,
            None,
            id="another-code-is-another-thing",
        ),
        pytest.param(
            "员工每年有几天年假？",
            [hit("年假规定：员工每年享有十五天带薪年假，须提前两周向部门经理申请。")],
            None,
            None,
            Signal.KEYWORDS,
            id="chinese-keywords-counted-by-character",
        ),
        pytest.param(
            "今天人民币兑美元的汇率是多少？",
            [hit("年假规定：员工每年享有十五天带薪年假，须提前两周向部门经理申请。")],
            None,
            None,
            None,
            id="chinese-off-topic",
        ),
    ],
)
def test_find_evidence(
    question: str,
    hits: list[Hit],
    similarity_floor: float | None,
    rerank_floor: float | None,
    signal: Signal | None,
) -> None:
    evidence = find_evidence(
        question, hits, similarity_floor=similarity_floor, rerank_floor=rerank_floor
    )
    assert evidence.signal == signal
    assert evidence.found == (signal is not None)


GERMAN_HOTEL = "Übernachtungskosten werden bis zu 120 Euro pro Nacht erstattet, Belege im Original."
GERMAN_QUESTION = "Wie teuer darf ein Zimmer auf einer Dienstreise sein?"


@pytest.mark.parametrize(
    ("question", "passage", "cosine", "languages", "cross_floor", "signal"),
    [
        # An embedder trained on English only: its cosine between German texts is no
        # evidence, however high; between English ones it is.
        (GERMAN_QUESTION, GERMAN_HOTEL, 0.95, frozenset({"en"}), None, None),
        ("Who pays the hotel bill?", HANDBOOK, 0.95, frozenset({"en"}), None, Signal.SIMILARITY),
        # A multilingual one: the same-language floor for German with German.
        (GERMAN_QUESTION, GERMAN_HOTEL, 0.9, None, None, Signal.SIMILARITY),
        # English question, German passage (same script): the cross-language floor.
        (
            "How much is paid for a hotel per night?",
            GERMAN_HOTEL,
            0.84,
            None,
            0.8,
            Signal.SIMILARITY,
        ),
        ("How much is paid for a hotel per night?", GERMAN_HOTEL, 0.79, None, 0.8, None),
        # No cross-language floor measured: never, even above the same-language floor.
        ("How much is paid for a hotel per night?", GERMAN_HOTEL, 0.95, None, None, None),
        # Different scripts: never by similarity, whatever the floors.
        (
            "员工每年有几天年假？",
            "يحصل الموظفون على إجازة سنوية مدتها ثلاثون يوما.",
            0.99,
            None,
            0.5,
            None,
        ),
    ],
)
def test_similarity_counts_only_in_the_embedders_languages(
    question: str,
    passage: str,
    cosine: float,
    languages: frozenset[str] | None,
    cross_floor: float | None,
    signal: Signal | None,
) -> None:
    evidence = find_evidence(
        question,
        [hit(passage, similarity=cosine, title="")],
        similarity_floor=0.9,
        rerank_floor=None,
        cross_language_floor=cross_floor,
        languages=languages,
    )
    assert evidence.signal == signal


@pytest.mark.parametrize(
    ("question", "passage", "signal"),
    [
        pytest.param(
            "Werden Parkgebühren auf Dienstreisen erstattet?",
            hit(
                "Nebenkosten, z. B. Parkgebühren, Maut und Gepäckaufbewahrung, werden gegen "
                "Beleg erstattet.",
                title="Reisekostenrichtlinie",
                section="6. Nebenkosten",
            ),
            Signal.KEYWORDS,
            id="german-nouns-are-not-names",
        ),
        pytest.param(
            "Combien de jours de télétravail par semaine sont autorisés chez Atelier Lumière ?",
            hit(
                "Article 3 - Télétravail\n\nLes salariés des services administratifs peuvent "
                "télétravailler jusqu'à 2 jours par semaine après la fin de leur période "
                "d'essai. Le télétravail est organisé avec l'accord du responsable.",
                title="reglement-interieur-atelier-lumiere.docx",
                section="Règlement intérieur > Article 3 - Télétravail",
            ),
            Signal.KEYWORDS,
            id="a-word-stemmed-two-ways-is-one-word",
        ),
        pytest.param(
            "Wie hoch ist die Verpflegungspauschale für einen vollen Kalendertag?",
            hit(
                "Abwesenheit | Pauschale\nvoller Kalendertag (24 Stunden) | 28 €\n"
                "mehr als 8 Stunden | 14 €",
                title="Reisekostenrichtlinie",
                section="5. Verpflegungsmehraufwand",
            ),
            Signal.KEYWORDS,
            id="wie-hoch-is-the-question",
        ),
        pytest.param(
            "苏州仓的灭火器多久检查一次？",
            hit(
                "灭火器每月检查一次，检查记录贴在灭火器上。", title="training.pptx", section="消防"
            ),
            Signal.KEYWORDS,
            id="chinese-how-long-is-the-question",
        ),
        pytest.param(
            "星河项目的预算是多少？",
            hit(
                "会议时间：2025年4月15日上午10:00 会议地点：3号会议室 主持人：李明（项目经理）",
                title="minutes.txt",
                section="星河项目周例会纪要",
            ),
            None,
            id="chinese-subject-in-the-heading-only",
        ),
        pytest.param(
            "How loud is the Brevena CM-40 in decibels?",
            hit(
                "Thank you for choosing the Brevena CM-40. Please read this manual first.",
                title="brevena-cm40-manual.pdf",
            ),
            None,
            id="the-code-the-file-name-holds-names-the-document-not-the-passage",
        ),
    ],
)
def test_keyword_evidence_reads_words_as_their_language_writes_them(
    question: str, passage: Hit, signal: Signal | None
) -> None:
    evidence = find_evidence(question, [passage], similarity_floor=None, rerank_floor=None)
    assert evidence.signal == signal


def test_names_and_codes() -> None:
    assert names_and_codes("What is Marta Kowalczyk's phone extension?") == ["Marta", "Kowalczyk"]
    assert names_and_codes("Which room is WH-147 in, and is KJ-300 there?") == ["WH-147", "KJ-300"]
    # A CJK question has no spaces: the code ends where the Chinese words begin.
    assert names_and_codes("KJ-300的滤网多久更换一次？") == ["KJ-300"]
    assert names_and_codes("Does the Lumera T3 work with Apple HomeKit?") == [
        "Lumera",
        "T3",
        "Apple",
        "HomeKit",
    ]
    # German capitalises every noun: only codes tell names there.
    assert names_and_codes("Werden Parkgebühren auf Dienstreisen im Zug KX-4 erstattet?") == [
        "KX-4"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello there", "LATIN"),
        ("Grüße aus Köln", "LATIN"),
        ("员工每年有几天年假", "CJK"),
        ("ما هي عاصمة المغرب", "ARABIC"),
        ("KJ-300空气净化器的适用面积", "CJK"),
        ("123 !", None),
    ],
)
def test_script(text: str, expected: str | None) -> None:
    assert script(text) == expected


NOOR_HEADER = "إشعار هام لعملائنا الكرام\n\nشركة النور للاتصالات - إدارة خدمة العملاء - 3 مارس 2025"
NOOR_CONTACT = "للاستفسارات يمكنكم الاتصال على الرقم المجاني 800 1234 على مدار الساعة."


@pytest.mark.parametrize(
    ("question", "signal"),
    [
        pytest.param("ما هو رقم خدمة العملاء المجاني لشركة النور؟", Signal.KEYWORDS, id="answered"),
        pytest.param("ما هو رقم الفاكس لشركة النور؟", None, id="near-miss-fax"),
    ],
)
def test_an_arabic_documents_letterhead_names_its_subject(
    question: str, signal: Signal | None
) -> None:
    # Arabic has no capitals: the company is told by the document's opening passage, which
    # the contact passage does not repeat.
    hits = [
        Hit(Chunk("c2", "d", 2, NOOR_CONTACT, section="تواصلوا معنا"), "notice.html", 1.0),
        Hit(Chunk("c0", "d", 0, NOOR_HEADER), "notice.html", 0.5),
    ]
    evidence = find_evidence(question, hits, similarity_floor=None, rerank_floor=None)
    assert evidence.signal == signal
    if signal is not None:
        assert evidence.hit is hits[0]
