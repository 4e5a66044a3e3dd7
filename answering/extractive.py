"""The local generator: an extractive answer, honest about being one.

It writes no words of its own. It quotes the sentences of the retrieved passages that
best answer the question (cosine similarity with the local embedder plus overlap with the
question's terms), each followed by the number of its source, and streams them word by
word as a language model would.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import numpy as np

from docent.roles import Embedder, GenerationDone, Prompt, Source
from docent.search import analysis

MODEL = "docent-extractive (quotes the best sentences of your documents; no language model)"
_SENTENCE = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9À-ÖØ-Þ])|\n{2,}|\n(?=[-*•\d])")
_MAX_SENTENCES = 4
_MAX_CHARS = 900
_MAX_PER_SOURCE = 40
_LEXICAL_WEIGHT = 0.3
_FRAGMENT_PENALTY = 0.15
#: Sentences scoring this far below the best one are not worth quoting.
_RELATIVE_FLOOR = 0.2
#: Two sentences this similar say the same thing: quote one.
_REDUNDANT = 0.9


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    source: int
    position: int


def split_sentences(text: str) -> list[str]:
    parts = (" ".join(p.split()) for p in _SENTENCE.split(text))
    return [p for p in parts if len(p.split()) >= 3]


def lexical_overlap(question_terms: set[str], sentence: str) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & set(analysis.analyze(sentence))) / len(question_terms)


class ExtractiveGenerator:
    model = MODEL

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    async def stream(self, prompt: Prompt) -> AsyncIterator[str | GenerationDone]:
        chosen = await self.select(prompt.question, prompt.sources)
        for i, (sentence, index) in enumerate(chosen):
            words = sentence.split(" ")
            for j in range(0, len(words), 3):
                prefix = " " if i or j else ""
                yield prefix + " ".join(words[j : j + 3])
                await asyncio.sleep(0)
            yield f" [{index}]"
        yield GenerationDone(model=self.model)

    async def select(self, question: str, sources: Sequence[Source]) -> list[tuple[str, int]]:
        """The sentences to quote, best first, with their source numbers."""
        candidates = [
            _Candidate(sentence, source.index, position)
            for source in sources
            for position, sentence in enumerate(
                split_sentences(source.hit.chunk.text)[:_MAX_PER_SOURCE]
            )
        ]
        if not candidates:
            return []
        texts = [c.text[:1000] for c in candidates]
        query = await self._embedder.embed_query(question)
        vectors = await self._embedder.embed_documents(texts)
        terms = set(analysis.query_terms(question))
        scores = (
            vectors @ query
            + _LEXICAL_WEIGHT * np.array([lexical_overlap(terms, t) for t in texts])
            # a sentence that starts in lower case is a fragment cut by a chunk boundary
            - _FRAGMENT_PENALTY * np.array([t[:1].islower() for t in texts], dtype=np.float32)
        )
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        picked: list[int] = []
        length = 0
        for i in order:
            if len(picked) >= _MAX_SENTENCES or scores[i] < best - _RELATIVE_FLOOR:
                break
            if any(float(vectors[i] @ vectors[j]) > _REDUNDANT for j in picked):
                continue
            if picked and length + len(candidates[i].text) > _MAX_CHARS:
                continue
            picked.append(int(i))
            length += len(candidates[i].text)
        return [(candidates[i].text, candidates[i].source) for i in picked]
