"""The parser of each text and Office format, by sniffed type: unstructured's partitioners
(`PARTITIONERS`; text formats are decoded by docent, `text.py`, first), docent's own
readers of plain text and Markdown (`plaintext.py`, `markdown.py`, returning docent's
elements, which `elements.convert` passes through), and docent's own readers of
structured formats (`READERS`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.parsing import markdown, plaintext, sniffing
from docent.ingestion.parsing.base import ParsedDocument, ParseLimits
from docent.ingestion.parsing.delimited import read_csv, read_tsv
from docent.ingestion.parsing.sheets import read_workbook
from docent.ingestion.parsing.slides import read_presentation
from docent.ingestion.parsing.text import decode_text
from docent.ingestion.parsing.word import partition_docx

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

    text = _read_text(path)
    _check_depth(text)
    return partition_html(text=text)


def _check_depth(html: str) -> None:
    """Raise TOO_LARGE when elements nest deeper than the HTML parser goes (libxml2's 256
    levels): it stops there, and the text below (a page inside 100,000 nested `div`s) was
    dropped without a word, the page failing as NO_TEXT. libxml2 stops at that depth, so
    the check costs one parse of the page's shallower part."""
    from lxml import etree

    parser = etree.HTMLParser(no_network=True)
    with contextlib.suppress(etree.LxmlError, ValueError):
        etree.fromstring(html, parser)
    if any("Excessive depth" in e.message for e in parser.error_log):
        raise IngestionError(
            ErrorCode.TOO_LARGE,
            "this HTML page nests its elements more than 255 levels deep, deeper than its "
            "reader goes: the text below that depth cannot be read",
        )


# -- office formats --------------------------------------------------------------------


def _partition_odt(path: Path) -> list[Any]:
    from unstructured.partition.odt import partition_odt

    return partition_odt(filename=str(path))


#: The partitioner of each type read by unstructured alone (PDFs, images and e-mail have
#: parsers of their own). Each returns unstructured's elements of the file at a path.
PARTITIONERS: dict[str, Callable[[Path], list[Any]]] = {
    sniffing.TEXT: _partition_text,
    sniffing.MARKDOWN: _partition_markdown,
    sniffing.HTML: _partition_html,
    sniffing.DOCX: partition_docx,
    sniffing.ODT: _partition_odt,
}

#: The reader of each type docent reads into its own elements, without unstructured: Office
#: tables and slides (`slides`, `sheets`) and delimited text (`delimited`).
READERS: dict[str, Callable[[Path, ParseLimits], ParsedDocument]] = {
    sniffing.CSV: read_csv,
    sniffing.TSV: read_tsv,
    sniffing.PPTX: read_presentation,
    sniffing.XLSX: read_workbook,
}
