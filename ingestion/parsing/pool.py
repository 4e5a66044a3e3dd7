"""A small pool of warm parse workers, reused across documents.

Forking a child per document cost ~0.6 s on an idle machine (several seconds on a busy
one) however small the file: the child re-ran the main module's imports and each parser
started cold. A pool worker is started once (forked by the fork server, which has the
parsers imported: `isolation.PRELOAD`) and parses document after document, each under:

- a deadline (the parent's): past it, the worker is killed, the document fails with
  TIMEOUT and a fresh worker takes the next document;
- a memory limit: before each parse the worker caps its address space (RLIMIT_AS) at what
  it maps plus the document's allowance; a MemoryError fails the document with TOO_LARGE,
  the kernel's out-of-memory kill or a crash (the worker dies) likewise, and the worker is
  replaced.

A worker is recycled (asked to exit, and replaced on demand) after `recycle_after`
documents, when its resident memory after a document is past `recycle_rss_mb` (a parser
that keeps memory, or a heap that fragments), and after any limit breach or crash, so that no state
left by one document reaches the next for long.

Workers and the fork server end when the process that owns the pool is gone, even killed
with SIGKILL mid-parse (`lifeline.py`): the deadline dies with the owner.
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
from dataclasses import dataclass, field
from functools import cache
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import psutil

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.fair_slots import FairSlots
from docent.ingestion.parsing.base import ParsedDocument, ParseLimits
from docent.ingestion.parsing.files import parse_file
from docent.ingestion.parsing.lifeline import die_with_parent

log = logging.getLogger(__name__)

#: Modules the fork server imports once, so that each worker starts warm.
PRELOAD = ["docent.ingestion.parsing.preload"]

OnProgress = Callable[[str, int, int], Awaitable[None]]
#: Awaited about every CHECK_EVERY_S while a worker parses; what it raises stops the parse
#: (the worker is killed and replaced) and reaches the caller.
Check = Callable[[], Awaitable[None]]
CHECK_EVERY_S = 1.0


@cache
def _fork_context() -> ForkServerContext:
    """The fork server's context, made (with its preload) once per process."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


@dataclass(frozen=True, slots=True)
class Isolation:
    """How much one parse may take: `timeout_s` seconds of wall time, `memory_mb` MB of
    address space beyond what the worker maps before it starts (DOCENT_PARSE_TIMEOUT_S,
    DOCENT_PARSE_MEMORY_MB)."""

    timeout_s: float = 900.0
    memory_mb: int = 2048
    #: The settings that set the two limits, named in the errors (page previews have theirs).
    timeout_setting: str = "DOCENT_PARSE_TIMEOUT_S"
    memory_setting: str = "DOCENT_PARSE_MEMORY_MB"


#: A job a worker runs: a module-level function (sent by reference) called with its
#: arguments and `progress=`, whose result is sent back whole.
Task = Callable[..., Any]


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    parses: int = 0
    #: Set when the worker must not take another document.
    spent: bool = False


