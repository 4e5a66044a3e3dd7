"""Issue 12's end-to-end check: every file of ../shared/datasets/fidelity, uploaded through
the API, holds what its `expected.json` case says, read back through the API.

The checks, one test per case and kind of check, all against the document's indexed chunks
(compared with white space collapsed and case folded): `status` (READY unless the case
says otherwise), `contains` / `contains_once` / `absent`, `same_line` (the values together
in one line of a chunk), `header_with` (every chunk holding the row has the table's header
row above it), `section_of` / `section_of_not` (the section of every chunk holding the text
names / does not name the given heading), `offsets_valid`, and `keyword` (a KEYWORD search
restricted to the document finds a passage holding it in its top 5). The `qa` entries are
answer quality, issue 13: not checked here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from support.chunks import every_chunk, folded, keyword_hits, offset_problems, own_text
from support.paths import DATASETS
from support.servers import DocentServer, upload_ok, wait_ready

FIDELITY = DATASETS / "fidelity"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        not (FIDELITY / "expected.json").exists(),
        reason="../shared/datasets/fidelity is not beside the repository",
    ),
]

CHECKS = (
    "status", "contains", "contains_once", "absent", "same_line", "header_with", "section_of",
    "section_of_not", "offsets_valid", "keyword",
)  # fmt: skip


def cases() -> dict[str, dict[str, Any]]:
    if not (FIDELITY / "expected.json").exists():
        return {}
    listed = json.loads((FIDELITY / "expected.json").read_text())["cases"]
    return {case["file"]: case for case in listed}


def parameters() -> Iterator[Any]:
    for name, case in sorted(cases().items()):
        for check in CHECKS:
            if check == "status" or check in case:
                yield pytest.param(name, check, id=f"{name}-{check}")


@pytest.fixture(scope="module")
def uploaded(docent_server: DocentServer) -> dict[str, dict[str, Any]]:
    """Each file's last processing event, its document id and, when READY, its chunks."""

    async def one(name: str) -> dict[str, Any]:
        payload = await upload_ok(docent_server, name, (FIDELITY / name).read_bytes())
        document_id = payload["document"]["id"]
        last = (await wait_ready(docent_server, document_id, timeout=600))[-1]
        chunks = await every_chunk(docent_server, document_id) if last["status"] == "READY" else []
        return {"id": document_id, "event": last, "chunks": chunks}

    async def run() -> dict[str, dict[str, Any]]:
        names = sorted(cases())
        return dict(zip(names, await asyncio.gather(*(one(n) for n in names)), strict=True))

    return asyncio.run(run())


def test_every_file_has_a_case() -> None:
    files = {p.name for p in FIDELITY.iterdir() if p.name != "expected.json"}
    assert files == set(cases())


@pytest.mark.parametrize(("name", "check"), list(parameters()))
def test_fidelity(
    docent_server: DocentServer, uploaded: dict[str, dict[str, Any]], name: str, check: str
) -> None:
    case, result = cases()[name], uploaded[name]
    if check == "status":
        assert result["event"]["status"] == case.get("status", "READY"), result["event"]
        return
    assert result["event"]["status"] == "READY", result["event"]
    chunks = result["chunks"]
    indexed = folded("\n".join(c["text"] for c in chunks))
    if check == "contains":
        missing = [text for text in case[check] if folded(text) not in indexed]
        assert not missing, (missing, indexed)
    elif check == "absent":
        present = [text for text in case[check] if folded(text) in indexed]
        assert not present, (present, indexed)
    elif check == "contains_once":
        # Counted in the document's text as the chunks' offsets rebuild it: text shared by
        # neighbouring chunks (the overlap) is there once.
        text = folded(rebuilt(chunks))
        counts = {phrase: text.count(folded(phrase)) for phrase in case[check]}
        assert all(n == 1 for n in counts.values()), (counts, text)
    elif check == "same_line":
        lines = [folded(line) for c in chunks for line in c["text"].split("\n")]
        for values in case[check]:
            wanted = [folded(v) for v in values]
            assert any(all(v in line for v in wanted) for line in lines), (values, lines)
    elif check == "header_with":
        check_header_with(chunks, case[check]["row"], case[check]["header"])
    elif check in ("section_of", "section_of_not"):
        for text, heading in case[check].items():
            sections = [
                folded(c["section"] or "") for c in chunks if folded(text) in folded(c["text"])
            ]
            assert sections, (text, chunks)
            named = [folded(heading) in section for section in sections]
            assert all(named) if check == "section_of" else not any(named), (heading, sections)
    elif check == "offsets_valid":
        assert offset_problems(chunks) == []
    elif check == "keyword":
        hits = asyncio.run(keyword_hits(docent_server, result["id"], case[check]))
        assert any(folded(case[check]) in folded(h["chunk"]["text"]) for h in hits), hits


def check_header_with(chunks: list[dict[str, Any]], row: str, header: str) -> None:
    """Every chunk holding `row` has the table's `header` row on a line of its own above
    it, with no other row of the table above the header."""
    holding = [c for c in chunks if row in c["text"]]
    assert holding, row
    for chunk in holding:
        lines = chunk["text"].split("\n")
        assert header in lines, chunk["text"]
        top = lines.index(header)
        assert any(row in line for line in lines[top + 1 :]), chunk["text"]
        assert not any(" | " in line for line in lines[:top]), chunk["text"]


def rebuilt(chunks: list[dict[str, Any]]) -> str:
    """The document's text as far as its chunks cover it (gaps as spaces), by offsets."""
    size = max((c["endOffset"] for c in chunks), default=0)
    characters = [" "] * size
    for chunk in chunks:
        _, text = own_text(chunk)
        characters[chunk["startOffset"] : chunk["endOffset"]] = text
    return "".join(characters)
