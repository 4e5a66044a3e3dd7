"""A worker survives every file: parsing runs in a child process under a deadline and a
memory limit, and every limit ends in a stable code, never in a dead worker."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.parsing import ParseLimits, sniffing
from docent.ingestion.parsing.isolation import Isolation, parse_isolated

from support.samples import WARRANTY_PDF_PAGES, make_docx, make_pdf

pytestmark = pytest.mark.timeout(300)


async def parse(
    path: Path, mime: str, limits: ParseLimits | None = None, **isolation: float
) -> object:
    return await parse_isolated(
        path,
        mime,
        limits=limits or ParseLimits(),
        isolation=Isolation(**isolation),  # type: ignore[arg-type]
    )


async def expect(
    code: ErrorCode,
    words: str,
    path: Path,
    mime: str,
    limits: ParseLimits | None = None,
    **isolation: float,
) -> None:
    with pytest.raises(IngestionError) as info:
        await parse(path, mime, limits, **isolation)
    assert info.value.code is code, info.value.message
    assert words in info.value.message


def scanned_png(path: Path, text: str = "Invoice number 4711 is overdue") -> Path:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1400, 300), "white")
    font = ImageFont.load_default(size=48)
    ImageDraw.Draw(image).text((40, 100), text, fill="black", font=font)
    image.save(path)
    return path


async def test_a_parse_that_takes_too_long_is_stopped(tmp_path: Path) -> None:
    image = scanned_png(tmp_path / "scan.png")
    await expect(ErrorCode.TIMEOUT, "longer than 0.05 s", image, sniffing.PNG, timeout_s=0.05)
    # ... and the next document parses normally
    parsed = await parse(image, sniffing.PNG)
    assert "4711" in " ".join(e.text for e in parsed.elements)  # type: ignore[attr-defined]


async def test_a_parse_over_the_memory_limit_is_too_large(tmp_path: Path) -> None:
    # a text file whose decoding and partitioning need far more than 32 MB
    big = tmp_path / "big.txt"
    big.write_text(("many words in a long line " * 40 + "\n") * 40_000)
    await expect(ErrorCode.TOO_LARGE, "memory", big, sniffing.TEXT, memory_mb=32)


async def test_zip_bombs_are_refused_before_parsing(tmp_path: Path) -> None:
    docx = make_docx(tmp_path / "normal.docx", [("Title", ["Body."])])
    bomb = tmp_path / "bomb.docx"
    with (
        zipfile.ZipFile(docx) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("word/media/zeros.bin", b"\0" * (64 * 1024 * 1024))
    assert bomb.stat().st_size < 1024 * 1024
    limits = ParseLimits(max_unpacked_bytes=16 * 1024 * 1024)
    await expect(ErrorCode.TOO_LARGE, "would unpack to 65 MB", bomb, sniffing.DOCX, limits)


async def test_image_bombs_are_refused(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "huge.png"
    Image.new("1", (12_000, 12_000)).save(path)  # 144 megapixels in a few hundred KB
    await expect(
        ErrorCode.TOO_LARGE, "pixels", path, sniffing.PNG, ParseLimits(max_image_pixels=50_000_000)
    )


async def test_page_and_character_limits(tmp_path: Path) -> None:
    pdf = tmp_path / "manual.pdf"
    pdf.write_bytes(make_pdf(WARRANTY_PDF_PAGES))
    await expect(
        ErrorCode.TOO_LARGE,
        "3 pages, over the limit of 2",
        pdf,
        sniffing.PDF,
        ParseLimits(max_pages=2),
    )
    text = tmp_path / "long.txt"
    text.write_text("word " * 5000)
    await expect(
        ErrorCode.TOO_LARGE,
        "over the limit of 1,000",
        text,
        sniffing.TEXT,
        ParseLimits(max_chars=1000),
    )


async def test_damaged_files_are_corrupt(tmp_path: Path) -> None:
    pdf = tmp_path / "cut.pdf"
    pdf.write_bytes(make_pdf(WARRANTY_PDF_PAGES)[:300])
    await expect(ErrorCode.CORRUPT, "damaged", pdf, sniffing.PDF)
    docx = tmp_path / "cut.docx"
    docx.write_bytes(make_docx(tmp_path / "ok.docx", [("T", ["B."])]).read_bytes()[:400])
    await expect(ErrorCode.CORRUPT, "damaged", docx, sniffing.DOCX)
    garbage = tmp_path / "noise.pptx"
    with zipfile.ZipFile(garbage, "w") as archive:
        archive.writestr("[Content_Types].xml", "<nonsense")
        archive.writestr("ppt/presentation.xml", "<not xml")
    await expect(ErrorCode.CORRUPT, "could not be read", garbage, sniffing.PPTX)


async def test_progress_crosses_the_process_boundary(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []

    async def progress(stage: str, done: int, total: int) -> None:
        seen.append((stage, done, total))

    image = scanned_png(tmp_path / "scan.png")
    await parse_isolated(
        image, sniffing.PNG, limits=ParseLimits(), isolation=Isolation(), on_progress=progress
    )
    assert seen == [("OCR", 0, 1), ("OCR", 1, 1)]


def test_the_scan_is_read_by_ocr_only_where_needed(tmp_path: Path) -> None:
    """A PDF with a text page and a scanned page: only the scan is OCR-ed."""
    import asyncio

    from PIL import Image

    scan = Image.open(scanned_png(tmp_path / "scan.png", "Delivery address Baker Street 221b"))
    buffer = io.BytesIO()
    scan.save(buffer, format="PDF", resolution=150)
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for source in (make_pdf(WARRANTY_PDF_PAGES[:1]), buffer.getvalue()):
        for page in PdfReader(io.BytesIO(source)).pages:
            writer.add_page(page)
    path = tmp_path / "mixed.pdf"
    with path.open("wb") as f:
        writer.write(f)
    parsed = asyncio.run(parse(path, sniffing.PDF))
    assert parsed.ocr_pages == 1  # type: ignore[attr-defined]
    pages = {e.page: e.text for e in parsed.elements}  # type: ignore[attr-defined]
    assert "Rocket Skates" in pages[1] and "Baker Street" in pages[2]
