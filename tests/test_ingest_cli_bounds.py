"""`docent ingest` past the server's bounds and on odd folders (issue 14, a trial on 1,956
files): many files followed over one WebSocket, names that would fake lines of output,
folders nested deeper than Python's recursion, and refusals with their codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ingest_cli import _notes

from support.commands import docent
from support.servers import DocentServer, module_server

pytestmark = pytest.mark.e2e

#: A server allowing a user (here: the address, DOCENT_AUTH=none) 4 WebSockets at once.
few_sockets = module_server("few-sockets", {"DOCENT_WS_SOCKETS_PER_USER": "4"})


def test_more_files_than_the_socket_bound_are_all_followed_to_ready(
    few_sockets: DocentServer, tmp_path: Path
) -> None:
    # 8 followed at once: one socket each was refused past the 4th (exit status 1, CLOSED).
    _notes(tmp_path / "notes", 16)
    result = docent("ingest", str(tmp_path / "notes"), "--url", few_sockets.url,
                    "--concurrency", "8")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "16 of 16 documents ok" in result.stdout
    assert result.stdout.count("READY") == 16, result.stdout
