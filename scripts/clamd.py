#!/usr/bin/env python3
"""A real, throwaway ClamAV daemon (clamd) for docent's tests and developers (stdlib only).

    scripts/clamd.py start [--dir DIR] [--port P] [--stream-max-length 1M] [--timeout S]
                           [--owner-pid PID]
    scripts/clamd.py stop --dir DIR [--pid PID] [--timeout S]
    scripts/clamd.py run [start options] -- CMD [ARG...]

clamd is Debian's (`apt-get install clamav-daemon`; CLAMD=/path/to/clamd for another one). It
runs with no ClamAV signatures at all (freshclam cannot download them here) but with a database
of one signature written at each start: the MD5 of the 68-byte EICAR anti-virus test file,
named `Docent.Test.EICAR` (clamd reports it as `Docent.Test.EICAR.UNOFFICIAL`). clamd refuses to
start with an empty database directory, hence this one. No malware, and not even the EICAR
string, is in this file: only its hash.

`start` writes clamd.conf into the directory (a new one under /tmp unless --dir), listens on
127.0.0.1:PORT (a free port unless --port) and on the unix socket DIR/clamd.sock, in the
foreground of a session of its own, waits until both answer PING, prints one JSON line
{"tcp_url", "unix_url", "pid", "dir", "log", "seconds_to_ready", "signature",
"stream_max_length"} on stdout and leaves clamd running. It runs as the user who starts it
(root included: no `User` line, so no socket or database permissions to arrange). `stop`
stops it and removes the directory if `start` made it. `run` starts clamd, runs CMD with
DOCENT_CLAMAV_URL set to the TCP address, then stops clamd.

The default directory is under /tmp on purpose: Debian's AppArmor profile for /usr/sbin/clamd
(enforced where AppArmor is on) lets it read and write /tmp/** but not, say, a home directory
or a TMPDIR elsewhere; and a unix socket path must stay under ~100 bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from supervise import (
    Failure,
    ServiceDirectory,
    add_lifecycle,
    command_to_run,
    exit_status,
    free_port,
    run_beside,
    stop_process,
    tail,
    watch,
    watch_loop,
)

# The EICAR test file (https://www.eicar.org): 68 bytes, MD5 44d88612fea8a8f36de82e1278abb02f.
EICAR_MD5 = "44d88612fea8a8f36de82e1278abb02f"
EICAR_SIZE = 68
SIGNATURE = "Docent.Test.EICAR"
REPORTED_SIGNATURE = f"{SIGNATURE}.UNOFFICIAL"  # clamd's suffix for a database of one's own

CONFIG = "clamd.conf"
SOCKET = "clamd.sock"
LOG = "clamd.log"
OUTPUT = "clamd.out"  # clamd's stdout and stderr
DIRECTORY = ServiceDirectory("docent-clamd.json", ".docent-clamd-created", what="clamd")
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS


def note(message: str) -> None:
    print(f"clamd.py: {message}", file=sys.stderr, flush=True)


def find_clamd() -> str:
    """$CLAMD, else clamd on PATH, else /usr/sbin/clamd (not on a plain user's PATH)."""
    candidates = [os.environ.get("CLAMD", ""), shutil.which("clamd") or "", "/usr/sbin/clamd"]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if os.environ.get("CLAMD"):
        raise Failure(f"CLAMD={os.environ['CLAMD']} is not an executable file")
    raise Failure(
        "clamd not found (not on PATH, not /usr/sbin/clamd): install it with "
        "`apt-get install clamav-daemon`, or set CLAMD=/path/to/clamd"
    )


def ping(address: str | tuple[str, int], timeout: float = 2.0) -> bool:
    """Whether clamd at a unix socket path or (host, port) answers zPING with PONG."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(address)
            sock.sendall(b"zPING\0")
            reply = b""
            while not reply.endswith(b"\0") and len(reply) < 100:
                block = sock.recv(100)
                if not block:
                    break
                reply += block
    except OSError:
        return False
    return reply == b"PONG\0"


def write_config(directory: Path, port: int, stream_max_length: str) -> None:
    database = directory / "db"
    database.mkdir(exist_ok=True)
    # An MD5 signature (.hdb): md5:size:name. It matches the whole stream, not a part of it.
    (database / "docent-test.hdb").write_text(f"{EICAR_MD5}:{EICAR_SIZE}:{SIGNATURE}\n")
    settings = {
        "Foreground": "yes",
        "DatabaseDirectory": str(database),
        "LocalSocket": str(directory / SOCKET),
        "LocalSocketMode": "660",
        "FixStaleSocket": "yes",
        "TCPSocket": str(port),
        "TCPAddr": "127.0.0.1",
        "PidFile": str(directory / "clamd.pid"),
        "LogFile": str(directory / LOG),
        "LogTime": "yes",
        "StreamMaxLength": stream_max_length,
        # What a stream over MaxFileSize/MaxScanSize gets is "OK" without a scan: keep them
        # above StreamMaxLength, as docent's deployment notes ask.
        "MaxFileSize": "100M",
        "MaxScanSize": "400M",
        "MaxThreads": "4",
        "SelfCheck": "0",  # no database reload checks: the database never changes
        "Bytecode": "no",
    }
    (directory / CONFIG).write_text(
        "# Written by scripts/clamd.py at each start.\n"
        + "".join(f"{key} {value}\n" for key, value in settings.items())
    )


def start(
    directory: str | None,
    port: int | None,
    stream_max_length: str,
    timeout: float,
    owner: int | None = None,
) -> dict[str, Any]:
    if not re.fullmatch(r"\d+[kKmM]?", stream_max_length):
        raise Failure(f"--stream-max-length {stream_max_length!r}: expected e.g. 1M, 512K, 4096")
    clamd = find_clamd()
    work = DIRECTORY.claim(directory, prefix="docent-clamd-", parent="/tmp")
    with DIRECTORY.removed_on_failure(work):
        if len(str(work / SOCKET).encode()) > MAX_SOCKET_PATH:
            raise Failure(f"{work / SOCKET} is too long for a unix socket: pick a shorter --dir")
        return launch(clamd, work, port or free_port(), stream_max_length, timeout, owner)


def launch(
    clamd: str, work: Path, port: int, stream_max_length: str, timeout: float, owner: int | None
) -> dict[str, Any]:
    write_config(work, port, stream_max_length)
    for name in (LOG, OUTPUT):
        (work / name).unlink(missing_ok=True)
    started = time.monotonic()
    with (work / OUTPUT).open("ab") as out:
        process = subprocess.Popen(
            [clamd, "--config-file", str(work / CONFIG)],
            cwd=work, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        while not (ping(str(work / SOCKET)) and ping(("127.0.0.1", port))):
            code = process.poll()
            if code is not None:
                raise Failure(f"clamd exited with status {code} while starting.\n{diagnose(work)}")
            if time.monotonic() - started > timeout:
                raise Failure(f"clamd did not answer PING within {timeout:g} s.\n{diagnose(work)}")
            time.sleep(0.05)
    except BaseException:
        if process.poll() is None:
            process.kill()
            process.wait()
        raise
    info = {
        "tcp_url": f"tcp://127.0.0.1:{port}",
        "unix_url": f"unix://{work / SOCKET}",
        "pid": process.pid,
        "dir": str(work),
        "log": str(work / LOG),
        "seconds_to_ready": round(time.monotonic() - started, 2),
        "signature": REPORTED_SIGNATURE,
        "stream_max_length": stream_max_length,
    }
    DIRECTORY.record(work, info)
    if owner is not None:
        watch(__file__, owner, work)
    return info


def diagnose(work: Path) -> str:
    parts = []
    for name in (OUTPUT, LOG):
        text = tail(work / name, 30)
        if text.strip():
            parts.append(f"--- last lines of {work / name} ---\n{text}")
    return "\n".join(parts) or f"(clamd wrote nothing in {work})"


def stop(pid: int | None, directory: str | None, grace: float) -> str:
    if not directory:
        raise Failure("stop --pid needs --dir too, to tell that the pid is this script's clamd")
    work = Path(directory).resolve()
    if pid is None:
        pid = DIRECTORY.pid(work)
    outcome = stop_process(pid, str(work / CONFIG).encode(), grace, f"not the clamd of {work}")
    return f"clamd pid {pid}: {outcome}{DIRECTORY.remove_if_made(work)}"


def run(options: argparse.Namespace) -> int:
    command = command_to_run(options.command)
    info = start(options.dir, options.port, options.stream_max_length, options.timeout)
    env = {"DOCENT_CLAMAV_URL": info["tcp_url"]}
    return run_beside(command, info, env, lambda: stop(info["pid"], info["dir"], grace=10), note)


def start_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--dir", help="for config, database, socket, log (default: new, /tmp)")
    sub.add_argument("--port", type=int, help="TCP port on 127.0.0.1 (default: a free one)")
    sub.add_argument(
        "--stream-max-length",
        default="1M",
        help="clamd's StreamMaxLength, the largest INSTREAM it takes (default: %(default)s)",
    )
    sub.add_argument(
        "--timeout", type=float, default=60, help="seconds to wait for PING (default: 60)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="action", required=True)
    add_lifecycle(commands, "clamd", start_options)
    sub = commands.add_parser("stop", help="stop a clamd started by `start`")
    sub.add_argument("--dir", help="the directory printed by `start`")
    sub.add_argument("--pid", type=int, help="the pid printed by `start` (with --dir)")
    sub.add_argument("--timeout", type=float, default=10, help="seconds before SIGKILL")
    options = parser.parse_args(argv)
    return exit_status(note, lambda: act(options))


def act(options: argparse.Namespace) -> int | None:
    if options.action == "start":
        info = start(
            options.dir, options.port, options.stream_max_length, options.timeout,
            options.owner_pid,
        )  # fmt: skip
        print(json.dumps(info), flush=True)
    elif options.action == "stop":
        if not options.dir and options.pid is None:
            raise Failure("stop: give --dir (or --pid with --dir)")
        note(stop(options.pid, options.dir, options.timeout))
    elif options.action == "run":
        return run(options)
    elif options.action == "_watch":
        watch_loop(
            options.owner, options.directory / DIRECTORY.state_file,
            lambda pid: stop(pid, str(options.directory), grace=10),
        )  # fmt: skip
    return None


if __name__ == "__main__":
    sys.exit(main())
