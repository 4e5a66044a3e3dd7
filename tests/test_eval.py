"""`docent eval`: its figures as pure functions (table-driven), the QA and BEIR formats,
and both commands end to end against real docent servers, on the tiny sets of
tests/data/eval/ whose right figures are known."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from docent.cli.eval import parse_settings, shown
from docent.evaluation.answers import Cited, Outcome, judge
from docent.evaluation.beir import BeirError, load_beir
from docent.evaluation.conversations import (
    TurnOutcome,
    first_turns,
    follow_up_figures,
    load_conversations,
    standalone_verdict,
)
from docent.evaluation.metrics import (
    missing_items,
    ndcg,
    normalise,
    percentile,
    recall,
    refusals,
)
from docent.evaluation.qa import QAFileError, Question, load_questions, resolve_documents
from docent.evaluation.report import breakdown, failure, figures
from docent.evaluation.retrieval import parse_modes, ranking
from docent.evaluation.uploads import DEFAULT_EXCLUDE, collect_files

from support.fake_providers import FakeProviders
from support.paths import DATASETS, REPO
from support.servers import NETGUARD, running_server

DATA = REPO / "tests" / "data" / "eval"

# --- metrics -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b"], {"a": 1}, 10, 1.0),
        (["b", "a"], {"a": 1}, 10, 1 / math.log2(3)),
        (["x", "y"], {"a": 1}, 10, 0.0),
        (["a"], {}, 10, 0.0),  # nothing relevant
        (["a"], {"a": 0}, 10, 0.0),  # judged, not relevant
        (["b", "a"], {"a": 2, "b": 1}, 10, (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))),
        (["x", "a"], {"a": 1}, 1, 0.0),  # below the cut
        (["a", "a", "b"], {"a": 1, "b": 1}, 10, 1.0),  # a repeat counts once, at its best
    ],
)
def test_ndcg(ranked: list[str], relevant: dict[str, int], k: int, expected: float) -> None:
    assert ndcg(ranked, relevant, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b"], {"a": 1, "b": 1}, 100, 1.0),
        (["a", "x"], {"a": 1, "b": 1}, 100, 0.5),
        (["x", "a"], {"a": 1}, 1, 0.0),
        (["a"], {"a": 0, "b": 1}, 100, 0.0),  # grade 0 is not relevant
        (["a"], {}, 100, 0.0),
    ],
)
def test_recall(ranked: list[str], relevant: dict[str, int], k: int, expected: float) -> None:
    assert recall(ranked, relevant, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.95, 7.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 0.5, 2.5),  # any order
        ([float(v) for v in range(1, 101)], 0.95, 95.05),  # numpy's "linear"
    ],
)
def test_percentile(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("answer", "expected", "missing"),
    [
        ("Invoices are payable within 30 days.", ["30 days"], []),
        ("PAYABLE WITHIN 30 DAYS", ["30 days"], []),  # case
        ("within 30\n  days [1]", ["30 days"], []),  # whitespace runs
        ("within ３０ days", ["30 days"], []),  # full-width digits (NFKC)
        ("the eﬃciency bonus", ["efficiency bonus"], []),  # a ligature (NFKC)
        ("Data\u00adLoader\u200bFactory", ["DataLoaderFactory"], []),  # soft hyphen, ZWSP
        ("Straße", ["STRASSE"], []),  # case folding, not lower()
        ("员工每年享有十五天带薪年假", ["十五天"], []),
        ("within 300 days", ["30 days"], ["30 days"]),
        ("8642 pallets, Greta Voss", ["8642", "Greta Voss", "Tartu"], ["Tartu"]),
        ("anything", [], []),
    ],
)
def test_answer_matching(answer: str, expected: list[str], missing: list[str]) -> None:
    assert missing_items(answer, expected) == missing


def test_normalise() -> None:
    assert normalise("  A\tb\u00a0 C\n") == "a b c"  # a no-break space is whitespace too


MUST, MAY, ANSWERABLE = (True, False), (False, True), (False, False)


@pytest.mark.parametrize(
    ("questions", "refused", "precision", "recall_"),
    [
        ([], [], None, None),  # nothing refused, nothing to refuse
        ([ANSWERABLE, ANSWERABLE], [False, False], None, None),
        ([MUST, MUST], [True, True], 1.0, 1.0),
        ([MUST], [False], None, 0.0),  # refused nothing: precision undefined, recall 0
        ([ANSWERABLE], [True], 0.0, None),  # refused an answerable question
        ([MUST, ANSWERABLE, MUST, ANSWERABLE], [True, True, False, False], 0.5, 0.5),
        # a refusal the question allows is a right refusal, but not one it needs
        ([MAY], [True], 1.0, None),
        ([MAY, MUST], [False, True], 1.0, 1.0),
        ([MAY, ANSWERABLE, MUST], [True, True, False], 0.5, 0.0),
    ],
)
def test_refusal_precision_and_recall(
    questions: list[tuple[bool, bool]],
    refused: list[bool],
    precision: float | None,
    recall_: float | None,
) -> None:
    result = refusals((must, may, did) for (must, may), did in zip(questions, refused, strict=True))
    assert (result.precision, result.recall) == (precision, recall_)


# --- judging and summing up ----------------------------------------------------------------


def _q(**kw: Any) -> Question:
    return Question(id=kw.pop("id", "q"), question=kw.pop("question", "?"), **kw)


def _cited(doc: str = "D", page: int | None = None, end: int | None = None) -> Cited:
    return Cited(doc, f"{doc}.pdf", page, end)


@pytest.mark.parametrize(
    ("question", "answer", "expected_doc", "correct", "cited"),
    [
        (_q(answer_contains=("24 months",), document="a.pdf"),
         dict(text="24 months [1]", grounded=True, citations=[_cited()]), "D", True, True),
        # a refusal is never right, even when its text happens to contain the words
        (_q(answer_contains=("warranty",)),
         dict(text="No warranty found.", grounded=False), None, False, None),
        (_q(answer_contains=("24 months",), document="a.pdf"),
         dict(text="12 months [1]", grounded=True, citations=[_cited()]), "D", False, True),
        (_q(document="a.pdf"),
         dict(text="x [1]", grounded=True, citations=[_cited("E")]), "D", True, False),
        (_q(document="a.pdf", page=2),
         dict(text="x [1]", grounded=True, citations=[_cited(page=1), _cited(page=2)]), "D", True, True),
        (_q(document="a.pdf", page=3),
         dict(text="x [1]", grounded=True, citations=[_cited(page=2, end=4)]), "D", True, True),
        (_q(document="a.pdf", page=3),
         dict(text="x [1]", grounded=True, citations=[_cited(page=2)]), "D", True, False),
        (_q(document="a.pdf", page=3),
         dict(text="x [1]", grounded=True, citations=[_cited()]), "D", True, False),  # no page
        # the document did not become READY: nothing can cite it
        (_q(document="a.pdf"),
         dict(text="x [1]", grounded=True, citations=[_cited()]), None, True, False),
        (_q(unanswerable=True),
         dict(text="not found", grounded=False), None, None, None),
        (_q(unanswerable=True, document="a.pdf"),
         dict(text="x [1]", grounded=True, citations=[_cited()]), "D", None, None),
        (_q(answer_contains=("x",), document="a.pdf"),
         dict(error="PROVIDER_UNAVAILABLE: down"), "D", False, False),
        # the look-alike's figure beside the right one makes the answer wrong
        (_q(answer_contains=("900 litres",), answer_absent=("9,000 litres",), document="a.pdf"),
         dict(text="900 litres [1] 9,000 Litres [2]", grounded=True, citations=[_cited()]),
         "D", False, True),
        (_q(answer_contains=("900 litres",), answer_absent=("9,000 litres",), document="a.pdf"),
         dict(text="900 litres [1]", grounded=True, citations=[_cited()]), "D", True, True),
        # "see their service agreements": saying so is right, and so is a refusal...
        (_q(answer_contains=("service agreements",), refusal_ok=True, document="a.pdf"),
         dict(text="not found", grounded=False), "D", True, None),
        (_q(answer_contains=("service agreements",), refusal_ok=True, document="a.pdf"),
         dict(text="See their service agreements [1]", grounded=True, citations=[_cited()]),
         "D", True, True),
        # ...but not the neighbouring rule
        (_q(answer_contains=("service agreements",), answer_absent=("25 days",),
            refusal_ok=True, document="a.pdf"),
         dict(text="Staff get 25 days [1]", grounded=True, citations=[_cited()]), "D", False, True),
    ],
)  # fmt: skip
def test_judge(
    question: Question,
    answer: dict[str, Any],
    expected_doc: str | None,
    correct: bool | None,
    cited: bool | None,
) -> None:
    outcome = Outcome(question, **answer)
    judge(outcome, expected_doc)
    assert (outcome.correct, outcome.cited) == (correct, cited)


def _judged(question: Question, expected_doc: str | None = "D", **answer: Any) -> Outcome:
    outcome = Outcome(question, **answer)
    judge(outcome, expected_doc)
    return outcome


def test_figures_and_breakdowns() -> None:
    right = _judged(
        _q(id="1", answer_contains=("a",), document="x.pdf", language="de", kind="table"),
        text="a [1]", grounded=True, citations=[_cited()], first_delta_ms=10.0, done_ms=20.0,
    )  # fmt: skip
    wrong = _judged(
        _q(id="2", answer_contains=("b",), document="y.DOCX", language="en"),
        text="a [1] [2]", grounded=True, citations=[_cited("E"), _cited("E")], first_delta_ms=30.0,
        done_ms=40.0,
    )  # fmt: skip
    refused_wrongly = _judged(_q(id="3", answer_contains=("c",)), text="nf", done_ms=5.0)
    refused_rightly = _judged(_q(id="4", unanswerable=True), text="nf", done_ms=7.0)
    answered_wrongly = _judged(
        _q(id="5", unanswerable=True, document="x.pdf", answer_absent=("Z",)), text="z [1]", grounded=True,
        citations=[_cited()], first_delta_ms=50.0, done_ms=60.0,
    )  # fmt: skip
    failed = _judged(_q(id="6", answer_contains=("d",)), error="INTERNAL: boom")
    may_refuse = _judged(
        _q(id="7", answer_contains=("agreements",), refusal_ok=True, document="z.pdf"),
        text="nf", done_ms=9.0,
    )  # fmt: skip
    look_alike = _judged(
        _q(id="8", answer_contains=("900",), answer_absent=("9,000",), document="x.pdf"),
        text="900 [1] or 9,000 [2]", grounded=True, citations=[_cited()],
    )  # fmt: skip
    outcomes = [right, wrong, refused_wrongly, refused_rightly, answered_wrongly, failed,
                may_refuse, look_alike]  # fmt: skip

    f = figures(outcomes)
    assert (f.questions, f.answerable, f.correct) == (8, 6, 2)
    assert f.accuracy == pytest.approx(1 / 3)
    # the refusal that the question allows has no citation to check
    assert (f.with_document, f.cited, f.citation_accuracy) == (3, 2, pytest.approx(2 / 3))
    assert (f.refusals.must, f.refusals.refused) == (2, 3)
    assert (f.refusals.refused_must, f.refusals.refused_may) == (1, 1)
    assert (f.refusals.precision, f.refusals.recall) == (pytest.approx(2 / 3), 0.5)
    assert (f.unanswerable_grounded, f.errors) == (1, 1)
    assert f.first_delta_ms == (30.0, pytest.approx(48.0))
    assert f.done_ms == (14.5, pytest.approx(55.0))

    by_type = breakdown(outcomes, lambda o: o.question.file_type)
    assert list(by_type) == ["docx", "pdf", "unspecified"]  # extensions in lower case
    assert (by_type["pdf"].questions, by_type["pdf"].accuracy) == (4, pytest.approx(2 / 3))
    assert by_type["unspecified"].refusals.precision == 0.5
    by_language = breakdown(outcomes, lambda o: o.question.language)
    assert {k: v.questions for k, v in by_language.items()} == {"de": 1, "en": 1, "unspecified": 6}

    assert [failure(o) for o in outcomes] == [
        None,
        "missing 'b'; cites E.pdf, not y.DOCX",
        "refused",
        None,
        "answered (grounded) although unanswerable, with 'Z'",
        "error INTERNAL: boom",
        None,
        "has '9,000'",
    ]


# --- the QA format -------------------------------------------------------------------------


def _qa(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_qa_file_needs_only_questions(tmp_path: Path) -> None:
    path = _qa(
        tmp_path,
        '{"question": "Who?"}',
        "",
        '{"id": 7, "question": " Where? ", "answer_contains": ["Tartu"], "document": "a.md",'
        ' "page": 2, "language": "de", "kind": "table", "dataset": "d", "note": "n"}',
        '{"id": "off", "question": "Why?", "unanswerable": true, "document": "a.md",'
        ' "answer_absent": ["250 kg"]}',
        '{"id": "else", "question": "And contractors?", "answer_contains": ["agreements"],'
        ' "answer_absent": ["25 days"], "refusal_ok": true}',
    )
    assert load_questions(path) == [
        Question(id="1", question="Who?"),
        Question(id="7", question="Where?", answer_contains=("Tartu",), document="a.md",
                 page=2, language="de", kind="table", dataset="d"),
        Question(id="off", question="Why?", unanswerable=True, document="a.md",
                 answer_absent=("250 kg",)),
        Question(id="else", question="And contractors?", answer_contains=("agreements",),
                 answer_absent=("25 days",), refusal_ok=True),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", ":1: not JSON"),
        ("[1, 2]", "a JSON object is expected"),
        ('{"id": "a"}', '"question" is required'),
        ('{"question": "  "}', '"question" must be a non-empty string'),
        ('{"question": "q", "answer_contain": ["x"]}', "unknown field 'answer_contain'"),
        ('{"question": "q", "answer_contains": "30 days"}', "must be a list of non-empty strings"),
        ('{"question": "q", "answer_contains": [""]}', "must be a list of non-empty strings"),
        ('{"question": "q", "document": "a.pdf", "page": 0}', '"page" must be an integer from 1'),
        ('{"question": "q", "document": "a.pdf", "page": "2"}', '"page" must be an integer'),
        ('{"question": "q", "page": 2}', '"page" needs "document"'),
        ('{"question": "q", "unanswerable": "yes"}', '"unanswerable" must be true or false'),
        ('{"question": "q", "unanswerable": true, "answer_contains": ["x"]}', "has no"),
        ('{"question": "q", "unanswerable": true, "refusal_ok": true}', "has no"),
        ('{"question": "q", "refusal_ok": 1}', '"refusal_ok" must be true or false'),
        ('{"question": "q", "answer_absent": [3]}', '"answer_absent" must be a list'),
        ('{"question": "q", "id": true}', '"id" must be a string or an integer'),
        ('{"question": "q", "language": 5}', '"language" must be a non-empty string'),
    ],
)
def test_a_bad_qa_line_is_refused_with_where_and_why(
    tmp_path: Path, line: str, message: str
) -> None:
    with pytest.raises(QAFileError, match=r"qa\.jsonl:1") as caught:
        load_questions(_qa(tmp_path, line))
    assert message in str(caught.value)


def test_qa_files_without_questions_or_with_a_repeated_id_are_refused(tmp_path: Path) -> None:
    with pytest.raises(QAFileError, match="no questions"):
        load_questions(_qa(tmp_path, ""))
    with pytest.raises(QAFileError, match="the id 'a' is used twice"):
        load_questions(
            _qa(tmp_path, '{"id": "a", "question": "x"}', '{"id": "a", "question": "y"}')
        )
    with pytest.raises(QAFileError, match="cannot be read"):
        load_questions(tmp_path / "missing.jsonl")


def test_the_fidelity_expected_json_is_read_as_a_qa_file() -> None:
    expected = DATASETS / "fidelity" / "expected.json"
    questions = load_questions(expected)
    cases = json.loads(expected.read_text(encoding="utf-8"))["cases"]
    assert len(questions) == sum(len(c.get("qa", [])) for c in cases)
    by_id = {q.id: q for q in questions}
    assert by_id["ligatures.pdf-1"] == Question(
        id="ligatures.pdf-1", question="Who receives the efficiency bonus?",
        answer_contains=("field engineer",), document="ligatures.pdf", page=1, language="en",
    )  # fmt: skip
    assert by_id["chinese-handbook.txt-1"].language == "zh"
    assert by_id["chinese-handbook.txt-1"].document == "chinese-handbook.txt"
    # every document it names is in its folder
    found = collect_files([expected.parent], skip=[expected])
    assert set(resolve_documents(questions, found)) == set(by_id)


def test_documents_are_found_by_name_and_dataset(tmp_path: Path) -> None:
    for folder in ("devset", "fidelity"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.txt").write_text(folder)
    (tmp_path / "devset" / "only.txt").write_text("x")
    found = collect_files([tmp_path / "devset", tmp_path / "fidelity"])
    named = resolve_documents(
        [_q(id="a", document="only.txt"), _q(id="b", document="same.txt", dataset="fidelity")],
        found,
    )
    assert named == {
        "a": tmp_path / "devset" / "only.txt",
        "b": tmp_path / "fidelity" / "same.txt",
    }
    with pytest.raises(QAFileError, match=r"several files are named 'same\.txt'"):
        resolve_documents([_q(id="c", document="same.txt")], found)
    with pytest.raises(QAFileError, match=r"'gone\.pdf' is not among the documents"):
        resolve_documents([_q(id="d", document="gone.pdf")], found)
    with pytest.raises(QAFileError, match="not in a --documents folder named 'other'"):
        resolve_documents([_q(id="e", document="only.txt", dataset="other")], found)


def test_collecting_documents_skips_what_describes_the_set(tmp_path: Path) -> None:
    names = ["a.pdf", "sub/b.docx", ".hidden.txt", ".git/c.txt", "questions.jsonl",
             "expected.json", "build.py", "README.md", "notes.txt", "draft.tmp"]  # fmt: skip
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = collect_files(
        [tmp_path], exclude=(*DEFAULT_EXCLUDE, "*.tmp"), skip=[tmp_path / "notes.txt"]
    )
    assert sorted(str(p.relative_to(tmp_path)) for _, p in found) == ["a.pdf", "sub/b.docx"]
    single = collect_files([tmp_path / "a.pdf"])
    assert single == [(tmp_path / "a.pdf", tmp_path / "a.pdf")]
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        collect_files([tmp_path / "missing"])


# --- BEIR, modes, settings -----------------------------------------------------------------


def test_the_tiny_beir_set_loads() -> None:
    beir = load_beir(DATA / "beir")
    assert len(beir.corpus) == 8
    assert beir.corpus["lighthouse"][0] == "Lighthouse maintenance"
    assert sorted(beir.queries) == ["q1", "q2", "q3", "q4", "q5"]  # q6 is not judged
    assert beir.qrels["q5"] == {"bookbinding": 1}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"queries.jsonl": "", "qrels/test.tsv": ""}, "corpus.jsonl: no such file"),
        ({"corpus.jsonl": '{"_id": 1}', "queries.jsonl": "", "qrels/test.tsv": ""},
         'corpus.jsonl:1: a JSON object with a string "_id"'),
        ({"corpus.jsonl": "{", "queries.jsonl": "", "qrels/test.tsv": ""}, "corpus.jsonl:1: not JSON"),
        ({"corpus.jsonl": "", "queries.jsonl": ""}, "test.tsv: no such file"),
        ({"corpus.jsonl": "", "queries.jsonl": "", "qrels/test.tsv": "h\tc\ts\nq\td\tx\n"},
         "test.tsv:2: the score must be an integer"),
        ({"corpus.jsonl": "", "queries.jsonl": "", "qrels/test.tsv": "q d 1\n"},
         "test.tsv:1: query-id, corpus-id and score"),
        ({"corpus.jsonl": "", "queries.jsonl": "", "qrels/test.tsv": "q\td\t1\n"},
         "judges queries not in queries.jsonl: ['q']"),
    ],
)  # fmt: skip
def test_a_bad_beir_folder_is_refused(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    with pytest.raises(BeirError) as caught:
        load_beir(tmp_path)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("hits", "expected"),
    [
        (["d1", "d2", "d1"], ["a", "b"]),  # a document ranks at its best passage
        (["d3", "d1"], ["c1", "c2", "a"]),  # identical documents are one docent document
        (["x", "d2"], ["docent:x", "b"]),  # a document from elsewhere keeps its place
        ([], []),
    ],
)
def test_ranking(hits: list[str], expected: list[str]) -> None:
    corpus_ids = {"d1": ["a"], "d2": ["b"], "d3": ["c1", "c2"]}
    assert ranking(hits, corpus_ids) == expected


def test_modes_and_settings_parse() -> None:
    assert parse_modes("hybrid, KEYWORD,hybrid") == ["HYBRID", "KEYWORD"]
    with pytest.raises(ValueError, match="unknown search mode 'FUZZY'"):
        parse_modes("KEYWORD,FUZZY")
    assert parse_settings(["DOCENT_EMBEDDER=local", "X=a=b", "EMPTY="]) == {
        "DOCENT_EMBEDDER": "local", "X": "a=b", "EMPTY": ""
    }  # fmt: skip
    assert shown({
        "GEMINI_API_KEY": "sk-1", "DOCENT_DEV_SECRET": "s", "DOCENT_EMBEDDER": "cohere",
        "DOCENT_ELASTICSEARCH_URL": "https://elastic:pw@es.example:9200/",
    }) == {
        "GEMINI_API_KEY": "***", "DOCENT_DEV_SECRET": "***", "DOCENT_EMBEDDER": "cohere",
        "DOCENT_ELASTICSEARCH_URL": "https://es.example:9200/",
    }  # fmt: skip


# --- the commands, end to end ----------------------------------------------------------------


def docent_eval(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`docent eval ARGS` as a user runs it; every connection it (or a docent it starts)
    makes beyond loopback is refused (netguard)."""
    path = os.pathsep.join(filter(None, [str(NETGUARD), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "docent.cli", "eval", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": path},
    )  # fmt: skip


def _report(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert report["format"] == 1
    return report


@pytest.mark.e2e
def test_eval_retrieval_measures_a_tiny_beir_set_resumably(tmp_path: Path) -> None:
    with running_server(tmp_path / "server") as server:
        first = docent_eval("retrieval", "--beir", DATA / "beir", "--url", server.url,
                            "--json", tmp_path / "first.json")  # fmt: skip
        again = docent_eval("retrieval", "--beir", DATA / "beir", "--url", server.url,
                            "--modes", "keyword", "--json", tmp_path / "again.json")  # fmt: skip
        assert server.network_attempts() == []
    assert first.returncode == 0, first.stdout + first.stderr
    report = _report(tmp_path / "first.json")
    assert report["kind"] == "retrieval" and report["queries"] == 5
    assert report["documents"] == {"ready": 8, "failed": 0, "refused": 0, "uploaded": 8,
                                   "older_versions": {"count": 0, "deleted": False}}  # fmt: skip
    modes = report["modes"]
    assert list(modes) == ["KEYWORD", "SEMANTIC", "HYBRID"]
    # q1-q4 name their document's rare words; q5's words are in no document, so BM25
    # finds nothing for it, while vector search ranks all eight documents.
    for mode, figures_ in modes.items():
        per_query = figures_["queries"]
        assert [per_query[q]["ndcg@10"] for q in ("q1", "q2", "q3", "q4")] == [1.0] * 4, mode
        assert figures_["p50_ms"] > 0 and figures_["p95_ms"] >= figures_["p50_ms"]
        assert figures_["server_p50_ms"] > 0
    assert modes["KEYWORD"]["queries"]["q5"] == {"ndcg@10": 0.0, "recall@100": 0.0, "top10": []}
    assert (modes["KEYWORD"]["ndcg@10"], modes["KEYWORD"]["recall@100"]) == (0.8, 0.8)
    assert modes["SEMANTIC"]["recall@100"] == modes["HYBRID"]["recall@100"] == 1.0
    assert len(modes["SEMANTIC"]["queries"]["q5"]["top10"]) == 8
    assert "| KEYWORD | 0.8000 | 0.8000 |" in " ".join(first.stdout.split()), first.stdout

    # Run again: every document is READY already, so none is sent again.
    assert again.returncode == 0, again.stdout + again.stderr
    second = _report(tmp_path / "again.json")
    assert second["documents"]["uploaded"] == 0 and second["documents"]["ready"] == 8
    assert list(second["modes"]) == ["KEYWORD"]
    assert second["modes"]["KEYWORD"]["ndcg@10"] == 0.8


#: The tiny QA set's outcomes, known in advance: four plain facts docent answers, one
#: off-topic question it refuses, one it may refuse (`refusal_ok`), and six "seeded"
#: questions whose expectations are wrong on purpose (see their notes), each of which the
#: report must count against docent.
FAILURES = {
    "seeded-wrong-number": "missing '31 days'",
    "seeded-wrong-page": "cites skates.pdf p.2, not skates.pdf p.3",
    "seeded-wrong-document": "cites recipes.html, not reisekosten.txt",
    "seeded-refused": "refused",
    "seeded-answered": "answered (grounded) although unanswerable",
    "seeded-absent": "has 'public holidays'",
}


@pytest.mark.e2e
def test_eval_answers_starts_docent_and_measures_a_tiny_qa_set(tmp_path: Path) -> None:
    shutil.copytree(DATA / "qa", tmp_path / "qa")
    qa = tmp_path / "qa" / "questions.jsonl"
    netguard = tmp_path / "netguard.log"
    common = (
        "--qa",
        qa,
        "--data-dir",
        tmp_path / "data",
        "--env",
        f"DOCENT_NETGUARD_LOG={netguard}",
        # The figures below are MiniLM's answers; the instrument's arithmetic is what is
        # tested (the product's default embedder is measured in tests/test_multilingual.py).
        "--env",
        "DOCENT_EMBEDDER=local",
    )
    result = docent_eval("answers", *common, "--json", tmp_path / "first.json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = _report(tmp_path / "first.json")
    # handbook-copy.md has handbook.md's bytes: docent keeps one document for both
    assert (report["documents"]["ready"], report["documents"]["uploaded"]) == (5, 4)
    assert report["docent"]["settings"]["DOCENT_RATE_LIMITS"] == "off"
    summary = report["summary"]
    counts = ("questions", "answerable", "correct", "with_document", "cited", "unanswerable",
              "refused", "refused_unanswerable", "refused_refusal_ok", "unanswerable_grounded",
              "errors")  # fmt: skip
    assert [summary[k] for k in counts] == [12, 10, 7, 8, 6, 2, 3, 1, 1, 1, 0]
    assert summary["accuracy"] == 0.7 and summary["citation_accuracy"] == 0.75
    assert summary["refusal_precision"] == pytest.approx(2 / 3)
    assert summary["refusal_recall"] == 0.5
    assert 0 < summary["first_delta_ms"]["p50"] <= summary["first_delta_ms"]["p95"]
    assert 0 < summary["done_ms"]["p50"] <= summary["done_ms"]["p95"]
    assert {q["id"]: q["failure"] for q in report["questions"] if q["failure"]} == FAILURES
    hotel = next(q for q in report["questions"] if q["id"] == "hotel")
    assert "120 Euro" in hotel["answer"] and hotel["citations"][0]["document"] == "reisekosten.txt"

    def sizes(name: str) -> dict[str, tuple[int, int]]:
        return {k: (v["questions"], v["correct"]) for k, v in report[f"by_{name}"].items()}

    assert sizes("language") == {"de": (1, 1), "en": (11, 6)}
    assert sizes("file_type") == {"html": (1, 1), "md": (4, 1), "pdf": (2, 2), "txt": (2, 2),
                                  "unspecified": (3, 1)}  # fmt: skip
    assert sizes("kind") == {"fact": (4, 4), "near-miss": (1, 1), "off-topic": (1, 0),
                             "seeded": (6, 2)}  # fmt: skip
    out = " ".join(result.stdout.split())
    row = "| all | 12 | 70.0% (7/10) | 75.0% (6/8) | 66.7% (2/3) | 50.0% (1/2) | 0 |"
    assert row in out, result.stdout
    assert "- seeded-wrong-page: cites skates.pdf p.2, not skates.pdf p.3" in out
    assert "unanswerable questions answered as grounded: 1" in out
    # The started server logs each answer's evidence record; the report says per question
    # which gate refused it or which signal grounded it, and counts them.
    assert all(q["gate"] not in (None, "unrecorded") for q in report["questions"])
    tables = report["gates"]
    refusing = tables["refused_by_gate"].values()
    assert sum(n["answerable"] + n["unanswerable"] for n in refusing) == summary["refused"] == 3
    assert sum(n["unanswerable"] for n in refusing) == 1
    grounding = tables["grounded_by_signal"]
    assert sum(n["answerable"] + n["unanswerable"] for n in grounding.values()) == 9
    assert all(label.startswith("grounded: ") for label in grounding)
    assert "refused by gate" in out and "grounded by signal" in out

    # Again over the same data directory, with a Gemini-protocol generator (--env reaches
    # the started docent) and one document changed: only that one is sent, and its older
    # version goes.
    recipes = tmp_path / "qa" / "recipes.html"
    recipes.write_text(recipes.read_text().replace("45 minutes", "50 minutes"))
    with FakeProviders() as fake:
        gemini = ("--env", "DOCENT_GENERATOR=gemini", "--env", f"GEMINI_API_KEY={fake.gemini_key}",
                  "--env", f"DOCENT_GEMINI_BASE_URL={fake.url}")  # fmt: skip
        result = docent_eval("answers", *common, *gemini, "--json", tmp_path / "again.json")
        assert result.returncode == 0, result.stdout + result.stderr
        assert fake.calls("gemini.generate")
    report = _report(tmp_path / "again.json")
    assert (report["documents"]["ready"], report["documents"]["uploaded"]) == (5, 1)
    assert report["documents"]["older_versions"] == {"count": 1, "deleted": True}
    assert report["models"] == ["gemini/gemini-2.5-flash"]
    assert report["docent"]["settings"]["GEMINI_API_KEY"] == "***"
    assert fake.gemini_key not in result.stdout + result.stderr
    cake = next(q for q in report["questions"] if q["id"] == "lemon-cake")
    assert "50 minutes" in cake["answer"] and cake["failure"] == "missing '45 MINUTES'"
    assert not netguard.exists() or netguard.read_text() == ""


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["answers", "--qa", "{bad}"], "unknown field 'answer_contain'"),
        (["answers", "--qa", DATA / "qa" / "questions.jsonl", "--documents", "{empty}"],
         "question holiday: its document 'handbook.md' is not among the documents"),
        (["answers", "--qa", "{missing}"], "cannot be read"),
        # `--documents A B`: B is a folder of documents too
        (["answers", "--qa", DATA / "qa" / "questions.jsonl", "--documents", DATA / "qa",
          "{empty}/gone"], "empty/gone: no such file or folder"),
        (["retrieval", "--beir", "{empty}"], "corpus.jsonl: no such file"),
        (["retrieval", "--beir", DATA / "beir", "--modes", "FUZZY"], "unknown search mode"),
        (["retrieval", "--beir", DATA / "beir", "--url", "http://127.0.0.1:9/graphql"],
         "cannot reach docent at http://127.0.0.1:9/graphql"),
        (["retrieval", "--beir", DATA / "beir", "--url", "http://127.0.0.1:9/graphql",
          "--env", "A=B"], "--data-dir and --env set up the docent that eval starts"),
        (["retrieval", "--beir", DATA / "beir", "--env", "no-equals"], "NAME=VALUE is expected"),
        (["answers", "--documents", DATA / "qa"], "--qa or --conversations (or both) is needed"),
        (["answers", "--conversations", "{bad}"], "known: held_out, id, language, note, turns"),
        (["--export-feedback", "{empty}/out.jsonl", "--url", "http://127.0.0.1:9/graphql"],
         "cannot reach docent at http://127.0.0.1:9/graphql"),
        (["--export-feedback", "{empty}/out.jsonl", "answers", "--qa", DATA / "qa" / "questions.jsonl"],
         "--export-feedback is an action of its own"),
        (["retrieval", "--beir", DATA / "beir", "--data-dir", "{empty}/data",
          "--env", "DOCENT_EMBEDDER=bogus"], "docent serve exited with status"),
    ],
)  # fmt: skip
def test_eval_says_why_it_cannot_run(tmp_path: Path, args: list[Any], message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.jsonl").write_text('{"question": "q", "answer_contain": ["x"]}\n')
    places = {"{bad}": tmp_path / "bad.jsonl", "{empty}": tmp_path / "empty",
              "{missing}": tmp_path / "missing.jsonl"}  # fmt: skip
    argv = [str(a) for a in args]
    for key, value in places.items():
        argv = [a.replace(key, str(value)) for a in argv]
    result = docent_eval(*argv, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in " ".join(result.stderr.split()), result.stderr


@pytest.mark.e2e
def test_a_terminated_eval_stops_the_docent_it_started(tmp_path: Path) -> None:
    import psutil

    path = os.pathsep.join(filter(None, [str(NETGUARD), os.environ.get("PYTHONPATH")]))
    run = subprocess.Popen(
        [sys.executable, "-m", "docent.cli", "eval", "retrieval", "--beir", str(DATA / "beir"),
         "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": path},
    )  # fmt: skip
    try:
        servers: list[psutil.Process] = []
        deadline = time.monotonic() + 120
        while not servers and time.monotonic() < deadline and run.poll() is None:
            children = psutil.Process(run.pid).children(recursive=True)
            servers = [c for c in children if "serve" in c.cmdline()]
            time.sleep(0.2)
        assert servers, "eval started no docent"
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
        still = [s for s in servers if s.is_running() and s.status() != psutil.STATUS_ZOMBIE]
        for orphan in still:  # reported below; not left running
            orphan.terminate()
    assert run.returncode == 130, stderr
    assert "stopped" in stderr.decode()
    assert still == []


@pytest.mark.e2e
def test_eval_answers_a_server_with_tokens_and_rate_limits(tmp_path: Path) -> None:
    """With --url and --token, over a docent whose `ask` budget is far below the set's size:
    a RATE_LIMITED answer is asked again after its retryAfter, never counted as an error."""
    from docent.api.auth import DevAuth

    secret = "eval-test-secret-" + "z" * 32
    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": secret,
           "DOCENT_RATE_LIMITS": "ask=1/2second; per_address=off"}  # fmt: skip
    with running_server(tmp_path / "server", env) as server:
        refused = docent_eval("answers", "--qa", DATA / "qa" / "questions.jsonl",
                              "--url", server.url)  # fmt: skip
        result = docent_eval("answers", "--qa", DATA / "qa" / "questions.jsonl", "--url",
                             server.url, "--token", DevAuth(secret).mint("eve"),
                             "--json", tmp_path / "report.json")  # fmt: skip
        assert server.network_attempts() == []
    assert refused.returncode == 2
    assert "docent refused the run: a valid bearer token is required" in refused.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    report = _report(tmp_path / "report.json")
    summary = report["summary"]
    assert (summary["errors"], summary["questions"], summary["correct"]) == (0, 12, 7)
    # 12 questions at one per 2 s: most waited
    assert sum(q["rate_limited_s"] > 0 for q in report["questions"]) >= 6


# --- conversations -----------------------------------------------------------------------


def _conversations(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "conversations.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a", "turns": []}', '"turns" must be a list of at least one turn'),
        ('{"id": "a", "turn": [{"question": "q"}]}', "unknown field 'turn'"),
        ('{"id": "a", "turns": [{"question": "q", "standalone_contains": ["x"]}]}',
         'the opening question has no "standalone_contains"'),
        ('{"id": "a", "turns": [{"question": "q"}, {"question": "r", "standalone_absent": "x"}]}',
         '"standalone_absent" must be a list of non-empty strings'),
        ('{"id": "a", "turns": [{"question": "q"}, {"question": "r", "answer_contain": ["x"]}]}',
         "turn 2: unknown field 'answer_contain'"),
        # the known fields listed are a turn's: not the conversation's id and language
        ('{"id": "a", "turns": [{"question": "q", "answer_contain": ["x"]}]}',
         "(known: answer_absent, answer_contains, dataset, document, feedback, kind, needs_review, "),
        ('{"id": "a", "turns": ["q"]}', "turn 1: a JSON object is expected"),
        ('{"id": "a", "turns": [{"question": "q", "id": "b"}]}', 'takes its "id"'),
        ('{"id": "a", "held_out": "yes", "turns": [{"question": "q"}]}',
         '"held_out" must be true or false'),
    ],
)  # fmt: skip
def test_a_bad_conversation_line_is_refused_with_where_and_why(
    tmp_path: Path, line: str, message: str
) -> None:
    with pytest.raises(QAFileError, match=re.escape(message)):
        load_conversations(_conversations(tmp_path, line))


