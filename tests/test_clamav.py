"""The ClamAV client (ingestion/clamav.py): against a real clamd, and against fake servers for
the wire protocol and the failures a real clamd does not easily show.

The real clamd comes from scripts/clamd.py: Debian's clamd with a one-signature database (the
MD5 of the EICAR test file) and StreamMaxLength 1M. Without clamd these tests are skipped, with
the reason, except under CI (CI=true or 1), where they fail (support/prerequisites.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from docent.ingestion.clamav import (
    ClamAV,
    ScanFailed,
    ScannerUnavailable,
    ScanResult,
)
from docent.urls import clamd_address

from support.prerequisites import Unavailable, unavailable
from support.scripts import free_port, run_script, start_service

START_TIMEOUT = 60.0

# The standard 68-byte EICAR anti-virus test file, put together here so that this source file
# does not itself look like the test file to a scanner on a developer's machine.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_MD5 = "44d88612fea8a8f36de82e1278abb02f"
STREAM_MAX_LENGTH = 1024 * 1024  # scripts/clamd.py --stream-max-length 1M


@pytest.fixture(scope="module")
def clamd() -> Iterator[dict[str, Any]]:
    """A clamd of its own for this module: {"tcp_url", "unix_url", "signature", ...}."""
    try:
        info = start_service(
            "clamd", "--stream-max-length", "1M", "--timeout", str(START_TIMEOUT),
            "--owner-pid", str(os.getpid()), timeout=START_TIMEOUT + 30,
        )  # fmt: skip
    except Unavailable as error:
        unavailable("clamd", str(error))
    try:
        yield info
    finally:
        run_script("clamd", "stop", "--dir", str(info["dir"]), timeout=60)


@pytest.fixture(params=["tcp", "unix"])
def scanner(request: pytest.FixtureRequest, clamd: dict[str, Any]) -> ClamAV:
    """A client of the real clamd, over TCP and over its unix socket."""
    return ClamAV(clamd[f"{request.param}_url"], timeout=30)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_eicar_is_the_standard_test_file() -> None:
    assert len(EICAR) == 68
    assert hashlib.md5(EICAR).hexdigest() == EICAR_MD5


# --------------------------------------------------------------------------- a real clamd


@pytest.mark.e2e
async def test_ping(scanner: ClamAV) -> None:
    assert await scanner.ping() is True


@pytest.mark.e2e
@pytest.mark.parametrize("size", [0, 11, 200_000, STREAM_MAX_LENGTH])
async def test_clean_file_is_clean(scanner: ClamAV, tmp_path: Path, size: int) -> None:
    data = (b"Quarterly report, page %d.\n" * (size // 20 + 1))[:size]
    result = await scanner.scan_file(write(tmp_path / "report.txt", data))
    assert result == ScanResult(clean=True, signature=None)


@pytest.mark.e2e
async def test_eicar_is_infected(
    scanner: ClamAV, clamd: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="docent.ingestion.clamav")
    result = await scanner.scan_file(write(tmp_path / "eicar.com", EICAR))
    assert result == ScanResult(clean=False, signature="Docent.Test.EICAR.UNOFFICIAL")
    assert result.signature == clamd["signature"]
    assert EICAR[:20].decode() not in caplog.text  # file contents are never logged


@pytest.mark.e2e
async def test_eicar_split_into_tiny_chunks_is_infected(
    clamd: dict[str, Any], tmp_path: Path
) -> None:
    scanner = ClamAV(clamd["tcp_url"], chunk_size=7)
    result = await scanner.scan_file(write(tmp_path / "eicar.com", EICAR))
    assert not result.clean
    assert result.signature == "Docent.Test.EICAR.UNOFFICIAL"


@pytest.mark.e2e
@pytest.mark.parametrize("size", [STREAM_MAX_LENGTH + 1, 3 * STREAM_MAX_LENGTH, 64 << 20])
async def test_file_over_stream_max_length_fails_with_a_helpful_message(
    scanner: ClamAV, tmp_path: Path, size: int
) -> None:
    # 64 MiB: clamd refuses and closes long before the end, while the client is still sending.
    path = tmp_path / "big.bin"
    with path.open("wb") as f:
        f.truncate(size)
    with pytest.raises(ScanFailed) as caught:
        await scanner.scan_file(path)
    message = caught.value.message
    assert "StreamMaxLength" in message
    assert "clamd.conf" in message
    assert "larger than" in message


@pytest.mark.e2e
async def test_the_scanner_still_works_after_a_refusal(scanner: ClamAV, tmp_path: Path) -> None:
    with pytest.raises(ScanFailed):
        await scanner.scan_file(write(tmp_path / "big.bin", bytes(2 * STREAM_MAX_LENGTH)))
    assert (await scanner.scan_file(write(tmp_path / "eicar", EICAR))).clean is False
    assert await scanner.ping()


@pytest.mark.e2e
async def test_concurrent_scans(clamd: dict[str, Any], tmp_path: Path) -> None:
    scanner = ClamAV(clamd["unix_url"])
    paths = [write(tmp_path / f"{i}.txt", b"hello %d\n" % i * 1000) for i in range(8)]
    paths.append(write(tmp_path / "eicar", EICAR))
    results = await asyncio.gather(*(scanner.scan_file(p) for p in paths))
    assert [r.clean for r in results] == [True] * 8 + [False]


@pytest.mark.e2e
async def test_missing_file_is_an_oserror_not_a_scanner_failure(
    scanner: ClamAV, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        await scanner.scan_file(tmp_path / "nope")


# --------------------------------------------------------------------------- no clamd


@pytest.mark.parametrize("kind", ["tcp", "unix"])
async def test_unreachable_clamd_is_unavailable_quickly(tmp_path: Path, kind: str) -> None:
    url = f"tcp://127.0.0.1:{free_port()}" if kind == "tcp" else f"unix://{tmp_path}/no.sock"
    scanner = ClamAV(url)
    began = time.monotonic()
    with pytest.raises(ScannerUnavailable) as caught:
        await scanner.scan_file(write(tmp_path / "a.txt", b"hello"))
    assert time.monotonic() - began < 2
    assert url in caught.value.message
    assert await scanner.ping() is False
    assert time.monotonic() - began < 4


# --------------------------------------------------------------------------- fake servers

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def fake() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Starts a TCP server on 127.0.0.1 with a given handler; returns its tcp:// URL."""
    servers: list[asyncio.Server] = []
    handlers: set[asyncio.Task[Any]] = set()

    async def serve(handler: Handler) -> str:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            handlers.add(task)
            try:
                await handler(reader, writer)
            finally:
                writer.transport.abort()
                handlers.discard(task)

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        return f"tcp://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield serve
    for server in servers:
        server.close()
    for task in list(handlers):  # the ones still sleeping: their connections are closed too
        task.cancel()
    await asyncio.gather(*handlers, return_exceptions=True)
    for server in servers:
        await server.wait_closed()


