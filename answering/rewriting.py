"""The standalone question of a follow-up: what docent searches for, caches under, and
shows (`Answer.standaloneQuestion`). The local rewrite (`followup.py`) is deterministic and
always there; a language-model rewrite falls back to it."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from docent.answering.followup import standalone_question
from docent.answering.followup_bounds import bounded
from docent.answering.prompting import CHARS_PER_TOKEN
from docent.errors import DocentError, ProviderFailure
from docent.roles import GenerationDone, Generator, Prompt, Usage

log = logging.getLogger(__name__)

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
        answer = history[-1].answer if history else None
        return Rewrite(bounded(standalone_question(question, previous, answer), question))


REWRITE_INSTRUCTIONS = """\
You rewrite the last question of a conversation about the user's documents as one \
standalone question that can be understood without the conversation: replace pronouns and \
fill in what an elliptical question leaves out from the earlier questions. Keep its \
language and wording otherwise; do not answer it. If it already stands alone, repeat it \
unchanged. Reply with the question only, on one line."""

TURN_SEPARATOR = "\n\n"
#: Where an earlier answer was cut to fit the rewrite's budget.
CUT = " [...]"

#: The longest standalone question a model may return, in characters (a longer reply is
#: not a question: the local rewrite is used).
MAX_REWRITE_CHARS = 1000


#: Words of a follow-up a rewrite must keep one of: in Chinese and Japanese, one Han
#: character or kana (words are not written apart); else letters, 4 or more (shorter ones
#: are mostly function words: "and", "for", "und", "et"), or a number.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_KEPT_WORD = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}]{{4,}}|\d+")


def keeps_words(question: str, rewritten: str) -> bool:
    """Whether a model's rewrite of `question` keeps one of its words (case-insensitive; see
    _KEPT_WORD): a standalone question fills in what a follow-up leaves out, it does not
    replace all of it. A reply that keeps none ("The documents do not answer this
    question.", an answer) is not a rewrite. A follow-up with no such word ("And it?")
    keeps any reply."""
    words = {w.casefold() for w in _KEPT_WORD.findall(question)}
    return not words or any(w.casefold() in words for w in _KEPT_WORD.findall(rewritten))


class ModelRewriter:
    """A short call to the language-model generators (Gemini, Cohere) with the recent turns,
    through their resilience policy and fallback chain; the local rewrite when every one of
    them fails or replies with no usable question (empty, longer than MAX_REWRITE_CHARS,
    or keeping none of the follow-up's words: `keeps_words`). Only follow-ups are sent: a first
    question is its own standalone question, at no cost."""

    def __init__(self, generator: Generator, *, max_tokens: int) -> None:
        """`generator`: the provider generators (never the local extractive one, which
        would quote a passage); `max_tokens` (DOCENT_CONVERSATION_REWRITE_TOKENS) bounds
        the earlier turns sent, newest first, at ~4 characters a token."""
        self._generator = generator
        self._max_chars = max_tokens * CHARS_PER_TOKEN
        self._local = LocalRewriter()

    async def rewrite(self, question: str, history: Sequence[PastTurn]) -> Rewrite:
        if not history:
            return Rewrite(question)
        prompt = Prompt(
            question=question,
            system=REWRITE_INSTRUCTIONS,
            user=self._user(question, history),
            sources=[],
        )
        parts: list[str] = []
        done: GenerationDone | None = None
        try:
            async for item in self._generator.stream(prompt):
                if isinstance(item, GenerationDone):
                    done = item
                else:
                    parts.append(item)
        except DocentError as exc:
            log.warning("the follow-up rewrite failed (%s); rewriting locally", exc.code)
            local = await self._local.rewrite(question, history)
            failure = ProviderFailure.of(self._generator.model, exc)
            return Rewrite(local.question, fallbacks=(failure,))
        rewritten = " ".join("".join(parts).split()).strip("\"'“”«» ")
        fallbacks = done.fallbacks if done else ()
        usage = done.usage if done else None
        if (
            not rewritten
            or len(rewritten) > MAX_REWRITE_CHARS
            or not keeps_words(question, rewritten)
        ):
            local = await self._local.rewrite(question, history)
            return Rewrite(local.question, usage=usage, fallbacks=fallbacks)
        return Rewrite(rewritten, usage=usage, fallbacks=fallbacks)

    def _user(self, question: str, history: Sequence[PastTurn]) -> str:
        """The recent turns, newest kept first within the budget (`_max_chars` for the
        earlier turns with their separators), then the question. The newest turn that does
        not fit whole keeps its question and the start of its answer, cut where the budget
        ends: a long answer does not hide the question a follow-up refers to. Older turns
        than it are left out."""
        turns: list[str] = []
        budget = self._max_chars
        for turn in reversed(history):
            text = f"Question: {turn.question}\nAnswer: {turn.answer}"
            cost = len(text) + (len(TURN_SEPARATOR) if turns else 0)
            if cost > budget:
                head = f"Question: {turn.question}\nAnswer: "
                room = budget - (cost - len(text)) - len(head) - len(CUT)
                if room > 0:
                    turns.insert(0, head + turn.answer[:room].rstrip() + CUT)
                break
            turns.insert(0, text)
            budget -= cost
        earlier = TURN_SEPARATOR.join(turns)
        return f"Conversation so far:\n\n{earlier}\n\nLast question: {question}"
