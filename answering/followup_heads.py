"""What a follow-up's words point at in the previous standalone question, beyond the content
runs `followup.py` reads: the previous question's *head noun phrase* (its subject: "the
opening keynote" of "Where is the opening keynote of NorthStack DevCon held?"), whether
it asked for an attribute of a thing ("What is the weight of the HX-6?") or about the thing
itself, which pronouns refer back at all (existential "there", "es gibt", "il y a" do not),
and "the closing one" (the same head, another modifier). Deterministic, in English, German,
French and Spanish; the rules are over the words of the two questions, never over names.
"""

from __future__ import annotations

from docent.answering.followup_words import (
    ARTICLES,
    OF,
    PRONOUNS,
    WH_WORDS,
    Word,
    content_runs,
    is_name,
    is_number,
    read_words,
)

#: Forms of "be" (and its kin) that make a following or preceding "there"/"es"/"y"
#: existential: "Is there ...?", "How many ... are there?", "Gibt es ...?", "Y a-t-il ...?".
_EXISTENTIAL_NEIGHBOURS = {
    "en": {"is", "are", "was", "were", "be", "been", "'s"},
    "de": {"gibt", "gab", "geben"},
    "fr": {"a", "a-t", "avait", "aura"},
}
#: German pronouns that are also articles or determiners before a noun ("das Frühstück").
_DE_ARTICLE_LIKE = {"das", "dies", "diese", "dieser", "dieses"}
#: Question words that ask for the value of an attribute ("What is the weight of ...?",
#: "How long is the warranty on ...?", "Quel est le prix du ...?"), with a copula after them.
_ATTRIBUTE_OPENERS = {
    "en": {"what", "which", "how"},
    "de": {"wie", "was", "welche", "welcher", "welches"},
    "fr": {"quel", "quelle", "quels", "quelles", "combien"},
    "es": {"cuál", "cuáles", "qué", "cuánto", "cuánta", "cuántos", "cuántas"},
}  # fmt: skip
_COPULAS = {
    "en": {"is", "are", "was", "were", "'s"},
    "de": {"ist", "sind", "war", "waren", "beträgt", "betragen"},
    "fr": {"est", "sont", "était", "étaient"},
    "es": {"es", "son", "era", "eran"},
}  # fmt: skip
#: Words that link a head noun to its owner or place ("the library of the Larchmont
#: Institute", "the pump on the Tigon").
_LINKS = OF | {"at", "in", "on", "for", "from", "chez", "dans", "à", "au", "en", "del", "por",
               "para", "bei", "beim", "von", "vom", "für", "im"}  # fmt: skip
#: English verbs of an event or a thing's life: "it" as their subject is the thing the
#: previous question was about ("What time does it start?" after "Where is the opening
#: keynote held?"), not a place or an organisation that owned it.
EVENT_VERBS = {"start", "starts", "begin", "begins", "end", "ends", "finish", "finishes",
               "last", "lasts", "held", "reach", "reached", "reaches", "cost", "costs",
               "open", "opens", "close", "closes", "run", "runs", "happen", "happens",
               "place", "serve", "serves", "served", "help", "helped", "helps"}  # fmt: skip
#: English participles that end a question about its subject ("Where is X held?") without
#: the "-ed" ending.
_PARTICIPLES = {"held", "open", "run", "given", "done", "made", "kept", "taken", "shown",
                "paid", "sent", "built", "found", "located", "closed"}  # fmt: skip
#: Words that say which value of an attribute was asked, not what the thing is
#: ("the *maximum* annual leave"): a pronoun for the thing leaves them out.
DEGREE = {"maximum", "minimum", "max", "min", "total", "average", "highest", "lowest",
          "largest", "smallest", "maximal", "minimal", "maximale", "minimale",
          "máximo", "máxima", "mínimo", "mínima", "höchste", "höchstens", "maximalen",
          "moyenne", "moyen", "totale"}  # fmt: skip
#: Ordinals, which a "the <ordinal> one" swaps for one another.
ORDINALS = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
            "ninth", "tenth", "next", "last", "previous", "final"}  # fmt: skip
#: "the closing one", "the cyan ones": the head of a noun phrase said before, with another
#: modifier.
ONES = {"one", "ones"}


def anaphors(words: list[Word], language: str) -> list[Word]:
    """The words of `words` that stand for something said before: PRONOUNS but the dummy
    subject of an existential ("Is there free parking at ...?", "Gibt es ...?", "Y a-t-il
    ...?", whose question is a new one) and "one" after a modifier ("the closing one",
    which `one_swapped` reads)."""
    neighbours = _EXISTENTIAL_NEIGHBOURS.get(language, set())
    found = []
    for i, word in enumerate(words):
        if word.key not in PRONOUNS[language]:
            continue
        before = words[i - 1].key if i else ""
        after = words[i + 1].key if i + 1 < len(words) else ""
        if (
            language == "en"
            and word.key == "there"
            and (before in neighbours or after in neighbours)
        ):
            continue
        if language == "de" and word.key == "es" and (before in neighbours or after in neighbours):
            continue
        if language == "fr" and (
            (word.key == "y" and after in neighbours)
            or (word.key == "il" and (after == "y" or (before in neighbours and i > 1
                                                         and words[i - 2].key == "y")))
        ):  # fmt: skip
            continue
        if language == "en" and word.key in ONES and i and words[i - 1].content:
            continue
        if (
            language == "de"
            and word.key in _DE_ARTICLE_LIKE
            and i + 1 < len(words)
            and (words[i + 1].content and words[i + 1].text[:1].isupper())
        ):  # "Ist das Frühstück darin enthalten?": an article before a noun
            continue
        found.append(word)
    return found


