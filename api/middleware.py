"""Transport rules in front of GraphQL, one rule per middleware (pure ASGI, as Starlette's own
middlewares are written). `create_app` stacks them in this order, outermost first:

    RequestId -> LoopbackOnly (DOCENT_AUTH=none) -> BearerAuth -> MultipartCsrf -> UploadLimit

so every HTTP response, refusals included, carries `X-Request-ID`. A refusal has the shape
of a GraphQL error, `{"errors": [{"message": ..., "extensions": {"code": ...}}]}`, with its
HTTP status; a refused WebSocket is closed with 4403 before it is accepted.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docent.api.auth import Authenticator, is_loopback
from docent.errors import DocentError

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
#: Room for the multipart envelope around the file (boundaries, headers, operations).
_MULTIPART_OVERHEAD = 64 * 1024


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (of a repeated header, the last)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer instead of the app: `status` with a GraphQL-shaped error carrying `code`, or,
    on a WebSocket, a close with 4403 (the reason is the message, cut to fit a frame)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4403, "reason": message[:120]})
        return
    response = JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )
    await response(scope, receive, send)


class RequestId:
    """Every request gets an id: the client's `X-Request-ID` when it is a plain one (at most
    64 letters, digits and `._:-`), else a new one. It is kept in `scope["state"]` for what
    runs behind (the GraphQL context, masked errors) and sent back on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = _headers(scope).get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        await self.app(scope, receive, send_with_id)


class LoopbackOnly:
    """With DOCENT_AUTH=none docent serves one local user: a request or WebSocket from any
    other address is refused (403 FORBIDDEN), whatever it asks for."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and not is_loopback(client[0]):
            message = "this docent serves only its own machine (DOCENT_AUTH=none)"
            await refuse(scope, receive, send, 403, "FORBIDDEN", message)
            return
        await self.app(scope, receive, send)


def reads_data(scope: Scope) -> bool:
    """A GraphQL operation over HTTP: POST /graphql, or GET /graphql with a query (a GET
    without one is the GraphiQL page, which holds no data)."""
    if scope["path"] != "/graphql":
        return False
    if scope["method"] != "GET":
        return True
    # Decoded as the GraphQL server will decode it (`%71uery=` is `query=`).
    params = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return "query" in params


class BearerAuth:
    """A GraphQL operation over HTTP runs as the principal the authenticator finds in its
    `Authorization` header, kept in `scope["state"]["principal"]`; without one it is refused
    (401, `WWW-Authenticate: Bearer`) before its body is read. WebSockets authenticate their
    connection_init payload instead (`DocentGraphQL.on_ws_connect`)."""

    def __init__(self, app: ASGIApp, *, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and reads_data(scope):
            authorization = _headers(scope).get("authorization")
            try:
                principal = await self.authenticator.authenticate(authorization)
            except DocentError as exc:
                challenge = {"www-authenticate": "Bearer"}
                await refuse(scope, receive, send, 401, exc.code.value, exc.message, challenge)
                return
            scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _multipart_post(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope["method"] == "POST"
        and _headers(scope).get("content-type", "").startswith("multipart/")
    )


class MultipartCsrf:
    """Cross-site request forgery: a page on another site can make a browser post a
    multipart form, with the user's credentials, without a CORS preflight. A multipart POST
    must carry `Apollo-Require-Preflight` or `X-Requested-With`, which such a form cannot
    set (setting them makes the browser ask first), or it is refused (400 BAD_REQUEST)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _multipart_post(scope):
            headers = _headers(scope)
            if not (
                headers.get("apollo-require-preflight", "").strip()
                or headers.get("x-requested-with", "").strip()
            ):
                message = (
                    "multipart requests need an Apollo-Require-Preflight or X-Requested-With "
                    "header (cross-site request forgery prevention)"
                )
                await refuse(scope, receive, send, 400, "BAD_REQUEST", message)
                return
        await self.app(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class UploadLimit:
    """A multipart POST carries one upload of at most `max_upload_bytes`, plus room for
    the envelope. A larger `Content-Length` is refused before the body is read; a body that
    grows past the limit as it streams in (chunked, or longer than it said) is refused as
    soon as it does (413 TOO_LARGE). The blob store checks the file itself to the byte."""

    def __init__(self, app: ASGIApp, *, max_upload_bytes: int, max_upload_mb: float) -> None:
        self.app = app
        self.max_body = max_upload_bytes + _MULTIPART_OVERHEAD
        self.message = f"the upload is larger than {max_upload_mb:g} MB"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _multipart_post(scope):
            await self.app(scope, receive, send)
            return
        length = _headers(scope).get("content-length")
        if length and length.isdigit() and int(length) > self.max_body:
            await refuse(scope, receive, send, 413, "TOO_LARGE", self.message)
            return
        try:
            await self.app(scope, _limited(receive, self.max_body), send)
        except _BodyTooLarge:
            await refuse(scope, receive, send, 413, "TOO_LARGE", self.message)


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive`, raising _BodyTooLarge once the body read so far exceeds `limit` bytes."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge
        return message

    return wrapped