@dataclass(eq=False)
class ParsePool:
    """Up to `size` parse workers (started on demand, kept warm); `parse` waits for a free
    one. `recycle_after`: documents a worker parses before it is replaced;
    `recycle_rss_mb`: resident memory, in MB, past which it is replaced after its current
    document."""

    size: int = 2
    recycle_after: int = 200
    recycle_rss_mb: int = 1024
    _idle: list[_Worker] = field(default_factory=list)
    _live: set[_Worker] = field(default_factory=set)
    #: The workers, shared fairly between users (`FairSlots`); made on first use, as
    #: `size` may be set after the pool is (`isolation.configure`).
    _slots: FairSlots | None = None
    #: How many workers were started (tests and benchmarks read it).
    started: int = 0

    async def parse(
        self,
        path: Path,
        mime_type: str,
        *,
        limits: ParseLimits,
        isolation: Isolation,
        on_progress: OnProgress | None = None,
        check: Check | None = None,
        user: str = "",
    ) -> ParsedDocument:
        """`parse_file` in a pool worker under `isolation`'s limits, for `user` (the
        document's owner: a free worker goes to the waiting parse whose user has fewest
        running, `FairSlots`). Raises IngestionError: TIMEOUT past the deadline, TOO_LARGE
        past the memory limit (or when the worker was killed by the kernel or crashed in
        C), CORRUPT when the parser failed otherwise, or the parser's own code; whatever
        `check` raises, after stopping the parse."""
        args = (str(path), mime_type, limits)
        result: ParsedDocument = await self.call(
            _parse_task, args, isolation=isolation, on_progress=on_progress, check=check,
            user=user,
        )  # fmt: skip
        return result

    async def call(
        self,
        task: Task,
        args: tuple[Any, ...],
        *,
        isolation: Isolation,
        on_progress: OnProgress | None = None,
        check: Check | None = None,
        user: str = "",
    ) -> Any:
        """`task(*args, progress=...)` in a pool worker under `isolation`'s limits (page
        previews render this way), waiting for a worker as `user`. Errors: as `parse`; an
        IngestionError the task raises reaches the caller with its code and message."""
        worker = await self._acquire(user)
        try:
            return await self._run(worker, task, args, isolation, on_progress, check)
        except BaseException:
            worker.spent = True  # stopped mid-parse: its state is unknown
            raise
        finally:
            await self._release(worker, user)

    async def warm(self) -> None:
        """Have one worker started and idle, ahead of the first call: the first worker of a
        process also starts the fork server, which imports the parsers (`PRELOAD`; ~13 s
        on a busy 2-core machine, BENCHMARKS.md "Page previews"). Waits like a call when
        every worker is busy; a pool already warm starts nothing."""
        worker = await self._acquire("")
        await self._release(worker, "")

    async def close(self) -> None:
        """Stop the idle workers (busy ones stop when their parse ends)."""
        idle, self._idle = self._idle, []
        self.size = 0
        for worker in idle:
            self._live.discard(worker)
            await _stop(worker)

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers alive now, idle or parsing."""
        return [w.process.pid for w in self._live if w.process.pid is not None]

    def _fair_slots(self) -> FairSlots:
        """The workers' slots, as many as `size` is now (at least one)."""
        if self._slots is None:
            self._slots = FairSlots(max(self.size, 1))
        elif self._slots.slots != max(self.size, 1):
            self._slots.resize(max(self.size, 1))
        return self._slots

    async def _acquire(self, user: str) -> _Worker:
        slots = self._fair_slots()
        await slots.acquire(user)
        try:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                self._live.discard(worker)
                await _stop(worker)
            return await asyncio.to_thread(self._start)
        except BaseException:
            slots.release(user)
            raise

    async def _release(self, worker: _Worker, user: str) -> None:
        keep = (
            not worker.spent
            and worker.parses < self.recycle_after
            and len(self._idle) < self.size
            and _rss_mb(worker) <= self.recycle_rss_mb
        )
        if keep:
            self._idle.append(worker)
        self._fair_slots().release(user)
        if not keep:
            self._live.discard(worker)
            await _stop(worker)

    def _start(self) -> _Worker:
        context = _fork_context()
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(target=_serve, args=(theirs,), name="docent-parse", daemon=True)
        process.start()
        theirs.close()
        self.started += 1
        worker = _Worker(process, ours)
        self._live.add(worker)
        return worker

    async def _run(
        self,
        worker: _Worker,
        task: Task,
        args: tuple[Any, ...],
        isolation: Isolation,
        on_progress: OnProgress | None,
        check: Check | None,
    ) -> Any:
        worker.parses += 1
        worker.conn.send((task, args, isolation.memory_mb, isolation.memory_setting))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + isolation.timeout_s
        next_check = loop.time() + CHECK_EVERY_S
        while True:
            if check is not None and loop.time() >= next_check:
                await check()
                next_check = loop.time() + CHECK_EVERY_S
            left = deadline - loop.time()
            if left <= 0:
                worker.spent = True
                raise IngestionError(
                    ErrorCode.TIMEOUT,
                    f"reading this file took longer than {isolation.timeout_s:g} s "
                    f"({isolation.timeout_setting}); it was stopped",
                )
            wait = min(left, next_check - loop.time()) if check is not None else left
            if not await _readable(worker, max(wait, 0.0)):
                continue
            try:
                # The result can be a whole document's elements: unpickled on a thread.
                message = await asyncio.to_thread(_receive, worker.conn)
            except (EOFError, OSError):
                worker.spent = True
                await asyncio.to_thread(worker.process.join, 5)
                raise _died(worker.process.exitcode, isolation) from None
            kind = message[0]
            if kind == "progress" and on_progress is not None:
                await on_progress(message[1], message[2], message[3])
            elif kind == "done":
                return message[1]
            elif kind == "failed":
                if message[1] == ErrorCode.TOO_LARGE.value:
                    worker.spent = True  # a limit breach: its heap may be in disorder
                raise IngestionError(ErrorCode(message[1]), message[2])
            elif kind == "crashed":
                worker.spent = True
                log.error("%s crashed on %s:\n%s", task.__name__, args[:1], message[1])
                raise IngestionError(
                    ErrorCode.CORRUPT,
                    "this file made the parser fail unexpectedly; it may be damaged",
                )


