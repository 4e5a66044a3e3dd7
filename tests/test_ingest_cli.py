"""`docent ingest` on folders, through a real server: several uploads at once but never
more than asked, files already READY skipped without uploading, failures listed with their
codes, and an interrupted run that leaves no part of a file behind and resumes.

What goes over the wire is observed by a TCP relay between the command and the server:
it counts the connections open at once (httpx opens one more only when every open one is
busy, so the peak is the number of requests in flight) and the uploads (each carries the
`uploadDocument` mutation in its body), and can slow the bytes down so that uploads
overlap observably."""

from __future__ import annotations

import asyncio
import hashlib
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.commands import docent
from support.servers import DocentServer, gql, gql_raw

pytestmark = pytest.mark.e2e

_UPLOAD = b"uploadDocument("


class Relay:
    """A TCP relay to `port` on a thread of its own; `delay` seconds after each block of
    `block` bytes from the client."""

    def __init__(self, port: int, *, delay: float = 0.0, block: int = 65536) -> None:
        self.target, self.delay, self.block = port, delay, block
        self.open = self.peak = self.uploads = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def __enter__(self) -> Relay:
        self._thread.start()
        self._started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._started.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.peak = max(self.peak, self.open)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
            await asyncio.gather(
                self._pipe(reader, up_writer, count=True), self._pipe(up_reader, writer)
            )
        except OSError:
            pass
        finally:
            self.open -= 1
            writer.close()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, count: bool = False
    ) -> None:
        tail = b""
        try:
            while block := await reader.read(self.block if count else 65536):
                if count:
                    seen = tail + block
                    self.uploads += seen.count(_UPLOAD)
                    tail = seen[-(len(_UPLOAD) - 1) :]
                    if self.delay:
                        await asyncio.sleep(self.delay)
                writer.write(block)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()


@pytest.fixture
def relay(docent_server: DocentServer) -> Iterator[Relay]:
    with Relay(docent_server.port) as relay:
        yield relay


def _notes(folder: Path, count: int, *, words: int = 60) -> list[Path]:
    """`count` text files of distinct content (so that no other test's upload is theirs)."""
    folder.mkdir(parents=True, exist_ok=True)
    run = uuid.uuid4().hex
    paths = []
    for i in range(count):
        path = folder / f"note-{run[:6]}-{i:02d}.txt"
        body = " ".join(f"word{(i * 7 + k) % 97}" for k in range(words))
        path.write_text(f"Note {i} of run {run} about the parking rota.\n\n{body}\n")
        paths.append(path)
    return paths


def test_uploads_run_at_once_but_never_more_than_asked(relay: Relay, tmp_path: Path) -> None:
    _notes(tmp_path / "notes", 10, words=3000)  # ~20 KB each: 5 blocks of 4 KB, 0.1 s apart
    relay.delay, relay.block = 0.1, 4096
    result = docent("ingest", str(tmp_path / "notes"), "--url", relay.url(), "--no-wait",
                    "--concurrency", "3")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 of 10 documents ok" in result.stdout
    assert relay.uploads == 10
    assert relay.peak == 3, relay.peak  # overlapping, and bounded


def test_resume_skips_files_already_ready_without_uploading(
    docent_server: DocentServer, relay: Relay, tmp_path: Path
) -> None:
    notes = _notes(tmp_path / "notes", 6)
    first = docent("ingest", *map(str, notes[:2]), "--url", docent_server.url)
    assert first.returncode == 0, first.stdout + first.stderr
    result = docent("ingest", str(tmp_path / "notes"), "--url", relay.url())
    assert result.returncode == 0, result.stdout + result.stderr
    assert relay.uploads == 4
    assert "6 of 6 documents ok (2 already there, not uploaded)" in result.stdout
    assert result.stdout.count("READY") == 6
    assert "2 of 6 files already READY" in result.stderr
    again = docent("ingest", str(tmp_path / "notes"), "--url", relay.url())
    assert again.returncode == 0 and relay.uploads == 4  # nothing left to upload
    # Nothing uploaded: no rate of 0.0 files/s and no time left to promise.
    assert "files/s" not in again.stderr and "ETA" not in again.stderr, again.stderr
    assert "6/6 files (6 already READY)" in again.stderr
    # With other tags, uploading changes the document: it is not skipped.
    tagged = docent("ingest", str(notes[0]), "--url", relay.url(), "--tag", "rota")
    assert tagged.returncode == 0, tagged.stdout + tagged.stderr
    assert relay.uploads == 5


