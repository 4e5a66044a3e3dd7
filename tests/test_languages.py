"""Keyword analysis per language (search/languages.py, search/analysis.py): detection,
stems, stop words, Arabic normalisation, and what an unsure question is analysed as."""

import json
from pathlib import Path

import pytest

from docent.search import analysis
from docent.search.analysis import analyze, normalize_arabic, query_terms, text_languages
from docent.search.languages import Detection, detect

DEVSET = Path(__file__).parents[1] / "eval" / "devset" / "questions.jsonl"


@pytest.mark.parametrize(
    ("text", "language", "confident"),
    [
        ("How many days of annual leave do employees get?", "en", True),
        ("Wie viel wird für ein Hotel pro Nacht erstattet?", "de", True),
        ("Où aura lieu la prochaine réunion du comité de pilotage ?", "fr", True),
        ("¿Cuánto cuesta la cuota mensual del gimnasio?", "es", True),
        ("员工每年有几天年假？", "zh", True),
        ("カタログの価格はいくらですか", "ja", True),
        ("كم يوما من الإجازات السنوية يحصل عليها الموظف؟", "ar", True),
        # one shared stop word ("le": French and Spanish) and "combien": French, unsure
        ("Combien pèse le Sirocco ?", "fr", False),
        # no stop words, too short for a detector: English, unsure
        ("WH-147 price", "en", False),
        ("Über café NAÏVE Straße", "en", False),
        # "¿" is written in Spanish only: with one Spanish stop word, sure
        ("¿El Gimnasio Olivar tiene piscina?", "es", True),
        ("¡Bienvenidos!", "es", False),
    ],
)
def test_detect(text: str, language: str, confident: bool) -> None:
    assert detect(text) == Detection(language, confident)


def test_detect_is_deterministic_on_long_texts_without_stop_words() -> None:
    # langdetect samples at random: seeded, the same text always gets the same language.
    text = "Tramontane Sirocco Mistral Cargo Velo Aubrac Rhodanien Garantie Lyon"
    first = detect(text)
    detect.cache_clear()
    assert detect(text) == first and not first.confident


def test_a_text_is_analysed_as_its_language_and_english() -> None:
    assert text_languages("Combien pèse le Sirocco ?") == ("fr", "en")
    assert text_languages("Wie viel wird für ein Hotel pro Nacht erstattet?") == ("de", "en")
    assert text_languages("How big is the water tank?") == ("en",)
    # each word gives its term in both languages, the same term once
    assert query_terms("Combien pèse le Sirocco ?") == ["pes", "pèse", "sirocco"]


@pytest.mark.parametrize(
    ("query", "document"),
    [
        ("Reisekosten", "Die Reisekosten werden von der Firma erstattet."),
        ("können", "Anträge können Sie bei der Personalabteilung einreichen."),
        ("congés", "Les salariés ont droit à des congés payés chaque année."),
    ],
)
def test_a_one_word_query_finds_its_word_in_a_passage_of_another_language(
    query: str, document: str
) -> None:
    # Too short to know its language, the query is analysed as English; the passage was
    # analysed as its own language and English, so the word meets it.
    assert detect(document).confident and not detect(query).confident
    assert set(query_terms(query)) & set(analyze(document)), (query_terms(query), analyze(document))


@pytest.mark.parametrize(
    ("document", "question"),
    [
        pytest.param(
            "Die Übernachtungskosten werden bis zu 120 Euro pro Nacht erstattet.",
            "Wie hoch ist die Erstattung der Übernachtungskosten?",
            id="de",
        ),
        pytest.param(
            "Les salariés ont droit à 25 jours de congés payés par an.",
            "Combien de jours de congé a un salarié ?",
            id="fr",
        ),
        pytest.param(
            "La cuota mensual incluye el acceso a las clases de yoga.",
            "¿Qué incluyen las cuotas mensuales?",
            id="es",
        ),
        pytest.param("员工每年享有十五天带薪年假。", "员工有几天年假？", id="zh"),
        pytest.param(
            "يحصل الموظفون على إجازة سنوية مدتها ثلاثون يوما.",
            "كم يوما من الإجازات السنوية يحصل عليها الموظف؟",
            id="ar",
        ),
    ],
)
def test_inflected_forms_share_terms(document: str, question: str) -> None:
    shared = set(analyze(document)) & set(query_terms(question))
    expected = {
        "de": {"ubernachtungskost", "erstatt"},  # Erstattung, erstattet
        "fr": {"jour", "cong", "salari"},
        "es": {"cuot", "mensual", "inclu"},
        "zh": {"员工", "年假"},
        "ar": {"موظف", "اجاز", "سنو", "يوم"},
    }[detect(document).language]
    assert expected <= shared, shared


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        # each word's term in its language, then in English when that differs
        ("Die Kosten der Reise", ["kost", "kosten", "reis"]),
        ("Le prix de l'hôtel et des repas", ["prix", "hôtel", "rep", "repa"]),
        (
            "El precio de los cursos y las clases",
            ["preci", "precio", "curs", "curso", "clas", "clase"],
        ),
        ("هذه هي الرسوم في المدينة", ["رسوم", "مدين"]),  # Arabic: no English terms
        ("The price of the rooms and the meals", ["price", "room", "meal"]),
    ],
)
def test_stop_words_per_language(text: str, terms: list[str]) -> None:
    assert analyze(text) == terms


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        pytest.param("الإِجَازَة", "الاجازة", id="diacritics"),
        pytest.param("الإجـــازة", "الاجازة", id="tatweel"),
        pytest.param("أحمد إبراهيم آمنة ٱلكتاب", "احمد ابراهيم امنة الكتاب", id="alef-forms"),
        pytest.param("مستشفى", "مستشفي", id="alef-maqsura"),
        pytest.param("الاجازه", "الاجازة", id="final-heh-is-teh-marbuta"),
    ],
)
def test_arabic_normalisation(variant: str, plain: str) -> None:
    assert normalize_arabic(variant) == plain
    assert analyze(variant) == analyze(plain)


def test_arabic_word_families_have_one_stem() -> None:
    # Definite, prefixed and informally spelt forms of one word: one term.
    for family in (
        ["إجازة", "الإجازة", "بالإجازة", "اجازه", "الاجازه"],
        ["سنوية", "السنوية", "سنويه"],
        ["غرفة", "الغرفة", "غرفه"],
    ):
        assert len({tuple(analyze(w)) for w in family}) == 1, family


def test_cjk_is_bigrams_in_every_language_mix() -> None:
    assert analyze("年假 annual leave") == ["年假", "annual", "leav"]


def test_the_analysis_version_is_recorded_when_it_changes() -> None:
    # Bumped with every change to the terms (search/embedded/schema.py and
    # search/elasticsearch/indices.py act on it).
    assert analysis.ANALYSIS_VERSION == 2


def test_no_dev_set_question_gets_a_wrong_language_with_confidence() -> None:
    # The dev set's questions carry their language: measured, never confidently wrong.
    rows = [json.loads(line) for line in DEVSET.read_text().splitlines() if line.strip()]
    labelled = [(r["question"], r["language"]) for r in rows if r.get("language")]
    assert len(labelled) > 250
    wrong = [(q, lang, detect(q)) for q, lang in labelled if detect(q).language != lang]
    assert not [w for w in wrong if w[2].confident], wrong
    assert len(wrong) <= len(labelled) // 50, wrong
