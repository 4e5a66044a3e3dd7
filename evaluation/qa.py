"""Question sets for `docent eval answers`.

A QA file is JSON lines, one question per line (blank lines are skipped)::

    {"id": "leave-3", "question": "How many days of annual leave do I get?",
     "answer_contains": ["27 days"], "document": "handbook.docx", "page": 2,
     "language": "en", "kind": "fact"}
    {"id": "off-1", "question": "Who won the 1954 World Cup?", "unanswerable": true}

Only ``question`` is required:

- ``id`` (string or integer): unique in the file; default: the line number.
- ``question`` (string): asked as it is.
- ``answer_contains`` (list of strings): words a right answer contains, every one of
  them, compared case- and whitespace-insensitively after Unicode normalisation
  (`metrics.normalise`); default none (then any grounded answer is right).
- ``answer_absent`` (list of strings): words of a wrong answer the documents hold (the
  look-alike product's figure, last year's price, the neighbouring row); a right answer
  contains none of them, compared as ``answer_contains``.
- ``document`` (string): the file name of the document a right answer cites; ``page``
  (integer from 1): the page it cites, when the document has pages.
- ``unanswerable`` (boolean, default false): the documents do not answer the question, so
  the right answer is a refusal ("not found": ``Answer.grounded`` is false). It takes no
  ``answer_contains`` and no ``page``; a ``document`` then only says which document it
  seems to be about (a near miss), for the breakdown by file type, and ``answer_absent``
  what a wrong answer would say.
- ``refusal_ok`` (boolean, default false): the document says the subject is dealt with
  elsewhere ("contractors' leave is set out in their service agreements"): an answer saying
  so (``answer_contains``) is right, and so is a refusal. Not with ``unanswerable``.
- ``language`` (ISO 639-1 code of the question), ``kind`` (``fact``, ``table``,
  ``near-miss``, ...): for the breakdowns.
- ``dataset`` (string): the document is in a `--documents` folder of this name (such as
  ``fidelity``), where the file names of several folders meet.
- ``note`` (string): free text, not read.
- ``needs_review`` (boolean, default false): the right answer is not known (a question
  exported from an answer rated DOWN, `feedback.py`): it is asked and its answer shown
  under "needs review", but it counts in no figure (accuracy, citations, refusals) until a
  person writes what a right answer holds and removes the flag. It takes no
  ``answer_contains``, ``page``, ``unanswerable`` or ``refusal_ok``.
- ``feedback`` (object): the rating the question was exported from (``rating``,
  ``comment``, the question as asked, the answer rated and its citations): kept in the
  report beside the new answer, never judged.

Any other field is an error, so that a misspelt ``answer_contain`` cannot make a question
trivially right. The fidelity dataset's ``expected.json`` (``{"cases": [{"file": ...,
"qa": [{"question", "answer_contains", "page"?}]}]}``) is read as such a file too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docent.evaluation.beir import json_lines

FIELDS = frozenset(
    {"id", "question", "answer_contains", "answer_absent", "document", "page", "unanswerable",
     "refusal_ok", "language", "kind", "dataset", "note", "needs_review", "feedback"}
)  # fmt: skip
_HAN = re.compile(r"[\u3400-\u9fff]")


class QAFileError(ValueError):
    """The QA file, or the documents it names, cannot be used: the message says where."""


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    answer_contains: tuple[str, ...] = ()
    answer_absent: tuple[str, ...] = ()
    document: str | None = None
    page: int | None = None
    unanswerable: bool = False
    refusal_ok: bool = False
    language: str | None = None
    kind: str | None = None
    dataset: str | None = None
    needs_review: bool = False
    feedback: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def file_type(self) -> str | None:
        """The document's extension, lower case without the dot (`pdf`), if any."""
        if self.document is None or "." not in self.document:
            return None
        return self.document.rsplit(".", 1)[1].lower()

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "answer_contains": list(self.answer_contains),
            "answer_absent": list(self.answer_absent),
            "document": self.document,
            "page": self.page,
            "unanswerable": self.unanswerable,
            "refusal_ok": self.refusal_ok,
            "language": self.language,
            "kind": self.kind,
            "dataset": self.dataset,
            "needs_review": self.needs_review,
            "feedback": self.feedback,
        }


