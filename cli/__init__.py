"""The `docent` command: serve, worker, ingest, ask."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from docent.client import DocentClient, GraphQLError
from docent.settings import Settings

app = typer.Typer(
    help="docent: ask questions of your documents; answers cite the page and passage.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

DEFAULT_URL = "http://127.0.0.1:8000/graphql"
UrlOption = Annotated[
    str, typer.Option("--url", envvar="DOCENT_URL", help="The docent GraphQL endpoint.")
]
TokenOption = Annotated[
    str | None, typer.Option("--token", envvar="DOCENT_TOKEN", help="Bearer token.")
]


def _check_index(settings: Settings) -> None:
    """Fail fast, with the reason and the fix, when the index cannot be opened with the
    configured embedder (a dimension or model mismatch) instead of a startup traceback."""
    from docent.errors import DocentError, SearchUnavailable
    from docent.providers.base import check_keys
    from docent.search.backend import build_backend
    from docent.search.embedders import build_embedder

    async def check() -> None:
        check_keys(settings.models)
        embedder = build_embedder(settings.models.embedder, settings)
        backend = build_backend(settings)
        try:
            await backend.open(model=embedder.model, dimension=embedder.dimension)
        finally:
            await backend.aclose()
            await embedder.aclose()

    try:
        asyncio.run(check())
    except SearchUnavailable as exc:
        err.print(f"[yellow]warning:[/yellow] {exc.message}; starting anyway (see /readyz)")
    except DocentError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc


def _logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command()
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
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error")] = "info",
) -> None:
    """Serve the GraphQL API (GraphiQL in a browser) at http://HOST:PORT/graphql."""
    import uvicorn

    from docent.api.app import create_app
    from docent.api.auth import InsecureBind, check_bind
    from docent.limits import parse_limits

    _logging(log_level)
    settings = Settings.load()
    host = host or settings.api.host
    port = settings.api.port if port is None else port
    try:
        check_bind(host, settings.api.auth, allow_insecure=settings.api.allow_insecure_bind)
    except InsecureBind as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    _check_index(settings)
    try:
        parse_limits(settings.api.rate_limits)
        application = create_app(settings, run_worker=worker)
    except ValueError as exc:  # DOCENT_RATE_LIMITS invalid, DOCENT_AUTH=oidc without issuer
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
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


@app.command("worker")
def run_worker(
    burst: Annotated[bool, typer.Option(help="Exit when the queue is empty.")] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error")] = "info",
) -> None:
    """Run an ingestion worker (against DOCENT_REDIS_URL, or the embedded Redis of the data
    directory)."""
    from docent.ingestion.worker import build_worker
    from docent.runtime import open_runtime

    _logging(log_level)
    settings = Settings.load()
    _check_index(settings)

    async def main() -> None:
        async with open_runtime(settings) as runtime:
            worker = build_worker(runtime, handle_signals=True, burst=burst)
            try:
                await worker.async_run()
            finally:
                await worker.close()

    asyncio.run(main())


_WATCH = """subscription Watch($id: ID!) { documentEvents(id: $id) {
  status stage current total progress error { code message } document { chunkCount pageCount } } }"""


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (searched recursively).")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag every document.")] = None,
    wait: Annotated[bool, typer.Option(help="Wait until each document is READY or FAILED.")] = True,
    concurrency: Annotated[int, typer.Option(min=1, max=32)] = 4,
) -> None:
    """Upload documents and follow their processing with a progress bar per file."""
    files = _collect(paths)
    if not files:
        err.print("no files found")
        raise typer.Exit(1)
    results = asyncio.run(_ingest(files, url, token, tag or [], wait, concurrency))
    table = Table(title="docent ingest")
    for column in ("file", "status", "chunks", "document id / reason"):
        table.add_column(column)
    failed = 0
    for path, status, chunks, detail in results:
        failed += status not in ("READY", "QUEUED", "PROCESSING")
        colour = {"READY": "green", "FAILED": "red", "REFUSED": "red"}.get(status, "yellow")
        table.add_row(str(path), f"[{colour}]{status}[/{colour}]", chunks, detail)
    console.print(table)
    console.print(f"{len(results) - failed} of {len(results)} documents ok")
    if failed:
        raise typer.Exit(1)


def _collect(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith(".")
            )
        elif path.is_file():
            files.append(path)
        else:
            err.print(f"[yellow]skipping[/yellow] {path}: not found")
    return files


