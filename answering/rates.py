"""The period of a rate: "per month", "de l'heure", "pro Tag", 每年.

"How much do we pay the cleaners each month before VAT?" is answered by "Le prix
forfaitaire est de 1 240 € HT par mois": the amount per month. Beside it, "Les prestations
ponctuelles ... sont facturées 38 € HT de l'heure" has the shape asked for (an amount in
euros) and the question's words, and it is another rate: per hour, not per month. A
unit stating a rate of another period than the question asks (`other_period`) does not
answer it too. Languages: en, de, fr, es, zh, ar.
"""

from __future__ import annotations

import re

_EVERY = r"(?:per|a|an|each|every|pro|je|im|par|por|al|a la|à la|de la|chaque|cada)"
#: Per period, the ways to say "per <period>" or "<period>ly".
_PERIODS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "hour": rf"\b{_EVERY} (?:hour|stunde|heure|hora)\b|\bhourly\b|\bstündlich\b|\bde l'heure\b"
        r"|\bà l'heure\b|/\s?(?:h|hr|hour|std|heure|hora)\b|每小时|في الساعة|للساعة",
        "day": rf"\b{_EVERY} (?:day|tag|jour|d[ií]a)\b|\bdaily\b|\btäglich\b|\bpar jour\b"
        r"|/\s?(?:day|tag|jour|d[ií]a)\b|每天|每日|يومي|في اليوم",
        "night": rf"\b{_EVERY} (?:night|nacht|nuit|noche)\b|/\s?(?:night|nacht|nuit|noche)\b|每晚|في الليلة|لليلة",
        "week": rf"\b{_EVERY} (?:week|woche|semaine|semana)\b|\bweekly\b|\bwöchentlich\b"
        r"|\bhebdomadaire\b|\bsemanal\b|/\s?(?:week|woche|semaine|semana)\b|每周|أسبوعي|في الأسبوع",
        "month": rf"\b{_EVERY} (?:month|monat|mois|mes)\b|\bmonthly\b|\bmonatlich\b"
        r"|\bmensuel(?:le)?s?\b|\bmensual(?:es)?\b|/\s?(?:month|monat|mois|mes)\b|每月|شهري|في الشهر",
        "quarter": rf"\b{_EVERY} (?:quarter|quartal|trimestre)\b|\bquarterly\b|\bvierteljährlich\b"
        r"|\btrimestriel(?:le)?\b|\btrimestral\b|每季度|ربع سنوي",
        "year": rf"\b{_EVERY} (?:year|jahr|an|année|a[nñ]o)\b|\bannual(?:ly)?\b|\byearly\b|\bper annum\b"
        r"|\bjährlich\b|\bannuel(?:le)?\b|\banual\b|/\s?(?:year|jahr|an|a[nñ]o)\b|每年|سنوي|في السنة",
    }.items()
}


def periods(text: str) -> frozenset[str]:
    """The periods `text` states a rate for ("hour", "day", "night", "week", "month",
    "quarter", "year"): "£1,340 per month" -> {"month"}, "38 € HT de l'heure" -> {"hour"}."""
    folded = " ".join(text.casefold().replace("’", "'").split())
    return frozenset(name for name, pattern in _PERIODS.items() if pattern.search(folded))


def other_period(question: str, text: str) -> bool:
    """Whether `text` states a rate only for other periods than `question` asks ("38 € HT
    de l'heure" for "How much do we pay ... each month?"); False when the question asks
    for no period or `text` states none."""
    asked = periods(question)
    stated = periods(text)
    return bool(asked and stated and not asked & stated)
