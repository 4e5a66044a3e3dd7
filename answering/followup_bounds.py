"""Bounds on what a follow-up's standalone question carries from the turns before it.

Each local rewrite reads the previous *standalone* question, which already carries the
turn before it in parentheses, so a long conversation passes its referents on: a tester's
40 turns of "What about the hotel limit in Berlin, variant N?" grew the standalone question
from 48 to 505 characters ("... variant 39 (Berlin, variant 38, variant 37, ...") and at
turn 128 of 2,000-character turns it passed the search's 4,000 characters, after which
every follow-up of the conversation was refused; alternating follow-ups ("And interns?",
"Is it paid?", "Who approves it?") piled up every earlier qualification and lost the
subject they were about. A referent names what the follow-up is about, which is a few
things, not the conversation's history: each parenthesised group the rewrite added keeps
its first MAX_CARRIED_ITEMS items (the earliest carried, the subject, comes first), and a
rewrite that still adds more than MAX_CARRIED_CHARS characters is not used.
"""

from __future__ import annotations

import re

#: Items (comma-separated phrases) one parenthesised referent keeps: the dev set's
#: follow-ups carry one to three ("annual leave, contractors"; "Tigon"; "rent, flat 7").
MAX_CARRIED_ITEMS = 4
#: Characters a rewrite may add to the question as asked (four items of a few words, and
#: a replaced or added qualification); past it the question is searched as asked.
MAX_CARRIED_CHARS = 300

_GROUP = re.compile(r"\(([^()]*)\)|（([^（）]*)）")
_SEPARATOR = re.compile(r"\s*[,;、،]\s*")


def bounded(standalone: str, question: str) -> str:
    """`standalone`, a rewrite of the follow-up `question`, with each parenthesised group
    that is not in `question` holding at most MAX_CARRIED_ITEMS distinct items (separated
    by commas, semicolons, "、" or "،"; the first ones kept, repeats dropped); `question`
    itself when the result is still more than MAX_CARRIED_CHARS characters longer than it."""

    def trimmed(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole in question:
            return whole
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        split = [i for i in _SEPARATOR.split(inner) if i]
        items = list(dict.fromkeys(split))
        if len(items) == len(split) <= MAX_CARRIED_ITEMS:
            return whole
        found = _SEPARATOR.search(inner)
        joiner = found.group(0).strip() if found else ","
        joiner = joiner + ("" if joiner in "、" else " ")
        kept = joiner.join(items[:MAX_CARRIED_ITEMS])
        return f"({kept})" if match.group(1) is not None else f"（{kept}）"

    result = _GROUP.sub(trimmed, standalone)
    return question if len(result) - len(question) > MAX_CARRIED_CHARS else result
