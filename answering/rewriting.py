"""The standalone question of a follow-up: what docent searches for, caches under, and
shows (`Answer.standaloneQuestion`). The local rewrite (`followup.py`) is deterministic and
always there; a language-model rewrite falls back to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from docent.answering.followup import standalone_question
from docent.errors import ProviderFailure
from docent.roles import Usage

if TYPE_CHECKING:
    from docent.answering.conversation import PastTurn


@dataclass(frozen=True, slots=True)
class Rewrite:
    """The question to search for, and what making it cost: `usage` is the tokens of a
    model's call (None for the local rewrite), `fallbacks` the providers that failed."""

    question: str
    usage: Usage | None = None
    fallbacks: tuple[ProviderFailure, ...] = ()


class Rewriter(Protocol):
    async def rewrite(self, question: str, history: Sequence[PastTurn]) -> Rewrite:
        """`question` as a standalone question, given the earlier turns (oldest first);
        `question` itself when there are none."""
        ...


class LocalRewriter:
    """The deterministic rewrite (`followup.standalone_question`)."""

    async def rewrite(self, question: str, history: Sequence[PastTurn]) -> Rewrite:
        previous = [turn.standalone_question for turn in history]
        return Rewrite(standalone_question(question, previous))
