"""uvicorn's HTTP protocol, with its own refusals in docent's shape.

A request uvicorn cannot parse (a malformed request line, bytes a header may not hold, a
broken chunked body) never reaches the application: uvicorn answers it itself, by
`send_400_response`, with "Invalid HTTP request received." as text/plain. Every other
refusal of docent is JSON in the GraphQL error shape with a code and an `X-Request-ID`
(api/middleware.py); this protocol answers these the same way: 400 BAD_REQUEST, then it
closes the connection, as uvicorn does (the rest of the stream cannot be read).

The protocol uvicorn would choose ("auto": httptools when installed, else h11) is kept;
only `send_400_response`, a method both have for this, is replaced.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from docent.api.middleware import transport_code

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    _Base: type[Any] = HttpToolsProtocol
except ImportError:  # uvicorn without httptools: h11, as uvicorn's "auto" chooses
    _Base = H11Protocol

#: What the refusal says: the request is not HTTP/1.1 uvicorn could read.
UNREADABLE = (
    "the request could not be read as HTTP/1.1 (a malformed request line, header or chunked body)"
)


def refusal_bytes(request_id: str, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """The whole response: 400, the server's default headers (Date, Server), JSON
    `{"errors": [{"message", "extensions": {"code": "BAD_REQUEST"}}]}`, `X-Request-ID`,
    `Connection: close`."""
    body = json.dumps(
        {"errors": [{"message": UNREADABLE, "extensions": {"code": transport_code(400)}}]}
    ).encode()
    lines = [b"HTTP/1.1 400 Bad Request"]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [
        b"content-type: application/json",
        b"content-length: " + str(len(body)).encode(),
        b"x-request-id: " + request_id.encode(),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class JsonRefusalHTTPProtocol(_Base):
    """uvicorn's HTTP protocol whose own 400 is JSON (see the module)."""

    transport: asyncio.Transport

    def send_400_response(self, msg: str) -> None:
        # `msg` is uvicorn's text ("Invalid HTTP request received."), logged by uvicorn.
        self.transport.write(refusal_bytes(uuid.uuid4().hex, self.server_state.default_headers))
        self.transport.close()
