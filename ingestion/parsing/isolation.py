"""Parsing in a child process, under a time limit and a memory limit.

A malformed file can make a parser loop, recurse or allocate without bound. Each document is
parsed in its own process, forked from a server process that has already imported the
parsers (so a parse starts in milliseconds, not seconds): the child gets an address-space
limit, the parent a deadline. On either, the child dies, the document fails with TIMEOUT
or TOO_LARGE, and the worker goes on with the next job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from pathlib import Path

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.parsing.base import ParsedDocument, ParseLimits
from docent.ingestion.parsing.files import parse_file

log = logging.getLogger(__name__)

#: Modules the fork server imports once, so that each child starts warm.
PRELOAD = ["docent.ingestion.parsing.preload"]


@cache
def _fork_context() -> ForkServerContext:
    """The fork server's context, made (with its preload) once per process."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


@dataclass(frozen=True, slots=True)
class Isolation:
    """How much a parse may take."""

    timeout_s: float = 900.0
    memory_mb: int = 2048


OnProgress = Callable[[str, int, int], Awaitable[None]]
#: Awaited about every CHECK_EVERY_S while the child parses; what it raises stops the
#: parse (the child is killed) and reaches the caller.
Check = Callable[[], Awaitable[None]]
CHECK_EVERY_S = 1.0


async def parse_isolated(
    path: Path,
    mime_type: str,
    *,
    limits: ParseLimits,
    isolation: Isolation,
    on_progress: OnProgress | None = None,
    check: Check | None = None,
) -> ParsedDocument:
    """`parse_file` in a child process; its progress reports reach `on_progress`, and
    `check` is awaited about every CHECK_EVERY_S (the job's "is my document still there")."""
    context = _fork_context()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        args=(send, str(path), mime_type, limits, isolation.memory_mb),
        name="docent-parse",
        daemon=True,
    )
    await asyncio.to_thread(child.start)
    send.close()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + isolation.timeout_s
    next_check = loop.time() + CHECK_EVERY_S
    try:
        while True:
            if check is not None and loop.time() >= next_check:
                await check()
                next_check = loop.time() + CHECK_EVERY_S
            left = deadline - loop.time()
            if left <= 0:
                raise IngestionError(
                    ErrorCode.TIMEOUT,
                    f"reading this file took longer than {isolation.timeout_s:g} s "
                    "(DOCENT_PARSE_TIMEOUT_S); it was stopped",
                )
            ready = await asyncio.to_thread(receive.poll, min(left, 0.5))
            if not ready:
                if not child.is_alive() and not receive.poll():
                    raise _died(child.exitcode, isolation)
                continue
            try:
                # The result can be a whole document's elements: unpickled on a thread.
                message = await asyncio.to_thread(receive.recv)
            except EOFError:
                await asyncio.to_thread(child.join, 5)
                raise _died(child.exitcode, isolation) from None
            kind = message[0]
            if kind == "progress" and on_progress is not None:
                await on_progress(message[1], message[2], message[3])
            elif kind == "done":
                return message[1]
            elif kind == "failed":
                raise IngestionError(ErrorCode(message[1]), message[2])
            elif kind == "crashed":
                log.error("parser crashed on %s:\n%s", path.name, message[1])
                raise IngestionError(
                    ErrorCode.CORRUPT,
                    "this file made the parser fail unexpectedly; it may be damaged",
                )
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        await asyncio.to_thread(child.join, 10)


def _died(exitcode: int | None, isolation: Isolation) -> IngestionError:
    if exitcode is not None and exitcode < 0 and -exitcode in (signal.SIGKILL, signal.SIGSEGV):
        # SIGKILL: the kernel's out-of-memory killer; SIGSEGV: a C extension gave up
        return IngestionError(
            ErrorCode.TOO_LARGE,
            f"reading this file needed more than the memory a document may use "
            f"({isolation.memory_mb} MB, DOCENT_PARSE_MEMORY_MB), or crashed the parser",
        )
    return IngestionError(
        ErrorCode.CORRUPT,
        f"the parser stopped on this file (exit code {exitcode}); it may be damaged",
    )


def _child(
    conn: Connection, path: str, mime_type: str, limits: ParseLimits, memory_mb: int
) -> None:
    """Runs in the child: limit memory, parse, send the result or the reason."""
    _limit_memory(memory_mb)

    def progress(stage: str, done: int, total: int) -> None:
        conn.send(("progress", stage, done, total))

    try:
        parsed = parse_file(Path(path), mime_type, limits=limits, progress=progress)
        conn.send(("done", parsed))
    except IngestionError as exc:
        conn.send(("failed", exc.code.value, exc.message))
    except MemoryError:
        conn.send((
            "failed", ErrorCode.TOO_LARGE.value,
            f"reading this file needed more than {memory_mb} MB of memory "
            "(DOCENT_PARSE_MEMORY_MB)",
        ))  # fmt: skip
    except BaseException:
        conn.send(("crashed", traceback.format_exc(limit=20)))
    finally:
        conn.close()


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at what the process already maps plus `memory_mb`: the
    preloaded libraries map a lot of virtual memory that costs nothing."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            pages = int(f.read().split()[0])
        current = pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        current = 0
    limit = current + memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):  # not permitted: the deadline still applies
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
