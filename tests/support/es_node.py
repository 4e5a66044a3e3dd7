"""A real Elasticsearch node for the tests, from scripts/elasticsearch.py; and, as a pytest
plugin (`pytest_plugins` in tests/conftest.py), the session's node: the `es_url` fixture.

`running_node()` yields the node's URL: DOCENT_TEST_ELASTICSEARCH_URL when set (a node someone
else runs: checked, used, never stopped), else a node of its own, fetched, started and stopped
at the end. When no node can be had, the run fails under CI (CI=true or 1) and the test is
skipped elsewhere, with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from support.prerequisites import Unavailable, unavailable
from support.scripts import run_script, start_service

EXTERNAL_URL = "DOCENT_TEST_ELASTICSEARCH_URL"

FETCH_TIMEOUT = 1800.0  # a cold download of ~100 MB on a slow link
START_TIMEOUT = 240.0  # 2 shared cores under a parallel test load


def start_node(heap: str = "512m") -> dict[str, object]:
    """Fetch (once) and start a node that stops by itself if this process dies first:
    {"url", "pid", "data", "log"}. Unavailable when it cannot."""
    run_script("elasticsearch", "fetch", timeout=FETCH_TIMEOUT)
    return start_service(
        "elasticsearch", "--heap", heap, "--timeout", str(START_TIMEOUT),
        "--owner-pid", str(os.getpid()), timeout=START_TIMEOUT + 120,
    )  # fmt: skip


def stop_node(info: dict[str, object]) -> None:
    run_script("elasticsearch", "stop", "--data", str(info["data"]), timeout=120)


def _check(url: str) -> None:
    try:
        response = httpx.get(f"{url}/_cluster/health", timeout=10)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise Unavailable(f"{EXTERNAL_URL}={url} does not answer: {error}") from None


@contextmanager
def running_node() -> Iterator[str]:
    """The URL of a live node, for as long as the `with` lasts."""
    external = os.environ.get(EXTERNAL_URL, "").strip().rstrip("/")
    try:
        if external:
            _check(external)
        else:
            info = start_node()
    except Unavailable as error:
        unavailable("Elasticsearch node", str(error))
    if external:
        yield external
        return
    try:
        yield str(info["url"])
    finally:
        stop_node(info)


def is_external() -> bool:
    """Whether the node is someone else's (DOCENT_TEST_ELASTICSEARCH_URL), not one started here."""
    return bool(os.environ.get(EXTERNAL_URL, "").strip())


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    """The URL of a live Elasticsearch node, one for the whole session: skipped without one
    outside CI, a failure under CI."""
    with running_node() as url:
        yield url
