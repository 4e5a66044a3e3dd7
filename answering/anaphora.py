"""Sentences that point back at the one before them: a sentence opening with a pronoun or
a demonstrative goes on from the one before it ("Their leave arrangements are set out in
their service agreements." after "Contractors are not covered by this policy."), and one
holding a demonstrative early on ("If you are claiming on one of these policies, ...")
needs the one before it, which names what it points at. Quoted alone, either says half of
it (extractive.py quotes the pair)."""

from __future__ import annotations

__all__ = ["ANAPHORS", "continues", "refers_back"]

#: Words that open a sentence continuing the one before (en, de, fr, es).
ANAPHORS = frozenset(
    [
        "they",
        "their",
        "these",
        "this",
        "those",
        "its",
        "such",
        "sie",
        "ihre",
        "ihr",
        "diese",
        "dieser",
        "dieses",
        "dies",
        "ils",
        "elles",
        "leur",
        "leurs",
        "cette",
        "ces",
        "cela",
        "ceux",
        "ellos",
        "ellas",
        "su",
        "sus",
        "estos",
        "estas",
        "esto",
    ]
)


#: Demonstratives that point back at what the sentence before named ("one of these
#: policies", "diese Geräte", "ces pièces", "estos documentos"), in a sentence's first
#: `_BACK_REACH` words. Not "this", which as often names the document ("this policy"), nor
#: "such", which as often introduces examples ("emergencies such as a boiler breakdown").
_BACK = frozenset(
    [
        "these",
        "those",
        "diese",
        "dieser",
        "diesen",
        "ces",
        "ceux",
        "celles",
        "estos",
        "estas",
        "esos",
        "esas",
        "dichos",
        "dichas",
    ]
)
_BACK_REACH = 10


def refers_back(sentence: str) -> bool:
    """Whether `sentence` points back at what the sentence before it names (`_BACK`)."""
    return any(w.casefold().strip("\"'(«¿¡,;:") in _BACK for w in sentence.split()[:_BACK_REACH])


def continues(sentence: str) -> bool:
    """Whether `sentence` opens with a word that points back at the one before it ("Their
    leave arrangements are set out in their service agreements." after "Contractors are
    not covered by this policy."): quoted alone, the one before says half of it."""
    first = sentence.split(maxsplit=1)[0].casefold().strip("\"'(«¿¡") if sentence.strip() else ""
    return first in ANAPHORS
