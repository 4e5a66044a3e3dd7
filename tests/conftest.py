from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from docent.search.embedded import EmbeddedBackend

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DOCENT_SHARED", REPO.parent / "shared"))
DATASETS = SHARED / "datasets"

DIM = 8

if TYPE_CHECKING:
    from servers import DocentServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def docent_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    """One real docent server process for the session (embedded mode, 2 MB upload limit),
    with every non-loopback connection refused and recorded."""
    from servers import running_server

    with running_server(tmp_path_factory.mktemp("server"), {"DOCENT_MAX_UPLOAD_MB": "2"}) as server:
        yield server
        # Nothing may have tried to reach the network: no model, no telemetry, no CDN.
        assert server.network_attempts() == [], server.network_attempts()


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
