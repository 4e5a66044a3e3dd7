"""HTTP written by hand, for requests a client library would not send (repeated headers,
Transfer-Encoding with Content-Length) or would not send that way (a body announced but
held back, a body streamed until the server answers), and a server process's resources."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    #: Bytes of the request body written when the response's status line arrived.
    sent: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name.lower()]
        return values[0] if values else None

    def json(self) -> Any:
        return json.loads(self.body)


def head(method: str, path: str, headers: Iterable[tuple[str, str]]) -> bytes:
    """A request line and headers, exactly as given (repeats and order kept)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _read_response(reader: asyncio.StreamReader) -> RawResponse:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection without answering")
    status = int(status_line.split()[1])
    headers: list[tuple[str, str]] = []
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip().lower(), value.strip()))
    length = next((int(v) for k, v in headers if k == "content-length"), None)
    body = await (reader.readexactly(length) if length is not None else reader.read())
    return RawResponse(status, headers, body)


async def exchange(
    port: int, request: bytes, body_blocks: AsyncIterator[bytes] | None = None, timeout: float = 30
) -> RawResponse:
    """Send `request` (and then `body_blocks`, until they end or the server answers) and
    read the response. `sent` says how many body bytes were written before it came."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    try:
        writer.write(request)
        await writer.drain()
        answer = asyncio.ensure_future(_read_response(reader))
        if body_blocks is not None:
            async for block in body_blocks:
                if answer.done():
                    break
                writer.write(block)
                try:
                    await writer.drain()
                except (ConnectionError, OSError):
                    break  # the server answered and closed: the response is waiting
                sent += len(block)
        try:
            response = await asyncio.wait_for(answer, timeout)
        except ConnectionResetError:
            # The server answered and closed while body bytes it had not read were still
            # arriving: its kernel then resets the connection, and ours may drop the answer
            # it had received (RFC 9112 section 9.6). What is known is what was sent.
            return RawResponse(0, [], b"", sent, {"reset": True})
        response.sent = sent
        return response
    finally:
        writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await writer.wait_closed()


def resident_mb(pid: int) -> float:
    """A process's resident memory (VmRSS), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise LookupError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user + system), in seconds: unlike wall-clock
    time, it does not grow when other processes share the machine."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
