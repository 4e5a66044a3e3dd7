"""The kind of value a question asks for by naming it, and whether a passage holds one.

A near-miss names the subject of a passage and asks for an attribute the passage does not
hold: "Is there a fee for a storage cage?" over "Each flat may use one storage cage ...;
cages are allocated ...", "What's the door code of the cycle store?" over "the cycle store
... is opened with the door fob", "What is the estate office's phone number?" over the
office's opening hours. The passage shares the question's words, so keyword and cosine
evidence find it; what the question asks for is a value of a kind with a shape, which the
sentence or row about the subject would write:

- **money** ("Is there a fee / a charge for ...?", "Do I pay for ...?", "Was kostet ...?",
  "Gibt es eine Gebühr ...?"): an amount with a currency, or a word saying it is free or
  charged ("free of charge", "kostenlos", "is charged in full");
- **phone** ("phone number", "mobile number", "Telefonnummer", "Handynummer", "numéro de
  téléphone", "número de móvil", "电话", "手机号", "رقم الهاتف"):
  a run of at least six digits, spaces, dashes or a leading "+" that is no date nor part
  of a reference ("HR/2024/117"), or a short line after a verb of calling ("call 111");
- **e-mail** ("e-mail address", "E-Mail-Adresse", "邮箱"): an address with "@";
- **code** ("door code", "PIN", "Türcode", "code d'accès"): a token holding a digit.

`asked.form_of` reads the wh-questions asking an amount, a number or a date; this module
reads the ones it leaves (yes/no questions about a fee; the German "Was kostet", whose
"Was" opens English yes/no questions there) and the kinds it does not (a phone number,
an e-mail address, a code). Which unit must hold it: among the passage's sentences and
rows (`asked.units`), those holding the most of the question's words about the subject
(`Clues.topic`) and of its names; when none holds any, any unit may in another language than the
question's (words cannot meet), none in the same.

The other way round, such a value stands for the words naming the kind (`stated_kind`):
"Caretaker | Luis Fernandes | 07700 900 415" is the caretaker's phone number although the
row never says "phone number", and counting those words as missing refused it.
"""

from __future__ import annotations

import enum
import re
import unicodedata

from docent.answering import asked
from docent.answering.clues import Clues, terms_of
from docent.search import languages as lang

__all__ = ["Kind", "kind_of", "lacks_kind", "stated_kind"]


class Kind(enum.StrEnum):
    MONEY = "money"
    PHONE = "phone"
    EMAIL = "email"
    CODE = "code"


