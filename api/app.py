"""The Starlette application: GraphQL at /graphql (HTTP and WebSocket), health endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, FormData, HTTPException, StarletteRequestAdapter
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from docent.api.admission import Admission
from docent.api.auth import NOBODY, Authenticator, build_authenticator, local_principal
from docent.api.browser import BrowserHeaders, home_routes, page_policy
from docent.api.context import Context
from docent.api.files import download, preview
from docent.api.graphiql import assets_route, graphiql_html
from docent.api.middleware import (
    BearerAuth,
    BodyLimit,
    LoopbackOnly,
    MultipartCsrf,
    OneMeaning,
    RequestId,
    json_error,
    transport_code,
)
from docent.api.multipart import MultipartError, place_files
from docent.api.query_shape import DOCUMENT_TOO_LONG, MAX_DOCUMENT_CHARS
from docent.api.schema import build_schema
from docent.api.socket_limits import SocketRegistry
from docent.api.websocket import CheckedTransportWSHandler
from docent.composition import Services, open_components
from docent.errors import DocentError
from docent.health import Readiness
from docent.settings import Settings, usable_cores

log = logging.getLogger("docent.api")

#: Operations one WebSocket may run at once (Strawberry's default is 100).
MAX_SUBSCRIPTIONS_PER_SOCKET = 20


@dataclass
class AppState:
    settings: Settings
    authenticator: Authenticator
    services: Services | None = None
    readiness: Readiness | None = None
    worker_task: asyncio.Task[None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class DocentGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view, with every refusal of its transport typed: JSON in the GraphQL
    error shape with a code (`json_error`), never plain text; bodies that are not JSON
    (invalid UTF-8, nested past the stack) and multipart requests the spec does not allow
    are 400 BAD_REQUEST, not 500; WebSocket messages are checked (api/websocket.py)."""

    def __init__(self, state: AppState) -> None:
        limit = state.settings.api.max_request_bytes

        class Adapter(_FieldsLimited):
            max_field_bytes = limit

        class Handler(CheckedTransportWSHandler):
            max_message_bytes = limit
            registry = SocketRegistry(
                sockets_per_owner=state.settings.api.ws_sockets_per_user,
                operations_per_owner=state.settings.api.ws_operations_per_user,
            )

        self.request_adapter_class = Adapter
        self.graphql_transport_ws_handler_class = Handler
        super().__init__(
            build_schema(),
            graphql_ide="graphiql",
            multipart_uploads_enabled=True,  # CSRF-guarded by MultipartCsrf
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allow_queries_via_get=True,
            # Browsers send Origin on WebSockets: same-site pages, and the CORS origins.
            allowed_origins=state.settings.api.cors_origins,
            # Each subscription holds a Redis subscription: a socket may not hoard them.
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_SOCKET,
        )
        self._state = state
        api = state.settings.api
        # Unset: one per core, at least 2: more only lengthen each other's turns on the
        # event loop (BENCHMARKS.md, session 7: 2 slots served another user sooner than 4).
        slots = api.search_slots or max(2, usable_cores())
        self._admission = Admission(slots, api.queued_searches_per_user)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        services = self._state.services
        if services is None:
            raise RuntimeError("docent is starting")
        request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
        client = request.client
        # HTTP: BearerAuth authenticated the request. WebSocket: nobody until the
        # connection_init payload is checked in on_ws_connect (no operation runs before).
        principal = getattr(request.state, "principal", None)
        if isinstance(request, WebSocket):
            principal = local_principal() if self._state.settings.api.auth == "none" else NOBODY
        if principal is None:
            principal = NOBODY  # the GraphiQL page: no operation, no data
        return Context(
            services=services,
            principal=principal,
            request_id=request_id,
            client_host=client.host if client else None,
            websocket=request if isinstance(request, WebSocket) else None,
            admission=self._admission,
            request=None if isinstance(request, WebSocket) else request,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate a WebSocket from its connection_init payload
        (`{"authorization": "Bearer ..."}`) or, for clients that can set headers, the
        upgrade request's Authorization header; refused connections close with 4403."""
        if self._state.settings.api.auth == "none":
            return UNSET
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("authorization") or params.get("Authorization")
        if not isinstance(authorization, str) and context.websocket is not None:
            authorization = context.websocket.headers.get("authorization")
        try:
            principal = await self._state.authenticator.authenticate(
                authorization if isinstance(authorization, str) else None
            )
        except DocentError as exc:
            raise ConnectionRejectionError({"code": exc.code.value}) from exc
        context.principal = principal
        if principal.expires_at is not None and context.websocket is not None:
            context.expiry = asyncio.create_task(
                _close_at_expiry(context.websocket, principal.expires_at)
            )
        return UNSET

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_html()

    async def render_graphql_ide(self, request: Request) -> Response:
        html = self.graphql_ide_html
        return HTMLResponse(html, headers={"content-security-policy": page_policy(html)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as exc:
            response = json_error(exc.status_code, transport_code(exc.status_code), exc.reason)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        # A JSONDecodeError is what Strawberry answers: 400 over HTTP, 4400 on a WebSocket.
        try:
            parsed = json.loads(data)
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError("the body is not UTF-8 text", "", exc.start) from exc
        except RecursionError as exc:
            raise json.JSONDecodeError("the JSON is nested too deeply", "", 0) from exc
        if _holds_lone_surrogate(data, parsed):
            raise json.JSONDecodeError(
                "a string holds half of a UTF-16 surrogate pair (U+D800 to U+DFFF alone), "
                "which is not Unicode text",
                "",
                0,
            )
        return parsed

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = self.decode_json(data)
        except json.JSONDecodeError as exc:
            raise HTTPException(400, f"the request is not valid JSON: {exc.msg}") from exc
        # Strawberry reads a body as an object (or a batch): `null`, a string, a number or
        # a boolean reached its `.get` and was a 500.
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "the request must be a JSON object (or a list of them)")
        return parsed

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> Any:
        data = await super().parse_http_body(request)
        for item in data if isinstance(data, list) else [data]:
            # Strawberry checks `query`, `variables` and `extensions`, not this one.
            if not isinstance(item.operation_name, str | None):
                raise HTTPException(
                    400, "the request's `operationName` must be a string or null, if provided"
                )
            if isinstance(item.query, str) and len(item.query) > MAX_DOCUMENT_CHARS:
                raise HTTPException(413, DOCUMENT_TOO_LONG)
        return data

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, Any]:
        # Starlette refuses a broken body itself (an HTTPException: json_error answers it).
        form = (await request.get_form_data()).form
        operations, files_map = form.get("operations"), form.get("map")
        if not isinstance(operations, str) or not isinstance(files_map, str):
            raise HTTPException(
                400, "a multipart request needs `operations` and `map` fields (JSON text)"
            )
        try:
            return place_files(self.parse_json(operations), self.parse_json(files_map), form)
        except MultipartError as exc:
            raise HTTPException(400, str(exc)) from exc


class _FieldsLimited(StarletteRequestAdapter):
    """Starlette's request, with a multipart form's fields (`operations` and `map`: JSON, as
    any request body is) held to DOCENT_MAX_REQUEST_KB rather than Starlette's 1 MB."""

    max_field_bytes = 1024 * 1024

    async def get_form_data(self) -> FormData:
        try:
            form = await self._request.form(max_part_size=self.max_field_bytes)
        except StarletteHTTPException as exc:
            # Starlette says 400 for every broken form; a field over its bound is a request
            # too large (413 TOO_LARGE, as a body over DOCENT_MAX_REQUEST_KB is).
            if "exceeded maximum size" in str(exc.detail):
                raise HTTPException(
                    413,
                    f"a multipart field (`operations` or `map`) is larger than "
                    f"{self.max_field_bytes // 1024} KB (DOCENT_MAX_REQUEST_KB)",
                ) from exc
            # Starlette's "Invalid multipart data." hides why python-multipart stopped.
            reason = _multipart_reason(exc)
            if reason is not None:
                raise HTTPException(400, f"the multipart body cannot be read: {reason}") from exc
            raise
        return FormData(files=form, form=form)


def _multipart_reason(exc: BaseException) -> str | None:
    """python-multipart's own words for a body it refused, found among the causes of
    Starlette's exception; the header limit said in the client's terms (a trial: a file
    name of 5,000 characters got "Invalid multipart data.")."""
    cause: BaseException | None = exc
    for _ in range(5):
        cause = cause.__cause__ or cause.__context__ if cause is not None else None
        if cause is None:
            return None
        if type(cause).__module__.split(".")[0] in ("python_multipart", "multipart"):
            reason = str(cause) or type(cause).__name__
            if "header size" in reason:
                reason += " (a part's header line, its file name included, is at most 4 KB)"
            return reason
    return None


#: Where a lone surrogate can come from: an escape of one (`\\ud800`; json pairs a whole
#: pair into one character), or its UTF-8 form (ED A0..BF), which json.loads lets through
#: when it decodes bytes ("surrogatepass"). Text without either holds none.
_SURROGATE_SOURCE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_SURROGATE_SOURCE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _holds_lone_surrogate(data: str | bytes, parsed: object) -> bool:
    """Whether a string (or key) of `parsed` holds a lone surrogate: no encoder of UTF-8
    takes one, so it would fail deep in the embedder, SQLite or Redis as an INTERNAL
    error. A linear scan of the body first; the walk (iterative: JSON may nest as deep as
    the parser allows) only when the body could hold one."""
    if isinstance(data, str):
        if _SURROGATE_SOURCE.search(data) is None:
            return False
    # JSON bytes in UTF-16 or UTF-32 (json.loads reads them too) are walked.
    elif json.detect_encoding(data).startswith("utf-8") and not _SURROGATE_SOURCE_BYTES.search(
        data
    ):
        return False
    pending = [parsed]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


async def _close_at_expiry(websocket: WebSocket, expires_at: float) -> None:
    """An expired token ends its connection (4401), whatever it was doing."""
    await asyncio.sleep(max(0.0, expires_at - time.time()))
    with contextlib.suppress(Exception):
        await websocket.close(code=4401, reason="token expired")


def create_app(settings: Settings | None = None, *, run_worker: bool | None = None) -> Starlette:
    """The ASGI application. With `run_worker` (default: when Redis is embedded) the
    ingestion worker runs inside this process."""
    settings = settings or Settings.load()
    authenticator = build_authenticator(settings)
    state = AppState(settings=settings, authenticator=authenticator)
    graphql = DocentGraphQL(state)
    in_process_worker = settings.queue.redis_url is None if run_worker is None else run_worker

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_components(settings) as components:
            state.services, state.readiness = components.services, components.readiness
            worker = None
            if in_process_worker:
                from docent.ingestion.worker import build_worker

                worker = build_worker(components.worker, handle_signals=False)
                state.worker_task = asyncio.create_task(worker.async_run(), name="docent-worker")
            # The first preview (or parse) would otherwise start the fork server: ~13 s.
            warming = asyncio.create_task(
                components.services.previews.warm(), name="docent-preview-warm-up"
            )
            log.info(
                "docent ready: search=%s embedder=%s generator=%s worker=%s",
                settings.search.search_backend,
                components.embedder.model,
                components.generator.model if components.generator else None,
                "in-process" if worker else "external",
            )
            try:
                yield
            finally:
                warming.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await warming
                if worker is not None and state.worker_task is not None:
                    await worker.close()
                    state.worker_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await state.worker_task
                state.services = state.readiness = None

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        readiness = state.readiness
        if readiness is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        checks = await readiness.checks()
        if state.worker_task is not None:
            checks["worker"] = "stopped" if state.worker_task.done() else "ok"
        ok = all(v == "ok" for v in checks.values())
        body: dict[str, object] = {"status": "ok" if ok else "unavailable", "checks": checks}
        if (circuits := readiness.circuits()) is not None:
            body["providers"] = circuits
        return JSONResponse(body, status_code=200 if ok else 503)

    async def document_file(request: Request) -> Response:
        if state.services is None:
            return json_error(503, "INTERNAL", "docent is starting")
        return await download(request, state.services.documents)

    async def document_page(request: Request) -> Response:
        if state.services is None:
            return json_error(503, "INTERNAL", "docent is starting")
        services = state.services
        return await preview(request, services.documents, services.previews, services.limiter)

    async def metrics(request: Request) -> Response:
        text = await state.readiness.metrics() if state.readiness is not None else ""
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    routes = [
        *home_routes(),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/documents/{id}/file", document_file, methods=["GET", "HEAD"]),
        Route("/documents/{id}/pages/{page}.png", document_page),
        assets_route(),
    ]
    middleware = _middleware(settings, authenticator)
    handlers = {StarletteHTTPException: _http_error}
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers=handlers,  # type: ignore[arg-type]
    )
    # No automatic redirect from `/path/` to `/path`: Starlette builds its target from the
    # Host header, which makes it an open redirect; an unknown path is a typed 404.
    app.router.redirect_slashes = False
    app.state.docent = state
    return app


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Starlette's own refusals (an unknown path, a method a route does not answer, a
    multipart body it cannot parse), typed as docent's are."""
    message = {
        404: f"nothing is served at {request.url.path}",
        405: f"{request.url.path} does not answer {request.method}",
    }.get(exc.status_code, exc.detail)
    return json_error(exc.status_code, transport_code(exc.status_code), message, exc.headers)


def _middleware(settings: Settings, authenticator: Authenticator) -> list[Middleware]:
    """The transport rules, outermost first (api/middleware.py), inside the browser headers
    every response carries (api/browser.py). CORS, when configured, is outside them all: it
    answers preflights, which carry no credentials, by itself."""
    stack: list[Middleware] = []
    if settings.api.cors_origins:
        origins = settings.api.cors_origins
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_credentials="*" not in origins,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=[
                    "authorization",
                    "content-type",
                    "apollo-require-preflight",
                    "x-requested-with",
                    "x-request-id",
                ],
                expose_headers=["x-request-id"],
                max_age=600,
            )
        )
    stack += [Middleware(BrowserHeaders), Middleware(RequestId), Middleware(OneMeaning)]
    if settings.api.auth == "none" and not settings.api.allow_insecure_bind:
        stack.append(Middleware(LoopbackOnly))
    stack += [
        Middleware(BearerAuth, authenticator=authenticator),
        Middleware(MultipartCsrf),
        Middleware(
            BodyLimit,
            max_upload_bytes=settings.ingestion.max_upload_bytes,
            max_upload_mb=settings.ingestion.max_upload_mb,
            max_request_bytes=settings.api.max_request_bytes,
        ),
    ]
    return stack
