"""What form a question's answer takes, and whether a passage states it next to what was
asked: the not-found gate's test of "the documents answer X", not just "talk about X".

A question asking for a number ("How many fire wardens ...?", "Combien coûte ...?",
"多少", "كم") is answered by a sentence or a table row that holds a number, a price
question ("How much does ... cost?", "Quel est le prix ...?") by one that holds an amount
in a currency (its own or its table's header naming the price), and a "when" question by
one with a date. The passage of a near-miss names the subject but states no such value
where it speaks of it: "Fire wardens wear red vests during a drill." does not answer "How
many fire wardens per shift?", nor "Your badge is your ticket." what a ticket costs, nor a
register row without a price column what the centrifuge cost.

The unit is the sentence or the line (a table row is one line, "cell | cell | cell"): the
value and the asked-about words must be in the same one. Leading list numbers ("5.3",
"4.") and the question's own figures and codes ("LAB-0233", "Q2", "4.0") are not values.
The interrogatives and the price words are those of the languages docent analyses (en, de,
fr, es, zh, ar); a question in another language has no form, and nothing is asked of the
passage.
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Callable, Iterable

from docent.answering import clock, vocabulary

#: A question is a wh-question (not a yes/no one: "Does Velmora pay the costs of a
#: credit card?" may be answered "yes" without an amount) when it holds one of these.
_NUMBER_ASKED = re.compile(
    r"\bhow (?:many|much|long|far|big|large|heavy|high|tall|wide|old|fast|loud)\b"
    r"|\bwie (?:viele?|lange|hoch|groß|gross|schwer|weit|alt|schnell|laut)\b"
    r"|\bcombien\b|\bcu[áa]nt[oa]s?\b|多少|几|多久|多长|多重|多大|多高|多远|(?<!\w)كم(?!\w)",
    re.IGNORECASE,
)
_WHEN_ASKED = re.compile(
    r"\bwhen\b|\bwhat (?:date|year|day)\b|\bwann\b|\bquand\b|\bcu[áa]ndo\b"
    r"|什么时候|何时|哪天|哪一天|哪年|(?<!\w)متى(?!\w)",
    re.IGNORECASE,
)
_WHAT_ASKED = re.compile(
    r"\b(?:what|which|was|welche[rsnm]?|quel(?:le)?s?|qu[ée]|cu[áa]l(?:es)?)\b|什么|多少"
    r"|(?<!\w)(?:ما|ماذا)(?!\w)",
    re.IGNORECASE,
)
#: Counts: "how many days" asks for a number of days even beside a price word ("多少天内
#: 提交差旅费用发票", "combien de jours"); the word after it is what is counted.
_COUNT_ASKED = re.compile(
    r"\b(?:how many|wie viele|combien d[e']|cu[áa]nt[oa]s)\s*(\w+)|多少(?!钱)([\u4e00-\u9fff])",
    re.IGNORECASE,
)
#: Words that ask for a price: with a wh-question, the answer is an amount of money.
PRICE_WORDS = re.compile(
    r"\b(?:cost|costs|price|prices|priced|fee|fees|rent|charge|charged|budget"
    r"|kostet|kosten|preis|preise|gebühr|miete|budgets?"
    r"|prix|co[ûu]te|co[ûu]tent|co[ûu]t|tarif|tarifs|loyer"
    r"|cuesta|cuestan|precio|precios|coste|costo|tarifa|alquiler|presupuesto)\b"
    r"|价格|价钱|多少钱|费用|售价|租金|预算|سعر|تكلفة|يكلف|رسوم|إيجار|ميزانية",
    re.IGNORECASE,
)
#: What says an amount is money: a currency sign, an ISO code, a currency's name, or a
#: table header naming the price ("Price (GBP)", "Preis", "Tarif").
_CURRENCY = re.compile(
    r"[€£$¥₹₩₽₺]|\b(?:EUR|GBP|USD|CHF|JPY|CNY|RMB|SAR|AED|CAD|AUD|SEK|NOK|DKK|PLN)\b"
    r"|\b(?:euros?|pounds?|dollars?|francs?|yuan|pesos?|riy?als?|dirhams?)\b"
    r"|\b(?:pence|cents?|centimes?|c[ée]ntimos?|ct)\b|\d\s?p\b"
    r"|元|块|ريال|درهم|دينار|جنيه|دولار|يورو",
    re.IGNORECASE,
)
#: What dates a value: a month or weekday name, a year, a day and month in figures
#: ("14.03.", "3/2"), a time of day, a quarter, or the CJK and Arabic date words. "12
#: months" is a duration, not a date.
_DATE = re.compile(
    rf"\b(?:{vocabulary.MONTHS}|{vocabulary.WEEKDAYS}|spring|summer|autumn|winter|q[1-4])\b"
    r"|\b(?:19|20)\d\d\b|\b\d{1,2}[./-]\d{1,2}\b|\b\d{1,2}:\d\d\b"
    r"|[\d一二三四五六七八九十]\s?[年月日号点]|星期|周[一二三四五六日]"
    rf"|{vocabulary.ARABIC_MONTHS}",
    re.IGNORECASE,
)
#: A deadline or an offset in time answers "when" as a date does: a number of time units
#: after "within", "by", "before", "after" ("within 30 days", "innerhalb von 14 Tagen",
#: "dans les 8 jours", "dentro de 30 días", "30日内", "خلال 30 يومًا"), or before "before" /
#: "after" / "in advance" ("two weeks before the event"). "For 12 months" is a length of
#: time, not when: it stays out.
_TIME_UNIT = f"(?:{vocabulary.TIME_UNITS})"
_DEADLINE = re.compile(
    r"\b(?:within|in|after|before|by|innerhalb(?:\s+von)?|binnen|nach|vor|spätestens"
    r"|dans(?:\s+les)?|sous|avant|après|dentro\s+de|en|antes\s+de|después\s+de|tras)"
    r"\s+(?:the\s+(?:first\s+|next\s+)?)?(?:\d+(?:[.,]\d+)?|\w+)[\s-]*"
    r"(?:calendar\s+|working\s+|business\s+|clear\s+)?" + _TIME_UNIT + r"\b"
    r"|\b(?:\d+(?:[.,]\d+)?|\w+)[\s-]*"
    + _TIME_UNIT
    + r"\s+(?:before|after|prior|ahead|in\s+advance|earlier|later|vorher|im\s+voraus"
    r"|avant|après|à\s+l'avance|antes|después|de\s+antelación)\b"
    r"|[\d一二三四五六七八九十两]+\s*个?(?:天|日|周|星期|月|年|小时|分钟)\s*(?:内|之内|以内|前|之前|以前|后|之后)"
    r"|(?<!\w)(?:خلال|قبل|بعد)\s+\S+\s*(?:يوم|أيام|أسبوع|أسابيع|شهر|أشهر|سنة|ساعة|ساعات|دقيقة)",
    re.IGNORECASE,
)
#: Numbers written out, articles that are also "one" included (`vocabulary`): the gate
#: asks whether a sentence states any number at all ("un mois de préavis").
_NUMBER_WORDS = vocabulary.NUMBER_OR_ARTICLE
_DIGIT = vocabulary.DIGIT
#: A list item's or clause's number at the start of a line ("5.3 ", "4. ", "2) ").
_LIST_NUMBER = re.compile(r"^\s*(?:\d+(?:\.\d+)+\.?|\d+[.)]|[-•*])\s+", re.MULTILINE)
#: Sentence ends followed by space (after a word of three letters or more: "z. B.",
#: "Dr." and "e.g." end no sentence), and CJK and Arabic full stops.
_SENTENCE_END = re.compile(r"(?<=\w{3}[.!?])\s+|(?<=[。！？؟])")
#: A question opening with an auxiliary asks yes or no ("Does the T3 keep heating when
#: the internet is down?"): its "when" or "how much" is a clause's, not the question's.
_YES_NO = re.compile(
    r"^\W*(?:do|does|did|is|are|was|were|can|could|will|would|should|has|have|had|may|must"
    r"|ist|sind|wird|werden|gibt|kann|können|darf|dürfen|muss|müssen|hat|haben"
    r"|est-ce|peut|peuvent|faut-il|y a-t-il|hay|es|puede|pueden|tiene|tienen)\b",
    re.IGNORECASE,
)


#: Words asking whether something is there, had or offered ("Is there a car park?",
#: "Does the gym have a pool?", "¿El gimnasio *tiene* piscina?", "Le parking *a-t-il* des
#: bornes ?", "*Gibt es* einen Zuschuss?", "*有没有*停车位？", "*هل يوجد* موقف؟"): what such a
#: question asks about is a thing the answer must name. "hay que" is "one must".
_THERE = re.compile(
    r"^\W*(?:is\s+there|are\s+there|(?:does|do)\s+(?:\w+\s+){1,4}?(?:have|offer|provide"
    r"|sell|include)|gibt\s+es|hay(?!\s+que))\b"
    r"|\b(?:tiene|tienen|ofrece|ofrecen|a-t-il|a-t-elle|ont-ils|y\s+a-t-il|propose-t-il"
    r"|offre-t-il)\b|有没有|有无|هل\s+(?:يوجد|توجد|هناك|لدى|لديكم|لدي)",
    re.IGNORECASE,
)


def there_asked(question: str) -> str | None:
    """The words by which `question` asks whether something is there, had or offered
    (`_THERE`: "Is there", "Does the gym have", "tiene", "Gibt es", "有没有", "هل يوجد"),
    or None when it asks otherwise ("Can I keep a dog?" is answered "Pets are not
    permitted", in other words than its own)."""
    found = _THERE.search(unicodedata.normalize("NFKC", question))
    return found.group().strip("¿¡ \t") if found else None


#: Pronouns that open a sentence going on about the one before ("It is planned ...", "Il
#: est planifié ...", "Sie findet ... statt"), in the languages above.
_ANAPHOR = re.compile(
    r"(?:it|this|that|they|these|he|she|il|elle|ils|elles|ce|cela|celle|celui|er|sie|es"
    r"|dies|diese[rs]?|él|ella|ellos|ellas|est[eao]s?)\b",
    re.IGNORECASE,
)


class Form(enum.StrEnum):
    """What the answer must hold: any number (counts, durations, sizes), an amount of
    money, a date, or a time of day (`CLOCK`: "What time ...?", `clock.py`)."""

    NUMBER = "number"
    PRICE = "price"
    DATE = "date"
    CLOCK = "clock"


def form_of(question: str) -> Form | None:
    """The form of `question`'s answer; None when it asks for no value (a name, a place, a
    yes or no) or is in a language without the words above."""
    text = unicodedata.normalize("NFKC", question)
    if _YES_NO.match(text):
        return None
    if clock.asks_clock(text):
        return Form.CLOCK
    if _COUNT_ASKED.search(text):
        return Form.NUMBER
    if PRICE_WORDS.search(text) and (_NUMBER_ASKED.search(text) or _WHAT_ASKED.search(text)):
        return Form.PRICE
    if _NUMBER_ASKED.search(text):
        return Form.NUMBER
    if _WHEN_ASKED.search(text):
        return Form.DATE
    return None


def units(text: str) -> list[str]:
    """`text`'s sentences and lines, without list numbers; a table row ("a | b | c") is
    one unit whatever its cells' punctuation ("Price GBP excl. VAT")."""
    found: list[str] = []
    for line in _LIST_NUMBER.sub("", text).splitlines():
        parts = [line] if "|" in line else _SENTENCE_END.split(line)
        found.extend(p.strip() for p in parts if p.strip())
    return found


#: Units of time and of people that a count is given in ("26 weeks", "zwei Tage"): the
#: answer's sentence says them whatever it is about ("a week's notice").
_MEASURES = frozenset(
    [
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "hour",
        "hours",
        "minute",
        "minutes",
        "times",
        "people",
        "persons",
        "tag",
        "tage",
        "tagen",
        "woche",
        "wochen",
        "monat",
        "monate",
        "monaten",
        "jahr",
        "jahre",
        "jahren",
        "stunde",
        "stunden",
        "minute",
        "minuten",
        "mal",
        "personen",
        "jour",
        "jours",
        "semaine",
        "semaines",
        "mois",
        "an",
        "ans",
        "année",
        "années",
        "heure",
        "heures",
        "minutes",
        "fois",
        "personnes",
        "día",
        "días",
        "semana",
        "semanas",
        "mes",
        "meses",
        "año",
        "años",
        "hora",
        "horas",
        "minutos",
        "veces",
        "personas",
        "天",
        "周",
        "月",
        "年",
        "次",
        "人",
    ]
)


def counted(question: str) -> str | None:
    """The unit a "how many" question counts in, when it is one of time or of people
    ("weeks" in "How many weeks of paternity leave ...?", "天" in "多少天"): the answer's
    sentence says it next to the number whatever it is about, so it does not tell what
    the sentence is about. None for other questions and other counted words ("How many
    fire wardens ...?": the wardens are what it asks about)."""
    match = _COUNT_ASKED.search(unicodedata.normalize("NFKC", question))
    word = (match.group(1) or match.group(2)).casefold() if match else None
    return word if word in _MEASURES else None


def holds(form: Form, unit: str, *, header: str = "", own: Iterable[str] = ()) -> bool:
    """Whether `unit` (a sentence or a row) states a value of `form`. `own`: the question's
    figures and codes, case-folded, which are not values ("LAB-0233" in its row); `header`:
    the table header or section over the unit, where a price column names its currency."""
    folded = unicodedata.normalize("NFKC", unit).casefold()
    for token in own:
        folded = folded.replace(token, " ")
    has_number = bool(_DIGIT.search(folded) or _NUMBER_WORDS.search(folded))
    if form is Form.NUMBER:
        return has_number
    if form is Form.DATE:
        return bool(_DATE.search(folded) or _DEADLINE.search(folded))
    if form is Form.CLOCK:
        return clock.states_clock(folded)
    # A change of a price is a percentage ("will rise by 3.2%").
    money = (
        _CURRENCY.search(folded)
        or "%" in folded
        or _CURRENCY.search(header)
        or PRICE_WORDS.search(header)
    )
    return has_number and bool(money)


def states(
    form: Form,
    text: str,
    about: Callable[[str], int],
    *,
    header: str = "",
    own: Iterable[str] = (),
    share: float = 1.0,
    fallback: bool = True,
) -> bool:
    """Whether `text` (a passage) states a value of `form` in a unit about the question:
    among its units holding the most of what was asked (`about(unit)`: how many of the
    question's asked-about words, names and codes the unit holds; at least `share` of the
    most, for scripts whose words are matched by character bigrams), one `holds` the
    value, or the sentence after one of them when it opens with a pronoun (`_ANAPHOR`). When no unit holds any, any unit may (the passage is in another language than
    the question, or says what was asked in other words), unless `fallback` is False."""
    found = units(text)
    if not found:
        return False
    scored = [(about(u), u) for u in found]
    best = max(score for score, _ in scored)
    if not best and not fallback:
        return False
    least = max(1, math.ceil(best * share)) if best else 0
    # A sentence opening with a pronoun after one about what was asked goes on about it
    # ("... the security audit must be finished first. It is planned for 19 to 23 May.").
    chosen = {i for i, (score, _) in enumerate(scored) if score >= least}
    chosen |= {
        i + 1 for i in chosen if best and i + 1 < len(scored) and _ANAPHOR.match(scored[i + 1][1])
    }
    own = tuple(own)
    return any(holds(form, scored[i][1], header=header, own=own) for i in chosen)
