"""Section-aware chunking: pure functions from parsed elements to citable chunks.

A chunk never crosses a section boundary or a page break, keeps its page and section path,
and records character offsets into the document's text (the elements joined by a blank
line). Chunk ids derive from the document id and position, so reprocessing a document
replaces its chunks instead of duplicating them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from docent.domain import Chunk

SEPARATOR = "\n\n"
SECTION_SEPARATOR = " > "
_SENTENCE_END = re.compile(r"(?<=[.!?…。])[\"')\]]*\s+|\n+")
_WORD_CHARS = re.compile(r"\w", re.UNICODE)
#: A chunk with fewer word characters than this carries nothing worth citing.
MIN_WORD_CHARS = 3


@dataclass(frozen=True, slots=True)
class Element:
    """A unit of parsed text. `kind` is one of: title, text, list, table, code."""

    text: str
    kind: str = "text"
    page: int | None = None
    depth: int = 0  # heading level for titles, 0 = top


@dataclass(slots=True)
class _Piece:
    text: str
    kind: str
    page: int | None
    start: int  # offset in the document text


def document_text(elements: Iterable[Element]) -> str:
    """The text chunk offsets refer to."""
    return SEPARATOR.join(e.text for e in elements)


def chunk_id(document_id: str, ordinal: int) -> str:
    return f"{document_id}-{ordinal:05d}"


def chunk_elements(
    elements: Sequence[Element], *, document_id: str, size: int = 1000, overlap: int = 100
) -> list[Chunk]:
    """Split elements into chunks of about `size` characters, `overlap` shared between
    neighbours in one section. Tables and other elements that fit are never split."""
    if size < 50:
        raise ValueError("chunk size must be at least 50 characters")
    overlap = max(0, min(overlap, size // 2))
    chunks: list[Chunk] = []
    for section, pieces in _sections(elements):
        for text, members, start, end in _pack(pieces, size, overlap):
            if len(_WORD_CHARS.findall(text)) < MIN_WORD_CHARS:
                continue
            pages = [p.page for p in members if p.page is not None]
            chunks.append(
                Chunk(
                    id=chunk_id(document_id, len(chunks)),
                    document_id=document_id,
                    ordinal=len(chunks),
                    text=text,
                    page=min(pages) if pages else None,
                    page_end=max(pages) if pages else None,
                    section=section,
                    element_types=tuple(dict.fromkeys(p.kind for p in members)),
                    start_offset=start,
                    end_offset=end,
                )
            )
    return chunks


def _sections(elements: Sequence[Element]) -> Iterator[tuple[str | None, list[_Piece]]]:
    """Group elements by section. A title opens a section; a section holding only titles is
    carried into the next one, so that no chunk is a bare heading."""
    path: list[tuple[int, str]] = []
    pieces: list[_Piece] = []
    offset = 0
    for element in elements:
        text = element.text.strip()
        start = offset + (len(element.text) - len(element.text.lstrip()))
        offset += len(element.text) + len(SEPARATOR)
        if not text:
            continue
        if element.kind == "title":
            if any(p.kind != "title" for p in pieces):
                yield _section_name(path), pieces
                pieces = []
            path = [(d, t) for d, t in path if d < element.depth]
            path.append((element.depth, _one_line(text)))
        pieces.append(_Piece(text, element.kind, element.page, start))
    if pieces:
        yield _section_name(path), pieces


def _section_name(path: list[tuple[int, str]]) -> str | None:
    return SECTION_SEPARATOR.join(t for _, t in path) or None


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 200 else line[:199] + "…"


def _pack(
    pieces: list[_Piece], size: int, overlap: int
) -> Iterator[tuple[str, list[_Piece], int, int]]:
    """Greedy packing of pieces (split when one is larger than `size`) into windows."""
    units: list[_Piece] = []
    for piece in pieces:
        if len(piece.text) <= size:
            units.append(piece)
        else:
            # Leave room for the overlap carried from the previous part.
            units.extend(_split_long(piece, size - overlap))

    current: list[_Piece] = []
    carry = ""  # overlap text from the previous chunk
    carry_start = 0

    def emit() -> tuple[str, list[_Piece], int, int]:
        body = SEPARATOR.join(u.text for u in current)
        text = f"{carry} {body}" if carry else body
        start = carry_start if carry else current[0].start
        end = current[-1].start + len(current[-1].text)
        return text, list(current), start, end

    length = 0
    for unit in units:
        added = len(unit.text) + (len(SEPARATOR) if current else 0)
        pages = [u.page for u in current if u.page is not None]
        new_page = unit.page is not None and bool(pages) and unit.page != pages[-1]
        if current and (new_page or length + added + (len(carry) + 1 if carry else 0) > size):
            text, members, start, end = emit()
            yield text, members, start, end
            # A chunk stays on one page, so that its citation names the right page; the
            # overlap does not cross a page break either.
            room = min(overlap, size - len(unit.text) - 1)
            carry, carry_start = ("", 0) if new_page else _tail(text, room, end)
            current, length = [], 0
            added = len(unit.text)
        current.append(unit)
        length += added
    if current:
        yield emit()


def _split_long(piece: _Piece, size: int) -> Iterator[_Piece]:
    """Split an oversized element at sentence ends, then at spaces, then anywhere."""
    if piece.kind == "table":
        yield from _split_lines(piece, size)
        return
    buffer = ""
    buffer_start = piece.start
    for sentence, offset in _spans(piece.text, _SENTENCE_END):
        for part, part_offset in _fit(sentence, offset, size):
            if buffer and len(buffer) + 1 + len(part) > size:
                yield _Piece(buffer, piece.kind, piece.page, buffer_start)
                buffer = ""
            if not buffer:
                buffer, buffer_start = part, piece.start + part_offset
            else:
                buffer = f"{buffer} {part}"
    if buffer:
        yield _Piece(buffer, piece.kind, piece.page, buffer_start)


def _split_lines(piece: _Piece, size: int) -> Iterator[_Piece]:
    """Tables split by rows; each part repeats the header row so it reads on its own. A row
    longer than a chunk is cut at spaces."""
    lines = [line for line in piece.text.split("\n") if line.strip()]
    header, rows = (lines[0], lines[1:]) if len(lines) > 1 else ("", lines)
    if len(header) > size // 2:
        header, rows = "", lines
    room = size - (len(header) + 1 if header else 0)
    part: list[str] = []
    length = 0
    for row in rows:
        for fragment, _ in _fit(row, 0, room):
            if part and length + 1 + len(fragment) > room:
                yield _table_piece(header, part, piece)
                part, length = [], 0
            part.append(fragment)
            length += len(fragment) + (1 if length else 0)
    if part:
        yield _table_piece(header, part, piece)


def _table_piece(header: str, rows: list[str], piece: _Piece) -> _Piece:
    return _Piece("\n".join([header, *rows] if header else rows), "table", piece.page, piece.start)


def _spans(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[str, int]]:
    start = 0
    for match in pattern.finditer(text):
        if match.start() > start:
            yield text[start : match.start()], start
        start = match.end()
    if start < len(text):
        yield text[start:], start


def _fit(text: str, offset: int, size: int) -> Iterator[tuple[str, int]]:
    """Cut `text` into parts of at most `size` characters at spaces where possible."""
    while len(text) > size:
        cut = text.rfind(" ", 0, size + 1)
        if cut <= size // 2:
            cut = size
        yield text[:cut].rstrip(), offset
        rest = text[cut:]
        stripped = rest.lstrip()
        offset += cut + (len(rest) - len(stripped))
        text = stripped
    if text:
        yield text, offset


def _tail(text: str, overlap: int, end: int) -> tuple[str, int]:
    """The last ~`overlap` characters of `text`, starting at a sentence or word boundary."""
    if overlap <= 0 or len(text) <= overlap:
        return "", 0
    window = text[-overlap:]
    boundary = max((m.end() for m in _SENTENCE_END.finditer(window)), default=-1)
    if boundary <= 0 or boundary >= len(window) - 10:
        space = window.find(" ")
        boundary = space + 1 if 0 <= space < len(window) - 10 else 0
    tail = window[boundary:].strip()
    return tail, max(0, end - len(tail))
