"""Embedding through a provider: texts in batches the provider accepts, a few batches at
a time, each call resilient, every vector checked before it can reach an index; and a cache
in Redis keyed by model and content hash, so re-uploads and reindexing do not pay twice."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence

import numpy as np
from redis.asyncio import Redis

from docent.providers.base import MalformedAnswer, batches, gather_bounded
from docent.providers.resilience import Resilient
from docent.redis_keys import KEYS
from docent.roles import Embedder, check_vectors

log = logging.getLogger(__name__)

#: Embeds one batch: texts, and whether they are documents (True) or a query (False).
EmbedBatch = Callable[[Sequence[str], bool], Awaitable[list[list[float]]]]


class ProviderEmbedder:
    """An `Embedder` over a provider's batch call."""

    #: No cosine floor measured for Cohere's or Gemini's embeddings (`docent eval` ran
    #: without access to them): their similarity alone never grounds an answer; a calibrated
    #: reranker or keyword evidence does, or DOCENT_MIN_RELEVANCE when you set it.
    similarity_floor: float | None = None

    def __init__(
        self,
        *,
        model: str,
        dimension: int,
        embed_batch: EmbedBatch,
        resilient: Resilient,
        max_batch: int,
        concurrency: int,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.model = model
        self.dimension = dimension
        self._embed_batch = embed_batch
        self._resilient = resilient
        self._max_batch = max_batch
        self._concurrency = concurrency
        self._close = close
        #: Texts the ingestion pipeline hands over at once: enough for every slot.
        self.document_batch = max_batch * concurrency

    async def _checked(self, texts: Sequence[str], documents: bool) -> np.ndarray:
        async def once() -> np.ndarray:
            rows = await self._embed_batch(texts, documents)
            if len(rows) != len(texts):
                raise MalformedAnswer(
                    f"{self.model} returned {len(rows)} vectors for {len(texts)} texts"
                )
            try:
                return check_vectors(np.asarray(rows, dtype=np.float32), self.dimension)
            except ValueError as exc:  # ragged rows, a wrong dimension, NaN, a zero vector
                raise MalformedAnswer(f"{self.model} returned unusable vectors: {exc}") from exc

        return await self._resilient.call(once)

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = await gather_bounded(
            [
                lambda part=part: self._checked(part, True)  # type: ignore[misc]
                for part in batches(texts, self._max_batch)
            ],
            self._concurrency,
        )
        return np.concatenate(parts)

    async def embed_query(self, text: str) -> np.ndarray:
        vectors: np.ndarray = await self._checked([text], False)
        return vectors[0]

    async def aclose(self) -> None:
        if self._close is not None:
            await self._close()


class CachedEmbedder:
    """Any embedder, with each vector kept in Redis under its model, dimension, role and
    text hash. A cache that fails is skipped, never a reason to fail."""

    def __init__(self, inner: Embedder, redis: Redis, *, ttl_s: int = 30 * 24 * 3600) -> None:
        self._inner = inner
        self._redis = redis
        self._ttl_s = ttl_s
        self.model = inner.model
        self.dimension = inner.dimension
        self.similarity_floor = getattr(inner, "similarity_floor", None)
        self.cross_language_floor = getattr(inner, "cross_language_floor", None)
        self.languages = getattr(inner, "languages", None)
        self.document_batch = getattr(inner, "document_batch", 0)
        self.hits = 0
        self.misses = 0

    def _key(self, text: str, role: str) -> str:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        return KEYS.embedding(self.model, self.dimension, role, digest)

    async def _get(self, keys: list[str]) -> list[bytes | None]:
        try:
            values: list[bytes | None] = await self._redis.mget(keys)
            return values
        except Exception:
            log.warning("embedding cache unavailable; embedding without it", exc_info=True)
            return [None] * len(keys)

    async def _put(self, items: dict[str, np.ndarray]) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, vector in items.items():
                    pipe.set(key, vector.astype(np.float32).tobytes(), ex=self._ttl_s)
                await pipe.execute()
        except Exception:
            log.warning("could not store embeddings in the cache", exc_info=True)

    def _decode(self, raw: bytes | None) -> np.ndarray | None:
        if raw is None or len(raw) != self.dimension * 4:
            return None
        return np.frombuffer(raw, dtype=np.float32)

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(t, "document") for t in texts]
        found = [self._decode(raw) for raw in await self._get(keys)] if texts else []
        missing = [i for i, v in enumerate(found) if v is None]
        # The same text twice in one call is embedded once.
        unique: dict[str, list[int]] = {}
        for i in missing:
            unique.setdefault(texts[i], []).append(i)
        self.hits += len(texts) - len(missing)
        self.misses += len(unique)
        if unique:
            vectors = await self._inner.embed_documents(list(unique))
            fresh: dict[str, np.ndarray] = {}
            for positions, vector in zip(unique.values(), vectors, strict=True):
                for i in positions:
                    found[i] = vector
                fresh[keys[positions[0]]] = vector
            await self._put(fresh)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([v for v in found if v is not None])

    async def embed_query(self, text: str) -> np.ndarray:
        key = self._key(text, "query")
        cached = self._decode((await self._get([key]))[0])
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        vector = await self._inner.embed_query(text)
        await self._put({key: vector})
        return vector

    async def aclose(self) -> None:
        await self._inner.aclose()
