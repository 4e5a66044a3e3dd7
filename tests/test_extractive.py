"""The local extractive generator (answering/extractive.py): sentence splitting, which
sentences it quotes, and how it streams them with their [n] markers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from docent.answering.citations import parse_citations
from docent.answering.extractive import (
    MODEL,
    ExtractiveGenerator,
    lexical_overlap,
    split_sentences,
)
from docent.answering.passages import units
from docent.answering.prompting import build_prompt
from docent.domain import Chunk, Hit
from docent.roles import GenerationDone, Source
from docent.search.analysis import query_terms

from support.vectors import unit


class KeyedEmbedder:
    """An embedder told the vector of every text (normalised here); `default` for the rest.
    Records the texts it embeds."""

    model = "keyed"

    def __init__(
        self, vectors: Mapping[str, Sequence[float]], *, default: Sequence[float] | None = None
    ) -> None:
        self._vectors = {text: unit(*v) for text, v in vectors.items()}
        self._default = None if default is None else unit(*default)
        self.dimension = len(next(iter(self._vectors.values())))
        self.documents: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        vector = self._vectors.get(text, self._default)
        if vector is None:
            raise KeyError(f"no vector for {text!r}")
        return vector

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.documents.extend(texts)
        return np.stack([self._vector(t) for t in texts])

    async def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    async def aclose(self) -> None:
        pass


def at(cosine: float, axis: int = 1, dimension: int = 8) -> list[float]:
    """A unit vector at `cosine` from the question's axis (0), leaning towards `axis`."""
    vector = [0.0] * dimension
    vector[0] = cosine
    vector[axis] = math.sqrt(1 - cosine**2)
    return vector


QUESTION = "Zyx qwv?"  # shares no term with the sentences below: scores are cosines only


