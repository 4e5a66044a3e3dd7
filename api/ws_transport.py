"""uvicorn's WebSocket protocol (websockets-sansio), with a peer that keeps sending after the
server has closed its socket cut off.

After a close frame uvicorn reads on until the peer's close reply (or 10 s), parsing and
discarding every frame on the event loop: a client that had queued 50,000 `ping` messages
before docent closed its socket for flooding (4429, api/websocket.py) cost ~5 s of other
users' requests that way. A well-behaved peer sends at most what was in flight, then its
close reply; past AFTER_CLOSE_BYTES the connection is aborted.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

#: What a peer may still send once the server's close frame is out: one message in flight
#: of the size of a request body (DOCENT_MAX_REQUEST_KB, 256 KB), and its close reply.
AFTER_CLOSE_BYTES = 256 * 1024 + 1024


class ClosingWebSocketProtocol(WebSocketsSansIOProtocol):
    _after_close = 0

    def data_received(self, data: bytes) -> None:
        if self.close_sent:
            self._after_close += len(data)
            if self._after_close > AFTER_CLOSE_BYTES:
                self.transport.abort()  # connection_lost tells the application
                return
        super().data_received(data)