def test_progress_is_plain_lines_with_throughput_when_not_a_terminal(
    docent_server: DocentServer, tmp_path: Path
) -> None:
    _notes(tmp_path / "notes", 4)
    result = docent("ingest", str(tmp_path / "notes"), "--url", docent_server.url)
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("4/4 files · ") and "files/s · " in last and "MB/s" in last, last
    assert "ETA" not in last  # nothing left: no time left to promise
    assert result.stderr.count("READY ") == 4  # one line per file
    assert "\x1b[" not in result.stderr  # no live display, no colours


def test_failed_files_are_listed_with_their_codes(
    docent_server: DocentServer, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    _notes(folder, 1)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + uuid.uuid4().bytes * 40 + b"\n%%EOF\n")
    result = docent("ingest", str(folder), "--url", docent_server.url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 of 3 documents ok" in result.stdout
    assert "2 failed:" in result.stderr
    failures = result.stderr.split("2 failed:")[1]
    assert "empty.txt REFUSED EMPTY:" in failures, failures
    assert "broken.pdf FAILED CORRUPT:" in failures, failures


def test_interrupted_ingest_leaves_nothing_half_uploaded_and_resumes(
    docent_server: DocentServer, relay: Relay, tmp_path: Path
) -> None:
    notes = _notes(tmp_path / "notes", 6, words=3000)
    relay.delay, relay.block = 0.25, 4096  # ~1.5 s an upload
    command = [sys.executable, "-m", "docent.cli", "ingest", str(tmp_path / "notes"),
               "--url", relay.url(), "--no-wait", "--concurrency", "2"]  # fmt: skip
    # Ctrl-C as a terminal sends it: a process started in the background by a shell (as
    # CI may run the suite) inherits SIGINT ignored, and Python then keeps ignoring it.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while relay.uploads < 3 and time.monotonic() < deadline:  # two done, two under way
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    out, errors = process.communicate(timeout=30)
    assert process.returncode == 130, out + errors
    assert "interrupted" in errors and "run the same command again to resume" in errors
    assert "Traceback" not in errors
    interrupted = relay.uploads
    assert 3 <= interrupted < 6

    digests = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in notes}
    prefix = notes[0].name[:11]
    listing = f"""query {{ documents(first: 100, filter: {{titleContains: "{prefix}"}}) {{
      edges {{ node {{ filename sha256 sizeBytes }} }} }} }}"""
    # The server sees the cut connections (through the relay, which first hands on what it
    # had read): every staged part is gone within moments, nothing waits for a restart.
    staging = docent_server.data_dir / "blobs" / ".staging"
    deadline = time.monotonic() + 20
    while staging.exists() and list(staging.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not staging.exists() or list(staging.iterdir()) == []
    stored = [e["node"] for e in asyncio.run(gql(docent_server.url, listing))["documents"]["edges"]]
    assert 1 <= len(stored) < 6, stored
    for node in stored:  # every stored document is a whole file
        assert digests[node["sha256"]].name == node["filename"]
        assert node["sizeBytes"] == digests[node["sha256"]].stat().st_size

    resumed = docent("ingest", str(tmp_path / "notes"), "--url", relay.url(), "--no-wait")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "6 of 6 documents ok" in resumed.stdout


async def test_the_sha256_filter_refuses_what_is_not_a_digest(docent_server: DocentServer) -> None:
    query = """query($d: [String!]) { documents(first: 5, filter: {sha256: $d}) { totalCount } }"""
    body = await gql_raw(docent_server.url, query, {"d": ["not-hex"]})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", body
    body = await gql_raw(docent_server.url, query, {"d": ["a" * 64] * 101})
    assert "at most 100 sha256" in body["errors"][0]["message"], body
    body = await gql_raw(docent_server.url, query, {"d": ["A" * 64]})
    assert body["data"]["documents"]["totalCount"] == 0


def test_a_link_out_of_the_folder_is_skipped_and_a_missing_path_fails(
    docent_server: DocentServer, tmp_path: Path
) -> None:
    # Found by an attacker: `DIR/link.txt -> /etc/passwd` was uploaded with the folder.
    outside = tmp_path / "secret.txt"
    outside.write_text("Not for the folder.")
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "kept.txt").write_text(f"Kept note {uuid.uuid4().hex}.")
    (folder / "link.txt").symlink_to(outside)
    (folder / "inside.txt").symlink_to(folder / "sub" / "kept.txt")  # stays in: taken
    (folder / "away").symlink_to(tmp_path, target_is_directory=True)
    result = docent("ingest", str(folder), "--url", docent_server.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "link.txt: a link out of the folder" in result.stderr, result.stderr
    assert "secret.txt" not in result.stdout and "link.txt" not in result.stdout
    assert "kept.txt" in result.stdout and "inside.txt" in result.stdout
    # A path that does not exist, alone or with others, stops the run before any upload.
    for paths in ([str(tmp_path / "missing")], [str(tmp_path / "missing"), str(outside)]):
        missing = docent("ingest", *paths, "--url", docent_server.url)
        assert missing.returncode == 1 and "not found" in missing.stderr, missing.stderr
        assert "documents ok" not in missing.stdout


def test_what_is_not_a_regular_file_is_named_so(
    docent_server: DocentServer, tmp_path: Path
) -> None:
    """`docent ingest` on a FIFO, a symbolic link loop, /dev/null or a link to /dev/zero
    said `not found` (they exist), and a folder holding them skipped them without a word.
    Given, each is named "not a regular file" with its kind (exit status 1, nothing
    uploaded); in a folder, each is skipped with that message and the rest is uploaded."""
    import os

    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "note.txt").write_text(f"A regular note {uuid.uuid4().hex} about skates.")
    os.mkfifo(folder / "pipe")
    (folder / "loop").symlink_to(folder / "loop")
    (folder / "zero").symlink_to("/dev/zero")
    kinds = {
        folder / "pipe": "a FIFO",
        folder / "loop": "a symbolic link loop",
        Path("/dev/null"): "a character device",
        folder / "zero": "a character device",
    }
    for path, kind in kinds.items():
        given = docent("ingest", str(path), "--url", docent_server.url, timeout=60)
        assert given.returncode == 1, given.stdout + given.stderr
        assert f"not a regular file {path} ({kind})" in given.stderr, given.stderr
        assert "not found" not in given.stderr and "documents ok" not in given.stdout
    result = docent("ingest", str(folder), "--url", docent_server.url, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("pipe", "loop", "zero"):
        path = folder / name
        assert f"skipping {path}: not a regular file ({kinds[path]})" in result.stderr
    assert "note.txt" in result.stdout and "1 of 1 documents ok" in result.stdout


def test_a_file_whose_size_changes_while_it_is_uploaded_is_refused_plainly(
    docent_server: DocentServer,
) -> None:
    """`docent ingest --no-wait /proc/self/status` crashed with a traceback (h11: "Too much
    data for declared Content-Length": /proc says 0 bytes, then reads more); a file that
    grows during its upload did the same. It is refused, saying why, with exit status 1."""
    result = docent("ingest", "--no-wait", "/proc/self/status", "--url", docent_server.url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "CHANGED: the file's size changed while it was uploaded" in result.stderr
