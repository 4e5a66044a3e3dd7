"""Questions asking for a time of day, and texts stating one: `asked.Form.CLOCK`.

"What time does the last bus leave?", "Until what time can I do my washing?" ask for a
clock time, not a day: "after the last journey on Saturday 6 September" does not say when
the last bus leaves, and "open from 07:00 to 22:00" answers although it holds no "time" nor
"until". Here, for the languages docent analyses (en, de, fr, es, zh, ar):

- `asks_clock`: whether a question asks for a time of day ("what time", "at what hour",
  "um wie viel Uhr", "à quelle heure", "a qué hora", 几点, "في أي ساعة"), not a length of time
  ("Within what time must damage be reported?" asks for "within 1 hour");
- `states_clock`: whether a text states a time of day ("22:00", "8 h 30", "20h", "9.30
  am", "7 pm", "18 Uhr", "20 heures", "a las 9", noon, midnight, "下午5点", "الساعة 9");
- `CLOCK_WORDS`: the words of those questions that ask and are not what is asked about
  (`clues.Clues` still counts them in the share of words a passage must hold, but not
  when telling a question of one word: "my washing" is the one word asked about).
"""

from __future__ import annotations

import re
import unicodedata

#: A question asking for a time of day. "When" asks for a date or a time and has its own
#: form (`asked.Form.DATE`, which a clock time satisfies); 什么时间 ("what time") asks as
#: often for a day, and stays with it.
_ASKS = re.compile(
    r"\bwhat time\b|\bat what hour\b|\bwie ?viel uhr\b|\bum welche uhrzeit\b"
    r"|\bquelle heure\b|\bqu[ée] hora\b|几点|(?<!\w)(?:في\s+)?أي(?:ة)?\s+ساعة(?!\w)",
    re.IGNORECASE,
)

#: The words of the phrases above that ask, not what is asked about ("time", "until",
#: "Uhr", "heure", "hora"), case-folded.
CLOCK_WORDS = frozenset(
    [
        "time", "hour", "until", "till", "uhr", "uhrzeit", "heure", "heures", "hora", "horas",
        "jusqu", "hasta", "desde", "ساعة",
    ]
)  # fmt: skip

#: A time of day as documents write it: "22:00", "8 h 30", "20h", "8.30 am", "7 pm", "8
#: Uhr", "20 heures", "a las 9", noon and midnight, "下午5点", "الساعة ٨". A figure with a dot
#: is a time only with a clock word after it ("22.50" is a price, "2.10" a version), and "24
#: h" with a space and no minutes a length of time ("available 24 h a day").
_CLOCK = re.compile(
    r"\b(?:[01]?\d|2[0-4]):[0-5]\d\b|\b(?:[01]?\d|2[0-4])(?:\s?h\s?[0-5]\d|h)\b"
    r"|\b(?:[01]?\d|2[0-4])(?:[.:][0-5]\d)?\s?(?:a\.?m\b\.?|p\.?m\b\.?|o['’]clock\b|uhr\b"
    r"|heures?\b|horas?\b)|\ba\s+las?\s+\d{1,2}\b"
    r"|\b(?:noon|midday|midnight|mittags?|mitternacht|midi|minuit|mediod[íi]a|medianoche)\b"
    r"|[\d一二三四五六七八九十]+\s?点|中午|午夜|الساعة|ظهرا|ظهراً|منتصف الليل",
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
