"""The standalone question of a follow-up, made locally: deterministic, no model, in English,
German, French and Spanish here, Chinese and Arabic by the same rules in `followup_zh_ar.py`
(other languages pass through unchanged).

A follow-up that refers back ("And the secondary caregiver?", "Is that paid?", "Und in
Frankreich?", "¿Y para los contratistas?") is rewritten with the subject terms and
entities of the previous standalone question (itself already standalone, so the chain of a
long conversation is carried along); a question that does not refer back is kept as asked.
It refers back when it:

- starts with a connective of continuation ("and", "what about", "und", "was ist mit",
  "et", "qu'en est-il de", "y", "qué pasa con"): the rest is a *fragment*;
- is elliptical: one content word at most ("Paid?"), or a preposition with at most three
  words after it ("For contractors?"): all of it is the fragment;
- holds an anaphoric pronoun or demonstrative ("it", "that", "es", "das", "cela", "eso").

A fragment replaces its counterpart in the previous question, tried in this order (the
substitution of coordination ellipsis, as in Kumar & Joshi, "Incomplete follow-up
question resolution", SIGIR 2017, done by rules instead of a model):

1. the run of content words that ends with the same head (the last content word, by
   stem): "primary caregiver" -> "secondary caregiver";
2. the words after the same preposition: "in Germany" -> "in France";
3. in English, the subject after the question's auxiliary: "do birth mothers get" ->
   "do fathers get";
4. the entity (a capitalised word that does not start the question, or a number):
   "2024" -> "2025";
otherwise it is added to the previous question as its new qualification
("..., for contractors?"). A pronoun gets its referent, the previous question's content
runs (less the unit a "how many" asks for), in parentheses after it:
"Is that (parental leave, secondary caregiver) paid?".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import Stemmer

from docent.answering.followup_zh_ar import ar_standalone, zh_standalone
from docent.answering.referents import ANSWER_PRONOUNS, POSSESSIVES, answer_entity
from docent.search import languages as lang

#: The languages this module's word rules know; Chinese and Arabic: `followup_zh_ar.py`.
LANGUAGES = ("en", "de", "fr", "es")
_SNOWBALL = {"en": "english", "de": "german", "fr": "french", "es": "spanish"}

#: Openings that continue the previous question, longest first per language once sorted.
_CONNECTIVES = {
    "en": ("and what about", "and how about", "what about", "how about", "and also", "and",
           "also", "same for", "same question for", "what if"),
    "de": ("und was ist mit", "was ist mit", "wie ist es mit", "wie sieht es mit", "und wie",
           "und", "auch"),
    "fr": ("et qu'en est-il de", "qu'en est-il de", "qu'en est-il des", "qu'en est-il du",
           "et pour", "et", "aussi"),
    "es": ("y qué pasa con", "qué pasa con", "y qué hay de", "qué hay de", "y en cuanto a",
           "en cuanto a", "y", "también"),
}  # fmt: skip
#: Words that stand for something said before.
_PRONOUNS = {
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
_PREPOSITIONS = {
    "en": {"in", "for", "at", "on", "with", "from", "during", "under", "of", "by", "inside",
           "outside"},
    "de": {"in", "im", "für", "bei", "beim", "an", "am", "auf", "mit", "von", "vom", "zu",
           "zum", "zur", "nach", "aus", "während"},
    "fr": {"en", "pour", "à", "au", "aux", "dans", "chez", "avec", "de", "du", "des",
           "sur", "pendant"},
    "es": {"en", "para", "a", "al", "con", "de", "del", "por", "durante", "sobre", "desde"},
}  # fmt: skip
#: Auxiliaries after which an English question names its subject ("do employees get").
_AUXILIARIES = {"en": {"do", "does", "did", "can", "are", "is", "will", "should", "must", "may"}}
#: Function words that may sit inside a content run ("weeks of parental leave").
_RUN_GLUE = {"of", "de", "du", "des", "del", "von", "der", "la", "le", "d", "l"}
#: "How many" and its kin: the word after them is the unit asked for, not the subject.
_QUANTITY = {"many", "much", "viele", "viel", "combien", "cuántos", "cuántas", "cuánto",
             "cuánta", "cuantos", "cuantas"}  # fmt: skip
#: Words the stop lists miss that never name a subject (question words, light verbs).
_LIGHT = {
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
_TOKEN = re.compile(r"[\w'’-]+", re.UNICODE)
_ELISION = re.compile(r"^(?:l|d|qu|j|n|s|c|m|t)['’]", re.IGNORECASE)
_ARTICLES = {"the", "a", "an", "der", "die", "das", "den", "dem", "des", "ein", "eine",
             "einen", "einem", "einer", "le", "la", "les", "l", "un", "une", "el", "los", "las",
             "una", "unos", "unas"}  # fmt: skip
#: Question words: after a connective they start a whole question, not a fragment ("and
#: where is it?").
_QUESTION_WORDS = {
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
#: A "fragment" with this many content words or more is a whole question after all.
_FULL_QUESTION_WORDS = 4


@dataclass(frozen=True, slots=True)
class _Word:
    text: str  # as written
    start: int
    end: int
    key: str  # lower-cased, elision removed
    stem: str
    content: bool
    #: Punctuation stands between it and the word before ("(", ",", ";"): no run crosses it.
    apart: bool = False


def standalone_question(
    question: str, previous: Sequence[str], previous_answer: str | None = None
) -> str:
    """`question` made to stand alone, given the conversation's previous standalone
    questions (oldest first; only the last is used, since it already carries the ones
    before) and the answer to the last (`previous_answer`: a pronoun may stand for what
    it named, `_answer_entity`). Unchanged when there is no previous question, when the
    question does not refer back, or when its language is neither one of LANGUAGES nor
    Chinese or Arabic."""
    question = " ".join(question.split())
    if not previous or not question:
        return question
    before = " ".join(previous[-1].split())
    script = lang.detect(question).language
    if script in ("zh", "ar"):  # known by its script alone
        standalone = zh_standalone if script == "zh" else ar_standalone
        return standalone(question, before)
    language = _language(question, before)
    if language is None:
        return question
    words = _words(question, language)
    fragment_start = _after_connective(question, language)
    content = [w for w in words if w.content]
    if fragment_start is None and _elliptical(words, content, language):
        fragment_start = 0
    if fragment_start is not None:
        fragment = question[fragment_start:].strip(" ,;:¿?¡!.").strip()
        if not fragment:
            return before
        if not _whole_question(fragment, language):
            return _substitute(fragment, before, language)
        if not any(w.key in _PRONOUNS[language] for w in words):
            # "And how long does it take?" has its pronoun; "¿Y cuánto tarda en
            # calentarse?" leaves its subject out: it is the previous question's.
            referent = _referent(before, language, attribute=bool(content))
            if referent and not _stems(referent, language) <= {w.stem for w in content}:
                body = question.rstrip(" ?!.")
                return f"{body} ({referent}){question[len(body) :]}"
    pronoun = next((w for w in words if w.key in _PRONOUNS[language]), None)
    if pronoun is None:
        return question
    # The entity the previous answer named, alone: the previous question's words would
    # pull its passage back ("deren Notdienstnummer" is the company's, not the boiler's).
    named = None
    if previous_answer and pronoun.key in ANSWER_PRONOUNS[language]:
        before_words = _words(before, language)
        named = answer_entity(
            before_words[0].key if before_words else "",
            {w.key for w in before_words if w.content},
            before,
            previous_answer,
            language,
        )
        # with the names the previous question gave (whose HR director, which building)
        context = _referent(before, language, attribute=True, entities_only=True)
        if named and context:
            named = f"{named}; {context}"
    if named is None:
        # A possessive before a noun ("its engine", "ses piles") names its owner: an entity.
        owner = bool(content) and pronoun.key in POSSESSIVES[language]
        named = _referent(before, language, attribute=owner)
        if not named or (content and all(w.stem in _stems(named, language) for w in content)):
            return question
    return f"{question[: pronoun.end]} ({named}){question[pronoun.end :]}"


def _language(question: str, before: str) -> str | None:
    """The question's language, read together with the previous question's (a follow-up of
    two words is too short to tell alone)."""
    detected = lang.detect(f"{question} {before}").language
    return detected if detected in LANGUAGES else None


@cache
def _stop(language: str) -> frozenset[str]:
    return lang.stop_words(language) | _LIGHT[language]


def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_SNOWBALL[language])


def _words(text: str, language: str) -> list[_Word]:
    stemmer = _stemmer(language)
    stop = _stop(language)
    words: list[_Word] = []
    for match in _TOKEN.finditer(text):
        raw = match.group().strip("'’-")
        if not raw:
            continue
        start = match.start() + match.group().index(raw)
        head, _, tail = raw.rpartition("-")
        # "a-t-il", "est-elle": the inverted pronoun is a word ("est-ce" asks, refers to none)
        if head and tail.lower() in _PRONOUNS[language] and raw.lower() != "est-ce":
            pieces = [(head, start), (tail, start + len(head) + 1)]
        else:
            pieces = [(raw, start)]
        for piece, at in pieces:
            key = _ELISION.sub("", piece.lower()).replace("’", "'")
            content = bool(key) and key not in stop and key not in _PRONOUNS[language]
            gap = text[words[-1].end : at] if words else ""
            apart = any(mark in gap for mark in "(),;:")
            words.append(
                _Word(piece, at, at + len(piece), key, stemmer.stemWord(key), content, apart)
            )
    return words


def _stems(text: str, language: str) -> set[str]:
    return {w.stem for w in _words(text, language) if w.content}


def _after_connective(question: str, language: str) -> int | None:
    """Where the fragment starts, if the question opens with a connective."""
    lowered = question.lower().lstrip("¿¡ ").replace("’", "'")
    offset = len(question) - len(question.lstrip("¿¡ "))
    for connective in sorted(_CONNECTIVES[language], key=len, reverse=True):
        if lowered.startswith(connective) and (
            len(lowered) == len(connective) or not lowered[len(connective)].isalnum()
        ):
            return offset + len(connective)
    return None


def _whole_question(fragment: str, language: str) -> bool:
    """A connective followed by a question of its own ("and where is it held?")."""
    words = _words(fragment, language)
    if not words:
        return False
    opener = words[0].key
    return opener in _QUESTION_WORDS[language] or sum(w.content for w in words) >= (
        _FULL_QUESTION_WORDS
    )


def _elliptical(words: list[_Word], content: list[_Word], language: str) -> bool:
    if not words:
        return False
    if len(content) <= 1 and not any(w.key in _PRONOUNS[language] for w in words):
        return True
    return words[0].key in _PREPOSITIONS[language] and len(words) <= 4


def _runs(words: list[_Word]) -> list[list[_Word]]:
    """Maximal spans of content words, glue words allowed inside ("weeks of leave")."""
    runs: list[list[_Word]] = []
    current: list[_Word] = []
    pending: list[_Word] = []
    for word in words:
        if word.apart and current:
            runs.append(current)
            current, pending = [], []
        if word.content:
            current.extend(pending)
            pending = []
            current.append(word)
        elif current and word.key in _RUN_GLUE and not pending:
            pending.append(word)
        else:
            if current:
                runs.append(current)
            current, pending = [], []
    if current:
        runs.append(current)
    return runs


def _substitute(fragment: str, before: str, language: str) -> str:
    """The previous question with the fragment in place of its counterpart."""
    fragment_words = _words(fragment, language)
    content = [w for w in fragment_words if w.content]
    if not content:
        return before
    before_words = _words(before, language)
    # 1. A run with the same head.
    head = content[-1].stem
    for run in _runs(before_words):
        if run[-1].stem == head:
            phrase = fragment[_phrase_start(fragment_words, content) :]
            return _splice(before, run[0].start, run[-1].end, phrase)
    first = fragment_words[0]
    rest = fragment[fragment_words[1].start :] if len(fragment_words) > 1 else ""
    # 2. After the same preposition ("in Germany" -> "in France").
    spliced = _after_same(before, before_words, first.key, rest, language)
    if rest and first.key in _PREPOSITIONS[language] and spliced is not None:
        return spliced
    # 3. An entity for an entity of its kind (a number for a number, a name for a name),
    #    when the fragment is entities alone.
    for kind in (_number, _name):
        # In a fragment, the first word may be a name too ("And Halden Logistics?").
        mine = [w for w in content if kind(w, [], language)]
        theirs = [w for w in before_words if kind(w, before_words, language)]
        # Only a fragment of entities alone: "the Cadence office chair" names a thing.
        only = all(_number(w, [], language) or _name(w, [], language) for w in content)
        if mine and theirs and only:
            start = _entity_run_start(before_words, theirs[-1], kind, language)
            phrase = fragment[mine[0].start : mine[-1].end]
            return _splice(before, start, theirs[-1].end, phrase)
    # 4. After the same article ("los domingos" -> "los sábados").
    spliced = _after_same(before, before_words, first.key, rest, language)
    if rest and first.key in _ARTICLES and spliced is not None:
        return spliced
    # 5. A bare noun phrase for the subject, after the auxiliary of the question ("how many
    #    weeks do birth mothers get" -> "... do fathers get").
    if first.key not in _PREPOSITIONS[language]:
        for i, word in enumerate(before_words[:-1]):
            if word.key in _AUXILIARIES.get(language, ()) and i > 0:
                start = i + 1
                while start < len(before_words) and before_words[start].key in _ARTICLES:
                    start += 1
                if start < len(before_words) and before_words[start].content:
                    # The run holding the subject's first word ("... must racking damage be
                    # reported": it may have begun before the auxiliary when one is content).
                    run = next(r for r in _runs(before_words) if before_words[start] in r)
                    run = run[run.index(before_words[start]) :]
                    phrase = fragment[_phrase_start(fragment_words, content) :]
                    return _splice(before, run[0].start, run[-1].end, phrase)
    base = before.rstrip(" ?.!")
    if fragment[:1].isupper() and not _name(fragment_words[0], [], language):
        fragment = fragment[:1].lower() + fragment[1:]
    return f"{base}, {fragment}?"


def _after_same(before: str, words: list[_Word], key: str, rest: str, language: str) -> str | None:
    """`before` with the phrase after its word `key` (a preposition or an article) replaced
    by `rest`; None when `before` has no such word before a phrase."""
    for i, word in enumerate(words[:-1]):
        if word.key != key:
            continue
        j = i + 1
        while j < len(words) - 1 and words[j].key in _ARTICLES:  # "für einen Umzug"
            j += 1
        after = words[j]
        if after.content:
            return _splice(before, words[i + 1].start, _phrase_end(words, j, language), rest)
        if after.key in _PRONOUNS[language]:  # "for it (jury service)": all of it goes
            tail = after.end
            if before[tail:].startswith(" (") and (close := before.find(")", tail)) > 0:
                tail = close + 1
            return _splice(before, after.start, tail, rest)
    return None


def _entity_run_start(words: list[_Word], last: _Word, kind: object, language: str) -> int:
    """Where the run of adjacent entity words ending at `last` starts ("Corvid Analytics")."""
    index = words.index(last)
    start = index
    while start > 0 and kind(words[start - 1], words, language):  # type: ignore[operator]
        start -= 1
    return words[start].start


def _phrase_start(words: list[_Word], content: list[_Word]) -> int:
    """Where a fragment's phrase starts: its first content word."""
    index = words.index(content[0])
    return words[index].start


