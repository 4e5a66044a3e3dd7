"""What `docent ingest` shows while it works: the overall throughput and an estimate of the
time left, and a bar for each file in flight (on a terminal), or plain lines (otherwise).

Progress is not what the command produces (that is the final table, on stdout), so it goes
to stderr. On a terminal it is a Rich live display: one bar for the whole run and one per
file being uploaded or processed (at most `--concurrency`, so a folder of thousands of
files never floods the screen); a file that fails is printed above the bars as it fails.
Elsewhere (a pipe, a log, CI) a live display would print nothing until the end, so each
finished file is one line, and the totals a line at most every `PLAIN_EVERY` seconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn
from rich.text import Text

from docent.cli.console import one_line, plain

#: Seconds between two totals lines in plain output.
PLAIN_EVERY = 5.0
#: Files that must have finished before an estimate of the time left is given: the first
#: files include the server's cold start (model loading), and one file says little.
MIN_FILES_FOR_ETA = 3
MB = 1_000_000
OK = ("READY", "QUEUED", "PROCESSING")


@dataclass
class Tally:
    """Counts of a run: files and bytes in all, finished, skipped (already READY), refused
    (never accepted: their bytes are neither throughput nor work left), failed; and the
    rates and estimate derived from them. Times are `time.monotonic()` seconds."""

    files: int
    size: int
    done: int = 0
    #: Bytes of the finished files the server accepted (READY, FAILED...): the throughput.
    done_bytes: int = 0
    refused_bytes: int = 0
    skipped: int = 0
    skipped_bytes: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)
    _fit: _CostFit = field(default_factory=lambda: _CostFit())

    def start(self) -> None:
        """Start the clock: the rates count from the first upload, not from hashing."""
        self.started = time.monotonic()

    def skip(self, size: int) -> None:
        self.skipped += 1
        self.skipped_bytes += size

    def finish(self, size: int, status: str, seconds: float | None = None) -> None:
        """One file done with `status`, `seconds` after its upload began (None: unknown)."""
        self.done += 1
        self.failed += status not in OK
        if status == "REFUSED":  # its bytes were not taken: no throughput, no work
            self.refused_bytes += size
            return
        self.done_bytes += size
        if seconds is not None:
            self._fit.add(size, seconds)

    def eta(self, now: float | None = None) -> float | None:
        """Seconds until the last file is done, or None before `MIN_FILES_FOR_ETA` files
        have finished, or when none is left.

        Each file costs `a + b * bytes` seconds, fitted (least squares) to the files done:
        a file's fixed cost (an upload, a job, a parse) and what grows with its size (text
        to chunk and embed). `b` is kept only when the files done show it (more than twice
        its standard error): a folder of small text files says nothing of what a large one
        costs, and extrapolating their noise made the old estimate (the larger of a
        per-file and a per-byte rate) 2-7x too long on folders whose large office files
        were half the bytes but cost no more than a note. The seconds of work left are
        divided by the run's parallelism so far (seconds of files done / seconds elapsed),
        since files are processed several at once."""
        left_files = self.files - self.skipped - self.done
        if self.done < MIN_FILES_FOR_ETA or left_files <= 0:
            return None if left_files > 0 else 0.0
        elapsed = (now or time.monotonic()) - self.started
        left_bytes = max(self.size - self.skipped_bytes - self.done_bytes - self.refused_bytes, 0)
        if self._fit.n < MIN_FILES_FOR_ETA:  # mostly refused: by files alone
            return max(elapsed / self.done * left_files, 0.0)
        per_file, per_byte = self._fit.costs()
        work = per_file * left_files + per_byte * left_bytes
        parallel = self._fit.seconds / elapsed if elapsed > 0 else 1.0
        return max(work / max(parallel, 1.0), 0.0)

    def line(self, now: float | None = None) -> str:
        """`12/500 files · 1.3 files/s · 0.42 MB/s · ETA 6m 15s` (skipped files are counted
        as done, but not in the rates: they cost nothing)."""
        now = now or time.monotonic()
        elapsed = max(now - self.started, 1e-9)
        parts = [f"{self.done + self.skipped}/{self.files} files"]
        if self.skipped:
            parts[0] += f" ({self.skipped} already READY)"
        if self.done:  # no rate before a file was uploaded (a resumed run may upload none)
            parts.append(f"{self.done / elapsed:.1f} files/s")
            parts.append(f"{self.done_bytes / MB / elapsed:.2f} MB/s")
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.done + self.skipped < self.files:  # nothing left: no time left to promise
            eta = self.eta(now)
            parts.append("ETA " + ("…" if eta is None else duration(eta)))
        return " · ".join(parts)


@dataclass
class _CostFit:
    """Running sums for the least-squares fit of a file's seconds on its size (in MB, which
    keeps the sums of squares well inside a float's precision)."""

    n: int = 0
    sx: float = 0.0
    sy: float = 0.0
    sxx: float = 0.0
    sxy: float = 0.0
    syy: float = 0.0

    @property
    def seconds(self) -> float:
        return self.sy

    def add(self, size: int, seconds: float) -> None:
        x = size / MB
        self.n += 1
        self.sx, self.sy = self.sx + x, self.sy + seconds
        self.sxx, self.sxy, self.syy = (
            self.sxx + x * x,
            self.sxy + x * seconds,
            self.syy + seconds**2,
        )

    def costs(self) -> tuple[float, float]:
        """(seconds a file, seconds a byte): the fitted line, or the mean seconds a file and
        0 when the files done do not show a cost per byte (slope within two standard errors
        of 0, or sizes too alike to tell)."""
        mean = self.sy / self.n
        spread = self.sxx - self.sx * self.sx / self.n
        if self.n < 3 or spread <= 1e-12 * max(self.sxx, 1e-30):
            return mean, 0.0
        slope = (self.sxy - self.sx * self.sy / self.n) / spread
        intercept = mean - slope * self.sx / self.n
        residual = self.syy - intercept * self.sy - slope * self.sxy
        error = math.sqrt(max(residual, 0.0) / (self.n - 2) / spread) if self.n > 2 else math.inf
        if slope <= 2 * error:
            return mean, 0.0
        if intercept < 0:  # through the origin instead: no file costs less than nothing
            return 0.0, self.sxy / self.sxx / MB
        return intercept, slope / MB


