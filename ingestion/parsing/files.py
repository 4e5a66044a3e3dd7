"""Parsing files into elements with unstructured, offline, under limits.

The partitioner is chosen by the sniffed type, never by the extension. Text formats are
decoded by docent (`text.py`, any common encoding). PDF pages without a usable text layer,
and images, are read by OCR. Every failure becomes an `IngestionError` with a code a person
can act on; nothing is silently empty. This runs in a child process (`isolation.py`), so a
file that hangs or eats memory costs that process, never the worker.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.chunking import Element
from docent.ingestion.parsing import ocr, sniffing
from docent.ingestion.parsing.tables import rows_from_html, table_text
from docent.ingestion.parsing.text import decode_text, unwrap_lines

log = logging.getLogger(__name__)

#: Called with (stage, done, total) while parsing, e.g. ("OCR", 3, 10).
Progress = Callable[[str, int, int], None]

#: unstructured's categories, mapped to what chunking cares about. Page numbers, and
#: headers and footers that repeat on several pages, are dropped.
_KINDS = {
    "Title": "title",
    "ListItem": "list",
    "Table": "table",
    "CodeSnippet": "code",
    "Formula": "text",
    "NarrativeText": "text",
    "UncategorizedText": "text",
    "FigureCaption": "text",
    "Address": "text",
    "EmailAddress": "text",
    "Text": "text",
    "Image": "text",
    "Header": "text",
    "Footer": "text",
}
_DROPPED = {"PageNumber", "PageBreak"}
_RUNNING = {"Header", "Footer"}

ENCRYPTED_OOXML = "application/x-encrypted-ooxml"
_ZIPPED = {sniffing.DOCX, sniffing.PPTX, sniffing.XLSX, sniffing.ODT}
_IMAGES = {sniffing.PNG, sniffing.JPEG, sniffing.TIFF}
#: What an e-mail attachment may be to be read (images need OCR: left out of e-mails).
_ATTACHMENT_TYPES = {
    sniffing.TEXT, sniffing.MARKDOWN, sniffing.HTML, sniffing.CSV, sniffing.TSV, sniffing.PDF,
    sniffing.DOCX, sniffing.PPTX, sniffing.XLSX, sniffing.ODT,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """What one document may cost. Over a limit, the document fails with TOO_LARGE."""

    max_pages: int = 2000
    max_chars: int = 20_000_000
    max_image_pixels: int = 120_000_000
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    ocr_languages: str = "eng"
    ocr_dpi: int = ocr.DEFAULT_DPI


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    elements: list[Element]
    page_count: int | None
    ocr_pages: int = 0


SUPPORTED_TYPES = frozenset(
    {
        sniffing.PDF, sniffing.DOCX, sniffing.PPTX, sniffing.XLSX, sniffing.ODT, sniffing.HTML,
        sniffing.MARKDOWN, sniffing.TEXT, sniffing.CSV, sniffing.TSV, sniffing.EML,
        *_IMAGES, ENCRYPTED_OOXML,
    }
)  # fmt: skip


def check_supported(mime_type: str, description: str) -> None:
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
    from docent.ingestion.parsing.offline_nlp import configure_offline

    configure_offline()
    limits = limits or ParseLimits()
    report = progress or (lambda stage, done, total: None)
    kind = sniffing.NAMES.get(mime_type, mime_type)
    if mime_type == ENCRYPTED_OOXML:
        raise _encrypted("Office document")
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
    if not any(e.text.strip() for e in parsed.elements):
        raise IngestionError(ErrorCode.NO_TEXT, f"no readable text was found in this {kind}")
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
        return _parse_pdf(path, limits, report)
    if mime_type in _IMAGES:
        return _parse_image(path, limits, report)
    if mime_type == sniffing.EML:
        return _parse_email(path, limits, report)
    raw = _PARTITIONERS[mime_type](path)
    elements = list(_convert(raw))
    pages = [e.page for e in elements if e.page is not None]
    return ParsedDocument(elements=elements, page_count=max(pages) if pages else None)


# -- text formats ----------------------------------------------------------------------


def _read_text(path: Path) -> str:
    text = decode_text(path.read_bytes())
    if not text.strip():
        raise IngestionError(ErrorCode.EMPTY, "the file contains only whitespace")
    return text


def _partition_text(path: Path) -> list[Any]:
    from unstructured.partition.text import partition_text

    return partition_text(text=unwrap_lines(_read_text(path)))


def _partition_markdown(path: Path) -> list[Any]:
    from unstructured.partition.md import partition_md

    return partition_md(text=_read_text(path))


def _partition_html(path: Path) -> list[Any]:
    from unstructured.partition.html import partition_html

    return partition_html(text=_read_text(path))


def _partition_delimited(path: Path) -> list[Any]:
    from unstructured.partition.csv import partition_csv

    _read_text(path)  # EMPTY before the CSV reader says something obscure
    return partition_csv(filename=str(path))


def _partition_tsv(path: Path) -> list[Any]:
    from unstructured.partition.tsv import partition_tsv

    _read_text(path)
    return partition_tsv(filename=str(path))


# -- office formats --------------------------------------------------------------------


def _partition_docx(path: Path) -> list[Any]:
    from unstructured.partition.docx import partition_docx

    return partition_docx(filename=str(path))


def _partition_pptx(path: Path) -> list[Any]:
    from unstructured.partition.pptx import partition_pptx

    return partition_pptx(filename=str(path))


def _partition_xlsx(path: Path) -> list[Any]:
    from unstructured.partition.xlsx import partition_xlsx

    return partition_xlsx(filename=str(path))


def _partition_odt(path: Path) -> list[Any]:
    from unstructured.partition.odt import partition_odt

    return partition_odt(filename=str(path))


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


# -- PDF and OCR -----------------------------------------------------------------------


def _parse_pdf(path: Path, limits: ParseLimits, report: Progress) -> ParsedDocument:
    """The text layer where a page has a readable one (fast), OCR for the other pages."""
    from unstructured.partition.pdf import partition_pdf

    page_count = _check_pdf(path, limits)
    report("PARSING", 0, page_count)
    by_page: dict[int, list[Element]] = {}
    for element in _convert(partition_pdf(filename=str(path), strategy="fast")):
        by_page.setdefault(element.page or 1, []).append(element)
    layer = {
        page: " ".join(e.text for e in by_page.get(page, [])) for page in range(1, page_count + 1)
    }
    # OCR the pages without a readable text layer, and scans (whose layer is an older OCR's:
    # the better reading of the two is kept).
    to_read = [p for p in layer if not ocr.looks_readable(layer[p])]
    to_read += sorted(ocr.scanned_pages(path) - set(to_read)) if page_count else []
    for done, page in enumerate(to_read, start=1):
        report("OCR", done - 1, len(to_read))
        image = ocr.render_pdf_page(
            path, page - 1, dpi=limits.ocr_dpi, max_pixels=limits.max_image_pixels
        )
        text = ocr.ocr_image(image, languages=limits.ocr_languages)
        if not ocr.looks_readable(layer[page]) or ocr.text_score(text) > ocr.text_score(
            layer[page]
        ):
            by_page[page] = [Element(p, "text", page) for p in ocr.paragraphs(text)]
        report("OCR", done, len(to_read))
    elements = [e for page in sorted(by_page) for e in by_page[page]]
    return ParsedDocument(elements=elements, page_count=page_count, ocr_pages=len(to_read))


def _check_pdf(path: Path, limits: ParseLimits) -> int:
    """The page count, once the PDF is known to open. `fast` partitioning returns nothing,
    without an error, for a PDF it cannot decrypt: the reason must be ENCRYPTED."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        # An owner password alone (empty user password) still lets anyone read the text.
        if reader.is_encrypted and not reader.decrypt(""):
            raise _encrypted("PDF document")
        pages = len(reader.pages)
    except IngestionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestionError(
            ErrorCode.CORRUPT, f"this PDF document could not be read; it may be damaged ({exc})"
        ) from exc
    if pages > limits.max_pages:
        raise IngestionError(
            ErrorCode.TOO_LARGE,
            f"this PDF document has {pages:,} pages, over the limit of {limits.max_pages:,} "
            "(DOCENT_MAX_PAGES)",
        )
    return pages


