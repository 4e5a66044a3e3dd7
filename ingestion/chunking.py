"""Section-aware chunking: pure functions from parsed elements to citable chunks.

A chunk never crosses a section boundary or a page break and keeps its page and section
path. Its text is a span of the document's text (`document_text`: the elements joined by a
blank line), so its offsets say exactly where it comes from; neighbours in a section share
an overlap of whole sentences or words. Tables that fit in a chunk stay whole; a larger one
starts a chunk of its own and is split between rows, and each later part begins with the
table's header row, repeated: the one text of a chunk outside its span (see
`docent.domain.Chunk`). Chunk ids derive from the document id and position, so reprocessing
a document replaces its chunks instead of duplicating them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from docent.domain import Chunk, Region

SEPARATOR = "\n\n"
SECTION_SEPARATOR = " > "
#: Where a sentence ends: after . ! ? … and white space, after the full-width stops of
#: Chinese and Japanese (written without a space after them), or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|(?<=[。！？])[」』”’）]*\s*|\n+")
#: A chunk with fewer word characters than this carries nothing worth citing.
MIN_WORD_CHARS = 3
_ENOUGH_WORD_CHARS = re.compile(r"\w" + r"\W*\w" * (MIN_WORD_CHARS - 1))
#: An overlap shorter than this (a word or two) gives the next chunk no useful context.
_MIN_CARRY = 10


@dataclass(frozen=True, slots=True)
class Element:
    """A unit of parsed text. `kind` is one of: title, text, list, table, code."""

    text: str
    kind: str = "text"
    page: int | None = None
    depth: int = 0  # heading level for titles, 0 = top
    #: Where the element is drawn (PDF text layer, OCR); empty when the format has no pages.
    regions: tuple[Region, ...] = ()


@dataclass(frozen=True, slots=True)
class _Piece:
    """An element's text, stripped, and where it starts in the document text."""

    text: str
    kind: str
    page: int | None
    start: int
    regions: tuple[Region, ...] = ()


@dataclass(frozen=True, slots=True)
class _Unit:
    """What packing never cuts: the document text's span [start, end)."""

    start: int
    end: int
    kind: str
    page: int | None
    #: The first unit of a table too large for one chunk: it starts a chunk.
    opens: bool = False
    #: Later rows of such a table: the header row a chunk starting with them repeats.
    header: str | None = None
    #: For those rows: the table's start, and whether the unit starts a row (a row longer
    #: than a chunk is cut into several units).
    table: int = -1
    row_start: bool = False


@dataclass(frozen=True, slots=True)
class _Window:
    prefix: str  # a table's header row and a newline, repeated; or ""
    start: int
    end: int
    members: list[_Unit]


def document_text(elements: Iterable[Element]) -> str:
    """The text chunk offsets refer to."""
    return SEPARATOR.join(e.text for e in elements)


def chunk_id(document_id: str, ordinal: int) -> str:
    return f"{document_id}-{ordinal:05d}"


