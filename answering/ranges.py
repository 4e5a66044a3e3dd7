"""The ranges a unit states and the amounts a question states, and whether one holds the
other (issue 13, session 11).

People state a number about their situation and expect the row of the band it falls in:
"My son is 14 and wants to start guitar - which day is his group class?" over the rows
"Class: Beginner Guitar A; ...; Ages: 8 - 12" and "Class: Beginner Guitar B; ...; Ages:
13 - 17"; "I'm ordering 12 boxes" over "1-9 boxes: £4.20" and "10-49 boxes: £3.90".

A band is read from two figures joined by a dash or a word ("8 - 12", "10–49", "3 to 5",
"5 bis 10 kg", "de 3 a 5 años", "10 à 20", "3至5岁"), or one figure with an open bound
("under 16", "65 and over", "50+", "ab 18 Jahren", "moins de 12 ans", "más de 10",
"18岁以上", "أكثر من 10"). Figures with a colon, a slash or a dot joined to further digits
(times "16:00 - 16:45", dates "12.03.2026", phone numbers "0161-496-0000"), two years
("2025-2026") and figures joined to letters (codes "WH-147") are no band.

A band's kind is the unit written after its figures ("kg", "boxes", "years", "岁"), the
currency before them ("£"), or the header of the row cell holding it ("Ages: 13 - 17");
a band without any is of no kind and is compared with an amount of any kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docent.answering.vocabulary import stated_amounts

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
#: A figure standing alone: not part of a time, a date, a phone number or a code.
_BEFORE = r"(?<![^\W\u3000-\u9fff])(?<![.,:/-])"
_JOINED = r"(?![.,:/]?\d)"
_AFTER = _JOINED + r"(?!-\d)"
_CURRENCY = r"[£$€¥]"
#: A unit written after a figure: a word (its kind, singular) or a symbol.
_UNIT = (
    r"(?:\s?(?P<{0}>m²|m2|sq\.? ?m|%|€|[^\W\d_]+(?![^\W\d_])|岁|周岁|人|晚|公斤|元|平方米|平米))?"
)

_CLOSED = re.compile(
    rf"{_BEFORE}(?P<cur>{_CURRENCY})?\s?(?P<low>{_NUMBER}){_JOINED}{_UNIT.format('unit1')}"
    # a dash joined to a word is a code's ("2 TB-4610"); a word joins only as a word
    r"\s*(?:(?<![^\W\d_])[-–—~]|(?<=\s)[-–—~]|\b(?:to|bis|à)\b|\b(?P<es>a|al|y)\b|至|到)\s*"
    rf"(?:{_CURRENCY})?\s?(?P<high>{_NUMBER}){_AFTER}{_UNIT.format('unit')}",
    re.IGNORECASE,
)
#: Bounds before the figure: (pattern, whether the figure is the lower bound, inclusive).
_BEFORE_BOUNDS = (
    (r"under|below|less than|fewer than|unter|weniger als|moins de|menos de|menores de|不满"
     r"|أقل من", False, False),
    (r"up to|at most|max(?:imum)?\.?|bis zu|bis|höchstens|jusqu'à|jusqu’à|hasta|最多", False, True),
    (r"over|above|more than|über|mehr als|plus de|más de|mas de|أكثر من|فوق", True, False),
    (r"at least|from|ab|mindestens|à partir de|a partir de|desde|mayores de|من", True, True),
)  # fmt: skip
#: Bounds after the figure ("65 and over", "50+", "18岁以上").
_AFTER_BOUNDS = (
    (r"\+|and over|or over|and above|or more|and older|or older|und älter|und mehr"
     r"|et plus|ou plus|y más|o más|以上|及以上", True, True),
    (r"and under|or under|or less|or younger|or fewer|und weniger|以下|以内|及以下", False, True),
)  # fmt: skip
_OPEN_BEFORE = re.compile(
    r"(?<![\w])(?P<bound>"
    + "|".join(f"(?:{p})" for p, _, _ in _BEFORE_BOUNDS)
    + rf")\s*(?P<cur>{_CURRENCY})?\s?(?P<high>{_NUMBER}){_AFTER}{_UNIT.format('unit')}",
    re.IGNORECASE,
)
_OPEN_AFTER = re.compile(
    rf"{_BEFORE}(?P<cur>{_CURRENCY})?\s?(?P<high>{_NUMBER}){_AFTER}{_UNIT.format('unit')}"
    r"\s*(?P<bound>"
    + "|".join(f"(?:{p})" for p, _, _ in _AFTER_BOUNDS)
    + r")(?![\w])"
    + _UNIT.format("unit2"),
    re.IGNORECASE,
)

#: Words naming an age, in units ("years", "Jahre", "ans", "岁") and in headers ("Ages",
#: "Alter", "Âge", "Edad", "年龄", "العمر").
_AGE = frozenset(
    [
        "age", "ages", "aged", "year", "years", "yrs", "yr", "old", "alter", "jahre",
        "jahren", "jahr", "âge", "ans", "an", "edad", "años", "año", "岁", "周岁", "年龄",
        "العمر", "سنة", "سنوات", "عام",
    ]
)  # fmt: skip
#: Words naming people by their age, which make a bare band an age's.
_AGED = re.compile(
    r"\b(?:children|child|kids?|adults?|seniors?|pupils?|juniors?|teenagers?|aged?|ages"
    r"|kinder|kindern|erwachsene|jugendliche|senioren|enfants?|adultes?|jeunes|seniors"
    r"|niños|niñas|adultos|menores|mayores|jóvenes)\b|儿童|成人|老人|岁|أطفال|الأطفال|بالغين|كبار السن",
    re.IGNORECASE,
)
#: Unit words to one kind: their singular, or a kind shared across languages.
_KINDS = {
    **{
        w: "people"
        for w in ["people", "persons", "person", "personen", "personnes", "personas", "pers",
                  "人", "أشخاص", "شخص"]
    },
    **{
        w: "night"
        for w in ["nights", "night", "nächte", "nacht", "nuits", "nuit", "noches", "noche", "晚"]
    },
    **{w: "kg" for w in ["kg", "kilo", "kilos", "kilogram", "kilograms", "公斤"]},
    **{w: "area" for w in ["m²", "m2", "sq", "qm", "平方米", "平米"]},
    **{
        w: "money"
        for w in ["£", "$", "€", "¥", "eur", "euro", "euros", "gbp", "pounds", "dollars",
                  "usd", "元"]
    },
}  # fmt: skip
#: Words after a figure that say no kind: the band's figures are bare ("8 - 12 and ...").
_NO_KIND = frozenset(
    [
        "and", "or", "to", "und", "oder", "et", "ou", "y", "o", "a", "à", "bis", "de",
        "and/or", "the", "per", "each", "pro", "par", "por", "for", "für", "pour", "over",
        "under",
    ]
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Band:
    """A range of amounts: `low` to `high` (None: unbounded), each bound held or not, and
    the kind of amount ("age", "people", "kg", "money", "area", "night", a counted noun's
    singular such as "box", or None)."""

    low: float | None
    high: float | None
    kind: str | None
    low_held: bool = True
    high_held: bool = True

    def holds(self, amount: float) -> bool:
        if self.low is not None and (
            amount < self.low or (amount == self.low and not self.low_held)
        ):
            return False
        return self.high is None or amount < self.high or (amount == self.high and self.high_held)


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount the asker states and its kind (as `Band.kind`; None when unsaid)."""

    value: float
    kind: str | None


