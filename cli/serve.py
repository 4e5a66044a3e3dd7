"""`docent serve` and `docent worker`: the processes that run docent."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Annotated

import typer

from docent.cli.console import err, fail, load_settings, plain
from docent.settings import Settings


def _check_index(settings: Settings) -> None:
    """Fail fast, with the reason and the fix, when the index cannot be opened with the
    configured embedder (a dimension or model mismatch) instead of a startup traceback."""
    from docent.composition import open_index
    from docent.errors import DocentError, SearchUnavailable
    from docent.providers.base import check_keys

    async def check() -> None:
        check_keys(settings.models)
        async with open_index(settings):
            pass

    try:
        asyncio.run(check())
    except SearchUnavailable as exc:
        err.print(plain(("warning:", "yellow"), f" {exc.message}; starting anyway (see /readyz)"))
    except DocentError as exc:
        fail(exc.message)


def _logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


LogLevelOption = Annotated[str, typer.Option(help="debug, info, warning, error")]


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="Run the ingestion worker in this process (default: yes when Redis is embedded).",
        ),
    ] = None,
    log_level: LogLevelOption = "info",
) -> None:
    """Serve the GraphQL API (GraphiQL in a browser) at http://HOST:PORT/graphql."""
    import uvicorn

    from docent.api.app import create_app
    from docent.api.auth import InsecureBind, check_bind

    _logging(log_level)
    settings = load_settings()
    host = host or settings.api.host
    port = settings.api.port if port is None else port
    try:
        check_bind(host, settings.api.auth, allow_insecure=settings.api.allow_insecure_bind)
    except InsecureBind as exc:
        fail(str(exc))
    _check_index(settings)
    try:
        application = create_app(settings, run_worker=worker)
    except ValueError as exc:  # DOCENT_AUTH=oidc without an issuer, ...
        fail(str(exc))
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        log_level=log_level,
        ws="websockets-sansio",
        lifespan="on",
        proxy_headers=bool(settings.api.forwarded_allow_ips),
        forwarded_allow_ips=settings.api.forwarded_allow_ips,
    )
    uvicorn.Server(config).run()


def run_worker(
    burst: Annotated[bool, typer.Option(help="Exit when the queue is empty.")] = False,
    log_level: LogLevelOption = "info",
) -> None:
    """Run an ingestion worker (against DOCENT_REDIS_URL, or the embedded Redis of the data
    directory)."""
    from docent.composition import open_components
    from docent.ingestion.worker import build_worker

    _logging(log_level)
    settings = load_settings()
    _check_index(settings)

    async def main() -> None:
        async with open_components(settings) as components:
            worker = build_worker(components.worker, handle_signals=True, burst=burst)
            try:
                await worker.async_run()
            finally:
                await worker.close()

    asyncio.run(main())
