"""What the throwaway-service scripts (elasticsearch.py, clamd.py) share (stdlib only):
telling a live process from a dead one and stopping one; the service's directory, with the
state file a `start` leaves there; the detached watcher that stops a service once the
process that started it is gone; and the command line every such script has (`start`,
`run -- CMD`, `stop`, the watcher's `_watch`), with its error handling."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


def stop_process(pid: int, marker: bytes, grace: float, stranger: str) -> str:
    """Stop the service's process `pid` (SIGTERM, then SIGKILL after `grace` seconds) and say
    how it went. Failure, and nothing stopped, when its command line lacks `marker`: the pid
    is then `stranger`'s (say "not an Elasticsearch process"), reused by another program."""
    if not alive(pid):
        return "was not running"
    if not command_line_has(pid, marker):
        raise Failure(f"pid {pid} is {stranger}: not stopping it")
    return "killed (SIGKILL)" if kill(pid, grace) else "stopped"


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


@dataclass(frozen=True)
class ServiceDirectory:
    """The directory a service runs in (its config, data, socket, logs), and the two files a
    script keeps there: the state file `start` writes (the pid, the URLs...) and the mark of
    a directory `start` made itself, which `stop` then removes."""

    state_file: str
    created_mark: str
    what: str  # the service, in messages: "clamd", "node"

    def claim(self, given: str | None, *, prefix: str, parent: str | None = None) -> Path:
        """`given` (made if missing; Failure while the service started there still runs),
        else a new temporary directory (named `prefix`..., under `parent`, else TMPDIR),
        marked as made here."""
        if not given:
            work = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
            (work / self.created_mark).touch()
            return work
        work = Path(given).resolve()
        work.mkdir(parents=True, exist_ok=True)
        previous = read_state(work / self.state_file)
        if previous and alive(previous["pid"]):
            where = f", {previous['url']}" if "url" in previous else ""
            raise Failure(
                f"{work} already has a running {self.what} (pid {previous['pid']}{where})"
            )
        return work

    @contextlib.contextmanager
    def removed_on_failure(self, work: Path) -> Iterator[None]:
        """A failed (or interrupted) start leaves no directory it made behind."""
        try:
            yield
        except BaseException:
            self.remove_if_made(work)
            raise

    def record(self, work: Path, info: dict[str, Any], **extra: Any) -> None:
        """Write the state file: what `start` prints (`info`), whether the directory was made
        here, and `extra`."""
        state = {**info, "created": (work / self.created_mark).exists(), **extra}
        (work / self.state_file).write_text(json.dumps(state, indent=2) + "\n")

    def pid(self, work: Path) -> int:
        """The service's pid, from the state file; Failure without one."""
        state = read_state(work / self.state_file)
        if state is None:
            raise Failure(f"{work}: no {self.state_file}; no {self.what} was started there")
        pid: int = state["pid"]
        return pid

    def remove_if_made(self, work: Path) -> str:
        """Remove `work` if `start` made it: "; removed WORK", else ""."""
        if not (work / self.created_mark).exists():
            return ""
        shutil.rmtree(work, ignore_errors=True)
        return f"; removed {work}"


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


# --------------------------------------------------------------------------- the command line


def add_lifecycle(
    commands: Any, what: str, add_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    """The `start` and `run` subcommands (both with `add_options`'s options; `start` also
    takes --owner-pid, `run` the command) and the watcher's hidden `_watch OWNER DIRECTORY`.
    `commands` is the parser's `add_subparsers()`; `what` names the service in the help."""
    start = commands.add_parser("start", help=f"start {what}")
    run = commands.add_parser("run", help=f"start {what}, run CMD, stop")
    for sub in (start, run):
        add_options(sub)
    start.add_argument("--owner-pid", type=int, help="stop it once this process is gone")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARG...]")
    hidden = commands.add_parser("_watch")
    hidden.add_argument("owner", type=int)
    hidden.add_argument("directory", type=Path)


def command_to_run(words: list[str]) -> list[str]:
    """The CMD of `run [options] -- CMD [ARG...]`; Failure when there is none."""
    command = words[1:] if words[:1] == ["--"] else words
    if not command:
        raise Failure("run: no command given (run [options] -- CMD ...)")
    return command


def run_beside(
    command: list[str],
    info: dict[str, Any],
    env: dict[str, str],
    stop: Callable[[], str],
    note: Callable[[str], None],
) -> int:
    """`run`, once the service is started: print what `start` would (`info`) on stderr, run
    `command` with `env` added to the environment, then, however it ends, `stop()` the
    service and `note` what that says. SIGTERM and SIGHUP are passed on to the command (Ctrl-C
    reaches it by itself: same process group). The command's exit status: 128+N when signal
    N ended it, 127 when it is not found."""
    print(json.dumps(info), file=sys.stderr, flush=True)
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, frame: object) -> None:
        if signum != signal.SIGINT and child is not None and child.poll() is None:
            child.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        child = subprocess.Popen(command, env={**os.environ, **env})
        code = child.wait()
    except FileNotFoundError:
        note(f"run: {command[0]}: command not found")
        code = 127
    finally:
        note(stop())
    return 128 - code if code < 0 else code


def exit_status(note: Callable[[str], None], action: Callable[[], int | None]) -> int:
    """`action()`'s exit status (None: 0). A Failure is noted, without a traceback, as
    status 1; Ctrl-C is 130."""
    try:
        return action() or 0
    except Failure as error:
        note(f"error: {error}")
        return 1
    except KeyboardInterrupt:
        return 130
