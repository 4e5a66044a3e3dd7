"""The embedded engine's SQLite connections: one per thread of a small pool, in WAL mode
with sqlite-vec loaded. Reads run on any of them at once; writes one at a time, each in
an immediate transaction.

WAL mode lets the API process read while a worker process writes. The SQLite library is
the one bundled with `apsw` (FTS5 and loadable extensions on every platform).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence, Sized
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import apsw
import sqlite_vec

from docent.errors import SearchUnavailable

T = TypeVar("T")


class Database:
    """The SQLite file at `path`, used through `threads` connections."""

    def __init__(self, path: Path, *, threads: int = 4) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="docent-db")
        self._local = threading.local()
        self._connections: list[apsw.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_lock = asyncio.Lock()

    def _connection(self) -> apsw.Connection:
        conn: apsw.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = apsw.Connection(str(self.path))
            conn.set_busy_timeout(30_000)
            conn.enable_load_extension(True)
            conn.load_extension(sqlite_vec.loadable_path())
            conn.enable_load_extension(False)
            conn.pragma("journal_mode", "wal")
            conn.pragma("synchronous", "normal")
            conn.pragma("foreign_keys", True)
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    async def run(self, fn: Callable[[apsw.Connection], T]) -> T:
        """`fn(connection)` on a pool thread. Raises `SearchUnavailable` when the database
        is busy beyond the timeout (30 s) or cannot be used (missing, unreadable, full)."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, lambda: fn(self._connection()))
        except apsw.BusyError as exc:
            raise SearchUnavailable("the index is busy; try again") from exc
        except (apsw.CantOpenError, apsw.IOError, apsw.CorruptError, apsw.FullError) as exc:
            raise SearchUnavailable(f"the embedded index cannot be used: {exc}") from exc

    async def write(self, fn: Callable[[apsw.Connection], T]) -> T:
        """`run(fn)` in one immediate transaction, after the writes before it; rolled back
        if `fn` raises."""
        async with self._write_lock:
            return await self.run(lambda conn: _in_transaction(conn, fn))

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
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result
