"""The work a document may make is bounded before it is read: a small file that expands
into hours of parsing (paragraphs, MIME parts) or into what its reader cannot take fails
at once with TOO_LARGE, naming the limit; a reason given is the true one."""

from __future__ import annotations

import email
import email.policy
import time
from pathlib import Path

import pytest

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.parsing import ParseLimits, sniffing
from docent.ingestion.parsing.files import parse_file
from docent.ingestion.parsing.mail import MAX_PARTS, parts_at_most

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


def mime(parts: int, *, boundary: str = "b", body: str = "", newline: str = "\r\n") -> bytes:
    """A multipart/mixed e-mail of `parts` text parts; `body` is the first part's text."""
    texts = [body or "Part 0 says hello."] + [f"Part {i} says hello." for i in range(1, parts)]
    lines = [
        "From: a@example.org", "To: b@example.org", "Subject: parts", "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"', "",
    ]  # fmt: skip
    for text in texts:
        lines += [f"--{boundary}", "Content-Type: text/plain", "", text]
    lines += [f"--{boundary}--", ""]
    return newline.join(lines).encode()


def test_an_email_whose_text_has_many_lines_starting_with_dashes_is_read(tmp_path: Path) -> None:
    """MAX_PARTS counted the lines that start with "--": a one-part e-mail quoting a diff
    (and signed "-- ") with 600 such lines was refused as TOO_LARGE. The delimiters of the
    boundary its Content-Type declares are counted: it is read; one of 501 parts is
    refused, one of 500 read."""
    diff = "\r\n".join(f"--- a/file{i}.txt\r\n-old line {i}" for i in range(600))
    quoted = tmp_path / "diff.eml"
    quoted.write_bytes(mime(1, body=f"See the diff:\r\n{diff}\r\n-- \r\nJonas"))
    text = " ".join(e.text for e in parse_file(quoted, sniffing.EML).elements)
    assert "old line 599" in text and "Jonas" in text
    over = tmp_path / "over.eml"
    over.write_bytes(mime(MAX_PARTS + 1, body=f"See the diff:\r\n{diff}"))
    error = refused(over, sniffing.EML)
    assert error.code is ErrorCode.TOO_LARGE and f"{MAX_PARTS:,} parts" in error.message
    at = tmp_path / "at.eml"
    at.write_bytes(mime(MAX_PARTS, body=f"See the diff:\r\n{diff}"))
    text = " ".join(e.text for e in parse_file(at, sniffing.EML).elements)
    assert f"Part {MAX_PARTS - 1} says hello" in text


def folded(parts: int) -> bytes:
    """Headers in odd case, the boundary parameter on a folded line, a nested multipart."""
    inner = "".join(f"--In\r\nContent-Type: text/plain\r\n\r\nInner {i}\r\n" for i in range(parts))
    return (
        "Subject: nested\r\nMIME-Version: 1.0\r\ncontent-TYPE: Multipart/Mixed;\r\n"
        ' BOUNDARY = "Out "\r\n\r\n--Out\r\nContent-Type: multipart/alternative;'
        f" boundary=In\r\n\r\n{inner}--In--\r\n--Out--\r\n"
    ).encode()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(mime(MAX_PARTS + 1), id="CRLF"),
        pytest.param(mime(MAX_PARTS + 1, newline="\n"), id="LF"),
        pytest.param(mime(MAX_PARTS + 1, newline="\r"), id="CR only"),
        pytest.param(mime(MAX_PARTS + 1, boundary="-"), id="a boundary of dashes"),
        pytest.param(folded(MAX_PARTS + 1), id="folded, nested, odd case"),
        pytest.param(mime(MAX_PARTS + 1).replace(b'boundary="b"', b"boundary*0=b"), id="RFC 2231"),
    ],
)
def test_the_part_count_is_never_below_the_parsers(data: bytes) -> None:
    """However the boundaries are declared and the lines end (the parser reads CR alone as
    a line break: lines starting "\\r--" were not counted), a message in which the e-mail
    package finds more than MAX_PARTS parts is counted past MAX_PARTS before it is parsed,
    so it never reaches the parser."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    found = sum(1 for _ in message.walk()) - 1  # the message itself is not a part
    assert found > MAX_PARTS
    assert parts_at_most(data) > MAX_PARTS  # counting stops once past the limit


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
