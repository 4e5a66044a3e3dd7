"""What a question asks besides the names it gives, and whether a document says any of it.

A question names a place, a company or a product and asks something of it: "¿Dónde se
puede aparcar gratis cerca de la Avenida del Puerto?" names a street that a car workshop's
price list gives as its address, and asks about parking, free of charge, near it. The
address line is close to the question in meaning (e5 scores it above a document's other
passages, so its document leads) and states a place, the form a "where" asks for; but its
document says nothing of parking. A name is evidence of which document a question is
about, never of the rest of the question (issue 13: "a place or product name alone is not
evidence").

`only_names` tells such a passage: the question asks about two or more words besides its
names, its document's subject and its light words (`LIGHT`), and none of them, nor a word
of its group (`synonyms`), is in the passage or its document's title, while the document
holds one of its names. The qualifier that makes a near-miss ("paid *holidays*" of
workplace rules that state working hours, a *gym* membership beside a home-working
allowance) is then missing where the name is found.

Two words: one is too little to judge by (a reworded question's one word is often not
the document's: "Who *teaches* the course?" over a timetable's teacher column).
Only between a question and a passage of one language written with spaces: words cannot
be compared across languages (`agreement` and the cosine floors judge those), nor Chinese
bigrams as words.
"""

from __future__ import annotations

import re
from functools import cache

from docent.answering.clues import Clues, terms_of
from docent.search import analysis
from docent.search import languages as lang

#: Light words: they ask, or tell how, not what about ("what do I *take* *now*", "what
#: does it *come* to", "¿*tiene* piscina?" asks about "piscina"), or name the kind of
#: answer asked for, in the languages docent reads with spaces. The question's interrogatives and light verbs of `clues` are
#: already left out of its words.
LIGHT = frozenset(
    [
        "take", "takes", "taking", "took", "now", "then", "still", "anymore", "instead",
        "come", "comes", "happen", "happens", "make", "makes", "put", "use", "used",
        "jetzt", "noch", "nehmen", "machen", "maintenant", "encore", "faire", "fait",
        "prendre", "ahora", "todavía", "hacer", "hago", "tomar", "tiene", "tienen", "luego",
        # Words naming the kind of answer asked for, which the passage states rather than
        # names ("Dans quelle *ville* se trouve le magasin ?" over "12 rue ..., Rodez"; "the
        # *address* of", "um welche *Uhrzeit*").
        "city", "town", "address", "place", "location", "time", "date", "name",
        "ville", "adresse", "lieu", "endroit", "heure", "nom",
        "stadt", "ort", "adresse", "uhrzeit", "datum",
        "ciudad", "dirección", "lugar", "sitio", "hora", "fecha", "nombre",
        # verbs of being somewhere: they ask where, as "where" does
        "located", "situated", "trouve", "trouvent", "situé", "située", "liegt", "befindet",
        "encuentra", "ubicado", "ubicada",
    ]
)  # fmt: skip
#: The languages whose stems a light word is analysed in.
_LANGUAGES = ("en", "de", "fr", "es")
#: `only_names` judges a question asking about at least this many words.
MIN_WORDS = 2


#: Words that open a question, in the languages docent reads with spaces (en, de, fr, es):
#: the clause they open is what is asked; what comes before it tells a situation.
_OPENERS = re.compile(
    r"(?:what|what's|whats|who|who's|whom|whose|which|when|where|why|how|can|could|do|does|"
    r"did|is|are|was|were|will|would|should|shall|may|must|have|has|any|"
    r"wer|wen|wem|wessen|was|wann|wo|wohin|woher|wie|welche|welcher|welches|welchen|"
    r"warum|weshalb|kann|können|darf|dürfen|muss|müssen|soll|gibt|ist|sind|hat|haben|"
    r"qui|que|qu'|quel|quelle|quels|quelles|quand|où|comment|combien|pourquoi|est-ce|"
    r"puis-je|peut-on|dois-je|faut-il|"
    r"qué|que|quién|quiénes|cuál|cuáles|cuándo|dónde|cómo|cuánto|cuánta|cuántos|cuántas|"
    r"puedo|podemos|se|hay|tengo|debo)\b",
    re.IGNORECASE,
)
#: Where a situation ends and a question may begin: a dash between spaces, a semicolon,
#: a colon, the end of a sentence, a comma.
_BREAK = re.compile(r"\s[-\u2013\u2014]\s|[;:,]\s|[.!?]\s")


def asking_clause(question: str) -> str:
    """The clause of `question` that asks: the text after the last break (`_BREAK`) that
    an interrogative or auxiliary opens ("I left my umbrella on the bus, how long will they
    keep it?" -> "how long will they keep it?"); the whole question when none does, or
    when it is written without spaces (Chinese)."""
    start = 0
    for match in _BREAK.finditer(question):
        rest = question[match.end() :].lstrip(" ¿¡\"'")
        if _OPENERS.match(rest):
            start = match.end()
    return question[start:].strip()


@cache
def light_terms() -> frozenset[str]:
    """The terms of `LIGHT`, as each language's analysis writes them."""
    return frozenset(t for word in LIGHT for t in analysis.word_terms(word, _LANGUAGES))


def asked_words(clues: Clues, subject: set[str]) -> list[frozenset[str]]:
    """The question's words (each as its terms) that say what it asks about: not names,
    codes, its document's `subject` (the terms of its title), the words asking for a form
    or a unit (`Clues.topic`), nor light words."""
    light = light_terms()
    return [terms for terms in clues.topic(subject) if not terms & light]


def only_names(question: str, clues: Clues, passage: str, document: str, title: str) -> bool:
    """Whether `passage` shares with `question` (read as `clues`) nothing but names: it is
    in the question's language, its document (`document`: the retrieved text of it,
    titled `title`) holds one of the question's names or codes, the question asks about
    at least `MIN_WORDS` words besides its names and subject, and neither `passage` nor
    `title` holds any of them (nor a word of its group)."""
    # Chinese is read as character bigrams, not words: a reworded passage shares none.
    if clues.script == "CJK" or lang.detect(passage).language != lang.detect(question).language:
        return False
    # A name the document holds is what it shares; a question without one (reworded,
    # "Wie teuer darf ein Zimmer sein?" over "Übernachtungskosten ... pro Nacht") is
    # judged by its cosine.
    shared = clues.held(f"{title}\n{document}")
    if not any(terms & shared for terms in clues.names) and not clues.code_in(document):
        return False
    words = asked_words(clues, terms_of(title))
    if len(words) < MIN_WORDS:
        return False
    inside = clues.held(f"{title}\n{passage}")
    return not any(terms & inside for terms in words)
