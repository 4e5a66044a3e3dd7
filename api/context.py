"""The typed context resolvers receive."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as _Info

if TYPE_CHECKING:
    from docent.api.admission import Admission
    from docent.api.auth import Principal
    from docent.composition import Services


@dataclass
class Context:
    #: The services resolvers call.
    services: Services
    principal: Principal
    request_id: str
    #: The client's address (for per-address limits); None when unknown.
    client_host: str | None = None
    #: On a WebSocket: the socket, the connection_init payload (Strawberry sets it), and the
    #: task that closes the connection when the token expires.
    websocket: WebSocket | None = None
    connection_params: Any = None
    expiry: asyncio.Task[None] | None = None
    #: The process's admission of search work (api/admission.py); None: unbounded.
    admission: Admission | None = None
    #: Over HTTP, the request (a wait for a slot ends when its client disconnects).
    request: Request | None = None


Info: TypeAlias = _Info[Context, None]


def introspection_allowed(context: Any) -> bool:
    """DOCENT_INTROSPECTION of the running server; allowed without one (tests, print-schema).
    When it is off, errors suggest no names either ("Did you mean ...?")."""
    services = getattr(context, "services", None)
    settings = getattr(services, "settings", None)
    return bool(settings.introspection) if settings is not None else True
