"""CSV and TSV files as tables, read by Python's `csv` module.

The text is decoded as plain text is (`text.decode_text`: a byte-order mark, UTF-16 or
UTF-32 without one, UTF-8, else the likeliest single-byte code page such as cp1252), so an
Excel "Unicode text" export or a Windows-1252 file reads as it displays. The dialect
(delimiter, quote character) is sniffed from the start of the file; a quoted delimiter or
line break stays inside its cell, and a line break inside a cell reads as a space. Every
cell is kept as written: nothing is taken for a missing value.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.parsing.base import ParsedDocument, ParseLimits
from docent.ingestion.parsing.grids import Grid, blocks, table_elements
from docent.ingestion.parsing.text import decode_text

#: Delimiters the sniffer may choose among (RFC 4180's comma; the semicolon of locales
#: whose decimal mark is a comma; tab; pipe).
DELIMITERS = ",;\t|"
#: How much of the file the dialect is sniffed from. `csv.Sniffer` takes time quadratic in
#: the quotes of its sample (64 KB of `,"a` took 76 s, 8 KB 1 s): a few hundred lines of an
#: ordinary file, and a bounded cost for an odd one.
SAMPLE_CHARS = 8 * 1024


def read_csv(path: Path, limits: ParseLimits) -> ParsedDocument:
    """The CSV file at `path` as a table, its dialect sniffed."""
    return _read(path, limits, tab_separated=False)


def read_tsv(path: Path, limits: ParseLimits) -> ParsedDocument:
    """The TSV file at `path` as a table (tab-separated, cells quoted as Excel quotes them)."""
    return _read(path, limits, tab_separated=True)


def _read(path: Path, limits: ParseLimits, *, tab_separated: bool) -> ParsedDocument:
    text = decode_text(path.read_bytes())
    if not text.strip():
        raise IngestionError(ErrorCode.EMPTY, "the file contains only whitespace")
    dialect = csv.excel_tab if tab_separated else sniff_dialect(text[:SAMPLE_CHARS])
    # A cell may be as long as the file (an unclosed quote runs to its end): read it whole.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    grid: Grid = {}
    chars = 0
    for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1):
        cells = {column: " ".join(cell.split()) for column, cell in enumerate(row, start=1)}
        cells = {column: cell for column, cell in cells.items() if cell}
        if cells:
            grid[number] = cells
            chars += sum(len(cell) + 3 for cell in cells.values())
            if chars > limits.max_chars:
                raise IngestionError(
                    ErrorCode.TOO_LARGE,
                    f"this table holds more than {limits.max_chars:,} characters of text, "
                    "over the limit (DOCENT_MAX_CHARS)",
                )
    elements = [element for rows in blocks(grid) for element in table_elements(rows)]
    return ParsedDocument(elements=elements, page_count=None)


def sniff_dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    """The dialect of a CSV file from its first lines (the sample cut at a line end, so the
    sniffer does not see half a record); Excel's (comma, double quotes) when it cannot tell,
    as for a file of a single column."""
    if len(sample) == SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel
    # The sniffer guesses the quote character from the sample's text; a quote is '"' unless
    # the file really quotes its cells with apostrophes.
    if dialect.quotechar != '"' and f"{dialect.delimiter}{dialect.quotechar}" not in sample:
        dialect.quotechar = '"'
    return dialect
