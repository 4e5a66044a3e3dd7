"""PDF documents: the text layer where a page has a readable one (read by PDFium,
`pdf_lines`, laid out in paragraphs and headings by `pdf_layout`), OCR for the others."""

from __future__ import annotations

from pathlib import Path

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.chunking import Element
from docent.ingestion.parsing import ocr, pdf_layout
from docent.ingestion.parsing.base import ParsedDocument, ParseLimits, Progress, encrypted
from docent.ingestion.parsing.pdf_lines import Page, read_page


def parse_pdf(path: Path, limits: ParseLimits, report: Progress) -> ParsedDocument:
    """The text layer where a page has a readable one (fast), OCR for the other pages."""
    page_count = _check_pdf(path, limits)
    report("PARSING", 0, page_count)
    by_page = pdf_layout.elements(_text_layer(path, page_count, report))
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
        reading = ocr.read_image(image, languages=limits.ocr_languages, page=page)
        text = reading.text
        # A short text layer ("Figure 3", one line on a tall page) is not "readable" by the
        # rule above, but it is what a reader sees: OCR that reads nothing does not erase it.
        if not ocr.paragraphs(text) and layer[page].strip():
            pass
        elif not ocr.looks_readable(layer[page]) or ocr.text_score(text) > ocr.text_score(
            layer[page]
        ):
            parts = ocr.paragraphs(text)
            by_page[page] = [
                Element(p, "text", page, regions=r)
                for p, r in zip(parts, ocr.paragraph_regions(reading, parts), strict=True)
            ]
        report("OCR", done, len(to_read))
    elements = [e for page in sorted(by_page) for e in by_page[page]]
    return ParsedDocument(elements=elements, page_count=page_count, ocr_pages=len(to_read))


def _text_layer(path: Path, page_count: int, report: Progress) -> list[Page]:
    """Every page's text layer, as lines."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise IngestionError(
            ErrorCode.CORRUPT, f"this PDF document could not be read; it may be damaged ({exc})"
        ) from exc
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            try:
                pages.append(read_page(page, index + 1))
            finally:
                page.close()
            if (index + 1) % 50 == 0:
                report("PARSING", index + 1, page_count)
        return pages
    finally:
        document.close()


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
