"""Vectors for tests: the dimension of the search-backend fixtures, and unit vectors."""

from __future__ import annotations

import numpy as np

#: The dimension of the vectors in the `backend` fixtures' indexes (tests/conftest.py) and the
#: backend contract suite: small, so that a test writes its vectors by hand.
DIM = 8


def unit(*components: float, dimension: int | None = None) -> np.ndarray:
    """`components` scaled to length 1 (float32), padded with zeros to `dimension` if given."""
    vector = np.zeros(dimension or len(components), dtype=np.float32)
    vector[: len(components)] = components
    return vector / np.linalg.norm(vector)
