"""Administration: `docent reindex`, `docent token`, `docent print-schema`."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from docent.cli.console import console, err, fail, load_settings, plain

if TYPE_CHECKING:
    from docent.roles import Embedder
    from docent.search.backend import SearchBackend


def reindex(
    embedder: Annotated[
        str | None, typer.Option(help="Embedder to re-embed with (default: DOCENT_EMBEDDER).")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=1024, help="Chunks per embedding call.")] = 64,
) -> None:
    """Re-embed every chunk into a new index version and switch to it atomically; searches
    keep being served meanwhile. Then run docent with the same DOCENT_EMBEDDER."""
    from redis.asyncio import Redis

    from docent.composition import open_index
    from docent.errors import DocentError

    settings = load_settings()
    if embedder:
        settings = dataclasses.replace(
            settings, models=settings.models.model_copy(update={"embedder": embedder})
        )

    async def main() -> None:
        # With a shared Redis, the vectors the workers already paid for are not paid again.
        redis = Redis.from_url(settings.queue.redis_url) if settings.queue.redis_url else None
        try:
            async with open_index(settings, check_model=False, cache=redis) as (backend, model):
                await switch(backend, model)
        finally:
            if redis is not None:
                await redis.aclose()

    async def switch(backend: SearchBackend, model: Embedder) -> None:
        before = await backend.index_info()
        console.print(
            plain(
                f"re-embedding {before.chunk_count} chunks: {before.model} ({before.dimension}) "
                f"-> {model.model} ({model.dimension})"
            )
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
        console.print(plain(("done", "green"), f": {done} chunks re-embedded, index switched"))
        if before.model != model.model:
            console.print(
                plain(
                    f"restart the API and workers with DOCENT_EMBEDDER={settings.models.embedder}"
                )
            )

    try:
        asyncio.run(main())
    except DocentError as exc:
        fail(exc.message)


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

    settings = load_settings()
    if settings.api.auth != "dev":
        err.print(
            plain(("note:", "yellow"), " the server accepts these tokens with DOCENT_AUTH=dev")
        )
    if not user.strip():
        fail("--user must not be empty")
    minted = DevAuth(dev_secret(settings)).mint(
        user.strip(), groups=tuple(group or ()), ttl_s=int(days * 86400)
    )
    sys.stdout.write(minted + "\n")


def print_schema() -> None:
    """Print the GraphQL schema (SDL), as checked in at schema.graphql."""
    from docent.api.schema import build_schema

    sys.stdout.write(str(build_schema()) + "\n")
