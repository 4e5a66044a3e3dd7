"""Questions asking for a time of day, and passages stating one: the not-found gate's test
for "Until what time can I do my washing?" ("open from 07:00 to 22:00").

`asked.form_of` gives such a question no form when it has no "when" ("until what time",
"à quelle heure", "a qué hora", "um wie viel Uhr", 几点), so a passage was asked for its
words only, and "time", "until", "heure" are words a passage answering it may not hold: it
writes the time. Here:

- `asks_clock`: whether the question asks for a time of day, in the languages docent
  analyses (en, de, fr, es, zh, ar);
- `CLOCK_WORDS`: the words of those phrases, which ask and are not what is asked about
  (`clues.Clues` still counts them in the share of words a passage must hold, but not
  when telling a question of one word: "my washing" is the one word asked about);
- `states_clock`: whether a text states a time of day ("22:00", "9.30 am", "18 Uhr",
  "14h30", "midnight", "下午5点").

When asked.py has a form for the time of day (h13near's `Form.CLOCK` for "what time"),
`asks_clock` and `states_clock` are its question and its value and belong there.
"""

from __future__ import annotations

import re
import unicodedata

#: A question asking for a time of day. "When" asks for a date or a time and has its own
#: form (`asked.Form.DATE`, which a clock time satisfies).
_ASKS = re.compile(
    r"\b(?:until|till|by|from|at|before|after)?\s*what time\b"
    r"|\b(?:bis|ab|um) wie ?viel uhr\b|\bwie ?viel uhr\b|\bum welche uhrzeit\b"
    r"|\b(?:jusqu'à |à partir de |dès |avant )?quelle heure\b"
    r"|\b(?:hasta |desde |antes de )?qu[ée] hora\b"
    r"|几点|什么时间|(?<!\w)(?:في\s+)?أي\s+ساعة(?!\w)",
    re.IGNORECASE,
)

#: The words of the phrases above that ask, not what is asked about ("time", "until",
#: "Uhr", "heure", "hora"), case-folded.
CLOCK_WORDS = frozenset(
    [
        "time", "until", "till", "uhr", "uhrzeit", "heure", "heures", "hora", "horas",
        "jusqu", "hasta", "desde", "ساعة",
    ]
)  # fmt: skip

#: A time of day as documents write it: "22:00", "9.30 am", "8 am", "18 Uhr", "18.30 Uhr",
#: "14h30", "8 h 30", "midnight", "noon", "下午5点", "الساعة 9". A figure with a dot is a time only
#: with "am", "pm" or "Uhr" after it ("22.50" is a price, "2.10" a version).
_CLOCK = re.compile(
    r"\b(?:[01]?\d|2[0-4]):[0-5]\d\b|\b(?:[01]?\d|2[0-4])\s?h\s?[0-5]\d\b"
    r"|\b\d{1,2}(?:[.:][0-5]\d)?\s?(?:a\.?m\.?|p\.?m\.?|uhr)(?!\w)"
    r"|\b(?:midnight|midday|noon|mitternacht|mittag|minuit|midi|medianoche|mediod[ií]a)\b"
    r"|[\d一二三四五六七八九十]+\s?点|الساعة\s*\d",
    re.IGNORECASE,
)


#: "Within what time ...?", "In what time ...?" ask for a length of time ("within 1 hour").
_DURATION = re.compile(r"\b(?:within|in) what time\b|\bin welcher zeit\b", re.IGNORECASE)


def asks_clock(question: str) -> bool:
    """Whether `question` asks for a time of day ("Until what time ...?", "À quelle heure
    ...?", "¿Hasta qué hora ...?", "几点"), not a date nor a length of time ("Within what
    time must damage be reported?")."""
    text = unicodedata.normalize("NFKC", question)
    return _ASKS.search(text) is not None and _DURATION.search(text) is None


def states_clock(text: str) -> bool:
    """Whether `text` states a time of day (`_CLOCK`)."""
    return _CLOCK.search(unicodedata.normalize("NFKC", text)) is not None