def test_follow_ups_are_right_when_answer_and_standalone_question_are() -> None:
    path = REPO / "tests" / "data" / "eval" / "qa" / "conversations.jsonl"
    cases = {c.id: c for c in load_conversations(path)}
    assert cases["switch"].held_out and not cases["holiday"].held_out
    holiday = cases["holiday"]
    assert holiday.turns[1].question.id == "holiday#2"
    assert holiday.turns[1].question.language == "en"

    def turn(case: str, number: int, text: str, standalone: str, grounded: bool = True,
             cited: str = "D") -> TurnOutcome:  # fmt: skip
        conversation = cases[case]
        step = conversation.turns[number - 1]
        outcome = _judged(step.question, "D", text=text, grounded=grounded,
                          citations=[_cited(cited)])  # fmt: skip
        right, missing, present = standalone_verdict(step, standalone)
        return TurnOutcome(conversation, number, step, outcome, right, missing, present)

    good = turn("holiday", 2, "until the end of March", "Until when can they (paid holiday) ...")
    assert (good.answer_right, good.standalone_right, good.right) == (True, True, True)
    # the right answer, but the follow-up was not understood: wrong
    lost = turn("holiday", 2, "until the end of March", "Until when can they be carried over?")
    assert (lost.answer_right, lost.standalone_right, lost.right) == (True, False, False)
    assert lost.reason() == "standalone question lacks 'holiday'"
    # understood, but answered from another document: wrong
    elsewhere = turn("holiday", 2, "end of March", "... (holiday) ...", cited="E")
    assert (elsewhere.answer_right, elsewhere.right) == (False, False)
    carried = turn("switch", 2, "45 minutes", "How long do I bake the lemon cake (rocket skates)?")
    assert carried.carried_over is True and carried.right is False
    kept = turn("switch", 2, "45 minutes", "How long do I bake the lemon cake?")
    assert kept.carried_over is False and kept.right is True
    seeded = turn("seeded", 2, "", "How long do I bake the pancakes?", grounded=False)
    assert (seeded.answer_right, seeded.standalone_right) == (None, False)
    opening = turn("holiday", 1, "27 days", "How many days ...")
    figures_ = follow_up_figures([opening, good, lost, carried, seeded])
    assert (figures_.follow_ups, figures_.judged, figures_.right) == (4, 4, 1)
    assert (figures_.standalone_judged, figures_.standalone_right) == (4, 1)
    assert (figures_.answer_judged, figures_.answer_right) == (3, 3)
    assert (figures_.topic_switches, figures_.carried_over) == (1, 1)
    assert first_turns([opening, good]) == (1, 1)


