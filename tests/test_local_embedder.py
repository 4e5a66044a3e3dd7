"""The local MiniLM embedder: a pool of onnxruntime sessions, which do not spin while idle (they share the cores with the parse workers and the API:
benchmarks/embedder_spin.py); a vector depends neither on that setting nor on the number
of sessions nor on its neighbours in a call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from docent.providers.local_embedder import LocalEmbedder
from docent.settings import usable_cores

SPINNING = "session.intra_op.allow_spinning"
TEXTS = [
    "Parental leave is sixteen weeks.",
    "The tank holds 12,500 litres.",
    "",
    "Vitamin D deficiency is associated with a higher risk of fractures in the elderly. " * 6,
    "Die Elternzeit beträgt sechzehn Wochen.",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")  # the quantised model is made here once


def test_the_sessions_wait_without_spinning_and_give_the_same_vectors(cache: Path) -> None:
    quiet = LocalEmbedder(cache_dir=cache)
    busy = LocalEmbedder(cache_dir=cache, spinning=True)
    for embedder, setting in ((quiet, "0"), (busy, "1")):
        for session in embedder._sessions:
            assert session.get_session_options().get_session_config_entry(SPINNING) == setting
            assert session.get_session_options().intra_op_num_threads == min(2, usable_cores())
    assert np.allclose(quiet.embed_sync(TEXTS), busy.embed_sync(TEXTS), atol=1e-6)


def test_a_vector_is_the_same_numbers_whatever_the_sessions_and_the_call(cache: Path) -> None:
    one = LocalEmbedder(cache_dir=cache, sessions=1, session_threads=1)
    three = LocalEmbedder(cache_dir=cache, sessions=3, session_threads=2)
    together = three.embed_sync(TEXTS)
    assert together.shape == (len(TEXTS), 384)
    assert np.array_equal(together, one.embed_sync(TEXTS))
    alone = np.vstack([three.embed_sync([text]) for text in TEXTS])
    assert np.array_equal(together, alone)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_the_passages_of_a_call_run_on_every_session_at_once(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = LocalEmbedder(cache_dir=cache, sessions=2)
    running, most = 0, 0
    lock = threading.Lock()

    def counted(run: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            try:
                time.sleep(0.02)  # long enough for the other session to start meanwhile
                return run(*args, **kwargs)
            finally:
                with lock:
                    running -= 1

        return wrapper

    for session in embedder._sessions:
        monkeypatch.setattr(session, "run", counted(session.run))
    assert embedder.embed_sync(TEXTS * 4).shape == (len(TEXTS) * 4, 384)
    assert most == 2
