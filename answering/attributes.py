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
"What does (a|the) PHRASE cost"; the phrase ends at a preposition, a verb of those forms
or the end. Words that pick one of several entities rather than name an attribute
(superlatives: "the smallest recorder"; counts: "the 8-channel one"; "new", "usual"),
names and codes, light words (`qualifiers.LIGHT`) and closed classes' members (a period,
a group: `contrast.CLASSES`, which reads those) are not required. A question asking
otherwise ("Can we ...?", "Where do I ...?", a situation told first and then asked about)
has no asked phrase: its words are judged by the gate's other rules.

Only between a question and a document of one language: words cannot be compared across
languages (the cosine floors judge those).
"""

from __future__ import annotations

import re

from docent.answering import contrast
from docent.answering.clues import Clues, names_and_codes
from docent.answering.qualifiers import light_terms
from docent.search import analysis
from docent.search import languages as lang

#: The forms of question whose asked noun phrase is read, and the phrase they open.
_ASKING = re.compile(
    r"^(?:(?P<verb>how\s+much\s+(?:does|do)|what\s+(?:does|do))"
    r"|what(?:'s|’s|\s+is|\s+are|\s+was|\s+were)|who(?:'s|’s|\s+is|\s+are)"
    r"|(?:is|are)\s+there|how\s+much\s+(?:is|are))"
    r"\s+(?:(?:the|a|an|any|my|our|your|their|its|his|her)\s+)?(?P<phrase>.+)$",
    re.IGNORECASE,
)
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
        "via", "each", "every", "this", "these", "those", "cost", "costs", "charge",
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
        "charge", "amount", "figure", "contact", "details",
        # a constraint, stated by its figure ("no more than five consecutive days")
        "limit", "limits", "maximum", "minimum", "max", "min", "cap", "restriction",
        "restrictions", "rule", "rules", "policy", "deadline",
    ]
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def asked_phrase(question: str) -> list[str]:
    """The words of the noun phrase `question` asks for, as written, in order ("What is
    the default admin password of the NV recorders?" -> ["default", "admin",
    "password"]); empty when its form is not one of those read (see the module's
    docstring)."""
    match = _ASKING.match(question.strip().lstrip("¿¡\"'"))
    if match is None:
        return []
    tokens = _WORD.findall(match.group("phrase"))
    if match.group("verb") and not _COSTS & {t.casefold() for t in tokens}:
        return []
    words: list[str] = []
    for token in tokens:
        if token.casefold() in _END:
            break
        words.append(token)
    return words


def asked_head(question: str) -> str | None:
    """The word of the asked phrase (`asked_phrase`) that names the attribute: its last
    word that is not one naming the kind of answer, stated by its shape rather than
    named ("phone number", "fee": `_ANSWER_KINDS`), nor one that picks an entity
    (`_PICKING`), a name, a code, a figure, a light word or a closed class's member;
    None when there is none."""
    named = {n.casefold() for n in names_and_codes(question) if not n.isupper()}
    for word in reversed(asked_phrase(question)):
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
    attribute `question` (read as `clues`) asks for (`asked_head`), itself and by a word
    of its group (`synonyms`): then none of its passages answers. False when the
    question has none, or is in another language than `passage`."""
    if clues.script != "LATIN" or lang.detect(question).language != "en":
        return False
    if lang.detect(passage).language != "en":
        return False
    head = asked_head(question)
    if head is None:
        return False
    terms = frozenset(analysis.analyze(head, ("en",)))
    widened = next((w for w, _ in clues.words if terms & w), terms)
    return not widened & clues.held(document)