async def read_instream(reader: asyncio.StreamReader) -> list[bytes]:
    """The chunks of one zINSTREAM command, as clamd reads them (without the last, empty one)."""
    assert await reader.readexactly(10) == b"zINSTREAM\0"
    chunks = []
    while True:
        (length,) = struct.unpack(">I", await reader.readexactly(4))
        if length == 0:
            return chunks
        chunks.append(await reader.readexactly(length))


def answering(reply: bytes, seen: list[list[bytes]] | None = None) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        chunks = await read_instream(reader)
        if seen is not None:
            seen.append(chunks)
        writer.write(reply)
        await writer.drain()
        writer.close()

    return handler


async def test_wire_protocol(fake: Any, tmp_path: Path) -> None:
    seen: list[list[bytes]] = []
    url = await fake(answering(b"stream: OK\0", seen))
    data = os.urandom(10_000)
    result = await ClamAV(url, chunk_size=4096).scan_file(write(tmp_path / "f", data))
    assert result.clean
    assert [len(c) for c in seen[0]] == [4096, 4096, 1808]
    assert b"".join(seen[0]) == data


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"stream: OK\0", ScanResult(True, None)),
        (b"stream: Win.Test.EICAR_HDB-1 FOUND\0", ScanResult(False, "Win.Test.EICAR_HDB-1")),
        (b"stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND\0",
         ScanResult(False, "Heuristics.Limits.Exceeded.MaxFileSize")),
    ],
)  # fmt: skip
async def test_verdicts(fake: Any, tmp_path: Path, reply: bytes, expected: ScanResult) -> None:
    url = await fake(answering(reply))
    assert await ClamAV(url).scan_file(write(tmp_path / "f", b"x")) == expected


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (b"INSTREAM size limit exceeded. ERROR\0", "StreamMaxLength"),
        (b"stream: Can't allocate memory ERROR\0", "Can't allocate memory"),
        (b"COMMAND READ TIMED OUT\0", "ReadTimeout"),
        (b"UNKNOWN COMMAND\0", "unexpected answer"),
    ],
)
async def test_errors_are_scan_failed(fake: Any, tmp_path: Path, reply: bytes, words: str) -> None:
    url = await fake(answering(reply))
    with pytest.raises(ScanFailed, match=words):
        await ClamAV(url).scan_file(write(tmp_path / "f", b"x"))


