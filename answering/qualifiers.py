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
of its group (`synonyms`), is in the retrieved text of the passage's document or its
title. Two: one word is too little to judge by (a reworded question's one word is often
not the document's: "Who *teaches* the course?" over a timetable's teacher column).
Only between a question and a passage of one language written with spaces: words cannot
be compared across languages (`agreement` and the cosine floors judge those), nor Chinese
bigrams as words.
"""

from __future__ import annotations

from functools import cache

from docent.answering.clues import Clues, terms_of
from docent.search import analysis
from docent.search import languages as lang

#: Light words: they ask, or tell how, not what about ("what do I *take* *now*", "what
#: does it *come* to", "¿*tiene* piscina?" asks about "piscina"), in the languages docent
#: reads with spaces. The question's interrogatives and light verbs of `clues` are
#: already left out of its words.
LIGHT = frozenset(
    [
        "take", "takes", "taking", "took", "now", "then", "still", "anymore", "instead",
        "come", "comes", "happen", "happens", "make", "makes", "put", "use", "used",
        "jetzt", "noch", "nehmen", "machen", "maintenant", "encore", "faire", "fait",
        "prendre", "ahora", "todavía", "hacer", "hago", "tomar", "tiene", "tienen", "luego",
    ]
)  # fmt: skip
#: The languages whose stems a light word is analysed in.
_LANGUAGES = ("en", "de", "fr", "es")
#: `only_names` judges a question asking about at least this many words.
MIN_WORDS = 2


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
    """Whether `passage` (its document's retrieved text `document`, titled `title`) shares
    with `question` (read as `clues`) nothing but names: it is in the question's language,
    its document holds one of the question's names or codes, the question asks about at
    least `MIN_WORDS` words besides its names and subject, and none of them is in
    `document` or `title`."""
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
    return not any(terms & shared for terms in words)
