"""`docent ingest` past the server's bounds and on odd folders (issue 14, a trial on 1,956
files): many files followed over one WebSocket, names that would fake lines of output,
folders nested deeper than Python's recursion, and refusals with their codes."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ingest_cli import _notes

from docent.api.auth import DevAuth
from docent.cli.ingest import MAX_DEPTH

from support.commands import docent
from support.servers import DocentServer, module_server

pytestmark = pytest.mark.e2e

#: Servers allowing a user 4 WebSockets at once: the address's with DOCENT_AUTH=none, a
#: user's with DOCENT_AUTH=dev (as in the trial: then 2 new ones a second as well).
few_sockets = module_server("few-sockets", {"DOCENT_WS_SOCKETS_PER_USER": "4"})
SECRET = "few-sockets-test-secret-" + "x" * 32
few_sockets_dev = module_server(
    "few-sockets-dev",
    {"DOCENT_WS_SOCKETS_PER_USER": "4", "DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET},
)


@pytest.mark.parametrize("auth", ["none", "dev"])
def test_more_files_than_the_socket_bound_are_all_followed_to_ready(
    auth: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    server: DocentServer = request.getfixturevalue(
        "few_sockets_dev" if auth == "dev" else "few_sockets"
    )
    token = ["--token", DevAuth(SECRET).mint("tester")] if auth == "dev" else []
    # 8 followed at once: one socket each was refused past the 4th (exit status 1, CLOSED).
    _notes(tmp_path / "notes", 24)
    result = docent("ingest", str(tmp_path / "notes"), "--url", server.url,
                    "--concurrency", "8", *token)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "24 of 24 documents ok" in result.stdout
    assert result.stdout.count("READY") == 24, result.stdout


def test_a_name_with_a_newline_or_a_control_prints_as_one_line(
    docent_server: DocentServer, tmp_path: Path
) -> None:
    folder = tmp_path / "names"
    (note,) = _notes(folder, 1)
    faked = note.rename(folder / "real.txt\nREADY payroll.xlsx")
    (folder / "empty\r\u202egpj.txt").write_bytes(b"")  # refused: listed again with its code
    result = docent("ingest", str(folder), "--url", docent_server.url)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = (result.stdout + result.stderr).splitlines()
    # Only the line each file has, never a line that starts with what followed the newline.
    assert not any(line.lstrip("│ ").startswith("READY payroll") for line in lines), lines
    assert not any(line.lstrip("│ ").startswith("\u202e") for line in lines), lines
    assert f"READY {folder}/real.txt\\nREADY payroll.xlsx" in result.stderr, result.stderr
    assert "real.txt\\nREADY payroll.xlsx" in result.stdout, result.stdout  # the table
    assert "empty\\r\\u202egpj.txt REFUSED EMPTY:" in result.stderr, result.stderr
    assert faked.exists()


@pytest.fixture
def deep(tmp_path: Path) -> Iterator[Path]:
    """Folders `d` nested MAX_DEPTH + 500 deep (deeper than Python's recursion limit, 1,000;
    a path of ~3,000 bytes, inside PATH_MAX), removed deepest first afterwards (pytest's
    own clean-up, `shutil.rmtree`, is recursive too)."""
    top = tmp_path / "deep"
    top.mkdir()
    levels = MAX_DEPTH + 500
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(levels):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    yield top
    for level in range(levels, 0, -1):
        folder = top.joinpath(*["d"] * level)
        for child in folder.iterdir():
            if not child.is_dir():
                child.unlink()
        folder.rmdir()


def test_folders_nested_deeper_than_python_recurses_are_walked(
    docent_server: DocentServer, deep: Path
) -> None:
    run = uuid.uuid4().hex
    shallow = deep.joinpath(*["d"] * 600, "shallow.txt")
    shallow.write_text(f"The shallow note of run {run} about the boiler.")
    too_deep = deep.joinpath(*["d"] * (MAX_DEPTH + 100), "deep.txt")
    too_deep.write_text(f"The deep note of run {run}.")
    result = docent("ingest", str(deep), "--url", docent_server.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert "1 of 1 documents ok" in result.stdout, result.stdout + result.stderr
    assert f"folders nested deeper than {MAX_DEPTH} levels" in result.stderr, result.stderr


def test_an_upload_refused_whole_shows_its_code_and_is_not_throughput(
    docent_server: DocentServer, tmp_path: Path
) -> None:
    folder = tmp_path / "attack"
    _notes(folder, 1)
    (folder / "big.txt").write_bytes(b"a line of words\n" * 200_000)  # 3.2 MB > the server's 2
    result = docent("ingest", str(folder), "--url", docent_server.url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "big.txt REFUSED TOO_LARGE: " in result.stderr, result.stderr
    (totals,) = [line for line in result.stderr.splitlines() if line.startswith("2/2 files")]
    # The note's few hundred bytes went up, not the refused 3.2 MB: the bytes the rates
    # imply (MB/s x the run's time, 2 files / files/s) are far below it, however fast.
    files_per_s = float(re.search(r"([\d.]+) files/s", totals)[1])  # type: ignore[index]
    mb_per_s = float(re.search(r"([\d.]+) MB/s", totals)[1])  # type: ignore[index]
    assert (mb_per_s + 0.005) * 2 / files_per_s < 0.1, totals
