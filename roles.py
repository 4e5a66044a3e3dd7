"""The model roles docent uses (embedder, reranker, generator) and what passes between
them and their consumers: numbered sources, the grounded prompt, usage.

Providers implement these roles (`providers/`); search and answering consume them. Both
import this module and nothing of each other, so a provider never depends on how its
output is used, and a consumer never on which provider serves it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from docent.domain import Hit
from docent.errors import ProviderFailure


@runtime_checkable
class Embedder(Protocol):
    """Texts to vectors. Documents and queries may be embedded differently (asymmetric
    models such as Cohere's `input_type` or e5's prefixes)."""

    #: Recorded in the index: vectors of different models never mix.
    model: str
    dimension: int
    # An embedder may also declare `similarity_floor`, `cross_language_floor` and
    # `languages` (see the functions below): they are not members here, so that an
    # embedder without measured figures still fits.

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text: shape (len(texts), dimension)."""
        ...

    async def embed_query(self, text: str) -> np.ndarray:
        """One L2-normalised float32 vector of shape (dimension,)."""
        ...

    async def aclose(self) -> None: ...


class Reranker(Protocol):
    name: str
    #: The score from which a passage is relevant to the query, on this reranker's own
    #: calibrated scale, or None when its scores are not calibrated (a cosine, say). The
    #: not-found gate trusts a reranker's judgement only with it (answering/grounding.py).
    relevance_floor: float | None

    async def rerank(self, query: str, texts: list[str]) -> list[float]:
        """A relevance score per text (higher is better), in the order given."""
        ...


@dataclass(frozen=True, slots=True)
class Source:
    """A passage given to the generator under a number, `[index]` in the answer text."""

    index: int
    hit: Hit


@dataclass(frozen=True, slots=True)
class Prompt:
    """The grounded prompt answering builds for a question (`answering/prompting.py`)."""

    question: str
    system: str
    user: str
    sources: list[Source]  # the sources that fitted the budget, in rank order


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens a model read and wrote (as the provider counts them)."""

    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class GenerationDone:
    """The last item of a generator's stream: who wrote the answer, at what cost."""

    model: str
    usage: Usage | None = None
    #: Generators skipped before this one answered, and why.
    fallbacks: tuple[ProviderFailure, ...] = ()


class Generator(Protocol):
    #: Shown with every answer: which model (or method) wrote it.
    model: str

    def stream(self, prompt: Prompt) -> AsyncIterator[str | GenerationDone]:
        """Text deltas of the answer, citing `prompt.sources` as [n], then one
        `GenerationDone`."""
        ...


def similarity_floor(embedder: Embedder) -> float | None:
    """The cosine similarity (question, passage) from which a passage is evidence for an
    answer, as measured for `embedder`'s model (its `similarity_floor` attribute); None
    when nobody measured it. Read with getattr: an embedder may not declare one (test
    doubles, a new model), and then similarity alone never grounds an answer."""
    floor = getattr(embedder, "similarity_floor", None)
    return float(floor) if floor is not None else None


def cross_language_floor(embedder: Embedder) -> float | None:
    """The cosine similarity from which a passage in another language than the question's
    (same script) is evidence for an answer, as measured for `embedder`'s model (its
    `cross_language_floor` attribute); None when nobody measured it, and then such a
    passage is never evidence by similarity alone."""
    floor = getattr(embedder, "cross_language_floor", None)
    return float(floor) if floor is not None else None


def embedder_languages(embedder: Embedder) -> frozenset[str] | None:
    """ISO 639-1 codes of the languages `embedder`'s model was trained on (its `languages`
    attribute); its similarity is evidence only between texts in them. None: not
    declared, any language."""
    declared = getattr(embedder, "languages", None)
    return frozenset(declared) if declared is not None else None


def check_vectors(vectors: np.ndarray, dimension: int) -> np.ndarray:
    """`vectors` (n, dimension) L2-normalised as float32, refusing what must never reach an
    index (ValueError): the wrong shape, NaN or infinite values, a zero vector."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != dimension:
        raise ValueError(f"expected vectors of dimension {dimension}, got shape {vectors.shape}")
    if not np.all(np.isfinite(vectors)):
        raise ValueError("embedder returned NaN or infinite values")
    norms = np.linalg.norm(vectors, axis=1)
    if np.any(norms < 1e-6):
        raise ValueError("embedder returned a zero vector")
    return (vectors / norms[:, None]).astype(np.float32)