def sources(*texts: str, title: str = "Handbook") -> list[Source]:
    """One source per text, all of one document named `title`."""
    return [
        Source(index=i, hit=Hit(Chunk(f"c{i}", "d", i, text), title, 1.0))
        for i, text in enumerate(texts, start=1)
    ]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        pytest.param(
            "Refunds take ten days. Shipping is free for members. Call us today!",
            ["Refunds take ten days.", "Shipping is free for members.", "Call us today!"],
            id="full-stops",
        ),
        pytest.param(
            "Is it free? Yes it is free! Then ship it now.",
            ["Is it free?", "Yes it is free!", "Then ship it now."],
            id="question-and-exclamation",
        ),
        pytest.param("Go now. Yes. This is kept.", ["This is kept."], id="under-3-words-out"),
        pytest.param(
            "Bring e.g. a receipt and a card. Then wait here.",
            ["Bring e.g. a receipt and a card.", "Then wait here."],
            id="lower-case-after-a-stop-continues",
        ),
        pytest.param(
            "It costs 5 euros. 20 people came today.",
            ["It costs 5 euros.", "20 people came today."],
            id="digit-starts-a-sentence",
        ),
        pytest.param("Version 2.5 is out now.", ["Version 2.5 is out now."], id="decimal"),
        pytest.param(
            "Le délai est court. Élan vital est ici.",
            ["Le délai est court.", "Élan vital est ici."],
            id="accented-capital",
        ),
        pytest.param(
            "We waited for hours… Nobody came to help.",
            ["We waited for hours…", "Nobody came to help."],
            id="ellipsis",
        ),
        pytest.param(
            'It was late. "Go home now," she said.',
            ["It was late.", '"Go home now," she said.'],
            id="opening-quote",
        ),
        pytest.param(
            "First paragraph has words\n\nsecond paragraph has words",
            ["First paragraph has words", "second paragraph has words"],
            id="blank-line",
        ),
        pytest.param(
            "A line that wraps\nin the middle here.",
            ["A line that wraps in the middle here."],
            id="wrapped-line-joined",
        ),
        pytest.param(
            "Bring these items:\n- a valid receipt\n* the original box\n• your member card",
            ["Bring these items:", "- a valid receipt", "* the original box", "• your member card"],
            id="bullets",
        ),
        pytest.param(
            "Steps to follow:\n1. fill the form\n2. mail the form",
            ["Steps to follow:", "1. fill the form", "2. mail the form"],
            id="numbered-list",
        ),
        pytest.param(
            "What is in the box\n\n• Espresso machine CM-40\n\n• Tamper and measuring spoon",
            ["• Espresso machine CM-40", "• Tamper and measuring spoon"],
            id="heading-over-short-bullets-is-no-sentence",
        ),
        pytest.param(
            "Horario\n\nSábados: de 8:00 a 21:00\n\nDomingos y festivos: de 9:00 a 15:00\n\n"
            "En agosto el gimnasio cierra a las 22:00.",
            [
                "Sábados: de 8:00 a 21:00",
                "Domingos y festivos: de 9:00 a 15:00",
                "En agosto el gimnasio cierra a las 22:00.",
            ],
            id="a-label-with-a-figure-is-a-fact-not-a-heading",
        ),
        pytest.param(
            "Too   many\tspaces in   here.", ["Too many spaces in here."], id="white-space"
        ),
        pytest.param(
            'He said "stop here now." Then he left quickly.',
            ['He said "stop here now."', "Then he left quickly."],
            id="closing-quote-kept",
        ),
        pytest.param(
            "Ask Dr. Ilse Marquardt, e.g. by e-mail. She decides alone.",
            ["Ask Dr. Ilse Marquardt, e.g. by e-mail.", "She decides alone."],
            id="abbreviations-en",
        ),
        pytest.param(
            "Fragen an Dr. Katrin Albers, z. B. zur Reise. Das gilt d. h. für alle. Siehe Nr. 5 der Richtlinie.",
            [
                "Fragen an Dr. Katrin Albers, z. B. zur Reise.",
                "Das gilt d. h. für alle.",
                "Siehe Nr. 5 der Richtlinie.",
            ],
            id="abbreviations-de",
        ),
        pytest.param(
            "Contactez M. Julien Ferrand, p. ex. pour les congés. Le règlement s'applique à tous.",
            [
                "Contactez M. Julien Ferrand, p. ex. pour les congés.",
                "Le règlement s'applique à tous.",
            ],
            id="abbreviations-fr",
        ),
        pytest.param(
            "Hable con el Sr. Raúl Ortega sobre Excel. El curso cuesta 145,00 € al mes.",
            ["Hable con el Sr. Raúl Ortega sobre Excel.", "El curso cuesta 145,00 € al mes."],
            id="abbreviations-es",
        ),
        pytest.param(
            "员工每年有十天年假。病假需要医生证明！好吗？请联系李明。",
            ["员工每年有十天年假。", "病假需要医生证明！", "请联系李明。"],
            id="cjk-ends-under-4-characters-out",
        ),
        pytest.param(
            "يقع قسم طب الأسنان في الطابق الثاني. هل تحتاج إلى موعد؟ اتصل بالرقم 920012345 الآن.",
            [
                "يقع قسم طب الأسنان في الطابق الثاني.",
                "هل تحتاج إلى موعد؟",
                "اتصل بالرقم 920012345 الآن.",
            ],
            id="arabic-ends",
        ),
        pytest.param(
            "يستقبل د. خالد الزهراني المرضى صباحاً. تشرف أ. منى العلي على التسجيل. يبدأ الدوام يوم الأحد.",
            [
                "يستقبل د. خالد الزهراني المرضى صباحاً.",
                "تشرف أ. منى العلي على التسجيل.",
                "يبدأ الدوام يوم الأحد.",
            ],
            id="arabic-title-abbreviations",
        ),
        pytest.param(
            "2. Annual leave\n\nFull-time employees receive 25 days of paid annual leave.",
            ["Full-time employees receive 25 days of paid annual leave."],
            id="heading-not-quoted",
        ),
        pytest.param(
            "Room | Capacity | Floor\nBoreal | 40 | 2\nTundra | 12 | 1",
            ["Room: Boreal; Capacity: 40; Floor: 2", "Room: Tundra; Capacity: 12; Floor: 1"],
            id="table-rows-with-their-header",
        ),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@pytest.mark.parametrize(
    ("question", "sentence", "overlap"),
    [
        pytest.param("How long do refunds take?", "Refunds take ten days.", 2 / 3, id="stems"),
        pytest.param("refund policy", "Our refund policy is simple.", 1.0, id="all"),
        pytest.param("refund policy", "Shipping is free.", 0.0, id="none"),
        pytest.param("What is it?", "What is it about?", 0.0, id="stop-words-only"),
    ],
)
def test_lexical_overlap(question: str, sentence: str, overlap: float) -> None:
    assert lexical_overlap(set(query_terms(question)), sentence) == pytest.approx(overlap)


