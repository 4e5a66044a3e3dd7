"""A word held in a compound: German (and Dutch, Swedish...) join nouns and verb stems into
one word, and a question's word is often a part of the passage's compound or the reverse:
"Pumpe" and "Pumpeneinheit", "Aufladen" and "Ladedauer", "Garantie" and "Garantiefall",
"dauert" and "Ladedauer". The stemmer (search.analysis) keeps them apart, so "Wie lange
dauert das Aufladen?" shares no term with the spec row "Ladedauer | 70 Minuten".

Bounded, as decompounding without a dictionary must be: a part counts only at a word's
start or end (where German puts a compound's head and its modifier), of at least
`MIN_PART` letters, the compound at least `MIN_REST` letters longer than the part; and a
part may lose a letter of inflection or linking (`MAX_ENDING`: "Lade-" of "laden",
"dauer" of "dauert"). A separable verb prefix ("auf-laden", "ab-holen") is taken off a
verb first, so "Aufladen" is held in "Ladedauer". Applied only to a question in German
(passages.language), where compounds are the rule: in English "port" in "portable" is
chance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from docent.search import analysis

#: The shortest part of a compound that counts (the issue's bound: 4 letters).
MIN_PART = 4
#: A compound is at least this many letters longer than its part.
MIN_REST = 3
#: Letters of inflection or linking a part may lose at its end ("laden" -> "lade",
#: "Pumpen" -> "Pumpe", "dauert" -> "dauer"): one, so that a suffix stays ("Sauger" is
#: not the "Saug-" of "Saugschlauch").
MAX_ENDING = 1
#: Inflections a compound may lose at its end ("Raumtemperatur-en", "Ladegerät-e").
_INFLECTIONS = ("en", "es", "ns", "n", "s", "e")
#: German separable and inseparable verb prefixes, longest first.
_PREFIXES = (
    "zurück",
    "heraus",
    "herein",
    "durch",
    "nach",
    "über",
    "unter",
    "auf",
    "aus",
    "ein",
    "mit",
    "vor",
    "weg",
    "ab",
    "an",
    "zu",
    "be",
    "ver",
    "ent",
)
_WORD = re.compile(r"[^\W\d_]+")


def words(text: str) -> set[str]:
    """The casefolded words of `text`, a hyphenated compound's parts apart
    ("Bithalter-Aufnahme": "bithalter", "aufnahme")."""
    return {w.casefold() for w in _WORD.findall(text)}


def _unprefixed(word: str) -> str:
    """`word` without a verb prefix ("aufladen" -> "laden"), when at least `MIN_PART` + 1
    letters remain; else `word`."""
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= MIN_PART + 1:
            return word[len(prefix) :]
    return word


def _cores(word: str) -> set[str]:
    """`word` without up to `MAX_ENDING` final letters, each form at least `MIN_PART`
    long, and the same without a verb prefix."""
    forms = {word, _unprefixed(word)}
    return {
        form[: len(form) - cut]
        for form in forms
        for cut in range(MAX_ENDING + 1)
        if len(form) - cut >= MIN_PART
    }


def _part_of(part: str, compound: str) -> bool:
    """Whether a core of `part` is `compound`'s start or end, `compound` being at least
    `MIN_REST` letters longer, a verb prefix of its own aside: "aufsaugen" is "saugen"
    with a prefix, no compound of "Sauger"."""
    # The compound's own inflection ("Raumtemperatur-en") is no part of its head; a
    # suffix is ("Staubbehält-er" does not end in "hält").
    ends = [compound] + [
        compound[: -len(ending)] for ending in _INFLECTIONS if compound.endswith(ending)
    ]
    length = len(_unprefixed(compound))
    return any(
        length - len(core) >= MIN_REST
        and (compound.startswith(core) or any(end.endswith(core) for end in ends))
        for core in _cores(part)
    )


def joined(a: str, b: str) -> bool:
    """Whether words `a` and `b` (casefolded) are one in a compound: equal, or one a part
    at the start or end of the other (`_part_of`)."""
    if a == b:
        return True
    if min(len(a), len(b)) < MIN_PART:
        return False
    return _part_of(a, b) or _part_of(b, a)


def held(word: str, found: Iterable[str]) -> bool:
    """Whether `word` is one of `found` (a unit's `words`) or joined to one in a compound."""
    return any(joined(word, w) for w in found)


def surfaces(question: str, terms: Iterable[str]) -> dict[str, set[str]]:
    """Per term of `terms` (the question's index terms, search.analysis), the question's
    words (casefolded) it comes from: the compound rule reads words, not stems."""
    languages = analysis.text_languages(question)
    wanted = set(terms)
    found: dict[str, set[str]] = {}
    for word in words(question):
        for term in set(analysis.analyze(word, languages)) & wanted:
            found.setdefault(term, set()).add(word)
    return found


def held_any(forms: Iterable[str], found: Iterable[str]) -> bool:
    """Whether one of a question word's `forms` is `held` in a unit's words `found`."""
    found = list(found)
    return any(held(form, found) for form in forms)


def held_each(forms: dict[str, set[str]], found: Iterable[str]) -> set[str]:
    """The terms of `forms` (the question's terms and their words: `surfaces`) held in a
    unit's words `found` by a compound, each of the unit's words holding one question
    word at most (a largest matching of question words to unit words):
    "Tagesordnungspunkten" holds "Tagesordnung" or "Punkte", not both (it is one thing
    of the agenda, not the agenda's items)."""
    found = sorted(set(found))
    asked = sorted({w for words_of in forms.values() for w in words_of})
    options = {q: [w for w in found if joined(q, w)] for q in asked}
    owner: dict[str, str] = {}

    def place(q: str, seen: set[str]) -> bool:
        for w in options[q]:
            if w in seen:
                continue
            seen.add(w)
            if w not in owner or place(owner[w], seen):
                owner[w] = q
                return True
        return False

    matched = {q for q in asked if place(q, set())}
    return {term for term, words_of in forms.items() if words_of & matched}
