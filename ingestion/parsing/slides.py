"""PowerPoint presentations (PPTX): each slide as a section of its own, read by python-pptx.

A slide's page is its number. Its title (the title placeholder) is its section heading,
read first; its other shapes follow in reading order (top to bottom, then left to right; a
group's shapes together, in their own order), each text frame one element; tables as rows
(`tables.table_text`, merged cells repeated as in worksheets); then its speaker notes. So
the passages of a slide carry its title as their section and its number as their page,
never a neighbour's. A slide without a title continues the section before it.

Body text is never taken for a heading: on a slide, the title placeholder is the heading.
Footers and dates that repeat on several slides, and slide numbers, are left out, as running
headers and footers are elsewhere.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.chunking import Element
from docent.ingestion.parsing.base import ParsedDocument, ParseLimits
from docent.ingestion.parsing.grids import Grid, Merge, spread_merges
from docent.ingestion.parsing.tables import table_text


def read_presentation(path: Path, limits: ParseLimits) -> ParsedDocument:
    """The elements of each slide of the PPTX at `path`, in slide order."""
    from pptx import Presentation
    from pptx.enum.shapes import PP_PLACEHOLDER

    running = (PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.DATE)
    deck = Presentation(str(path))
    if len(deck.slides) > limits.max_pages:
        raise IngestionError(
            ErrorCode.TOO_LARGE,
            f"this PowerPoint presentation has {len(deck.slides):,} slides, over the limit of "
            f"{limits.max_pages:,} (DOCENT_MAX_PAGES)",
        )
    found: list[tuple[Element, str | None]] = []  # with the key of a footer or date
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title_id = title_shape.shape_id if title_shape is not None else None
        if title_shape is not None and not _off_slide(title_shape):
            title = " ".join(title_shape.text_frame.text.split())
            if title:
                found.append((Element(title, "title", number, 0), None))
        for shape in _reading_order(slide.shapes):
            if shape.shape_id == title_id or _off_slide(shape):
                continue
            placeholder = _placeholder_type(shape)
            if placeholder == PP_PLACEHOLDER.SLIDE_NUMBER:
                continue
            for element in _shape_elements(shape, number):
                found.append(
                    (element, _running_key(element.text) if placeholder in running else None)
                )
        found.extend((element, None) for element in _notes(slide, number))
    repeated = Counter(key for _, key in found if key is not None)
    elements = [element for element, key in found if key is None or repeated[key] == 1]
    return ParsedDocument(elements=elements, page_count=len(deck.slides) or None)


def _reading_order(shapes: Any) -> Iterator[Any]:
    """Shapes top to bottom, then left to right; a group's shapes in their place, in their
    own order (their positions are in the group's coordinates, not the slide's)."""
    from pptx.shapes.group import GroupShape

    for shape in sorted(shapes, key=lambda s: (s.top or 0, s.left or 0)):
        if isinstance(shape, GroupShape):
            yield from _reading_order(shape.shapes)
        else:
            yield shape


def _shape_elements(shape: Any, page: int) -> Iterator[Element]:
    if getattr(shape, "has_table", False):
        text = table_text(_table_rows(shape.table))
        if text.strip():
            yield Element(text, "table", page)
    elif getattr(shape, "has_text_frame", False):
        text = _frame_text(shape.text_frame)
        if text:
            yield Element(text, "text", page)


def _frame_text(frame: Any) -> str:
    """A text frame's paragraphs, one a line; a line break inside one ("\\v" in python-pptx)
    is a line too."""
    lines = (" ".join(line.split()) for p in frame.paragraphs for line in p.text.split("\v"))
    return "\n".join(line for line in lines if line)


def _table_rows(table: Any) -> list[list[str]]:
    """A slide table's rows, a merged cell's text on every row and column it spans."""
    grid: Grid = {}
    merges = []
    for r, row in enumerate(table.rows, start=1):
        for c, cell in enumerate(row.cells, start=1):
            if cell.is_spanned:
                continue
            text = " ".join(cell.text.split())
            if text:
                grid.setdefault(r, {})[c] = text
            if cell.is_merge_origin:
                merges.append(Merge(r, c, r + cell.span_height - 1, c + cell.span_width - 1))
    spread_merges(grid, merges)
    width = max((max(cells) for cells in grid.values()), default=0)
    return [[grid[r].get(c, "") for c in range(1, width + 1)] for r in sorted(grid)]


def _notes(slide: Any, page: int) -> Iterator[Element]:
    """The slide's speaker notes (the body of its notes page), on its page."""
    if not slide.has_notes_slide:
        return
    frame = slide.notes_slide.notes_text_frame
    text = _frame_text(frame) if frame is not None else ""
    if text:
        yield Element(text, "text", page)


def _placeholder_type(shape: Any) -> Any:
    if not getattr(shape, "is_placeholder", False):
        return None
    try:
        return shape.placeholder_format.type
    except (AttributeError, ValueError):
        return None


def _off_slide(shape: Any) -> bool:
    """Shapes parked off the slide (negative position) are not shown in the slide show."""
    return (shape.top or 0) < 0 or (shape.left or 0) < 0


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()).lower())
