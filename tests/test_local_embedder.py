"""The local MiniLM embedder's onnxruntime session does not spin while idle (it shares the
cores with the parse workers and the API: benchmarks/embedder_spin.py), and a vector does
not depend on that setting."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from docent.providers.local_embedder import LocalEmbedder

SPINNING = "session.intra_op.allow_spinning"


def test_the_session_waits_without_spinning_and_gives_the_same_vectors(tmp_path: Path) -> None:
    cache = tmp_path / "models"  # the quantised model is made here once, as in a data dir
    quiet = LocalEmbedder(cache_dir=cache)
    busy = LocalEmbedder(cache_dir=cache, spinning=True)
    assert quiet._session.get_session_options().get_session_config_entry(SPINNING) == "0"
    assert busy._session.get_session_options().get_session_config_entry(SPINNING) == "1"
    texts = ["Parental leave is sixteen weeks.", "The tank holds 12,500 litres."]
    assert np.allclose(quiet.embed_sync(texts), busy.embed_sync(texts), atol=1e-6)
