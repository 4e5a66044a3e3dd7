"""Numbers and the calendar as documents write them: the one vocabulary of the not-found
gate's forms (`asked.py`) and of the answerer's shapes (`shapes.py`).

Languages: en, de, fr, es, zh, ar (those docent analyses). Patterns are matched on
casefolded or IGNORECASE text; Latin words are whole words.

- `NUMBER_WORDS`: numbers written out ("two weeks", "sechzehn Wochen", "dix-huit mois",
  "veintiún días", 十五天, "ثلاثة أيام"): one to twelve, the teens and tens, hundreds and
  thousands, half and dozen. Not the indefinite articles that are also "one" ("ein",
  "un", "une", "uno", "una") nor the Spanish "once" (11) and "medio", which are English
  words or articles far more often: `NUMBER_OR_ARTICLE` adds them, for the gate's test
  that a sentence states any number at all ("un mois de préavis").
- `MONTHS`, `WEEKDAYS`: the names (and the usual English, German and French
  abbreviations of the months), as regex alternations for `\\b(?:...)\\b`. "May" is
  the month only beside a figure ("14 May", "May 2026"): "Visitors may not ..." and
  "May I ...?" date nothing.
- `TIME_UNITS`: the units of time a duration or a deadline is counted in ("days",
  "Wochen", "mois", "horas"), as an alternation.
- `INTERROGATIVES`: the words asking for the size of something ("how many", "wie
  viele") and the light verbs a question asks with: never the answer's words.
- `count_compound`: a count joined to the noun it counts ("8-channel", "16-port").
- `HAN_NUMERALS`: the Chinese numerals, as a character class; `LATIN_NUMBERS`: the
  written-out numbers of the Latin-script languages, as an alternation.
"""

from __future__ import annotations

import re

DIGIT = re.compile(r"\d")

HAN_NUMERALS = "[一二两三四五六七八九十百千万半]"

LATIN_NUMBERS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|(?:thir|four|fif|six|seven|eigh|nine)teen|(?:twen|thir|for|fif|six|seven|eigh|nine)ty"
    r"|hundred|thousand|million|half|twice|dozen"
    r"|eins|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf"
    r"|(?:drei|vier|fünf|sech|sieb|acht|neun)zehn|(?:zwan|vier|fünf|sech|sieb|acht|neun)zig"
    r"|dreißig|hundert|tausend|halbe?[nr]?"
    r"|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze"
    r"|quinze|seize|dix-\w+|vingt|trente|quarante|cinquante|soixante|quatre-vingts?"
    r"|cent|mille|demie?"
    r"|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce|trece|catorce"
    r"|quince|dieci\w+|veinte|veinti\w+|treinta|cuarenta|cincuenta|sesenta|setenta|ochenta"
    r"|noventa|cien|ciento|mil"
)
#: The words that are "one" (or half) but far more often an article or another word.
_ARTICLES = r"ein|eine[mnrs]?|une?|uno?|una|once|medio|media"
_ARABIC_NUMBERS = r"واحد|اثنان|اثنين|ثلاث|أربع|اربع|خمس|ست|سبع|ثمان|تسع|عشر|مائة|مئة|ألف|الف|نصف"

#: The answerer's test (`shapes.has`) wants Arabic numbers as whole words ("ست", six, is
#: inside many words); the gate's (`NUMBER_OR_ARTICLE`) finds them inside a word too, with
#: a prefix ("والخمس").
NUMBER_WORDS = re.compile(
    rf"\b(?:{LATIN_NUMBERS}|{_ARABIC_NUMBERS})\b|{HAN_NUMERALS}", re.IGNORECASE
)
NUMBER_OR_ARTICLE = re.compile(
    rf"\b(?:{LATIN_NUMBERS}|{_ARTICLES})\b|{HAN_NUMERALS}|{_ARABIC_NUMBERS}", re.IGNORECASE
)

MONTHS = (
    r"jan(?:uary|vier|uar)?|feb(?:ruary|ruar)?|février|march|mars|märz|apr(?:il)?|avril"
    r"|(?<=\d )may|may(?= \d)|mai|june?|juin|juni|july?|juillet|juli|aug(?:ust)?|août"
    r"|sept?(?:ember)?"
    r"|septembre|oct(?:ober)?|octobre|okt(?:ober)?|nov(?:ember)?|novembre|dec(?:ember)?"
    r"|décembre|dez(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto"
    r"|septiembre|octubre|noviembre|diciembre"
)
WEEKDAYS = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch"
    r"|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi"
    r"|dimanche|lunes|martes|miércoles|jueves|viernes|sábado|domingo"
)
ARABIC_MONTHS = r"يناير|فبراير|مارس|أبريل|ابريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر"
ARABIC_WEEKDAYS = r"الأحد|الاثنين|الإثنين|الثلاثاء|الأربعاء|الخميس|الجمعة|السبت"

TIME_UNITS = (
    r"minutes?|hours?|days?|weeks?|months?|years?|minuten?|stunden?|tagen?|tage|wochen?"
    r"|monaten?|monate|monat|jahren?|jahre|jahr|jours?|semaines?|mois|ans|ann[ée]es?|heures?"
    r"|minutos?|horas?|d[ií]as?|semanas?|meses|mes|años?"
)


