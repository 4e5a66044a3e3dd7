"""A passage cut into what an extractive answer may quote: sentences, list items, and table
rows (each with its table's header).

Sentence boundaries come from sentencex (Wikimedia's rules for ~300 languages: "Dr.",
"z. B.", "p. ex." do not end a sentence; 。！？ and ؟ do). It needs the language, which only
matters for abbreviations: the script tells CJK and Arabic, and for Latin text the most
frequent function words tell English, German, French and Spanish apart (English when
none is found). Headings (a short line without end punctuation, followed by text) are
never quoted: they are kept as the context of what follows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sentencex

from docent.answering import held_kind, shapes, vocabulary
from docent.answering.grounding import script

#: A line that starts a list item: a bullet, or a number or letter followed by . or ).
_ITEM = re.compile(r"^\s*(?:[-*•·▪◦‣]|\d{1,3}[.)]|[a-z][.)])\s+\S")
#: "Label: value" with a figure in the value ("Domingos y festivos: de 9:00 a 15:00",
#: "Hotline: 0800 123"): a fact written without a full stop, not a heading.
_LABELLED_VALUE = re.compile(r"\w:\s+\D*\d")
#: A line that starts with a bullet: a list item, however short.
_BULLET = re.compile(r"^\s*[-*•·▪◦‣]\s+\S")
_CELL = " | "
#: Sentence ends, Latin, CJK and Arabic.
_END = tuple(".!?…。！？؟:;")
#: A heading is at most this many words (characters for CJK).
_HEADING_WORDS = 12
_HEADING_CJK_CHARS = 30
_FUNCTION_WORDS = {
    "en": {"the", "and", "of", "to", "is", "are", "for", "with", "be", "on"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "für", "ein", "eine", "den"},
    "fr": {"le", "la", "les", "et", "des", "est", "du", "une", "pour", "dans", "au"},
    "es": {"el", "los", "las", "y", "es", "del", "una", "para", "por", "con", "que"},
}
_WORD = re.compile(r"\w+")
_ELLIPSIS = re.compile(r"(?<=…)\s+(?=[\"'(\[]?[A-Z0-9À-ÖØ-Þ])")
#: A numbered clause's number at the start of a line, before a capital or a bracket: "9.2
#: At the end ...", "4.1.3 The tenants ...", "(b) Lost keys ...", "§ 4 Die Miete ...",
#: "Art. 7 Le locataire ...". Each part after the first has at most two digits, and a
#: capital must follow, so a wrapped line that starts with a figure ("1.8 litres",
#: "1.400 W") is no clause.
_CLAUSE = re.compile(
    r"^(?:\d{1,2}(?:\.\d{1,2})+\.?|\((?:[a-z]|[ivx]{1,4}|\d{1,2})\)|§\s*\d{1,3}[a-z]?|Art\.\s*\d{1,3})"
    r"\s+(?=[\"„«(]?[A-ZÀ-ÖØ-Þ])"
)
#: A clause is one unit of answer, however many sentences it has, up to this many
#: characters; a longer one is quoted by sentence.
_CLAUSE_CHARS = 600


@dataclass(frozen=True, slots=True)
class Unit:
    """Something quotable: its text as quoted, and the heading it comes under (or "")."""

    text: str
    kind: str  # "sentence", "item" or "row"
    heading: str = ""


def language(text: str) -> str:
    """An ISO 639-1 code good enough to choose sentence rules: "zh", "ar", or for Latin
    text the language with the most function words among en, de, fr, es ("en" on a tie)."""
    kind = script(text)
    if kind == "CJK":
        return "zh"
    if kind == "ARABIC":
        return "ar"
    words = [w.lower() for w in _WORD.findall(text[:2000])]
    counts = {lang: sum(w in vocab for w in words) for lang, vocab in _FUNCTION_WORDS.items()}
    best = max(counts, key=lambda lang: counts[lang])
    return best if counts[best] > counts["en"] else "en"


def sentences(text: str, lang: str | None = None) -> list[str]:
    """The sentences of a paragraph, white space folded."""
    folded = " ".join(text.split())
    if not folded:
        return []
    lang = lang or language(folded)
    # sentencex does not end a sentence at an ellipsis character: do it when a capital or
    # a digit follows, as for a full stop.
    pieces = _ELLIPSIS.split(folded)
    found = [p.strip() for piece in pieces for p in sentencex.segment(lang, piece) if p.strip()]
    return _rejoined(found)


#: An abbreviation of doubled initials, the Spanish plural ("RR. HH.", "EE. UU.", "FF. AA."),
#: at the end of a piece and at the start of the next.
_DOUBLED_END = re.compile(r"(?:^|\s)([A-ZÀ-ÖØ-Þ])\1\.$")
_DOUBLED_START = re.compile(r"^([A-ZÀ-ÖØ-Þ])\1\.(?:\s|$)")
#: A piece ending with a short word and a full stop ("RR. HH.", "approx.", "Abs."): what
#: follows it in lower case continues the sentence.
_SHORT_END = re.compile(r"(?:^|\s)[^\W\d_]{1,4}\.$")
#: A piece ending with one Arabic letter and a full stop: a title's abbreviation ("د." for
#: doctor, "أ." for ustadh, "م." for engineer) before a name, which no Arabic sentence ends
#: with; sentencex ends the sentence there.
_ARABIC_INITIAL_END = re.compile(r"(?:^|\s)[\u0621-\u064a]\.$")
#: A day of the month written as an ordinal ("bis zum 10." | "Juni", "le 1." | "mars"): a
#: piece ending with one and a piece opening with a month's name are one sentence.
_DAY_END = re.compile(r"(?:^|\s)\d{1,2}\.$")
_MONTH_START = re.compile(rf"^(?:{vocabulary.MONTHS})\b", re.IGNORECASE)
#: An ordinal after an article or a preposition ("darf die 1." | "Klasse genutzt werden",
#: "im 3." | "Stock"): no sentence ends with one.
_ORDINAL_END = re.compile(
    r"(?:^|\s)(?:der|die|das|den|dem|des|am|im|zum|zur|vom|beim|ab|bis|seit|jede[mnrs]?"
    r"|the|le|la|les|au|du|el|los|las|al|del)\s\d{1,3}\.$",
    re.IGNORECASE,
)


def _rejoined(pieces: list[str]) -> list[str]:
    """Sentences cut at an abbreviation sentencex does not know joined again: a piece of
    doubled initials after one ending with doubled initials ("RR." | "HH."), and a piece
    opening in lower case after one ending with a short word and a full stop ("... RR.
    HH." | "y de la persona responsable del equipo."): a sentence opens in upper case;
    a piece after one ending with an Arabic title's one-letter abbreviation ("د." |
    "خالد ..."); a month's name after a day's ordinal ("bis zum 10." | "Juni ..."); and
    what follows an ordinal after an article ("darf die 1." | "Klasse ...")."""
    out: list[str] = []
    for piece in pieces:
        if out and (
            (_DOUBLED_END.search(out[-1]) and _DOUBLED_START.match(piece))
            or (piece[:1].islower() and _SHORT_END.search(out[-1]))
            or (_ARABIC_INITIAL_END.search(out[-1]) and "\u0621" <= piece[:1] <= "\u064a")
            or (_DAY_END.search(out[-1]) and _MONTH_START.match(piece))
            or _ORDINAL_END.search(out[-1])
        ):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def is_heading(line: str) -> bool:
    """A short line without end punctuation: "2. Annual leave", "Technische Daten"; not
    a label with a figure after its colon ("Sundays: 9:00 to 15:00"), nor a line giving an
    e-mail address."""
    line = line.strip()
    if not line or line.endswith(_END) or _CELL in line or _LABELLED_VALUE.search(line):
        return False
    if held_kind.EMAIL.search(line):
        # "Datenschutzbeauftragte: Carla Wendt, datenschutz@solvera.example", "From: ... <a@b>":
        # a line giving an e-mail address states a contact; no heading holds one.
        return False
    if script(line) == "CJK":
        return len(line) <= _HEADING_CJK_CHARS
    return len(line.split()) <= _HEADING_WORDS


#: A letter's or an e-mail's closing formula (en, de, fr, es, zh, ar): the short lines
#: after it are its signature.
_VALEDICTION = re.compile(
    r"^(?:(?:with\s+)?(?:best|kind|warm)(?:est)?\s+(?:regards|wishes)|regards|yours\s+"
    r"(?:sincerely|faithfully|truly)|sincerely|(?:mit\s+)?(?:freundlichen|besten|herzlichen|"
    r"viele|liebe)\s+gr[üu](?:ß|ss)(?:en|e)|gr[üu](?:ß|ss)e|cordialement|bien\s+cordialement|"
    r"(?:bien\s+)?[àa]\s+vous|salutations(?:\s+distingu[ée]es)?|(?:un\s+)?saludo(?:s)?"
    r"(?:\s+cordiales)?|atentamente|cordialmente|此致|敬礼|顺祝商祺|مع\s+(?:خالص\s+)?التحية"
    r"|وتفضلوا\s+بقبول\s+فائق\s+الاحترام)[\s,.!]*$",
    re.IGNORECASE,
)
#: The signature's lines read as one unit, up to this many.
_SIGNATURE_LINES = 4


def _signed(blocks: list[str]) -> list[str]:
    """`blocks` with the short lines of a signature after a closing formula ("Mit
    freundlichen Grüßen" over "Jürgen Haas", "Vorsitzender des Betriebsrats", "Kallisto
    Maschinenbau AG") joined into one block, their lines separated by commas: each line
    alone reads as a heading, or is too short to quote, and "who chairs the works
    council?" is answered by the name and the office together."""
    out: list[str] = []
    i = 0
    while i < len(blocks):
        out.append(blocks[i])
        i += 1
        if not _VALEDICTION.match(out[-1].strip()):
            continue
        lines: list[str] = []
        while i < len(blocks) and len(lines) < _SIGNATURE_LINES:
            found = [line.strip() for line in blocks[i].split("\n") if line.strip()]
            if len(lines) + len(found) > _SIGNATURE_LINES or not all(map(is_heading, found)):
                break
            lines += found
            i += 1
        if lines:
            out.append(", ".join(lines))
    return out


def units(text: str) -> list[Unit]:
    """The quotable units of a passage, in order."""
    lang = language(text)
    blocks = _signed([b for b in re.split(r"\n\s*\n", text) if b.strip()])
    found: list[Unit] = []
    heading = parent = ""
    # The column names of the passage's last table with a header: a table the reader
    # cut in two continues under them.
    columns: list[str] = []
    for i, block in enumerate(blocks):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if _heading_line(block):
            # A heading introduces text or a bulleted list ("What is in the box" over
            # "• Espresso machine CM-40"); a run of short lines is a table read cell by cell,
            # except a section heading over its first subsection's ("3.4.0 (2025-05-06)"
            # over "Added" over text).
            if _opens_text(blocks, i):
                heading = f"{parent} > {lines[0]}" if parent else lines[0]
                parent = ""
                continue
            if i + 1 < len(blocks) and _heading_line(blocks[i + 1]) and _opens_text(blocks, i + 1):
                parent = lines[0]
                continue
        if sum(_CELL in line for line in lines) >= 2:
            rows = _rows(lines, heading, lang, columns)
            found.extend(rows)
            columns = _header_of(lines) or columns
            continue
        paragraph: list[str] = []
        for j, line in enumerate(lines):
            if _ITEM.match(line) or _CELL in line:
                found.extend(_prose(paragraph, lang, heading))
                paragraph = []
                if _CELL in line and _lone_header(line, lines[j + 1 : j + 2]):
                    continue
                found.append(Unit(" ".join(line.split()), "item", heading))
            elif _CLAUSE.match(line):
                # A numbered clause starts a unit of its own; its wrapped lines follow.
                found.extend(_prose(paragraph, lang, heading))
                paragraph = [line]
            else:
                paragraph.append(line)
        found.extend(_prose(paragraph, lang, heading))
    return found


def _prose(lines: list[str], lang: str, heading: str) -> list[Unit]:
    """The units of a run of prose lines: one per numbered clause (`_CLAUSE`, split again
    where the next clause's number follows on the same line: "... notice 9.2 At the end"),
    one per sentence otherwise."""
    text = " ".join(" ".join(lines).split())
    if not text:
        return []
    found = []
    for clause in _clauses(text):
        if _CLAUSE.match(clause) and len(clause) <= _CLAUSE_CHARS:
            found.append(Unit(clause, "sentence", heading))
        else:
            found.extend(Unit(s, "sentence", heading) for s in sentences(clause, lang))
    return found


def _clauses(text: str) -> list[str]:
    """`text` cut before each clause number that follows the one it opens with in
    sequence ("9.1" then "9.2", "(a)" then "(b)", "§ 4" then "§ 5"); `text` whole when it
    opens with no clause number."""
    parts = []
    while (match := _CLAUSE.match(text)) is not None:
        following = _successor(match.group(0).strip())
        if following is None:
            break
        at = re.search(rf"(?<=\s){re.escape(following)}\s+(?=[\"„«(]?[A-ZÀ-ÖØ-Þ])", text)
        if at is None:
            break
        parts.append(text[: at.start()].strip())
        text = text[at.start() :]
    return [*parts, text]


def _successor(number: str) -> str | None:
    """The clause number after `number` ("9.1" -> "9.2", "(a)" -> "(b)", "§ 4" -> "§ 5");
    None for a roman numeral or a form without a successor."""
    if match := re.fullmatch(r"((?:\d+\.)*)(\d+)(\.?)", number):
        return f"{match[1]}{int(match[2]) + 1}{match[3]}"
    if match := re.fullmatch(r"\(([a-hj-uwyz])\)", number):
        return f"({chr(ord(match[1]) + 1)})"
    if match := re.fullmatch(r"(§\s*|Art\.\s*)(\d+)", number):
        return f"{match[1]}{int(match[2]) + 1}"
    return None


def _lone_header(line: str, after: list[str]) -> bool:
    """Whether table line `line`, with no table line after it, reads as a header ("Name |
    Role | GDC number", "Day | Opening hours"): a header row is never an answer, and
    without its rows it is all there is of its table."""
    return not any(_CELL in a for a in after) and _header_cells(line.split("|"))


def _header_cells(cells: list[str]) -> bool:
    """Whether a table line's cells read as column names: at least two filled, no figure
    in any, each of at most four words."""
    filled = [c.strip() for c in cells if c.strip()]
    return (
        len(filled) >= 2
        and not any(ch.isdigit() for c in filled for ch in c)
        and all(len(c.split()) <= 4 for c in filled)
    )


def _heading_line(block: str) -> bool:
    """Whether `block` is one line that reads as a heading (a bullet never does)."""
    lines = [line.strip() for line in block.split("\n") if line.strip()]
    return len(lines) == 1 and is_heading(lines[0]) and not _BULLET.match(lines[0])


def _opens_text(blocks: list[str], i: int) -> bool:
    """Whether the block after `blocks[i]` is text or a bulleted list, not another short
    line."""
    if i + 1 >= len(blocks):
        return False
    after = blocks[i + 1].strip().split("\n")[0]
    return not is_heading(after) or _BULLET.match(after) is not None


#: A code: capitals, then figures ("E04", "F-12", "QLN-4291").
_CODE_SHAPE = re.compile(r"[A-Z]{1,4}-?\d{1,5}")


def _alike(cell: str, below: str) -> bool:
    """Whether two cells of a column hold values of one kind: codes of one shape ("E04"
    over "E07") or quantities in units of one dimension ("200 kg" over "41 kg")."""
    if _CODE_SHAPE.fullmatch(cell) and _CODE_SHAPE.fullmatch(below):
        return re.sub(r"\d", "9", cell) == re.sub(r"\d", "9", below)
    return any(
        shapes.states_measure(d, cell) and shapes.states_measure(d, below)
        for d in shapes.Dimension
        if d is not shapes.Dimension.AMOUNT
    )


def _data_line(line: str, below: str) -> bool:
    """Whether a table's first line is a row, not its header: a cell of it holds a value
    of the kind of the cell under it (`_alike`). A PDF's table whose header the reader
    lost, or cut in two ("Charge utile | 200 kg" over "Poids | 41 kg"), starts so."""
    cells, under = _cells(line), _cells(below)
    return len(cells) == len(under) and any(
        _alike(a, b) for a, b in zip(cells, under, strict=True) if a and b
    )


def _header_of(lines: list[str]) -> list[str]:
    """The column names of a table block (its first line with cells), none when that line
    is a row (`_data_line`)."""
    table = [line for line in lines if _CELL in line]
    if len(table) < 2 or _data_line(table[0], table[1]):
        return []
    return _cells(table[0])


def _rows(
    lines: list[str], heading: str, lang: str = "en", columns: list[str] | None = None
) -> list[Unit]:
    """Each row of a table after its header, as "Header: cell; Header: cell" when the
    header has as many cells, else as the header line and the row line. A notes line
    among or under the rows (`_notes_line`: "Cash, cheque or card accepted. Parking is
    free for patients." under a price table) is no row: its sentences are quoted as they
    are, never under the first column's header. A table whose first line is a row
    (`_data_line`) has no header of its own: it continues under `columns`, the names of
    the passage's table before it, when they are as many as its cells, else its rows
    stand alone ("E04 | Descaling overdue | Run the descaling programme")."""
    # Lines before the table's first row are its caption ("Opening hours"), not a header.
    caption = lines[: next(i for i, line in enumerate(lines) if _CELL in line)]
    if caption:
        lines = lines[len(caption) :]
        heading = " > ".join(part for part in (heading, " ".join(caption)) if part)
    header, rows = lines[0], lines[1:]
    names = [c.strip() for c in header.split("|")]
    headless = bool(rows) and _data_line(header, rows[0])
    if headless:
        rows = lines
        names = list(columns) if columns and len(columns) == len(names) else [""] * len(names)
    # A title over the table in a merged row ("Prices from 6 January | | |") is no header:
    # the row of names under it is.
    elif rows and not all(names) and _names_row(rows[0]):
        header, rows = rows[0], rows[1:]
        names = [c.strip() for c in header.split("|")]
    # A header of two rows (a group over its columns: "Day | Opening hours |" over "|
    # Opens | Closes") names each column by both; the second row is no answer either.
    while (
        not headless
        and rows
        and _header_cells(rows[0].split("|"))
        and (not all(names) or "" in _cells(rows[0]))
    ):
        below = _cells(rows[0])
        if len(below) != len(names):
            break
        names = [_joined(n, b) for n, b in zip(_carried(names), below, strict=True)]
        rows = rows[1:]
    found = []
    for row in rows:
        if _notes_line(row):
            found.extend(_prose([" ".join(c for c in _cells(row) if c)], lang, heading))
            continue
        cells = _cells(row)
        # A header repeated (after a page break, or by an overlapping chunk) says nothing:
        # a header row is never an answer by itself.
        if [c.casefold() for c in cells] == [n.casefold() for n in names]:
            continue
        if not any(names):
            text = " | ".join(c for c in cells if c)
        else:
            # Each cell under its column's name; a column without a name, or a cell beyond
            # the header's last column, stands alone: the header line is never quoted.
            pairs = [
                f"{n}: {c}" if n else c
                for n, c in zip(names + [""] * (len(cells) - len(names)), cells, strict=False)
                if c
            ]
            text = "; ".join(pairs)
        found.append(Unit(text, "row", heading))
    return found


#: A notes line's one cell is a sentence: at least this many words and an end mark.
_NOTE_WORDS = 4


def _notes_line(line: str) -> bool:
    """Whether a line of a table block is a note, not a row: it has no cell separator (a
    spreadsheet's notes under its table, a PDF's line under the table's columns), or one
    filled cell only that reads as a sentence (`_NOTE_WORDS` words or more, ending with
    an end mark). A row of one label ("Sunday | closed" has two) stays a row."""
    if _CELL not in line:
        return True
    filled = [c for c in _cells(line) if c]
    return (
        len(filled) == 1
        and len(filled[0].split()) >= _NOTE_WORDS
        and filled[0].endswith(tuple(".!?。！？؟"))
    )


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.split("|")]


def _carried(names: list[str]) -> list[str]:
    """A merged group name carried over the empty cells after it ("Opening hours", "")."""
    out: list[str] = []
    for name in names:
        out.append(name or (out[-1] if out else ""))
    return out


def _joined(group: str, name: str) -> str:
    return f"{group} {name}".strip() if name and group != name else (group or name)


def _names_row(line: str) -> bool:
    """Whether table line `line` reads as a header: every cell filled, none a figure."""
    cells = [c.strip() for c in line.split("|")]
    return len(cells) >= 2 and all(cells) and not any(c[:1].isdigit() for c in cells)