def _number(text: str) -> float:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    return float(text.replace(",", "."))


def _kind(unit: str | None, currency: str | None) -> str | None:
    if currency:
        return "money"
    if not unit:
        return None
    word = unit.casefold()
    if word in _AGE:
        return "age"
    if word in _KINDS:
        return _KINDS[word]
    if word in _NO_KIND or len(word) < 4 or not word.endswith("s"):
        # Only a plural says what is counted: "16 go free", "65 and over travel" do not.
        return None
    if word.endswith("es") and word[:-2].endswith(("x", "s", "ch", "sh")):
        return word[:-2]
    return word[:-1]


def _header_kind(text: str, start: int) -> str | None:
    """The kind the header of the row cell holding position `start` names ("Ages: 13 - 17"
    is of ages; passages.py writes a row's cells "Header: cell; Header: cell")."""
    cell = text[:start].rsplit(";", 1)[-1]
    if ":" not in cell:
        return None
    header = cell.split(":", 1)[0].strip().casefold()
    words = set(re.findall(r"[^\W\d_]+", header))
    if words & _AGE:
        return "age"
    for word in words:
        if word in _KINDS:
            return _KINDS[word]
    # A header of one word names what the cell counts ("Boxes: 1-9").
    return _kind(header, None) if len(words) == 1 and header.isalpha() else None


