"""Transport rules in front of GraphQL, one rule per middleware (pure ASGI, as Starlette's own
middlewares are written). `create_app` stacks them in this order, outermost first:

    RequestId -> OneMeaning -> LoopbackOnly (DOCENT_AUTH=none) -> BearerAuth
      -> MultipartCsrf -> BodyLimit

so every HTTP response, refusals included, carries `X-Request-ID`. A refusal has the shape
of a GraphQL error, `{"errors": [{"message": ..., "extensions": {"code": ...}}]}`, with its
HTTP status (`json_error`); a refused WebSocket is closed before it is accepted.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qs

from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docent.api.auth import Authenticator, is_loopback
from docent.errors import DocentError

log = logging.getLogger("docent.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
#: Room for the multipart envelope around the file (boundaries, headers, operations).
_MULTIPART_OVERHEAD = 64 * 1024
#: What an unexpected error says (as a masked GraphQL error does): the log has the rest.
INTERNAL_MESSAGE = "Unexpected error. It was logged; quote the request id when reporting it."

#: The code of a transport refusal, by HTTP status.
TRANSPORT_CODES: Mapping[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    416: "RANGE_NOT_SATISFIABLE",
    429: "RATE_LIMITED",
}


def transport_code(status: int) -> str:
    return TRANSPORT_CODES.get(status, "INTERNAL" if status >= 500 else "BAD_REQUEST")


def json_error(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **extensions: object,
) -> JSONResponse:
    """A refusal in the shape of a GraphQL error: `{"errors": [{"message", "extensions":
    {"code", ...}}]}`, with its HTTP status."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]},
        status_code=status,
        headers=headers,
    )


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name. OneMeaning has refused a request that
    repeats one these rules read, so there is one of each."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    close_code: int = 4403,
) -> None:
    """Answer instead of the app: `status` with a GraphQL-shaped error carrying `code`, or,
    on a WebSocket, a close with `close_code` (the reason is the message, cut to fit a
    frame; before the handshake, the server answers it with 403)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": close_code, "reason": message[:120]})
        return
    await json_error(status, code, message, headers)(scope, receive, send)


class RequestId:
    """Every request gets an id: the client's `X-Request-ID` when it is a plain one (at most
    64 letters, digits and `._:-`), else a new one. It is kept in `scope["state"]` for what
    runs behind (the GraphQL context, masked errors) and sent back on every HTTP response.
    An exception that reaches it before the response has started is logged under that id and
    answered 500 INTERNAL, in the same shape as every other error."""

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
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # The client closed the connection before its body was in: nobody to answer,
            # and nothing wrong with the server.
            log.info("the client went away before its request was read (request %s)", request_id)
        except Exception:
            if scope["type"] != "http" or started:
                raise
            log.exception("unexpected error (request %s)", request_id)
            response = json_error(500, "INTERNAL", INTERNAL_MESSAGE, requestId=request_id)
            await response(scope, receive, send_with_id)


#: Headers whose meaning a second copy would change, for the guards or the framework.
_SINGLE = ("content-type", "content-length", "authorization", "origin", "host", "range", "if-range")
#: What a POST to /graphql may hold, as the framework reads it.
_MEDIA_TYPES = ("application/json", "multipart/form-data")


class OneMeaning:
    """The guards and the framework must read the same request. A request (or WebSocket
    handshake) that repeats a header they read (`_SINGLE`), or that sends Transfer-Encoding
    with Content-Length, is refused (400 BAD_REQUEST): of two Content-Type headers, a guard
    reading the last and Starlette the first once let a multipart upload skip the CSRF
    check and the upload limit. A POST to /graphql must be JSON or multipart (415
    UNSUPPORTED_MEDIA_TYPE otherwise), and its Content-Type goes on with its media type
    written as the framework compares it (`Multipart/Form-Data` as `multipart/form-data`),
    so that every rule behind sees what Starlette and Strawberry will."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        seen: dict[str, int] = {}
        for name, _ in scope["headers"]:
            key = name.decode("latin-1").lower()
            seen[key] = seen.get(key, 0) + 1
        repeated = [name for name in _SINGLE if seen.get(name, 0) > 1]
        if repeated or ("transfer-encoding" in seen and "content-length" in seen):
            what = f"{seen[repeated[0]]} {repeated[0]} headers" if repeated else (
                "both Transfer-Encoding and Content-Length headers"
            )  # fmt: skip
            message = f"the request has {what}: send one, so that it has one meaning"
            await refuse(scope, receive, send, 400, "BAD_REQUEST", message, close_code=4400)
            return
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/graphql":
            canonical = _canonical_content_type(_headers(scope).get("content-type", ""))
            if canonical is None:
                message = (
                    "send GraphQL requests as application/json, or uploads as "
                    "multipart/form-data (the GraphQL multipart request)"
                )
                await refuse(scope, receive, send, 415, "UNSUPPORTED_MEDIA_TYPE", message)
                return
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
            scope = {**scope, "headers": [*headers, (b"content-type", canonical)]}
        await self.app(scope, receive, send)


def _canonical_content_type(value: str) -> bytes | None:
    """`value` with its media type lower-case and trimmed (its parameters as they were),
    when it is one docent reads; None otherwise. Parsed as Starlette parses it."""
    media_type, _ = parse_options_header(value)
    media = media_type.decode("latin-1")
    if media not in _MEDIA_TYPES:
        return None
    _, semicolon, parameters = value.partition(";")
    return (media + semicolon + parameters).encode("latin-1")


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
    without one is the GraphiQL page, which holds no data); or a document's file or page
    preview (`/documents/...`)."""
    if scope["path"].startswith("/documents/"):
        return True
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


class BodyLimit:
    """Every request body has a limit: a multipart POST's is `max_upload_bytes` plus room for
    the envelope (its one upload), any other's `max_request_bytes`
    (DOCENT_MAX_REQUEST_KB). A larger `Content-Length` is refused before the body is read; a
    body that grows past the limit as it streams in (chunked, or longer than it said) is
    refused as soon as it does (413 TOO_LARGE), so that no request makes the server hold
    more. The blob store checks an uploaded file itself to the byte."""

    def __init__(
        self, app: ASGIApp, *, max_upload_bytes: int, max_upload_mb: float, max_request_bytes: int
    ) -> None:
        self.app = app
        self.upload = (max_upload_bytes + _MULTIPART_OVERHEAD, f"the upload is larger than {max_upload_mb:g} MB")  # fmt: skip
        self.request = (
            max_request_bytes,
            f"the request body is larger than {max_request_bytes // 1024} KB "
            "(DOCENT_MAX_REQUEST_KB); an upload is a multipart request",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, message = self.upload if _multipart_post(scope) else self.request
        length = _headers(scope).get("content-length")
        if length and length.isdigit() and int(length) > limit:
            await refuse(scope, receive, send, 413, "TOO_LARGE", message)
            return
        try:
            await self.app(scope, _limited(receive, limit), send)
        except _BodyTooLarge:
            await refuse(scope, receive, send, 413, "TOO_LARGE", message)


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