def _parse_image(path: Path, limits: ParseLimits, report: Progress) -> ParsedDocument:
    """OCR of every frame (a multi-page TIFF is several pages)."""
    from PIL import Image, ImageSequence

    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    try:
        with Image.open(path) as image:
            frames = getattr(image, "n_frames", 1)
            if frames > limits.max_pages:
                raise IngestionError(
                    ErrorCode.TOO_LARGE, f"this image has {frames:,} pages, over the limit"
                )
            elements: list[Element] = []
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                report("OCR", number - 1, frames)
                text = ocr.ocr_image(frame, languages=limits.ocr_languages)
                elements.extend(Element(p, "text", number) for p in ocr.paragraphs(text))
                report("OCR", number, frames)
    except Image.DecompressionBombError as exc:
        raise IngestionError(
            ErrorCode.TOO_LARGE,
            f"this image is larger than {limits.max_image_pixels:,} pixels (a decompression bomb?)",
        ) from exc
    if not elements:
        raise IngestionError(
            ErrorCode.NO_TEXT, "no text was found in this image, even by OCR (a photo?)"
        )
    return ParsedDocument(elements=elements, page_count=frames, ocr_pages=frames)


# -- e-mail ----------------------------------------------------------------------------


def _parse_email(path: Path, limits: ParseLimits, report: Progress) -> ParsedDocument:
    """The body, then each attachment docent reads, under a section named after it."""
    from unstructured.partition.email import partition_email

    elements = list(_convert(partition_email(filename=str(path), process_attachments=False)))
    with path.open("rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    if isinstance(message, EmailMessage):
        for part in message.iter_attachments():
            elements.extend(_parse_attachment(part, limits, report))
    return ParsedDocument(elements=elements, page_count=None)


def _parse_attachment(part: EmailMessage, limits: ParseLimits, report: Progress) -> list[Element]:
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
            parsed = parse_file(target, detected.mime_type, limits=limits, progress=report)
        except IngestionError as exc:
            log.info("attachment %s not read: %s", name, exc.message)
            return []
    heading = Element(f"Attachment: {name}", "title", None, 0)
    return [heading, *parsed.elements]


_PARTITIONERS: dict[str, Callable[[Path], list[Any]]] = {
    sniffing.TEXT: _partition_text,
    sniffing.MARKDOWN: _partition_markdown,
    sniffing.HTML: _partition_html,
    sniffing.CSV: _partition_delimited,
    sniffing.TSV: _partition_tsv,
    sniffing.DOCX: _partition_docx,
    sniffing.PPTX: _partition_pptx,
    sniffing.XLSX: _partition_xlsx,
    sniffing.ODT: _partition_odt,
}


# -- elements --------------------------------------------------------------------------


def _convert(raw: Iterable[Any]) -> Iterable[Element]:
    items = [item for item in raw if getattr(item, "category", "Text") not in _DROPPED]
    running = Counter(
        _running_key(item) for item in items if getattr(item, "category", None) in _RUNNING
    )
    for item in items:
        category = getattr(item, "category", "Text")
        metadata = getattr(item, "metadata", None)
        text = str(getattr(item, "text", "") or "")
        if category == "Table":
            markup = getattr(metadata, "text_as_html", None)
            rows = rows_from_html(markup) if markup else []
            text = table_text(rows) if rows else text
        if not text.strip():
            continue
        if category in _RUNNING and running[_running_key(item)] > 1:
            continue  # a running header or footer, repeated page after page
        page = getattr(metadata, "page_number", None)
        depth = getattr(metadata, "category_depth", None) or 0
        kind = _KINDS.get(category, "text")
        if kind == "title" and not looks_like_heading(text):
            kind = "text"
        yield Element(
            text=text,
            kind=kind,
            page=page if isinstance(page, int) else None,
            depth=depth if isinstance(depth, int) else 0,
        )


def _running_key(item: Any) -> str:
    """Headers and footers compare equal across pages once their numbers are ignored."""
    return re.sub(r"\d+", "#", " ".join(str(getattr(item, "text", "")).split()).lower())


def looks_like_heading(text: str) -> bool:
    """Heuristic classifiers call many short lines titles; a heading is short and does not
    read as a sentence or a fragment of one."""
    line = " ".join(text.split())
    if not line or len(line) > 120 or len(line.split()) > 15:
        return False
    if line[-1] in ".,;" and not line.endswith("..."):
        return False
    return not line[0].islower()


def _encrypted(kind: str) -> IngestionError:
    return IngestionError(
        ErrorCode.ENCRYPTED,
        f"this {kind} is password-protected; remove the password and upload it again",
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
        return _encrypted(kind)
    log.info("parser failed on a %s: %s", kind, name, exc_info=True)
    return IngestionError(
        ErrorCode.CORRUPT, f"this {kind} could not be read; it may be damaged ({name})"
    )