def _years(low: str, high: str) -> bool:
    return all(x.isdigit() and len(x) == 4 and 1900 <= int(x) <= 2100 for x in (low, high))


def bands(text: str) -> list[Band]:
    """The bands `text` states, in order (see the module's docstring); closed ranges first
    read, then open bounds outside them."""
    return [band for _, band in _bands(text)]


def _bands(text: str) -> list[tuple[tuple[int, int], Band]]:
    """`bands` with the span of `text` stating each."""
    found: list[tuple[tuple[int, int], Band]] = []
    taken: list[tuple[int, int]] = []
    for m in _CLOSED.finditer(text):
        low, high = m.group("low"), m.group("high")
        if _years(low, high) or _number(low) > _number(high):
            continue
        if m.group("es") and not re.search(r"\b(?:de|desde|entre)\s*$", text[: m.start()], re.I):
            # Spanish "a", "y" join a band only after "de", "entre": "£5 a 10-pack" is
            # English.
            continue
        kind = (
            _kind(m.group("unit"), m.group("cur"))
            or _kind(m.group("unit1"), None)
            or _header_kind(text, m.start())
        )
        found.append((m.span(), Band(_number(low), _number(high), kind)))
        taken.append(m.span())
    for pattern, table in ((_OPEN_BEFORE, _BEFORE_BOUNDS), (_OPEN_AFTER, _AFTER_BOUNDS)):
        for m in pattern.finditer(text):
            if any(s <= m.start("high") < e for s, e in taken):
                continue
            bound = m.group("bound").casefold()
            lower, held = next(
                (lower, held) for p, lower, held in table if re.fullmatch(p, bound, re.IGNORECASE)
            )
            value = _number(m.group("high"))
            kind = (
                _kind(m.group("unit"), m.group("cur"))
                or (_kind(m.group("unit2"), None) if bound == "+" else None)
                or _header_kind(text, m.start())
            )
            if kind is None and bound in {"从", "من", "from", "ab", "desde", "bis", "hasta"}:
                # "from 9" and "bis 5" bound a band only with their unit ("ab 18 Jahren"):
                # bare, they are a time of day or a page.
                continue
            band = (
                Band(value, None, kind, low_held=held)
                if lower
                else Band(None, value, kind, high_held=held)
            )
            found.append((m.span(), band))
            taken.append(m.span())
    if _AGED.search(text):
        # "Children under 16 travel free", "Adults 65 and over": a bare band among words
        # naming people by age bounds their age.
        found = [
            (
                span,
                band
                if band.kind
                else Band(band.low, band.high, "age", band.low_held, band.high_held),
            )
            for span, band in found
        ]
    return sorted(found, key=lambda x: x[0])


