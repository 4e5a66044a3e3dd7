"""Plain text as docent's elements, in one linear pass: paragraphs are what blank lines
separate (after `unwrap_lines` has joined lines a fixed-width wrap broke), a paragraph of
one line that `looks_like_heading` is a title, and a paragraph whose every line starts with
a bullet or a number ("- ", "2. ") is a list, one element per item.

No per-element sentence counting or language statistics (unstructured's classification,
which cost 8 s for 1 MB): only `looks_like_heading`, a few regular expressions on lines of
at most 120 characters, so the cost is linear in the text.
"""

from __future__ import annotations

import re

import regex

from docent.ingestion.chunking import Element
from docent.ingestion.parsing.elements import looks_like_heading
from docent.ingestion.parsing.text import unwrap_lines

#: A blank line: only white space between two line breaks.
_BLANK = re.compile(r"\n[ \t\f\v\u00a0\u3000]*\n\s*")
#: A list item's marker: a bullet, or a number of up to three digits and "." or ")", then
#: white space.
_ITEM = re.compile(r"^\s*(?:[-*•·▪–◦‣]|\(?[0-9]{1,3}[.)])\s+\S")
_LETTER = regex.compile(r"\p{L}")


def partition_text(text: str) -> list[Element]:
    """docent's elements of plain `text`, in order; titles have depth 0. Never raises."""
    elements: list[Element] = []
    for paragraph in _BLANK.split(unwrap_lines(text)):
        paragraph = paragraph.strip("\n").rstrip()
        if not paragraph.strip():
            continue
        lines = paragraph.split("\n")
        if len(lines) == 1 and _is_heading(paragraph):
            elements.append(Element(text=paragraph.strip(), kind="title"))
        elif all(_ITEM.match(line) for line in lines):
            elements.extend(Element(text=line.strip(), kind="list") for line in lines)
        else:
            elements.append(Element(text=paragraph, kind="text"))
    return elements


def _is_heading(line: str) -> bool:
    """A heading reads as one (`looks_like_heading`), holds a letter (not "2019" or a rule
    of dashes) and is not a list item. A line over 480 characters is none, whatever its
    white space: checked first, as most paragraphs are long lines once unwrapped."""
    return (
        len(line) <= 480
        and looks_like_heading(line)
        and bool(_LETTER.search(line))
        and not _ITEM.match(line)
    )
