"""Headings in a PDF's lines, found the way a reader finds them, with their level.

A line is a heading when it is short, does not read as a sentence (`looks_like_heading`),
and either is set apart by its type (larger than the body text, or bold where the body is
not) or is numbered as headings are ("4. Parental Leave", "Chapter 3:", "Section 2.1",
"2.3.1 Scope"). A numbered line next to its sibling ("1. Apples" above "2. Pears") is a list
item, not a heading, unless its type sets it apart.

Levels (`Heading.depth`, 0 the highest): the document's title, the most prominent line at
the top of the first page, is 0; a numbered heading's level is its number's depth ("4." 1,
"2.1" 2, "2.3.1" 3; a chapter or part 1); a heading set apart by type alone takes the level
of numbered headings of the same type, else its type's rank among the headings' types.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from docent.ingestion.parsing.elements import looks_like_heading
from docent.ingestion.parsing.pdf_lines import CELL, Line, Page

#: A heading's type is larger than the body's by this factor and at least this many points.
LARGER = 1.08
LARGER_POINTS = 0.75
#: Lines of one heading: a heading that wraps takes at most this many.
MAX_LINES = 3

_LABELS_TOP = "chapter|part|appendix|annex|schedule|kapitel|teil|chapitre|anhang"
_LABELS = f"{_LABELS_TOP}|section|article|clause|abschnitt|artikel|paragraph"
_NUMBERED = re.compile(
    rf"^(?:(?i:(?P<label>{_LABELS}))\s+(?P<label_number>\d{{1,3}}(?:\.\d{{1,3}})*|[IVXLC]{{1,6}}|[A-Z])\b\.?"
    r"|(?P<number>\d{1,2}(?:\.\d{1,2})*)(?P<dot>\.)?"
    r"|(?P<roman>[IVX]{1,5})\."
    r"|(?P<letter>[A-Z])\.)"
    r"(?:\s*[:.–—-]?\s+|\s*:?\s*$)(?P<title>.*)$"
)
_LEADER = re.compile(r"(?:\.\s*){4,}\d+$|\s\.{2,}\s*\d+$")


@dataclass(frozen=True, slots=True)
class Style:
    """The type a line is set in: its size in points, rounded to a half point, and weight."""

    size: float
    bold: bool


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading: its text, its level (0 the highest) and how many lines it spans."""

    text: str
    depth: int
    lines: int = 1


def style_of(line: Line) -> Style:
    return Style(round(line.size * 2) / 2, line.bold)


def body_style(lines: list[Line]) -> Style:
    """The style of most of the text, by characters."""
    counts: Counter[Style] = Counter()
    for line in lines:
        counts[style_of(line)] += len(line.text)
    return counts.most_common(1)[0][0] if counts else Style(0.0, False)


def numbering_depth(text: str, *, strict: bool = False) -> int | None:
    """The level a heading's numbering gives it ("4. Scope" 1, "2.1 Terms" 2, "Chapter 3"
    1), or None when `text` is not numbered as a heading is. `strict` asks for a number
    that cannot start a sentence: "4 Scope" passes only when not strict ("10 Downing Street
    is ..." would)."""
    match = _NUMBERED.match(text)
    if match is None or _LEADER.search(text):
        return None
    if match.group("label"):
        if match.group("label").lower() in _LABELS_TOP.split("|"):
            return 1
        return match.group("label_number").count(".") + 1
    # After a bare number, a title: "3.5 million people" is not a heading.
    title = match.group("title")
    if not title or not _starts_like_a_title(title):
        return None
    number = match.group("number")
    if strict and number and "." not in number and not match.group("dot"):
        return None
    return _depth_of_match(match)


def find(pages: list[Page], body: Style) -> dict[tuple[int, int], Heading]:
    """The headings of `pages`, by (page number, index of their first line)."""
    candidates: dict[tuple[int, int], tuple[Heading, Style, bool]] = {}
    for page in pages:
        index = 0
        while index < len(page.lines):
            found = _candidate(page.lines, index, body)
            if found is None:
                index += 1
                continue
            heading, numbered = found
            candidates[(page.number, index)] = (heading, style_of(page.lines[index]), numbered)
            index += heading.lines
    return _levels(candidates, pages, body)