_EMAIL_ASKED = re.compile(
    r"\be-?mail[\s-]*ad(?:d)?ress|\badresse\s+(?:e-?mail|électronique|courriel)"
    r"|\bcorreo\s+electr[óo]nico|邮箱|电子邮件|البريد\s+الإلكتروني",
    re.IGNORECASE,
)
_PHONE_ASKED = re.compile(
    r"\b(?:tele|mobile\s+)?phone\s+number|\b(?:mobile|cell)\s+number|\bnumber\s+to\s+(?:call|ring)"
    r"|\b(?:telefon|handy|mobil|ruf)nummer|\bnum[ée]ro\s+de\s+(?:t[ée]l[ée]phone|portable|mobile)"
    r"|\bn[úu]mero\s+de\s+(?:tel[ée]fono|m[óo]vil|celular)|电话|手机号|رقم\s+(?:الهاتف|الجوال|الموبايل)"
    # "What number do I call / ring?", "Welche Nummer rufe ich an?", "¿A qué número llamo?"
    r"|\b(?:number|nummer|num[ée]ro|n[úu]mero)\b[^?.!]{0,30}?\b(?:call|ring|dial|anrufen|rufe"
    r"|w[äa]hlen|appeler|appelle|composer|llamar|llamo|marcar)\b",
    re.IGNORECASE,
)
_CODE_ASKED = re.compile(
    r"\b(?:door|access|entry|gate|key|alarm|lock|wi-?fi)\s+code|\bpin(?:\s+(?:code|number))?\b"
    r"|\b(?:tür|zugangs|tor|alarm)code|\bcode\s+d['’]acc[èe]s|\bc[óo]digo\s+de\s+acceso",
    re.IGNORECASE,
)
#: A question asking whether something costs ("Is there a fee for ...?", "Do I have to pay
#: for ...?", "Does the company pay for ...?", "Gibt es eine Gebühr ...?") or, in German,
#: what it costs ("Was kostet ...?").
_MONEY_ASKED = re.compile(
    r"^\W*(?:is|are)\s+there\s+(?:a|an|any)\s+(?:\w+\s+)?(?:fee|charge|cost|surcharge|deposit)s?\b"
    r"|^\W*(?:do|does|will)\s+(?:\w+\s+){1,3}?(?:have\s+to\s+|need\s+to\s+)?pay\b"
    r"|^\W*(?:was|wie\s+viel)\s+(?:kostet|kosten)\b"
    r"|^\W*gibt\s+es\s+(?:eine[n]?\s+)?(?:\w+)?(?:gebühr|zuschlag|kosten)",
    re.IGNORECASE,
)
#: Whether a yes/no question about a fee is answered without an amount: the unit says
#: it is free, included, or charged.
_MONEY_WORDS = re.compile(
    r"\b(?:free|charged?|fees?|pay|pays|paid|payable|included|inclusive|refunded"
    r"|kostenlos|kostenfrei|gebührenfrei|gratis|inklusive|berechnet|bezahlt|zahlt"
    r"|gratuit|payant|inclus|factur[ée]s?|gratuito|incluido|cobra)\b",
    re.IGNORECASE,
)
#: A telephone number: a run of digits with spaces, dashes, dots, brackets or slashes
#: ("+49 221 123 45-67", "0221/12345"), holding at least six digits (`_is_phone`); not
#: one that goes on or starts after a slash, which is a reference's ("ب ر/م/2026/041",
#: "HR/2024/117").
_PHONE = re.compile(r"(?<![\w@/])\+?\d[\d\s/().-]{5,}\d(?![\w/])")
#: A date in figures, which `_PHONE` would read as a number: "2026-03-01", "01.03.2026".
_DATE = re.compile(
    r"(?<!\d)(?:(?:19|20)\d\d[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d\d)(?!\d)"
)
#: A short number to call (an emergency or service line: "call 111", "rufen Sie die 115
#: an", "appelez le 15", "llame al 112", "الاتصال بالرقم 940", "拨打12345"): two digits or
#: more right after a verb of calling or a line's name, at most two words between.
_CALLED = re.compile(
    r"\b(?:call|ring|dial|phone|telephone|hotline|helpline|anrufen|ruf(?:en)?\s+sie|w[äa]hlen\s+sie"
    r"|notruf|appele[zr]|composez|llame|llamar|marque|marcar)\b[\s:]*(?:\w+\s+){0,2}?\+?\d{2,}(?!\d|[/.,:]\d)"
    r"|(?<!\w)(?:الاتصال|اتصل\w*|هاتف)\S*\s+(?:\S+\s+)?\d{2,}(?!\d|[/.,:]\d)"
    r"|(?:拨打|致电|热线|电话)[:：\s]*\d{2,}",
    re.IGNORECASE,
)
#: An e-mail address (also read by picking.py, which drops addresses from a unit's words).
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CODE = re.compile(r"(?<!\w)[\w#*-]*\d[\w#*-]*(?!\w)")


def kind_of(question: str) -> Kind | None:
    """The kind of value `question` asks for by naming it (see the module's docstring);
    None when it names none, or `asked.form_of` reads it already (a wh-question asking an
    amount: "How much is the fee?")."""
    found = _asked(question)
    return found[0] if found else None


