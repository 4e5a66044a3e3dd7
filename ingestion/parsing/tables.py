"""Tables as text a person (and BM25, and an embedder) can read: one row a line, cells
separated by " | ", the header first. unstructured's plain `text` of a table runs every
cell together; its `text_as_html` keeps the rows."""

from __future__ import annotations

from lxml import html as lxml_html

CELL_SEPARATOR = " | "


def rows_from_html(markup: str) -> list[list[str]]:
    """The rows of the first table in `markup`, each a list of cell texts."""
    try:
        root = lxml_html.fromstring(markup)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    tables = root.xpath("//table") if root.tag != "table" else [root]
    if not tables:
        return []
    rows = []
    for tr in tables[0].xpath(".//tr"):
        cells = [" ".join(cell.text_content().split()) for cell in tr.xpath("./th|./td")]
        if any(cells):
            rows.append(cells)
    return rows


def table_text(rows: list[list[str]]) -> str:
    """Rows as lines; trailing empty cells dropped."""
    lines = []
    for row in rows:
        while row and not row[-1]:
            row = row[:-1]
        lines.append(CELL_SEPARATOR.join(row))
    return "\n".join(line for line in lines if line.strip())
