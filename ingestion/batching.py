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
import contextlib
from dataclasses import dataclass, field

import numpy as np

from docent.roles import Embedder


@dataclass(eq=False)
class _Request:
    texts: list[str]
    done: asyncio.Future[np.ndarray]


@dataclass(eq=False)
class EmbeddingBatcher:
    """Coalesces `embed_documents` calls of concurrent jobs into calls of `embedder` of at
    most `max_texts` texts (a request larger than that goes alone, whole)."""

    embedder: Embedder
    max_texts: int = 64
    _queue: list[_Request] = field(default_factory=list)
    _drain: asyncio.Task[None] | None = None
    #: Embedder calls made, and texts embedded (benchmarks read them).
    calls: int = 0
    texts: int = 0

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        """The vectors of `texts`, shape (len(texts), dimension), in order. Raises what the
        embedder raised for the call that held them."""
        if not texts:
            return await self.embedder.embed_documents(texts)
        loop = asyncio.get_running_loop()
        request = _Request(list(texts), loop.create_future())
        self._queue.append(request)
        if self._drain is None or self._drain.done() or self._drain.get_loop() is not loop:
            self._drain = asyncio.create_task(self._run(), name="docent-embedding-batcher")
        return await request.done

    async def _run(self) -> None:
        while self._queue:
            batch = self._take()
            wanted = [r for r in batch if not r.done.done()]  # callers that gave up
            if not wanted:
                continue
            texts = [t for r in wanted for t in r.texts]
            try:
                vectors = await self.embedder.embed_documents(texts)
            except Exception as exc:
                for r in wanted:
                    if not r.done.done():
                        r.done.set_exception(exc)
                continue
            except asyncio.CancelledError:
                for r in wanted:
                    r.done.cancel()
                raise
            self.calls += 1
            self.texts += len(texts)
            start = 0
            for r in wanted:
                part = np.asarray(vectors[start : start + len(r.texts)])
                start += len(r.texts)
                if not r.done.done():
                    r.done.set_result(part)

    def _take(self) -> list[_Request]:
        """The oldest requests that fit in one call (at least one)."""
        taken = [self._queue.pop(0)]
        size = len(taken[0].texts)
        while self._queue and size + len(self._queue[0].texts) <= self.max_texts:
            size += len(self._queue[0].texts)
            taken.append(self._queue.pop(0))
        return taken

    async def aclose(self) -> None:
        """Stop the call in flight (its callers get CancelledError)."""
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
