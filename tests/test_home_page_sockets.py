"""The home page following many documents at once in headless Chromium, against a real
server that allows one WebSocket per user (DOCENT_WS_SOCKETS_PER_USER=1): the page's watches
share a socket (20 operations on it), and those past it, refused a second socket, read the
document's status instead. Every row ends READY (issue 14: one socket per watched document,
the rest left QUEUED for ever)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import test_home_page
from test_home_page import row

from support.servers import module_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(600)]

# The home page tests' fixtures (Chromium, axe-core, a checked tab), with this module's server.
browser, axe, tab = test_home_page.browser, test_home_page.axe, test_home_page.tab
server = module_server("home-sockets", {"DOCENT_WS_SOCKETS_PER_USER": "1"})

#: More than one socket carries (20): the rest need a second socket, which is refused.
FILES = 26


def test_every_dropped_file_ends_ready_past_the_socket_bound(tab: Any, tmp_path: Path) -> None:
    paths = []
    for i in range(FILES):
        path = tmp_path / f"bound-note-{i:02d}.txt"
        path.write_text(f"Note {i} of the socket trial: the lantern number {i * 37} is lit.")
        paths.append(str(path))
    tab.set_input_files("#files", paths)
    for path in paths:
        tab.wait_for_selector(f"{row(Path(path).name)} .status.READY", timeout=180_000)
    statuses = tab.locator("#documents li .status").all_inner_texts()
    assert len(statuses) == FILES and all(s.startswith("READY") for s in statuses), statuses
