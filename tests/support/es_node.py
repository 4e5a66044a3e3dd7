"""A real Elasticsearch node for the tests, from scripts/elasticsearch.py.

`running_node()` yields the node's URL: DOCENT_TEST_ELASTICSEARCH_URL when set (a node someone
else runs: checked, used, never stopped), else a node of its own, fetched, started and stopped
at the end. When no node can be had, the run fails under CI (CI=true or 1) and the test is
skipped elsewhere, with the reason.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "elasticsearch.py"
EXTERNAL_URL = "DOCENT_TEST_ELASTICSEARCH_URL"

FETCH_TIMEOUT = 1800.0  # a cold download of ~100 MB on a slow link
START_TIMEOUT = 240.0  # 2 shared cores under a parallel test load


class NodeUnavailable(RuntimeError):
    """No Elasticsearch node could be had."""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def unavailable(reason: str) -> None:
    """Fail under CI, skip elsewhere."""
    if in_ci():
        raise NodeUnavailable(f"{reason}\n(CI is set: a missing Elasticsearch node fails the run)")
    pytest.skip(f"no Elasticsearch node: {reason}")


def _script(*args: str, timeout: float) -> str:
    try:
        result = subprocess.run(
            [sys.executable, str(SCRIPT), *args],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise NodeUnavailable(
            f"scripts/elasticsearch.py {args[0]} took over {timeout:.0f} s"
        ) from None
    if result.returncode != 0:
        raise NodeUnavailable(
            f"scripts/elasticsearch.py {args[0]} failed:\n{result.stderr.strip()}"
        )
    return result.stdout


def start_node(heap: str = "512m") -> dict[str, object]:
    """Fetch (once) and start a node that stops by itself if this process dies first."""
    _script("fetch", timeout=FETCH_TIMEOUT)
    out = _script(
        "start", "--heap", heap, "--timeout", str(START_TIMEOUT), "--owner-pid", str(os.getpid()),
        timeout=START_TIMEOUT + 120,
    )  # fmt: skip
    return dict(json.loads(out.strip().splitlines()[-1]))


def stop_node(info: dict[str, object]) -> None:
    _script("stop", "--data", str(info["data"]), timeout=120)


def _check(url: str) -> None:
    try:
        response = httpx.get(f"{url}/_cluster/health", timeout=10)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise NodeUnavailable(f"{EXTERNAL_URL}={url} does not answer: {error}") from None


@contextmanager
def running_node() -> Iterator[str]:
    """The URL of a live node, for as long as the `with` lasts."""
    external = os.environ.get(EXTERNAL_URL, "").strip().rstrip("/")
    try:
        if external:
            _check(external)
        else:
            info = start_node()
    except NodeUnavailable as error:
        unavailable(str(error))
        raise  # not reached: unavailable() raises
    if external:
        yield external
        return
    try:
        yield str(info["url"])
    finally:
        stop_node(info)


def elasticsearch_url(request: pytest.FixtureRequest | None = None) -> str:
    """`running_node()` without a `with`: stopped at the end of the request's scope (or of the
    process when there is no request)."""
    stack = ExitStack()
    url = stack.enter_context(running_node())
    if request is not None:
        request.addfinalizer(stack.close)
    else:
        atexit.register(stack.close)
    return url


def is_external() -> bool:
    """Whether the node is someone else's (DOCENT_TEST_ELASTICSEARCH_URL), not one started here."""
    return bool(os.environ.get(EXTERNAL_URL, "").strip())