def _text(record: dict[str, Any], name: str, where: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise QAFileError(f'{where}: "{name}" must be a non-empty string')
    return value.strip()


def _words(record: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = record.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise QAFileError(f'{where}: "{name}" must be a list of non-empty strings')
    return tuple(v.strip() for v in value)


def _flag(record: dict[str, Any], name: str, where: str) -> bool:
    value = record.get(name, False)
    if not isinstance(value, bool):
        raise QAFileError(f'{where}: "{name}" must be true or false')
    return value


def question_from(record: Any, where: str, default_id: str) -> Question:
    """One QA record checked against the format above. Raises QAFileError (`where`: the
    file and line, for the message)."""
    record = checked_object(record, where, FIELDS)
    question = _text(record, "question", where)
    if question is None:
        raise QAFileError(f'{where}: "question" is required')
    raw_id = checked_id(record, where, default_id)
    contains = _words(record, "answer_contains", where)
    page = record.get("page")
    if page is not None and (isinstance(page, bool) or not isinstance(page, int) or page < 1):
        raise QAFileError(f'{where}: "page" must be an integer from 1')
    unanswerable = _flag(record, "unanswerable", where)
    refusal_ok = _flag(record, "refusal_ok", where)
    document = _text(record, "document", where)
    if page is not None and document is None:
        raise QAFileError(f'{where}: "page" needs "document"')
    if unanswerable and (contains or page is not None or refusal_ok):
        raise QAFileError(
            f'{where}: an unanswerable question has no "answer_contains", "page" or "refusal_ok"'
        )
    if record.get("note") is not None and not isinstance(record["note"], str):
        raise QAFileError(f'{where}: "note" must be a string')
    needs_review = _flag(record, "needs_review", where)
    if needs_review and (contains or page is not None or unanswerable or refusal_ok):
        raise QAFileError(
            f'{where}: a question that needs review has no "answer_contains", "page", '
            '"unanswerable" or "refusal_ok" (its right answer is not known)'
        )
    feedback = record.get("feedback")
    if feedback is not None and not isinstance(feedback, dict):
        raise QAFileError(f'{where}: "feedback" must be an object')
    return Question(
        id=raw_id,
        question=question,
        answer_contains=contains,
        answer_absent=_words(record, "answer_absent", where),
        document=document,
        page=page,
        unanswerable=unanswerable,
        refusal_ok=refusal_ok,
        language=_text(record, "language", where),
        kind=_text(record, "kind", where),
        dataset=_text(record, "dataset", where),
        needs_review=needs_review,
        feedback=feedback,
    )


def checked_object(record: Any, where: str, known: frozenset[str]) -> dict[str, Any]:
    """`record` when it is a JSON object whose fields are all `known`; else QAFileError
    naming the first unknown field and the known ones."""
    if not isinstance(record, dict):
        raise QAFileError(f"{where}: a JSON object is expected")
    unknown = sorted(set(record) - known)
    if unknown:
        raise QAFileError(
            f"{where}: unknown field {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )
    return record


def checked_id(record: dict[str, Any], where: str, default_id: str) -> str:
    """A record's `id` (a string or an integer, as a string), `default_id` when absent."""
    raw_id = record.get("id", default_id)
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or str(raw_id) == "":
        raise QAFileError(f'{where}: "id" must be a string or an integer')
    return str(raw_id)


#: The largest QA or conversations file read (bytes): a set of 100,000 questions is about
#: 20 MB. Reading stops past it: `--qa /dev/zero` read forever.
MAX_SET_BYTES = 64 * 1024 * 1024
#: The longest line of such a file (characters): a question with its expected words and
#: notes is well under 10,000.
MAX_LINE_CHARS = 1_000_000


def read_set(path: Path) -> str:
    """The text of a QA or conversations file, at most MAX_SET_BYTES with lines of at most
    MAX_LINE_CHARS; QAFileError when it cannot be read or is past either bound."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SET_BYTES + 1)
        if len(data) > MAX_SET_BYTES:
            raise QAFileError(f"{path}: larger than {MAX_SET_BYTES // 2**20} MB")
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise QAFileError(f"{path}: cannot be read ({exc})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise QAFileError(
                f"{path}:{number}: the line is longer than {MAX_LINE_CHARS:,} characters"
            )
    return text


def check_ids(path: Path, ids: Sequence[str], what: str) -> None:
    """QAFileError when the file holds no `what` (its items' `ids`) or an id twice."""
    if not ids:
        raise QAFileError(f"{path}: no {what}")
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise QAFileError(f"{path}: the id {item!r} is used twice")
        seen.add(item)


def load_questions(path: Path) -> list[Question]:
    """The questions of a QA file (JSON lines), or of a fidelity `expected.json`. Raises
    QAFileError for a file that is missing, unreadable or not in the format."""
    text = read_set(path)
    questions = _fidelity(path, text)
    if questions is None:
        questions = [
            question_from(record, f"{path}:{number}", str(number))
            for number, record in json_lines(text.splitlines(), str(path), QAFileError)
        ]
    check_ids(path, [q.id for q in questions], "questions")
    return questions


def _fidelity(path: Path, text: str) -> list[Question] | None:
    """The `qa` entries of a fidelity dataset's expected.json, or None for another file.
    The document is the case's file, the id `<file>-<n>` (its n-th question); the language
    is one of the file's two: Chinese for a question in Han characters, English otherwise."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None  # one JSON line, perhaps: read as JSON lines
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        return None
    questions: list[Question] = []
    for case_number, case in enumerate(data["cases"], start=1):
        if not isinstance(case, dict) or not isinstance(case.get("file"), str):
            raise QAFileError(f'{path}: case {case_number} has no "file"')
        for index, entry in enumerate(case.get("qa") or [], start=1):
            where = f"{path}: case {case['file']}, question {index}"
            if not isinstance(entry, dict):
                raise QAFileError(f"{where}: a JSON object is expected")
            language = "zh" if _HAN.search(str(entry.get("question", ""))) else "en"
            record = {"id": f"{case['file']}-{index}", "document": case["file"], "language": language,
                      **entry}  # fmt: skip
            questions.append(question_from(record, where, record["id"]))
    return questions


def resolve_documents(
    questions: Sequence[Question], files: Sequence[tuple[Path, Path]]
) -> dict[str, Path]:
    """The file of the document each question names (question id -> file), found by file
    name among `files` ((root, file) pairs from `uploads.collect_files`); a question's
    `dataset` looks only under roots of that name. Raises QAFileError for a document that
    is not among the files, or that several files could be."""
    by_name: dict[str, list[tuple[Path, Path]]] = {}
    for root, path in files:
        by_name.setdefault(path.name, []).append((root, path))
    resolved: dict[str, Path] = {}
    for q in questions:
        if q.document is None:
            continue
        found = by_name.get(q.document, [])
        if q.dataset is not None:
            found = [(r, p) for r, p in found if r.name == q.dataset]
        if not found:
            where = f" in a --documents folder named {q.dataset!r}" if q.dataset else ""
            raise QAFileError(
                f"question {q.id}: its document {q.document!r} is not{where} among the documents"
            )
        if len({p for _, p in found}) > 1:
            shown = ", ".join(str(p) for _, p in found)
            raise QAFileError(
                f"question {q.id}: several files are named {q.document!r} ({shown}); "
                'say which with "dataset" (the name of its --documents folder)'
            )
        resolved[q.id] = found[0][1]
    return resolved