async def test_quotes_the_best_sentences_of_the_best_source_down_to_the_floor() -> None:
    embedder = KeyedEmbedder(
        {
            QUESTION: at(1.0),
            "Iota kappa lambda mu.": at(0.95, 1),
            "Alpha beta gamma delta.": at(0.9, 2),
            "Epsilon zeta eta theta.": at(0.85, 3),  # more than 0.08 below the best
            "Nu xi omicron pi.": at(0.94, 4),  # another source: not mixed in
        }
    )
    given = sources(
        "Alpha beta gamma delta. Iota kappa lambda mu. Epsilon zeta eta theta.",
        "Nu xi omicron pi.",
    )
    chosen = await ExtractiveGenerator(embedder).select(QUESTION, given)
    assert chosen == [("Iota kappa lambda mu.", 1), ("Alpha beta gamma delta.", 1)]


async def test_a_sentence_saying_the_same_thing_again_is_not_quoted() -> None:
    embedder = KeyedEmbedder(
        {
            QUESTION: at(1.0),
            "Refunds take ten days.": at(1.0),
            "Refunds need ten days.": at(0.99, 1),  # cosine 0.99 with the first: redundant
            "Parcels ship each Monday.": at(0.85, 2),
        }
    )
    given = sources("Refunds take ten days. Refunds need ten days. Parcels ship each Monday.")
    chosen = await ExtractiveGenerator(embedder).select(QUESTION, given)
    assert chosen == [("Refunds take ten days.", 1)]  # "Parcels" is 0.15 below: not quoted


async def test_at_most_three_sentences() -> None:
    # Scores 0.90, 0.89, ... apart from each other (cosines about 0.8): only the count stops.
    texts = [f"Sentence number {n} here." for n in range(6)]
    embedder = KeyedEmbedder(
        {QUESTION: at(1.0)} | {t: at(0.9 - 0.01 * n, n + 1) for n, t in enumerate(texts)}
    )
    chosen = await ExtractiveGenerator(embedder).select(QUESTION, sources(" ".join(texts)))
    assert chosen == [(t, 1) for t in texts[:3]]


async def test_a_quote_stays_within_900_characters() -> None:
    first, second = "Alpha " * 82 + "ends.", "Beta " * 90 + "ends."  # 497 and 455 chars
    third = "Gamma is short."
    embedder = KeyedEmbedder(
        {QUESTION: at(1.0), first: at(0.95, 1), second: at(0.92, 2), third: at(0.9, 3)}
    )
    given = sources(f"{first} {second} {third}")
    chosen = await ExtractiveGenerator(embedder).select(QUESTION, given)
    assert chosen == [(first, 1), (third, 1)]


async def test_the_best_sentence_is_quoted_even_over_900_characters() -> None:
    long, short = "Alpha " * 160 + "ends.", "Gamma is short."  # 965 and 15 chars
    embedder = KeyedEmbedder({QUESTION: at(1.0), long: at(1.0), short: at(0.85, 2)})
    chosen = await ExtractiveGenerator(embedder).select(QUESTION, sources(long, short))
    assert chosen == [(long, 1)]


async def test_the_questions_terms_decide_between_equally_similar_sentences() -> None:
    question = "How long do refunds take?"
    embedder = KeyedEmbedder(
        {question: at(1.0), "Parcels take ten days.": at(1.0), "Refunds take ten days.": at(1.0)}
    )
    given = sources("Parcels take ten days.", "Refunds take ten days.")
    chosen = await ExtractiveGenerator(embedder).select(question, given)
    assert chosen == [("Refunds take ten days.", 2)]


async def test_a_fragment_cut_by_a_chunk_boundary_ranks_lower() -> None:
    # The fragment is closer to the question (1.0 against 0.88) but starts in lower case.
    embedder = KeyedEmbedder(
        {
            QUESTION: at(1.0),
            "continued from the page before.": at(1.0),
            "Whole sentences read better.": at(0.88),
        }
    )
    given = sources("continued from the page before. Whole sentences read better.")
    chosen = await ExtractiveGenerator(embedder).select(QUESTION, given)
    assert chosen == [
        ("Whole sentences read better.", 1),
        ("continued from the page before.", 1),
    ]