async def test_closing_without_an_answer_is_unavailable(fake: Any, tmp_path: Path) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_instream(reader)
        writer.close()

    url = await fake(hang_up)
    with pytest.raises(ScannerUnavailable, match="without an answer"):
        await ClamAV(url).scan_file(write(tmp_path / "f", b"x"))


async def test_a_silent_clamd_times_out(fake: Any, tmp_path: Path) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_instream(reader)
        await asyncio.sleep(30)

    url = await fake(silent)
    scanner = ClamAV(url, timeout=0.5)
    began = time.monotonic()
    with pytest.raises(ScannerUnavailable, match=r"did not scan .* within 0\.5 s"):
        await scanner.scan_file(write(tmp_path / "f", b"x"))
    assert await scanner.ping() is False
    assert time.monotonic() - began < 3


async def test_a_clamd_that_stops_reading_times_out(fake: Any, tmp_path: Path) -> None:
    # The client's writes block once the socket buffers are full; the timeout must still hold,
    # closing included (a graceful close would wait for the buffered data to be read).
    async def stuck(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(10)
        await asyncio.sleep(30)

    url = await fake(stuck)
    path = tmp_path / "big.bin"
    with path.open("wb") as f:
        f.truncate(64 << 20)
    began = time.monotonic()
    with pytest.raises(ScannerUnavailable, match=r"did not scan 64\.0 MiB within 0\.5 s"):
        await ClamAV(url, timeout=0.5).scan_file(path)
    assert time.monotonic() - began < 3


async def test_ping_wants_pong(fake: Any) -> None:
    async def pong(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert await reader.readuntil(b"\0") == b"zPING\0"
        writer.write(b"PONG\0")
        await writer.drain()
        writer.close()

    async def other(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\0")
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        writer.close()

    assert await ClamAV(await fake(pong)).ping() is True
    assert await ClamAV(await fake(other)).ping() is False


# --------------------------------------------------------------------------- addresses


def test_urls() -> None:
    assert clamd_address("tcp://127.0.0.1:3311").port == 3311
    assert clamd_address("tcp://clamav").port == 3310
    assert clamd_address("tcp://[::1]:3310").host == "::1"
    assert clamd_address("unix:///run/clamav/clamd.ctl").path == "/run/clamav/clamd.ctl"
    for bad in ("http://127.0.0.1:3310", "tcp://:3310", "tcp://h:99999", "unix://clamd.ctl", "x"):
        with pytest.raises(ValueError):
            ClamAV(bad)


@pytest.mark.e2e
async def test_infected_uploads_are_refused_and_never_stored(
    clamd: dict[str, Any], tmp_path: Path
) -> None:
    """Through the API of a real docent server scanning with the real clamd."""
    import httpx

    from support.servers import running_server, upload

    data = tmp_path / "docent"
    with running_server(data, {"DOCENT_CLAMAV_URL": clamd["tcp_url"]}) as server:
        infected = (await upload(server.url, "invoice.txt", EICAR)).json()["data"]["uploadDocument"]
        assert infected["document"] is None
        [error] = infected["userErrors"]
        assert error["code"] == "INFECTED" and "Docent.Test.EICAR" in error["message"]
        clean = (await upload(server.url, "notes.txt", b"An ordinary text file about tea.")).json()
        assert clean["data"]["uploadDocument"]["userErrors"] == []
        too_big = (await upload(server.url, "big.txt", b"word " * 300_000)).json()["data"][
            "uploadDocument"
        ]
        assert too_big["userErrors"][0]["code"] == "SCAN_FAILED"
        assert "StreamMaxLength" in too_big["userErrors"][0]["message"]
        async with httpx.AsyncClient() as client:
            ready = (await client.get(f"{server.base}/readyz")).json()
        assert ready["checks"]["scanner"] == "ok"
    # the infected file never reached the blob store, not even its staging area
    blobs = [p for p in (data / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 1
    assert all(EICAR not in p.read_bytes() for p in blobs)
