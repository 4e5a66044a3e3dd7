"""Parsing files into elements with unstructured, offline, under limits.

The parser is chosen by the sniffed type, never by the extension: text and Office formats
(`partitioners.py`: unstructured's, and docent's own for plain text, Markdown, CSV, TSV, PPTX
and XLSX), PDFs (`pdf.py`), images (`images.py`), e-mail (`mail.py`). Every
failure becomes an `IngestionError` with a code a person can act on; nothing is silently
empty. This runs in a child process (`isolation.py`), so a file that hangs or eats memory
costs that process, never the worker.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import re
import zipfile
from pathlib import Path

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.chunking import MIN_WORD_CHARS
from docent.ingestion.parsing import sniffing, word
from docent.ingestion.parsing.base import ParsedDocument, ParseLimits, Progress, encrypted
from docent.ingestion.parsing.elements import convert
from docent.ingestion.parsing.images import parse_image
from docent.ingestion.parsing.mail import parse_email
from docent.ingestion.parsing.offline_nlp import configure_offline
from docent.ingestion.parsing.partitioners import PARTITIONERS, READERS
from docent.ingestion.parsing.pdf import parse_pdf
from docent.ingestion.parsing.unicode import normalize

log = logging.getLogger(__name__)
_WORD_CHAR = re.compile(r"\w")

ENCRYPTED_OOXML = "application/x-encrypted-ooxml"
_ZIPPED = {sniffing.DOCX, sniffing.PPTX, sniffing.XLSX, sniffing.ODT}
_IMAGES = {sniffing.PNG, sniffing.JPEG, sniffing.TIFF}

SUPPORTED_TYPES = frozenset(
    {
        sniffing.PDF, sniffing.DOCX, sniffing.PPTX, sniffing.XLSX, sniffing.ODT, sniffing.HTML,
        sniffing.MARKDOWN, sniffing.TEXT, sniffing.CSV, sniffing.TSV, sniffing.EML,
        *_IMAGES, ENCRYPTED_OOXML,
    }
)  # fmt: skip


def check_supported(mime_type: str, description: str) -> None:
    """UNSUPPORTED_TYPE, naming what the file is and what docent reads, unless docent has a
    parser for `mime_type` (as `sniffing.sniff` detected it)."""
    if mime_type not in SUPPORTED_TYPES:
        readable = ", ".join(
            sorted({sniffing.NAMES[t] for t in SUPPORTED_TYPES if t in sniffing.NAMES})
        )
        raise IngestionError(
            ErrorCode.UNSUPPORTED_TYPE,
            f"docent cannot read this file: it is a {description} ({mime_type}). "
            f"Supported: {readable}.",
        )


def parse_file(
    path: Path,
    mime_type: str,
    *,
    limits: ParseLimits | None = None,
    progress: Progress | None = None,
) -> ParsedDocument:
    """Elements of the file at `path`, whose type was sniffed as `mime_type`."""
    configure_offline()
    limits = limits or ParseLimits()
    report = progress or (lambda stage, done, total: None)
    kind = sniffing.NAMES.get(mime_type, mime_type)
    if mime_type == ENCRYPTED_OOXML:
        raise encrypted("Office document")
    if mime_type not in SUPPORTED_TYPES:
        raise IngestionError(ErrorCode.UNSUPPORTED_TYPE, f"no parser for {mime_type}")
    if mime_type in _ZIPPED:
        _check_unpacked_size(path, limits, kind)
    try:
        parsed = _parse(path, mime_type, limits, report)
    except IngestionError:
        raise
    except Exception as exc:
        raise _classify(exc, kind) from exc
    parsed = _normalized(parsed)
    if not any(e.text.strip() for e in parsed.elements):
        raise IngestionError(ErrorCode.NO_TEXT, f"no readable text was found in this {kind}")
    _check_words(parsed, kind)
    chars = sum(len(e.text) for e in parsed.elements)
    if chars > limits.max_chars:
        raise IngestionError(
            ErrorCode.TOO_LARGE,
            f"this {kind} holds {chars:,} characters of text, over the limit of "
            f"{limits.max_chars:,} (DOCENT_MAX_CHARS)",
        )
    return parsed


def _parse(path: Path, mime_type: str, limits: ParseLimits, report: Progress) -> ParsedDocument:
    if mime_type == sniffing.PDF:
        return parse_pdf(path, limits, report)
    if mime_type in _IMAGES:
        return parse_image(path, limits, report)
    if mime_type == sniffing.EML:
        return parse_email(path, limits, report, parse=parse_file)
    if mime_type in READERS:
        return READERS[mime_type](path, limits)
    if mime_type == sniffing.DOCX:
        word.check_size(path, limits.max_paragraphs)
    raw = PARTITIONERS[mime_type](path)
    elements = list(convert(raw))
    pages = [e.page for e in elements if e.page is not None]
    return ParsedDocument(elements=elements, page_count=max(pages) if pages else None)


def _check_words(parsed: ParsedDocument, kind: str) -> None:
    """Raise NO_TEXT, with the true reason, for a document with fewer letters or digits
    than a chunk needs (`chunking.MIN_WORD_CHARS`): none (only symbols or emoji), or a few
    (a file holding "hi" was said to hold only symbols, numbers or emoji)."""
    found = itertools.islice(
        (m for e in parsed.elements for m in _WORD_CHAR.finditer(e.text)), MIN_WORD_CHARS
    )
    count = sum(1 for _ in found)
    if count == 0:
        raise IngestionError(
            ErrorCode.NO_TEXT,
            f"this {kind} holds no words to index: no letters or digits, only symbols or emoji",
        )
    if count < MIN_WORD_CHARS:
        raise IngestionError(
            ErrorCode.NO_TEXT,
            f"this {kind} is too short to index: it holds fewer than {MIN_WORD_CHARS} "
            "letters or digits",
        )


def _normalized(parsed: ParsedDocument) -> ParsedDocument:
    """Every parser's text as a person reads it (`unicode.normalize`); elements left empty
    (a paragraph of invisible characters) are dropped."""
    elements = []
    for element in parsed.elements:
        text = normalize(element.text)
        if text.strip():
            elements.append(
                dataclasses.replace(element, text=text) if text != element.text else element
            )
    return dataclasses.replace(parsed, elements=elements)


def _check_unpacked_size(path: Path, limits: ParseLimits, kind: str) -> None:
    """Office files are zip archives: refuse one that would unpack to more than the limit
    (a decompression bomb) before any parser opens it."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise IngestionError(
            ErrorCode.CORRUPT, f"this {kind} could not be read; it is damaged ({exc})"
        ) from exc
    unpacked = sum(info.file_size for info in entries)
    if unpacked > limits.max_unpacked_bytes or len(entries) > 100_000:
        raise IngestionError(
            ErrorCode.TOO_LARGE,
            f"this {kind} would unpack to {unpacked / 2**20:,.0f} MB in {len(entries):,} parts, "
            f"over the limit of {limits.max_unpacked_bytes / 2**20:,.0f} MB",
        )


def _classify(exc: Exception, kind: str) -> IngestionError:
    """A parser's exception as a reason a person understands."""
    if isinstance(exc, (ImportError, RecursionError)):
        raise exc  # a broken installation, not a bad document
    if isinstance(exc, MemoryError):
        return IngestionError(
            ErrorCode.TOO_LARGE,
            f"reading this {kind} needed more memory than a document may use (DOCENT_PARSE_MEMORY_MB)",
        )
    name = type(exc).__name__
    text = f"{name}: {exc}".lower()
    if "password" in text or "encrypt" in text:
        return encrypted(kind)
    log.info("parser failed on a %s: %s", kind, name, exc_info=True)
    return IngestionError(
        ErrorCode.CORRUPT, f"this {kind} could not be read; it may be damaged ({name})"
    )