async def test_only_the_first_40_sentences_of_a_source_compete() -> None:
    texts = [f"Sentence number {n} here." for n in range(41)]
    embedder = KeyedEmbedder({QUESTION: at(1.0), texts[40]: at(1.0)}, default=at(0.5))
    chosen = await ExtractiveGenerator(embedder).select(QUESTION, sources(" ".join(texts)))
    assert embedder.documents == texts[:40]
    assert texts[40] not in [sentence for sentence, _ in chosen]


async def test_the_embedder_sees_at_most_1000_characters_of_a_sentence() -> None:
    long = "Word " * 400 + "ends."
    embedder = KeyedEmbedder({QUESTION: at(1.0)}, default=at(0.9))
    chosen = await ExtractiveGenerator(embedder).select(QUESTION, sources(long))
    assert embedder.documents == [long[:1000]]
    assert chosen == [(long, 1)]  # quoted whole


@pytest.mark.parametrize(
    "texts", [pytest.param((), id="no-sources"), pytest.param(("Yes. No.",), id="no-sentence")]
)
async def test_nothing_to_quote_is_an_empty_answer(texts: tuple[str, ...]) -> None:
    embedder = KeyedEmbedder({QUESTION: at(1.0)})
    generator = ExtractiveGenerator(embedder)
    items = [item async for item in generator.stream(build_prompt(QUESTION, sources(*texts)))]
    assert items == [GenerationDone(model=MODEL)]
    assert embedder.documents == []


async def test_streams_three_words_at_a_time_with_source_markers() -> None:
    # A yes-or-no question asks for no shape of answer (shapes.py): "How long do refunds
    # take?" would not have "Refunds by cheque take weeks." appended, which states no
    # duration in figures. Beside the answer, only a sentence holding as much of the
    # question's words is quoted (picking.answers_too): "Keep the receipt." is not.
    question = "Do refunds take long?"
    embedder = KeyedEmbedder(
        {
            question: at(1.0),
            # 0.8 + 0.3 * 2/3 (two of the question's three terms) against 0.94
            "Refunds take ten working days.": at(0.8, 1),
            "Keep the receipt.": at(0.94, 2),
            "Refunds by cheque take weeks.": at(0.75, 3),
        }
    )
    given = sources(
        "Keep the receipt.",
        "Refunds take ten working days. Keep the receipt. Refunds by cheque take weeks.",
    )
    generator = ExtractiveGenerator(embedder)
    items = [item async for item in generator.stream(build_prompt(question, given))]
    assert items == [
        "Refunds take ten",
        " working days.",
        " [2]",
        " Refunds by cheque",
        " take weeks.",
        " [2]",
        GenerationDone(model=MODEL),
    ]
    text = "".join(i for i in items if isinstance(i, str))
    assert text == "Refunds take ten working days. [2] Refunds by cheque take weeks. [2]"
    assert parse_citations(text, given) == [given[1]]
    assert generator.model == MODEL


async def test_a_question_in_the_document_is_not_quoted() -> None:
    # An FAQ's question is closest to the user's; the sentence after it answers.
    question = "How long do the batteries last?"
    embedder = KeyedEmbedder(
        {
            question: at(1.0),
            "How long do the batteries last?": at(1.0),
            "The batteries last about 18 months.": at(0.9),
        }
    )
    given = sources("How long do the batteries last? The batteries last about 18 months.")
    chosen = await ExtractiveGenerator(embedder).select(question, given)
    assert chosen == [("The batteries last about 18 months.", 1)]


async def test_the_documents_name_does_not_pick_the_sentence() -> None:
    # Both passages are of one document; only the scope passage says "Halden Logistics".
    # The name says which document, the other words which sentence: the annual-leave
    # passage is not penalised for not repeating the name, nor the sick-pay sentence
    # preferred for holding it.
    question = "How many days of paid annual leave do full-time employees at Halden Logistics get?"
    answer = "Full-time employees receive 25 days of paid annual leave per leave year."
    other = "Halden Logistics pays full salary for the first 20 working days of sickness."
    embedder = KeyedEmbedder({question: at(1.0), answer: at(0.87, 1), other: at(0.9, 2)})
    given = [
        Source(index=1, hit=Hit(Chunk("c1", "d", 1, answer), "Leave policy", 1.0)),
        Source(index=2, hit=Hit(Chunk("c2", "d", 2, other), "Leave policy", 1.0)),
    ]
    chosen = await ExtractiveGenerator(embedder).select(question, given)
    assert chosen[0] == (answer, 1)


