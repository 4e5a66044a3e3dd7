"""pytest plugin: the session's Elasticsearch node (see es_node.py). Wired from tests/conftest.py
with `pytest_plugins = ["conftest_es"]`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.es_node import running_node


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    """The URL of a live Elasticsearch node, one for the whole session: skipped without one
    outside CI, a failure under CI."""
    with running_node() as url:
        yield url
