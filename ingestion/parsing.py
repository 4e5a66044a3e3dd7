"""Parsing files into elements with unstructured, offline.

The partitioner is chosen by the sniffed type, never by the extension. Text formats are
decoded by docent (`text.py`, any common encoding) and handed over as text. Every failure
becomes an `IngestionError` with a code a person can act on; nothing is silently empty.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docent.errors import ErrorCode, IngestionError
from docent.ingestion import sniffing
from docent.ingestion.chunking import Element
from docent.ingestion.text import decode_text, unwrap_lines

log = logging.getLogger(__name__)

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


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    elements: list[Element]
    page_count: int | None


SUPPORTED_TYPES = frozenset(
    {sniffing.PDF, sniffing.DOCX, sniffing.HTML, sniffing.MARKDOWN, sniffing.TEXT}
)


def check_supported(mime_type: str, description: str) -> None:
    if mime_type not in SUPPORTED_TYPES:
        readable = ", ".join(sorted(sniffing.NAMES[t] for t in SUPPORTED_TYPES))
        raise IngestionError(
            ErrorCode.UNSUPPORTED_TYPE,
            f"docent cannot read this file: it is a {description} ({mime_type}). "
            f"Supported: {readable}.",
        )


def parse_file(path: Path, mime_type: str) -> ParsedDocument:
    """Elements of the file at `path`, whose type was sniffed as `mime_type`."""
    from docent.ingestion.offline_nlp import configure_offline

    configure_offline()
    partition = _PARTITIONERS.get(mime_type)
    if partition is None:
        raise IngestionError(ErrorCode.UNSUPPORTED_TYPE, f"no parser for {mime_type}")
    try:
        raw = partition(path)
    except IngestionError:
        raise
    except Exception as exc:
        raise _classify(exc, mime_type) from exc
    elements = list(_convert(raw))
    if not any(e.text.strip() for e in elements):
        raise IngestionError(
            ErrorCode.NO_TEXT,
            f"no readable text was found in this {sniffing.NAMES.get(mime_type, mime_type)}",
        )
    pages = [e.page for e in elements if e.page is not None]
    return ParsedDocument(elements=elements, page_count=max(pages) if pages else None)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    text = decode_text(data)
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


def _partition_docx(path: Path) -> list[Any]:
    from unstructured.partition.docx import partition_docx

    return partition_docx(filename=str(path))


def _partition_pdf(path: Path) -> list[Any]:
    from unstructured.partition.pdf import partition_pdf

    _check_pdf_readable(path)
    return partition_pdf(filename=str(path), strategy="fast")


def _check_pdf_readable(path: Path) -> None:
    """The `fast` strategy returns nothing, without an error, for a PDF it cannot decrypt:
    check first, so that the reason is ENCRYPTED and not "no text"."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        # An owner password alone (empty user password) still lets anyone read the text.
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestionError(
                ErrorCode.ENCRYPTED,
                "this PDF document is password-protected; remove the password and upload it again",
            )
        len(reader.pages)
    except IngestionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise IngestionError(
            ErrorCode.CORRUPT, f"this PDF document could not be read; it may be damaged ({exc})"
        ) from exc


_PARTITIONERS: dict[str, Callable[[Path], list[Any]]] = {
    sniffing.TEXT: _partition_text,
    sniffing.MARKDOWN: _partition_markdown,
    sniffing.HTML: _partition_html,
    sniffing.DOCX: _partition_docx,
    sniffing.PDF: _partition_pdf,
}


def _convert(raw: Iterable[Any]) -> Iterable[Element]:
    items = [item for item in raw if getattr(item, "category", "Text") not in _DROPPED]
    running = Counter(
        _running_key(item) for item in items if getattr(item, "category", None) in _RUNNING
    )
    for item in items:
        category = getattr(item, "category", "Text")
        text = str(getattr(item, "text", "") or "")
        if not text.strip():
            continue
        if category in _RUNNING and running[_running_key(item)] > 1:
            continue  # a running header or footer, repeated page after page
        metadata = getattr(item, "metadata", None)
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


def _classify(exc: Exception, mime_type: str) -> IngestionError:
    """A parser's exception as a reason a person understands."""
    if isinstance(exc, (ImportError, MemoryError, RecursionError)):
        raise exc  # a broken installation or a resource limit, not a bad document
    name = type(exc).__name__
    text = f"{name}: {exc}".lower()
    kind = sniffing.NAMES.get(mime_type, mime_type)
    if "password" in text or "encrypt" in text:
        return IngestionError(
            ErrorCode.ENCRYPTED,
            f"this {kind} is password-protected; remove the password and upload it again",
        )
    log.info("parser failed on a %s: %s", mime_type, name, exc_info=True)
    return IngestionError(
        ErrorCode.CORRUPT, f"this {kind} could not be read; it may be damaged ({name})"
    )
