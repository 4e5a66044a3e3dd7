"""The Starlette application: GraphQL at /graphql (HTTP and WebSocket), health endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from docent.api.auth import NOBODY, Authenticator, build_authenticator, local_principal
from docent.api.context import Context
from docent.api.graphiql import assets_route, graphiql_html
from docent.api.middleware import BearerAuth, LoopbackOnly, MultipartCsrf, RequestId, UploadLimit
from docent.api.schema import build_schema
from docent.composition import Services, open_components
from docent.errors import DocentError
from docent.health import Readiness
from docent.settings import Settings

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
    def __init__(self, state: AppState) -> None:
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
                if worker is not None and state.worker_task is not None:
                    await worker.close()
                    state.worker_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await state.worker_task
                state.services = state.readiness = None

    home_page = (Path(__file__).parent / "home.html").read_text(encoding="utf-8")

    async def home(request: Request) -> Response:
        return HTMLResponse(home_page)

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

    async def metrics(request: Request) -> Response:
        text = state.readiness.metrics() if state.readiness is not None else ""
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    routes = [
        Route("/", home),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        assets_route(),
    ]
    middleware = _middleware(settings, authenticator)
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.docent = state
    return app


def _middleware(settings: Settings, authenticator: Authenticator) -> list[Middleware]:
    """The transport rules, outermost first (api/middleware.py). CORS, when configured, is
    outside them all: it answers preflights, which carry no credentials, by itself."""
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
    stack.append(Middleware(RequestId))
    if settings.api.auth == "none" and not settings.api.allow_insecure_bind:
        stack.append(Middleware(LoopbackOnly))
    stack += [
        Middleware(BearerAuth, authenticator=authenticator),
        Middleware(MultipartCsrf),
        Middleware(
            UploadLimit,
            max_upload_bytes=settings.ingestion.max_upload_bytes,
            max_upload_mb=settings.ingestion.max_upload_mb,
        ),
    ]
    return stack
