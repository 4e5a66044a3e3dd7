"""unstructured's elements as docent's: the categories chunking cares about, tables as
readable rows, running headers and footers dropped, false titles demoted to text."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from docent.ingestion.chunking import Element
from docent.ingestion.parsing.tables import rows_from_html, table_text

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
    """docent's elements of unstructured's `raw` ones, in order; empty ones left out."""
    items = [item for item in raw if getattr(item, "category", "Text") not in _DROPPED]
    running = Counter(
        _running_key(item) for item in items if getattr(item, "category", None) in _RUNNING
    )
    for item in items:
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
    read as a sentence or a fragment of one."""
    line = " ".join(text.split())
    if not line or len(line) > 120 or len(line.split()) > 15:
        return False
    if line[-1] in ".,;" and not line.endswith("..."):
        return False
    return not line[0].islower()
