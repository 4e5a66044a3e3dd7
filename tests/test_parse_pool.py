"""The warm parse pool (`ingestion/parsing/pool.py`): workers are reused across documents
and recycled after N documents or on memory; a hung parse, a memory bomb, a crashed worker
or a stopped job fail only their own document, with their code, and the next document
parses on a fresh worker."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from docent.errors import ErrorCode, IngestionError
from docent.ingestion.parsing import ParseLimits, sniffing
from docent.ingestion.parsing import pool as pool_module
from docent.ingestion.parsing.isolation import Isolation, ParsePool

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
async def pool() -> AsyncIterator[ParsePool]:
    pool = ParsePool(size=1)
    yield pool
    await pool.close()


def note(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(f"{text}\n\nA short note about {name}, with a few words.\n")
    return path


async def words(pool: ParsePool, path: Path, mime: str = sniffing.TEXT, **limits: float) -> str:
    parsed = await pool.parse(
        path,
        mime,
        limits=ParseLimits(),
        isolation=Isolation(**limits),  # type: ignore[arg-type]
    )
    return " ".join(e.text for e in parsed.elements)


async def expect(code: ErrorCode, pool: ParsePool, path: Path, mime: str, **limits: float) -> None:
    with pytest.raises(IngestionError) as info:
        await words(pool, path, mime, **limits)
    assert info.value.code is code, info.value.message


def long_scan(path: Path) -> Path:
    """A page of text whose OCR takes seconds."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (2400, 3200), "white")
    font = ImageFont.load_default(size=40)
    draw = ImageDraw.Draw(image)
    for line in range(60):
        draw.text((40, 40 + 52 * line), f"Line {line}: invoice 4711 is overdue, pay", font=font)
    image.save(path)
    return path


async def test_one_worker_parses_document_after_document(tmp_path: Path, pool: ParsePool) -> None:
    await words(pool, note(tmp_path, "warm.txt", "Warm up"))
    started = time.perf_counter()
    for i in range(10):
        assert f"Note {i}" in await words(pool, note(tmp_path, f"n{i}.txt", f"Note {i}"))
    # ten documents on the worker that is already warm: no process per document
    assert pool.started == 1
    assert len(pool.pids) == 1
    # (a fork per document took ~0.6 s each on an idle machine)
    assert time.perf_counter() - started < 10 * 0.6


async def test_a_worker_is_recycled_after_n_documents(tmp_path: Path) -> None:
    pool = ParsePool(size=1, recycle_after=2)
    try:
        pids = set()
        for i in range(5):
            await words(pool, note(tmp_path, f"n{i}.txt", f"Note {i}"))
            pids |= set(pool.pids)
        assert pool.started == 3  # documents 1-2, 3-4, 5
        assert len(pids) == 3
    finally:
        await pool.close()


async def test_a_worker_over_its_memory_bound_is_recycled(tmp_path: Path) -> None:
    pool = ParsePool(size=1, recycle_rss_mb=1)  # every worker is over 1 MB after a parse
    try:
        for i in range(3):
            await words(pool, note(tmp_path, f"n{i}.txt", f"Note {i}"))
        assert pool.started == 3
    finally:
        await pool.close()


async def test_a_hung_parse_fails_alone_and_the_next_runs_on_a_fresh_worker(
    tmp_path: Path, pool: ParsePool
) -> None:
    await words(pool, note(tmp_path, "first.txt", "First"))
    first = pool.pids
    image = long_scan(tmp_path / "scan.png")  # OCR: far longer than 0.05 s
    await expect(ErrorCode.TIMEOUT, pool, image, sniffing.PNG, timeout_s=0.05)
    assert not set(first) & set(pool.pids)  # the worker was killed
    assert "Next" in await words(pool, note(tmp_path, "next.txt", "Next"))
    assert pool.started == 2


async def test_a_memory_bomb_fails_alone_and_the_next_runs_on_a_fresh_worker(
    tmp_path: Path, pool: ParsePool
) -> None:
    await words(pool, note(tmp_path, "first.txt", "First"))
    big = tmp_path / "big.txt"
    big.write_text(("many words in a long line " * 40 + "\n") * 40_000)
    await expect(ErrorCode.TOO_LARGE, pool, big, sniffing.TEXT, memory_mb=32)
    # the limit was the document's: the next one, on a new worker, has the default
    assert "Next" in await words(pool, note(tmp_path, "next.txt", "Next"))
    assert pool.started == 2


