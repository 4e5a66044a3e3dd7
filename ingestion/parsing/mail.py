"""E-mail messages: the body, then each attachment docent reads, under a section named
after it."""

from __future__ import annotations

import email
import email.policy
import logging
import tempfile
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from docent.errors import IngestionError
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

#: How an attachment is parsed: `parse_file`, which parses e-mails with this module.
ParseFile = Callable[..., ParsedDocument]


def parse_email(
    path: Path, limits: ParseLimits, report: Progress, *, parse: ParseFile
) -> ParsedDocument:
    """The body, then each attachment docent reads (each parsed by `parse`); an attachment
    that cannot be read is left out, and logged."""
    from unstructured.partition.email import partition_email

    elements = list(convert(partition_email(filename=str(path), process_attachments=False)))
    with path.open("rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    if isinstance(message, EmailMessage):
        for part in message.iter_attachments():
            elements.extend(_parse_attachment(part, limits, report, parse))
    return ParsedDocument(elements=elements, page_count=None)


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
    return [heading, *parsed.elements]