async def _readable(worker: _Worker, timeout: float) -> bool:
    """Wait until the worker has written (or closed its end, or died), at most `timeout`
    seconds, without holding a thread."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    fds = (worker.conn.fileno(), worker.process.sentinel)
    for fd in fds:
        loop.add_reader(fd, wake)
    try:
        await asyncio.wait_for(ready, timeout)
    except TimeoutError:
        return False
    finally:
        for fd in fds:
            loop.remove_reader(fd)
    # Readable, or the worker died (its sentinel fired): recv then says which.
    return True


def _receive(conn: Connection) -> Any:
    """The next message, read whole: uvloop's `add_reader` (`_readable`) leaves the pipe
    non-blocking, and a large result then ends in BlockingIOError halfway."""
    os.set_blocking(conn.fileno(), True)
    return conn.recv()


def _rss_mb(worker: _Worker) -> float:
    """The worker's resident memory now, in MB (infinite when it cannot be read: recycle)."""
    try:
        return float(psutil.Process(worker.process.pid).memory_info().rss) / 2**20
    except (psutil.Error, ValueError):
        return float("inf")


async def _stop(worker: _Worker) -> None:
    """Ask the worker to exit; kill it when it does not at once (it may be mid-parse)."""
    with contextlib.suppress(OSError, ValueError):
        worker.conn.close()
    if worker.process.is_alive():
        worker.process.kill()
    await asyncio.to_thread(worker.process.join, 10)


def _died(exitcode: int | None, isolation: Isolation) -> IngestionError:
    memory_signals = (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT)
    if exitcode is not None and exitcode < 0 and -exitcode in memory_signals:
        # SIGKILL: the kernel's out-of-memory killer; SIGSEGV, SIGABRT: a C or C++ library
        # whose allocation failed under the memory limit gave up (PDFium aborts)
        return IngestionError(
            ErrorCode.TOO_LARGE,
            f"reading this file needed more than the memory a document may use "
            f"({isolation.memory_mb} MB, {isolation.memory_setting}), or crashed the parser",
        )
    return IngestionError(
        ErrorCode.CORRUPT,
        f"the parser stopped on this file (exit code {exitcode}); it may be damaged",
    )


def _serve(conn: Connection) -> None:
    """A worker's life: take (task, arguments, memory MB, the memory setting's name), run
    the task under the memory limit, send progress then the result or the reason; until
    the pool closes its end, or its parent (the fork server, which ends with the pool's
    owner) is gone."""
    die_with_parent()
    while True:
        try:
            job: Any = conn.recv()
        except (EOFError, OSError):
            return
        task, args, memory_mb, memory_setting = job
        _limit_memory(memory_mb)
        try:
            _run_one(conn, task, args, memory_mb, memory_setting)
        finally:
            _unlimit_memory()


def _parse_task(
    path: str, mime_type: str, limits: ParseLimits, *, progress: Callable[[str, int, int], None]
) -> ParsedDocument:
    return parse_file(Path(path), mime_type, limits=limits, progress=progress)


def _run_one(
    conn: Connection, task: Task, args: tuple[Any, ...], memory_mb: int, memory_setting: str
) -> None:
    def progress(stage: str, done: int, total: int) -> None:
        conn.send(("progress", stage, done, total))

    try:
        result = task(*args, progress=progress)
        conn.send(("done", result))
    except IngestionError as exc:
        conn.send(("failed", exc.code.value, exc.message))
    except MemoryError:
        conn.send((
            "failed", ErrorCode.TOO_LARGE.value,
            f"reading this file needed more than {memory_mb} MB of memory "
            f"({memory_setting})",
        ))  # fmt: skip
    except Exception:
        conn.send(("crashed", traceback.format_exc(limit=20)))


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at what the worker already maps plus `memory_mb`: the
    preloaded libraries map a lot of virtual memory that costs nothing. The soft limit
    only: the next parse sets its own."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            pages = int(f.read().split()[0])
        current = pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        current = 0
    limit = current + memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):  # not permitted: the deadline still applies
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _unlimit_memory() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
