"""E-mail messages: the subject as the heading, who sent it to whom and when, the body,
then each attachment docent reads, under a heading named after it."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import email.utils
import logging
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from email.message import EmailMessage, Message
from pathlib import Path

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.chunking import Element
from docent.ingestion.parsing import sniffing
from docent.ingestion.parsing.base import ParsedDocument, ParseLimits, Progress
from docent.ingestion.parsing.elements import convert

log = logging.getLogger(__name__)

#: What an e-mail attachment may be to be read (images need OCR: left out of e-mails).
_ATTACHMENT_TYPES = {
    sniffing.TEXT, sniffing.MARKDOWN, sniffing.HTML, sniffing.CSV, sniffing.TSV, sniffing.PDF,
    sniffing.DOCX, sniffing.PPTX, sniffing.XLSX, sniffing.ODT,
}  # fmt: skip

#: The headers a person knows a message by, as they are labelled in the indexed text.
_PEOPLE = (("From", "from"), ("To", "to"), ("Cc", "cc"), ("Bcc", "bcc"))
#: A subject longer than this (a title is at most 300 characters) is cut.
MAX_SUBJECT_CHARS = 300
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

#: Parts (bodies, alternatives, attachments) an e-mail may have, counted before it is
#: parsed (more: TOO_LARGE). The e-mail package's parser slows with each part and each part
#: is read on its own: 10,000 parts (a 529 KB file) held a parse worker for 452 s.
MAX_PARTS = 500

#: How an attachment is parsed: `parse_file`, which parses e-mails with this module.
ParseFile = Callable[..., ParsedDocument]


def parse_email(
    path: Path, limits: ParseLimits, report: Progress, *, parse: ParseFile
) -> ParsedDocument:
    """The subject (the document's title, and the heading of what follows), a block of
    From, To, Cc, Bcc and Date lines, the body, then each attachment docent reads (each parsed
    by `parse`); an attachment that cannot be read is left out, and logged."""
    from unstructured.partition.email import partition_email

    data = path.read_bytes()
    # Each part follows a delimiter line ("--" and the boundary): lines that start with
    # "--" bound the parts from above, counted at C speed before anything is parsed.
    if data.startswith(b"--") + data.count(b"\n--") > MAX_PARTS:
        raise IngestionError(
            ErrorCode.TOO_LARGE,
            f"this e-mail has more than {MAX_PARTS:,} parts (attachments, alternatives)",
        )
    message = email.message_from_bytes(data, policy=email.policy.default)
    subject = _one_line(_header(message, "subject"))[:MAX_SUBJECT_CHARS] or None
    elements = [Element(subject, "title", None, 0)] if subject else []
    if people := _envelope(message):
        elements.append(Element(people, "text", None, 0))
    body = convert(partition_email(filename=str(path), process_attachments=False))
    elements.extend(_under_subject(body))
    if isinstance(message, EmailMessage):
        for part in message.iter_attachments():
            elements.extend(_under_subject(_parse_attachment(part, limits, report, parse)))
    return ParsedDocument(elements=elements, page_count=None, title=subject)


def _envelope(message: Message) -> str:
    """ "From: …", "To: …", "Cc: …" and "Date: …" lines, those the message has."""
    lines = []
    for label, name in _PEOPLE:
        addresses = email.utils.getaddresses([_header(message, name)])
        people = ", ".join(_person(n, a) for n, a in addresses if n or a)
        if people:
            lines.append(f"{label}: {people}")
    if date := _date(_header(message, "date")):
        lines.append(f"Date: {date}")
    return "\n".join(lines)


def _header(message: Message, name: str) -> str:
    """A header's decoded value ("" when absent); every value of a repeated one, joined."""
    try:
        values = message.get_all(name) or []
        return ", ".join(str(v) for v in values)
    except (ValueError, TypeError, LookupError, AttributeError):
        # A header too malformed for the e-mail package to decode is left out.
        return ""


def _person(name: str, address: str) -> str:
    name = _one_line(name)
    if name and address and name != address:
        return f"{name} <{address}>"
    return name or address


def _date(value: str) -> str | None:
    """A Date header as it stands, followed by the date as people write it, so that its
    words can be searched: "Fri, 13 Mar 2026 09:00:00 +0100 (Friday 13 March 2026, 09:00)"."""
    value = _one_line(value)
    if not value:
        return None
    try:
        when: datetime = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return value
    day = f"{_DAYS[when.weekday()]} {when.day} {_MONTHS[when.month - 1]} {when.year}"
    return f"{value} ({day}, {when:%H:%M})"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _under_subject(elements: Iterable[Element]) -> list[Element]:
    """`elements` with their headings one level down: below the subject, so that a chunk's
    section is the subject, then the body's or an attachment's own headings."""
    return [dataclasses.replace(e, depth=e.depth + 1) if e.kind == "title" else e for e in elements]


def _parse_attachment(
    part: EmailMessage, limits: ParseLimits, report: Progress, parse: ParseFile
) -> list[Element]:
    name = part.get_filename() or "attachment"
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload.strip():
        return []
    with tempfile.TemporaryDirectory(prefix="docent-attachment-") as tmp:
        target = Path(tmp) / "attachment"
        target.write_bytes(payload)
        try:
            detected = sniffing.sniff(target, name)
            if detected.mime_type not in _ATTACHMENT_TYPES:
                log.info("attachment %s (%s) skipped", name, detected.description)
                return []
            parsed = parse(target, detected.mime_type, limits=limits, progress=report)
        except IngestionError as exc:
            log.info("attachment %s not read: %s", name, exc.message)
            return []
    heading = Element(f"Attachment: {name}", "title", None, 0)
    return [heading, *_under_subject(parsed.elements)]
