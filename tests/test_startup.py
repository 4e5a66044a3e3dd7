"""Start-up tells the truth (issue 11). A damaged or truncated index, or a data directory that
cannot be written, stops `docent serve` with what is wrong and what to do (exit status 2, one
message, no traceback). Damage met while serving fails `/readyz`, and is INDEX_CORRUPT, a
permanent error: the job that meets it is not retried, and writes are refused.

Tests run as root, for whom a directory's mode does not stop writes: the read-only data
directory is a read-only bind mount in a mount namespace of the command's own (root) or a
directory of mode 0555 (anyone else); a data directory under a regular file fails the same
way (ENOTDIR) on every machine.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import apsw
import httpx
import pytest

from docent.domain import Chunk, DocumentRecord, DocumentStatus, IndexedChunk
from docent.errors import IndexCorrupt
from docent.search.embedded.store import EmbeddedBackend

from support.commands import docent
from support.prerequisites import unavailable
from support.samples import HANDBOOK_MD
from support.servers import (
    WATCH,
    DocentServer,
    gql_raw,
    running_server,
    subscribe,
    upload,
    upload_ok,
    wait_ready,
)
from support.vectors import DIM, unit

SEARCH = '{ search(input: {query: "expense claims receipts"}) { hits { chunk { id } } } }'


def index_file(data_dir: Path) -> Path:
    return data_dir / "index" / "docent.sqlite3"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose index a real server filled (the handbook, READY), stopped."""
    data = tmp_path_factory.mktemp("built")
    with running_server(data) as server:

        async def ingest() -> None:
            payload = await upload_ok(server, "handbook.md", HANDBOOK_MD.encode())
            events = await wait_ready(server, payload["document"]["id"])
            assert events[-1]["status"] == "READY", events

        asyncio.run(ingest())
    return data


def copy_index(built: Path, to: Path) -> Path:
    shutil.copytree(built / "index", to / "index")
    return to


def root_page(index: Path, table: str) -> tuple[int, int]:
    """The page number of `table`'s b-tree root, and the page size."""
    conn = apsw.Connection(str(index))
    try:
        row = conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)).fetchone()
        assert row is not None, table
        return int(row[0]), int(conn.pragma("page_size"))
    finally:
        conn.close()


def overwrite_page(index: Path, table: str) -> None:
    """`table`'s root page made noise (0xff: no valid b-tree page type), as a bad sector or a
    stray write would leave it."""
    page, size = root_page(index, table)
    with index.open("r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xff" * size)


def damage_header(index: Path) -> None:
    with index.open("r+b") as f:
        f.write(b"\x00" * 100)


