"""What a quantity measures (`Dimension`), and whether a text states a figure in one of its
units: "26,000 kg" is a mass, "48 dB(A)" a sound level, "35 €/mes" a price, "within 30
days" a duration (en, de, fr, es, zh, ar). shapes.py reads which dimension a question
asks for; this module reads the answer's side.
"""

from __future__ import annotations

import enum
import re

from docent.answering import vocabulary

__all__ = ["TIME_UNITS", "Dimension", "states_measure"]


class Dimension(enum.StrEnum):
    """What a quantity measures, told by its unit."""

    DURATION = "duration"
    MONEY = "money"
    MASS = "mass"
    SPEED = "speed"
    VOLUME = "volume"
    AREA = "area"
    LENGTH = "length"
    POWER = "power"
    TEMPERATURE = "temperature"
    #: A sound level: "How loud is it?", "noise level", "Geräuschpegel", "niveau sonore".
    NOISE = "noise"
    #: A turning force: "What is the drill's maximum torque?", "Drehmoment", "couple".
    TORQUE = "torque"
    #: "How much <substance>" with no measure named: a mass, a volume or a kitchen
    #: measure ("150 g grated Comté", "2 EL Öl", "1 c. à soupe de sucre").
    AMOUNT = "amount"


#: A figure (in digits or written out) and a unit of time: "30 days", "zwei Wochen", 三天.
TIME_UNITS = re.compile(
    rf"(?:\d|\b(?:{vocabulary.LATIN_NUMBERS})\b)"
    # "ten working days", "30 calendar days", "5 jours ouvrés" (the adjective after: no harm)
    r"[\s-]*(?:(?:working|calendar|business|full|consecutive|clear|ouvrés|ouvrables|hábiles|naturales|laborables)\s+)?"
    rf"(?:{vocabulary.TIME_UNITS})\b"
    rf"|[\d一二两三四五六七八九十]+\s*(?:分钟|小时|天|周|个月|年)"
    r"|\d+\s*(?:دقيقة|ساعة|ساعات|يوم|أيام|أسبوع|أسابيع|شهر|أشهر|سنة)",
    re.IGNORECASE,
)


# A figure, then the unit (or the currency before it).
_N = r"\d(?:[\d.,' \u202f]*\d)?\s*"


def _after_figure(
    latin: str, other: str = "", *, before: str = "", end: str = r"(?![\w/])"
) -> re.Pattern[str]:
    """A figure followed by one of the `latin` units, then `end` (by default a whole word
    not followed by "/": "kg", not the "l" of "l/min") or by one of the `other` units (CJK
    and Arabic, written without a space or a word boundary); `before`: more alternatives
    as they are."""
    pattern = rf"{_N}(?:{latin}){end}"
    if other:
        pattern += rf"|{_N}(?:{other})"
    if before:
        pattern += f"|{before}"
    return re.compile(pattern, re.IGNORECASE)


_UNITS: dict[Dimension, re.Pattern[str]] = {
    Dimension.DURATION: re.compile(
        TIME_UNITS.pattern + rf"|{_N}(?:s|secs?|min|mins|h|hrs?)(?![\w/])", re.IGNORECASE
    ),
    Dimension.MONEY: _after_figure(
        "€|\\$|£|¥|eur|euros?|usd|gbp|chf|dollars?|pounds?|pence|p|sar|aed|rmb|cny",
        "元|块|円|ريال|درهم|دينار|جنيه",
        before=r"[€$£¥₹]\s*\d|\b(?:eur|usd|gbp|chf|sar|aed|rmb|cny)\s*\d",
        end=r"(?!\w)",  # "35 €/mes" is a price
    ),
    Dimension.MASS: _after_figure(
        "kg|g|t|tonnes?|tons?|lbs?|kilograms?|kilogramm|kilos?",
        "公斤|千克|吨|克|كغ|كجم|كيلوغرام|طن",
    ),
    Dimension.SPEED: _after_figure(
        "km/h|kmh|mph|m/s|knots?|kn",
        "公里/小时|千米/小时|كم/س",
        before=r"每小时\s*\d+\s*(?:公里|千米)",
        end=r"(?!\w)",
    ),
    Dimension.AREA: _after_figure(
        "m²|m2|km²|sq\\.? ?(?:m|ft)|square (?:metres?|meters?|feet)|ha|hectares?",
        "平方米|平米|㎡|متر مربع",
        end=r"(?!\w)",
    ),
    Dimension.VOLUME: _after_figure(
        "l|litres?|liters?|liter|ml|cl|dl|m³|m3|gallons?|gal", "升|毫升|لتر"
    ),
    Dimension.LENGTH: _after_figure(
        "mm|cm|m|km|in|inches|ft|feet|metres?|meters?|meter",
        "米|厘米|毫米|公里|متر|سم",
        end=r"(?![\w/²³])",  # "20 m²" is an area
    ),
    Dimension.POWER: _after_figure("w|kw|mw|hp|ps|ch|cv|bhp", "瓦|千瓦", end=r"(?!\w)"),
    Dimension.TEMPERATURE: re.compile(rf"{_N}°|{_N}(?:degrees?|grad)\b", re.IGNORECASE),
    Dimension.NOISE: _after_figure(
        "db|dba|db\\(a\\)|decibels?|dezibel|décibels?|decibelios?|sones?",
        "分贝|ديسيبل",
        end=r"(?!\w)",
    ),
    Dimension.TORQUE: _after_figure(
        "nm|n·m|n\\.m|newton[- ]?met(?:re|er)s?|ft[- ]?lbs?", "牛·米|牛米", end=r"(?!\w)"
    ),
}
_UNITS[Dimension.AMOUNT] = _after_figure(
    "tbsp|tsp|cups?|tablespoons?|teaspoons?|pinch|el|tl|prisen?|bund|stück"
    "|c\\. ?à ?(?:soupe|café|s\\.|c\\.)|cuill[eè]res?|pinc[ée]e|cucharadas?|cucharaditas?|pizca"
    "|pieces?|slices?|cloves?",
    "勺|片|个|瓣",
    before=f"{_UNITS[Dimension.MASS].pattern}|{_UNITS[Dimension.VOLUME].pattern}",
)


def states_measure(dimension: Dimension, text: str) -> bool:
    """Whether `text` holds a figure in a unit of `dimension` ("102 kg" for MASS, "48
    dB(A)" for NOISE, "-25 °C" for TEMPERATURE)."""
    return bool(_UNITS[dimension].search(text))
