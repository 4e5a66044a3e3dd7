"""The attribute a question asks for, and whether its document names it in any form.

A near-miss asks for an attribute of something its document covers, and the document
never names that attribute: "What is the default admin password of the NV recorders?"
over a recorders' datasheet, "Is there a surcharge for parking a motorbike?" over a
parking clause that mentions motorbikes, "How much is a hearing test?" over an optician's
price list without one. The passages share the question's subject, so its cosine (and the
lead of its document) is high, and the answer would quote a neighbouring row. What tells it
apart is the noun phrase the question asks for ("default admin password", "surcharge",
"hearing test"): not one of the document's retrieved passages, its title or its sections
holds all of its words, itself or by a word of its group (`synonyms`).

The asked phrase is read only where the question's form says which it is, in English
(the language of the held-out set's questions): "What is/are/'s (the|a|...) PHRASE",
"Who is the PHRASE", "Is/Are there (a|any) PHRASE", "How much is/does (a|the) PHRASE",
"What does (a|the) PHRASE cost", "Does X have/offer/provide/sell a PHRASE" ("Does the
gym have a pool?"), "When is (the) PHRASE" ("When is sports day?"), "How
long/far/big/old ... is the PHRASE" ("How long is the guarantee on ...?"), "Which PHRASE
is/does ..." (its last noun is the class of the answer, "Which *tablet* model is ...?");
the phrase ends at a preposition, a verb of those forms, a trailing participle or
predicate ("When is the library *open*?") or the end. Words that pick one of several entities rather than name an attribute
(superlatives: "the smallest recorder"; counts: "the 8-channel one"; "new", "usual"),
names and codes, light words (`qualifiers.LIGHT`) and closed classes' members (a period,
a group: `contrast.CLASSES`, which reads those) are not required. A question asking
otherwise ("Can we ...?", "Where do I ...?", a situation told first and then asked about)
has no asked phrase: its words are judged by the gate's other rules.

German questions are read too, in their own forms ("Was kostet ein Ersatzfilter?", "Wer
organisiert die Weihnachtsfeier?", `german_head`), the asked noun found also as a part of
one of the document's compounds (`_in_compound`): the held-out set asks "Was kostet ...?"
over a product card's title line and "Wie viel kostet die Hundesteuer ...?" over an
address.

Only between a question and a document of one language: words cannot be compared across
languages (the cosine floors judge those).

The unit picked to answer is judged too (`off_subject`, from extractive.py): it must hold
what the question asks about, not only a value of the form it asks for. A question
asking whether something is there ("Does the gym have a pool?", "¿tiene piscina?",
"Gibt es ...?", "有没有", "هل يوجد") over a passage naming none of its words (the gym's
address line) is not answered; nor a price or number question by another item's table
row, in a table that never names the asked item ("How much dry powder ...?" over the
foam tank's row). Measured on the dev set, the check file and the held-out set: judging
the unit alone, not its passage, or every yes or no question, refused right answers of
the check file (an answer may be worded otherwise: "Pets are not permitted" for "Can I
keep a dog?", a row under a caption naming the item).
"""

from __future__ import annotations

import re

from docent.answering import asked, compounds, contrast
from docent.answering.clues import Clues, names_and_codes
from docent.answering.qualifiers import light_terms
from docent.search import analysis
from docent.search import languages as lang