@pytest.mark.e2e
def test_eval_answers_measures_conversations_through_a_server(tmp_path: Path) -> None:
    with running_server(tmp_path / "server") as server:
        result = docent_eval("answers", "--conversations", DATA / "qa" / "conversations.jsonl",
                             "--url", server.url, "--json", tmp_path / "report.json")  # fmt: skip
        assert server.network_attempts() == []
    assert result.returncode == 0, result.stdout + result.stderr
    report = _report(tmp_path / "report.json")
    assert report["summary"]["questions"] == 0
    talk = report["conversations"]
    summary = talk["summary"]
    counts = ("follow_ups", "judged", "right", "standalone_judged", "standalone_right",
              "answer_judged", "answer_right", "topic_switches", "carried_over", "errors")  # fmt: skip
    assert [summary[k] for k in counts] == [3, 3, 2, 3, 2, 2, 2, 1, 0, 0], summary
    assert talk["first_turns"]["judged"] == 3 and talk["first_turns"]["right"] == 3
    assert {k: (v["follow_ups"], v["right"]) for k, v in talk["by_split"].items()} == {
        "dev": (2, 1), "held-out": (1, 1)}  # fmt: skip
    turns = {f"{t['conversation']}#{t['turn']}": t for t in talk["turns"]}
    holiday = turns["holiday#2"]
    assert "holiday" in holiday["standalone_question"] and "end of March" in holiday["answer"]
    # every turn of a conversation was asked in the conversation its first turn started
    assert len({t["conversation_id"] for t in talk["turns"] if t["conversation"] == "holiday"}) == 1
    assert turns["seeded#2"]["failure"] == "standalone question lacks 'scones'"
    out = " ".join(result.stdout.split())
    assert "| all | 3 | 66.7% (2/3) | 66.7% (2/3) | 100.0% (2/2) | 0/1 |" in out, result.stdout
    assert "opening questions of the conversations answered right: 100.0% (3/3)" in out


