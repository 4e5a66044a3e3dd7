"""The blocks of a PDF page (headings, paragraphs) in the order a person reads them.

A page's content stream usually draws its text in reading order, and PDFium keeps that
order; but a stream may draw a Form XObject, a letterhead or a footnote before the text
that stands above it. So the order of the stream is kept except where the page contradicts
it: a block that stands above another, over part of the same width, is read first. Blocks
side by side (columns, a label and its value) keep the stream's order. This is a
topological order of the "above" relation, the stream's order breaking ties.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from docent.ingestion.chunking import Element
from docent.ingestion.parsing.pdf_lines import Line

#: Above this many blocks on a page the pairwise comparison would cost more than it is
#: worth (a table whose every cell is a block): the stream's order is kept.
MAX_BLOCKS = 400


@dataclass(frozen=True, slots=True)
class _Box:
    left: float
    right: float
    bottom: float
    top: float


def reading_order(blocks: list[tuple[Element, list[Line]]]) -> list[Element]:
    """The elements of `blocks` (each with the lines it was made of, in the stream's order)
    in reading order."""
    if (
        len(blocks) < 2
        or len(blocks) > MAX_BLOCKS
        or not all(line.upright for _, lines in blocks for line in lines)
    ):
        return [element for element, _ in blocks]
    boxes = [_box(lines) for _, lines in blocks]
    below: list[list[int]] = [[] for _ in blocks]
    waiting = [0] * len(blocks)
    for i, upper in enumerate(boxes):
        for j, lower in enumerate(boxes):
            if i != j and _above(upper, lower):
                below[i].append(j)
                waiting[j] += 1
    ready = [i for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in below[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, j)
    return [blocks[i][0] for i in order]


def _box(lines: list[Line]) -> _Box:
    """A block's extent: from the lowest descender (a fifth of the type's size below the
    baseline) to the highest ascender (four fifths above)."""
    return _Box(
        left=min(line.left for line in lines),
        right=max(line.right for line in lines),
        bottom=min(min(line.baseline, line.end_baseline) - 0.2 * line.size for line in lines),
        top=max(max(line.baseline, line.end_baseline) + 0.8 * line.size for line in lines),
    )


def _above(upper: _Box, lower: _Box) -> bool:
    """Whether `upper` stands wholly above `lower`, over part of the same width. Strict, so
    that the relation has no cycles (it orders boxes by their tops)."""
    overlap = min(upper.right, lower.right) - max(upper.left, lower.left)
    return upper.bottom > lower.top and overlap > 0
