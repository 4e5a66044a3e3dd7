"""`docent serve` and `docent worker`: the processes that run docent, and what they check
before they start. A problem stops them with one message that says what is wrong and what
to do (exit status 2), never a traceback: a data directory that cannot be written, a
provider named without its key, an index built by another embedding model, an embedded
index that is damaged or cannot be opened."""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from typing import Annotated

import typer

from docent.cli.console import err, fail, load_settings, plain
from docent.settings import Settings


def check_data_dir(settings: Settings) -> None:
    """Create the data directory if it is missing, and write a file in it and in each of its
    subdirectories that docent writes and that exists (blobs; the embedded index and
    Redis when they are used): a read-only file system, a directory of another user or a
    path under a file stops docent here instead of in the middle of its start."""
    storage = settings.storage
    written = [storage.blob_dir]
    if settings.search.search_backend == "embedded":
        written.append(storage.index_dir)
    if not settings.queue.redis_url:
        written.append(storage.redis_dir)
    for directory in (storage.data_dir, *(d for d in written if d.exists())):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as exc:
            fail(
                f"docent cannot write to {directory} ({exc.strerror or exc}): make it "
                "writable for the user that runs docent, or set DOCENT_DATA_DIR to a "
                "directory that is"
            )


def check_index(settings: Settings) -> None:
    """Open the blob store and the index with the configured embedder, and check the whole
    embedded index. A missing S3 bucket, a model or dimension mismatch, a damaged embedded index or one that cannot be opened
    stops docent; an Elasticsearch cluster that does not answer yet only warns (docent
    starts, `/readyz` says so, and the cluster is used once it answers)."""
    from docent.composition import open_blob_store, open_index
    from docent.errors import DocentError, IndexCorrupt, SearchUnavailable
    from docent.providers.base import check_keys
    from docent.search.embedded.store import EmbeddedBackend

    async def check() -> None:
        check_keys(settings.models)
        # An S3 bucket that does not exist stops docent here (StorageMisconfigured).
        async with open_blob_store(settings.storage):
            pass
        async with open_index(settings) as (backend, _):
            if isinstance(backend, EmbeddedBackend):
                await backend.verify()

    # The index logs damage as it finds it, for a running server; here the message below
    # says it once.
    index_log = logging.getLogger("docent.search.embedded.database")
    level = index_log.level
    index_log.setLevel(logging.CRITICAL)
    try:
        asyncio.run(check())
    except IndexCorrupt as exc:
        fail(f"the embedded index is damaged ({exc.damage}). {exc.remedy}")
    except SearchUnavailable as exc:
        if settings.search.search_backend == "embedded":
            fail(
                f"{exc.message}, in {settings.storage.index_dir}: check that the user that "
                "runs docent can read and write it, and that its disk has room"
            )
        err.print(plain(("warning:", "yellow"), f" {exc.message}; starting anyway (see /readyz)"))
    except DocentError as exc:
        fail(exc.message)
    finally:
        index_log.setLevel(level)


def _logging(level: str, debug: list[str] | None = None) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for name in debug or ():
        logging.getLogger(name).setLevel(logging.DEBUG)


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
    debug: Annotated[
        list[str] | None,
        typer.Option(
            help="A logger to log at DEBUG whatever --log-level says (repeatable): "
            "docent.answering records which gate refused each answer."
        ),
    ] = None,
) -> None:
    """Serve the GraphQL API (GraphiQL in a browser) at http://HOST:PORT/graphql."""
    import uvicorn

    from docent.api.app import create_app
    from docent.api.auth import InsecureBind, check_bind
    from docent.api.http_transport import JsonRefusalHTTPProtocol
    from docent.api.ws_transport import ClosingWebSocketProtocol

    _logging(log_level, debug)
    settings = load_settings()
    host = host or settings.api.host
    port = settings.api.port if port is None else port
    try:
        check_bind(host, settings.api.auth, allow_insecure=settings.api.allow_insecure_bind)
    except InsecureBind as exc:
        fail(str(exc))
    check_data_dir(settings)
    check_index(settings)
    try:
        application = create_app(settings, run_worker=worker)
    except ValueError as exc:  # DOCENT_AUTH=oidc without an issuer, ...
        fail(str(exc))
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        log_level=log_level,
        http=JsonRefusalHTTPProtocol,  # uvicorn's own 400 as JSON, api/http_transport.py
        ws=ClosingWebSocketProtocol,  # websockets-sansio, api/ws_transport.py
        # A WebSocket message is held to the bound of a request body (api/websocket.py
        # checks it too): uvicorn's default, 16 MiB, took others' event loop for seconds.
        ws_max_size=settings.api.max_request_bytes,
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
    check_data_dir(settings)
    check_index(settings)

    async def main() -> None:
        async with open_components(settings) as components:
            worker = build_worker(components.worker, handle_signals=True, burst=burst)
            try:
                await worker.async_run()
            finally:
                await worker.close()

    asyncio.run(main())
