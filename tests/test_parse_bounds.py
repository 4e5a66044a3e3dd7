"""The work a document may make is bounded before it is read: a small file that expands
into hours of parsing (paragraphs, MIME parts) or into what its reader cannot take fails
at once with TOO_LARGE, naming the limit; a reason given is the true one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.parsing import ParseLimits, sniffing
from docent.ingestion.parsing.files import parse_file
from docent.ingestion.parsing.mail import MAX_PARTS

from support.office import make_docx

pytestmark = pytest.mark.timeout(300)


def paragraphs(count: int) -> str:
    return "<w:p><w:r><w:t>a</w:t></w:r></w:p>" * count


def refused(path: Path, mime: str, limits: ParseLimits | None = None) -> IngestionError:
    with pytest.raises(IngestionError) as info:
        parse_file(path, mime, limits=limits)
    return info.value


def test_a_word_document_over_the_paragraph_limit_is_too_large_before_it_is_read(
    tmp_path: Path,
) -> None:
    """A 30 KB DOCX of 300,000 one-letter paragraphs held a parse worker over 10 minutes
    (the reader takes about 1 ms a paragraph). Paragraphs are counted first: past
    DOCENT_MAX_PARAGRAPHS (1,000 here) the document is refused before the reader starts;
    at the limit it is read."""
    limits = ParseLimits(max_paragraphs=1000)
    over = make_docx(tmp_path / "over.docx", paragraphs(1001))
    error = refused(over, sniffing.DOCX, limits)
    assert error.code is ErrorCode.TOO_LARGE, error.message
    assert "1,000 paragraphs" in error.message and "DOCENT_MAX_PARAGRAPHS" in error.message
    # 1,000 with the header's paragraph
    at = make_docx(tmp_path / "at.docx", paragraphs(998) + "<w:p><w:r><w:t>end</w:t></w:r></w:p>")
    assert parse_file(at, sniffing.DOCX, limits=limits).elements[-1].text == "end"


def test_a_word_document_with_a_huge_text_node_is_too_large_not_corrupt(tmp_path: Path) -> None:
    """A 584 KB DOCX whose document holds one 600 MB run of text failed as CORRUPT
    ("XMLSyntaxError": libxml2 takes at most 10 MB in one text node). The file is well
    formed: it is too large for its reader. 20 MB here."""
    path = make_docx(tmp_path / "huge.docx", f"<w:p><w:r><w:t>{'a' * 20_000_000}</w:t></w:r></w:p>")
    error = refused(path, sniffing.DOCX)
    assert error.code is ErrorCode.TOO_LARGE, error.message
    assert "10 MB" in error.message


def test_an_email_with_thousands_of_parts_is_too_large_at_once(tmp_path: Path) -> None:
    """A 529 KB e-mail of 10,000 MIME parts took 452 s of a parse worker (the e-mail
    parser slows with each part, and each is read). Past MAX_PARTS it is refused before it
    is parsed; one with a few parts is read."""

    def message(parts: int) -> bytes:
        body = "".join(
            f"--b\r\nContent-Type: text/plain\r\n\r\nPart {i} says hello.\r\n" for i in range(parts)
        )
        return (
            "From: a@example.org\r\nTo: b@example.org\r\nSubject: many\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="b"\r\n\r\n{body}--b--\r\n'
        ).encode()

    many = tmp_path / "many.eml"
    many.write_bytes(message(5000))
    started = time.perf_counter()
    error = refused(many, sniffing.EML)
    took = time.perf_counter() - started
    assert error.code is ErrorCode.TOO_LARGE, error.message
    assert f"{MAX_PARTS:,} parts" in error.message, (error.message, took)
    few = tmp_path / "few.eml"
    few.write_bytes(message(3))
    text = " ".join(e.text for e in parse_file(few, sniffing.EML).elements)
    assert "Part 2 says hello" in text


def test_html_nested_deeper_than_its_reader_goes_says_so(tmp_path: Path) -> None:
    """An HTML page whose text sits inside 100,000 nested `div`s failed as NO_TEXT, though
    the text is there: the HTML parser stops at 256 levels and dropped the rest. It is
    refused as TOO_LARGE, saying why; a page nested 200 deep is read."""

    def page(depth: int) -> str:
        return f"<html><body>{'<div>' * depth}<p>The hidden text is here.</p>{'</div>' * depth}"

    deep = tmp_path / "deep.html"
    deep.write_text(page(100_000))
    error = refused(deep, sniffing.HTML)
    assert error.code is ErrorCode.TOO_LARGE, error.message
    assert "255 levels deep" in error.message
    shallow = tmp_path / "shallow.html"
    shallow.write_text(page(200))
    assert [e.text for e in parse_file(shallow, sniffing.HTML).elements] == [
        "The hidden text is here."
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hi", "too short to index: it holds fewer than 3 letters or digits"),
        ("∑ ≈ ≠ ✓ 🙂", "no words to index: no letters or digits, only symbols or emoji"),
    ],
)
def test_a_document_without_enough_letters_says_which_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    """A file holding `hi` was refused as holding "only symbols, numbers or emoji": the
    reason is that it is too short."""
    path = tmp_path / "note.txt"
    path.write_text(text)
    error = refused(path, sniffing.TEXT)
    assert error.code is ErrorCode.NO_TEXT
    assert reason in error.message, error.message
