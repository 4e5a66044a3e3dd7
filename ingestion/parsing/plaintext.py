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
from docent.ingestion.parsing import fixed_width
from docent.ingestion.parsing.elements import looks_like_heading
from docent.ingestion.parsing.tables import table_text
from docent.ingestion.parsing.text import unwrap_lines

#: Blank lines: only white space between line breaks (the next line's indentation is its
#: own: a table's header may stand over its later columns only).
_BLANK = re.compile(r"\n[ \t\f\v\u00a0\u3000]*\n(?:[ \t\f\v\u00a0\u3000]*\n)*")
#: A list item's marker: a bullet, or a number of up to three digits and "." or ")", then
#: white space.
_ITEM = re.compile(r"^\s*(?:[-*•·▪–◦‣]|\(?[0-9]{1,3}[.)])\s+\S")
_LETTER = regex.compile(r"\p{L}")
#: A numbered heading in capitals ("1. THE TWO MODELS", "4) ERROR CODES"): a list item's
#: number, then no lower-case letter.
_NUMBERED_CAPITALS = regex.compile(r"^\s*\(?[0-9]{1,3}[.)]\s+[^\p{Ll}]*\p{Lu}[^\p{Ll}]*$")


def partition_text(text: str) -> list[Element]:
    """docent's elements of plain `text`, in order; titles have depth 0. Never raises."""
    elements: list[Element] = []
    for block in _BLANK.split(unwrap_lines(text)):
        lines = block.strip("\n").rstrip().split("\n")
        paragraph = "\n".join(lines).strip()
        if not paragraph:
            continue
        if len(lines) == 1 and _is_heading(paragraph):
            elements.append(Element(text=paragraph.strip(), kind="title"))
        elif table := _table(lines):
            elements.extend(table)
        elif all(_ITEM.match(line) for line in lines):
            elements.extend(Element(text=line.strip(), kind="list") for line in lines)
        else:
            elements.append(Element(text=paragraph, kind="text"))
    return elements


def _table(lines: list[str]) -> list[Element]:
    """The elements of a block set as a fixed-width table (`fixed_width.rows`), a caption
    line over it ("Opening hours") first; empty when it is none. A table of two columns is
    a list of "label: value" lines ("Phone: 0123 456"), since a reader cannot tell its
    first line from a header ("Contact  Jane Doe" over "Phone  0123 456")."""
    for caption in (0, 1):
        found = fixed_width.rows(lines[caption:]) if len(lines) - caption >= 2 else None
        if found is None:
            continue
        head = [Element(text=lines[0].strip(), kind="text")] if caption else []
        if len(found[0]) == 2:
            pairs = [_pair(label, value) for label, value in found]
            return [*head, Element(text="\n".join(p for p in pairs if p), kind="text")]
        return [*head, Element(text=table_text(found), kind="table")]
    return []


def _pair(label: str, value: str) -> str:
    if not label or not value:
        return label or value
    return f"{label} {value}" if label.endswith(":") else f"{label}: {value}"


def _is_heading(line: str) -> bool:
    """A heading reads as one (`looks_like_heading`), holds a letter (not "2019" or a rule
    of dashes) and is not a list item, unless numbered and in capitals ("1. THE TWO
    MODELS"). A line over 480 characters is none, whatever its
    white space: checked first, as most paragraphs are long lines once unwrapped."""
    return (
        len(line) <= 480
        and looks_like_heading(line)
        and bool(_LETTER.search(line))
        and (not _ITEM.match(line) or _NUMBERED_CAPITALS.match(line) is not None)
    )