#: An amount with its unit in the question: "12 boxes", "7 people", "120 m²", "£85",
#: "14 years old", "67 ans", "14岁".
_STATED = re.compile(
    rf"{_BEFORE}(?P<cur>{_CURRENCY})?\s?(?P<value>{_NUMBER}){_AFTER}"
    r"(?:\s?-?\s?(?P<unit>m²|m2|sq\.? ?m|岁|周岁|人|晚|公斤|元|平方米|平米|[^\W\d_]+))?",
    re.IGNORECASE,
)
#: An age stated without a unit: "I'm 67", "I am 67", "ich bin 67", "j'ai 67 ans" (with
#: one), "tengo 67 años", "عمري 67".
_AGE_STATED = re.compile(
    r"(?:\bi'm|\bi’m|\bi am|\bich bin|\bsie ist|\ber ist|عمري|عمره|عمرها)\s+(\d{1,3})(?!\s*[\w%.,:]\d)",
    re.IGNORECASE,
)


def stated(question: str) -> list[Amount]:
    """The amounts `question` states about the asker's situation, with their kinds: the
    figures `vocabulary.stated_amounts` reads, and a figure with a unit word or a
    currency ("12 boxes", "120 m²", "£85"), or stated as one's age ("I'm 67"); not a
    year, a time, a code or the bound of a band the question asks about ("los menores de
    16 años")."""
    amounts: dict[float, str | None] = {}
    said = stated_amounts(question)
    # "¿Pueden entrenar solos los menores de 16 años?" states a band, not the asker's age.
    asked = [span for span, _ in _bands(question)]
    for m in _STATED.finditer(question):
        if any(s <= m.start("value") < e for s, e in asked):
            continue
        raw = m.group("value")
        if _years(raw, raw) and not m.group("cur"):
            continue
        kind = _kind(m.group("unit"), m.group("cur"))
        unit = (m.group("unit") or "").casefold()
        if unit in {"year", "years"} and not re.match(r"\s*-?\s*old", question[m.end() :]):
            kind = "year"
        if kind is None and raw not in said:
            continue
        if kind is None or (kind == "year" and raw in said):
            kind = "age" if re.search(r"\b(?:is|am|aged)\s+" + re.escape(raw), question) else kind
        if kind is not None:
            # an amount of no kind ("for 1 hour") is compared with no band
            amounts.setdefault(_number(raw), kind)
    for m in _AGE_STATED.finditer(question):
        amounts[_number(m.group(1))] = "age"
    return [Amount(value, kind) for value, kind in amounts.items()]


def _alike(amount: Amount, band: Band) -> bool:
    """Whether `band` bounds amounts of `amount`'s kind: the same kind, or neither has
    one. A bare band ("Section 4 - 6", "open 9 to 17") says nothing of a stated age or
    count; `bands` gives it the age kind where its unit names people by age."""
    return amount.kind == band.kind


#: What may come before a band labelling its unit: a list marker, the first cell's header.
_LABEL_BEFORE = re.compile(r"[\s\-–•*·]*(?:[^\W\d_][^:;]{0,30}:\s*)?")


def _labels(text: str, span: tuple[int, int]) -> bool:
    """Whether the band at `span` of `text` is what the unit is about: the whole of its
    first cell or the label before its colon ("- 16 to 64: £5.00", "Order size: 1-9;
    Unit price: £4.20")."""
    return (
        _LABEL_BEFORE.fullmatch(text[: span[0]]) is not None
        and re.match(r"\s*(?:[:;|]|$)", text[span[1] :]) is not None
    )


def fit(amounts: list[Amount], text: str) -> int:
    """1 when a band of `text` holds an amount of `amounts` of its kind, -1 when `text`
    has bands of the amounts' kinds and none holds one (the row of another age group, the
    price of another quantity), else 0. A bare band labelling the unit ("- 16 to 64:
    £5.00") is compared with an amount of any kind: the list or table it heads is one
    of bands."""
    if not amounts:
        return 0
    alike = [
        (a, b)
        for span, b in _bands(text)
        for a in amounts
        if _alike(a, b) or (b.kind is None and _labels(text, span))
    ]
    if not alike:
        return 0
    return 1 if any(b.holds(a.value) for a, b in alike) else -1


def fits(question: str, texts: list[str]) -> list[int]:
    """`fit` of each of `texts` for the amounts `question` states (all 0 when it states
    none)."""
    amounts = stated(question)
    return [fit(amounts, text) for text in texts] if amounts else [0] * len(texts)
