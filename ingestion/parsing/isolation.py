"""Parsing out of the worker's process, under a time limit and a memory limit.

A malformed file can make a parser loop, recurse or allocate without bound. Each document is
parsed by a warm worker of a small pool (`pool.py`), forked from a server process that has
already imported the parsers: the worker caps its address space for the document, the
parent holds the deadline. On either, the document fails with TIMEOUT or TOO_LARGE, that
worker is replaced, and the next document parses on a fresh one.

One pool per process (`shared_pool`), sized by the ingestion worker's concurrency
(`configure`): a parse waits for a free worker, which goes to the waiting parse whose
user (the document's owner) has fewest running (`FairSlots`).
"""

from __future__ import annotations

from pathlib import Path

from docent.ingestion.parsing.base import ParsedDocument, ParseLimits
from docent.ingestion.parsing.pool import (
    CHECK_EVERY_S,
    PRELOAD,
    Check,
    Isolation,
    OnProgress,
    ParsePool,
)

__all__ = [
    "CHECK_EVERY_S",
    "PRELOAD",
    "Check",
    "Isolation",
    "OnProgress",
    "ParsePool",
    "configure",
    "parse_isolated",
    "shared_pool",
]

_shared = ParsePool()


def shared_pool() -> ParsePool:
    """The process's parse pool."""
    return _shared


def configure(*, workers: int, recycle_after: int, recycle_rss_mb: int) -> ParsePool:
    """Size the process's pool (`ParsePool`'s fields); workers already started stay."""
    _shared.size = max(workers, 1)
    _shared.recycle_after = recycle_after
    _shared.recycle_rss_mb = recycle_rss_mb
    return _shared


async def parse_isolated(
    path: Path,
    mime_type: str,
    *,
    limits: ParseLimits,
    isolation: Isolation,
    on_progress: OnProgress | None = None,
    check: Check | None = None,
    pool: ParsePool | None = None,
    user: str = "",
) -> ParsedDocument:
    """`parse_file` in a worker of `pool` (the process's, by default), waiting for one as
    `user` (workers are shared fairly between users); its progress reports reach
    `on_progress`, and `check` is awaited about every CHECK_EVERY_S (the job's "is my
    document still there"). Errors: `ParsePool.parse`."""
    return await (pool or _shared).parse(
        path, mime_type, limits=limits, isolation=isolation, on_progress=on_progress,
        check=check, user=user,
    )  # fmt: skip
