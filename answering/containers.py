"""A question asking which container a fact is in, and the heading that names it.

"In which Quillon version were TLS 1.0 and 1.1 disabled?" asks for the release whose
section of the changelog states the fact; the sentence answering it ("TLS 1.0 and TLS 1.1
are disabled on all endpoints.") does not repeat the release, which its section's heading
names ("3.3.2 (2025-03-18)"). The same holds for the meeting of a set of minutes, the
chapter of a manual, the year of a report. Where a question asks "which <container>"
(`_CONTAINER`, en, de, fr, es) and the unit quoted does not name one, the deepest heading
of its section path that holds a figure (a release number, a date, a year) and that the
question does not name is quoted before it.
"""

from __future__ import annotations

import re

__all__ = ["heading_for"]

#: "which/what (one word) <container>", with the containers a heading names.
_CONTAINER = re.compile(
    r"\b(?:which|what|welche[mnrs]?|quel(?:le)?s?|qu[eé]|cu[aá]l(?:es)?)\s+(?:\w+\s+)?"
    r"(version|release|update|build|edition|year|meeting|session|chapter|section|issue"
    r"|ausgabe|jahr|sitzung|kapitel|abschnitt|année|réunion|séance|chapitre|édition"
    r"|versión|año|reunión|sesión|capítulo|sección|edición)\b",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"\d")
_YEARS = frozenset(["year", "jahr", "année", "año"])
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


def heading_for(question: str, text: str, section: str) -> str:
    """The heading of `section` (a chunk's path, "Title > 3.3.2 (2025-03-18) > Security")
    to quote before unit `text` when `question` asks which container the fact is in and
    `text` names none (for a year asked: holds none): the deepest part holding a figure,
    not in the question nor in `text`. Empty otherwise."""
    asked = _CONTAINER.search(question)
    if asked is None or asked.group(1).casefold() in text.casefold():
        return ""
    if asked.group(1).casefold() in _YEARS and _YEAR.search(text):
        return ""  # "What year was it founded?": "It was founded in 1998."
    folded = question.casefold()
    for part in reversed([p.strip() for p in section.split(" > ")[1:]]):
        if _FIGURE.search(part) and part.casefold() not in folded and part not in text:
            return part
    return ""
