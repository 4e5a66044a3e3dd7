"""The words the local follow-up rewrite (`followup.py`) reads, per language (en, de, fr,
es): connectives, pronouns, prepositions, question words, and the words that never name a
subject (each table says what its words do in a follow-up); and a question read as those
words (`words`: keys, Snowball stems, content or not) and runs of content words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import Stemmer

from docent.search import languages as lang

#: Openings that continue the previous question, longest first per language once sorted.
CONNECTIVES = {
    "en": ("and what about", "and how about", "what about", "how about", "and also", "and",
           "also", "same for", "same question for", "what if"),
    "de": ("und was ist mit", "was ist mit", "wie ist es mit", "wie sieht es mit", "und wie",
           "und", "auch"),
    "fr": ("et qu'en est-il de", "qu'en est-il de", "qu'en est-il des", "qu'en est-il du",
           "et pour", "et", "aussi"),
    "es": ("y qué pasa con", "qué pasa con", "y qué hay de", "qué hay de", "y en cuanto a",
           "en cuanto a", "y", "también"),
}  # fmt: skip
#: Connectives that ask about another thing, not another attribute ("What about the
#: library?" after "What is the extension of the IT helpdesk?").
ENTITY_CONNECTIVES = {
    "en": ("and what about", "and how about", "what about", "how about"),
    "de": ("und was ist mit", "was ist mit", "wie ist es mit", "wie sieht es mit"),
    "fr": ("et qu'en est-il", "qu'en est-il"),
    "es": ("y qué pasa con", "qué pasa con", "y qué hay de", "qué hay de"),
}  # fmt: skip
#: Words that stand for something said before.
PRONOUNS = {
    "en": {"it", "its", "that", "this", "they", "them", "their", "those", "these", "there",
           "he", "she", "him", "her", "his", "one"},
    "de": {"es", "das", "dies", "diese", "dieser", "dieses", "dafür", "davon", "darauf",
           "dazu", "dabei", "damit", "er", "ihn", "ihm", "sie", "dort", "deren", "dessen",
           "sein", "seine", "seinen", "seiner", "ihr", "ihre", "ihren", "ihrer"},
    "fr": {"il", "elle", "cela", "ça", "ce", "celui", "celle", "ceux", "celles", "ils",
           "elles", "y", "en", "lui", "leur", "leurs", "son", "sa", "ses", "là"},
    "es": {"eso", "esto", "ello", "ese", "esa", "esos", "esas", "este", "esta", "él",
           "ella", "ellos", "ellas", "allí", "ahí", "lo", "su", "sus"},
}  # fmt: skip
#: Prepositions a fragment may start with ("in France", "für Auszubildende").
PREPOSITIONS = {
    "en": {"in", "for", "at", "on", "with", "from", "during", "under", "of", "by", "inside",
           "outside"},
    "de": {"in", "im", "für", "bei", "beim", "an", "am", "auf", "mit", "von", "vom", "zu",
           "zum", "zur", "nach", "aus", "während"},
    "fr": {"en", "pour", "à", "au", "aux", "dans", "chez", "avec", "de", "du", "des",
           "sur", "pendant"},
    "es": {"en", "para", "a", "al", "con", "de", "del", "por", "durante", "sobre", "desde"},
}  # fmt: skip
#: Prepositions and their contractions with an article ("du" is "de le"): a fragment after
#: one replaces the phrase after another ("de la batterie" for "du cadre").
CONTRACTED = {
    "de": (frozenset({"von", "vom"}), frozenset({"zu", "zum", "zur"}), frozenset({"in", "im"}),
           frozenset({"an", "am"}), frozenset({"bei", "beim"})),
    "fr": (frozenset({"de", "du", "des", "d"}), frozenset({"à", "au", "aux"})),
    "es": (frozenset({"de", "del"}), frozenset({"a", "al"})),
}  # fmt: skip
#: Auxiliaries after which a question names its subject ("do employees get"); in German,
#: the verbs after which the subject that a follow-up may swap comes ("In welcher
#: Klasse werden Bahnreisen erstattet?"): not "ist"/"sind", after which the attribute does
#: ("Wie hoch ist die Obergrenze ...?").
AUXILIARIES = {
    "en": {"do", "does", "did", "can", "are", "is", "will", "should", "must", "may"},
    "de": {"werden", "wird", "kann", "können", "muss", "müssen", "darf", "dürfen", "soll",
           "sollen", "bekommen", "bekommt", "erhalten", "erhält"},
}  # fmt: skip
#: Function words that may sit inside a content run ("weeks of parental leave").
RUN_GLUE = {"of", "de", "du", "des", "del", "von", "der", "la", "le", "d", "l"}
#: "How many" and its kin: the word after them is the unit asked for, not the subject.
QUANTITY = {"many", "much", "viele", "viel", "combien", "cuántos", "cuántas", "cuánto",
             "cuánta", "cuantos", "cuantas"}  # fmt: skip
#: Words the stop lists miss that never name a subject (question words, light verbs).
LIGHT = {
    "en": {"how", "what", "which", "who", "when", "where", "why", "get", "gets", "got",
           "many", "much", "long", "does", "do", "did", "is", "are", "can", "say", "receive",
           "receives", "given", "give", "gives", "cost", "costs", "must", "should", "within",
           "after", "before"},
    "de": {"wie", "was", "welche", "welcher", "welches", "wer", "wann", "wo", "warum",
           "viele", "viel", "lange", "hoch", "hohe", "gibt", "bekommt", "bekommen", "erhält",
           "gilt"},
    "fr": {"comment", "quel", "quelle", "quels", "quelles", "qui", "quand", "où",
           "pourquoi", "combien", "est", "sont", "a", "ont", "reçoit", "obtient", "à", "heure"},
    "es": {"cómo", "qué", "cuál", "cuáles", "quién", "cuándo", "dónde", "por", "cuántos",
           "cuántas", "cuánto", "cuánta", "recibe", "tiene", "hay", "es", "son"},
}  # fmt: skip
TOKEN = re.compile(r"[\w'’-]+", re.UNICODE)
ELISION = re.compile(r"^(?:l|d|qu|j|n|s|c|m|t)['’]", re.IGNORECASE)
ARTICLES = {"the", "a", "an", "der", "die", "das", "den", "dem", "des", "ein", "eine",
             "einen", "einem", "einer", "le", "la", "les", "l", "un", "une", "el", "los", "las",
             "una", "unos", "unas"}  # fmt: skip
#: Question words: after a connective they start a whole question, not a fragment ("and
#: where is it?").
QUESTION_WORDS = {
    "en": {"how", "what", "which", "who", "whom", "whose", "when", "where", "why", "is", "are",
           "does", "do", "can", "may", "must", "should", "will"},
    "de": {"wie", "was", "welche", "welcher", "welches", "wer", "wen", "wem", "wann", "wo",
           "wohin", "woher", "warum", "wieso", "ist", "sind", "gibt", "kann", "muss", "darf",
           "wird", "werden"},
    "fr": {"comment", "quel", "quelle", "quels", "quelles", "qui", "quand", "où", "pourquoi",
           "combien", "est-ce", "que", "qu", "est", "peut"},
    "es": {"cómo", "qué", "cuál", "cuáles", "quién", "quiénes", "cuándo", "dónde", "por",
           "cuánto", "cuánta", "cuántos", "cuántas", "hasta", "se", "puede", "pueden"},
}  # fmt: skip
#: Question words proper (not the auxiliaries that open a yes/no question).
WH_WORDS = {
    "en": {"how", "what", "which", "who", "whom", "whose", "when", "where", "why"},
    "de": {"wie", "was", "welche", "welcher", "welches", "wer", "wen", "wem", "wann", "wo",
           "wohin", "woher", "warum", "wieso"},
    "fr": {"comment", "quel", "quelle", "quels", "quelles", "qui", "quand", "où", "pourquoi",
           "combien", "que", "qu"},
    "es": {"cómo", "qué", "cuál", "cuáles", "quién", "quiénes", "cuándo", "dónde", "por",
           "cuánto", "cuánta", "cuántos", "cuántas"},
}  # fmt: skip
#: A "fragment" with this many content words or more is a whole question after all.
FULL_QUESTION_WORDS = 4
#: Words that compare with, or place inside, something said before: a yes/no question that
#: holds one refers back though it names no pronoun ("Do teenagers pay less?", "¿Incluye
#: la anestesia?", "Ist die Betäubung inbegriffen?").
REFERS_BACK = {
    "en": {"less", "more", "cheaper", "dearer", "longer", "shorter", "included", "include",
           "includes", "extra", "too", "also", "instead", "refunded", "refundable"},
    "de": {"weniger", "mehr", "billiger", "teurer", "länger", "kürzer", "inbegriffen",
           "enthalten", "inklusive", "extra", "zusätzlich", "auch", "stattdessen",
           "erstattet"},
    "fr": {"moins", "plus", "cher", "inclus", "incluse", "comprise", "compris", "aussi",
           "également", "remboursé", "remboursée", "supplément"},
    "es": {"menos", "más", "barato", "caro", "incluye", "incluido", "incluida", "también",
           "extra", "reembolsa", "reembolsable"},
}  # fmt: skip
#: "The one of" in a fragment ("Et celui d'épeautre ?", "¿Y el de espelta?"): what follows
#: "de" replaces the previous question's phrase after its "de".
THE_ONE = {"celui", "celle", "ceux", "celles", "el", "la", "los", "las", "that", "those"}
OF = {"de", "d", "du", "des", "del", "of"}
#: A yes/no question with this many content words or fewer, holding a REFERS_BACK word,
#: refers back.
IMPLIED_MAX_WORDS = 3

#: Words that open a yes/no question (an auxiliary, a modal, a copula, "hace falta",
#: "faut-il").
YES_NO_OPENERS = {
    "en": {"is", "are", "was", "were", "do", "does", "did", "can", "must", "should", "will",
           "has", "have", "need"},
    "de": {"ist", "sind", "gibt", "kann", "muss", "darf", "wird", "werden", "braucht",
           "brauche", "benötige", "bekommt"},
    "fr": {"est-ce", "faut", "peut", "dois", "doit", "faut-il"},
    "es": {"hace", "falta", "hay", "es", "está", "están", "se", "puedo", "puede", "necesito",
           "necesita", "tiene", "tienen"},
}  # fmt: skip
#: REFERS_BACK words that add another thing to the previous one, alongside it.
ADDITIVE = {"too", "also", "auch", "ebenfalls", "aussi", "également", "también"}
#: A yes/no question with this many content words or fewer names no subject of its own.
BARE_MAX_WORDS = 2
SNOWBALL = {"en": "english", "de": "german", "fr": "french", "es": "spanish"}


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # as written
    start: int
    end: int
    key: str  # lower-cased, elision removed
    stem: str
    content: bool
    #: Punctuation stands between it and the word before ("(", ",", ";"): no run crosses it.
    apart: bool = False


@cache
def stop_words_of(language: str) -> frozenset[str]:
    return lang.stop_words(language) | LIGHT[language]


def stemmer_of(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(SNOWBALL[language])


def read_words(text: str, language: str) -> list[Word]:
    stemmer = stemmer_of(language)
    stop = stop_words_of(language)
    words: list[Word] = []
    shouted = text.isupper()
    for match in TOKEN.finditer(text):
        raw = match.group().strip("'’-")
        if not raw:
            continue
        start = match.start() + match.group().index(raw)
        head, _, tail = raw.rpartition("-")
        # "a-t-il", "est-elle": the inverted pronoun is a word ("est-ce" asks, refers to none)
        if head and tail.lower() in PRONOUNS[language] and raw.lower() != "est-ce":
            pieces = [(head, start), (tail, start + len(head) + 1)]
        else:
            pieces = [(raw, start)]
        for piece, at in pieces:
            key = ELISION.sub("", piece.lower()).replace("’", "'")
            if len(piece) > 1 and piece.isupper() and not shouted:
                key = piece  # "IT helpdesk": an acronym is no pronoun nor stop word
            content = bool(key) and key not in stop and key not in PRONOUNS[language]
            gap = text[words[-1].end : at] if words else ""
            apart = any(mark in gap for mark in "(),;:")
            words.append(
                Word(piece, at, at + len(piece), key, stemmer.stemWord(key), content, apart)
            )
    return words


def content_stems(text: str, language: str) -> set[str]:
    return {w.stem for w in read_words(text, language) if w.content}


#: Indefinite articles that may follow "de" inside a noun phrase ("pase de un día").
_ONE_ARTICLES = {"un", "una", "une"}


def content_runs(words: list[Word]) -> list[list[Word]]:
    """Maximal spans of content words, glue words allowed inside ("weeks of leave")."""
    runs: list[list[Word]] = []
    current: list[Word] = []
    pending: list[Word] = []
    for word in words:
        if word.apart and current:
            runs.append(current)
            current, pending = [], []
        if word.content:
            current.extend(pending)
            pending = []
            current.append(word)
        elif current and word.key in RUN_GLUE and not pending:
            pending.append(word)
        elif len(pending) == 1 and pending[0].key in ("de", "d") and word.key in _ONE_ARTICLES:
            pending.append(word)  # "pase de un día", "carte d'une journée": one thing
        else:
            if current:
                runs.append(current)
            current, pending = [], []
    if current:
        runs.append(current)
    return runs


def is_number(word: Word, words: list[Word], language: str) -> bool:
    return any(c.isdigit() for c in word.text)


def is_name(word: Word, words: list[Word], language: str) -> bool:
    """A capitalised word that does not open the question: a name (in German every noun is
    capitalised, so none is taken for a name there)."""
    return (
        language != "de"
        and word.content
        and word.text[:1].isupper()
        and (not words or word is not words[0])
    )
