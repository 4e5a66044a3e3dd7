"""What the throwaway-service scripts (elasticsearch.py, clamd.py) share: telling a live
process from a dead one, stopping one, reading the state file a `start` leaves, and the
detached watcher that stops a service once the process that started it is gone
(stdlib only)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class Failure(Exception):
    """An error for a person: printed without a traceback."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie nobody reaped yet is dead to us
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def command_line_has(pid: int, marker: bytes) -> bool:
    """Whether process `pid`'s command line holds `marker` (so that a pid reused by
    another program is never stopped); true when that cannot be told."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not alive(pid)  # gone already, or no /proc: nothing to tell
    except OSError:
        return True
    return marker in command


def kill(pid: int, grace: float) -> bool:
    """SIGTERM, then SIGKILL after `grace` seconds. True if it had to be killed."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not alive(pid):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


def tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def read_state(path: Path) -> dict[str, Any] | None:
    """The state file a `start` wrote (it names the service's pid), or None."""
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("pid"), int) else None


def watch(script: str, owner: int, directory: Path) -> None:
    """Start `script _watch OWNER DIRECTORY` detached: it stops the service once the process
    `owner` is gone (a test run killed before its teardown must not leave one behind)."""
    subprocess.Popen(
        [sys.executable, str(Path(script).resolve()), "_watch", str(owner), str(directory)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def watch_loop(owner: int, state_file: Path, stop: Callable[[int], object]) -> None:
    """The watcher's body: wait while `owner` lives, then `stop(pid)` the service unless it
    was stopped the ordinary way."""
    state = read_state(state_file)
    if state is None:
        return
    while alive(owner):
        if not alive(state["pid"]):
            return  # stopped the ordinary way
        time.sleep(1)
    if alive(state["pid"]):
        stop(state["pid"])
