"""The Office and delimited-text files of ../shared/datasets/fidelity (issue 12) read as
their `expected.json` says, parsed as the worker parses them: what must be in the text
(once, where it says so), what must not, the words that must share a table row, and the
section a passage falls under. The end-to-end test checks the same cases through the API;
this one says which parser broke."""

from __future__ import annotations

import json
from typing import Any

import pytest

from docent.ingestion.chunking import Element
from docent.ingestion.parsing import parse_file, sniffing

from support.paths import DATASETS

FIDELITY = DATASETS / "fidelity"
MIME_TYPES = {"docx": sniffing.DOCX, "pptx": sniffing.PPTX, "xlsx": sniffing.XLSX,
              "csv": sniffing.CSV, "tsv": sniffing.TSV}  # fmt: skip
pytestmark = pytest.mark.skipif(
    not (FIDELITY / "expected.json").exists(),
    reason="../shared/datasets/fidelity is not beside the repository",
)


def cases() -> list[dict[str, Any]]:
    if not (FIDELITY / "expected.json").exists():
        return []
    found = json.loads((FIDELITY / "expected.json").read_text(encoding="utf-8"))["cases"]
    return [case for case in found if case["file"].rsplit(".", 1)[-1] in MIME_TYPES]


def folded(text: str) -> str:
    """As expected.json compares: whitespace collapsed, case folded."""
    return " ".join(text.split()).casefold()


def section_of(elements: list[Element], phrase: str) -> str | None:
    """The last heading before the element holding `phrase`, on its page or before."""
    section = None
    for element in elements:
        if folded(phrase) in folded(element.text):
            return section
        if element.kind == "title":
            section = element.text
    raise AssertionError(f"{phrase!r} not found")


@pytest.mark.parametrize("case", cases(), ids=lambda case: case["file"])
def test_fidelity_file_reads_as_expected(case: dict[str, Any]) -> None:
    path = FIDELITY / case["file"]
    elements = parse_file(path, MIME_TYPES[path.suffix.lstrip(".")]).elements
    text = folded("\n".join(e.text for e in elements))
    lines = [folded(line) for e in elements for line in e.text.split("\n")]
    for phrase in case.get("contains", []):
        assert folded(phrase) in text, phrase
    for phrase in case.get("contains_once", []):
        assert text.count(folded(phrase)) == 1, phrase
    for phrase in case.get("absent", []):
        assert folded(phrase) not in text, phrase
    for words in case.get("same_line", []):
        assert any(all(folded(w) in line for w in words) for line in lines), (words, lines)
    for phrase, section in case.get("section_of", {}).items():
        assert folded(section_of(elements, phrase) or "") == folded(section), phrase
