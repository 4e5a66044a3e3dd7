"""E-mail messages: the subject as the heading, who sent it to whom and when, the body,
then each attachment docent reads, under a heading named after it."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import email.utils
import logging
import re
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
#: Content-Type headers (at the start of a line, any case) past which the boundaries are
#: not read one by one: the parts are then bounded by the lines that start with "--".
_MAX_CONTENT_TYPES = 4 * MAX_PARTS
#: Distinct boundaries counted one by one (two passes over the message each); a message
#: declaring more is bounded by its "--" lines. Real ones nest a few multiparts (mixed,
#: alternative, related, and those of forwarded messages).
_MAX_BOUNDARIES = 32
#: A Content-Type header's value with its folded lines (matched in the lower-cased message).
_CONTENT_TYPE = re.compile(rb"content-type:([^\r\n]*(?:(?:\r\n|\r|\n)[ \t][^\r\n]*)*)")
#: A `boundary` parameter as the e-mail package reads it (`Message.get_boundary`): quoted,
#: or a token up to the next `;`.
_BOUNDARY = re.compile(rb';\s*boundary\s*=\s*(?:"([^"\\\r\n]*)"|([^\s;"\\]+))\s*(?=;|$)', re.I)
#: Any `boundary` parameter, RFC 2231's `boundary*` forms included.
_ANY_BOUNDARY = re.compile(rb";\s*boundary\s*[*=]", re.I)
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")

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
    if parts_at_most(data) > MAX_PARTS:
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


def parts_at_most(data: bytes) -> int:
    """At least as many as the MIME parts the e-mail package finds in the message `data`
    (an upper bound, exact for a well-formed message), or some count past MAX_PARTS when
    they are more (counting stops there), counted before it is parsed, at C
    speed (bytes.count, re; a few passes over the message: 2 s for a 98 MB one-part
    message of "--" lines, 4-8 s for 104 MB declaring 32 boundaries, load 7-8 on 2 cores).

    Each part follows a delimiter line, "--" and the boundary a Content-Type header of the
    message declares (RFC 2046 5.1.1); a line may end with CR, LF or CRLF, as the parser
    reads them. Lines that start with "--" bound the parts from above, but a body may
    have many (a signature separator, a plain-text table, a quoted diff): when they are
    more than MAX_PARTS, the delimiters of the declared boundaries are counted instead
    (each occurrence of "--" and a boundary not followed by "--", the close delimiter),
    unless a boundary is declared in a way not read here (RFC 2231's `boundary*`), or the
    message declares more than _MAX_BOUNDARIES of them or has more than
    _MAX_CONTENT_TYPES Content-Type headers: then the "--" lines are the count."""
    dashes = data.startswith(b"--") + data.count(b"\n--") + data.count(b"\r--")
    if dashes <= MAX_PARTS:
        return dashes
    boundaries = _boundaries(data)
    if boundaries is None:
        return dashes
    parts = 0
    for boundary in boundaries:
        delimiter = b"--" + boundary
        parts += data.count(delimiter) - data.count(delimiter + b"--")
        if parts > MAX_PARTS:
            break
    return parts


def _boundaries(data: bytes) -> set[bytes] | None:
    """The boundaries the message's Content-Type headers declare (a header at the start of
    a line, unfolded); None when they cannot all be read here, or are too many."""
    lowered = data.lower()  # header names are case-insensitive; same offsets as `data`
    headers = lowered.startswith(b"content-type:") + sum(
        lowered.count(line_break + b"content-type:") for line_break in (b"\n", b"\r")
    )
    if headers > _MAX_CONTENT_TYPES:
        return None
    boundaries: set[bytes] = set()
    for header in _CONTENT_TYPE.finditer(lowered):
        start = header.start()
        if start and lowered[start - 1 : start] not in (b"\r", b"\n"):
            continue  # "content-type:" within a line, not a header
        value = _LINE_BREAK.sub(b"", data[header.start(1) : header.end(1)])
        declared = _BOUNDARY.findall(value)
        if len(declared) != len(_ANY_BOUNDARY.findall(value)):
            return None
        # The parser strips a boundary's trailing white space (`get_boundary`).
        boundaries.update((quoted or token).rstrip() for quoted, token in declared)
        if len(boundaries) > _MAX_BOUNDARIES:
            return None
    return boundaries


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
