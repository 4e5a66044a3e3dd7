"""Markdown as docent's elements, read by a CommonMark parser (markdown-it-py) in one pass.

The structure is the author's: a `#` or setext heading is a title at its level (depth 0
for `#`), a paragraph is text, each list item a list element, a pipe table (GFM) its rows
as `tables.py` renders them, fenced and indented code a code element, a block quote its
paragraphs. YAML front matter (`---` ... `---` or `...` at the very start) is kept as one
text element, searchable, never mistaken for a setext heading. Raw HTML blocks are read
for their text (or their table's rows); scripts, styles and comments are dropped.

Nothing here classifies text by heuristics, so the cost is markdown-it's, linear in the
input: it bounds nesting (`maxNesting`, below) and its inline rules are linear in
CommonMark's pathological cases. unstructured's path rendered HTML and then classified
every element, which made 1 MB of headed Markdown cost ten times its plain-text figure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

from lxml import etree
from lxml import html as lxml_html
from markdown_it import MarkdownIt
from markdown_it.token import Token

from docent.ingestion.chunking import Element
from docent.ingestion.parsing.tables import rows_from_html, table_text
from docent.ingestion.parsing.text import glue

#: How deep blocks may nest (quotes in quotes, lists in lists): markdown-it stops there,
#: and what is nested deeper is left out, a bound on its recursion (~3 frames a level, far
#: from Python's 1,000) whatever the input. Its CommonMark preset's 20 dropped text that
#: real documents can hold (a quoted e-mail thread); no document nests 100 levels.
MAX_NESTING = 100
#: YAML front matter: a first line of three dashes, up to a line of three dashes or dots.
#: Searched in the first 64 KB only, so that an unclosed `---` costs nothing.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_SPAN = 65536
_LIST_OPEN = {"bullet_list_open", "ordered_list_open"}
_LIST_CLOSE = {"bullet_list_close", "ordered_list_close"}
_INVISIBLE_HTML = ("script", "style", "noscript", "template")


#: What may start inline markup in CommonMark (escapes, code spans, emphasis, links and
#: images, autolinks and inline HTML, entities) or make a hard line break. A paragraph or
#: heading without any is its own text, and skips the inline parser: most prose. A run of
#: spaces is tried from its first only (`(?<! )`): tried from each of its spaces, a run of
#: n not ending a line cost n² steps (2,000 lines of 8,000 spaces: two minutes).
_INLINE_MARKUP = re.compile(r"[\\`*_\[\]!<&]|(?<! ) {2,}\n")


def _parser() -> MarkdownIt:
    # Inline runs are parsed on demand (`_inline`), only where `_INLINE_MARKUP` occurs.
    return MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable("table").disable("inline")


def partition_markdown(text: str) -> list[Element]:
    """docent's elements of Markdown `text` (CommonMark with GFM tables), in order.

    Titles carry their heading level as `depth` (`#` is 0, `######` is 5). Empty blocks
    are left out. Never raises on any input.
    """
    elements: list[Element] = []
    front, body = split_front_matter(text)
    if front.strip():
        elements.append(Element(text=front.strip(), kind="text"))
    parser = _parser()
    env: dict[str, Any] = {}  # the link reference definitions, for inline runs
    tokens = parser.parse(body, env)
    read = partial(_inline, parser, env)
    elements.extend(e for e in _elements(tokens, read) if e.text.strip())
    return elements


def _inline(parser: MarkdownIt, env: dict[str, Any], token: Token) -> str:
    """The text of an inline token (a paragraph's, a heading's, a table cell's)."""
    content = token.content
    if not _INLINE_MARKUP.search(content):
        return _soft_breaks(content)
    children: list[Token] = []
    parser.inline.parse(content, parser, env, children)
    return inline_text(children)


def split_front_matter(text: str) -> tuple[str, str]:
    """(the YAML front matter's lines, the rest), or ("", text) when there is none."""
    match = _FRONT_MATTER.match(text[:_FRONT_MATTER_SPAN])
    if not match:
        return "", text
    return match.group(1) or "", text[match.end() :]


def _elements(tokens: Sequence[Token], inline: Callable[[Token], str]) -> Iterator[Element]:
    lists = 0  # how many lists the current token is inside
    in_table = False
    heading = 0
    rows: list[list[str]] = []
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in _LIST_OPEN:
            lists += 1
        elif kind in _LIST_CLOSE:
            lists -= 1
        elif kind == "heading_open":
            heading = int(token.tag[1:])
        elif kind == "heading_close":
            heading = 0
        elif kind == "table_open":
            in_table, rows = True, []
        elif kind == "table_close":
            in_table = False
            yield Element(text=table_text(rows), kind="table")
        elif kind == "tr_open":
            rows.append([])
        elif kind == "inline":
            line = inline(token)
            if in_table:
                rows[-1].append(" ".join(line.split()))
            elif heading:
                yield Element(text=" ".join(line.split()), kind="title", depth=heading - 1)
            elif lists:
                yield Element(text=_numbered(tokens, index, line), kind="list")
            else:
                yield Element(text=line, kind="text")
        elif kind in ("fence", "code_block"):
            yield Element(text=token.content.rstrip("\n"), kind="code")
        elif kind == "html_block":
            yield from _html_block(token.content)


def _numbered(tokens: Sequence[Token], index: int, line: str) -> str:
    """An ordered list item's first paragraph keeps its number ("3. Tighten the nut"):
    steps are cited by it."""
    if index >= 2 and tokens[index - 2].type == "list_item_open":
        number = tokens[index - 2].info
        if number and tokens[index - 2].markup in (".", ")"):
            return f"{number}{tokens[index - 2].markup} {line}"
    return line


def inline_text(children: Sequence[Token]) -> str:
    """The text a reader sees of an inline run: emphasis and links by their text, images by
    their alternative text, code spans by their code, inline HTML tags dropped; a soft line
    break is a space (none between two characters of scripts written without spaces), a hard
    one a line break."""
    parts: list[str] = []
    for child in children:
        kind = child.type
        if kind in ("text", "text_special", "code_inline"):
            parts.append(child.content.replace("\n", " "))  # a code span may span lines
        elif kind == "image":
            parts.append(inline_text(child.children or []))
        elif kind == "softbreak":
            parts.append("\n")
        elif kind == "hardbreak":
            parts.append(_HARD_BREAK)
    return _soft_breaks("".join(parts)).replace(_HARD_BREAK, "\n")


#: Stands for a hard line break while soft ones are joined (a control character decoding
#: never leaves in text: `text.decode_text` turns every CR into LF).
_HARD_BREAK = "\r"


def _soft_breaks(text: str) -> str:
    """`text` with its line breaks (soft ones) joined as `glue` says."""
    if "\n" not in text:
        return text
    # Pieces joined once at the end: joining one line at a time cost the paragraph's length
    # squared (a 6 MB paragraph of 200,000 lines took 39 s).
    lines = text.split("\n")
    parts = [lines[0].rstrip()]
    last = parts[0][-1:]  # the last character joined, "" before any
    for line in lines[1:]:
        tail = line.strip()
        if not tail:
            continue
        if last:
            parts.append(glue(last, tail))
        parts.append(tail)
        last = tail[-1]
    return "".join(parts)


def _html_block(markup: str) -> Iterator[Element]:
    """A raw HTML block's table as its rows, anything else as its visible text."""
    if "<table" in markup.lower():
        rows = rows_from_html(markup)
        if rows:
            yield Element(text=table_text(rows), kind="table")
            return
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (ValueError, etree.ParserError):
        return
    for hidden in list(root.iter(*_INVISIBLE_HTML)):
        hidden.drop_tree()  # text_content() would keep a script's code; comments it leaves out
    text = "\n".join(line.strip() for line in root.text_content().split("\n") if line.strip())
    if text:
        yield Element(text=text, kind="text")
