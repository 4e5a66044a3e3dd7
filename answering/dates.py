"""A question asking a date, and a unit that states one.

"When", "until when", "wann", "quand", "cuándo", 何时, متى ask a DATE or a time: the
day something happens, starts, ends or is due. A duration ("runs for 24 months"), a notice
period ("three months' written notice") or a frequency ("every 8 weeks") answers "how
long" or "how often", not "when": the cancellation clause is no answer to "Until when is
the maintenance contract valid?" when clause 2.1 of the same contract says "until 28
February 2028". shapes.py counts both as a TIME, since a "when" question is sometimes
answered by a period ("When are invoices paid?": "within 30 days of receipt"); here the
two are told apart, so that the answerer (picking.date_first) prefers, within one
document, the unit that states a date.

A date is a day, a month or a year in figures ("28.02.2028", "2028-02-28", "2028"), a
month's or a weekday's name ("12 March", "Thursday", "märz", "jeudi"), a day of the month
("the 1st", "le 1er"), a clock time ("9:30", "14h30", "3 pm") or a CJK or Arabic date
(2028年2月28日, 3月, أيار). The month and weekday names are `vocabulary`'s (en, de, fr,
es, zh, ar).

"Next" ("When is the next parents' evening?", "nächste", "prochain", "próximo", 下次,
القادم) asks for a date to come: a unit that reports a past one ("took place on
Wednesday 11 February", "fand ... statt", "a eu lieu") is no answer to it when its
document has a unit saying "next" with a date.
"""

from __future__ import annotations

import re

from docent.answering import shapes, vocabulary

#: A "when" question, in the languages docent analyses (Latin ones casefolded): asking a
#: date or a time, not a length of time ("how long", "wie lange") nor a frequency ("how
#: often"), which shapes.py reads as quantities.
_WHEN = re.compile(
    r"\bwhen\b|\bwhat (?:date|day|year|month|time)\b|\bwhich (?:date|day|year|month)\b"
    r"|\buntil what (?:date|time)\b|\bwann\b|\ban welchem (?:tag|datum)\b|\bbis wann\b"
    r"|\bquand\b|\bquelle date\b|\bquel jour\b|\bà quelle date\b|\bcu[aá]ndo\b|\bqu[eé] (?:d[ií]a|fecha)\b"
    r"|什么时候|何时|哪天|哪一天|几月|几号|哪年|什么日期|(?<!\w)متى(?!\w)|أي (?:يوم|تاريخ)"
)
#: Asked of a length of time or a frequency, even beside "when".
_NOT_DATE = re.compile(
    r"\bhow (?:long|often|soon)\b|\bwie (?:lange|oft)\b|\bcombien de temps\b|\bcu[aá]nto tiempo\b"
    r"|多久|多长时间|كم من الوقت"
)
_MONTHS = vocabulary.MONTHS
_WEEKDAYS = vocabulary.WEEKDAYS
#: A date in figures (28.02.2028, 2028-02-28, 28/2/28), a year, a clock time (9:30, 14h30,
#: 3 pm, 15 Uhr), a day of the month ("1st", "le 1er", "am 1."), a month or weekday name,
#: a CJK date (2月28日, 2028年) or an Arabic month or weekday.
_DATE = re.compile(
    r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b(?:19|20)\d{2}\b"
    r"|\b\d{1,2}[:h]\d{2}\b|\b\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.|uhr)(?!\w)"
    r"|\b\d{1,2}(?:st|nd|rd|th|er|re)(?!\w)"
    rf"|\b(?:{_MONTHS}|{_WEEKDAYS})\b"
    r"|\d+\s*(?:年|月|日|号|点)|(?:星期|周)[一二三四五六日天]"
    rf"|{vocabulary.ARABIC_MONTHS}|{vocabulary.ARABIC_WEEKDAYS}",
    re.IGNORECASE,
)
#: A question for the next occurrence.
_NEXT = re.compile(
    r"\b(?:next|upcoming|coming|nächste[nmrs]?|kommende[nmrs]?|prochaine?s?|próxim[oa]s?|siguiente)\b"
    r"|下次|下一次|下个|下周|القادم|القادمة|المقبل|المقبلة",
    re.IGNORECASE,
)
#: A report of something past: "took place", "was held", the past of the verbs a
#: newsletter or minutes report events with ("visited", "finished", "sang"), "fand ... statt",
#: "wurde ... abgehalten", "a eu lieu", "s'est tenu", "tuvo lugar", "se celebró".
_PAST = re.compile(
    r"\b(?:took place|was held|were held|happened|was|were|has been|have been)\b"
    r"|\b(?:visited|finished|ended|sang|went|came|met|celebrated|raised)\b"
    r"|\b(?:fand|fanden|wurde|wurden|war|waren)\b"
    r"|\b(?:a eu lieu|s'est tenue?|ont eu lieu|a été|était)\b"
    r"|\b(?:tuvo lugar|se celebró|fue|fueron)\b",
    re.IGNORECASE,
)


def asks_date(question: str) -> bool:
    """Whether `question` asks for a date or a time (`_WHEN`), not a length of time or a
    frequency (`_NOT_DATE`), its interrogative asking a time (shapes.asked): "when" in a
    clause ("How many days off do you get when you get married?") asks none."""
    folded = " ".join(question.casefold().split())
    found = shapes.asked(question)
    return (
        found is not None
        and found.shape is shapes.Shape.TIME
        and bool(_WHEN.search(folded))
        and not _NOT_DATE.search(folded)
    )


def asks_next(question: str) -> bool:
    """Whether a date question asks for the next occurrence ("When is the next ...?")."""
    return asks_date(question) and bool(_NEXT.search(question))


#: Month names that are everyday words too ("Either party may cancel", "to march"): a
#: month only when capitalised.
_MONTH_WORDS = frozenset(["may", "march"])


def states_date(text: str) -> bool:
    """Whether `text` (a sentence, list item or row) states a date or a clock time
    (`_DATE`); a duration alone ("for 24 months", "six months' notice") does not, nor the
    modal "may"."""
    return any(
        m.group().casefold() not in _MONTH_WORDS or m.group()[0].isupper()
        for m in _DATE.finditer(text)
    )


def says_next(text: str) -> bool:
    """Whether `text` speaks of the next occurrence ("The next routine visits are booked
    for 14 April")."""
    return bool(_NEXT.search(text))


def reports_past(text: str) -> bool:
    """Whether `text` reports something that has happened (`_PAST`)."""
    return bool(_PAST.search(text))