async def _ingest(
    files: list[Path], url: str, token: str | None, tags: list[str], wait: bool, concurrency: int
) -> list[tuple[Path, str, str, str]]:
    limit = asyncio.Semaphore(concurrency)
    results: list[tuple[Path, str, str, str]] = []
    async with DocentClient(url, token=token) as client:
        with Progress(
            TextColumn("{task.description}", justify="left"),
            BarColumn(),
            TextColumn("{task.fields[stage]}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:

            async def one(path: Path) -> None:
                task = progress.add_task(path.name[:40], total=1.0, stage="uploading")
                async with limit:
                    results.append(await _ingest_one(client, path, tags, wait, progress, task))

            try:
                await asyncio.gather(*(one(f) for f in files))
            except (OSError, ConnectionError) as exc:
                err.print(
                    f"[red]cannot reach docent at {url}[/red] ({exc}); is `docent serve` running?"
                )
                raise typer.Exit(2) from exc
    return results


async def _ingest_one(
    client: DocentClient,
    path: Path,
    tags: list[str],
    wait: bool,
    progress: Progress,
    task: TaskID,
) -> tuple[Path, str, str, str]:
    while True:
        try:
            payload = await client.upload(path, tags=tags or None)
        except GraphQLError as exc:
            progress.update(task, stage="[red]refused[/red]", completed=1.0)
            return path, "REFUSED", "", str(exc)
        errors = payload["userErrors"]
        wait_s = errors[0].get("retryAfter") if errors else None
        if not errors or errors[0]["code"] != "RATE_LIMITED" or wait_s is None:
            break
        # Over the upload rate limit: wait as long as the server says, then go on.
        progress.update(task, stage=f"[yellow]rate limited, waiting {wait_s:.0f}s[/yellow]")
        await asyncio.sleep(min(float(wait_s), 3600.0) + 0.05)
    if payload["userErrors"]:
        error = payload["userErrors"][0]
        progress.update(task, stage=f"[red]{error['code']}[/red]", completed=1.0)
        return path, "REFUSED", "", f"{error['code']}: {error['message']}"
    document = payload["document"]
    if not wait:
        progress.update(task, stage="queued", completed=1.0)
        return path, document["status"], "", document["id"]
    last: dict[str, Any] = {"status": document["status"]}
    async for data in client.subscribe(_WATCH, {"id": document["id"]}):
        last = data["documentEvents"]
        stage = last["stage"].lower()
        if last.get("total"):
            stage += f" {last['current']}/{last['total']}"
        progress.update(task, stage=stage, completed=_fraction(last))
    status = last["status"]
    if status == "FAILED" and last.get("error"):
        return path, status, "", f"{last['error']['code']}: {last['error']['message']}"
    chunks = str((last.get("document") or {}).get("chunkCount", ""))
    return path, status, chunks, document["id"]


_STAGE_SHARE = {
    "QUEUED": 0.0,
    "PARSING": 0.1,
    "OCR": 0.1,
    "CHUNKING": 0.3,
    "EMBEDDING": 0.35,
    "INDEXING": 0.9,
}


def _fraction(event: dict[str, Any]) -> float:
    if event["status"] in ("READY", "FAILED"):
        return 1.0
    base = _STAGE_SHARE.get(event["stage"], 0.0)
    if event["stage"] == "EMBEDDING" and event.get("progress") is not None:
        return base + 0.55 * float(event["progress"])
    return base


_ANSWER = """subscription Answer($input: AskInput!) { answer(input: $input) {
  __typename
  ... on AnswerDelta { text }
  ... on AnswerError { code message }
  ... on AnswerDone { answer { grounded model cached fallbacks { provider code message }
      citations { index chunk { page section text } document { title filename } } } } } }"""


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in plain language.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    top_k: Annotated[int, typer.Option(min=1, max=20, help="Passages to answer from.")] = 5,
) -> None:
    """Ask a question; the answer streams to the terminal, then its sources."""

    async def main() -> int:
        async with DocentClient(url, token=token) as client:
            variables = {"input": {"question": question, "topK": top_k}}
            async for data in client.subscribe(_ANSWER, variables):
                event = data["answer"]
                kind = event["__typename"]
                if kind == "AnswerDelta":
                    console.print(event["text"], end="", soft_wrap=True, highlight=False)
                elif kind == "AnswerError":
                    err.print(f"\n[red]{event['code']}[/red]: {event['message']}")
                    return 1
                elif kind == "AnswerDone":
                    answer = event["answer"]
                    console.print()
                    if answer["citations"]:
                        console.print("\n[bold]Sources[/bold]")
                    for c in answer["citations"]:
                        where = f"page {c['chunk']['page']}" if c["chunk"]["page"] else ""
                        section = c["chunk"]["section"] or ""
                        place = ", ".join(p for p in (where, section) if p)
                        console.print(
                            f"[{c['index']}] {c['document']['title']}"
                            + (f" ({place})" if place else ""),
                            highlight=False,
                        )
                    if answer["model"]:
                        cached = " (from the answer cache)" if answer["cached"] else ""
                        console.print(f"\n[dim]{answer['model']}{cached}[/dim]")
                    for skipped in answer["fallbacks"]:
                        err.print(
                            f"[yellow]{skipped['provider']} skipped[/yellow] "
                            f"({skipped['code']}): {skipped['message']}"
                        )
        return 0

    try:
        code = asyncio.run(main())
    except (OSError, ConnectionError) as exc:
        err.print(f"[red]cannot reach docent at {url}[/red] ({exc}); is `docent serve` running?")
        raise typer.Exit(2) from exc
    raise typer.Exit(code)


@app.command()
def reindex(
    embedder: Annotated[
        str | None, typer.Option(help="Embedder to re-embed with (default: DOCENT_EMBEDDER).")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=1024, help="Chunks per embedding call.")] = 64,
) -> None:
    """Re-embed every chunk into a new index version and switch to it atomically; searches
    keep being served meanwhile. Then run docent with the same DOCENT_EMBEDDER."""
    from redis.asyncio import Redis

    from docent.errors import DocentError
    from docent.providers.embedding import CachedEmbedder
    from docent.search.backend import build_backend
    from docent.search.embedders import Embedder, build_embedder

    settings = Settings.load()
    if embedder:
        settings = dataclasses.replace(
            settings, models=settings.models.model_copy(update={"embedder": embedder})
        )

    async def main() -> None:
        model: Embedder = build_embedder(settings.models.embedder, settings)
        redis = Redis.from_url(settings.queue.redis_url) if settings.queue.redis_url else None
        if redis is not None and settings.models.embedder != "local":
            # The vectors the workers already paid for are not paid for again.
            model = CachedEmbedder(model, redis)
        backend = build_backend(settings)
        try:
            await backend.open(model=model.model, dimension=model.dimension, check_model=False)
            before = await backend.index_info()
            console.print(
                f"re-embedding {before.chunk_count} chunks: {before.model} ({before.dimension}) "
                f"-> {model.model} ({model.dimension})"
            )
            with Progress(
                TextColumn("reindex"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(), console=console,
            ) as progress:  # fmt: skip
                task = progress.add_task("reindex", total=max(1, before.chunk_count))
                done = await backend.reindex(
                    model.embed_documents, model=model.model, dimension=model.dimension,
                    batch=batch, progress=lambda d, t: progress.update(task, completed=d, total=max(t, d)),
                )  # fmt: skip
            console.print(f"[green]done[/green]: {done} chunks re-embedded, index switched")
            if before.model != model.model:
                console.print(
                    f"restart the API and workers with DOCENT_EMBEDDER={settings.models.embedder}"
                )
        finally:
            await backend.aclose()
            await model.aclose()
            if redis is not None:
                await redis.aclose()

    try:
        asyncio.run(main())
    except DocentError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc


@app.command()
def token(
    user: Annotated[str, typer.Option("--user", help="The user the token speaks for.")],
    group: Annotated[
        list[str] | None, typer.Option("--group", help="A group the user is in (repeatable).")
    ] = None,
    days: Annotated[float, typer.Option(min=0.001, help="How long the token is valid.")] = 30,
) -> None:
    """Mint a token for DOCENT_AUTH=dev (signed with the data directory's dev secret, or
    DOCENT_DEV_SECRET): use it as `Authorization: Bearer <token>`."""
    from docent.api.auth import DevAuth, dev_secret

    settings = Settings.load()
    if settings.api.auth != "dev":
        err.print("[yellow]note:[/yellow] the server accepts these tokens with DOCENT_AUTH=dev")
    if not user.strip():
        err.print("[red]error:[/red] --user must not be empty")
        raise typer.Exit(2)
    minted = DevAuth(dev_secret(settings)).mint(
        user.strip(), groups=tuple(group or ()), ttl_s=int(days * 86400)
    )
    sys.stdout.write(minted + "\n")


@app.command("print-schema")
def print_schema() -> None:
    """Print the GraphQL schema (SDL), as checked in at schema.graphql."""
    from docent.api.schema import build_schema

    sys.stdout.write(str(build_schema()) + "\n")


def main() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    app()


if __name__ == "__main__":
    main()
