"""A PDF's lines (`pdf_lines`) as docent's elements: paragraphs, headings with their level,
list items; words hyphenated across lines joined or kept (`hyphenation`); running headers,
footers and page numbers left out.

Headings are found the way a reader finds them (`headings`): numbered ("4. Parental
Leave", "Chapter 3:", "Section 2.1", "2.3.1 Scope") or set larger or bolder than the body
text, short, and not a sentence. Paragraphs are lines of one style that follow each other
at the document's usual line spacing; a wider gap, a change of style, a list marker or a
short line that ends a sentence starts a new one.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

from docent.domain import Region
from docent.ingestion.chunking import Element
from docent.ingestion.parsing import headings, hyphenation, pdf_order, pdf_tables
from docent.ingestion.parsing.pdf_lines import HYPHEN, Line, Page
from docent.ingestion.parsing.tables import table_text

#: Where running headers and footers live: this share of the page's height, top and bottom.
MARGIN = 0.08
#: A line is followed by the next of its paragraph when the step between their baselines is
#: at most this many times the usual step (1.0 would be exactly the body's line spacing).
LOOSE_LEADING = 1.3
#: Bullets and list numbers that start a list item.
_LIST_ITEM = re.compile(r"^(?:[•◦▪▫●○■□‣⁃➢►▶✓✔*–—-]|\(?[0-9]{1,3}[.)]|\(?[a-z][.)]|\([ivx]+\))\s")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-–—(]?\s*(?:\d{1,4}|[ivxlc]{1,6})\s*[-–—)]?(?:\s*(?:/|of)\s*\d{1,4})?$",
    re.IGNORECASE,
)
#: Scripts written without spaces between words: lines are joined without one.
_NO_SPACE = re.compile(
    r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uff60\u0e00-\u0e7f]"
)
_LINE_END_HYPHEN = ("-", "\u2010", "\u00ad")


def elements(pages: list[Page]) -> dict[int, list[Element]]:
    """Each page's elements (by 1-based page number), in reading order (`pdf_order`),
    headings as `title` elements whose depth is their level (0 for the document's title)."""
    pages = _without_margins(pages)
    lines = [line for page in pages for line in page.lines]
    style = headings.body_style(lines)
    found = headings.find(pages, style)
    steps = _line_steps(lines)
    # The document's own words decide hyphens first; the hyphen itself is not counted.
    words = hyphenation.vocabulary(line.text.replace(HYPHEN, " ") for line in lines)
    return {
        page.number: pdf_order.reading_order(
            [
                (replace(element, regions=regions(page, lines)), lines)
                for element, lines in _blocks(page, found, steps, words)
            ]
        )
        for page in pages
    }


#: A line's type rises above its baseline by about this share of its size, and its
#: descenders fall below it by about the rest (Helvetica: 0.72 cap height, 0.21 descender).
_ASCENT, _DESCENT = 0.8, 0.25


def regions(page: Page, lines: list[Line]) -> tuple[Region, ...]:
    """The box that holds `lines` on `page`, as fractions of the page from its top-left
    corner (`domain.Region`): from the lines' horizontal extents and their baselines, the
    type's ascent above and descent below. None for a page shown turned (its lines run
    down the page) or whose width is not known."""
    width, height = page.right - page.left, page.top - page.bottom
    if page.turned or width <= 0 or height <= 0 or not lines:
        return ()
    x0 = min(line.left for line in lines)
    x1 = max(line.right for line in lines)
    top = max(max(line.baseline, line.end_baseline) + _ASCENT * line.size for line in lines)
    bottom = min(min(line.baseline, line.end_baseline) - _DESCENT * line.size for line in lines)

    def clamp(value: float) -> float:
        return round(min(max(value, 0.0), 1.0), 4)

    return (
        Region(
            page.number,
            clamp((x0 - page.left) / width),
            clamp((page.top - top) / height),
            clamp((x1 - page.left) / width),
            clamp((page.top - bottom) / height),
        ),
    )


def _blocks(
    page: Page,
    found: dict[tuple[int, int], headings.Heading],
    steps: dict[float, float],
    words: frozenset[str],
) -> Iterator[tuple[Element, list[Line]]]:
    """The page's headings and paragraphs, in the order the page draws them, each with its
    lines."""
    paragraph: list[Line] = []
    extent = (0.0, 0.0)  # the paragraph's left and right
    kind = "text"
    index = 0
    while index < len(page.lines):
        line = page.lines[index]
        heading = found.get((page.number, index))
        table = pdf_tables.table_at(page.lines, index) if heading is None else None
        if paragraph and (heading or table):
            yield Element(_join(paragraph, words), kind, page.number), paragraph
            paragraph = []
        if heading is not None:
            title = Element(_dehyphenate(heading.text, words), "title", page.number, heading.depth)
            yield title, page.lines[index : index + heading.lines]
            index += heading.lines
            continue
        if table:
            rows = [[_dehyphenate(cell, words) for cell in row] for row in table.rows]
            yield Element(table_text(rows), "table", page.number), table.lines
            index += len(table.lines)
            continue
        if paragraph and _starts_paragraph(paragraph, extent, line, steps):
            yield Element(_join(paragraph, words), kind, page.number), paragraph
            paragraph = []
        if not paragraph:
            kind = "list" if _LIST_ITEM.match(line.text) else "text"
            extent = (line.left, line.right)
        extent = (min(extent[0], line.left), max(extent[1], line.right))
        paragraph.append(line)
        index += 1
    if paragraph:
        yield Element(_join(paragraph, words), kind, page.number), paragraph


def _starts_paragraph(
    paragraph: list[Line], extent: tuple[float, float], line: Line, steps: dict[float, float]
) -> bool:
    """Whether `line` starts a new paragraph rather than continuing `paragraph`, whose lines
    reach from `extent[0]` to `extent[1]` (kept as it grows: measuring the paragraph's
    lines at each line cost its length squared, 5 s for a page of 8,000 lines)."""
    previous, first = paragraph[-1], paragraph[0]
    # The last line in the paragraph's type: superscripts and subscripts are measured from it.
    anchor = next((p for p in reversed(paragraph) if abs(p.size - first.size) <= 0.5), first)
    if (
        abs(anchor.end_baseline - line.baseline) < 0.6 * first.size
        and line.left > anchor.left - line.size
    ):
        return False  # the same line, broken where the baseline moved (a superscript)
    step = previous.end_baseline - line.baseline
    if abs(line.size - first.size) > 0.5 or line.bold != first.bold:
        return True
    if _LIST_ITEM.match(line.text):
        return True
    usual = steps.get(line.size, 1.2 * line.size)
    if step < 0 or step > LOOSE_LEADING * usual + 0.5:
        return True  # a gap, or a move up: a new block or column
    if line.right < previous.left or line.left > previous.right:
        return True  # beside, not below: another column
    # A line that stops well short of the paragraph's width, or short of it at the end of
    # a sentence, ends its paragraph (when paragraphs have no gap between them). Lines of
    # ragged-right text stop short by up to a word's width: a third of the line is a long
    # word, more than half of it none.
    width = max(extent[1], line.right) - min(extent[0], line.left)
    length = previous.right - previous.left
    ends_sentence = previous.text.endswith((".", "!", "?", ":", "。"))
    return length < 0.5 * width or (ends_sentence and length < 0.7 * width)


def _join(lines: list[Line], words: frozenset[str]) -> str:
    """A paragraph's lines as one text: joined by a space, or by nothing where a word was
    hyphenated across them or the script writes no spaces."""
    text = lines[0].text
    for previous, line in itertools.pairwise(lines):
        same_line = abs(previous.end_baseline - line.baseline) < 0.3 * line.size
        if (
            text.endswith(_LINE_END_HYPHEN)
            and not same_line
            and line.text[:1].isalpha()
            and text[-2:-1].isalpha()
        ):
            text = text[:-1] + HYPHEN + line.text
        elif (_NO_SPACE.match(line.text[:1]) and _NO_SPACE.match(text[-1:])) or (
            same_line and (line.left - previous.right) < 0.15 * line.size
        ):
            text += line.text
        else:
            text += " " + line.text
    return _dehyphenate(text, words)


def _dehyphenate(text: str, words: frozenset[str]) -> str:
    """Each hyphen that ended a line inside a word: kept for a compound, else dropped."""
    if HYPHEN not in text:
        return text
    parts = text.split(HYPHEN)
    out = parts[0]
    for part in parts[1:]:
        out += ("-" if hyphenation.keeps_hyphen(out, part, words) else "") + part
    return out


def _line_steps(lines: list[Line]) -> dict[float, float]:
    """The usual step from one baseline to the next, by type size: the most common step
    between consecutive lines of that size (rounded to a half point)."""
    by_size: dict[float, Counter[float]] = {}
    for previous, line in itertools.pairwise(lines):
        step = previous.end_baseline - line.baseline
        if previous.size == line.size and 0.8 * line.size < step < 3 * line.size:
            by_size.setdefault(line.size, Counter())[round(step * 2) / 2] += 1
    return {size: steps.most_common(1)[0][0] for size, steps in by_size.items()}


def _without_margins(pages: list[Page]) -> list[Page]:
    """`pages` without running headers and footers (the same text, numbers aside, in the top
    or bottom margin of two pages or more) and page numbers."""
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_margin_key(line.text) for line in page.lines if _in_margin(line, page)})
    return [
        Page(
            page.number,
            page.bottom,
            page.top,
            [
                line
                for line in page.lines
                if not (
                    _in_margin(line, page)
                    and (_PAGE_NUMBER.match(line.text) or seen[_margin_key(line.text)] >= 2)
                )
            ],
            page.turned,
            page.left,
            page.right,
        )
        for page in pages
    ]


def _in_margin(line: Line, page: Page) -> bool:
    margin = MARGIN * (page.top - page.bottom)
    return not page.turned and not page.bottom + margin <= line.baseline <= page.top - margin


def _margin_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))
