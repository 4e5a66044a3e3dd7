"""The `docent` command, run as a user runs it: a subprocess of this Python."""

from __future__ import annotations

import os
import subprocess
import sys


def docent(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`docent ARGS...` with the environment plus `env`, 200 columns wide; its exit status
    and output (stdout and stderr, as text)."""
    return subprocess.run(
        [sys.executable, "-m", "docent.cli", *args],
        capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )  # fmt: skip
