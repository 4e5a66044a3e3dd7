"""Malware scanning of uploads by a ClamAV daemon (clamd), over its socket protocol.

`ClamAV(url)` talks to the clamd at `tcp://host:port` (port 3310 when left out) or
`unix:///path/to/clamd.ctl`, with asyncio streams only. `scan_file()` streams a file with the
zINSTREAM command: `zINSTREAM\\0`, then the file in chunks, each prefixed by its length as a
4-byte big-endian integer, then a zero-length chunk; clamd answers with one NUL-terminated line:

    stream: OK                              -> ScanResult(clean=True, signature=None)
    stream: Eicar-Signature FOUND           -> ScanResult(clean=False, signature="Eicar-Signature")
    INSTREAM size limit exceeded. ERROR     -> ScanFailed (the file is over StreamMaxLength)
    stream: <reason> ERROR                  -> ScanFailed
    (no connection, no answer in time)      -> ScannerUnavailable

clamd names a signature from a database of one's own (not ClamAV's signed .cvd/.cld) with the
suffix `.UNOFFICIAL`: `Docent.Test.EICAR` is reported as `Docent.Test.EICAR.UNOFFICIAL`.

Beware clamd's limits: a stream longer than StreamMaxLength (Debian's default: 25M) is refused,
which `ScanFailed` says; but a file over MaxFileSize or MaxScanSize is only partly scanned, or
not at all, and still answered `OK`, unless clamd runs with `AlertExceedsMax yes` (then it is
reported FOUND as `Heuristics.Limits.Exceeded.*`). Set all three at least as high as the largest
upload (DOCENT_MAX_UPLOAD_MB).

Nothing here logs or repeats file contents: messages carry sizes, the address and clamd's reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from docent.units import format_bytes
from docent.urls import clamd_address

log = logging.getLogger(__name__)

_MAX_REPLY = 64 * 1024  # a reply is one short line; anything longer is not clamd
_SIZE_LIMIT_REPLY = "INSTREAM size limit exceeded"


class ScanFailed(Exception):
    """clamd was reached but could not give a verdict on the file (too large, a read error on
    its side, an unexpected reply). The message is meant for a person and is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ScannerUnavailable(Exception):
    """clamd could not be reached, or did not answer in time. Usually transient: the same scan
    may succeed later. The message is meant for a person and is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ScanResult:
    """clamd's verdict on one file: `signature` is the name of what was found when not clean."""

    clean: bool
    signature: str | None = None


def _open(path: Path) -> BinaryIO:
    return Path(path).open("rb")