def _phrase_end(words: list[_Word], start: int, language: str) -> int:
    """Where the phrase that starts at `words[start]` ends: before the next function word
    that is not glue, before glue that leads to a name (the entity the phrase belongs to
    stays: "la cuota anual del Gimnasio Olivar" -> "la matrícula del Gimnasio Olivar"), or
    at the end."""
    end = words[start].end
    for i in range(start + 1, len(words)):
        word = words[i]
        if not word.content and word.key not in _ARTICLES and word.key not in _RUN_GLUE:
            break
        if word.key in _RUN_GLUE and any(
            _name(w, words, language) for w in words[i + 1 : i + 3] if w.content
        ):
            break
        end = word.end
    return end


def _number(word: _Word, words: list[_Word], language: str) -> bool:
    return any(c.isdigit() for c in word.text)


def _name(word: _Word, words: list[_Word], language: str) -> bool:
    """A capitalised word that does not open the question: a name (in German every noun is
    capitalised, so none is taken for a name there)."""
    return (
        language != "de"
        and word.content
        and word.text[:1].isupper()
        and (not words or word is not words[0])
    )


def _splice(text: str, start: int, end: int, phrase: str) -> str:
    return f"{text[:start]}{phrase}{text[end:]}"


def _referent(
    before: str, language: str, *, attribute: bool = False, entities_only: bool = False
) -> str:
    """What a pronoun in the follow-up stands for: the previous question's content runs,
    less the unit a quantity question asks for ("weeks" of "how many weeks of ..."), and in
    German less the verb after the question word ("Wann beginnt ...") and every word in
    lower case (German writes nouns capitalised: the rest are verbs, adjectives and
    particles, "statt", "wartet"); a run that names an entity (a name or a number) ends
    with it ("Lumera T3", not "Lumera T3 last"). When the follow-up names what it asks
    about (`attribute`: "its engine", "its security audit") and the previous question
    names an entity, the pronoun stands for that entity alone ("Tigon", "project Hélios",
    not "service interval, Tigon"): the rest was the previous question's own attribute.
    `entities_only`: those entities, or nothing when the question names none."""
    words = _words(before, language)
    kept: list[list[_Word]] = []
    for run in _runs(words):
        index = words.index(run[0])
        previous = words[index - 1].key if index > 0 else ""
        if previous in _QUANTITY:
            run = [w for w in run[1:] if w.content or w is not run[1]]
            while run and not run[0].content:
                run = run[1:]
        if language == "de" and len(run) == 1 and previous in _QUESTION_WORDS["de"]:
            continue
        if language == "de":
            run = _trim_glue([w for w in run if not w.content or w.text[:1].isupper()
                              or _number(w, [], language)])  # fmt: skip
        if run:
            kept.append(run)

    def entity(word: _Word) -> bool:
        return _number(word, [], language) or _name(word, words, language)

    for i, run in enumerate(kept):
        if any(entity(w) for w in run):
            kept[i] = run[: max(j for j, w in enumerate(run) if entity(w)) + 1]
    named = [run for run in kept if any(entity(w) for w in run)]
    if entities_only or (attribute and named and language != "de"):
        kept = [_entity_phrase(run, entity) for run in named]
    phrases = list(dict.fromkeys(before[r[0].start : r[-1].end] for r in kept))
    return ", ".join(phrases)


def _trim_glue(run: list[_Word]) -> list[_Word]:
    """`run` without glue words at its ends (left there when words were taken out)."""
    while run and not run[0].content:
        run = run[1:]
    while run and not run[-1].content:
        run = run[:-1]
    return run


def _entity_phrase(run: list[_Word], entity: Callable[[_Word], bool]) -> list[_Word]:
    """The part of a run that names its entity: from the word after the first glue word
    before the first entity word ("total budget of project Hélios" -> "project Hélios",
    "réunion du comité de pilotage Hélios" -> "comité de pilotage Hélios")."""
    first = next(i for i, w in enumerate(run) if entity(w))
    start = min((i + 1 for i in range(first) if not run[i].content), default=0)
    return run[start:]
