"""unstructured's elements as docent's: the categories chunking cares about, tables as
readable rows, running headers and footers dropped, false titles demoted to text."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

import regex

from docent.ingestion.chunking import Element
from docent.ingestion.parsing.tables import rows_from_html, table_text
from docent.ingestion.parsing.text import UNSPACED

#: unstructured's categories, mapped to what chunking cares about. Page numbers, and
#: headers and footers that repeat on several pages, are dropped.
_KINDS = {
    "Title": "title",
    "ListItem": "list",
    "Table": "table",
    "CodeSnippet": "code",
    "Formula": "text",
    "NarrativeText": "text",
    "UncategorizedText": "text",
    "FigureCaption": "text",
    "Address": "text",
    "EmailAddress": "text",
    "Text": "text",
    "Image": "text",
    "Header": "text",
    "Footer": "text",
}
_DROPPED = {"PageNumber", "PageBreak"}
_RUNNING = {"Header", "Footer"}


def convert(raw: Iterable[Any]) -> Iterable[Element]:
    """docent's elements of unstructured's `raw` ones, in order; empty ones left out. An
    `Element` already (from docent's own partitioners) is passed through as it is."""
    items: list[Any] = []
    for item in raw:
        if isinstance(item, Element) or getattr(item, "category", "Text") not in _DROPPED:
            items.append(item)
    running = Counter(
        _running_key(item) for item in items if getattr(item, "category", None) in _RUNNING
    )
    for item in items:
        if isinstance(item, Element):
            if item.text.strip():
                yield item
            continue
        category = getattr(item, "category", "Text")
        metadata = getattr(item, "metadata", None)
        text = str(getattr(item, "text", "") or "")
        if category == "Table":
            markup = getattr(metadata, "text_as_html", None)
            rows = rows_from_html(markup) if markup else []
            text = table_text(rows) if rows else text
        if not text.strip():
            continue
        if category in _RUNNING and running[_running_key(item)] > 1:
            continue  # a running header or footer, repeated page after page
        page = getattr(metadata, "page_number", None)
        depth = getattr(metadata, "category_depth", None) or 0
        kind = _KINDS.get(category, "text")
        if kind == "title" and not looks_like_heading(text):
            kind = "text"
        yield Element(
            text=text,
            kind=kind,
            page=page if isinstance(page, int) else None,
            depth=depth if isinstance(depth, int) else 0,
        )


def _running_key(item: Any) -> str:
    """Headers and footers compare equal across pages once their numbers are ignored."""
    return re.sub(r"\d+", "#", " ".join(str(getattr(item, "text", "")).split()).lower())


def looks_like_heading(text: str) -> bool:
    """Heuristic classifiers call many short lines titles; a heading is short and does not
    read as a sentence or a fragment of one, in any script.

    Short: at most 120 characters and 15 words, a word being what spaces separate or, in
    scripts written without spaces (Chinese, Japanese, Thai...), about two letters.
    Not a sentence: it does not end in a full stop, comma or semicolon of any script
    (Unicode's Terminal_Punctuation less the question marks, exclamation marks and colons
    a heading may end with), closing brackets, quotes and footnote marks aside
    ("...a fan.[2]"); it holds no full-width comma, semicolon or full stop (which join
    clauses in Chinese and Japanese; headings number with 、 and ：); and it does not start
    in lower case (scripts without case pass).
    """
    line = " ".join(text.split())
    if not line or len(line) > 120 or _CJK_CLAUSE.search(line):
        return False
    # Chinese words average under two characters; Thai and Khmer words are longer, so for
    # them the estimate errs toward calling a line text.
    unspaced = len(UNSPACED.findall(line))
    spaced = sum(1 for word in line.split() if not UNSPACED.search(word))
    if spaced + (unspaced + 1) // 2 > 15:
        return False
    end = _CLOSERS.sub("", line) or line
    if _CLAUSE_END.match(end[-1]) and not end.endswith("..."):
        return False
    return not line[0].islower()


_CJK_CLAUSE = regex.compile(r"[，；。]")
#: What may follow the last word of a sentence: closing brackets and quotes, footnote marks.
_CLOSERS = regex.compile(r"(?:\[\d{1,3}\]|[\p{Pe}\p{Pf}\"'])+$")
#: Punctuation that ends a sentence or a clause, not a heading: Unicode's
#: Terminal_Punctuation, less question marks, exclamation marks and colons (Latin,
#: full-width, Arabic, Greek and their presentation forms).
_CLAUSE_END = regex.compile(r"[\p{Terminal_Punctuation}--[?!:？！：؟;︓︕︖﹕﹖﹗]]", regex.V1)
