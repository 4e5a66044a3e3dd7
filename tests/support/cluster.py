"""The pieces of a docent cluster for the tests and benchmarks/load.py: a real
`redis-server` (Debian's package, installed by scripts/install --test) with its own
directory and AOF on, `docent worker` processes, the whole cluster (`running_cluster`), and
`/metrics` read back as numbers.

Every process started here imports docent the way the test process does: its PYTHONPATH is
kept (a worktree puts its package directory there; in a checkout the repository root is the
package, installed in the virtualenv), with the network guard in front.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from support.prerequisites import unavailable
from support.s3_server import S3Server
from support.scripts import free_port
from support.servers import NETGUARD, TEST_DEFAULTS, DocentServer

START_TIMEOUT = 30.0


def docent_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a docent process on `data_dir`: this one's, without DOCENT_*
    settings or proxies, with the test embedder, the network guard and `extra`."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and not k.startswith("DOCENT_")
    }  # fmt: skip
    env.update(TEST_DEFAULTS)
    env.update(
        DOCENT_DATA_DIR=str(data_dir),
        DOCENT_NETGUARD_LOG=str(data_dir / "netguard.log"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(NETGUARD), env.get("PYTHONPATH")])),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        DO_NOT_TRACK="true",
    )
    env.update(extra or {})
    return env


class WorkerProcess:
    """`docent worker` in a process group of its own, logging to `data_dir/worker.log`."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.log_path = data_dir / "worker.log"
        self._env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "docent.cli", "worker", "--log-level", "info"],
            env=docent_env(self.data_dir, self._env), stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_started(self, timeout: float = 300.0) -> None:
        """Returns once the worker polls the queue (arq logs "Starting worker" then)."""
        deadline = time.monotonic() + timeout
        while "Starting worker" not in self.log():
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the worker stopped:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start in {timeout:.0f} s")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-job, holding its lease."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def network_attempts(self) -> list[str]:
        guard = self.data_dir / "netguard.log"
        return [line for line in guard.read_text().splitlines() if line] if guard.exists() else []


@dataclass(frozen=True)
class RedisServer:
    url: str
    directory: Path


@contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    """Debian's `redis-server` on a free loopback port, its files in `directory`, the
    append-only file on (as docker-compose.yml runs it), stopped at the end."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server", "`redis-server` is not on PATH (scripts/install --test)")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
         "--daemonize", "no", "--logfile", str(directory / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (directory / "redis.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"redis-server did not start:\n{log}") from None
                time.sleep(0.05)
        yield RedisServer(f"redis://127.0.0.1:{port}/0", directory)
    finally:
        client.close()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Cluster:
    """Two `docent serve` processes (no in-process worker) and two `docent worker`
    processes, each on a data directory of its own, sharing one Elasticsearch node (index
    prefix `prefix`), one redis-server and one S3 bucket."""

    apis: list[DocentServer]
    workers: list[WorkerProcess]
    es_url: str
    prefix: str

    def logs(self) -> str:
        parts = [f"--- api {i + 1}\n{a.log()[-3000:]}" for i, a in enumerate(self.apis)]
        parts += [f"--- worker {i + 1}\n{w.log()[-3000:]}" for i, w in enumerate(self.workers)]
        return "\n".join(parts)

    def chunk_ordinals(self, document_id: str) -> list[int]:
        """The ordinals of the document's chunks in the chunks index (one per stored copy)."""
        index = f"{self.es_url}/{self.prefix}-chunks"
        httpx.post(f"{index}/_refresh", timeout=30).raise_for_status()
        response = httpx.post(
            f"{index}/_search",
            json={
                "query": {"term": {"document_id": document_id}},
                "size": 10000,
                "_source": ["ordinal"],
            },
            timeout=30,
        )
        response.raise_for_status()
        return sorted(hit["_source"]["ordinal"] for hit in response.json()["hits"]["hits"])


@contextmanager
def running_cluster(
    root: Path, es_url: str, s3: S3Server, bucket: str, env: dict[str, str] | None = None
) -> Iterator[Cluster]:
    """A `Cluster` under `root` (its redis-server included), with the settings `env`, for
    as long as the `with` lasts; it returns once both APIs answer and both workers poll."""
    prefix = f"cluster-{uuid.uuid4().hex[:10]}"
    with ExitStack() as stack:
        redis = stack.enter_context(redis_server(root / "redis"))
        settings = {
            "DOCENT_REDIS_URL": redis.url,
            "DOCENT_SEARCH_BACKEND": "elasticsearch",
            "DOCENT_ELASTICSEARCH_URL": es_url,
            "DOCENT_ELASTICSEARCH_INDEX_PREFIX": prefix,
            **s3.env(bucket, "files"),
            **(env or {}),
        }
        # API 1 first: it creates the indices, which the other three then only open (four
        # processes creating them at once cost Elasticsearch minutes on a busy machine)
        apis = [DocentServer(root / f"api-{n}", settings) for n in (1, 2)]
        workers = [WorkerProcess(root / f"worker-{n}", settings) for n in (1, 2)]
        for process in (*apis, *workers):
            stack.callback(process.stop)
        apis[0].start(timeout=240)
        for worker in workers:
            worker.start()
        apis[1].start(timeout=240)
        for worker in workers:
            worker.wait_started()
        yield Cluster(apis, workers, es_url, prefix)


def read_metrics(base_url: str) -> dict[str, float]:
    """`/metrics` as {"name{labels}": value}, comments left out."""
    response = httpx.get(f"{base_url}/metrics", timeout=30)
    response.raise_for_status()
    values: dict[str, float] = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values
