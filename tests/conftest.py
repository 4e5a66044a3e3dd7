from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from docent.search.embedded import EmbeddedBackend

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DOCENT_SHARED", REPO.parent / "shared"))
DATASETS = SHARED / "datasets"

DIM = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["embedded"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EmbeddedBackend]:
    """Every search backend, opened on an empty index with DIM-dimension vectors."""
    if request.param == "embedded":
        instance = EmbeddedBackend(tmp_path / "index" / "docent.sqlite3")
    else:  # pragma: no cover - backends added later
        raise AssertionError(request.param)
    await instance.open(model="test-model", dimension=DIM)
    try:
        yield instance
    finally:
        await instance.aclose()
