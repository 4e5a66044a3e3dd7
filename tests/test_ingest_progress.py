"""`docent ingest`'s estimate of the time left (cli/ingest_progress.py, Tally.eta), on runs
simulated with known costs: the trial's folder (issue 14), many small files and a few large
ones holding half the bytes but costing no more than a note, where the old estimate (the
larger of a per-file and a per-byte rate) was off by more than 2x; a folder whose files do
cost per byte; and the final line, which promises nothing."""

from __future__ import annotations

import random

import pytest

from docent.cli.ingest_progress import Tally

CONCURRENCY = 4


def simulate(costs: list[tuple[int, float]], done: int) -> tuple[Tally, float, float]:
    """A run of files `(bytes, seconds)` processed CONCURRENCY at once in this order, as a
    Tally after the first `done` finished; the time then and the true time left."""
    tally = Tally(files=len(costs), size=sum(size for size, _ in costs))
    tally.started = 0.0
    for size, seconds in costs[:done]:
        tally.finish(size, "READY", seconds)
    now = sum(seconds for _, seconds in costs[:done]) / CONCURRENCY
    left = sum(seconds for _, seconds in costs[done:]) / CONCURRENCY
    return tally, now, left


def old_eta(tally: Tally, now: float) -> float:
    """The estimate before issue 14: the larger of the by-files and by-bytes rates."""
    by_files = now / tally.done * (tally.files - tally.done)
    by_bytes = now / tally.done_bytes * (tally.size - tally.done_bytes)
    return max(by_files, by_bytes)


def test_small_files_then_large_ones_of_half_the_bytes() -> None:
    rng = random.Random(14)
    small = [(rng.randint(4_000, 6_000), rng.uniform(0.8, 1.2)) for _ in range(200)]
    large = [(100_000, rng.uniform(0.8, 1.2)) for _ in range(10)]  # 1 MB, as the 200 small
    for done in (50, 100, 150):
        tally, now, left = simulate(small + large, done)
        assert old_eta(tally, now) > 2 * left  # the case the trial met
        eta = tally.eta(now)
        assert eta is not None and eta == pytest.approx(left, rel=0.2), (done, eta, left)


def test_files_that_cost_per_byte() -> None:
    rng = random.Random(7)
    sizes = [rng.randint(10_000, 2_000_000) for _ in range(120)]
    costs = [(size, 0.3 + 2.0 * size / 1e6 * rng.uniform(0.9, 1.1)) for size in sizes]
    for done in (20, 60, 100):
        tally, now, left = simulate(costs, done)
        eta = tally.eta(now)
        assert eta is not None and eta == pytest.approx(left, rel=0.2), (done, eta, left)


def test_no_estimate_before_three_files_nor_on_the_final_line() -> None:
    tally, now, _ = simulate([(1_000, 1.0)] * 5, 2)
    assert tally.eta(now) is None and "ETA …" in tally.line(now + 1)
    tally, now, _ = simulate([(1_000, 1.0)] * 5, 5)
    assert "ETA" not in tally.line(now + 1)


def test_refused_files_are_neither_throughput_nor_work_left() -> None:
    tally = Tally(files=4, size=3_000 + 100_000_000)
    tally.started = 0.0
    for _ in range(3):
        tally.finish(1_000, "READY", 1.0)
    tally.finish(100_000_000, "REFUSED")
    assert tally.done_bytes == 3_000
    assert "0.00 MB/s" in tally.line(10.0) and "ETA" not in tally.line(10.0)
