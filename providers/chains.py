"""Fallback chains: a role (DOCENT_RERANKER, DOCENT_GENERATOR) served by the first of its
members that is available, in the order configured (`gemini,cohere,local`).

A member that fails before it has produced anything (down, out of quota, refusing the key,
its circuit open: the codes in `FALLBACK_CODES`) is skipped, and the result says which was
skipped and why. Once a member has produced output, its failure ends the call: switching
models in the middle of an answer would repeat or contradict what the reader already has.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import TypeVar

from docent.errors import FALLBACK_CODES, DocentError, ProviderFailure, ProviderUnavailable
from docent.providers.resilience import close_stream
from docent.roles import GenerationDone, Generator, Prompt, Reranker

log = logging.getLogger(__name__)

M = TypeVar("M")
T = TypeVar("T")


async def first_available(
    role: str,
    members: Sequence[M],
    name: Callable[[M], str],
    open_stream: Callable[[M], AsyncIterator[T]],
    skipped: list[ProviderFailure],
    *,
    may_run_out: bool = False,
) -> AsyncGenerator[tuple[M, T], None]:
    """The items of the first member's stream that does not fail before its first item,
    each with that member. Members skipped are appended to `skipped`. When every member
    failed: ends without an item if `may_run_out` (a chain ending in `none`), else the last
    member's error is raised."""
    for position, member in enumerate(members):
        last = position == len(members) - 1 and not may_run_out
        started = False
        stream = open_stream(member)
        try:
            async for item in stream:
                started = True
                yield member, item
            return
        except DocentError as exc:
            if started or last or exc.code not in FALLBACK_CODES:
                raise
            log.warning("%s %s failed (%s); trying the next", role, name(member), exc.code)
            skipped.append(ProviderFailure.of(name(member), exc))
        finally:
            await close_stream(stream)
    if not may_run_out:
        raise ProviderUnavailable(f"no {role} is available")  # pragma: no cover


class GeneratorChain:
    """Generators tried in order (DOCENT_GENERATOR=gemini,cohere,local)."""

    def __init__(self, members: Sequence[Generator]) -> None:
        if not members:
            raise ValueError("a fallback chain needs at least one generator")
        self.members = list(members)
        self.model = self.members[0].model

    async def stream(self, prompt: Prompt) -> AsyncIterator[str | GenerationDone]:
        skipped: list[ProviderFailure] = []
        chain = first_available(
            "generator", self.members, lambda g: g.model, lambda g: g.stream(prompt), skipped
        )
        async with aclosing(chain):
            async for _, item in chain:
                if isinstance(item, GenerationDone):
                    item = GenerationDone(item.model, item.usage, fallbacks=tuple(skipped))
                yield item


@dataclass(frozen=True, slots=True)
class Reranked:
    scores: list[float] | None  # None: every reranker failed and the chain ends in `none`
    by: str | None
    fallbacks: tuple[ProviderFailure, ...] = ()


class RerankerChain:
    """Rerankers tried in order (DOCENT_RERANKER=cohere,local,none); with `none_last`, the
    fused order is kept when every reranker fails."""

    def __init__(self, members: Sequence[Reranker], *, none_last: bool) -> None:
        if not members:
            raise ValueError("a reranker chain needs at least one reranker")
        self.members = list(members)
        self.none_last = none_last

    @property
    def name(self) -> str:
        return ",".join([m.name for m in self.members] + (["none"] if self.none_last else []))

    async def rerank(self, query: str, texts: list[str]) -> Reranked:
        async def scores(member: Reranker) -> AsyncIterator[list[float]]:
            yield await member.rerank(query, texts)

        skipped: list[ProviderFailure] = []
        chain = first_available(
            "reranker", self.members, lambda r: r.name, scores, skipped, may_run_out=self.none_last
        )
        async with aclosing(chain):
            async for member, result in chain:
                return Reranked(result, member.name, tuple(skipped))
        return Reranked(None, None, tuple(skipped))
