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
#: Shares no word with HANDBOOK: its evidence can only be similarity. ("How long is the
#: holiday?" is now answered by its one word and the duration beside it: keyword evidence.)


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
            "How much time off do staff get?",
            [hit(HANDBOOK, similarity=0.5)],
            0.35,
            None,
            Signal.SIMILARITY,
            id="similarity",
        ),
        pytest.param(
            "How much time off do staff get?",
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
            "How much time off do staff get?",
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


def passage_hit(
    text: str,
    *,
    title: str,
    section: str | None = None,
    document: str = "d",
    ordinal: int = 1,
    similarity: float | None = None,
) -> Hit:
    chunk = Chunk(
        id=f"{document}-{ordinal}",
        document_id=document,
        ordinal=ordinal,
        text=text,
        section=section,
    )
    return Hit(chunk, title, 1.0, semantic_score=similarity)


SAFETY_RULES = (
    "5. FIRE\n"
    "   5.1 Fire exits must be kept clear at all times.\n"
    "   5.2 On hearing the alarm, go to the fire assembly point, the staff car park by Gate 2.\n"
    "   5.3 Fire wardens wear red vests during a drill or an evacuation.\n"
    "6.2 Spills are reported to the shift manager at once."
)
REGISTER = (
    "Asset ID | Equipment | Manufacturer | Location | Last service\n"
    "LAB-0112 | Analytical balance | Kessler | Room 1.04 | 2024-11-02\n"
    "LAB-0233 | Refrigerated centrifuge | Hettich | Room 1.06 | 2025-01-15"
)
PRICES = (
    "SKU | Product | Pack | Price (GBP)\n"
    "FX-1001 | A4 copier paper 80 g/m2, white | box of 5 reams | 24.95\n"
    "FX-1030 | Spiral notebook A5, ruled, 80 sheets | pack of 10 | 17.95"
)


@pytest.mark.parametrize(
    ("question", "hits", "grounded"),
    [
        # the passage names the subject; its sentence about it states no number
        pytest.param(
            "How many fire wardens does Copperline have per shift?",
            [passage_hit(SAFETY_RULES, title="copperline-warehouse-safety-rules.txt")],
            False,
            id="number-asked-none-next-to-the-subject",
        ),
        pytest.param(
            "How many fire wardens does Copperline have per shift?",
            [
                passage_hit(
                    SAFETY_RULES
                    + "\n5.4 Two fire wardens per shift are named on the notice board.",
                    title="copperline-warehouse-safety-rules.txt",
                )
            ],
            True,
            id="number-asked-and-stated",
        ),
        pytest.param(
            "How much did the refrigerated centrifuge LAB-0233 cost?",
            [passage_hit(REGISTER, title="merrow-bio-lab-equipment-register.csv")],
            False,
            id="price-asked-of-a-row-without-one",
        ),
        pytest.param(
            "How much does a box of A4 copier paper cost at Fennick?",
            [passage_hit(PRICES, title="fennick-price-list-2025.xlsx")],
            True,
            id="price-in-a-row-under-its-price-column",
        ),
        pytest.param(
            "How much does a box of A5 copier paper cost at Fennick?",
            [passage_hit(PRICES, title="fennick-price-list-2025.xlsx")],
            False,
            id="a-code-in-another-row-than-the-words-asked",
        ),
        pytest.param(
            "When will version 4.0 of the Quillon API be released?",
            [
                passage_hit(
                    "Deprecated\n\nThe X-Quillon-Token header. The old header will be removed in 4.0.",
                    title="quillon-api-changelog.md",
                    section="Quillon API changelog > 3.4.0 (2025-05-06) > Deprecated",
                )
            ],
            False,
            id="date-asked-the-code-is-no-date",
        ),
        pytest.param(
            "When will version 4.0 of the Quillon API be released?",
            [
                passage_hit(
                    "Added\n\nGET /v3/shipments/{id}/label returns the label. Each version is released.",
                    title="quillon-api-changelog.md",
                    section="Quillon API changelog > 3.4.0 (2025-05-06) > Added",
                )
            ],
            False,
            id="a-code-is-not-inside-a-dotted-number",
        ),
        pytest.param(
            "What was Norvale's Q2 revenue in Africa?",
            [
                passage_hit(
                    "Revenue by region (£m)\n\nRegion | Q1 2025 | Q2 2025\nEMEA | 7.9 | 8.6\n"
                    "Americas | 5.1 | 6.2\nTotal | 16.3 | 18.4",
                    title="norvale-q2-2025-sales-review.pptx",
                    section="Revenue by region (£m)",
                )
            ],
            False,
            id="a-name-the-document-does-not-hold",
        ),
        pytest.param(
            "How many weeks of paternity leave does Corvid Analytics give?",
            [
                passage_hit(
                    "Corvid Analytics Ltd., Dublin. This policy explains how much holiday you get.",
                    title="Holiday and Absence Policy",
                    ordinal=0,
                ),
                passage_hit(
                    "For one or two days, a week's notice is enough; for longer periods, give "
                    "notice of at least twice the length of the holiday.",
                    title="Holiday and Absence Policy",
                    section="Holiday and Absence Policy > Booking holiday",
                ),
            ],
            False,
            id="the-word-asked-about-is-absent-the-counted-unit-is-no-topic",
        ),
        pytest.param(
            "What budget did the Redfern facilities committee approve for refurbishing the canteen?",
            [
                passage_hit(
                    "5. Bicycle parking\n\nThe committee approved 40 new covered bicycle spaces, "
                    "with a budget of £7,500.",
                    title="minutes-facilities-committee-2025-04-09.docx",
                    section="Redfern Business Park - Facilities Committee > 5. Bicycle parking",
                )
            ],
            False,
            id="the-subject-of-the-document-does-not-answer-for-the-topic",
        ),
    ],
)
def test_a_near_miss_is_told_from_an_answer(question: str, hits: list[Hit], grounded: bool) -> None:
    evidence = find_evidence(question, hits, similarity_floor=None, rerank_floor=None)
    assert evidence.found is grounded, evidence


def test_a_letterhead_names_the_subject_of_the_passages_below_it() -> None:
    # "Daventry distribution centre" is only in the letterhead, the opening passage.
    letterhead = passage_hit(
        "COPPERLINE DISTRIBUTION - DAVENTRY DISTRIBUTION CENTRE\nWAREHOUSE SAFETY RULES",
        title="copperline-warehouse-safety-rules.txt",
        ordinal=0,
    )
    rules = passage_hit(SAFETY_RULES, title="copperline-warehouse-safety-rules.txt", ordinal=3)
    question = "Where is the fire assembly point at Copperline's Daventry distribution centre?"
    evidence = find_evidence(
        question, [rules, letterhead], similarity_floor=None, rerank_floor=None
    )
    assert evidence.hit is rules and evidence.signal is Signal.KEYWORDS
    assert not find_evidence(question, [rules], similarity_floor=None, rerank_floor=None).found


def test_a_name_in_another_retrieved_passage_of_its_document_counts() -> None:
    # "Halden Logistics" is in the policy's scope, not in its carry-over rule.
    scope = passage_hit(
        "This policy sets out the leave that employees of Halden Logistics Ltd. may take.",
        title="halden-leave-policy.pdf",
        ordinal=2,
    )
    rule = passage_hit(
        "Up to five days of unused annual leave may be carried over. Carried-over days must be "
        "taken by 31 March.",
        title="halden-leave-policy.pdf",
        section="Leave Policy > 4. Carrying over leave",
        ordinal=5,
    )
    question = "By when must carried-over leave be taken at Halden Logistics?"
    evidence = find_evidence(question, [rule, scope], similarity_floor=None, rerank_floor=None)
    assert evidence.hit is rule


def test_a_name_is_found_without_its_accents() -> None:
    row = passage_hit(
        "Les salariés peuvent télétravailler jusqu'à 2 jours par semaine.",
        title="reglement-interieur-atelier-lumiere.docx",
        section="Règlement intérieur > Article 3 - Télétravail",
    )
    question = "Combien de jours de télétravail par semaine chez Atelier Lumière ?"
    assert find_evidence(question, [row], similarity_floor=None, rerank_floor=None).found


def test_an_acronym_in_the_passage_points_at_it() -> None:
    passage = passage_hit(
        "2. TRAFFIC AND MATERIALS HANDLING EQUIPMENT (MHE)\n2.1 Only trained operators may drive.",
        title="copperline-warehouse-safety-rules.txt",
    )
    letterhead = passage_hit(
        "COPPERLINE DISTRIBUTION\nWAREHOUSE SAFETY RULES",
        title="copperline-warehouse-safety-rules.txt",
        ordinal=0,
    )
    question = "What does MHE stand for in Copperline's safety rules?"
    evidence = find_evidence(
        question, [passage, letterhead], similarity_floor=None, rerank_floor=None
    )
    assert evidence.hit is passage


@pytest.mark.parametrize(
    ("text", "grounded"),
    [
        (
            "Warranty\nThe warranty on Acme Rocket Skates lasts 24 months from the date of purchase.",
            True,
        ),
        (
            "Warranty\nDamage caused by flying into canyon walls is not covered by the warranty.",
            False,
        ),
    ],
)
def test_a_question_of_one_word_is_answered_by_its_form(text: str, grounded: bool) -> None:
    # MiniLM's cosine for "How long is the warranty?" is below its floor; the word and a
    # duration in its sentence are the evidence.
    warranty = passage_hit(text, title="manual.pdf", section="Warranty", similarity=0.5)
    evidence = find_evidence(
        "How long is the warranty?",
        [warranty],
        similarity_floor=0.78,
        rerank_floor=None,
        languages=frozenset({"en"}),
    )
    assert evidence.found is grounded
    assert not find_evidence(
        "How long is the flight?", [warranty], similarity_floor=0.78, rerank_floor=None
    ).found


def test_similarity_evidence_needs_the_form_asked_for() -> None:
    # A staff directory close to a price question in meaning holds no amount of money.
    directory = passage_hit(
        "Larchmont Institute staff\nName | Position | Extension\nEleanor Whitcombe | Director | 2001",
        title="larchmont-staff-directory.xlsx",
        similarity=0.95,
    )
    question = "How much did the refrigerated centrifuge LAB-0233 cost?"
    assert not find_evidence(question, [directory], similarity_floor=0.9, rerank_floor=None).found
    question = "Who is the director of the Larchmont Institute?"
    assert find_evidence(question, [directory], similarity_floor=0.9, rerank_floor=None).found
    # nor is a passage of a document that never names what the question names
    question = "Who is the director of the Harwell Institute?"
    assert not find_evidence(question, [directory], similarity_floor=0.9, rerank_floor=None).found


KJ300_PARAMETERS = "产品参数\n\n项目 | 参数\n型号 | KJ-300\n噪音 | 52 分贝\n净重 | 5.8 公斤"


@pytest.mark.parametrize(
    ("question", "similarity", "grounded"),
    [
        ("How much does the Qingfeng KJ-300 purifier weigh?", 0.845, True),
        # the cosine alone, below the floor measured across scripts, is not enough
        ("How much does the Qingfeng KJ-300 purifier weigh?", 0.80, False),
        # nor is a high cosine without the question's name or code in the passage
        ("How much does the Qingfeng purifier weigh?", 0.95, False),
    ],
)
def test_across_scripts_a_latin_code_with_the_measured_similarity_grounds(
    question: str, similarity: float, grounded: bool
) -> None:
    manual = passage_hit(
        KJ300_PARAMETERS, title="清风 KJ-300 空气净化器 使用说明书", similarity=similarity
    )
    evidence = find_evidence(
        question, [manual], similarity_floor=0.91, rerank_floor=None, cross_script_floor=0.81
    )
    assert evidence.found is grounded
    if grounded:
        assert evidence.signal is Signal.SIMILARITY
    # an embedder without a measured cross-script floor never grounds across scripts
    assert not find_evidence(question, [manual], similarity_floor=0.91, rerank_floor=None).found


def test_a_latin_word_in_a_chinese_question_is_its_sign_across_scripts() -> None:
    rules = passage_hit(
        "COPPERLINE DISTRIBUTION - WAREHOUSE SAFETY RULES\n"
        "2.2 The speed limit for all MHE is 10 km/h inside the warehouse.",
        title="copperline-warehouse-safety-rules.txt",
        similarity=0.83,
    )
    evidence = find_evidence(
        "Copperline达文特里仓库内叉车限速是多少？",
        [rules],
        similarity_floor=0.91,
        rerank_floor=None,
        cross_script_floor=0.81,
    )
    assert evidence.hit is rules


@pytest.mark.parametrize(
    ("question", "grounded"),
    [
        ("Wie viele Tage Urlaub bekommt man bei Qingfeng im Jahr?", True),
        # No capitalised word of the question is in the file name.
        ("Wie viele Tage Urlaub bekommt man bei Huayue im Jahr?", False),
    ],
)
def test_a_german_questions_capitalised_word_in_the_file_name_signs_it(
    question: str, grounded: bool
) -> None:
    # German capitalises every noun, so "Qingfeng" is read as no name; the Chinese FAQ's
    # file name writes it in Latin letters.
    faq = passage_hit(
        "员工每年享有15天带薪年假。", title="zh-qingfeng-employee-faq.txt", similarity=0.84
    )
    evidence = find_evidence(
        question, [faq], similarity_floor=0.91, rerank_floor=None, cross_script_floor=0.81
    )
    assert evidence.found is grounded


def test_a_reworded_question_is_grounded_by_its_documents_lead() -> None:
    # "A pipe has burst at night - what number do I ring?" shares no word with "Out of
    # hours, call the emergency line on 0800 123 456"; its cosine (0.85) is below the same
    # language floor (0.91), but the document leads every other by 0.06.
    policy = passage_hit(
        "Out of hours, call the emergency line on 0800 123 456.",
        title="tenant-handbook.pdf",
        document="handbook",
        similarity=0.85,
    )
    question = "A pipe has burst in the middle of the night - what number do I ring?"
    kwargs = {"similarity_floor": 0.91, "rerank_floor": None, "lead_floor": (0.80, 0.04)}
    assert find_evidence(question, [policy], lead=("handbook", 0.06), **kwargs).found
    # every document about as close (an off-topic question), or another document leading
    assert not find_evidence(question, [policy], lead=("handbook", 0.02), **kwargs).found
    assert not find_evidence(question, [policy], lead=("other", 0.06), **kwargs).found
    # the lead does not excuse a missing value or a name the document never writes
    asked = "How many pipes burst in Leeds last winter?"
    assert not find_evidence(asked, [policy], lead=("handbook", 0.06), **kwargs).found
    # nor a code's sentence without the value asked for, though another sentence dates
    changelog = passage_hit(
        "3.4.0 (2025-05-06)\nDeprecated\nThe old header will be removed in 4.0.",
        title="quillon-api-changelog.md",
        document="changelog",
        similarity=0.85,
    )
    asked = "When will version 4.0 of the Quillon API be released?"
    assert not find_evidence(asked, [changelog], lead=("changelog", 0.06), **kwargs).found


def test_the_lead_is_counted_against_enough_documents_of_the_questions_script() -> None:
    from docent.answering.grounding import leading_document

    english = [("a", 0.86, "Refunds take ten days."), ("b", 0.80, "Parking is free.")]
    chinese = [("z", 0.79, "员工每年享有十五天带薪年假。")]
    question = "How long do refunds take?"
    # one English rival only (and a Chinese passage, which is no rival): no lead
    assert leading_document(question, english + chinese) is None
    rivals = [("c", 0.79, "The canteen opens at noon."), ("d", 0.78, "Keep the receipt.")]
    document, lead = leading_document(question, english + chinese + rivals)  # type: ignore[misc]
    assert document == "a" and lead == pytest.approx(0.06)
