"""Upload intake: content sniffing, decoding, file names, tags (pure parts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.documents import clean_filename, clean_tags
from docent.ingestion.parsing import sniffing
from docent.ingestion.parsing.elements import looks_like_heading
from docent.ingestion.parsing.text import decode_text, detect_encoding, unwrap_lines

from support.paths import DATASETS
from support.samples import HANDBOOK_MD, RECIPES_HTML, WARRANTY_PDF_PAGES, make_docx, make_pdf

TEXT = "Grüße aus Köln — naïve café, 10 €."
#: A message whose first header fields are folded over many lines.
FOLDED_HEADERS = (
    b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n"
    + b"".join(b"        h=from:to:subject:date:message-id%d;\n" % i for i in range(12))
    + b"ARC-Seal: i=1; a=rsa-sha256; t=1700000000; cv=none;\n"
    + b"".join(b"        b=abcdefghijklmnopqrstuvwxyz%d\n" % i for i in range(12))
    + b"Subject: Garage closure\nFrom: a@example.com\n\nThe garage is closed.\n"
)


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-16"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-32"), "utf-32-le"),
        ((TEXT + " Straße, Öl und Übermut in der Fußgängerzone. " * 20).encode("cp1252"), None),
    ],
)
def test_text_in_any_common_encoding(encoded: bytes, encoding: str | None) -> None:
    if encoding:
        assert detect_encoding(encoded)[0] == encoding
    assert decode_text(encoded).startswith(TEXT)


def test_decoding_never_fails_on_a_byte() -> None:
    assert "valid" in decode_text(b"valid \xff\xfe\x00 bytes \x81\x8d and more")


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("manual.bin", make_pdf(WARRANTY_PDF_PAGES), sniffing.PDF),
        ("notes.pdf", HANDBOOK_MD.encode(), sniffing.MARKDOWN),  # the extension lies
        ("handbook.md", HANDBOOK_MD.encode(), sniffing.MARKDOWN),
        ("page.txt", RECIPES_HTML.encode(), sniffing.HTML),
        ("plain.md", b"Just some words.\nAnd more words.", sniffing.MARKDOWN),
        ("plain.txt", "Just words, with umlauts: äöü.".encode("utf-16"), sniffing.TEXT),
        ("mail.txt", b"From: a@example.com\nTo: b@example.com\nSubject: hi\n\nbody", sniffing.EML),
        ("signed.eml", FOLDED_HEADERS, sniffing.EML),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, sniffing.PNG),
    ],
)
def test_type_is_decided_by_content(tmp_path: Path, name: str, content: bytes, mime: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert sniffing.sniff(path, name).mime_type == mime


def test_office_files_are_told_apart_by_their_parts(tmp_path: Path) -> None:
    docx = make_docx(tmp_path / "renamed.zip", [("Title", ["Body."])])
    assert sniffing.sniff(docx, "renamed.zip").mime_type == sniffing.DOCX


@pytest.mark.parametrize(
    ("content", "description"),
    [
        (b"PK\x05\x06" + b"\x00" * 18, "ZIP archive"),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64, "ELF executable"),
        (b"MZ\x90\x00" + b"\x00" * 64, "Windows executable"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 16, "gzip archive"),
        (bytes(range(256)) * 4, "binary data"),
    ],
)
def test_binaries_are_named(tmp_path: Path, content: bytes, description: str) -> None:
    path = tmp_path / "file.txt"
    path.write_bytes(content)
    assert description in sniffing.sniff(path, "file.txt").description


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(IngestionError) as info:
        sniffing.sniff(path, "empty.txt")
    assert info.value.code is ErrorCode.EMPTY


@pytest.mark.skipif(not DATASETS.exists(), reason="../shared/datasets is not beside the repository")
@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("pdf_fake-memo.pdf", sniffing.PDF),
        ("simple.docx", sniffing.DOCX),
        ("fake-power-point.pptx", sniffing.PPTX),
        ("stanley-cups.xlsx", sniffing.XLSX),
        ("password_protected.xlsx", "application/x-encrypted-ooxml"),
        ("fake.odt", sniffing.ODT),
        ("fake-html-cp1252.html", sniffing.HTML),
        ("umlauts-non-utf8.md", sniffing.MARKDOWN),
        ("fake-text-utf-32.txt", sniffing.TEXT),
        ("eml_fake-email.eml", sniffing.EML),
        ("img_DA-1p.png", sniffing.PNG),
        ("img_example.jpg", sniffing.JPEG),
        ("simple.zip", "application/zip"),
    ],
)
def test_real_files(name: str, mime: str) -> None:
    path = DATASETS / "messy-docs" / name
    assert sniffing.sniff(path, name).mime_type == mime


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\secret.docx", "secret.docx"),
        ("bad\x00name\x1b[31m.txt", "badname[31m.txt"),
        ("  ..hidden. ", "hidden"),
        ("", "upload"),
        (None, "upload"),
        ("a" * 400 + ".txt", "a" * 255),
    ],
)
def test_filenames_are_sanitised(raw: str | None, clean: str) -> None:
    assert clean_filename(raw) == clean


@pytest.mark.parametrize(
    ("wrapped", "joined"),
    [
        # Chinese wraps between two characters of one word: joined without a space
        ("年假规定：员工每年享有十五天带薪年假，须\n提前两周向部门经理申请，未使用的年假可以\n结转到下一年度。",
         "年假规定：员工每年享有十五天带薪年假，须提前两周向部门经理申请，未使用的年假可以结转到下一年度。"),
        # a full stop ends a paragraph in Chinese as in English
        ("报销流程：差旅费用须在出差结束后三十天内提交发票。\n信息安全：密码每九十天必须更换一次，离开座位时必须锁定。",
         None),
        # Korean separates words by spaces
        ("직원은 매년 15일의 유급 휴가를 받으며 휴가 신청은\n2주 전에 부서장에게 제출해야 합니다.",
         "직원은 매년 15일의 유급 휴가를 받으며 휴가 신청은 2주 전에 부서장에게 제출해야 합니다."),
    ],
    ids=["chinese", "chinese-sentences", "korean"],
)  # fmt: skip
def test_unwrapping_text_of_wide_characters(wrapped: str, joined: str | None) -> None:
    text = "\n\n".join([wrapped] * 4)  # a few paragraphs: the usual width is measured
    assert unwrap_lines(text).split("\n\n") == [joined or wrapped] * 4


def test_tags() -> None:
    assert clean_tags([" hr ", "hr", "2024", ""]) == ("hr", "2024")
    with pytest.raises(IngestionError.__mro__[1]):
        clean_tags(["x" * 100])
    with pytest.raises(IngestionError.__mro__[1]):
        clean_tags([f"t{i}" for i in range(30)])


def test_unwrapping_hard_wrapped_text() -> None:
    wrapped = (
        "Title line\n"
        "This paragraph was wrapped by an old editor at a fixed width of about\n"
        "seventy characters, so its sentences are cut in the middle of a line\n"
        "and must be joined again before parsing.\n"
        "- a list item stays alone\n"
        "- another item\n"
        "Short line\n"
        "and a continuation in lower case."
    )
    lines = unwrap_lines(wrapped).split("\n")
    assert lines[0] == "Title line"
    assert lines[1].startswith("This paragraph") and lines[1].endswith("before parsing.")
    assert lines[2:4] == ["- a list item stays alone", "- another item"]
    assert lines[4] == "Short line and a continuation in lower case."


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("Warranty", True),
        ("2. Installation and setup", True),
        ("Norwich City career.", False),
        ("in 2004", False),
        (
            "A very long line that goes on and on and reads like a sentence rather than a heading at all",
            False,
        ),
        ("Why docent?", True),
        ("Note:", True),
        ("a Liverpool fan.[2]", False),  # a footnote mark after the full stop
        ('He said "stop."', False),
        ("员工手册", True),
        ("第二章 信息安全", True),
        ("一、年假规定", True),
        ("年假规定：员工每年享有十五天带薪年假，须提前两周向部门经理申请。", False),
        ("年假规定：员工每年享有十五天带薪年假，须提前两周向部门经理申请", False),  # a clause
        ("员工每年享有十五天带薪年假须提前两周向部门经理申请并填写申请表", False),  # 31 characters
        ("第1章\u3000総則", True),
        ("従業員は毎年十五日の有給休暇を取得できます。", False),
        ("제3조 (연차휴가)", True),
        ("직원은 매년 15일의 유급 휴가를 받습니다.", False),
        ("คู่มือพนักงาน", True),
        ("วันลาที่ไม่ได้ใช้สามารถยกไปใช้ในปีถัดไปได้จนถึงสิ้นเดือนมีนาคม", False),  # no stops in Thai
        ("دليل الموظف", True),
        ("يجب تغيير كلمة المرور كل تسعين يوما،", False),  # Arabic comma
        ("कर्मचारी पुस्तिका", True),
        ("हर कर्मचारी को पंद्रह दिन की छुट्टी मिलती है।", False),  # Devanagari danda
    ],
)
def test_headings(text: str, heading: bool) -> None:
    assert looks_like_heading(text) is heading
