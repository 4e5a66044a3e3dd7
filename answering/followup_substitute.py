"""A follow-up's fragment in place of its counterpart in the previous standalone question,
for the local rewrite (`followup.py`): "And the secondary caregiver?" after "How many
weeks of parental leave does the primary caregiver get?" gives "... does the secondary
caregiver get?". The rules, tried in order, are those of coordination ellipsis (Kumar &
Joshi, "Incomplete follow-up question resolution", SIGIR 2017), by rules instead of a
model; each says in `substitute` what it replaces. Deterministic, in English, German,
French and Spanish.
"""

from __future__ import annotations

from docent.answering.followup_words import (
    ARTICLES,
    AUXILIARIES,
    CONTRACTED,
    OF,
    PREPOSITIONS,
    PRONOUNS,
    RUN_GLUE,
    THE_ONE,
    Word,
    content_runs,
    is_name,
    is_number,
    read_words,
)


def substitute(
    fragment: str, before: str, language: str, *, owner: bool = False, owner_entity: bool = False
) -> str:
    """The previous question with the fragment in place of its counterpart; `owner`: the
    fragment names another thing ("What about the library?"), whose counterpart is the
    owner of what was asked ("the extension of the IT helpdesk") where there is one;
    `owner_entity`: the fragment was a possessive ("And Dr. Ravi Menon's?"), whose
    counterpart is the entity that owned the attribute asked ("of Dr. Samuel Adeyemi"),
    not the last one named ("at the Larchmont Institute")."""
    fragment_words = read_words(fragment, language)
    content = [w for w in fragment_words if w.content]
    if not content:
        return before
    before_words = read_words(before, language)
    # 0. "The one of X" ("celui d'épeautre"): X after the previous question's "de" (one
    #    before a name for a name: "celui de Paris" for "de Lyon", not "de l'appartement").
    if len(fragment_words) > 1 and fragment_words[0].key in THE_ONE and _of(fragment_words[1]):
        named = any(is_name(w, [], language) for w in fragment_words[1:])
        ofs = [i for i, w in enumerate(before_words[1:-1], start=1) if _of(w)]
        if not named:
            # "Et celle de la batterie ?" after "la durée de garantie du cadre chez Cycles
            # Aubrac": the last qualifier ("du cadre"), not the attribute's own "de" nor an
            # owner's name ("del Gimnasio Olivar"); with none, the adjectives after the
            # head noun ("la cuota mensual del ..." -> "la cuota de mañana del ...").
            swapped = _qualifier_swapped(before, before_words, ofs, fragment, fragment_words,
                                         language)  # fmt: skip
            if swapped is not None:
                return swapped
        ofs = [i for i in ofs if named and _names_one(before_words, i + 1, language)] + ofs
        for i in ofs:
            word = before_words[i]
            if before_words[i - 1].content:
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
    # 2. After the same preposition ("in Germany" -> "in France"); or one it is contracted
    #    with an article in ("de la batterie" for "du cadre"): the whole phrase.
    spliced = _after_same(before, before_words, first.key, rest, language)
    if rest and first.key in PREPOSITIONS[language] and spliced is not None:
        return spliced
    kin = next((k for k in CONTRACTED.get(language, ()) if first.key in k), frozenset())
    for word in before_words[:-1]:
        if rest and word.key in kin and word.key != first.key:
            at = before_words.index(word) + 1
            end = _phrase_end(before_words, at, language) if before_words[at].content else 0
            if end:
                return _splice(before, word.start, end, fragment)
    # 3. An entity for an entity of its kind (a number for a number, a name for a name),
    #    when the fragment is entities alone.
    for kind in (is_number, is_name):
        # In a fragment, the first word may be a name too ("And Halden Logistics?").
        mine = [w for w in content if kind(w, [], language)]
        theirs = [w for w in before_words if kind(w, before_words, language)]
        # Only a fragment of entities alone: "the Cadence office chair" names a thing.
        only = all(is_number(w, [], language) or is_name(w, [], language) for w in content)
        if mine and theirs and only:
            last = theirs[-1]
            if owner_entity:  # the owner: after "of" (articles between) or with "'s"
                last = _owner_entity(before_words, theirs, kind, language) or last
            start = _entity_run_start(before_words, last, kind, language)
            phrase = fragment[mine[0].start : mine[-1].end]
            return _splice(before, start, last.end, phrase)
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
    # 4b. Another thing ("What about in-store purchases?"): the owner after a preposition
    #     ("for online orders"), not a name's.
    if owner and first.key not in PREPOSITIONS[language]:
        for i, word in enumerate(before_words[1:-1], start=1):
            j = i + 1
            while j < len(before_words) - 1 and before_words[j].key in ARTICLES:
                j += 1
            if (
                (word.key in PREPOSITIONS[language] or word.key in OF)
                and before_words[j].content
                and not _names_one(before_words, j, language)
            ):
                end = _phrase_end(before_words, j, language)
                phrase = fragment[_phrase_start(fragment_words, content) :]
                return _splice(before, before_words[j].start, end, phrase)
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
                    # a compound subject goes whole ("a scale and polish")
                    end = run[-1].end
                    if _joined(before_words, before_words.index(run[-1])):
                        end = _phrase_end(before_words, before_words.index(run[-1]), language)
                    return _splice(before, run[0].start, end, phrase)
    base = before.rstrip(" ?.!")
    if fragment[:1].isupper() and not is_name(fragment_words[0], [], language):
        fragment = fragment[:1].lower() + fragment[1:]
    return f"{base}, {fragment}?"