def truncate(index: Path) -> None:
    os.truncate(index, index.stat().st_size // 2)


def damage_the_chunks(index: Path) -> None:
    overwrite_page(index, "chunks")


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("damage", "found"),
    [
        (damage_header, "file is not a database"),
        (truncate, "malformed"),
        (damage_the_chunks, "malformed"),
    ],
    ids=["header", "truncated", "page"],
)
def test_serve_stops_on_a_damaged_index_and_says_what_to_do(
    built: Path, tmp_path: Path, damage: Callable[[Path], None], found: str
) -> None:
    data = copy_index(built, tmp_path / "data")
    damage(index_file(data))
    result = docent("serve", "--port", "0", env={"DOCENT_DATA_DIR": str(data)}, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    message = result.stderr.strip()
    assert message.startswith("error: the embedded index is damaged ("), message
    assert found in message and str(index_file(data)) in message, message
    assert "restore" in message and "from a backup" in message and len(message.splitlines()) == 1


@pytest.mark.e2e
def test_serve_stops_when_the_data_directory_is_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    data = tmp_path / "file" / "data"
    result = docent("serve", "--port", "0", env={"DOCENT_DATA_DIR": str(data)}, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"error: docent cannot write to {data} (Not a directory): make it writable for the "
        "user that runs docent, or set DOCENT_DATA_DIR to a directory that is"
    )


def read_only(directory: Path) -> list[str]:
    """The command prefix that runs a command with `directory` read-only: a read-only bind
    mount in a mount namespace of its own when run as root (mode bits do not stop root),
    or mode 0555 otherwise."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        return []
    prefix = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
              'mount --bind -o ro "$0" "$0" && exec "$@"', str(directory)]  # fmt: skip
    probe = subprocess.run([*prefix, "touch", str(directory / "probe")], capture_output=True)
    if b"Read-only file system" not in probe.stderr:
        unavailable("read-only mount", f"unshare and mount failed: {probe.stderr.decode()}")
    return prefix


@pytest.mark.e2e
def test_serve_stops_when_the_data_directory_is_read_only(built: Path, tmp_path: Path) -> None:
    data = copy_index(built, tmp_path / "data")
    prefix = read_only(data)
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "docent.cli", "serve", "--port", "0"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "200", "DOCENT_DATA_DIR": str(data)},
    )  # fmt: skip
    data.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    reason = "Read-only file system" if prefix else "Permission denied"
    assert result.stderr.strip() == (
        f"error: docent cannot write to {data} ({reason}): make it writable for the user "
        "that runs docent, or set DOCENT_DATA_DIR to a directory that is"
    )


def damage_while_serving(index: Path, table: str) -> None:
    """Damage `table`'s root page under a running server. The server's pages are moved into
    the main file (a WAL checkpoint), the page is overwritten there, and a commit through
    SQLite makes every connection drop its page cache (in WAL mode a connection keeps its
    cache only while the log is unchanged), so the server's next read meets the damage."""
    conn = apsw.Connection(str(index))
    conn.set_busy_timeout(30_000)
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    conn.close()
    assert busy == 0, "the server kept reading through the checkpoint"
    overwrite_page(index, table)
    conn = apsw.Connection(str(index))
    conn.set_busy_timeout(30_000)
    conn.pragma("user_version", 11)
    conn.close()


@pytest.mark.e2e
def test_damage_met_while_serving_is_permanent_and_fails_readiness(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server:

        async def scenario() -> None:
            first = await upload_ok(server, "handbook.md", HANDBOOK_MD.encode())
            assert (await wait_ready(server, first["document"]["id"]))[-1]["status"] == "READY"
            damage_while_serving(index_file(server.data_dir), "chunks")

            # A job that meets the damage ends at once: no retry, and no retry later.
            second = await upload_ok(server, "notes.txt", b"The parking policy changed today.")
            await indexing(server, second["document"]["id"])
            await asyncio.sleep(5)
            assert "retrying" not in server.log(), server.log()
            assert server.log().count("the embedded index is damaged") == 1, server.log()
            assert "from a backup" in server.log()

            # Queries that meet it, and writes, are INDEX_CORRUPT; readiness fails.
            body = await gql_raw(server.url, SEARCH)
            assert [e["extensions"]["code"] for e in body["errors"]] == ["INDEX_CORRUPT"], body
            assert str(server.data_dir) not in str(body)  # the remedy is for the operator
            async with httpx.AsyncClient() as client:
                ready = await client.get(f"{server.base}/readyz")
            assert ready.status_code == 503, ready.text
            assert ready.json()["checks"]["search"] == "unavailable: IndexCorrupt"
            third = await upload(server.url, "more.txt", b"More notes about the parking policy.")
            errors = third.json()["data"]["uploadDocument"]["userErrors"]
            assert [e["code"] for e in errors] == ["INDEX_CORRUPT"], third.text
            # What does not meet the damage is still served.
            listed = await gql_raw(server.url, "{ documents { totalCount } }")
            assert listed["data"]["documents"]["totalCount"] == 2, listed

        asyncio.run(scenario())


async def indexing(server: DocentServer, document_id: str) -> None:
    """Until the document's job reaches INDEXING (where it meets the damaged chunks)."""
    deadline = time.monotonic() + 120
    async for data in subscribe(server.ws_url, WATCH, {"id": document_id}, timeout=120):
        if data["documentEvents"]["stage"] == "INDEXING":
            return
        assert time.monotonic() < deadline
    raise AssertionError("the job ended before INDEXING")


async def test_damage_found_by_verify_is_permanent(tmp_path: Path) -> None:
    """The embedded engine alone: damage where opening does not read (a page of a table
    of several pages) is found by `verify`, named as SQLite reports it; from then on
    `ping` fails and writes are refused, while reads that miss the damage go on."""
    path = tmp_path / "docent.sqlite3"
    backend = EmbeddedBackend(path)
    await backend.open(model="test-model", dimension=DIM)
    for n in range(3):
        doc = DocumentRecord(id=f"d{n}", owner="alice", title=f"Title {n}", filename="d.txt",
                             mime_type="text/plain", size_bytes=1, sha256=f"sha{n}",
                             status=DocumentStatus.READY)  # fmt: skip
        await backend.insert_document(doc)
        text = "warranty " * 120
        await backend.replace_chunks("alice", doc.id, [
            IndexedChunk(Chunk(id=f"d{n}-{i}", document_id=doc.id, ordinal=i, text=text),
                         "alice", doc.title, unit(1, i + 1, dimension=DIM).tolist())
            for i in range(40)
        ])  # fmt: skip
    await backend.aclose()
    overwrite_page(path, "chunks")

    backend = EmbeddedBackend(path)
    try:
        await backend.open(model="test-model", dimension=DIM)  # it does not read there
        with pytest.raises(IndexCorrupt, match=r"\(Tree \d+ page \d+: btreeInitPage\(\)"):
            await backend.verify()
        with pytest.raises(IndexCorrupt):
            await backend.ping()
        record = await backend.get_document("alice", "d1")
        assert record is not None and record.title == "Title 1"
        with pytest.raises(IndexCorrupt) as refused:
            await backend.update_document(record.evolve(title="Renamed"))
        assert str(path) not in refused.value.message and str(path) in refused.value.remedy
    finally:
        await backend.aclose()
