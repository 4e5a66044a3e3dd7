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

A fragment replaces its counterpart in the previous question (`followup_substitute.py`:
the same head, the same preposition, an entity of the same kind, the same article, the
owner of what was asked after "what about", the subject after the verb; "And the secondary
caregiver?" -> "How many weeks of parental leave does the secondary caregiver get?"), or
is added to it as its new qualification ("..., for contractors?"). A pronoun gets its
referent, the previous question's content runs (less the unit a "how many ... of" asks
for), in parentheses after it: "Is that (parental leave, secondary caregiver) paid?"; a
possessive, or in English an "it" after a question about something of an entity ("the
maximum torque of the Brandtner ABS 18", "Fernleigh's"), the entity alone. A comparison
of the two things of the last two turns ("Which of the two is stackable?") names both
(`followup_compare.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from docent.answering.followup_compare import compared
from docent.answering.followup_heads import (
    EVENT_VERBS,
    anaphors,
    asks_about_head,
    asks_about_subject,
    head_phrase,
    one_swapped,
    without_degree,
)
from docent.answering.followup_substitute import substitute
from docent.answering.followup_words import (
    ADDITIVE,
    ARTICLES,
    BARE_MAX_WORDS,
    CONNECTIVES,
    ENTITY_CONNECTIVES,
    FULL_QUESTION_WORDS,
    IMPLIED_MAX_WORDS,
    OF,
    PREPOSITIONS,
    QUANTITY,
    QUESTION_WORDS,
    REFERS_BACK,
    WH_WORDS,
    YES_NO_OPENERS,
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
            swapped = one_swapped(read_words(fragment, language), fragment, before, language)
            if swapped is not None:  # "And the closing one?": the head, another modifier
                return swapped
            # "What about the library?" asks about another thing, not another attribute
            opening = question.lower().lstrip("¿¡ ").replace("’", "'")
            owner = opening.startswith(ENTITY_CONNECTIVES[language])
            fragment, owned = _unowned(_the_one_for(fragment, language))
            return substitute(fragment, before, language, owner=owner or owned,
                              owner_entity=owned)  # fmt: skip
        if not anaphors(words, language):
            # "And how long does it take?" has its pronoun; "¿Y cuánto tarda en
            # calentarse?" leaves its subject out: it is the previous question's, the
            # thing it asked about ("¿Cuánto cuesta la cuota de mañana ...?" "¿Y qué
            # incluye?": the fee itself), or the entity an attribute was asked of.
            attribute = bool(content) and not asks_about_subject(before, language)
            referent = _referent(before, language, attribute=attribute)
            if referent and not content_stems(referent, language) <= {w.stem for w in content}:
                body = question.rstrip(" ?!.")
                return _unconnected(f"{body} ({referent}){question[len(body) :]}", question,
                                    fragment_start)  # fmt: skip
    pronoun = next(iter(anaphors(words, language)), None)
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
        # with the names the previous question gave (whose HR director, which building);
        # not in German, where names are not told by case and what is given is the previous
        # subject's address or code ("Lindenstraße 12"), whose row it pulls back
        context = _referent(before, language, attribute=True, entities_only=True)
        if named and context and language != "de":
            named = f"{named}; {context}"
        if named and pronoun.key in _RELATIVE_POSSESSIVES:
            # "deren Notdienstnummer" -> "die (Hebetec Aufzüge GmbH) Notdienstnummer": the
            # answerer weighs "deren" as a word asked about (the dev set's lift was refused)
            at = pronoun.start
            return f"{question[:at]}die ({named}){question[pronoun.end :]}"
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
        # A wh-question about "it" after one about an attribute of a thing asks another
        # attribute of the thing ("How long do the batteries in the Lumera T3 last?" ...
        # "How do I factory reset it?"; "Quel est le prix du Tramontane ?" ... "Combien
        # pèse-t-il ?"): the thing alone. A yes/no question asks about the attribute ("Is
        # that paid?", "Est-elle amovible ?"); German tells no names by case (not done).
        if asks and language != "de" and pronoun.key in PERSONAL[language]:
            named = _owned_thing(before, language) or named
        # After a question about a thing itself ("Where is the opening keynote of
        # NorthStack DevCon held?"), "its extension" and "it" as the subject of an event's
        # verb ("What time does it start?") are that thing, not the place or organisation
        # that owns it (followup_heads.py).
        head = head_phrase(before, language) if asks_about_head(before, language) else ""
        event = any(w.key in EVENT_VERBS for w in words)  # "cost" is a light word too
        if head and (
            pronoun.key in POSSESSIVES[language] or (event and pronoun.key in PERSONAL[language])
        ):
            named = head
        # "he", "she": a person, the first one the previous question names (the one it
        # asked about: "the extension of Tomasz Nowicki at the Larchmont Institute")
        if language == "en" and pronoun.key in _PERSONS:
            person = _referent(before, language, entities_only=True).split(", ")[0]
            named = person or named
        named = without_degree(named) if named else named
        if not named or (
            content and all(w.stem in content_stems(named, language) for w in content)
        ):
            return question
    made = f"{question[: pronoun.end]} ({named}){question[pronoun.end :]}"
    whole = fragment_start and _whole_question(question[fragment_start:], language)
    return _unconnected(made, question, fragment_start) if whole else made


def _the_one_for(fragment: str, language: str) -> str:
    """A fragment without the article or "the one(s)" that opens it before a preposition
    ("Und der für Familien?", "Und die für Kinder?", "And the ones for children?"): the
    preposition's phrase is what replaces its counterpart."""
    words = read_words(fragment, language)
    skip = 0
    while skip < len(words) - 1 and (
        words[skip].key in ARTICLES or words[skip].key in ("one", "ones")
    ):
        skip += 1
    of = words[skip].key in OF or words[skip].text.lower().startswith(("d'", "d’"))
    if skip and not of and words[skip].key in PREPOSITIONS[language] and len(words) > skip + 1:
        return fragment[words[skip].start :]
    return fragment


def _unowned(fragment: str) -> tuple[str, bool]:
    """A fragment without the possessive "'s" that ends it ("And Dr. Ravi Menon's?": the
    same attribute of another owner), and whether it had one."""
    for mark in ("'s", "’s"):
        if fragment.endswith(mark) and len(fragment) > len(mark):
            return fragment[: -len(mark)], True
    return fragment, False


def _unconnected(made: str, question: str, fragment_start: int | None) -> str:
    """A question rewritten with its referent, without the connective it opened with ("Und
    wo findet sie (Betriebsversammlung, Kallisto) statt?" -> "Wo findet sie ..."): a
    standalone question continues nothing, and the answerer reads its question word first
    (with "Und" first, the dev set's Kallisto question was answered from another passage)."""
    prefix = question[:fragment_start] if fragment_start else ""
    if not prefix or not made.startswith(prefix):
        return made
    rest = made[len(prefix) :].lstrip(" ,")
    marks = prefix[: len(prefix) - len(prefix.lstrip("¿¡"))]  # "¿Y cuánto" -> "¿Cuánto"
    return marks + rest[:1].upper() + rest[1:]


def _implied(
    question: str, words: list[Word], content: list[Word], before: str, language: str
) -> str:
    """A yes/no question of a few words that compares with, or places inside, what was
    asked before ("Do teenagers pay less?", "¿Incluye la anestesia?") gets the previous
    question's subject; any other question is kept as asked."""
    own = sum(w.key not in REFERS_BACK[language] for w in content)
    refers = any(w.key in REFERS_BACK[language] for w in words)
    # A yes/no question of two content words at most names no subject of its own ("Is
    # registration required?", "¿Hace falta aprobación?"): it asks about the previous one.
    opener = [w for w in words[:2] if w.key in YES_NO_OPENERS[language]]  # "hace falta"
    bare = bool(opener) and opener[0] is words[0]
    bare = bare and sum(w.content and w not in opener for w in content) <= BARE_MAX_WORDS
    if (
        not words
        or words[0].key in WH_WORDS[language]
        # the word that refers back is no subject ("Are parking fees reimbursed too?")
        or own > IMPLIED_MAX_WORDS
        or not (refers or bare)
        or any(is_number(w, [], language) or is_name(w, words, language) for w in content)
    ):
        return question
    referent = _referent(before, language)
    # A question with a subject of its own that adds it to the previous one ("Werden
    # Parkgebühren auch erstattet?") takes the entity that one was about ("bei Velmora"),
    # not its attribute ("Kilometergeld") or circumstances ("Fahrten mit dem privaten
    # Pkw"); one that compares with it or places something inside it ("Do teenagers pay
    # less?", "Ist die Betäubung inbegriffen?") keeps the thing.
    if own >= 1 and any(w.key in ADDITIVE for w in words):
        referent = _entities(before, language) or referent
    if not referent or content_stems(referent, language) & {w.stem for w in content}:
        return question
    body = question.rstrip(" ?!.")
    return f"{body} ({referent}){question[len(body) :]}"


#: German words after which a capitalised word names an organisation ("bei Velmora",
#: "beim TSV Lindenau"): German capitalises every noun, so only such a place tells a name.
_DE_NAMING = {"bei", "beim"}


def _entities(before: str, language: str) -> str:
    """The entities the previous question names (German: after "bei"/"beim"), "" when none."""
    if language != "de":
        return _referent(before, language, entities_only=True)
    words = read_words(before, language)
    names = []
    for i, word in enumerate(words[:-1]):
        if word.key in _DE_NAMING:
            run = []
            for after in words[i + 1 :]:
                if not (after.text[:1].isupper() or is_number(after, [], language)):
                    break
                run.append(after)
            if run:
                names.append(before[run[0].start : run[-1].end])
    return ", ".join(names)


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


#: German possessives of a thing or company named before ("deren", "dessen").
_RELATIVE_POSSESSIVES = {"deren", "dessen"}
#: Pronouns for a person (English: "it" is a thing's).
_PERSONS = {"he", "she", "him", "his", "her"}
#: Personal pronouns for a thing ("it", "il", "elle", "ella"), not demonstratives ("that").
PERSONAL = {"en": {"it", "they", "them"}, "fr": {"il", "elle", "ils", "elles"},
            "es": {"él", "ella", "ellos", "ellas", "lo"}, "de": set()}  # fmt: skip
#: Words that link an attribute to its owner ("the extension of the library", "the
#: batteries in the Lumera T3", "l'autonomie du Sirocco").
_OWNER_LINKS = OF | {"in", "on", "at", "dans", "sur", "en"}


def _owned_thing(before: str, language: str) -> str:
    """The thing the previous question asked an attribute of: its phrases after the first
    one when an owner link follows that one ("extension of the library at the Larchmont
    Institute" -> "library, Larchmont Institute"), or the part of a run after its first owner link
    ("autonomie du Sirocco" -> "Sirocco", "réunion du comité de pilotage Hélios" -> "comité
    de pilotage Hélios"); "" when it asked of no thing so linked."""
    words = read_words(before, language)
    runs = content_runs(words)
    if not runs:
        return ""
    first = runs[0]
    glue = [i for i, w in enumerate(first) if not w.content and w.key in _OWNER_LINKS]
    if glue:
        rest = [first[glue[0] + 1 :], *runs[1:]]
    else:
        after = words.index(first[-1]) + 1
        if after >= len(words) or words[after].key not in _OWNER_LINKS or len(runs) < 2:
            return ""
        rest = runs[1:]
    phrases = []
    for run in (r for r in rest if any(w.content for w in r)):
        # a run naming an entity ends with it ("Lumera T3", not "Lumera T3 last")
        ends = [
            i
            for i, w in enumerate(run)
            if is_number(w, [], language) or is_name(w, words, language)
        ]
        phrases.append(before[run[0].start : run[max(ends) if ends else -1].end])
    return ", ".join(dict.fromkeys(p.removesuffix("'s").removesuffix("’s") for p in phrases))


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
    if len(content) <= 1 and not anaphors(words, language):
        return True
    return words[0].key in PREPOSITIONS[language] and len(words) <= 4


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
        # "weeks of parental leave": the unit goes; "parking spaces", "Urlaubstage" are
        # what is counted, and stay (in French and Spanish a verb may come first: "cuánto
        # cuesta castrar", and goes)
        counted = language in ("en", "de") and all(w.content for w in run)
        if previous in QUANTITY and not counted:
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