def chunk_elements(
    elements: Sequence[Element], *, document_id: str, size: int = 1000, overlap: int = 100
) -> list[Chunk]:
    """Split elements into chunks of at most `size` characters, up to `overlap` shared
    between neighbours in one section. Tables and other elements that fit are never split.
    Raises ValueError for a `size` under 50."""
    if size < 50:
        raise ValueError("chunk size must be at least 50 characters")
    overlap = max(0, min(overlap, size // 2))
    text = document_text(elements)
    chunks: list[Chunk] = []
    for section, pieces in _sections(elements):
        for window in _pack(text, pieces, size, overlap):
            body = window.prefix + text[window.start : window.end]
            if not _ENOUGH_WORD_CHARS.search(body):
                continue
            pages = [u.page for u in window.members if u.page is not None]
            chunks.append(
                Chunk(
                    id=chunk_id(document_id, len(chunks)),
                    document_id=document_id,
                    ordinal=len(chunks),
                    text=body,
                    page=min(pages) if pages else None,
                    page_end=max(pages) if pages else None,
                    section=section,
                    element_types=tuple(dict.fromkeys(u.kind for u in window.members)),
                    start_offset=window.start,
                    end_offset=window.end,
                    regions=merge_regions(
                        r
                        for p in pieces
                        if p.start < window.end and window.start < p.start + len(p.text)
                        for r in p.regions
                    ),
                )
            )
    return chunks


def merge_regions(regions: Iterable[Region]) -> tuple[Region, ...]:
    """`regions` with the boxes of one page that overlap (or touch) merged into the box
    that holds both, by page then from the top; a chunk's elements make one box per
    paragraph or column, not one box over the whole page."""
    merged: list[Region] = []
    for region in sorted(set(regions), key=lambda r: (r.page, r.y0, r.x0)):
        for i, box in enumerate(merged):
            if (
                box.page == region.page
                and region.x0 <= box.x1
                and box.x0 <= region.x1
                and region.y0 <= box.y1 + 0.005
                and box.y0 <= region.y1 + 0.005
            ):
                merged[i] = Region(
                    box.page,
                    min(box.x0, region.x0),
                    min(box.y0, region.y0),
                    max(box.x1, region.x1),
                    max(box.y1, region.y1),
                )
                break
        else:
            merged.append(region)
    return tuple(merged)


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
        pieces.append(_Piece(text, element.kind, element.page, start, element.regions))
    if pieces:
        yield _section_name(path), pieces


def _section_name(path: list[tuple[int, str]]) -> str | None:
    return SECTION_SEPARATOR.join(t for _, t in path) or None


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 200 else line[:199] + "…"


def _pack(text: str, pieces: list[_Piece], size: int, overlap: int) -> Iterator[_Window]:
    """Greedy packing of a section's units into windows of at most `size` characters."""
    current: list[_Unit] = []
    start = 0  # of the current window, its overlap included
    prefix = ""
    page: int | None = None  # the current window's
    for unit in (u for piece in pieces for u in _units(piece, size, overlap)):
        if current:
            # A chunk stays on one page, so that its citation names the right page; the
            # overlap does not cross a page break either.
            new_page = unit.page is not None and page is not None and unit.page != page
            opens = unit.opens and any(u.kind != "title" for u in current)
            if new_page or opens or len(prefix) + unit.end - start > size:
                yield _Window(prefix, start, current[-1].end, current)
                prefix = f"{unit.header}\n" if unit.header is not None else ""
                if new_page or opens:
                    start = unit.start
                else:
                    start = _carry(text, start, current, unit, size - len(prefix), overlap)
                current = []
        else:
            start = unit.start
        current.append(unit)
        page = unit.page if unit.page is not None else page
    if current:
        yield _Window(prefix, start, current[-1].end, current)


def _units(piece: _Piece, size: int, overlap: int) -> Iterator[_Unit]:
    """A piece as one unit when it fits in a chunk; else its rows (a table) or its
    sentences, each cut at spaces when longer than a chunk less its overlap."""
    if len(piece.text) <= size:
        yield _Unit(piece.start, piece.start + len(piece.text), piece.kind, piece.page)
    elif piece.kind == "table":
        yield from _table_units(piece, size)
    else:
        for sentence, offset in _spans(piece.text, _SENTENCE_END):
            for part, at in _fit(sentence, offset, size - overlap):
                start = piece.start + at
                yield _Unit(start, start + len(part), piece.kind, piece.page)


def _table_units(piece: _Piece, size: int) -> Iterator[_Unit]:
    """A table too large for a chunk, by rows: its header row with the first row opens a
    chunk; each later row is a unit whose chunk, if it starts one, repeats the header. A
    header longer than half a chunk is not repeated; a row longer than a chunk less its
    header is cut at spaces."""
    lines = list(_lines(piece.text))
    header: str | None = lines[0][0] if len(lines) > 1 else None
    if header is not None and len(header) > size // 2:
        header = None
    rows = lines[1:] if header is not None else lines
    room = size - (len(header) + 1 if header is not None else 0)
    first = True
    for row, offset in rows:
        for index, (part, at) in enumerate(_fit(row, offset, room)):
            start, end = piece.start + at, piece.start + at + len(part)
            if first:
                yield _Unit(
                    piece.start if header is not None else start,
                    end,
                    "table",
                    piece.page,
                    opens=True,
                )
                first = False
            else:
                yield _Unit(
                    start, end, "table", piece.page,
                    header=header, table=piece.start, row_start=index == 0,
                )  # fmt: skip


def _carry(
    text: str, previous_start: int, previous: list[_Unit], unit: _Unit, room: int, overlap: int
) -> int:
    """Where the window that `unit` opens starts: up to `overlap` characters before it,
    taken from the end of the previous window (which starts at `previous_start`), so that
    the new window holds `unit` in `room` characters. Table rows carry whole rows of their
    table; prose carries whole sentences, else whole words; nothing is carried after a
    table into prose (rows without their header mislead), into a window that a table starts
    (its header first), or when the previous window would be carried whole."""
    end = previous[-1].end
    floor = max(end - overlap, unit.end - room)
    if floor >= end or floor <= previous_start:
        return unit.start
    if unit.header is not None:
        start = unit.start
        for earlier in reversed(previous):
            if earlier.table != unit.table or earlier.start < floor:
                break
            if earlier.row_start:
                start = earlier.start
        return start
    if previous[-1].kind == "table" or unit.kind == "table":
        return unit.start  # a table's rows come after its header, and nothing else
    window = text[floor:end]
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= len(window) - _MIN_CARRY]
    if ends:
        cut = ends[0]
    elif text[floor - 1].isspace():
        cut = 0
    else:
        cut = next((i + 1 for i, ch in enumerate(window) if ch.isspace()), len(window))
    cut += len(window[cut:]) - len(window[cut:].lstrip())
    return floor + cut if len(window) - cut >= _MIN_CARRY else unit.start


def _lines(text: str) -> Iterator[tuple[str, int]]:
    """The non-blank lines of `text`, stripped, with their offsets."""
    offset = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            yield stripped, offset + len(line) - len(line.lstrip())
        offset += len(line) + 1


def _spans(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[str, int]]:
    """The parts of `text` between matches of `pattern`, with their offsets. Each search
    looks at most `_SCAN` characters ahead: a regex step holds the GIL, so one search over
    a whole 20 MB line without a sentence end stalled the server for 2 s."""
    start = 0
    for match in _bounded_finditer(pattern, text):
        if match.start() > start:
            yield text[start : match.start()], start
        start = match.end()
    if start < len(text):
        yield text[start:], start


#: How far one regex search over a piece of text looks (characters): a few milliseconds.
_SCAN = 1 << 16
#: How far back a window's next search starts, so that a match cut by the window's end
#: (a sentence end's closing quotes) is found whole.
_BACK = 64


def _bounded_finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, for patterns whose matches are short and local (such as
    `_SENTENCE_END`), by searches of at most `_SCAN` characters each: the same matches for
    any text whose match runs (closing quotes, white space) are shorter than `_BACK`."""
    pos, n = 0, len(text)
    while pos <= n:
        end = min(n, pos + _SCAN)
        match = pattern.search(text, pos, end)
        if match is None:
            if end == n:
                return
            # A match may start in the window's last characters and end past it.
            pos = max(pos + 1, end - _BACK)
            continue
        reach = end
        while match.end() == reach < n:  # cut by the window: take the rest of its run
            reach = min(n, reach + _SCAN)
            match = pattern.match(text, match.start(), reach) or match
        yield match
        pos = match.end() if match.end() > match.start() else match.end() + 1


def _fit(text: str, offset: int, size: int) -> Iterator[tuple[str, int]]:
    """Cut `text` into parts of at most `size` characters at spaces where possible.
    Linear: it walks offsets into `text` (re-slicing the rest at every cut was quadratic:
    4 MB took 3.3 s)."""
    at, n = 0, len(text)
    while n - at > size:
        space = text.rfind(" ", at, at + size + 1)
        cut = space - at if space >= 0 else size
        if cut <= size // 2:
            cut = size
        yield text[at : at + cut].rstrip(), offset + at
        at += cut
        while at < n and text[at].isspace():
            at += 1
    if at < n:
        yield text[at:], offset + at
