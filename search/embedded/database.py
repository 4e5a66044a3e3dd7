"""The embedded engine's SQLite connections: one per thread of a small pool, in WAL mode
with sqlite-vec loaded. Reads run on any of them at once; writes one at a time, each in
an immediate transaction.

WAL mode lets the API process read while a worker process writes. The SQLite library is
the one bundled with `apsw` (FTS5 and loadable extensions on every platform).

A damaged file (SQLite's SQLITE_NOTADB and SQLITE_CORRUPT: a broken header, a truncated
file, a malformed page) is not an outage that passes: the first call that meets it records
it and logs what to do, that call and every later write raise `IndexCorrupt` (writing to a
damaged database can spread the damage), and `damage` makes readiness fail. SQLite
reports those only for a file that is not as it wrote it (a bad disk, a stray write, a
copy taken while it was written); sqlite-vec never does, and FTS5 only when its own
records disagree.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence, Sized
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import apsw
import sqlite_vec

from docent.errors import IndexCorrupt, SearchUnavailable

T = TypeVar("T")

log = logging.getLogger(__name__)


class Database:
    """The SQLite file at `path`, used through `threads` connections."""

    def __init__(self, path: Path, *, threads: int = 4) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="docent-db")
        self._local = threading.local()
        self._connections: list[apsw.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_lock = asyncio.Lock()
        #: What SQLite said when a call first met damage in the file (None: none met).
        self.damage: str | None = None

    def _connection(self) -> apsw.Connection:
        conn: apsw.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = apsw.Connection(str(self.path))
            try:
                conn.set_busy_timeout(30_000)
                conn.enable_load_extension(True)
                conn.load_extension(sqlite_vec.loadable_path())
                conn.enable_load_extension(False)
                conn.pragma("journal_mode", "wal")
                conn.pragma("synchronous", "normal")
                conn.pragma("foreign_keys", True)
            except BaseException:
                conn.close()  # a file that is not a database fails here
                raise
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    async def run(self, fn: Callable[[apsw.Connection], T]) -> T:
        """`fn(connection)` on a pool thread. Raises `IndexCorrupt` when the file is
        damaged, and `SearchUnavailable` when the database is busy beyond the timeout
        (30 s) or cannot be used now (missing, unreadable, read-only, full)."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, lambda: fn(self._connection()))
        except apsw.BusyError as exc:
            raise SearchUnavailable("the index is busy; try again") from exc
        except (apsw.NotADBError, apsw.CorruptError) as exc:
            raise self.damaged(str(exc)) from exc
        except (apsw.CantOpenError, apsw.IOError, apsw.ReadOnlyError, apsw.FullError) as exc:
            raise SearchUnavailable(f"the embedded index cannot be used: {exc}") from exc

    async def write(self, fn: Callable[[apsw.Connection], T]) -> T:
        """`run(fn)` in one immediate transaction, after the writes before it; rolled back
        if `fn` raises. Refused with `IndexCorrupt` once damage has been met."""
        async with self._write_lock:
            if self.damage is not None:
                raise self.damaged(self.damage)
            return await self.run(lambda conn: _in_transaction(conn, fn))

    def damaged(self, damage: str) -> IndexCorrupt:
        """The error for `damage` (what SQLite found), recorded and logged with what to do
        the first time."""
        error = IndexCorrupt(
            damage,
            remedy=f"Stop docent, then restore {self.path} from a backup; or move it aside, "
            "with its -wal and -shm files, to start with an empty index and upload the "
            "documents again.",
        )
        if self.damage is None:
            self.damage = damage
            log.error("the embedded index is damaged (%s). %s", damage, error.remedy)
        return error

    def close(self) -> None:
        """Wait for the calls under way, then close every connection."""
        self._executor.shutdown(wait=True)
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()


def scalar(conn: apsw.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row (None without a row)."""
    row = conn.execute(sql, tuple(params)).fetchone()
    return None if row is None else row[0]


def marks(values: Sized) -> str:
    """One `?` placeholder per value, for an `IN (...)` list."""
    return ", ".join("?" * len(values))


def _in_transaction(conn: apsw.Connection, fn: Callable[[apsw.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
    except BaseException:
        if conn.in_transaction:  # SQLite rolls some failures back itself (I/O, full disk)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result