async def test_a_sentence_pointing_back_is_quoted_with_the_one_before() -> None:
    # "Their ..." says where contractors' leave is set out; quoted alone, the first
    # sentence says half of it. The third sentence is far below: not quoted.
    first = "Contractors are not covered by this policy."
    second = "Their leave is set out in their service agreements."
    third = "Parcels ship each Monday."
    embedder = KeyedEmbedder({QUESTION: at(1.0), first: at(0.9), second: at(0.7), third: at(0.6)})
    given = sources(f"{first} {second} {third}")
    chosen = await ExtractiveGenerator(embedder).select(QUESTION, given)
    assert chosen == [(first, 1), (second, 1)]


@pytest.mark.parametrize(
    ("question", "letterhead", "answer"),
    [
        pytest.param(
            "Where is NorthStack DevCon 2025 held?",
            "NorthStack DevCon is dedicated to a harassment-free conference experience.",
            "Thursday 18 September 2025 · Kelvin Conference Centre, Glasgow",
            id="conference-venue",
        ),
        pytest.param(
            "How much is a day pass at Gimnasio Olivar?",
            "Gimnasio Olivar · Calle Feria 112, 41002 Sevilla · 955 01 23 45",
            "Modalidad: Pase de un día; Precio: 8,00 €",
            id="cross-lingual-price",
        ),
        pytest.param(
            "Who is the HR manager at Atelier Lumière?",
            "Atelier Lumière SARL - fabrication de luminaires - 14 rue Thibaudière, Lyon.",
            "Julien Ferrand, responsable des ressources humaines, poste 214.",
            id="cross-lingual-person",
        ),
    ],
)
async def test_a_line_holding_only_the_questions_names_does_not_answer(
    question: str, letterhead: str, answer: str
) -> None:
    # The letterhead is closer to the question (0.86 against 0.84): e5 weighs the names.
    embedder = KeyedEmbedder({question: at(1.0), letterhead: at(0.86, 1), answer: at(0.84, 2)})
    chosen = await ExtractiveGenerator(embedder).select(question, sources(letterhead, answer))
    assert chosen[0] == (answer, 2)


async def test_a_table_row_naming_what_is_asked_about_is_its_record() -> None:
    question = "Who teaches the advanced Excel course at Academia Lumen?"
    row = "Curso: Excel avanzado; Profesor: Raúl Ortega; Aula: 2"
    other = "Curso: Inglés C1; Profesor: Laura Gómez; Aula: 4"
    embedder = KeyedEmbedder({question: at(1.0), row: at(0.83, 1), other: at(0.80, 2)})
    given = sources(
        "Curso | Profesor | Aula\nExcel avanzado | Raúl Ortega | 2\nInglés C1 | Laura Gómez | 4"
    )
    chosen = await ExtractiveGenerator(embedder).select(question, given)
    assert chosen[0] == (row, 1)


RULE = "Full-time employees receive 25 days of paid annual leave per leave year."
PART = "Part-time employees receive annual leave pro rata to their hours."
EXCLUDED = "Contractors are not covered by this policy."
ELSEWHERE = "Their leave arrangements are set out in their individual service agreements."


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param(
            "How many days of annual leave do contractors get?",
            [(EXCLUDED, 2), (ELSEWHERE, 2)],
            id="contractors-sent-elsewhere",
        ),
        pytest.param(
            "How many days of annual leave do full-time employees get?",
            [(RULE, 1)],
            id="the-rule-itself",
        ),
    ],
)
async def test_a_subject_the_document_sends_elsewhere_is_said_to_be(
    question: str, expected: list[tuple[str, int]]
) -> None:
    # The employees' rule is closest to either question (e5 reads "leave" and "days").
    embedder = KeyedEmbedder(
        {
            question: at(1.0),
            RULE: at(0.88, 1),
            PART: at(0.80, 2),
            EXCLUDED: at(0.78, 3),
            ELSEWHERE: at(0.79, 4),
        }
    )
    given = sources(f"{RULE} {PART}", f"{EXCLUDED} {ELSEWHERE}")
    chosen = await ExtractiveGenerator(embedder).select(question, given)
    assert chosen[: len(expected)] == expected
    if expected[0][0] != RULE:
        assert RULE not in [text for text, _ in chosen]  # the neighbouring rule is not quoted


