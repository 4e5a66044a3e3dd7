"""Which gate refused an answer (answering/gates.py, grounding.find_evidence's verdicts)
and how `docent eval answers` reads and counts it (evaluation/gates.py). Through a real
server: tests/test_eval.py (the tiny QA set's gate tables)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from docent.answering.gates import (
    EVIDENCE_MARK,
    PASS,
    Verdict,
    check,
    log_evidence,
    question_digest,
    refused,
)
from docent.answering.grounding import Signal, find_evidence
from docent.domain import Chunk, Hit
from docent.evaluation import gates as reading
from docent.evaluation.gates import UNRECORDED, EvidenceLog, figure_of, gate_of, gate_table

HANDBOOK = "Every employee receives 27 days of paid holiday per year."
BONUS = "The efficiency bonus is paid to every field engineer each quarter."


def hit(text: str, similarity: float | None, document: str = "d") -> Hit:
    chunk = Chunk(id=f"{document}-c", document_id=document, ordinal=0, text=text, section=None)
    return Hit(chunk, "Doc", 1.0, semantic_score=similarity)


def test_a_verdict_is_true_when_the_passage_passed() -> None:
    assert PASS and check(True, "x")
    assert not refused("similarity", 0.3, 0.35) and not check(False, "keyword-form")
    assert refused("similarity", 0.31234, 0.35).as_json() == {
        "gate": "similarity", "figure": 0.312, "floor": 0.35, "document": None,
    }  # fmt: skip


def test_a_refusal_says_each_passage_s_gates_with_the_cosine_and_its_floor() -> None:
    evidence = find_evidence(
        "How much time off do staff get?",
        [hit(HANDBOOK, 0.30, "a"), hit(BONUS, 0.20, "b")],
        similarity_floor=0.35,
        rerank_floor=None,
    )
    assert not evidence.found
    first, second = evidence.verdicts
    assert first.gate is not None and first.gate.endswith("similarity")
    assert (first.figure, first.floor, first.document) == (0.30, 0.35, "a")
    # Keyword evidence failed first, with its own figure and floor.
    keywords, similarity = first.parts
    assert keywords.gate is not None and keywords.gate.startswith("keyword")
    assert similarity == refused("similarity", 0.30, 0.35)
    assert [p["gate"] for p in first.as_json()["parts"]] == [keywords.gate, "similarity"]
    assert second.document == "b" and second.figure == 0.20


def test_a_passage_without_a_measured_floor_is_refused_for_its_language() -> None:
    evidence = find_evidence(
        "How much time off do staff get?", [hit(HANDBOOK, 0.9)], similarity_floor=None,
        rerank_floor=None,
    )  # fmt: skip
    (verdict,) = evidence.verdicts
    assert verdict.gate is not None and verdict.gate.endswith("similarity-language")
    # one of its words ("time off" is not "holiday") of the two keyword evidence needs
    assert (verdict.figure, verdict.floor) == (1, 2)


def test_grounded_evidence_keeps_the_verdicts_of_the_passages_before_it() -> None:
    evidence = find_evidence(
        "How much time off do staff get?",
        [hit(BONUS, 0.2, "b"), hit(HANDBOOK, 0.5, "a")],
        similarity_floor=0.35,
        rerank_floor=None,
    )
    assert evidence.signal is Signal.SIMILARITY and evidence.hit is not None
    assert [v.document for v in evidence.verdicts] == ["b"]


def test_the_evidence_record_is_a_debug_record_with_a_digest_not_the_question(
    caplog: pytest.LogCaptureFixture,
) -> None:
    question = "How much time off do staff get?"
    with caplog.at_level(logging.INFO, logger="docent.answering"):
        log_evidence(question, None, [refused("similarity", 0.3, 0.35)])
    assert not caplog.records  # not at INFO
    with caplog.at_level(logging.DEBUG, logger="docent.answering"):
        log_evidence(question, None, [Verdict("similarity", 0.3, 0.35, "a")])
    (record,) = caplog.records
    assert record.levelno == logging.DEBUG and question not in record.getMessage()
    logged = json.loads(record.getMessage().removeprefix(EVIDENCE_MARK))
    assert logged == record.evidence  # type: ignore[attr-defined]
    assert logged["question"] == question_digest(question) and logged["signal"] is None
    assert logged["passages"] == [{"gate": "similarity", "figure": 0.3, "floor": 0.35,
                                   "document": "a"}]  # fmt: skip


def test_the_eval_reads_records_as_the_server_writes_them() -> None:
    assert reading.EVIDENCE_MARK == EVIDENCE_MARK
    question = " Wie hoch ist die Kaution?"
    assert reading.question_digest(question) == question_digest(question)


def _line(question: str, signal: str | None, passages: list[dict[str, object]]) -> str:
    record = {"question": question_digest(question), "signal": signal, "passages": passages}
    return f"2026-01-01 DEBUG docent.answering: {EVIDENCE_MARK}{json.dumps(record)}\n"


def test_the_eval_reads_the_record_written_while_its_question_was_asked(tmp_path: Path) -> None:
    log = EvidenceLog(tmp_path / "eval-server.log")
    assert log.mark() == 0 and log.records(0) == []
    path = tmp_path / "eval-server.log"
    path.write_text(_line("Earlier?", "keywords", []))
    since = log.mark()
    wanted = [{"gate": "similarity", "figure": 0.3, "floor": 0.35, "document": "a"}]
    with path.open("a") as out:
        out.write("2026-01-01 WARNING docent.search: slow\n")
        out.write(_line("Someone else's?", "keywords", []))
        out.write(_line("Mine?", None, wanted))
    record = log.record_for(since, "Mine?", None)
    assert record is not None and record["passages"] == wanted
    assert log.record_for(since, "Earlier?") is None
    # A follow-up is searched as docent rewrote it: its standalone question's digest.
    assert log.record_for(since, "And that?", "Mine?") == record


@pytest.mark.parametrize(
    ("document", "gate", "figure"),
    [
        ("b", "keyword-share+similarity", "0.700 < 0.800"),
        (None, "similarity-form", ""),
        ("c", "not retrieved: similarity-form", ""),
    ],
)
def test_the_gate_of_a_refusal_is_the_first_passage_of_the_document_to_cite(
    document: str | None, gate: str, figure: str
) -> None:
    record = {
        "question": "x",
        "signal": None,
        "passages": [
            {"gate": "similarity-form", "figure": 0.9, "floor": None, "document": "a"},
            {"gate": "keyword-share+similarity", "figure": 0.7, "floor": 0.8, "document": "b"},
        ],
    }
    assert gate_of(record, document) == gate
    assert figure_of(record, document) == figure


def test_each_refusing_gate_s_figure_is_reported() -> None:
    parts = [{"gate": "keyword-share", "figure": 0.4, "floor": 0.61},
             {"gate": "similarity", "figure": 0.814, "floor": 0.91}]  # fmt: skip
    record = {"signal": None, "passages": [{"gate": "keyword-share+similarity", "figure": 0.814,
              "floor": 0.91, "document": "a", "parts": parts}]}  # fmt: skip
    assert figure_of(record, "a") == "keyword-share 0.400 < 0.610, similarity 0.814 < 0.910"
    form = {"gate": "similarity-form", "figure": 0.872, "floor": 0.8, "document": "a"}
    assert figure_of({"signal": None, "passages": [form]}, "a") == "0.872 >= 0.800"


def test_grounded_and_unrecorded_answers_are_labelled() -> None:
    assert gate_of({"signal": "keywords", "passages": []}, "a") == "grounded: keywords"
    assert gate_of(None, "a") == UNRECORDED and figure_of(None, "a") == ""


def test_gate_tables_count_answerable_and_unanswerable_questions_apart() -> None:
    rows = [("similarity", False, True), ("similarity", True, True), ("similarity", False, True),
            ("held-kind", True, True), ("grounded: keywords", False, False)]  # fmt: skip
    tables = gate_table(iter(rows))
    assert tables["refused_by_gate"] == {
        "similarity": {"answerable": 2, "unanswerable": 1},
        "held-kind": {"answerable": 0, "unanswerable": 1},
    }
    assert tables["grounded_by_signal"] == {
        "grounded: keywords": {"answerable": 1, "unanswerable": 0}
    }
