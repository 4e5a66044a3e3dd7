"""What every parser shares: the limits a document must stay within, the parsed result,
progress reports, and the reason given for a password-protected file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.chunking import Element
from docent.ingestion.parsing import ocr
from docent.settings import IngestionSettings

#: Called with (stage, done, total) while parsing, e.g. ("OCR", 3, 10).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """What one document may cost. Over a limit, the document fails with TOO_LARGE."""

    max_pages: int = 2000
    max_chars: int = 20_000_000
    max_image_pixels: int = 120_000_000
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    max_paragraphs: int = 50_000
    ocr_languages: str = "eng"
    ocr_dpi: int = ocr.DEFAULT_DPI

    @classmethod
    def of(cls, settings: IngestionSettings) -> ParseLimits:
        """The limits DOCENT_MAX_PAGES, DOCENT_MAX_CHARS, DOCENT_MAX_IMAGE_PIXELS,
        DOCENT_MAX_UNPACKED_MB, DOCENT_MAX_PARAGRAPHS, DOCENT_OCR_LANGUAGES and
        DOCENT_OCR_DPI set."""
        return cls(
            max_pages=settings.max_pages,
            max_chars=settings.max_chars,
            max_image_pixels=settings.max_image_pixels,
            max_unpacked_bytes=settings.max_unpacked_mb * 1024 * 1024,
            max_paragraphs=settings.max_paragraphs,
            ocr_languages=settings.ocr_languages,
            ocr_dpi=settings.ocr_dpi,
        )


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    elements: list[Element]
    page_count: int | None
    ocr_pages: int = 0
    #: The title the document gives itself (an e-mail's subject), for a document uploaded
    #: without one.
    title: str | None = None


def encrypted(kind: str) -> IngestionError:
    """ENCRYPTED, for a `kind` of document ("PDF document") that asks for a password."""
    return IngestionError(
        ErrorCode.ENCRYPTED,
        f"this {kind} is password-protected; remove the password and upload it again",
    )
