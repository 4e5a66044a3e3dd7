"""Embedding the chunks of concurrent documents together.

Each ingestion job embeds its own chunks, but a small document has one or two: called one
document at a time, the embedder pays its per-call cost (a thread hop, tokenizer set-up, a
provider's HTTP request) per document. The batcher queues the texts of every job that
asks, and while one embedder call runs, the texts that arrive meanwhile wait and go
together into the next call (up to `max_texts`), so no request waits on a timer: an idle
embedder takes a lone document at once.

Each caller gets exactly the vectors of its own texts, in order: an embedder embeds each
text on its own (the local one runs one passage per ONNX call; providers embed each input
independently), so a text's vector does not depend on its neighbours in the call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np

from docent.coalescing import Coalescer
from docent.roles import Embedder


@dataclass(eq=False)
class _Request:
    texts: list[str]
    done: asyncio.Future[np.ndarray]


@dataclass(eq=False)
class EmbeddingBatcher(Coalescer[_Request]):
    """Coalesces `embed_documents` calls of concurrent jobs into calls of `embedder` of at
    most `max_texts` texts (a request larger than that goes alone, whole)."""

    embedder: Embedder
    max_texts: int = 64
    #: Embedder calls made, and texts embedded (benchmarks read them).
    calls: int = 0
    texts: int = 0

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        """The vectors of `texts`, shape (len(texts), dimension), in order. Raises what the
        embedder raised for the call that held them."""
        if not texts:
            return await self.embedder.embed_documents(texts)
        request = _Request(list(texts), asyncio.get_running_loop().create_future())
        result: np.ndarray = await self._submit(request)
        return result

    def _fits(self, taken: list[_Request], request: _Request) -> bool:
        return sum(len(r.texts) for r in taken) + len(request.texts) <= self.max_texts

    async def _call(self, batch: list[_Request]) -> list[np.ndarray]:
        texts = [t for r in batch for t in r.texts]
        vectors = await self.embedder.embed_documents(texts)
        self.calls += 1
        self.texts += len(texts)
        parts, start = [], 0
        for r in batch:
            parts.append(np.asarray(vectors[start : start + len(r.texts)]))
            start += len(r.texts)
        return parts