def duration(seconds: float) -> str:
    """`45s`, `6m 15s`, `2h 03m`."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


class Display:
    """The run's progress on `console`: a live display on a terminal, plain lines
    elsewhere. Use as a context manager; `add` a file when its turn comes, `update` it as
    its events arrive, `finish` it."""

    def __init__(self, console: Console, tally: Tally) -> None:
        self.console = console
        self.tally = tally
        self.live = console.is_terminal
        self._last_line = 0.0
        self._progress = Progress(
            TextColumn("{task.description}", justify="left", markup=False),
            BarColumn(),
            _StageColumn(),
            console=console,
            disable=not self.live,
        )
        self._total: TaskID | None = None
        self._began: dict[TaskID, float] = {}

    def __enter__(self) -> Display:
        self._progress.__enter__()
        if self.live:
            self._total = self._progress.add_task(
                "all files", total=max(self.tally.files, 1), stage=self.tally.line()
            )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._refresh_total()
        self._progress.__exit__(kind, exc, tb)
        if not self.live:
            self.console.print(plain(self.tally.line()), soft_wrap=True)

    def add(self, path: Path) -> TaskID:
        task = self._progress.add_task(
            one_line(path.name)[:40], total=1.0, stage=plain("uploading")
        )
        self._began[task] = time.monotonic()
        return task

    def update(self, task: TaskID, stage: Text, fraction: float | None = None) -> None:
        self._progress.update(task, stage=stage, completed=fraction)

    def finish(self, task: TaskID | None, path: Path, size: int, status: str, detail: str) -> None:
        """`path` is done with `status` (READY, FAILED, REFUSED...): count it, drop its bar,
        and say so (in plain output always; on a terminal when it did not succeed)."""
        began = self._began.pop(task, None) if task is not None else None
        self.tally.finish(size, status, None if began is None else time.monotonic() - began)
        if task is not None:
            self._progress.remove_task(task)
        if not self.live or status not in OK:
            colour = "green" if status in OK else "red"
            line = plain((status, colour), " ", one_line(path))
            if status not in OK:
                line.append_text(plain(" ", detail))
            self.console.print(line, soft_wrap=True)
        self._refresh_total()

    def skipped(self, count: int) -> None:
        """`count` files are already READY and will not be uploaded."""
        if count:
            self.console.print(
                plain(f"{count} of {self.tally.files} files already READY: not uploaded again")
            )
        self._refresh_total()

    def _refresh_total(self) -> None:
        now = time.monotonic()
        if self._total is not None:
            self._progress.update(
                self._total,
                completed=self.tally.done + self.tally.skipped,
                stage=self.tally.line(now),
            )
        elif now - self._last_line >= PLAIN_EVERY and self.tally.done:
            self._last_line = now
            self.console.print(plain(self.tally.line(now)), soft_wrap=True)


class _StageColumn(ProgressColumn):
    """A file's stage, or the run's totals: its task's `stage` field, shown as it is."""

    def render(self, task: Task) -> Text:
        stage = task.fields["stage"]
        return stage if isinstance(stage, Text) else plain(stage)
