"""PDF documents: the text layer where a page has a readable one, OCR for the others."""

from __future__ import annotations

from pathlib import Path

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.chunking import Element
from docent.ingestion.parsing import ocr
from docent.ingestion.parsing.base import ParsedDocument, ParseLimits, Progress, encrypted
from docent.ingestion.parsing.elements import convert


def parse_pdf(path: Path, limits: ParseLimits, report: Progress) -> ParsedDocument:
    """The text layer where a page has a readable one (fast), OCR for the other pages."""
    from unstructured.partition.pdf import partition_pdf

    page_count = _check_pdf(path, limits)
    report("PARSING", 0, page_count)
    by_page: dict[int, list[Element]] = {}
    for element in convert(partition_pdf(filename=str(path), strategy="fast")):
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
            raise encrypted("PDF document")
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