@pytest.mark.parametrize(
    ("documents", "marker"),
    [
        pytest.param(("handbook.txt", "handbook.docx", "other.pdf"), " [1, 2]", id="two-documents"),
        pytest.param(
            ("handbook.txt", "handbook.txt", "other.pdf"), " [1]", id="overlapping-chunks"
        ),
    ],
)
async def test_a_sentence_two_documents_hold_cites_both(
    documents: tuple[str, ...], marker: str
) -> None:
    sentence = "员工每年享有十五天带薪年假。"
    texts = (f"年假规定：\n\n{sentence}", f"{sentence}\n\n病假规定如下。", "Nothing alike here.")
    given = [
        Source(index=i, hit=Hit(Chunk(f"c{i}", document, i, text), document, 1.0))
        for i, (document, text) in enumerate(zip(documents, texts, strict=True), start=1)
    ]
    embedder = KeyedEmbedder({QUESTION: at(1.0), sentence: at(0.9)}, default=at(0.1, 2))
    items = [
        item async for item in ExtractiveGenerator(embedder).stream(build_prompt(QUESTION, given))
    ]
    text = "".join(item for item in items if isinstance(item, str))
    assert text.startswith(sentence) and marker in text and "[3]" not in text
    assert [s.index for s in parse_citations(text, given)] == [1, 2][: marker.count(",") + 1]


def test_a_section_heading_over_a_subsection_heading_is_kept_as_its_parent() -> None:
    text = (
        "3.4.0 (2025-05-06)\n\nAdded\n\nGET /v3/shipments/{id}/label returns the label.\n\n"
        "Webhook event shipment.returned."
    )
    found = units(text)
    assert [u.text for u in found] == [
        "GET /v3/shipments/{id}/label returns the label.",
        "Webhook event shipment.returned.",
    ]
    assert {u.heading for u in found} == {"3.4.0 (2025-05-06) > Added"}


async def test_a_row_stating_the_value_beats_a_sentence_holding_the_same_words() -> None:
    question = "What is the top speed of the Aldmark Tigon?"
    sentence = "A 560 hp engine gives it a top speed that few vehicles reach."
    row = "Item: Top speed; Value: 120 km/h"
    embedder = KeyedEmbedder(
        {question: at(1.0), sentence: at(0.86, 1), row: at(0.815, 2)}, default=at(0.5, 3)
    )
    # The brochure's title names the vehicle; its passages do not.
    given = sources(
        sentence, "Item | Value\nTop speed | 120 km/h\nLength | 10.2 m", title="Aldmark Tigon 4x4"
    )
    chosen = await ExtractiveGenerator(embedder).select(question, given)
    assert chosen[0] == (row, 2)


async def test_a_row_repeated_by_overlapping_chunks_keeps_its_name() -> None:
    question = "What is Jonas Lindqvist's e-mail address?"
    header = "Name | E-mail | Postal address"
    jonas, sophie = (
        "Jonas Lindqvist | j.l@x.example | Main St 2",
        "Sophie Laurent | s.l@x.example | Main St 1",
    )
    jonas_row = "Name: Jonas Lindqvist; E-mail: j.l@x.example; Postal address: Main St 2"
    sophie_row = "Name: Sophie Laurent; E-mail: s.l@x.example; Postal address: Main St 1"
    embedder = KeyedEmbedder({question: at(1.0), sophie_row: at(0.80, 1), jonas_row: at(0.78, 2)})
    # The second chunk overlaps the first: it repeats Jonas's row.
    given = sources(f"{header}\n{sophie}\n{jonas}", f"{header}\n{jonas}\n{sophie}")
    chosen = await ExtractiveGenerator(embedder).select(question, given)
    assert chosen[0][0] == jonas_row


async def test_a_code_the_file_name_holds_names_the_document_not_the_answer() -> None:
    question = "Which descaler should be used in the CM-40?"
    grinder = "The CM-40 has no built-in grinder: use freshly ground coffee."
    descaler = "Use only Brevena DS-5 descaler: vinegar damages the seals."
    embedder = KeyedEmbedder({question: at(1.0), grinder: at(0.841, 1), descaler: at(0.834, 2)})
    given = sources(grinder, f"Descaling the CM-40\n\n{descaler}", title="brevena-cm40-manual.pdf")
    chosen = await ExtractiveGenerator(embedder).select(question, given)
    assert chosen[0] == (descaler, 2)