async def test_a_killed_worker_fails_only_its_document(tmp_path: Path, pool: ParsePool) -> None:
    image = long_scan(tmp_path / "scan.png")
    parsing = asyncio.Event()

    async def progress(stage: str, done: int, total: int) -> None:
        parsing.set()

    parse = asyncio.create_task(
        pool.parse(
            image, sniffing.PNG, limits=ParseLimits(), isolation=Isolation(), on_progress=progress
        )
    )
    await parsing.wait()
    os.kill(pool.pids[0], signal.SIGKILL)
    with pytest.raises(IngestionError) as info:
        await parse
    assert info.value.code is ErrorCode.TOO_LARGE  # SIGKILL: as the out-of-memory killer's
    assert "Next" in await words(pool, note(tmp_path, "next.txt", "Next"))
    assert pool.started == 2


async def test_a_stopped_job_stops_its_parse(
    tmp_path: Path, pool: ParsePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Gone(Exception):
        pass

    # Checked well within the parse however fast the machine reads the page (its OCR
    # takes about a second on an idle machine, the default check interval).
    monkeypatch.setattr(pool_module, "CHECK_EVERY_S", 0.05)

    checks = 0

    async def check() -> None:
        nonlocal checks
        checks += 1
        raise Gone

    image = long_scan(tmp_path / "long.png")
    with pytest.raises(Gone):
        await pool.parse(
            image, sniffing.PNG, limits=ParseLimits(), isolation=Isolation(), check=check
        )
    assert checks == 1
    assert pool.pids == []  # the worker mid-parse was killed
    assert "Next" in await words(pool, note(tmp_path, "next.txt", "Next"))


async def test_parses_beyond_the_pool_size_wait_for_a_worker(tmp_path: Path) -> None:
    pool = ParsePool(size=2)
    try:
        paths = [note(tmp_path, f"n{i}.txt", f"Note {i}") for i in range(6)]
        texts = await asyncio.gather(*(words(pool, p) for p in paths))
        assert [f"Note {i}" in t for i, t in enumerate(texts)] == [True] * 6
        assert pool.started <= 2
    finally:
        await pool.close()


def test_a_large_result_arrives_whole_under_uvloop(tmp_path: Path) -> None:
    """`docent serve` runs on uvloop, whose `add_reader` left the pipe non-blocking: a
    result larger than the pipe's buffer failed halfway (BlockingIOError), and every large
    document FAILED with CORRUPT ("exit code None")."""
    import uvloop

    path = tmp_path / "long.txt"
    path.write_text(
        "\n\n".join(f"Paragraph {i} says something about topic {i * 7}. " * 8 for i in range(3000))
    )

    async def main() -> int:
        pool = ParsePool(size=1)
        try:
            return len(await words(pool, path))
        finally:
            await pool.close()

    assert uvloop.run(main()) > 1_000_000


OWNER = """
import asyncio, multiprocessing.forkserver, sys
sys.path.insert(0, sys.argv[1])
from spin import spin
from docent.ingestion.parsing.isolation import Isolation, ParsePool

async def main():
    pool = ParsePool(size=2)
    started = 0
    both = asyncio.Event()

    async def progress(stage, done, total):
        nonlocal started
        started += 1
        if started == 2:
            both.set()

    for _ in range(2):
        asyncio.create_task(
            pool.call(spin, (600,), isolation=Isolation(timeout_s=900), on_progress=progress)
        )
    await both.wait()
    server = multiprocessing.forkserver._forkserver._forkserver_pid
    print(" ".join(map(str, [server, *pool.pids])), flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""

SPIN = """
import time

def spin(seconds, *, progress):
    progress("parsing", 0, 1)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.01)
"""


def test_workers_and_the_fork_server_end_when_the_owner_is_killed(tmp_path: Path) -> None:
    """After `kill -9` of `docent serve`, the fork server and the busy parse workers kept
    running (parent 1), parsing with no deadline (the dead owner held it) while the
    restarted server parsed the same documents again. Killed mid-parse, the owner takes
    its workers and fork server with it within seconds."""
    import subprocess
    import sys

    import psutil

    (tmp_path / "spin.py").write_text(SPIN)
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None
        pids = [int(p) for p in owner.stdout.readline().split()]
        assert len(pids) == 3, pids  # the fork server, two busy workers
        assert all(psutil.pid_exists(p) for p in pids)
    finally:
        owner.kill()
        owner.wait()

    def alive(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in pids if alive(p)]
    for pid in left:  # no process of the test outlives it
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"still running after their owner was killed: {left} of {pids}"
