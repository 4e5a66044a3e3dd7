"""CSV and TSV read as a spreadsheet shows them (issue 12): quoted delimiters and line
breaks stay in their cell, any common encoding reads as it displays (never CORRUPT for a
readable file), every cell is kept. Files are written here byte by byte, parsed as the
worker parses them; the last test goes through the server."""

from __future__ import annotations

import asyncio
import codecs
from pathlib import Path

import pytest

from docent.ingestion.parsing import parse_file, sniffing

from support.office import uploaded_chunks
from support.servers import DocentServer

ROOMS = "Room,Capacity,Projector\r\nAtlas,12,yes\r\nBoreal,40,no\r\nCirrus,8,yes\r\n"
ROOM_LINES = ["Room | Capacity | Projector", "Boreal | 40 | no"]
GERMAN = 'Artikel;Bezeichnung;Preis\r\n4711;"Pumpe P-40\r\nmit Motorschutz";"1.299,00 €"\r\n'
GERMAN_LINES = ["Artikel | Bezeichnung | Preis", "4711 | Pumpe P-40 mit Motorschutz | 1.299,00 €"]

#: id -> (file bytes, lines the table must read as)
CASES: dict[str, tuple[bytes, list[str]]] = {
    "UTF-16 LE with BOM (Excel's Unicode text)": (
        codecs.BOM_UTF16_LE + ROOMS.encode("utf-16-le"),
        ROOM_LINES,
    ),
    "UTF-16 BE with BOM": (codecs.BOM_UTF16_BE + ROOMS.encode("utf-16-be"), ROOM_LINES),
    "UTF-8 with BOM": (codecs.BOM_UTF8 + ROOMS.encode(), ROOM_LINES),
    "Windows-1252, semicolons, a quoted line break": (GERMAN.encode("cp1252"), GERMAN_LINES),
    "Latin-1": (
        "Name,Stadt\nJürgen Müller,Köln\nRenée Dupré,Genève\n".encode("latin-1"),
        ["Jürgen Müller | Köln", "Renée Dupré | Genève"],
    ),
    "quoted delimiters and doubled quotes": (
        b'Part,Note,Qty\nP-40,"Pump, 230 V","2"\nP-41,"The ""large"" one",1\n',
        ["P-40 | Pump, 230 V | 2", 'P-41 | The "large" one | 1'],
    ),
    "tabs in a file named .csv": (
        b"Room\tCapacity\nAtlas\t12\nBoreal\t40\n",
        ["Room | Capacity", "Boreal | 40"],
    ),
    "pipes": (b"Room|Capacity\nAtlas|12\nBoreal|40\n", ["Boreal | 40"]),
    "apostrophes are not quotes": (
        b"Name,Remark\nO'Brien,it's late\nD'Arcy,won't come\n",
        ["O'Brien | it's late", "D'Arcy | won't come"],
    ),
    "values a data-frame library reads as missing are kept": (
        b"Region,Code,Value\nNorth America,NA,N/A\nNowhere,null,#N/A\n",
        ["North America | NA | N/A", "Nowhere | null | #N/A"],
    ),
    "a title row above the table": (
        b"Stanley Cups,,\nTeam,Location,Cups\nBlues,STL,1\n",
        ["Stanley Cups", "Team | Location | Cups", "Blues | STL | 1"],
    ),
    "one column": (b"Name\nAnn\nBob\n", ["Name", "Ann", "Bob"]),
    "an unclosed quote reads to the end, not CORRUPT": (
        b'Part,Note\nP-40,"unclosed note\nP-41,second\n',
        ["P-40 | unclosed note P-41,second"],
    ),
}


def lines_of(path: Path, mime_type: str = sniffing.CSV) -> list[str]:
    return [line for e in parse_file(path, mime_type).elements for line in e.text.split("\n")]


@pytest.mark.parametrize("case", list(CASES))
def test_csv_reads_as_a_spreadsheet_shows_it(case: str, tmp_path: Path) -> None:
    content, expected = CASES[case]
    path = tmp_path / "table.csv"
    path.write_bytes(content)
    assert sniffing.sniff(path, "table.csv").mime_type == sniffing.CSV
    lines = lines_of(path)
    for line in expected:
        assert line in lines, (line, lines)
    assert not any("\\n" in line for line in lines)


def test_tsv_with_a_quoted_tab_and_line_break(tmp_path: Path) -> None:
    path = tmp_path / "table.tsv"
    path.write_bytes(b'Part\tNote\nP-40\t"tab\there"\nP-41\t"two\nlines"\n')
    lines = lines_of(path, sniffing.TSV)
    assert "P-40 | tab here" in lines
    assert "P-41 | two lines" in lines


def test_a_header_row_leads_the_table(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(ROOMS.encode())
    [table] = parse_file(path, sniffing.CSV).elements
    assert table.kind == "table"
    assert table.text.split("\n")[0] == "Room | Capacity | Projector"


@pytest.mark.e2e
def test_a_utf16_csv_with_a_quoted_line_break_through_the_server(
    docent_server: DocentServer,
) -> None:
    content = codecs.BOM_UTF16_LE + (ROOMS + GERMAN.replace(";", ",")).encode("utf-16-le")
    chunks = asyncio.run(uploaded_chunks(docent_server, "rooms.csv", content))
    lines = [line for chunk in chunks for line in chunk["text"].split("\n")]
    assert "Boreal | 40 | no" in lines
    assert "4711 | Pumpe P-40 mit Motorschutz | 1.299,00 €" in lines
