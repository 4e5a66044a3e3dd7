"""A passage's text as the not-found gate reads it: folded, as its analysed terms, its
script, its document's letterhead, and whether a code or a word stands in it (clues.py,
grounding.py and the answering modules around them)."""

from __future__ import annotations

import re
import unicodedata

from docent.domain import Chunk, Hit
from docent.search import analysis

#: A letterhead: a document's title, its sender's or subject's line, and one more line
#: ("Policy owner: ...", the date), of at most this many characters each.
LETTERHEAD_LINES = 3
LETTERHEAD_CHARS = 200
#: What file names and codes put between a code's parts ("CM-40", "cm40", "cm_40").
_SEPARATORS = re.compile(r"[\s\-_./]+")
#: How much of a passage is looked at to tell its script.
_SCRIPT_SAMPLE = 2000


def code_in_name(code: str, name: str) -> bool:
    """Whether `code` is in `name` (a title, often a file name), case and separators
    aside: "CM-40" is in "brevena-cm40-manual.pdf"."""
    return _SEPARATORS.sub("", fold(code)) in _SEPARATORS.sub("", fold(name))


def letterhead(opening: str) -> str:
    """The first lines of a document's opening passage (`LETTERHEAD_LINES`, each cut at
    `LETTERHEAD_CHARS`): its title and letterhead, not the table or text that may follow
    in the same passage (a price list's first rows are no more its subject than its
    last)."""
    lines = [line.strip() for line in opening.splitlines() if line.strip()]
    return "\n".join(line[:LETTERHEAD_CHARS] for line in lines[:LETTERHEAD_LINES])


def opens_document(unit: str, chunk: Chunk) -> bool:
    """Whether `unit`, quoted from `chunk`, is in its document's letterhead: the chunk
    starts the document (its first, at offset 0) and the unit is in its first lines (`letterhead`): a
    title, a sender's line with its date ("Al Noor Telecom - Customer Service - 3 March
    2025"), a header ("Minutes of the meeting held on 9 April 2025, ..."), a greeting
    ("Welcome to the Al Waha clinics."). It names and dates the document; what the
    document tells comes after it."""
    if chunk.ordinal != 0 or chunk.start_offset != 0:
        return False
    head = " ".join(letterhead(chunk.text).split())
    quoted = " ".join(unit.split())[: LETTERHEAD_CHARS // 2]
    return bool(quoted) and quoted in head


#: A field's label opening a line: "Date:", "Beginn:", "Next meeting:", "Lieu :".
_LABEL = re.compile(r"^[^\W\d][^:;.!?]{0,30}\s?:\s")


def header_line(unit: str) -> bool:
    """Whether `unit` ends as no sentence does (no full stop, "!" or "?", in Latin, CJK or
    Arabic script) and is no field ("Datum: Freitag, 13.06.2025 Beginn: 18:30 Uhr" states
    a value by its label): a title, letterhead or header line, not what the text says."""
    text = unit.strip()
    return not text.endswith((".", "!", "?", "。", "！", "？", "؟")) and not _LABEL.match(text)


def bare(text: str) -> str:
    """`text` case-folded without accents ("Lumière" -> "lumiere")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """`text` NFKC-normalised and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def terms_of(text: str) -> set[str]:
    """The analysed terms of `text` (`analysis.analyze`, its language detected)."""
    # NFKC: a PDF's ligatures ("ﬃ") and full-width forms read as the letters they are.
    return set(analysis.analyze(unicodedata.normalize("NFKC", text)))


def passage(hit: Hit) -> str:
    """A passage's own words: its section path and text, without its document's title."""
    return "\n".join(part for part in (hit.chunk.section, hit.chunk.text) if part)


def context(hit: Hit) -> str:
    """A passage as retrieval saw it: its document's title, its section path and its text
    (ingestion indexes chunks so). The Halden policy's annual-leave passage does not say
    "Halden Logistics"; its title does, and a question naming the company is about it."""
    chunk = hit.chunk
    return "\n".join(part for part in (hit.document_title, chunk.section, chunk.text) if part)


def has_word(folded_text: str, word: str) -> bool:
    """Whether `word` stands as a word in `folded_text` (both folded)."""
    # Not inside a dotted number either: "4.0" is not in "3.4.0".
    pattern = rf"(?<!\w)(?<!\d\.){re.escape(word)}(?!\w)(?!\.\d)"
    return re.search(pattern, folded_text) is not None


def script(text: str) -> str | None:
    """The writing system most of `text`'s letters belong to, by their Unicode names:
    "LATIN", "CJK" (Han, kana and Hangul together), "ARABIC", "CYRILLIC", ...; None when
    it has no letters."""
    counts: dict[str, int] = {}
    for ch in text[:_SCRIPT_SAMPLE]:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        first = name.split(" ", 1)[0]
        if first in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL") or name.startswith("IDEOGRAPHIC"):
            first = "CJK"
        counts[first] = counts.get(first, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else None


def table_headers(text: str) -> dict[str, str]:
    """Each table line of `text` ("cell | cell") with the first line of its table (lines
    with "|" in a row), its header: where the table's entities are its columns ("| DH-12
    | DH-20" over "Water tank | 2.0 litres | 4.5 litres"), a code is named there, not in
    the row holding its value."""
    headers: dict[str, str] = {}
    header = ""
    for line in text.splitlines():
        if "|" not in line:
            header = ""
            continue
        header = header or line
        headers.setdefault(line.strip(), header)
    return headers
