"""The cell a table question asks for: its row's label and the column the question names.

A table row is quoted as "Header: cell; Header: cell; ..." (passages.units). A question
naming a column ("How late is the main pool open on Thursdays?" over opening hours with
days as columns; "How heavy is the HX-9?" over a spec sheet with products as columns;
"What's the fee for a squash court on a Sunday?") asks for that cell, not for the whole
row, whose other cells are the neighbouring answers (Friday's hours, the HX-6's weight).
The answer is then the row's first cell (what the row is about, with its header), the
cells whose values the question names (the row term when it is not the first cell:
"Product: A4 copier paper, recycled" beside the SKU), and the cells under the columns
the question names.

Only tables whose columns are entities are cut: days or months, products or codes, or the
groups and periods a price is for (`contrast.CLASSES`): "Thursday", "HX-9", "Child (under
16)". A column of attributes ("E-mail", "Opens", "Closes") is what a question about a row
asks alongside the others ("How late is it open?" needs the closing time, not "Opens"),
so a row is quoted whole unless one of the question's weekdays, months, names, codes or
class members names a column: its header holds that word's term (stemmed, and widened by
everyday synonyms: "kids" names "Child (under 16)"), which not every value column's header
holds ("adult" in "Adult weekday", "Adult Saturday", "Adult Sunday" names none of them).
Rows of fewer than two value columns are quoted whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from docent.answering import clues, contrast, shapes, synonyms
from docent.search import analysis

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")

#: Value columns a row needs for a cell to be picked out of it.
_MIN_VALUES = 2


def _terms(text: str) -> set[str]:
    return set(analysis.analyze(text))


def question_terms(question: str) -> set[str]:
    """The terms of the question's words that can name an entity column (its weekdays and
    months, names and codes, and members of `contrast.CLASSES`), each widened by its
    everyday synonyms (`synonyms`)."""
    languages = analysis.text_languages(question)
    named = {n.casefold() for n in clues.names_and_codes(question)}
    words = [
        w
        for w in _WORD.findall(question)
        if shapes.is_calendar(w) or w.casefold() in named or contrast.member(w)
    ]
    words += [n for n in named if not _WORD.fullmatch(n)]
    return {term for word in words for term in synonyms.widen(analysis.analyze(word, languages))}


def named_cells(question: str, row: str) -> str | None:
    """`row` ("Header: cell; Header: cell; ...") cut to its first cell, the cells whose
    value the question names and those under the columns it names; None when it names no
    column, or every one, or `row` is not in that form."""
    pairs = [part.partition(": ") for part in row.split("; ")]
    if any(not sep for _, sep, _ in pairs) or len(pairs) < 1 + _MIN_VALUES:
        return None
    asked = question_terms(question)
    headers = [_terms(header) for header, _, _ in pairs[1:]]
    common = set.intersection(*headers) if headers else set()
    scores = [len((terms - common) & asked) for terms in headers]
    best = max(scores)
    if not best or scores.count(best) == len(scores):
        return None
    kept = [pairs[0]]
    for (header, sep, value), score in zip(pairs[1:], scores, strict=True):
        if score == best or (_terms(value) & asked and not _terms(value) <= _terms(header)):
            kept.append((header, sep, value))
    return "; ".join(f"{header}{sep}{value}" for header, sep, value in kept)


#: A unit in a table's caption or heading: "Revenue by region (£m)", "Gewicht (kg)",
#: "Prix (€ HT)", "Prices in €".
_CAPTION_UNIT = re.compile(r"\(([^()\d]{1,12})\)|\bin ([€$£¥]|eur|euros?|gbp|usd)\b", re.IGNORECASE)
#: A multiplier or tax note after the unit: "£m", "€ HT", "Tsd. €".
_QUALIFIER = re.compile(
    r"\b(?:m|k|bn|mn|mio|mrd|tsd|thousands?|millions?|ht|ttc|net|gross|netto|brutto)\b\.?",
    re.IGNORECASE,
)


def headed_fit(asked: shapes.Asked | None, fit: float, kind: str, heading: str) -> float:
    """`fit` (shapes.fit) of a unit of `kind` under `heading`, raised to 1 for a table row
    with the shape asked (0.5) whose heading states the unit of the quantity asked ("Revenue
    by region (£m)" over "Region: Americas; Q2 2025: 6.2" for "What was the revenue in the
    Americas?"): the row's figures are in it, as a price list's are in its caption's
    currency."""
    if kind != "row" or asked is None or asked.dimension is None or fit != 0.5 or not heading:
        return fit
    for found in _CAPTION_UNIT.finditer(heading):
        unit = " ".join(_QUALIFIER.sub(" ", found.group(1) or found.group(2)).split())
        if unit and (
            shapes.states_measure(asked.dimension, f"1 {unit}")
            or shapes.states_measure(asked.dimension, f"{unit}1")
        ):
            return 1.0
    return fit


#: A question for what a code or an abbreviation means: "What does E04 mean?", "What
#: does MHE stand for?", "Was bedeutet F12?", "Que signifie le code E4 ?", "¿Qué significa
#: E04?", "E04是什么意思？", "ماذا يعني E04؟".
_MEANING = re.compile(
    r"\bwhat (?:does|do|is meant by)\b.*\b(?:mean|stand for|indicate|signify)\b|\bmeaning of\b"
    r"|\bwas (?:bedeutet|heißt|heisst)\b|\bwofür steht\b|\bbedeutung\b"
    r"|\bque (?:signifie|veut dire)\b|\bsignification\b|\bqu[eé] (?:significa|quiere decir)\b"
    r"|\bsignificado\b|什么意思|代表什么|表示什么|含义|ماذا (?:يعني|تعني)|ما معنى|ما دلالة",
    re.IGNORECASE,
)


def row_label(row: str) -> str:
    """What a table row (passages.units) is about: its first cell's value ("E04" of "E04
    | Descaling overdue | ..." and of "Code: E04; Meaning: Descaling overdue")."""
    if " | " in row:
        return row.split(" | ", 1)[0].strip()
    first = row.split("; ", 1)[0]
    return (first.partition(": ")[2] or first).strip()


def defined_first(
    question: str,
    best: int,
    texts: Sequence[str],
    kinds: Sequence[str],
    documents: Sequence[str | None],
    scores: Sequence[float],
) -> int:
    """For a question asking what a code means (`_MEANING`), the unit to answer with: the
    best-scoring table row of `best`'s document whose first cell (`row_label`) is a code
    the question names (clues.names_and_codes), which defines it ("E04 | Descaling overdue
    | Run the descaling programme"), over a sentence that mentions the code ("... and
    error code E04 is shown."); else `best`."""
    if not _MEANING.search(" ".join(question.casefold().split())):
        return best
    codes = {
        c.casefold()
        for c in clues.names_and_codes(question)
        if any(ch.isdigit() for ch in c) or c.isupper()
    }
    rows = [
        i
        for i in range(len(texts))
        if kinds[i] == "row"
        and documents[i] == documents[best]
        and row_label(texts[i]).casefold() in codes
    ]
    return max(rows, key=lambda i: scores[i]) if rows else best