#: A count and the noun it counts, joined ("8-channel", "16-port", "3-year", "24-hour"):
#: a figure, a hyphen and a lower-case word of three letters or more.
_COUNT_COMPOUND = re.compile(r"\d+(?:-[^\W\d_A-Z]{2,})*-[^\W\d_A-Z]{3,}")


#: People and nights counted, lengths and masses: "for 2 adults", "4 nights", "12 km".
_COUNTED = (
    r"people|persons?|adults?|children|kids?|nights?|guests?|km|kg|miles?|metres?|meters?"
    r"|personen|person|erwachsene[n]?|kinder[n]?|nächte[n]?|nacht|gäste[n]?"
    r"|personnes?|adultes?|enfants?|nuits?|invités?|personas?|adultos?|niños?|noches?"
)
#: A figure the question states as an amount of time or money, not as an identifier: "I
#: was called out for 40 minutes", "I'm ordering one £25 part", "seit 3 Jahren".
_STATED_AMOUNT = re.compile(
    rf"(?<![\w.,:/-])(\d+(?:[.,]\d+)?)\s*(?:(?:{TIME_UNITS}|{_COUNTED})\b|€|euros?\b|eur\b|gbp\b"
    r"|pounds?\b|dollars?\b|usd\b)|[£$€]\s?(\d+(?:[.,]\d+)?)(?![\w.,:/-]*\d)",
    re.IGNORECASE,
)


#: An age the asker states, a clause going on after it: "my son is 14 and ...", "I am 67.";
#: not a question ending on it ("Which platform is 14?" asks for an identifier).
_STATED_AGE = re.compile(
    r"\b(?:is|am|are|aged|ist|bin)\s+(\d{1,3})(?=\s*(?:and\b|but\b|und\b|[,.;]))",
    re.IGNORECASE,
)


def stated_amounts(question: str) -> frozenset[str]:
    """The bare numbers `question` states as a duration, a sum of money, a count of people
    or nights, a length or an age ("40" in "for 40 minutes", "25" in "one £25 part", "14" in
    "my son is 14 and ..."): a situation the asker describes, which the document
    need not write, unlike a code ("WH-147", "route 31") it must hold."""
    amounts = {m.group(1) or m.group(2) for m in _STATED_AMOUNT.finditer(question)}
    return frozenset(amounts | {m.group(1) for m in _STATED_AGE.finditer(question)})


def count_compound(token: str) -> bool:
    """Whether `token` is a count joined to its noun ("8-channel"), not a code ("WH-147",
    "KJ-300", "A4-Mappe" has a capital)."""
    return _COUNT_COMPOUND.fullmatch(token) is not None and token.split("-", 1)[1].islower()


#: What a question asks for the size of ("how many", "wie viele", "combien", "wie hoch",
#: "how heavy"): its words, never the answer's, which gives the number. Folded and stemmed
#: as the question is.
INTERROGATIVES = frozenset(
    [
        "many", "much", "long", "often", "big", "large", "heavy", "far", "viel", "viele",
        "lange", "oft", "hoch", "groß", "schwer", "weit", "combien", "cuánto", "cuánta",
        "cuántos", "cuántas", "cuanto", "cuanta", "cuantos", "cuantas",
        # "What happens if ...?" asks for a consequence; the passage states it in its own
        # verbs ("are charged in full").
        "happen", "happens", "passiert", "geschieht", "pasa", "ocurre", "soon",
        # Light and modal verbs and bare prepositions of time carry no topic: "How soon do
        # we *get* the deposit back *after* moving out?", "An welchen Tagen *können* wir
        # ...?" (the stop lists keep some of them).
        "get", "gets", "got", "getting", "go", "goes", "going", "went", "need", "needs",
        "want", "wants", "after", "before", "bekommen", "bekommt", "kriegen", "können",
        "kann", "muss", "müssen", "darf", "dürfen", "soll", "sollen", "möchte", "pouvoir",
        "peut", "peux", "dois", "doit", "faut", "veux", "puedo", "puede", "debo", "debe",
        "tengo", "quiero",
        # the particles of phrasal verbs ("move out", "goes up", "raus wollen", "take
        # away")
        "out", "up", "off", "down", "away", "raus", "rein",
    ]
)  # fmt: skip

#: Light verbs (and "own") a question asks with and its answer says in its own words: "Do
#: we pay extra for them to *take* the hedge clippings away?" ("are removed ... at no
#: extra charge"), "Wie lange *dauert* das Aufladen?" ("Ladedauer | 4 Stunden"), "Wo
#: *steht* das Notstromaggregat?", "si luego *hago* la reparación", "متى *ستتم* الصيانة"
#: (when will it be done), "on its *own*". Not a word a passage must hold; but unlike
#: `INTERROGATIVES` a question asking with one still asks about something besides its
#: subject: "Can I *take* my bike on the minibus?" is judged by "bike" (`clues.Clues`).
LIGHT_VERBS = frozenset(
    [
        "take", "takes", "took", "taken", "give", "gives", "gave", "given", "put", "puts",
        "add", "adds", "added", "own", "dauert", "dauern", "steht", "stehen", "hago",
        "hace", "hacer", "hacen", "luego", "antes", "después", "يتم", "تتم", "سيتم",
        "ستتم",
    ]
)  # fmt: skip
