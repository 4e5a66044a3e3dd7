"""graphql-transport-ws, with every message checked before Strawberry reads it.

The protocol (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md) says a message
of a type or format it does not specify closes the socket with 4400. Strawberry's handler
reads messages as dicts of the right types: a JSON list, a subscribe whose payload is a
string or whose id is an object, raised a TypeError that dropped the connection with no
close frame, and a `query` that is not a string reached the parser, whose Python error
message went to the client. Here a malformed message closes the socket with 4400 and the
reason; a well-formed subscribe whose payload holds values of the wrong types is answered
with an `error` message for its id (INVALID_INPUT), as a request with a bad body is over HTTP.
"""

from __future__ import annotations

from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage

from docent.api.context import Context
from docent.errors import ErrorCode

#: The payload of a subscribe: its keys and the types their values may have.
_PAYLOAD: dict[str, tuple[type, ...]] = {
    "query": (str,),
    "variables": (dict, type(None)),
    "operationName": (str, type(None)),
    "extensions": (dict, type(None)),
}


class CheckedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_message(self, message: Any) -> None:
        problem = _malformed(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        if message["type"] == "subscribe" and self.connection_acknowledged:
            wrong = _wrong_payload(message["payload"])
            if wrong is not None:
                code = ErrorCode.INVALID_INPUT.value
                refusal: ErrorMessage = {
                    "id": message["id"],
                    "type": "error",
                    "payload": [{"message": wrong, "extensions": {"code": code}}],
                }
                await self.send_message(refusal)
                return
        await super().handle_message(message)


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
