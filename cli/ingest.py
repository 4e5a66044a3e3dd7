"""`docent ingest`: upload files and folders, and follow each document's processing.

File names, stages and the server's messages are printed through `plain`: as they are,
never as markup or terminal commands."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from docent.cli.console import console, err, neutralise, plain
from docent.cli.remote import DEFAULT_URL, TokenOption, UrlOption, talk
from docent.client import DocentClient, GraphQLError

_WATCH = """subscription Watch($id: ID!) { documentEvents(id: $id) {
  status stage current total progress error { code message } document { chunkCount pageCount } } }"""


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (searched recursively).")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag every document.")] = None,
    wait: Annotated[bool, typer.Option(help="Wait until each document is READY or FAILED.")] = True,
    concurrency: Annotated[int, typer.Option(min=1, max=32)] = 4,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="A file named as one of your documents replaces the newest of them (same "
            "id, next version) instead of becoming another document.",
        ),
    ] = False,
) -> None:
    """Upload documents and follow their processing with a progress bar per file. The same
    file again is the same document; a changed file of the same name is another document,
    unless --replace."""
    files = _collect(paths)
    if not files:
        err.print("no files found")
        raise typer.Exit(1)
    results = talk(url, _ingest(files, url, token, tag or [], wait, concurrency, replace))
    table = Table(title="docent ingest")
    for column in ("file", "status", "chunks", "document id / reason"):
        table.add_column(column)
    failed = 0
    for path, status, chunks, detail in results:
        failed += status not in ("READY", "QUEUED", "PROCESSING")
        colour = {"READY": "green", "FAILED": "red", "REFUSED": "red"}.get(status, "yellow")
        table.add_row(plain(path), plain((status, colour)), plain(chunks), plain(detail))
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
            err.print(plain(("skipping", "yellow"), f" {path}: not found"))
    return files


async def _ingest(
    files: list[Path],
    url: str,
    token: str | None,
    tags: list[str],
    wait: bool,
    concurrency: int,
    replace: bool,
) -> list[tuple[Path, str, str, str]]:
    limit = asyncio.Semaphore(concurrency)
    results: list[tuple[Path, str, str, str]] = []
    async with DocentClient(url, token=token) as client:
        with Progress(
            TextColumn("{task.description}", justify="left", markup=False),
            BarColumn(),
            _StageColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:

            async def one(path: Path) -> None:
                task = progress.add_task(
                    neutralise(path.name)[:40], total=1.0, stage=plain("uploading")
                )
                async with limit:
                    results.append(
                        await _ingest_one(client, path, tags, wait, replace, progress, task)
                    )

            await asyncio.gather(*(one(f) for f in files))
    return results


async def _ingest_one(
    client: DocentClient,
    path: Path,
    tags: list[str],
    wait: bool,
    replace: bool,
    progress: Progress,
    task: TaskID,
) -> tuple[Path, str, str, str]:
    while True:
        try:
            replaces = await _newest_named(client, path.name) if replace else None
            payload = await client.upload(path, tags=tags or None, replaces=replaces)
        except GraphQLError as exc:
            progress.update(task, stage=plain(("refused", "red")), completed=1.0)
            return path, "REFUSED", "", str(exc)
        errors = payload["userErrors"]
        wait_s = errors[0].get("retryAfter") if errors else None
        if not errors or errors[0]["code"] != "RATE_LIMITED" or wait_s is None:
            break
        # Over the upload rate limit: wait as long as the server says, then go on.
        progress.update(task, stage=plain((f"rate limited, waiting {wait_s:.0f}s", "yellow")))
        await asyncio.sleep(min(float(wait_s), 3600.0) + 0.05)
    if payload["userErrors"]:
        error = payload["userErrors"][0]
        progress.update(task, stage=plain((error["code"], "red")), completed=1.0)
        return path, "REFUSED", "", f"{error['code']}: {error['message']}"
    document = payload["document"]
    detail = document["id"]
    if payload["similarTo"]:  # kept beside documents of the same name: say so
        count = len(payload["similarTo"])
        detail += f" ({count} more of this name: kept both; --replace replaces)"
    if not wait:
        progress.update(task, stage=plain("queued"), completed=1.0)
        return path, document["status"], "", detail
    last: dict[str, Any] = {"status": document["status"]}
    async for data in client.subscribe(_WATCH, {"id": document["id"]}):
        last = data["documentEvents"]
        stage = last["stage"].lower()
        if last.get("total"):
            stage += f" {last['current']}/{last['total']}"
        progress.update(task, stage=plain(stage), completed=_fraction(last))
    status = last["status"]
    if status == "FAILED" and last.get("error"):
        return path, status, "", f"{last['error']['code']}: {last['error']['message']}"
    chunks = str((last.get("document") or {}).get("chunkCount", ""))
    return path, status, chunks, detail


_NAMED = """query Named($name: String!) { documents(first: 100, filter: {titleContains: $name}) {
  edges { node { id filename } } } }"""


async def _newest_named(client: DocentClient, name: str) -> str | None:
    """The id of the newest of your documents whose file name is `name` (among the 100
    newest whose title or file name contains it), or None."""
    data = await client.execute(_NAMED, {"name": name})
    for edge in data["documents"]["edges"]:
        if edge["node"]["filename"] == name:
            return str(edge["node"]["id"])
    return None


class _StageColumn(ProgressColumn):
    """A file's stage: its task's `stage` field, a `plain` Text (the server's words)."""

    def render(self, task: Task) -> Text:
        stage = task.fields["stage"]
        return stage if isinstance(stage, Text) else plain(stage)


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
