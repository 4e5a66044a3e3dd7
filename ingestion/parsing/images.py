"""Images (PNG, JPEG, TIFF): read by OCR, frame by frame."""

from __future__ import annotations

from pathlib import Path

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.chunking import Element
from docent.ingestion.parsing import ocr
from docent.ingestion.parsing.base import ParsedDocument, ParseLimits, Progress


def parse_image(path: Path, limits: ParseLimits, report: Progress) -> ParsedDocument:
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
                reading = ocr.read_image(frame, languages=limits.ocr_languages, page=number)
                parts = ocr.paragraphs(reading.text)
                elements.extend(
                    Element(p, "text", number, regions=r)
                    for p, r in zip(parts, ocr.paragraph_regions(reading, parts), strict=True)
                )
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
