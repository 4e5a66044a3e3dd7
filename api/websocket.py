"""graphql-transport-ws, with every message checked before Strawberry reads it.

The protocol (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md) says a message
of a type or format it does not specify closes the socket with 4400. Strawberry's handler
reads messages as dicts of the right types: a JSON list, a subscribe whose payload is a
string or whose id is an object, raised a TypeError that dropped the connection with no
close frame, and a `query` that is not a string reached the parser, whose Python error
message went to the client. Here a malformed message closes the socket with 4400 and the
reason; a well-formed subscribe whose payload holds values of the wrong types is answered
with an `error` message for its id (INVALID_INPUT), as a request with a bad body is over HTTP.

What a socket may send is bounded (api/socket_limits.py): a message larger than
DOCENT_MAX_REQUEST_KB closes it with 1009 (the size uvicorn is also told, so it does not
assemble more); more messages than the rate allows close it with 4429; more sockets than one
user (or address) may hold are closed with 4429; an operation past what one user may run over
all their sockets is refused with an `error` (RATE_LIMITED). Between two messages the handler
yields to the event loop, so a socket whose messages are already queued cannot hold it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from starlette.websockets import WebSocketDisconnected as SendAfterClose
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage

from docent.api.auth import LOCAL_USER
from docent.api.context import Context
from docent.api.query_shape import DOCUMENT_TOO_LONG, MAX_DOCUMENT_CHARS
from docent.api.socket_limits import (
    MESSAGE_BURST,
    MESSAGES_PER_SECOND,
    OPERATIONS_PER_SECOND,
    SOCKETS_PER_SECOND,
    SocketRegistry,
    TokenBucket,
)
from docent.errors import ErrorCode

log = logging.getLogger("docent.api")

#: graphql-transport-ws has no code for these; 4429 is the one it uses for "too many".
TOO_MANY = 4429
#: RFC 6455's "message too big".
TOO_BIG = 1009
#: What sending to a client that has gone raises (Starlette, then Strawberry's wrapping):
#: a client closing its socket is no error of the server's.
_GONE = (WebSocketDisconnected, WebSocketDisconnect, SendAfterClose)

#: The payload of a subscribe: its keys and the types their values may have.
_PAYLOAD: dict[str, tuple[type, ...]] = {
    "query": (str,),
    "variables": (dict, type(None)),
    "operationName": (str, type(None)),
    "extensions": (dict, type(None)),
}


class CheckedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    #: Set by the view: the largest message, in bytes (DOCENT_MAX_REQUEST_KB), and the
    #: registry of the process's sockets.
    max_message_bytes: int = 256 * 1024
    registry: SocketRegistry | None = None
    _owner: str = "address:unknown"

    @property
    def running(self) -> int:
        """Operations this socket runs (SocketRegistry counts them per user)."""
        return len(self.operations)

    async def handle(self) -> None:
        socket = getattr(self.websocket, "ws", None)
        if not isinstance(socket, WebSocket):  # not Starlette's: Strawberry's own loop
            await super().handle()
            return
        self._owner = _address(self.context)
        self.on_request_accepted()
        try:
            if self.registry is not None and not self.registry.admit(self._owner, self):
                reason = f"too many WebSockets from {self._owner.split(':', 1)[1]}"
                await self.websocket.close(code=TOO_MANY, reason=reason)
                return
            await self._receive(socket)
        except _GONE as exc:
            log.debug("a WebSocket client went away (%s)", type(exc).__name__)
        finally:
            if self.registry is not None:
                self.registry.release(self._owner, self)
            await self.shutdown()

    async def _receive(self, socket: WebSocket) -> None:
        """Strawberry's loop (iter_json), with each message's size and rate checked before
        it is decoded, and a turn of the event loop after each."""
        bucket = TokenBucket(MESSAGES_PER_SECOND, MESSAGE_BURST)
        while True:
            event = await socket.receive()
            if event["type"] == "websocket.disconnect":
                return
            text = event.get("text")
            if text is None:
                await self.handle_invalid_message("WebSocket message type must be text")
                return
            # A character is at least one byte in UTF-8: more characters, more bytes.
            if len(text) > self.max_message_bytes:
                kb = self.max_message_bytes // 1024
                await self.websocket.close(
                    code=TOO_BIG, reason=f"a message is larger than {kb} KB (DOCENT_MAX_REQUEST_KB)"
                )
                return
            if not bucket.take():
                rate = f"{MESSAGES_PER_SECOND:g} a second"
                await self.websocket.close(code=TOO_MANY, reason=f"more messages than {rate}")
                return
            try:
                message = self.view.decode_json(text)
            except json.JSONDecodeError:
                await self.handle_invalid_message("WebSocket message must be valid JSON")
                return
            await self.handle_message(message)
            if socket.application_state == WebSocketState.DISCONNECTED:
                return
            # A message that needed no I/O (a ping whose pong fits the send buffer) lets
            # no other task run: without this, one socket's queue holds the loop.
            await asyncio.sleep(0)

    async def handle_task_exception(self, error: Exception) -> None:
        if isinstance(error, _GONE):  # an operation answering a client that has gone
            log.debug("a WebSocket operation's client went away (%s)", type(error).__name__)
            return
        await super().handle_task_exception(error)

    async def send_message(self, message: Any) -> None:
        # The acknowledgement is where the socket's user is known (on_ws_connect has checked
        # the token): one over the user's bounds is closed instead of acknowledged.
        if message.get("type") == "connection_ack" and not await self._admit_user():
            return
        await super().send_message(message)

    async def _admit_user(self) -> bool:
        owner = _user(self.context)
        if owner is None or self.registry is None:
            return True
        if not self.registry.admit(owner, self):
            await self.websocket.close(code=TOO_MANY, reason=self._too_many_sockets())
            return False
        self.registry.release(self._owner, self)
        self._owner = owner
        return True

    async def handle_message(self, message: Any) -> None:
        problem = _malformed(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        if message["type"] == "subscribe" and self.connection_acknowledged:
            wrong = _wrong_payload(message["payload"])
            if wrong is not None:
                await self._refuse(message["id"], ErrorCode.INVALID_INPUT, wrong)
                return
            if len(message["payload"]["query"]) > MAX_DOCUMENT_CHARS:
                await self._refuse(message["id"], ErrorCode.TOO_LARGE, DOCUMENT_TOO_LONG)
                return
            if message["id"] not in self.operations and not self._may_start():
                await self._refuse(message["id"], ErrorCode.RATE_LIMITED, self._too_many())
                return
        await super().handle_message(message)

    def _may_start(self) -> bool:
        limit = self.max_subscriptions_per_connection
        if limit is not None and len(self.operations) >= limit:
            return False
        return self.registry is None or self.registry.may_start(self._owner)

    def _too_many_sockets(self) -> str:
        most = self.registry.sockets_per_owner if self.registry else 0
        return f"too many WebSockets for this user: {most} at once, new ones at {SOCKETS_PER_SECOND:g} a second"

    def _too_many(self) -> str:
        limit = self.max_subscriptions_per_connection
        if limit is not None and len(self.operations) >= limit:
            return f"this WebSocket runs {limit} operations, the most one may; complete one first"
        most = self.registry.operations_per_owner if self.registry else 0
        return (
            f"you run {most} operations over your WebSockets, or started more than that and "
            f"then {OPERATIONS_PER_SECOND:g} a second, the most one user may"
        )

    async def _refuse(self, id: str, code: ErrorCode, message: str) -> None:
        refusal: ErrorMessage = {
            "id": id,
            "type": "error",
            "payload": [{"message": message, "extensions": {"code": code.value}}],
        }
        await self.send_message(refusal)


def _address(context: Context) -> str:
    return f"address:{context.client_host or 'unknown'}"


def _user(context: Context) -> str | None:
    """The owner of an authenticated socket; None with DOCENT_AUTH=none (the address is)."""
    user = context.principal.id
    return f"user:{user}" if user and user != LOCAL_USER else None


def _malformed(message: Any) -> str | None:
    """Why `message` breaks the protocol's format, or None."""
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "a message must have a `type` (a string)"
    has_id = isinstance(message.get("id"), str) and message["id"]
    if kind in ("subscribe", "complete") and not has_id:
        return f"a {kind} message must have an `id` (a non-empty string)"
    if kind == "subscribe" and not isinstance(message.get("payload"), dict):
        return "a subscribe message must have a `payload` (an object)"
    if kind in ("ping", "pong") and not isinstance(message.get("payload", {}), dict | None):
        return f"a {kind} message's `payload` must be an object"
    return None


def _wrong_payload(payload: dict[str, Any]) -> str | None:
    """Why a subscribe's payload cannot be run, or None."""
    for key, types in _PAYLOAD.items():
        value = payload.get(key)
        if key == "query" and value is None:
            return "the subscribe payload has no `query`"
        if not isinstance(value, types):
            wanted = "a string" if types[0] is str else "an object"
            return f"the subscribe payload's `{key}` must be {wanted}"
    return None
