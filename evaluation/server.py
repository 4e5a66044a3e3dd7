"""The docent that `docent eval` measures when no `--url` is given: a real `docent serve`
child process on a free loopback port, over a data directory of its own.

Its docent settings come from the caller only (`settings`: what `--env NAME=VALUE` says),
never from the DOCENT_ variables of the caller's environment nor from a `.env` file (the
child runs in the data directory), so that a report says exactly what was measured.
Everything else in the environment is inherited, provider keys (COHERE_API_KEY,
GEMINI_API_KEY) included. Rate limits are off and authentication is `none` unless
`settings` say otherwise.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

#: What the measured server runs with unless `settings` say otherwise: a measurement must
#: not be throttled by the limits meant for strangers, and it talks to itself on loopback.
DEFAULTS = {"DOCENT_RATE_LIMITS": "off", "DOCENT_AUTH": "none"}
#: Generous: a first start also derives the local model's int8 graph, on a machine that
#: may be busy.
START_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 30.0
LOG_NAME = "eval-server.log"
#: Logged at DEBUG by the measured server: each answer's evidence record, which the eval
#: reads back from the log (`gates.py`).
EVIDENCE_LOGGER = "docent.answering"


class ServerError(RuntimeError):
    """The server did not start: the message says why (from `EmbeddedServer`, followed by
    its log's last lines)."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 at the time of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_ready(
    process: subprocess.Popen[bytes], base_url: str, timeout_s: float = START_TIMEOUT_S
) -> None:
    """Until the docent that `process` runs answers `GET base_url/readyz` with 200. Raises
    ServerError when the process exits first, or after `timeout_s` seconds."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise ServerError(f"docent serve exited with status {code}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2.0, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise ServerError(f"docent serve was not ready within {timeout_s:.0f} s")


class EmbeddedServer:
    """`docent serve` over `data_dir` (created if missing), from `start()` (or `with`) until
    `stop()`: `url` is its GraphQL endpoint. Its output goes to `data_dir/eval-server.log`,
    with the `EVIDENCE_LOGGER`'s DEBUG records."""

    def __init__(self, data_dir: Path, settings: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.settings = {**DEFAULTS, **(settings or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self.log_path = data_dir / LOG_NAME
        self._process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        """The child's environment: ours without DOCENT_ variables, then `settings`."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCENT_")}
        env.update(self.settings)
        env["DOCENT_DATA_DIR"] = str(self.data_dir.resolve())
        return env

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """`launch`, then `wait_ready`."""
        self.launch()
        self.wait_ready(timeout_s)

    def launch(self) -> None:
        """Start the process (at once; it is not ready yet)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "docent.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning",
                   "--debug", EVIDENCE_LOGGER]  # fmt: skip
        with self.log_path.open("ab") as log:
            # Its own session: stop() ends it with the children it started (the embedded
            # Redis, the parser's fork server).
            self._process = subprocess.Popen(
                command, env=self.environment(), cwd=self.data_dir, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Until `/readyz` answers 200. Raises ServerError when the process exits (or is
        stopped meanwhile) or is not ready within `timeout_s` seconds (then it is stopped)."""
        if self._process is None:
            raise ServerError("docent serve was not launched")
        try:
            wait_until_ready(self._process, f"http://127.0.0.1:{self.port}", timeout_s)
        except ServerError as exc:
            self.stop()
            raise ServerError(f"{exc}{self._tail()}") from None

    def stop(self) -> None:
        """SIGTERM to the server's process group, SIGKILL if it has not ended in 30 s."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def _tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return f"; the end of {self.log_path}:\n" + "\n".join(text) if text else ""

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
