"""Issue 12, text fidelity of three kinds, each table-driven, each parsed as the worker
parses (`parse_file`) and uploaded through a real server: tables split over chunks
(Markdown, HTML), e-mail headers, and text in scripts without spaces or without case
(Chinese, Japanese, Korean, Thai, Arabic)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from docent.ingestion.chunking import Element, chunk_elements, document_text
from docent.ingestion.parsing import parse_file, sniffing

from support.chunks import document, every_chunk, folded, keyword_hits, offset_problems
from support.servers import DocentServer, upload_ok, wait_ready


def parse(tmp_path: Path, name: str, content: bytes) -> list[Element]:
    path = tmp_path / name
    path.write_bytes(content)
    return parse_file(path, sniffing.sniff(path, name).mime_type).elements


async def ingest(server: DocentServer, name: str, content: bytes, **kw: Any) -> str:
    """Upload a file; its document id once it is READY."""
    payload = await upload_ok(server, name, content, **kw)
    document_id = payload["document"]["id"]
    last = (await wait_ready(server, document_id, timeout=300))[-1]
    assert last["status"] == "READY", last
    return document_id


def ingest_all(server: DocentServer, files: dict[str, bytes]) -> dict[str, str]:
    async def run() -> dict[str, str]:
        ids = await asyncio.gather(*(ingest(server, n, c) for n, c in files.items()))
        return dict(zip(files, ids, strict=True))

    return asyncio.run(run())


# -- tables split over chunks -----------------------------------------------------------

PARTS = ["Hex bolt M8", "Washer 8 mm", "Lock nut M8", "Wall plug", "Wood screw 4x40"]


def part_rows(count: int) -> list[list[str]]:
    return [
        [f"P-{1000 + i}", PARTS[i % 5], f"{0.05 * (i + 1):.2f}", f"Supplier {chr(65 + i % 7)}"]
        for i in range(count)
    ]


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def html_table(header: list[str], rows: list[list[str]], *, head: str) -> str:
    cells = "".join(f"<th>{c}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if head == "thead":
        return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"
    return f"<table><tr>{cells}</tr>{body}</table>"


HEADER = ["Part number", "Description", "Unit price", "Supplier"]
LONG_HEADER = ["Code", "Specification", "Notes"]
LONG_ROWS = [
    [f"S-{i}", f"Stainless steel fitting grade {i} for pressure lines up to {10 * i} bar",
     f"Inspect every {i + 2} months and replace the gasket when the seal shows wear"]
    for i in range(30)
]  # fmt: skip
#: name -> (file content, header row, data rows): tables too large for one chunk.
TABLES: dict[str, tuple[bytes, list[str], list[list[str]]]] = {
    "parts.md": (
        f"# Parts catalogue\n\nPrices are per unit.\n\n{markdown_table(HEADER, part_rows(80))}\n"
        "\n## Ordering\n\nOrder through the purchasing portal.\n".encode(),
        HEADER,
        part_rows(80),
    ),
    "specs.md": (
        f"# Fittings\n\n{markdown_table(LONG_HEADER, LONG_ROWS)}\n".encode(),
        LONG_HEADER,
        LONG_ROWS,
    ),
    "parts-thead.html": (
        f"<html><body><h1>Parts catalogue</h1><p>Prices are per unit.</p>"
        f"{html_table(HEADER, part_rows(70), head='thead')}</body></html>".encode(),
        HEADER,
        part_rows(70),
    ),
    "parts-th.html": (
        f"<html><body><h2>Stock</h2>{html_table(HEADER, part_rows(50), head='th')}"
        "<p>Counted on Monday.</p></body></html>".encode(),
        HEADER,
        part_rows(50),
    ),
}


def check_table_chunks(
    chunks: list[tuple[str, str | None]], header: list[str], rows: list[list[str]]
) -> None:
    """Every chunk holding rows starts with the header row (below the section's heading,
    in the chunk where the table starts under it); rows are whole lines, every one of them
    indexed, in order."""
    header_line = " | ".join(header)
    wanted = [" | ".join(row) for row in rows]
    seen: list[str] = []
    holding = [(t, s) for t, s in chunks if any(line in wanted for line in t.split("\n"))]
    assert len(holding) > 1, "the table was meant to span several chunks"
    for text, section in holding:
        lines = text.split("\n")
        assert header_line in lines, text
        above, lines = lines[: lines.index(header_line)], lines[lines.index(header_line) :]
        assert above in ([], [(section or "").split(" > ")[-1], ""]), text
        table_lines = [line for line in lines[1:] if " | " in line]
        assert all(line in wanted for line in table_lines), text  # whole rows, nothing glued
        seen += [line for line in table_lines if line not in seen]
    assert seen == wanted


@pytest.mark.parametrize("name", sorted(TABLES))
def test_split_tables_parse_into_chunks_with_their_header(tmp_path: Path, name: str) -> None:
    content, header, rows = TABLES[name]
    elements = parse(tmp_path, name, content)
    chunks = chunk_elements(elements, document_id="d", size=1000, overlap=100)
    check_table_chunks([(c.text, c.section) for c in chunks], header, rows)
    text = document_text(elements)
    header_line = " | ".join(header) + "\n"
    for chunk in chunks:
        span = text[chunk.start_offset : chunk.end_offset]
        assert chunk.text in (span, header_line + span), chunk


@pytest.fixture(scope="module")
def tables(docent_server: DocentServer) -> dict[str, str]:
    return ingest_all(docent_server, {name: spec[0] for name, spec in TABLES.items()})


@pytest.mark.e2e
@pytest.mark.parametrize("name", sorted(TABLES))
def test_split_tables_through_the_server(
    docent_server: DocentServer, tables: dict[str, str], name: str
) -> None:
    _, header, rows = TABLES[name]
    chunks = asyncio.run(every_chunk(docent_server, tables[name]))
    check_table_chunks([(c["text"], c["section"]) for c in chunks], header, rows)
    assert offset_problems(chunks) == []
    row = " | ".join(rows[len(rows) // 2])
    hits = asyncio.run(keyword_hits(docent_server, tables[name], rows[len(rows) // 2][0]))
    assert any(row in h["chunk"]["text"].split("\n") for h in hits), hits


# -- e-mail -----------------------------------------------------------------------------

WHEN = datetime(2026, 3, 11, 8, 30, tzinfo=timezone(timedelta(hours=1)))


def mail(
    *,
    subject: str | None,
    sender: str,
    to: str,
    cc: str | None = None,
    bcc: str | None = None,
    body: str = "",
    html: str | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    message = EmailMessage()
    if subject is not None:
        message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    if bcc:
        message["Bcc"] = bcc
    message["Date"] = format_datetime(WHEN)
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    if attachment:
        message.add_attachment(
            attachment[1], maintype="text", subtype="plain", filename=attachment[0]
        )
    return bytes(message)


#: name -> (message, its title, lines its text must hold, a KEYWORD query that must find it)
MAILS: dict[str, tuple[bytes, str, list[str], str]] = {
    "garage.eml": (
        mail(
            subject="Garage closure on Friday",
            sender="Facilities Team <facilities@example.com>",
            to="All Staff <staff@example.com>",
            cc="Ana Ruiz <ana.ruiz@example.com>",
            bcc="Security Desk <security@example.com>",
            body="The underground car park is closed for resurfacing. Park at the depot.",
        ),
        "Garage closure on Friday",
        [
            "From: Facilities Team <facilities@example.com>",
            "To: All Staff <staff@example.com>",
            "Cc: Ana Ruiz <ana.ruiz@example.com>",
            "Bcc: Security Desk <security@example.com>",
            "Date: Wed, 11 Mar 2026 08:30:00 +0100 (Wednesday 11 March 2026, 08:30)",
        ],
        "garage closure",
    ),
    "encoded.eml": (
        mail(
            subject="Schließung der Tiefgarage am Freitag",
            sender="Jürgen Groß <j.gross@example.de>",
            to="Büro <buero@example.de>, Lena Maier <lena@example.de>",
            body="Text version.",
            html="<p>Die Tiefgarage ist am Freitag geschlossen.</p>",
        ),
        "Schließung der Tiefgarage am Freitag",
        [
            "From: Jürgen Groß <j.gross@example.de>",
            "To: Büro <buero@example.de>, Lena Maier <lena@example.de>",
        ],
        "Jürgen Groß",
    ),
    "no-subject.eml": (
        mail(subject=None, sender="night.desk@example.com", to="ops@example.com", body="Boiler 3 tripped at 02:10 and was reset."),
        "no-subject.eml",
        ["From: night.desk@example.com", "To: ops@example.com", "Boiler 3 tripped"],
        "night desk",
    ),
    "with-attachment.eml": (
        mail(
            subject="Minutes of the safety committee",
            sender="Secretary <secretary@example.com>",
            to="Committee <committee@example.com>",
            body="Please find the minutes attached.",
            attachment=("minutes.txt", b"The fire drill is moved to the second Tuesday of May."),
        ),
        "Minutes of the safety committee",
        ["From: Secretary <secretary@example.com>", "fire drill is moved"],
        "safety committee minutes",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MAILS))
def test_mail_headers_are_parsed_with_the_body(tmp_path: Path, name: str) -> None:
    content, title, lines, _ = MAILS[name]
    path = tmp_path / name
    path.write_bytes(content)
    parsed = parse_file(path, sniffing.EML)
    text = document_text(parsed.elements)
    assert all(line in text for line in lines), text
    if title == name:
        assert parsed.title is None
    else:
        assert parsed.title == title
        assert parsed.elements[0] == Element(title, "title", None, 0)


@pytest.fixture(scope="module")
def mails(docent_server: DocentServer) -> dict[str, str]:
    return ingest_all(docent_server, {name: spec[0] for name, spec in MAILS.items()})


@pytest.mark.e2e
@pytest.mark.parametrize("name", sorted(MAILS))
def test_mail_is_found_by_subject_sender_and_body(
    docent_server: DocentServer, mails: dict[str, str], name: str
) -> None:
    _, title, lines, query = MAILS[name]
    record = asyncio.run(document(docent_server, mails[name]))
    assert record["title"] == title
    chunks = asyncio.run(every_chunk(docent_server, mails[name]))
    indexed = folded(" ".join(c["text"] for c in chunks))
    assert all(folded(line) in indexed for line in lines), indexed
    if title != name:
        assert all(c["section"].startswith(title) for c in chunks), chunks
    hits = asyncio.run(keyword_hits(docent_server, mails[name], query))
    assert hits, query


@pytest.mark.e2e
def test_a_title_given_at_upload_wins_over_the_subject(docent_server: DocentServer) -> None:
    content = MAILS["garage.eml"][0]

    async def run() -> dict[str, Any]:
        payload = await upload_ok(
            docent_server, "garage-copy.eml", content + b"\n", title="Parking notice"
        )
        await wait_ready(docent_server, payload["document"]["id"], timeout=300)
        return await document(docent_server, payload["document"]["id"])

    record = asyncio.run(run())
    assert (record["status"], record["title"]) == ("READY", "Parking notice")


# -- scripts without spaces or without case ---------------------------------------------

ZH = [
    "年假规定：员工每年享有十五天带薪年假，须提前两周向部门经理申请，未使用的年假可以结转到下一年度的三月底。",
    "报销流程：差旅费用须在出差结束后三十天内提交发票，由财务部审核后支付，超过五千元的报销须由总经理签字批准。",
    "密码每九十天必须更换一次，离开座位时必须锁定屏幕，禁止将公司笔记本电脑借给他人使用。",
]


def wrapped(paragraph: str, width: int = 20) -> str:
    return "\n".join(paragraph[i : i + width] for i in range(0, len(paragraph), width))


#: name -> (content, [(heading, [its paragraphs])], a KEYWORD query): the headings must be
#: the sections of the paragraphs under them, and no paragraph a heading.
SCRIPTS: dict[str, tuple[str, list[tuple[str, list[str]]], str]] = {
    "chinese.txt": (
        f"员工手册\n\n{ZH[0]}\n\n{ZH[1]}\n\n第二章 信息安全\n\n{ZH[2]}\n",
        [("员工手册", ZH[:2]), ("第二章 信息安全", ZH[2:])],
        "年假",
    ),
    "chinese-wrapped.txt": (
        f"员工手册\n\n{wrapped(ZH[0])}\n\n{wrapped(ZH[1])}\n\n第二章 信息安全\n\n{wrapped(ZH[2])}\n",
        [("员工手册", ZH[:2]), ("第二章 信息安全", ZH[2:])],
        "结转",  # cut by the wrap: "可以\n结转"
    ),
    "chinese.md": (
        f"# 员工手册\n\n{ZH[0]}\n\n{ZH[1]}\n\n## 第二章 信息安全\n\n{ZH[2]}\n",
        [("员工手册", ZH[:2]), ("第二章 信息安全", ZH[2:])],
        "报销",
    ),
    "chinese.html": (
        f"<html><body><h1>员工手册</h1><p>{ZH[0]}</p><div>{ZH[1]}</div>"
        f"<h2>第二章 信息安全</h2><p>{ZH[2]}</p></body></html>",
        [("员工手册", ZH[:2]), ("第二章 信息安全", ZH[2:])],
        "密码",
    ),
    "japanese.txt": (
        "第1章　休暇\n\n従業員は毎年十五日の有給休暇を取得できます。申請は二週間前までに部長に提出してください。\n\n"
        "未使用の休暇は翌年三月末まで繰り越すことができます。\n\n第2章　情報セキュリティ\n\n"
        "パスワードは九十日ごとに変更しなければなりません。\n",
        [
            ("第1章 休暇", ["従業員は毎年十五日の有給休暇を取得できます。", "未使用の休暇は翌年三月末まで繰り越すことができます"]),
            ("第2章 情報セキュリティ", ["パスワードは九十日ごとに変更しなければなりません。"]),
        ],
        "有給休暇",
    ),
    "korean.txt": (
        "제1장 휴가\n\n직원은 매년 15일의 유급 휴가를 받습니다. 휴가 신청은 2주 전에 부서장에게 제출해야 합니다.\n\n"
        "사용하지 않은 휴가는 다음 해 3월 말까지 이월할 수 있습니다.\n\n제2장 정보 보안\n\n"
        "비밀번호는 90일마다 변경해야 합니다.\n",
        [
            ("제1장 휴가", ["직원은 매년 15일의 유급 휴가를", "사용하지 않은 휴가는"]),
            ("제2장 정보 보안", ["비밀번호는 90일마다 변경해야 합니다."]),
        ],
        "비밀번호는",
    ),
    "thai.txt": (
        "คู่มือพนักงาน\n\nพนักงานทุกคนมีสิทธิ์ลาพักร้อนได้ปีละสิบห้าวัน โดยต้องแจ้งหัวหน้างานล่วงหน้าอย่างน้อยสองสัปดาห์\n\n"
        "วันลาที่ไม่ได้ใช้สามารถยกไปใช้ในปีถัดไปได้จนถึงสิ้นเดือนมีนาคม\n",
        [("คู่มือพนักงาน", ["พนักงานทุกคนมีสิทธิ์ลาพักร้อน", "วันลาที่ไม่ได้ใช้"])],
        "พนักงานทุกคนมีสิทธิ์ลาพักร้อนได้ปีละสิบห้าวัน",
    ),
    "arabic.txt": (
        "دليل الموظف\n\nيحصل كل موظف على خمسة عشر يوما من الإجازة السنوية المدفوعة، ويجب تقديم الطلب قبل أسبوعين.\n\n"
        "يجب تغيير كلمة المرور كل تسعين يوما،\n",
        [("دليل الموظف", ["يحصل كل موظف", "يجب تغيير كلمة المرور"])],
        "الإجازة",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_paragraphs_without_spaces_or_case_are_not_headings(tmp_path: Path, name: str) -> None:
    content, outline, _ = SCRIPTS[name]
    elements = parse(tmp_path, name, content.encode())
    titles = [" ".join(e.text.split()) for e in elements if e.kind == "title"]
    assert titles == [heading for heading, _ in outline]
    for _, paragraphs in outline:
        for paragraph in paragraphs:
            [holder] = [e for e in elements if paragraph in e.text]
            assert holder.kind != "title", holder


@pytest.fixture(scope="module")
def scripts(docent_server: DocentServer) -> dict[str, str]:
    return ingest_all(docent_server, {n: spec[0].encode() for n, spec in SCRIPTS.items()})


@pytest.mark.e2e
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_sections_of_text_without_spaces_or_case(
    docent_server: DocentServer, scripts: dict[str, str], name: str
) -> None:
    _, outline, query = SCRIPTS[name]
    chunks = asyncio.run(every_chunk(docent_server, scripts[name]))
    for heading, paragraphs in outline:
        for paragraph in paragraphs:
            holders = [c for c in chunks if paragraph in c["text"]]
            assert holders, (paragraph, chunks)
            assert all(c["section"].split(" > ")[-1] == heading for c in holders), holders
    assert offset_problems(chunks) == []
    hits = asyncio.run(keyword_hits(docent_server, scripts[name], query))
    assert any(query in h["chunk"]["text"] for h in hits), (query, hits)
