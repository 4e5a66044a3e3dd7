"""A question asking how to do something, and the unit that tells how: an instruction.

"How do I factory reset the thermostat?", "Wie kann ich ...?", "Comment puis-je ...?",
"¿Cómo puedo ...?", 如何/怎么 ... ask for the steps: a sentence or list item in the
imperative ("Press and hold the dial for 10 seconds, then release it.", "Drücken Sie
...", "Appuyez sur ...", 请按住 ...). The sentence the answerer scores first is often
the one around it that repeats the question's words ("The thermostat restarts with its
factory settings."): what happens after, not what to do. Within the passage, an
instruction next to it tells how (`steps_first`).

The imperative is told by its surface, per language: in English a sentence opening with
a word that is no determiner, pronoun or conjunction, followed by an object or a
particle ("Press and", "Open the", "Call us", "Turn off"); in German a verb with "Sie"
after it; in French a verb in -ez opening the sentence; in Chinese 请, 按 or 长按 opening
it. Spanish and Arabic imperatives are not told apart from statements by their surface:
no rule there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: A question for how to do something (en, de, fr, es, zh, ar).
_HOW_TO = re.compile(
    r"\bhow (?:do|can|should|would|must) (?:i|we|you|one)\b|\bhow to\b"
    r"|\bwie (?:kann|muss|soll|könnte) (?:ich|man)\b"
    r"|\bcomment (?:puis-je|dois-je|faire|peut-on|doit-on|on)\b"
    r"|\bc[oó]mo (?:puedo|debo|se puede|hago)\b|如何|怎么|怎样|كيف (?:يمكنني|أقوم|يمكن)",
    re.IGNORECASE,
)
#: Words that open no English imperative: determiners, pronouns, conjunctions.
_NOT_VERB = frozenset(
    [
        "the",
        "a",
        "an",
        "your",
        "our",
        "my",
        "his",
        "her",
        "its",
        "their",
        "this",
        "that",
        "these",
        "those",
        "it",
        "you",
        "we",
        "they",
        "he",
        "she",
        "there",
        "if",
        "when",
        "after",
        "before",
        "all",
        "each",
        "every",
        "no",
        "most",
        "some",
        "any",
        "many",
    ]
)
#: Words that follow an English imperative verb: an object, a particle, "and".
_AFTER_VERB = frozenset(
    [
        "the",
        "a",
        "an",
        "your",
        "and",
        "on",
        "in",
        "to",
        "for",
        "off",
        "up",
        "down",
        "out",
        "with",
        "at",
        "it",
        "them",
        "this",
        "that",
        "our",
        "all",
        "us",
        "both",
        "each",
        "any",
        "back",
        "over",
        "through",
        "from",
        "into",
        "onto",
    ]
)
#: A list item's marker: "1.", "a)", "-", "•".
_MARKER = re.compile(r"^\s*(?:[-*•·▪]|\d{1,2}[.)]|[a-z][.)])\s+")
_GERMAN = re.compile(
    r"^(?!(?:Wenn|Falls|Sobald|Nachdem|Bevor|Wann|Denn|Können|Müssen|Sollten|Dürfen|Haben"
    r"|Werden|Wollen|Man)\b)[A-ZÄÖÜ]\w*e?n Sie\b"
)
_FRENCH = re.compile(r"^(?!(?:Chez|Assez)\b)[A-ZÀ-Ý][\wà-ÿ]+ez\b")
_CHINESE = ("请", "按", "长按")


def asks_how(question: str) -> bool:
    """Whether `question` asks how to do something (`_HOW_TO`)."""
    return bool(_HOW_TO.search(question))


def instructs(text: str) -> bool:
    """Whether `text` (a sentence or list item) is an instruction: in the imperative, as
    its surface tells (see the module's docstring)."""
    body = _MARKER.sub("", text.strip())
    if _GERMAN.match(body) or _FRENCH.match(body) or body.startswith(_CHINESE):
        return True
    words = body.split()
    if len(words) < 3 or not words[0][:1].isupper() or not words[0].isalpha():
        return False
    return words[0].casefold() not in _NOT_VERB and words[1].casefold().strip(",") in _AFTER_VERB


def steps_first(
    question: str, best: int, texts: Sequence[str], sources: Sequence[int]
) -> int | None:
    """For a question asking how (`asks_how`) whose best unit `best` is no instruction, an
    instruction (`instructs`) of the same passage next to it (one or two units before or
    after it, nearest first); None when there is none or `best` is one."""
    if not asks_how(question) or instructs(texts[best]):
        return None
    for i in (best - 1, best + 1, best - 2, best + 2):
        if 0 <= i < len(texts) and sources[i] == sources[best] and instructs(texts[i]):
            return i
    return None