#: The forms of question whose asked noun phrase is read, and the phrase they open.
_ASKING = re.compile(
    r"^(?:(?P<verb>how\s+much\s+(?:does|do)|what\s+(?:does|do))"
    r"|what(?:'s|’s|\s+is|\s+are|\s+was|\s+were)|who(?:'s|’s|\s+is|\s+are)"
    r"|(?:is|are)\s+there|how\s+much\s+(?:is|are)"
    # "Does the gym have a pool?", "Do you offer a student discount?"
    r"|(?:does|do)\s+(?:\w+\s+){1,3}?(?:have|offer|provide|sell)(?=\s+(?:a|an|any)\s)"
    # "When is sports day ...?", "How long is the guarantee on ...?"
    r"|when\s+(?:is|are|was|were|will)"
    r"|how\s+(?:long|far|big|large|heavy|old|wide|high|tall)\s+(?:is|are|was|were)"
    # "How much dry powder does the Tigon carry?", "How many fire wardens are there?":
    # the amount's noun, when an auxiliary follows it within three words (without one,
    # "How many people *fit* ...?" runs on into its verb).
    r"|(?P<amount>how\s+(?:much|many))(?=\s+(?:[^\W\d]+\s+){1,3}?(?:does|do|did|is|are|was"
    r"|were|can|could|will|would|should|may|must|has|have)\b)"
    # "Which tablet model is ...?": the phrase is the picked noun, up to the auxiliary.
    r"|(?P<noun>which(?!\s+(?:is|are|was|were|does|do|did)\b)))"
    r"\s+(?:(?:the|a|an|any|my|our|your|their|its|his|her)\s+)?(?P<phrase>.+)$",
    re.IGNORECASE,
)
#: The auxiliaries that end the noun of "Which tablet model *is* ...?": without one, the
#: words after "which" run on into a clause ("Which carrier had the worst rate?") whose
#: end cannot be told without a parser.
_AUXILIARIES = frozenset(
    ["does", "do", "did", "is", "are", "was", "were", "can", "could", "should", "will",
     "would", "may", "must", "has", "have"]
)  # fmt: skip
#: Predicates that end a "When is ..." phrase: "When is the library *open*?" asks when
#: the library is, not about an "open".
_PREDICATES = frozenset(
    ["open", "closed", "shut", "due", "available", "free", "valid", "possible", "busy",
     "quiet", "ready", "over", "back", "on", "off",
     # adverbs of time ("available *again*") and participles not in -ed ("How much is
     # *taken* each month?")
     "again", "still", "yet", "later", "soon", "now", "today", "tomorrow", "there",
     "here", "taken", "given", "written", "driven", "chosen", "broken", "stolen", "shown",
     "known", "done", "gone", "paid", "sent", "kept", "held", "made", "sold", "told",
     "brought", "bought", "lost", "spent", "built", "seen", "found", "left"]
)  # fmt: skip
#: The verbs that end the phrase of "What does ... cost?", "How much does ... cost?":
#: other verbs there ("What does MHE *stand* for?") ask something else of a phrase that
#: cannot be told from the verb without a parser.
_COSTS = frozenset(["cost", "costs", "charge", "come"])
#: What ends the asked phrase: a preposition, a conjunction, or a verb of the forms above
#: ("What does an extended warranty *cost*?").
_END = frozenset(
    [
        "of", "for", "in", "at", "on", "to", "with", "from", "by", "per", "about", "under",
        "over", "if", "when", "that", "which", "who", "whose", "and", "or", "than", "since",
        "until", "till", "after", "before", "during", "between", "near", "inside",
        "outside", "within", "without", "like", "as", "across", "against", "into", "onto",
        "via", "each", "every", "this", "these", "those", "cost", "costs", "charge", "did",
        "has", "have", "had",
        "charged", "include", "includes", "come", "comes", "apply", "applies", "mean",
        "means", "go", "goes", "need", "needs", "take", "takes", "work", "works", "do",
        "does", "can", "could", "should", "will", "would", "may", "must", "is", "are",
        "was", "were",
    ]
)  # fmt: skip
#: Words that pick one of several entities, or say how, rather than name what is asked.
_PICKING = frozenset(
    [
        "smallest", "biggest", "largest", "cheapest", "dearest", "lightest", "heaviest",
        "fastest", "slowest", "longest", "shortest", "highest", "lowest", "newest",
        "oldest", "latest", "earliest", "nearest", "closest", "best", "worst", "most",
        "least", "new", "old", "current", "usual", "normal", "main", "other", "same",
        "next", "last", "first", "own", "whole", "total", "one", "ones",
    ]
)  # fmt: skip
#: Words naming the kind of answer, which the answer states by its shape ("+44 20 7946
#: 0321" for "the phone number", "£15" for "the fee", "no more than five days" for "a
#: limit") rather than names.
_ANSWER_KINDS = frozenset(
    [
        "phone", "telephone", "number", "numbers", "email", "e-mail", "mail", "address",
        "website", "url", "link", "name", "date", "time", "day", "price", "cost", "fee",
        "charge", "amount", "figure", "contact", "details", "mobile",
        # a name picked among others ("Which tablet model ...?" is answered "iPad 10")
        "model", "models", "type", "brand", "make", "version",
        # a constraint, stated by its figure ("no more than five consecutive days")
        "limit", "limits", "maximum", "minimum", "max", "min", "cap", "restriction",
        "restrictions", "rule", "rules", "policy", "deadline",
    ]
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def asked_phrase(question: str, *, amounts: bool = False) -> list[str]:
    """The words of the noun phrase `question` asks for, as written, in order ("What is
    the default admin password of the NV recorders?" -> ["default", "admin",
    "password"]); empty when its form is not one of those read (see the module's
    docstring). "How much/many PHRASE does ...?" is read only with `amounts`: the answer's
    row must name its noun (`row_lacks_attribute`), while its whole document may name
    the amount in other words ("public liability insurance of £10 million" for "How much
    public liability cover ...?") and is not judged by it (`missing_attribute`)."""
    match = _ASKING.match(question.strip().lstrip("¿¡\"'"))
    if match is None or (match.group("amount") and not amounts):
        return []
    tokens = _WORD.findall(match.group("phrase"))
    folded = {t.casefold() for t in tokens}
    if match.group("verb") and not _COSTS & folded:
        return []
    if match.group("noun") and not _AUXILIARIES & folded:
        return []
    words: list[str] = []
    for token in tokens:
        if token.casefold() in _END:
            break
        words.append(token)
    # A participle or a predicate ending the phrase is the question's verb ("How long is
    # the lift *closed*?", "When is the library *open*?"), not part of what it asks about.
    popped = False
    while words and (
        re.fullmatch(r"\w{3,}ed", words[-1], re.IGNORECASE) or words[-1].casefold() in _PREDICATES
    ):
        words.pop()
        popped = True
    # And the adverb telling how ("fully loaded", "newly built").
    if popped and words and re.fullmatch(r"\w{3,}ly", words[-1], re.IGNORECASE):
        words.pop()
    # The noun after "which" names the class of the answer, which the answer states by
    # being one ("Which *jobs* are charged ...?" over "tree surgery, snow clearing");
    # the words before it say which ("Which *tablet* model ...?").
    if match.group("noun"):
        words = words[:-1]
    return words


def asked_head(question: str, *, amounts: bool = False) -> str | None:
    """The word of the asked phrase (`asked_phrase`) that names the attribute: its last
    word that is not one naming the kind of answer, stated by its shape rather than
    named ("phone number", "fee": `_ANSWER_KINDS`), nor one that picks an entity
    (`_PICKING`), a name, a code, a figure, a light word or a closed class's member;
    None when there is none. `amounts`: as `asked_phrase`'s."""
    named = {n.casefold() for n in names_and_codes(question) if not n.isupper()}
    for word in reversed(asked_phrase(question, amounts=amounts)):
        folded = word.casefold().rstrip("'’").removesuffix("'s").removesuffix("’s")
        if (
            folded in _PICKING
            or folded in _ANSWER_KINDS
            or folded in named
            or any(c.isdigit() for c in folded)
            or contrast.member(folded)
            or not (terms := analysis.analyze(folded, ("en",)))
            or set(terms) & light_terms()
        ):
            continue
        return folded
    return None


def missing_attribute(question: str, clues: Clues, passage: str, document: str) -> bool:
    """Whether `document` (its retrieved text, with its title and sections) lacks the
    attribute `question` (read as `clues`) asks for (`asked_head`, or `german_head` for a
    German question), itself, by a word of its group (`synonyms`) or, in German, as a
    compound's part ("Filter" holds "Ersatzfilter": `_in_compound`), or without it between
    two of the phrase's words (`_named_without`): then none of its passages answers. False
    when the question has none, or is in another language than `passage`."""
    if clues.script != "LATIN":
        return False
    language = lang.detect(question).language
    if language not in ("en", "de") or lang.detect(passage).language != language:
        return False
    head = asked_head(question) if language == "en" else german_head(question)
    if head is None:
        return False
    terms = frozenset(analysis.analyze(head, (language,)))
    widened = next((w for w, _ in clues.words if terms & w), terms)
    if widened & clues.held(document) or _named_without(question, head, document):
        return False
    return language == "en" or not _in_compound(head, compounds.words(document))


def _named_without(question: str, head: str, document: str) -> bool:
    """Whether `document` names the attribute without `head`, a word between two of the
    asked phrase's ("HCPC registration number" is the "HCPC number" of a clinic's table):
    the word before it and the kind of answer after it (`_ANSWER_KINDS`) stand together."""
    words = [w.casefold() for w in asked_phrase(question)]
    if head not in words:
        return False
    at = words.index(head)
    if at == 0 or at + 1 >= len(words) or words[at + 1] not in _ANSWER_KINDS:
        return False
    pair = rf"(?<!\w){re.escape(words[at - 1])}\s+{re.escape(words[at + 1])}(?!\w)"
    return re.search(pair, document, re.IGNORECASE) is not None


#: Inflections a document's word may carry past the noun asked ("Filter-n", "Feier-n").
_INFLECTIONS_DE = ("en", "es", "n", "s", "e")
#: German derivational suffixes that make an abstract noun of a noun or a verb's stem: a
#: document naming the "Mitglied" (or a "Mitgliedsbeitrag") names the "Mitgliedschaft"
#: asked for (a dev-set check question refused without this).
_DERIVATIONS_DE = ("schaft", "ung", "heit", "keit", "tum", "nis")


def _in_compound(head: str, found: set[str]) -> bool:
    """Whether a German noun `head` is named by one of the words `found`: the word is the
    compound's last part, its head ("Filter" names the "Ersatzfilter" asked for), or holds
    `head` whole at its start or end ("Weihnachtsfeiertage"), or starts with the stem
    `head` is derived from ("Mitgliedsbeitrag" names the "Mitgliedschaft"). Stricter than
    `compounds.joined`, which takes verb prefixes off ("abfeiern" would name a
    "Weihnachtsfeier")."""
    for word in found:
        forms = {word} | {word[: -len(e)] for e in _INFLECTIONS_DE if word.endswith(e)}
        for form in forms:
            if len(form) < compounds.MIN_PART:
                continue
            if form == head or word.startswith(head) or word.endswith(head):
                return True
            if len(head) - len(form) >= compounds.MIN_REST and head.endswith(form):
                return True
    return any(word.startswith(stem) for word in found for stem in _derived_from(head))


def _derived_from(head: str) -> set[str]:
    """The stems a German abstract noun is derived from by a suffix of `_DERIVATIONS_DE`
    ("mitgliedschaft" -> "mitglied"), of at least `compounds.MIN_PART` + 1 letters (a
    shorter stem starts too many unrelated words)."""
    return {
        head[: -len(suffix)]
        for suffix in _DERIVATIONS_DE
        if head.endswith(suffix) and len(head) - len(suffix) > compounds.MIN_PART
    }


#: The German forms whose asked noun phrase is read ("Was kostet ein Ersatzfilter?",
#: "Wie hoch ist das Weihnachtsgeld?", "Wer organisiert die Weihnachtsfeier?", "Gibt es
#: einen Zuschuss ...?", "Wie lautet die Telefonnummer ...?"), and the phrase they open.
_ASKING_DE = re.compile(
    r"^(?:(?:was|wie\s+viel)\s+(?:kostet|kosten)|wie\s+hoch\s+(?:ist|sind)"
    r"|wer\s+(?:organisiert|leitet|betreut|übernimmt|koordiniert|plant)|gibt\s+es"
    r"|wie\s+(?:lautet|lauten))"
    r"\s+(?:(?:der|die|das|den|dem|ein|eine|einen|einem|einer|mein|meine|meinen|unser"
    r"|unsere|unseren|euer|eure)\s+)?(?P<phrase>.+)$",
    re.IGNORECASE,
)
#: What ends the German phrase: a preposition, a genitive article, a conjunction, a verb.
_END_DE = frozenset(
    [
        "bei", "beim", "für", "von", "vom", "im", "in", "am", "an", "auf", "mit", "zu", "zum",
        "zur", "nach", "aus", "über", "unter", "vor", "pro", "je", "des", "der", "und",
        "oder", "wenn", "ab", "seit", "bis", "ohne", "als", "hier", "da", "denn", "jetzt",
        "noch", "eigentlich", "genau", "ungefähr", "etwa", "dafür", "dazu", "ist", "sind",
        "kostet", "kosten", "gilt", "gelten", "es", "eigentlich",
    ]
)  # fmt: skip
#: German words naming the kind of answer, stated by its shape ("12,90 €" for "Preis").
_ANSWER_KINDS_DE = frozenset(
    [
        "preis", "preise", "kosten", "gebühr", "gebühren", "telefonnummer", "nummer",
        "rufnummer", "adresse", "anschrift", "e-mail", "e-mail-adresse", "mail", "name",
        "datum", "termin", "höhe", "betrag", "summe", "frist", "uhrzeit", "zeit",
        "nächste", "nächsten", "neue", "neuen", "aktuelle", "aktuellen", "erste", "letzte",
        # a constraint, stated by its figure ("höchstens 120 €")
        "obergrenze", "grenze", "höchstbetrag", "höchstgrenze", "limit", "maximum", "minimum",
    ]
)  # fmt: skip


def german_head(question: str) -> str | None:
    """The noun a German question asks for in one of the forms of `_ASKING_DE`: the last
    word of its phrase that names no kind of answer ("Preis") and holds no figure,
    casefolded, a kind of answer ending it taken off ("Notdienstnummer" -> "notdienst":
    `_without_kind`) ("Wer organisiert die Weihnachtsfeier bei Solvera?" ->
    "weihnachtsfeier");
    None for other forms."""
    match = _ASKING_DE.match(question.strip().lstrip("¿¡\"'„"))
    if match is None:
        return None
    words: list[str] = []
    for token in _WORD.findall(match.group("phrase")):
        if token.casefold() in _END_DE:
            break
        words.append(token.casefold())
    for word in reversed(words):
        if word in _ANSWER_KINDS_DE or any(c.isdigit() for c in word) or len(word) < 3:
            continue
        return _without_kind(word)
    return None


def _without_kind(word: str) -> str:
    """A compound ending in a word of the kind of answer without it: the rest names what
    is asked ("Notdienstnummer" asks the number of the "Notdienst"), when at least
    `compounds.MIN_PART` letters remain."""
    for kind in sorted(_ANSWER_KINDS_DE, key=len, reverse=True):
        long_enough = len(word) - len(kind) >= compounds.MIN_PART
        if len(kind) >= compounds.MIN_PART and long_enough and word.endswith(kind):
            return word[: -len(kind)]
    return word


def names_nothing_asked(
    question: str, clues: Clues, unit: str, context: str, passage: str = ""
) -> bool:
    """Whether the passage of the unit picked to answer a question asking whether
    something is there, had or offered (`asked.there_asked`: "¿El Gimnasio Olivar tiene
    piscina?", "Does the gym have a pool?", "Gibt es ...?") names none of what it asks
    about: not one of the question's words besides its names, codes, light verbs, the
    words asking and those of the unit's `context` (its document's title and section
    heading, which name the document's subject) is in the unit's `passage` (the unit when
    not given) or `context`, itself or by a word of its group (`Clues.words`,
    `synonyms`). Then the unit answers another question (the gym's address line for
    "¿tiene piscina?") and nothing is quoted. The whole passage, not the unit alone: an
    answer may say yes in other words than the question's, under a line naming the thing.
    False when the passage is in another language than the question (words cannot be
    compared across languages) or the question asks about nothing but its subject."""
    asking = asked.there_asked(question)
    if asking is None:
        return False
    if lang.detect(passage or unit).language != lang.detect(question).language:
        return False
    # The words asking ("tiene", "have") are the question's, not what it asks about.
    subject = set(analysis.analyze(f"{context}\n{asking}"))
    about = [terms for terms in clues.topic(subject) if not terms & clues.light]
    if not about:
        return False
    held = clues.held(f"{context}\n{passage or unit}")
    return not any(terms & held for terms in about)


#: Nouns naming a measure, which an answer states by its figure and unit ("9,000 litres"
#: for the water tank's capacity, "6.2" in the revenue table's row): the unit answering
#: names the thing measured, not the measure.
_MEASURE_NOUNS = frozenset(
    ["capacity", "size", "weight", "length", "width", "height", "depth", "volume",
     "speed", "power", "output", "revenue", "revenues", "sales", "turnover", "income",
     "profit", "amount", "total", "quantity", "duration", "distance", "temperature",
     "rating", "score", "level", "range", "frequency", "interval", "value", "money",
     "space", "room", "time", "cover", "coverage"]
)  # fmt: skip


def row_lacks_attribute(
    question: str, clues: Clues, row: str, context: str, passage: str = ""
) -> bool:
    """Whether the table row picked to answer is another item's than the one `question`
    asks for (its asked noun: `asked_head`, `german_head`): neither the row (its cells
    with their column headers), nor its `context` (its document's title and section
    heading), nor its `passage` (the table around it) holds the noun or a word of its
    group (`synonyms`), nor in German a compound of it (`_in_compound`). "How much dry
    powder does the Tigon carry?" is not answered by the foam tank's row of a table that
    lists no powder. A row is its item's record and names it; but the table may name the
    asked noun in a caption, a note or a row above ("Child's haircut" over "under 12"),
    so a row is judged only when none of it does. A noun naming a measure
    (`_MEASURE_NOUNS`: "capacity", "revenue") is stated by the figure, not named. Only
    for a question asking for a price or a number (`asked.Form`): a date is given for an
    event named in other words. False when the question has no asked noun, or the
    passage (the row when not given) is in another language than the question."""
    if clues.script != "LATIN" or clues.form not in (asked.Form.PRICE, asked.Form.NUMBER):
        return False
    language = lang.detect(question).language
    if language not in ("en", "de") or lang.detect(passage or row).language != language:
        return False
    head = asked_head(question, amounts=True) if language == "en" else german_head(question)
    if head is None or head in _MEASURE_NOUNS:
        return False
    terms = frozenset(analysis.analyze(head, (language,)))
    widened = next((w for w, _ in clues.words if terms & w), terms)
    text = f"{context}\n{row}\n{passage}"
    if widened & clues.held(text):
        return False
    return language == "en" or not _in_compound(head, compounds.words(text))


def off_subject(
    question: str, clues: Clues, unit: str, context: str, passage: str = "", *, row: bool = False
) -> bool:
    """Whether the unit picked to answer `question` (with its `context`: document title,
    section heading; in its `passage`) holds what the question asks for but not what it
    asks about: the passage of a question asking whether something is there names none
    of its words (`names_nothing_asked`), or a price or number question's table row
    (`row`) is another item's, in a table that never names the asked one
    (`row_lacks_attribute`). Then nothing is quoted: the answer would be the gym's
    address line for "¿tiene piscina?", the foam tank's volume for the dry powder's."""
    return names_nothing_asked(question, clues, unit, context, passage) or (
        row and row_lacks_attribute(question, clues, unit, context, passage)
    )
