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
- holds an anaphoric pronoun or demonstrative ("it", "that", "es", "das", "cela", "eso");
- is a yes/no question of three content words at most that compares with, or places
  inside, what was asked (`REFERS_BACK`: "Do teenagers pay less?", "¿Incluye la
  anestesia?"): the previous question's subject goes in parentheses at its end.

A fragment replaces its counterpart in the previous question, tried in this order (the
substitution of coordination ellipsis, as in Kumar & Joshi, "Incomplete follow-up
question resolution", SIGIR 2017, done by rules instead of a model):

0. "the one of X" ("Et celui d'épeautre ?"): X after the previous question's "de";
1. the run of content words that ends with the same head (the last content word, by
   stem), and before it as many words as the fragment has, of the same kinds: "primary
   caregiver" -> "secondary caregiver", "castrar un gato" -> "esterilizar una gata";
2. the words after the same preposition: "in Germany" -> "in France";
3. in English, the subject after the question's auxiliary: "do birth mothers get" ->
   "do fathers get";
4. the entity (a capitalised word that does not start the question, or a number):
   "2024" -> "2025";
otherwise it is added to the previous question as its new qualification
("..., for contractors?"). A pronoun gets its referent, the previous question's content
runs (less the unit a "how many" asks for), in parentheses after it:
"Is that (parental leave, secondary caregiver) paid?"; a possessive, or in English an "it"
after a question about something of an entity ("the maximum torque of the Brandtner ABS
18", "Fernleigh's"), the entity alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from docent.answering.followup_compare import compared
from docent.answering.followup_words import (
    ARTICLES,
    AUXILIARIES,
    CONNECTIVES,
    ENTITY_CONNECTIVES,
    FULL_QUESTION_WORDS,
    IMPLIED_MAX_WORDS,
    OF,
    PREPOSITIONS,
    PRONOUNS,
    QUANTITY,
    QUESTION_WORDS,
    REFERS_BACK,
    RUN_GLUE,
    THE_ONE,
    WH_WORDS,
    Word,
    content_runs,
    content_stems,
    is_name,
    is_number,
    read_words,
)
from docent.answering.followup_zh_ar import ar_standalone, zh_standalone
from docent.answering.referents import ANSWER_PRONOUNS, POSSESSIVES, answer_entity
from docent.search import languages as lang

#: The languages this module's word rules know; Chinese and Arabic: `followup_zh_ar.py`.
LANGUAGES = ("en", "de", "fr", "es")


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
    if script in ("zh", "ar") and (comparison := compared(question, previous, script)):
        return comparison  # "两者哪个更省电？": both things (followup_compare.py)
    if script in ("zh", "ar"):  # known by its script alone
        standalone = zh_standalone if script == "zh" else ar_standalone
        return standalone(question, before)
    language = _language(question, before)
    if language is None:
        return question
    comparison = compared(question, previous, language)
    if comparison is not None:  # "Which of the two ...?": both things (followup_compare.py)
        return comparison
    words = read_words(question, language)
    fragment_start = _after_connective(question, language)
    content = [w for w in words if w.content]
    if fragment_start is None and _elliptical(words, content, language):
        fragment_start = 0
    if fragment_start is not None:
        fragment = question[fragment_start:].strip(" ,;:¿?¡!.").strip()
        if not fragment:
            return before
        first_word = read_words(fragment, language)[:1]
        # "Et son poids ?": a possessive's owner is the pronoun's referent (below)
        possessive = bool(first_word) and first_word[0].key in POSSESSIVES[language]
        if not _whole_question(fragment, language) and not possessive:
            # "What about the library?" asks about another thing, not another attribute
            opening = question.lower().lstrip("¿¡ ").replace("’", "'")
            owner = opening.startswith(ENTITY_CONNECTIVES[language])
            return _substitute(fragment, before, language, owner=owner)
        if not any(w.key in PRONOUNS[language] for w in words):
            # "And how long does it take?" has its pronoun; "¿Y cuánto tarda en
            # calentarse?" leaves its subject out: it is the previous question's.
            referent = _referent(before, language, attribute=bool(content))
            if referent and not content_stems(referent, language) <= {w.stem for w in content}:
                body = question.rstrip(" ?!.")
                return f"{body} ({referent}){question[len(body) :]}"
    pronoun = next((w for w in words if w.key in PRONOUNS[language]), None)
    if pronoun is None:
        return _implied(question, words, content, before, language)
    # The entity the previous answer named, alone: the previous question's words would
    # pull its passage back ("deren Notdienstnummer" is the company's, not the boiler's).
    named = None
    if previous_answer and pronoun.key in ANSWER_PRONOUNS[language]:
        before_words = read_words(before, language)
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
        # So does a subject pronoun whose previous question asked about something of an
        # entity ("the maximum torque of the Brandtner ABS 18" ... "How much does it weigh?").
        # In English only: a gendered pronoun may agree with the attribute instead ("Quel
        # est le temps de charge de la batterie du Mistral ?" ... "Est-elle amovible ?").
        # (A question of light words asks for an attribute too: "How much does it cost?")
        asks = any(w.key in WH_WORDS[language] for w in words[:2])  # after "and" too
        owner = (bool(content) or asks) and (
            pronoun.key in POSSESSIVES[language]
            or (language == "en" and pronoun.key == "it" and _owned(before, language))
        )
        named = _referent(before, language, attribute=owner)
        if not named or (
            content and all(w.stem in content_stems(named, language) for w in content)
        ):
            return question
    return f"{question[: pronoun.end]} ({named}){question[pronoun.end :]}"


def _implied(
    question: str, words: list[Word], content: list[Word], before: str, language: str
) -> str:
    """A yes/no question of a few words that compares with, or places inside, what was
    asked before ("Do teenagers pay less?", "¿Incluye la anestesia?") gets the previous
    question's subject; any other question is kept as asked."""
    if (
        not words
        or words[0].key in WH_WORDS[language]
        or len(content) > IMPLIED_MAX_WORDS
        or not any(w.key in REFERS_BACK[language] for w in words)
        or any(is_number(w, [], language) or is_name(w, words, language) for w in content)
    ):
        return question
    referent = _referent(before, language)
    if not referent or content_stems(referent, language) & {w.stem for w in content}:
        return question
    body = question.rstrip(" ?!.")
    return f"{body} ({referent}){question[len(body) :]}"


def _owned(before: str, language: str) -> bool:
    """Whether the previous question asks about something of an entity: a name or number
    after "of"/"de"/"von" (articles between) or with a possessive "'s"."""
    words = read_words(before, language)
    for i, word in enumerate(words):
        if not (is_number(word, [], language) or is_name(word, words, language)):
            continue
        if word.text.endswith(("'s", "’s")):
            return True
        j = i - 1
        while j >= 0 and words[j].key in ARTICLES:
            j -= 1
        if j >= 0 and words[j].key in OF:
            return True
    return False


def _language(question: str, before: str) -> str | None:
    """The question's language, read together with the previous question's (a follow-up of
    two words is too short to tell alone)."""
    detected = lang.detect(f"{question} {before}").language
    return detected if detected in LANGUAGES else None


def _after_connective(question: str, language: str) -> int | None:
    """Where the fragment starts, if the question opens with a connective."""
    lowered = question.lower().lstrip("¿¡ ").replace("’", "'")
    offset = len(question) - len(question.lstrip("¿¡ "))
    for connective in sorted(CONNECTIVES[language], key=len, reverse=True):
        if lowered.startswith(connective) and (
            len(lowered) == len(connective) or not lowered[len(connective)].isalnum()
        ):
            return offset + len(connective)
    return None


def _whole_question(fragment: str, language: str) -> bool:
    """A connective followed by a question of its own ("and where is it held?")."""
    words = read_words(fragment, language)
    if not words:
        return False
    opener = words[0].key
    return opener in QUESTION_WORDS[language] or sum(w.content for w in words) >= (
        FULL_QUESTION_WORDS
    )


def _elliptical(words: list[Word], content: list[Word], language: str) -> bool:
    if not words:
        return False
    if len(content) <= 1 and not any(w.key in PRONOUNS[language] for w in words):
        return True
    return words[0].key in PREPOSITIONS[language] and len(words) <= 4


def _substitute(fragment: str, before: str, language: str, *, owner: bool = False) -> str:
    """The previous question with the fragment in place of its counterpart; `owner`: the
    fragment names another thing ("What about the library?"), whose counterpart is the
    owner of what was asked ("the extension of the IT helpdesk") where there is one."""
    fragment_words = read_words(fragment, language)
    content = [w for w in fragment_words if w.content]
    if not content:
        return before
    before_words = read_words(before, language)
    # 0. "The one of X" ("celui d'épeautre"): X after the previous question's "de".
    if len(fragment_words) > 1 and fragment_words[0].key in THE_ONE and _of(fragment_words[1]):
        for i, word in enumerate(before_words[1:-1], start=1):
            if _of(word) and before_words[i - 1].content:
                end = _phrase_end(before_words, i + 1, language)
                return _splice(before, word.start, end, fragment[fragment_words[1].start :])
    # 1. A run with the same head, and before it as many words as the fragment has, of the
    #    same kinds ("castrar un gato" -> "esterilizar una gata").
    head = content[-1].stem
    for run in content_runs(before_words):
        if run[-1].stem == head:
            start, phrase_at = _aligned(before_words, run, fragment_words, content[-1])
            return _splice(before, start, run[-1].end, fragment[phrase_at:])
    first = fragment_words[0]
    rest = fragment[fragment_words[1].start :] if len(fragment_words) > 1 else ""
    # 2. After the same preposition ("in Germany" -> "in France").
    spliced = _after_same(before, before_words, first.key, rest, language)
    if rest and first.key in PREPOSITIONS[language] and spliced is not None:
        return spliced
    # 3. An entity for an entity of its kind (a number for a number, a name for a name),
    #    when the fragment is entities alone.
    for kind in (is_number, is_name):
        # In a fragment, the first word may be a name too ("And Halden Logistics?").
        mine = [w for w in content if kind(w, [], language)]
        theirs = [w for w in before_words if kind(w, before_words, language)]
        # Only a fragment of entities alone: "the Cadence office chair" names a thing.
        only = all(is_number(w, [], language) or is_name(w, [], language) for w in content)
        if mine and theirs and only:
            start = _entity_run_start(before_words, theirs[-1], kind, language)
            phrase = fragment[mine[0].start : mine[-1].end]
            return _splice(before, start, theirs[-1].end, phrase)
    # 3b. A prepositional phrase of the circumstances for another ("on the death of a
    #     parent" -> "for the funeral of another relative"): the last one naming no entity
    #     ("at Halden Logistics" stays), for a fragment naming none ("in Munich" qualifies
    #     "for a hotel"). Not in German, whose names are not told by case.
    plain = not any(is_number(w, [], language) or is_name(w, [], language) for w in content)
    if first.key in PREPOSITIONS[language] and language != "de" and plain:
        for i in reversed(range(len(before_words) - 1)):
            word = before_words[i]
            if word.key not in PREPOSITIONS[language] or word.key in OF or word.apart:
                continue
            j = i + 1
            while j < len(before_words) - 1 and before_words[j].key in ARTICLES:
                j += 1
            end = _phrase_end(before_words, j, language) if before_words[j].content else 0
            span = [w for w in before_words[j:] if w.end <= end]
            if span and not any(
                is_number(w, [], language) or is_name(w, before_words, language) for w in span
            ):
                return _splice(before, word.start, end, fragment)
    # 4. After the same article ("los domingos" -> "los sábados").
    spliced = _after_same(before, before_words, first.key, rest, language, owner=owner)
    if rest and first.key in ARTICLES and spliced is not None:
        return spliced
    # 5. A bare noun phrase for the subject, after the auxiliary of the question ("how many
    #    weeks do birth mothers get" -> "... do fathers get").
    if first.key not in PREPOSITIONS[language]:
        for i, word in enumerate(before_words[:-1]):
            if word.key in AUXILIARIES.get(language, ()) and i > 0:
                start = i + 1
                while start < len(before_words) and before_words[start].key in ARTICLES:
                    start += 1
                if start < len(before_words) and before_words[start].content:
                    # The run holding the subject's first word ("... must racking damage be
                    # reported": it may have begun before the auxiliary when one is content).
                    run = next(r for r in content_runs(before_words) if before_words[start] in r)
                    run = run[run.index(before_words[start]) :]
                    phrase = fragment[_phrase_start(fragment_words, content) :]
                    return _splice(before, run[0].start, run[-1].end, phrase)
    base = before.rstrip(" ?.!")
    if fragment[:1].isupper() and not is_name(fragment_words[0], [], language):
        fragment = fragment[:1].lower() + fragment[1:]
    return f"{base}, {fragment}?"


def _of(word: Word) -> bool:
    """ "of", "de", or a word elided after "d'" ("d'épeautre")."""
    return word.key in OF or word.text.lower().startswith(("d'", "d’"))


def _aligned(
    words: list[Word], run: list[Word], fragment: list[Word], head: Word
) -> tuple[int, int]:
    """Where the counterpart of a fragment starts in the previous question and where the
    fragment's phrase starts: word by word back from the two heads while both are content
    words or both articles, at least the run, from the fragment's first content word."""
    i, j = fragment.index(head), words.index(run[-1])

    def kind(word: Word) -> str:
        return "content" if word.content else "article" if word.key in ARTICLES else "other"

    while i > 0 and j > 0 and kind(fragment[i - 1]) == kind(words[j - 1]) != "other":
        i, j = i - 1, j - 1
    while i < fragment.index(head) and not fragment[i].content:
        i, j = i + 1, j + 1  # the phrase opens with a content word
    return min(words[j].start, run[0].start), fragment[i].start


def _after_same(
    before: str, words: list[Word], key: str, rest: str, language: str, *, owner: bool = False
) -> str | None:
    """`before` with the phrase after its word `key` (a preposition or an article) replaced
    by `rest`; None when `before` has no such word before a phrase (an article stands
    for any, "der Monatskarte" for "die Jahreskarte"). `owner`: the first such word after
    a preposition ("of the IT helpdesk", "on the frame") if there is one whose phrase is a
    thing's, not a name's ("of the Mistral": "What about the price?" swaps the attribute),
    else the first."""
    at = [i for i, w in enumerate(words[:-1]) if w.key == key]
    if not at and key in ARTICLES:  # "der Monatskarte" for "die Jahreskarte": any article
        at = [i for i, w in enumerate(words[:-1]) if w.key in ARTICLES]
    linking = PREPOSITIONS[language] | OF
    owned = [i for i in at if owner and i > 0 and words[i - 1].key in linking]
    owned = [i for i in owned if not _names_one(words, i + 1, language)]
    for i in owned[:1] + at:
        j = i + 1
        while j < len(words) - 1 and words[j].key in ARTICLES:  # "für einen Umzug"
            j += 1
        after = words[j]
        if after.content:
            return _splice(before, words[i + 1].start, _phrase_end(words, j, language), rest)
        if after.key in PRONOUNS[language]:  # "for it (jury service)": all of it goes
            tail = after.end
            if before[tail:].startswith(" (") and (close := before.find(")", tail)) > 0:
                tail = close + 1
            return _splice(before, after.start, tail, rest)
    return None


def _names_one(words: list[Word], start: int, language: str) -> bool:
    """Whether the phrase at `words[start]` (articles skipped) ends with a name or number."""
    while start < len(words) - 1 and words[start].key in ARTICLES:
        start += 1
    end = _phrase_end(words, start, language)
    head = next(w for w in reversed(words) if w.end <= end)
    return is_number(head, [], language) or is_name(head, words, language)


def _entity_run_start(words: list[Word], last: Word, kind: object, language: str) -> int:
    """Where the run of adjacent entity words ending at `last` starts ("Corvid Analytics")."""
    index = words.index(last)
    start = index
    while start > 0 and kind(words[start - 1], words, language):  # type: ignore[operator]
        start -= 1
    return words[start].start


def _phrase_start(words: list[Word], content: list[Word]) -> int:
    """Where a fragment's phrase starts: its first content word."""
    index = words.index(content[0])
    return words[index].start


def _phrase_end(words: list[Word], start: int, language: str) -> int:
    """Where the phrase that starts at `words[start]` ends: before the next function word
    that is not glue, before glue that leads to a name (the entity the phrase belongs to
    stays: "la cuota anual del Gimnasio Olivar" -> "la matrícula del Gimnasio Olivar"), or
    at the end."""
    end = words[start].end
    for i in range(start + 1, len(words)):
        word = words[i]
        if not word.content and word.key not in ARTICLES and word.key not in RUN_GLUE:
            break
        if word.key in RUN_GLUE and any(
            is_name(w, words, language) for w in words[i + 1 : i + 3] if w.content
        ):
            break
        end = word.end
    return end


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
    words = read_words(before, language)
    kept: list[list[Word]] = []
    for run in content_runs(words):
        index = words.index(run[0])
        previous = words[index - 1].key if index > 0 else ""
        if previous in QUANTITY:
            run = [w for w in run[1:] if w.content or w is not run[1]]
            while run and not run[0].content:
                run = run[1:]
        if language == "de" and len(run) == 1 and previous in QUESTION_WORDS["de"]:
            continue
        if language == "de":
            run = _trim_glue([w for w in run if not w.content or w.text[:1].isupper()
                              or is_number(w, [], language)])  # fmt: skip
        if run:
            kept.append(run)

    def entity(word: Word) -> bool:
        return is_number(word, [], language) or is_name(word, words, language)

    for i, run in enumerate(kept):
        if any(entity(w) for w in run):
            kept[i] = run[: max(j for j, w in enumerate(run) if entity(w)) + 1]
    named = [run for run in kept if any(entity(w) for w in run)]
    if entities_only or (attribute and named and language != "de"):
        kept = [_entity_phrase(run, entity) for run in named]
    phrases = list(
        dict.fromkeys(
            before[r[0].start : r[-1].end].removesuffix("'s").removesuffix("’s") for r in kept
        )
    )
    return ", ".join(phrases)


def _trim_glue(run: list[Word]) -> list[Word]:
    """`run` without glue words at its ends (left there when words were taken out)."""
    while run and not run[0].content:
        run = run[1:]
    while run and not run[-1].content:
        run = run[:-1]
    return run


def _entity_phrase(run: list[Word], entity: Callable[[Word], bool]) -> list[Word]:
    """The part of a run that names its entity: from the word after the first glue word
    before the first entity word ("total budget of project Hélios" -> "project Hélios",
    "réunion du comité de pilotage Hélios" -> "comité de pilotage Hélios")."""
    first = next(i for i, w in enumerate(run) if entity(w))
    owner = next((i for i, w in enumerate(run) if w.text.endswith(("'s", "’s"))), None)
    if owner is not None and entity(run[owner]):  # "Fernleigh's": the names alone
        start = owner
        while start > 0 and entity(run[start - 1]):
            start -= 1
        return run[start : owner + 1]
    start = min((i + 1 for i in range(first) if not run[i].content), default=0)
    return run[start:]
