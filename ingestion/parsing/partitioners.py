"""The partitioners of text and Office formats, by sniffed type. Text formats are decoded
by docent (`text.py`, any common encoding) first. Plain text and Markdown are read by
docent itself (`plaintext.py`, `markdown.py`) into docent's elements; the others by
unstructured, whose elements `elements.convert` maps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.parsing import markdown, plaintext, sniffing
from docent.ingestion.parsing.text import decode_text

# -- text formats ----------------------------------------------------------------------


def _read_text(path: Path) -> str:
    text = decode_text(path.read_bytes())
    if not text.strip():
        raise IngestionError(ErrorCode.EMPTY, "the file contains only whitespace")
    return text


def _partition_text(path: Path) -> list[Any]:
    return plaintext.partition_text(_read_text(path))


def _partition_markdown(path: Path) -> list[Any]:
    return markdown.partition_markdown(_read_text(path))


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


#: The partitioner of each type read by unstructured alone (PDFs, images and e-mail have
#: parsers of their own). Each returns unstructured's elements of the file at a path.
PARTITIONERS: dict[str, Callable[[Path], list[Any]]] = {
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