def _asked(question: str) -> tuple[Kind, str] | None:
    """The kind `question` names and the words naming it ("phone number")."""
    text = unicodedata.normalize("NFKC", question).strip()
    for kind, pattern in ((Kind.EMAIL, _EMAIL_ASKED), (Kind.PHONE, _PHONE_ASKED)):
        if match := pattern.search(text):
            return kind, match.group()
    if match := _CODE_ASKED.search(text):
        return Kind.CODE, match.group()
    if (match := _MONEY_ASKED.search(text)) and asked.form_of(text) is None:
        return Kind.MONEY, match.group()
    return None


def holds(kind: Kind, unit: str, *, yes_no: bool = True) -> bool:
    """Whether `unit` (a sentence or a row) holds a value of `kind`; for money, with
    `yes_no`, a word saying it is free or charged is enough."""
    text = unicodedata.normalize("NFKC", unit)
    if kind is Kind.EMAIL:
        return EMAIL.search(text) is not None
    if kind is Kind.PHONE:
        undated = _DATE.sub(" ; ", text)
        return _CALLED.search(undated) is not None or any(
            sum(c.isdigit() for c in m.group()) >= 6 for m in _PHONE.finditer(undated)
        )
    if kind is Kind.CODE:
        return _CODE.search(text) is not None
    if asked.holds(asked.Form.PRICE, text):
        return True
    return yes_no and _MONEY_WORDS.search(text) is not None


def lacks_kind(question: str, clues: Clues, text: str, subject: set[str]) -> bool:
    """Whether passage `text` lacks the kind of value `question` (read as `clues`) names
    (`kind_of`) in its sentences or rows about the question: those holding the most of its
    words about what it asks (`Clues.topic`, less the document's `subject`: the terms of
    its title and section, and the words naming the kind: "phone number"); when none holds
    one, any of them if `text` is in another language than the question, none if in the
    same. False when the question names no kind."""
    return _judged(question, clues, text, subject) is False


def stated_kind(question: str, clues: Clues, text: str, subject: set[str]) -> str:
    """The words of `question` naming the kind of value it asks for ("phone number",
    "e-mail address") when passage `text` holds a value of that kind in a sentence or row
    about the question (as `lacks_kind` reads it): the value says them, as a table row's
    "07700 900 415" is the caretaker's phone number without the words. Empty otherwise."""
    found = _asked(question)
    if found is None or not _judged(question, clues, text, subject):
        return ""
    return found[1]


def _judged(question: str, clues: Clues, text: str, subject: set[str]) -> bool | None:
    """Whether `text` holds the kind `question` names where `lacks_kind` looks; None when
    the question names none."""
    found = _asked(question)
    if found is None:
        return None
    kind, words = found
    units = asked.units(text)
    if not units:
        return False
    naming = terms_of(words)
    # The question's names count as what it asks about: "Mme Ferreira's mobile number" is
    # in the unit naming her, not in the switchboard's line of another paragraph.
    topic = [terms for terms in clues.topic(subject) if not terms & naming] + [
        terms for terms in clues.names if not terms & subject
    ]
    own = lang.detect(text).language == lang.detect(question).language
    # Across languages the question's words meet a unit's only through names and the
    # groups of `synonyms`, which know few words: the units they pick are no surer than
    # the others ("Valencia" in the address line, not the tow truck's "grúa" row).
    scores = [sum(bool(t & clues.held(u)) for t in topic) if own else 0 for u in units]
    best = max(scores)
    # In the question's own language, a passage none of whose units holds a word of what
    # was asked is about something else that happens to have a value of the kind (an
    # e-bike's price for "Was kostet ein Parkplatz?"); across languages words cannot meet.
    if not best and topic and own:
        return False
    # "Was kostet ...?" asks an amount; a yes/no question may be answered "it is free".
    yes_no = not re.match(r"^\W*(?:was|wie)\b", question, re.IGNORECASE)
    return any(
        holds(kind, unit, yes_no=yes_no)
        for unit, score in zip(units, scores, strict=True)
        if score == best
    )
