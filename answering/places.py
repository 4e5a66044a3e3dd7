"""How well a unit answers "where": a labelled place, and place words that are the question's.

shapes.fit gives a unit the place shape for a word naming a place ("room", "Gebäude",
"centre", "parking"). Two surface cases it reads wrong:

- **A labelled place line answers in full.** An invitation or a notice writes the place
  after its label ("Datum: Donnerstag, 24. April 2025 Beginn: 13:30 Uhr Ort: Kantine,
  Gebäude 3", "Venue: Kelvin Hall", "Lieu : salle B", 地点：3号会议室, المكان: ...): that
  line says where, and fits as a quantity in its unit does (1.0).
- **The question's own words are not the answer's place.** "Where is the fire assembly
  point at Copperline's Daventry distribution centre?": the title line "COPPERLINE
  DISTRIBUTION - DAVENTRY DISTRIBUTION CENTRE WAREHOUSE SAFETY RULES" holds "centre"
  because it names the subject, and says no place; the words of the question are left
  out before the place words are looked for ("the staff car park by Gate 2" keeps them).

Languages: en, de, fr, es, zh, ar.
"""

from __future__ import annotations

import re

from docent.answering import shapes

#: A place's label, then a colon (en, de, fr, es, zh, ar).
_LABELLED = re.compile(
    r"(?:^|[\s;(])(?:location|venue|place|address|where|meeting point"
    r"|ort|veranstaltungsort|treffpunkt|adresse|anschrift|standort|raum"
    r"|lieu|emplacement|lugar|ubicaci[oó]n|direcci[oó]n|sede|punto de encuentro)\s?:"
    r"|(?:地点|地址|位置|场地)\s?[:：]|(?:المكان|العنوان|الموقع)\s?:",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+")
#: A floor, a room or a building heading a table's row ("Floor: First floor", "Raum:
#: B2.14"): a place in a table of places (`_heads_the_row`), not in a programme's row.
_PLACE_HEAD = re.compile(
    r"^(?:floor|level|room|building|etage|stockwerk|raum|geb[äa]ude|[ée]tage|b[âa]timent"
    r"|salle|planta|piso|edificio|sala|楼层|房间|الطابق)\s?[:：]",
    re.IGNORECASE,
)


def labelled(text: str) -> bool:
    """Whether `text` writes a place after its label ("Ort: Kantine, Gebäude 3",
    "Venue: Kelvin Hall", 地点：3号会议室)."""
    return bool(_LABELLED.search(text))


def _heads_the_row(question: str, row: str) -> bool:
    """Whether table `row` ("Floor: First floor; What you will find there: Engineering and
    the Brunel room") says where in its first cell, a labelled place, while another cell
    holds what the question asks about ("engineering") and the first none of it: the
    table is a list of places, and its first column the answer."""
    head, rest = row.split("; ", 1)
    if not (labelled(head) or _PLACE_HEAD.match(head)):
        return False
    label, _, value = head.rpartition(": ")
    # The label's words ("floor") are what is asked for, not what it is asked about.
    named = {w.casefold() for w in _WORD.findall(label)}
    asked = {w.casefold() for w in _WORD.findall(question) if len(w) > 3} - named
    held = {w.casefold() for w in _WORD.findall(value)}
    return bool(asked & {w.casefold() for w in _WORD.findall(rest)}) and not asked & held


def fit(question: str, asked: shapes.Asked, text: str, kind: str = "sentence") -> float:
    """shapes.fit of `text` (a unit of `kind`) for `asked`, and for a place asked: 1.0 for
    a labelled place line (`labelled`), else shapes.fit of the text without the words of
    `question` (casefolded), which name the subject, not where it is. Not for a person
    asked: a table row's first cell, the name, is no part of its fit (shapes.fit), and
    without the question's words ("Group Leader", "Transducer Lab") the row would lose
    the person's shape that its role gives it."""
    if asked.shape is not shapes.Shape.PLACE:
        return shapes.fit(asked, text, kind)
    body = text.split("; ", 1)[1] if kind == "row" and "; " in text else text
    if labelled(body) or (body != text and _heads_the_row(question, text)):
        return 1.0
    own = {w.casefold() for w in _WORD.findall(question)}
    masked = _WORD.sub(lambda m: " " if m.group().casefold() in own else m.group(), text)
    return shapes.fit(asked, masked, kind)