def _qualifier_swapped(
    before: str,
    words: list[Word],
    ofs: list[int],
    fragment: str,
    fragment_words: list[Word],
    language: str,
) -> str | None:
    """The previous question with the fragment's "de ..." (after "celle", "la") in place
    of its last qualifier: the last "de" phrase after a content word that does not open
    with a name, or else the adjectives between a head noun and an owner's "de <Name>";
    None when it has neither."""
    phrase = fragment[fragment_words[1].start :]
    plain = [i for i in ofs if words[i - 1].content and words[i + 1 :]
             and not _opens_with_name(words, i + 1, language)]  # fmt: skip
    if plain:
        i = plain[-1]
        j = i + 1
        while j < len(words) - 1 and words[j].key in ARTICLES:
            j += 1
        if words[j].content:
            return _splice(before, words[i].start, _phrase_end(words, j, language), phrase)
    for i in ofs:
        # "la cuota mensual del Gimnasio Olivar": head "cuota", its adjective "mensual"
        span: list[Word] = []
        j = i - 1
        while j >= 0 and words[j].content and not is_name(words[j], words, language):
            span.insert(0, words[j])
            j -= 1
        if len(span) >= 2 and j >= 0 and words[j].key in ARTICLES:
            return _splice(before, span[1].start, span[-1].end, phrase)
    return None


def _opens_with_name(words: list[Word], start: int, language: str) -> bool:
    """Whether the phrase at `words[start]` (articles skipped) opens with a name."""
    while start < len(words) - 1 and words[start].key in ARTICLES:
        start += 1
    return is_name(words[start], words, language)


def _owner_entity(
    words: list[Word], theirs: list[Word], kind: object, language: str
) -> Word | None:
    """The last word of the first entity run that owns what was asked: after "of" (articles
    between) or ending with "'s"; None when there is none."""
    for word in theirs:
        i = words.index(word)
        j = i - 1
        while j >= 0 and words[j].key in ARTICLES:
            j -= 1
        if (j >= 0 and words[j].key in OF) or word.text.endswith(("'s", "’s")):
            while i + 1 < len(words) and kind(words[i + 1], words, language):  # type: ignore[operator]
                if words[i].text.endswith(("'s", "’s")):
                    break
                i += 1
            return words[i]
    return None


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


def _joined(words: list[Word], at: int) -> bool:
    """Whether a coordinator joins `words[at]` to a content word after it ("scale and
    polish")."""
    return (
        at + 2 < len(words)
        and words[at + 1].key in _COORDINATORS
        and words[at + 2].content
        and not words[at + 1].apart
        and not words[at + 2].apart
    )


#: "than" after "more", "less": the comparison is part of the phrase ("mehr als 8 Stunden").
_THAN = {"than", "als"}
_MORE = {"more", "less", "fewer", "mehr", "weniger"}
#: Words that join two nouns or modifiers into one thing ("sauna and steam session").
_COORDINATORS = {"and", "&", "und", "et", "y"}


def _phrase_end(words: list[Word], start: int, language: str) -> int:
    """Where the phrase that starts at `words[start]` ends: before the next function word
    that is not glue, before glue that leads to a name (the entity the phrase belongs to
    stays: "la cuota anual del Gimnasio Olivar" -> "la matrícula del Gimnasio Olivar"), or
    at the end. A coordinator between content words stays inside ("a sauna and steam
    session", "a scale and polish": one thing, which a fragment replaces whole)."""
    end = words[start].end
    for i in range(start + 1, len(words)):
        word = words[i]
        joins = word.key in _COORDINATORS and i + 1 < len(words) and words[i + 1].content
        if joins and not words[i + 1].apart and not word.apart:
            continue
        if word.key in _THAN and words[i - 1].key in _MORE:  # "für mehr als 8 Stunden"
            continue
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
