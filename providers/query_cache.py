"""The last questions' vectors, kept in memory by the local embedders: a question asked
again (a retry, the answer after its search, another user's same question) is not embedded
twice. Least recently used first out."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable

import numpy as np


class QueryCache:
    """Up to `size` query vectors, by query text."""

    def __init__(self, size: int = 1024) -> None:
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size

    async def get(self, text: str, embed: Callable[[str], Awaitable[np.ndarray]]) -> np.ndarray:
        """The vector of `text`, from the cache or from `embed(text)` (then kept)."""
        cached = self._vectors.get(text)
        if cached is not None:
            self._vectors.move_to_end(text)
            return cached
        vector = await embed(text)
        self._vectors[text] = vector
        if len(self._vectors) > self._size:
            self._vectors.popitem(last=False)
        return vector