def test_piped_output_is_not_folded_at_80_columns() -> None:
    """Written to a file or a pipe (no terminal, no COLUMNS), the commands print at
    PIPED_WIDTH: a report's Markdown table keeps one line a row (Rich folds at 80)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    probe = "from docent.cli.console import console, PIPED_WIDTH; print(console.width, PIPED_WIDTH)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    width, piped = map(int, result.stdout.split())
    assert width == piped >= 200


def test_an_up_rating_whose_cited_documents_are_all_gone_needs_review() -> None:
    """A thumbs-up on an answer whose every cited document is gone leaves nothing to judge
    a new answer by: the exported line is for review, not counted as right by default."""
    from docent.evaluation.feedback import as_question

    message = {
        "id": "m1", "text": "(withheld)", "standaloneQuestion": None,
        "feedback": {"rating": "UP", "comment": None, "createdAt": "2026-11-30T00:00:00Z"},
        "answer": {"grounded": True},
        "citations": [{"index": 1, "documentDeleted": True, "document": None, "page": 2}],
    }  # fmt: skip
    record = as_question("c1", "Who is the chairman?", message)
    assert record["needs_review"] is True and "document" not in record
    assert record["question"] == "Who is the chairman?"
    kept = {**message, "citations": [
        {"index": 1, "documentDeleted": False, "document": {"filename": "board.txt"}, "page": 2}]}  # fmt: skip
    record = as_question("c1", "Who is the chairman?", kept)
    assert record.get("needs_review") is None and record["document"] == "board.txt"
    assert record["page"] == 2


@pytest.mark.timeout(120)
def test_a_qa_file_without_end_or_with_an_endless_line_is_refused(tmp_path: Path) -> None:
    """`docent eval answers --qa /dev/zero` hung, reading one endless line. A QA file is
    read up to MAX_SET_BYTES, its lines up to MAX_LINE_CHARS; past either, a clear error
    that names the bound (and the line)."""
    from docent.evaluation.qa import MAX_LINE_CHARS

    with pytest.raises(QAFileError, match=r"/dev/zero: larger than 64 MB"):
        load_questions(Path("/dev/zero"))
    long = tmp_path / "long.jsonl"
    question = {"id": "q1", "question": "What?", "answer_contains": ["x"]}
    long.write_text(
        json.dumps(question)
        + "\n"
        + json.dumps({**question, "id": "q2", "note": "n" * MAX_LINE_CHARS})
        + "\n"
    )
    with pytest.raises(QAFileError, match=r"long.jsonl:2: the line is longer than 1,000,000"):
        load_questions(long)