def _candidate(lines: list[Line], index: int, body: Style) -> tuple[Heading, bool] | None:
    """The heading starting at `lines[index]`, if one does, and whether it is numbered."""
    line = lines[index]
    style = style_of(line)
    depth = numbering_depth(line.text)
    if _set_apart(style, body):
        count = 1
        while (
            count < MAX_LINES
            and index + count < len(lines)
            and style_of(lines[index + count]) == style
            and numbering_depth(lines[index + count].text) is None
            and _follows(lines[index + count - 1], lines[index + count])
        ):
            count += 1
        # More lines of the same type: a paragraph set in bold, not a heading.
        more = (
            index + count < len(lines)
            and style_of(lines[index + count]) == style
            and numbering_depth(lines[index + count].text) is None
            and _follows(lines[index + count - 1], lines[index + count])
        )
        text = " ".join(line.text for line in lines[index : index + count])
        if more or not _is_heading_text(text):
            return None
        return Heading(text, depth or 0, count), depth is not None
    depth = numbering_depth(line.text, strict=True)
    if depth is None or not _is_heading_text(line.text) or len(line.text.split()) > 12:
        return None
    if not _stands_alone(lines, index) or _has_sibling(lines, index, depth):
        return None
    return Heading(line.text, depth), True


def _levels(
    candidates: dict[tuple[int, int], tuple[Heading, Style, bool]],
    pages: list[Page],
    body: Style,
) -> dict[tuple[int, int], Heading]:
    """The candidates with their levels: the title 0, numbered ones by their numbering,
    others by their type."""
    if not candidates:
        return {}
    title = _title(candidates, pages, body)
    numbered_depths: dict[Style, Counter[int]] = {}
    for heading, style, numbered in candidates.values():
        if numbered:
            numbered_depths.setdefault(style, Counter())[heading.depth] += 1
    by_prominence = sorted(
        {style for key, (_, style, _) in candidates.items() if key != title},
        key=lambda s: (-s.size, not s.bold),
    )
    result = {}
    for key, (heading, style, numbered) in candidates.items():
        if key == title:
            depth = 0
        elif numbered:
            depth = heading.depth
        elif style in numbered_depths:
            depth = numbered_depths[style].most_common(1)[0][0]
        else:
            depth = by_prominence.index(style) + 1
        result[key] = Heading(heading.text, depth, heading.lines)
    return result


def _title(
    candidates: dict[tuple[int, int], tuple[Heading, Style, bool]],
    pages: list[Page],
    body: Style,
) -> tuple[int, int] | None:
    """The document's title: the first heading of the first page with text, within its
    first lines, in the largest type of all headings, and the only heading of that type,
    or the only one not numbered (report generators often set the title as the chapters)."""
    first_page = next((page.number for page in pages if page.lines), None)
    keys = sorted(key for key in candidates if key[0] == first_page)
    if not keys or keys[0][1] > 3:
        return None
    _, style, numbered = candidates[keys[0]]
    largest = max(s.size for _, s, _ in candidates.values())
    if numbered or style.size < largest or style.size <= body.size:
        return None
    alike = [n for _, s, n in candidates.values() if s == style]
    return keys[0] if alike.count(False) == 1 else None


def _set_apart(style: Style, body: Style) -> bool:
    larger = style.size >= body.size * LARGER and style.size - body.size >= LARGER_POINTS
    bolder = style.bold and not body.bold and style.size >= body.size - 0.5
    return larger or bolder


def _is_heading_text(text: str) -> bool:
    return (
        CELL not in text  # a table's row
        and looks_like_heading(text)
        and _starts_like_a_title(text)
        and sum(ch.isalpha() for ch in text) >= 2
        and not _LEADER.search(text)
    )


def _starts_like_a_title(text: str) -> bool:
    first = text.lstrip()[:1]
    return first.isalnum() and not first.islower()


def _follows(previous: Line, line: Line) -> bool:
    """Whether `line` is the next line of `previous`'s block: just below it."""
    step = previous.end_baseline - line.baseline
    return 0 < step <= 1.6 * max(line.size, previous.size)


def _stands_alone(lines: list[Line], index: int) -> bool:
    """A heading in body type is a line of its own: what comes before it ends a sentence
    (or is a heading), and what follows does not continue it."""
    if index > 0:
        previous = lines[index - 1].text
        if (
            _follows(lines[index - 1], lines[index])
            and not previous.endswith((".", "!", "?", ":", ";"))
            and not (looks_like_heading(previous) and len(previous.split()) <= 12)
        ):
            return False
    if index + 1 < len(lines):
        following = lines[index + 1].text
        if following[:1].islower() and _follows(lines[index], lines[index + 1]):
            return False
    return True


def _has_sibling(lines: list[Line], index: int, depth: int) -> bool:
    """Whether a numbered line of the same depth is right before or after `lines[index]`
    (past the lines that continue an item): then they are items of a list."""
    for step in (-1, 1):
        other = index + step
        while 0 <= other < len(lines) and lines[other].text[:1].islower():
            other += step
        if 0 <= other < len(lines) and other != index:
            text = lines[other].text
            match = _NUMBERED.match(text)
            if match and not match.group("label") and _depth_of_match(match) == depth:
                return True
    return False


def _depth_of_match(match: re.Match[str]) -> int:
    number = match.group("number")
    return number.count(".") + 1 if number else 1