def asks_attribute(before: str, language: str) -> bool:
    """Whether the previous question asks for the value of an attribute ("What is the
    weight of the Hexaro HX-6?", "How long is the warranty on ...?", "Quelle est la durée
    de ...?", "¿Cuál es el horario ...?"): a question word that asks for one, then a
    copula among the next three words. "Where is X held?", "What does X do?", "¿Cuánto
    cuesta X?" ask about X itself."""
    words = read_words(before, language)
    if not words or words[0].key not in _ATTRIBUTE_OPENERS.get(language, ()):
        return False
    return any(w.key in _COPULAS.get(language, ()) for w in words[1:4])


def asks_about_subject(before: str, language: str) -> bool:
    """Whether the previous question (French, Spanish) opens with a question word and a
    verb whose subject follows ("¿Cuánto cuesta la cuota de mañana del Gimnasio Olivar?",
    "Combien coûte la révision annuelle ?"): the thing asked about is that subject, whole,
    with its owner; a follow-up that leaves its subject out ("¿Y qué incluye?") is about
    it, not about the owner alone."""
    if language not in ("fr", "es"):
        return False
    words = read_words(before, language)
    return (
        len(words) > 2
        and words[0].key in WH_WORDS[language]
        and words[1].key not in _COPULAS[language]
        and words[1].key not in WH_WORDS[language]
        and words[2].key in ARTICLES
    )


def asks_about_head(before: str, language: str) -> bool:
    """Whether the previous question asks about its subject itself, with a verb ("Where is
    the opening keynote held?", "What does the homework club do?", "When is the library
    open on Fridays?"), not for an attribute of it (`asks_attribute`). English only: its
    word order is what tells."""
    if language != "en":
        return False
    words = read_words(before, language)
    return bool(words) and words[0].key in WH_WORDS["en"] and not asks_attribute(before, language)


def head_phrase(before: str, language: str) -> str:
    """The previous question's head noun phrase: its first run of content words, up to the
    first word that links it to an owner or place ("opening keynote" of "the opening
    keynote of NorthStack DevCon"), without a participle that ends it ("held", "open"); ""
    when that names an entity (a name or a number: the rules for entities apply) or there
    is none."""
    words = read_words(before, language)
    runs = content_runs(words)
    if not runs:
        return ""
    run = runs[0]
    cut = next((i for i, w in enumerate(run) if not w.content and w.key in _LINKS), len(run))
    run = run[:cut]
    while run and (not run[-1].content or _participle(run[-1])) and len(run) > 1:
        run = run[:-1]
    if not run or any(is_number(w, [], language) or is_name(w, words, language) for w in run):
        return ""
    return before[run[0].start : run[-1].end]


def _participle(word: Word) -> bool:
    return word.key in _PARTICIPLES or (word.key.endswith("ed") and len(word.key) > 4)


def one_swapped(
    fragment_words: list[Word], fragment: str, before: str, language: str
) -> str | None:
    """ "And the closing one?" after "What time does it (opening keynote) start?": the
    previous question with the fragment's modifiers in place of as many first words of its
    first noun phrase of two words or more that names no entity ("opening keynote" ->
    "closing keynote"; "black toner cartridge" -> "cyan toner cartridge"); None when the
    fragment is not "the <modifiers> one(s)" or there is no such phrase. English only."""
    if language != "en" or not fragment_words or fragment_words[-1].key not in ONES:
        return None
    modifiers = [w for w in fragment_words[:-1] if w.key not in ARTICLES]
    if not modifiers or not all(w.content for w in modifiers):
        return None
    words = read_words(before, language)
    runs = content_runs(words)
    # an ordinal for an ordinal ("the second one" after "the first session")
    if modifiers[0].key in ORDINALS:
        runs = [r for r in runs if r[0].key in ORDINALS] + runs
    for run in runs:
        if len(run) < 2 or len(run) <= len(modifiers) or not all(w.content for w in run):
            continue
        if any(is_number(w, [], language) or is_name(w, words, language) for w in run):
            continue
        old = run[: len(modifiers)]
        new = fragment[modifiers[0].start : modifiers[-1].end]
        return f"{before[: old[0].start]}{new}{before[old[-1].end :]}"
    return None


def without_degree(referent: str) -> str:
    """`referent` without the words that say which value was asked ("maximum annual
    leave" -> "annual leave"), phrase by phrase (", " between them)."""
    phrases = []
    for phrase in referent.split(", "):
        kept = phrase.split()
        while len(kept) > 1 and kept[0].casefold() in DEGREE:
            kept = kept[1:]
        phrases.append(" ".join(kept))
    return ", ".join(phrases)