class ClamAV:
    """A client of one clamd. Each call opens its own connection, so one instance can serve
    concurrent scans; clamd itself queues them (MaxThreads, MaxQueue)."""

    def __init__(self, url: str, *, timeout: float = 60.0, chunk_size: int = 64 * 1024) -> None:
        """`timeout` bounds a whole call (connect, send, clamd's verdict), in seconds;
        `chunk_size` is the size of the INSTREAM chunks. ValueError for a malformed `url`."""
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if not 1 <= chunk_size <= 0xFFFFFFFF:
            raise ValueError("chunk_size must be from 1 to 2**32 - 1")
        self.url = url.strip()
        self.timeout = timeout
        self.chunk_size = chunk_size
        self._address = clamd_address(url)

    def __repr__(self) -> str:
        return f"ClamAV({self.url!r})"

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        address = self._address
        try:
            if address.path is not None:
                return await asyncio.open_unix_connection(address.path, limit=_MAX_REPLY)
            return await asyncio.open_connection(address.host, address.port, limit=_MAX_REPLY)
        except OSError as error:  # refused, no such socket file, permission, unknown host
            raise ScannerUnavailable(
                f"cannot reach clamd at {self.url}: {error.strerror or error}"
            ) from error

    def _timed_out(self, doing: str) -> ScannerUnavailable:
        return ScannerUnavailable(f"clamd at {self.url} did not {doing} within {self.timeout:g} s")

    async def ping(self) -> bool:
        """True when clamd answers zPING with PONG; False when it is unreachable, does not
        answer in time or answers anything else (the reason is logged at debug level)."""
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await self._connect()
                answered = False
                try:
                    writer.write(b"zPING\0")
                    await writer.drain()
                    reply = await reader.readuntil(b"\0")
                    answered = True
                finally:
                    await _close(writer, abort=not answered)
        except ScannerUnavailable as error:
            log.debug("clamd ping: %s", error)
            return False
        except TimeoutError:
            log.debug("clamd ping: %s", self._timed_out("answer PING"))
            return False
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            log.debug("clamd ping to %s failed: %r", self.url, error)
            return False
        if reply != b"PONG\0":
            log.debug("clamd at %s answered PING with %r", self.url, reply[:200])
            return False
        return True

    async def scan_file(self, path: Path) -> ScanResult:
        """Stream the file at `path` to clamd and return its verdict.

        Raises ScanFailed when clamd gives no verdict (e.g. the file is over its
        StreamMaxLength), ScannerUnavailable when clamd cannot be reached or does not answer
        within `timeout`, and OSError when the file itself cannot be read.
        """
        handle = await asyncio.to_thread(_open, path)
        try:
            size = os.fstat(handle.fileno()).st_size
            try:
                async with asyncio.timeout(self.timeout):
                    reply = await self._instream(handle)
            except TimeoutError:
                raise self._timed_out(f"scan {format_bytes(size, decimals=1, iec=True)}") from None
        finally:
            await asyncio.to_thread(handle.close)
        result = self._verdict(reply, size)
        log.debug(
            "clamd scanned %s: %s",
            format_bytes(size, decimals=1, iec=True),
            "clean" if result.clean else result.signature,
        )
        return result

    async def _instream(self, handle: BinaryIO) -> str:
        """Send the file with zINSTREAM; return clamd's reply without its NUL."""
        reader, writer = await self._connect()
        # clamd answers as soon as it has a verdict or refuses the stream (size limit), then
        # closes: the reply is read concurrently with the sending, so that it is not lost when
        # the sending then fails on the closed connection.
        reply = asyncio.create_task(reader.readuntil(b"\0"))
        try:
            try:
                writer.write(b"zINSTREAM\0")
                while not reply.done():
                    block = await asyncio.to_thread(handle.read, self.chunk_size)
                    writer.write(struct.pack(">I", len(block)) + block)
                    await writer.drain()
                    if not block:  # the zero-length chunk: end of the stream
                        break
            except OSError as error:  # reset / broken pipe: clamd closed its side
                if not reply.done():
                    # Give a reply already on its way a moment to be read.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(reply), 1.0)
                if not reply.done():
                    raise ScannerUnavailable(
                        f"clamd at {self.url} closed the connection while the file was being "
                        f"sent, without an answer ({error.strerror or error})"
                    ) from error
            try:
                raw = await reply
            except asyncio.IncompleteReadError:
                raise ScannerUnavailable(
                    f"clamd at {self.url} closed the connection without an answer"
                ) from None
            except asyncio.LimitOverrunError:
                raise ScanFailed(f"{self.url} sent an over-long reply: is it a clamd?") from None
            except OSError as error:
                raise ScannerUnavailable(
                    f"the connection to clamd at {self.url} failed: {error.strerror or error}"
                ) from error
        finally:
            if not reply.done():
                reply.cancel()
                reply.add_done_callback(_retrieve)
            # Without a verdict (timeout, cancellation, failure) the connection is dropped at
            # once: a graceful close would wait for clamd to read what is still buffered.
            await _close(writer, abort=not reply.done() or reply.cancelled())
        return raw[:-1].decode("utf-8", errors="replace").strip()

    def _verdict(self, reply: str, size: int) -> ScanResult:
        """Map clamd's reply to a result, or raise ScanFailed."""
        if reply.startswith(_SIZE_LIMIT_REPLY):
            raise ScanFailed(
                f"the file ({format_bytes(size, decimals=1, iec=True)}) is larger than the virus scanner accepts: raise "
                "StreamMaxLength in clamd.conf (and MaxFileSize and MaxScanSize with it) to at "
                "least the upload limit DOCENT_MAX_UPLOAD_MB, then restart clamd"
            )
        if reply == "COMMAND READ TIMED OUT":
            raise ScanFailed(
                "the virus scanner gave up waiting for the file: clamd's ReadTimeout or "
                "CommandReadTimeout is too short for this upload"
            )
        body = reply.removeprefix("stream:").strip()
        if body == "OK":
            return ScanResult(clean=True, signature=None)
        if body.endswith(" FOUND"):
            signature = body.removesuffix(" FOUND").strip()
            return ScanResult(clean=False, signature=signature or "unknown")
        if body.endswith(" ERROR"):
            reason = body.removesuffix(" ERROR").strip()
            raise ScanFailed(f"the virus scanner could not scan the file: {reason}")
        raise ScanFailed(f"unexpected answer from the virus scanner at {self.url}: {reply[:200]!r}")


def _retrieve(task: asyncio.Future[bytes]) -> None:
    """Mark a dropped reply's outcome as seen, so that asyncio does not warn about it."""
    if not task.cancelled():
        task.exception()


async def _close(writer: asyncio.StreamWriter, *, abort: bool = False) -> None:
    """Close a connection: gracefully for at most 5 s, else (or when `abort`) at once."""
    if abort:
        writer.transport.abort()
    else:
        writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 5.0)
    except TimeoutError:
        writer.transport.abort()
    except OSError:
        pass
