"""A follow-up that compares the two things a conversation has just been about ("What does
the Cadence chair cost?" "And the Alto chair?" "Which of the two is stackable?"), made to
stand alone for the local rewrite (`followup.py`): both things, named in parentheses after
the words that point at them ("Which of the two (Cadence office chair, Alto meeting chair)
is stackable?"). Deterministic, in English, German, French, Spanish, Chinese ("两者",
by characters) and Arabic ("أيهما", by words).

The two things are what changed between the last two standalone questions: the second was
made from the first by putting one phrase in place of another (an entity swap), so the
words that differ are the two things, each widened to its noun phrase (its run of content
words, cut at the glue word, "of", "du", "del", on either side of the words that differ:
"autonomie du Mistral" -> "Mistral", "cuota trimestral del Gimnasio Olivar" -> "cuota
trimestral"). With one earlier question, or two that do not differ that way, nothing is
done here: the pronoun rules of `followup.py` apply.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from docent.answering.followup_words import OF, RUN_GLUE, Word, content_runs, read_words

#: Words that point at two things said before ("Which of the two ...?", "Lequel des deux
#: ...?", "¿Cuál de las dos ...?", "Welcher von beiden ...?"), as whole words.
POINTERS = {
    "en": ("of the two", "of both", "both of them", "the two", "either of them", "both", "of them"),
    "de": ("von beiden", "der beiden", "die beiden", "beide", "beiden"),
    "fr": ("des deux", "les deux", "entre les deux"),
    "es": ("de los dos", "de las dos", "los dos", "las dos", "ambos", "ambas"),
    # found anywhere: Chinese is written without spaces, Arabic attaches "و" to a word
    "zh": ("两者", "二者", "这两个", "这两种"),
    "ar": ("أيهما", "كلاهما", "كليهما"),
}
#: Chinese and Arabic: what ends a question, and the brackets and comma they write.
_ENDS = "？?。！!؟.، "
_BRACKETS = {"zh": ("（", "、", "）"), "ar": (" (", "، ", ")")}


def _pointer(question: str, language: str) -> re.Match[str] | None:
    """The first words of `question` that point at two things, longest first (whole words
    but in Chinese and Arabic)."""
    options = sorted(POINTERS.get(language, ()), key=len, reverse=True)
    pattern = "|".join(re.escape(p) for p in options)
    if language not in _BRACKETS:
        pattern = rf"(?<!\w)(?:{pattern})(?!\w)"
    return re.search(pattern, question, re.IGNORECASE) if options else None


#: Question words that ask which of several things ("Which is cheaper?", "Lequel est le
#: plus léger ?"), and the comparatives that make such a question compare two.
_WHICH = re.compile(
    r"^[¿¡]?\s*(which( one)?|welche[rs]?|lequel|laquelle|cuál)(?!\w)", re.IGNORECASE
)
_COMPARATIVE = re.compile(
    r"(?<!\w)(\w+er|more|less|better|worse|mehr|weniger|besser|plus|moins|mieux|más|menos"
    r"|mejor|peor)(?!\w)",
    re.IGNORECASE,
)
#: A which-question of this many words or fewer holding a comparative compares the two.
_WHICH_MAX_WORDS = 5


def _which_comparative(question: str, language: str) -> re.Match[str] | None:
    """The opening "which" of a short question holding a comparative ("Which is cheaper?",
    "Which one is faster?"); None otherwise."""
    found = _WHICH.match(question)
    if found is None or language in _BRACKETS:
        return None
    short = len(question.split()) <= _WHICH_MAX_WORDS
    return found if short and _COMPARATIVE.search(question[found.end() :]) else None


def compared(question: str, previous: Sequence[str], language: str) -> str | None:
    """`question` with the two things it compares in parentheses after the words that point
    at them, taken from the last two standalone questions in `previous` (oldest first);
    None when it points at no two things or they cannot be told apart."""
    found = _pointer(question, language) or _which_comparative(question, language)
    if found is None or len(previous) < 2:
        return None
    first, second = (" ".join(text.split()) for text in previous[-2:])
    if language in _BRACKETS:
        things = _differing_pieces(first.rstrip(_ENDS), second.rstrip(_ENDS), language)
    else:
        things = _differing(first, second, language)
    if things is None:
        return None
    at = found.end()
    opening, comma, closing = _BRACKETS.get(language, (" (", ", ", ")"))
    return f"{question[:at]}{opening}{things[0]}{comma}{things[1]}{closing}{question[at:]}"


def _differing_pieces(first: str, second: str, language: str) -> tuple[str, str] | None:
    """What differs between two Chinese questions (by characters, widened to a whole run
    of Latin letters and digits: "KJ-300", not "3") or two Arabic ones (by words, with the
    word before: "نور بلس", the head noun's name, not "بلس")."""
    if language == "zh":
        a, b = list(first), list(second)
    else:
        a, b = first.split(), second.split()
    changes = [op for op in SequenceMatcher(None, a, b).get_opcodes() if op[0] != "equal"]
    if len(changes) != 1 or changes[0][0] != "replace":
        return None
    _, i1, i2, j1, j2 = changes[0]
    if language == "zh":
        latin = re.compile(r"[A-Za-z0-9-]")
        while i1 > 0 and j1 > 0 and latin.match(a[i1 - 1]) and a[i1 - 1] == b[j1 - 1]:
            i1, j1 = i1 - 1, j1 - 1
        while i2 < len(a) and j2 < len(b) and latin.match(a[i2]) and a[i2] == b[j2]:
            i2, j2 = i2 + 1, j2 + 1
        return "".join(a[i1:i2]), "".join(b[j1:j2])
    i1, j1 = max(i1 - 1, 0), max(j1 - 1, 0)
    return " ".join(a[i1:i2]), " ".join(b[j1:j2])


def _differing(first: str, second: str, language: str) -> tuple[str, str] | None:
    """The noun phrases that differ between two questions, one from each; None unless they
    differ in one place (an entity swap), by content words."""
    a, b = read_words(first, language), read_words(second, language)
    changes = [
        op
        for op in SequenceMatcher(None, [w.key for w in a], [w.key for w in b]).get_opcodes()
        if op[0] != "equal"
    ]
    if len(changes) != 1 or changes[0][0] != "replace":
        return None
    _, i1, i2, j1, j2 = changes[0]
    one, other = _phrase(first, a, i1, i2), _phrase(second, b, j1, j2)
    if not one or not other or one.casefold() == other.casefold():
        return None
    return one, other


def _phrase(text: str, words: list[Word], start: int, end: int) -> str:
    """The noun phrase around `words[start:end]`: their content run, from after the last
    glue word before them to before the first glue word after them."""
    changed = words[start:end]
    if not any(w.content for w in changed):
        return ""
    run = next((r for r in content_runs(words) if any(w in r for w in changed)), None)
    if run is None:
        return ""
    first = run.index(next(w for w in changed if w in run))
    last = max(run.index(w) for w in changed if w in run)
    glue = RUN_GLUE | OF
    begin = max((i + 1 for i in range(first) if run[i].key in glue), default=0)
    finish = min((i for i in range(last + 1, len(run)) if run[i].key in glue), default=len(run))
    piece = run[begin:finish]
    while piece and not piece[-1].content:
        piece = piece[:-1]
    return text[piece[0].start : piece[-1].end] if piece else ""
