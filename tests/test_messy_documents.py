"""Every file of ../shared/datasets/messy-docs, uploaded through the API: each ends READY
with its text searchable, or refused / FAILED with the code a person expects."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from support.paths import DATASETS
from support.servers import DocentServer, gql, keyword_chunks, module_server, upload, wait_ready

MESSY = DATASETS / "messy-docs"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        not MESSY.exists(), reason="../shared/datasets/messy-docs is not beside the repository"
    ),
]

#: file -> (final state, code, a phrase that must be searchable for READY documents)
EXPECTED: dict[str, tuple[str, str | None, str | None]] = {
    "book-war-and-peace-1p.txt": ("READY", None, "Genoa and Lucca"),
    "codeblock.md": ("READY", None, "XML Example"),
    "contains-pictures.docx": ("READY", None, "inline picture"),
    "csv-with-long-lines.csv": ("READY", None, "SpearmanCorrelationCoefficient"),
    "docx-tables.docx": ("READY", None, "uniform table"),
    "eml_email-no-utf8-2014-03-17.111517.eml": ("READY", None, "Google Account"),
    "eml_empty.eml": ("FAILED", "EMPTY", None),
    "eml_fake-email-attachment.eml": ("READY", None, "quick read"),
    "eml_fake-email-malformed-encoding.eml": ("READY", None, "Violets are blue"),
    "eml_fake-email.eml": ("READY", None, "Roses are red"),
    "emoji.xlsx": ("FAILED", "NO_TEXT", None),  # two emoji: nothing to search for
    "empty.txt": ("REFUSED", "EMPTY", None),
    "empty.xlsx": ("FAILED", "NO_TEXT", None),
    "example-10k-1p.html": ("READY", None, "TRANSITION REPORT"),
    "example-with-scripts.html": ("READY", None, "Publications"),
    "fake-html-cp1252.html": ("READY", None, "köstlich"),
    "fake-power-point-malformed.pptx": ("READY", None, "Test Slide"),
    "fake-power-point-table.pptx": ("READY", None, "Slide with a Table"),
    "fake-power-point.pptx": ("READY", None, "bullet slide"),
    "fake-text-all-whitespace.txt": ("FAILED", "EMPTY", None),
    "fake-text-utf-16-le.txt": ("READY", None, "Doylestown"),
    "fake-text-utf-32.txt": ("READY", None, "Doylestown"),
    "fake.odt": ("READY", None, "Lorem ipsum"),
    "handbook-1p.docx": ("READY", None, "Trustee Handbook"),
    "img_DA-1p.png": ("READY", None, "Abomination"),  # a scanned page: read by OCR
    "img_example.jpg": ("FAILED", "NO_TEXT", None),  # a photo of a flower
    "norwich-city.txt": ("READY", None, "Iwan Roberts"),
    "page-breaks.docx": ("READY", None, "First page"),
    "password_protected.xlsx": ("FAILED", "ENCRYPTED", None),
    "pdf_embedded-images-tables.pdf": ("READY", None, "polarization"),
    "pdf_fake-memo.pdf": ("READY", None, "bottles"),
    "pdf_korean-text-with-tables.pdf": ("READY", None, "빅포인트"),
    "pdf_layout-parser-paper-fast.pdf": ("READY", None, "LayoutParser"),
    "pdf_layout-parser-paper-with-empty-pages.pdf": ("READY", None, "LayoutParser"),
    "pdf_multi-column-2p.pdf": ("READY", None, None),
    "pdf_password.pdf": ("FAILED", "ENCRYPTED", None),
    "pdf_pdf-with-ocr-text.pdf": ("READY", None, "MESSRS"),  # its old OCR layer is replaced
    # a page turned by /Rotate: its text layer is read as it is (as pdftotext reads it)
    "rotated-page-90.pdf": ("READY", None, "Rotated page"),
    "semicolon-delimited.csv": ("READY", None, "consectetur"),
    "simple-table.md": ("READY", None, "Juicy Apples"),
    "simple.docx": ("READY", None, "favorite things"),
    "simple.zip": ("REFUSED", "UNSUPPORTED_TYPE", None),
    "stanley-cups.csv": ("READY", None, "Maple Leafs"),
    "stanley-cups.xlsx": ("READY", None, "Maple Leafs"),
    "umlauts-non-utf8.md": ("READY", None, "können"),
}

server = module_server("messy", {"DOCENT_WORKER_CONCURRENCY": "2"})


@pytest.fixture(scope="module")
def outcomes(server: DocentServer) -> dict[str, dict[str, Any]]:
    return asyncio.run(_ingest_all(server))


async def _ingest_all(server: DocentServer) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    pending: dict[str, str] = {}
    for path in sorted(MESSY.iterdir()):
        response = await upload(server.url, path.name, path.read_bytes())
        payload = response.json()["data"]["uploadDocument"]
        if payload["userErrors"]:
            results[path.name] = {"state": "REFUSED", **payload["userErrors"][0]}
        else:
            pending[path.name] = payload["document"]["id"]

    async def follow(name: str, document_id: str) -> None:
        events = await wait_ready(server, document_id, timeout=600)
        last = events[-1]
        results[name] = {
            "state": last["status"], "id": document_id, "events": events,
            "code": (last["error"] or {}).get("code"), "message": (last["error"] or {}).get("message"),
        }  # fmt: skip

    await asyncio.gather(*(follow(n, i) for n, i in pending.items()))
    return results


def test_every_file_is_expected() -> None:
    assert sorted(p.name for p in MESSY.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_ends_in_the_expected_state(
    name: str, outcomes: dict[str, dict[str, Any]], server: DocentServer
) -> None:
    state, code, phrase = EXPECTED[name]
    outcome = outcomes[name]
    assert outcome["state"] == state, outcome
    if code:
        assert outcome["code"] == code, outcome
        assert len(outcome["message"]) > 20  # a reason a person understands
    if phrase:
        chunks = asyncio.run(keyword_chunks(server, outcome["id"], phrase, top_k=5))
        assert any(phrase.lower() in c["text"].lower() for c in chunks), (phrase, chunks)


def test_ocr_progress_is_reported(outcomes: dict[str, dict[str, Any]]) -> None:
    # A scanned page, whose old OCR layer is read again
    events = outcomes["pdf_pdf-with-ocr-text.pdf"]["events"]
    ocr = [e for e in events if e["stage"] == "OCR"]
    assert ocr and ocr[-1]["current"] == ocr[-1]["total"] == 1


def test_nothing_is_left_processing(
    outcomes: dict[str, dict[str, Any]], server: DocentServer
) -> None:
    listing = asyncio.run(
        gql(
            server.url,
            "{ documents(first: 100, filter: {status: [QUEUED, PROCESSING]}) { totalCount } }",
        )
    )
    assert listing["documents"]["totalCount"] == 0
