"""`docent ingest`: upload files and folders, and follow each document's processing.

Several files at once (`--concurrency`); a file whose bytes are already a READY document
of yours is not uploaded again (`--resume`, the default: its SHA-256 is asked for with
the `documents` query's `sha256` filter, 100 digests a request), so a folder whose ingest
was interrupted goes on where it stopped. Progress (the run's files/s, MB/s and time left,
a bar per file in flight) goes to stderr (`ingest_progress.py`); the table of every file's
outcome to stdout. Exit status 1 when a file failed or was refused (each listed with its
code on stderr as well), 130 when interrupted: an upload cut short is abandoned whole by
the server (it stores a file only once all its bytes arrived), so running again resumes.

File names, stages and the server's messages are printed through `plain`: as they are,
never as markup or terminal commands; names on one line each (`one_line`: a newline in a
name is shown as `\\n`, never as a line of output)."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import stat
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import TaskID
from rich.table import Table

from docent.cli.console import console, err, one_line, plain
from docent.cli.ingest_progress import OK, Display, Tally
from docent.cli.remote import DEFAULT_URL, TokenOption, UrlOption, talk
from docent.client import DocentClient, FileChanged, GraphQLError, Subscriptions

_WATCH = """subscription Watch($id: ID!) { documentEvents(id: $id) {
  status stage current total progress error { code message } document { chunkCount pageCount } } }"""

#: What a file came to: its path, status, chunks, and the document id or the reason.
Result = tuple[Path, str, str, str]
#: Digests asked for in one `documents` query (the API's bound, MAX_SHA256).
DIGESTS_PER_QUERY = 100


def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files or folders (searched recursively). A file a folder reaches through a "
            "symbolic link leading out of the folders given is skipped, with a message; a "
            "path that does not exist stops the run (exit status 1)."
        ),
    ],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag every document.")] = None,
    wait: Annotated[bool, typer.Option(help="Wait until each document is READY or FAILED.")] = True,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1,
            max=32,
            help="Files uploaded and followed at once. 4 keeps a server's worker busy (it "
            "processes several documents at once) without queueing much more than it can "
            "take; a server's upload rate limit is waited out either way.",
        ),
    ] = 4,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="A file named as one of your documents replaces the newest of them (same "
            "id, next version) instead of becoming another document.",
        ),
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            help="Skip a file whose bytes are already a READY document (with the tags "
            "given, if any): an interrupted folder goes on where it stopped.",
        ),
    ] = True,
) -> None:
    """Upload documents and follow their processing, several at once, with the run's
    throughput and time left. The same file again is the same document; a changed file of
    the same name is another document, unless --replace."""
    files = _collect(paths)
    if not files:
        err.print("no files found")
        raise typer.Exit(1)
    sizes = {path: path.stat().st_size for path in files}
    tally = Tally(files=len(files), size=sum(sizes.values()))
    options = _Options(tag or [], wait, concurrency, replace, resume)
    try:
        results = talk(url, _ingest(files, sizes, url, token, options, tally))
    except KeyboardInterrupt:
        err.print(
            plain(
                ("interrupted", "yellow"),
                f": {tally.done + tally.skipped} of {tally.files} files done. Files being "
                "uploaded were abandoned whole; run the same command again to resume.",
            ),
            soft_wrap=True,
        )
        raise typer.Exit(130) from None
    _report(results, tally)


def _report(results: list[Result], tally: Tally) -> None:
    """The table of every file, the count of those that went well, and the failures again
    (on stderr, with their codes); exit status 1 when there are any."""
    table = Table(title="docent ingest")
    # A file's name whole on one line (it is what one searches the output for); the
    # reasons wrap instead.
    table.add_column("file", no_wrap=True)
    for column in ("status", "chunks", "document id / reason"):
        table.add_column(column)
    failures = []
    for path, status, chunks, detail in sorted(results, key=lambda r: r[0]):
        if status not in OK:
            failures.append((path, status, detail))
        colour = {"READY": "green", "FAILED": "red", "REFUSED": "red"}.get(status, "yellow")
        table.add_row(plain(one_line(path)), plain((status, colour)), plain(chunks), plain(detail))
    console.print(table)
    line = f"{len(results) - len(failures)} of {len(results)} documents ok"
    if tally.skipped:
        line += f" ({tally.skipped} already there, not uploaded)"
    console.print(line)
    if failures:
        err.print(plain((f"{len(failures)} failed:", "red")))
        for path, status, detail in failures:
            err.print(
                plain("  ", one_line(path), " ", (status, "red"), " ", detail), soft_wrap=True
            )
        raise typer.Exit(1)


class _Options:
    def __init__(
        self, tags: list[str], wait: bool, concurrency: int, replace: bool, resume: bool
    ) -> None:
        self.tags, self.wait, self.concurrency = tags, wait, concurrency
        self.replace, self.resume = replace, resume


def _collect(paths: list[Path]) -> list[Path]:
    """The files under `paths` (a folder searched recursively, hidden names left out). A file
    a folder reaches through a symbolic link that leads out of every folder given is skipped
    with a message: `DIR/link.txt -> /etc/passwd` would upload a file nobody chose; so is
    anything there that is not a regular file (a FIFO, a device, a link loop: reading one
    may never end). A file named itself is taken as given, link or not. Raises
    typer.Exit(1) for a path given that does not exist or is not a regular file."""
    folders = [path.resolve() for path in paths if _kind(path) == _FOLDER]
    files: list[Path] = []
    missing = False
    for path in paths:
        kind = _kind(path)
        if kind == _FOLDER:
            files.extend(_walk(path, folders))
        elif kind == _FILE:
            files.append(path)
        elif kind == _MISSING:
            err.print(plain(("not found", "red"), " ", one_line(path)))
            missing = True
        else:
            err.print(plain(("not a regular file", "red"), " ", one_line(path), f" ({kind})"))
            missing = True
    if missing:  # a typo must not look like a run that went well
        raise typer.Exit(1)
    return files


_FILE, _FOLDER, _MISSING = "file", "folder", "missing"
#: Folders below a folder given that are searched: a path of more levels than this is longer
#: than Linux's PATH_MAX (4,096 bytes) unless its names have one letter, and opening a file
#: by it would fail anyway; deeper folders are skipped with a message.
MAX_DEPTH = 1000


def _walk(top: Path, folders: list[Path]) -> list[Path]:
    """The regular files under `top`, sorted, walked with a stack (not recursion: 10,000
    nested folders raised RecursionError from `Path.rglob`). Hidden names (files and
    folders) are left out, and links to folders are not followed; a link to a file that
    leads out of every folder in `folders`, anything that is not a regular file, a folder
    that cannot be read and folders deeper than MAX_DEPTH are skipped, each with a message."""
    found: list[Path] = []
    stack = [(top, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as exc:
            _skipping(folder, f"cannot be read ({exc.strerror or exc})")
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if depth + 1 > MAX_DEPTH:
                    _skipping(path, f"folders nested deeper than {MAX_DEPTH} levels")
                else:
                    stack.append((path, depth + 1))
                continue
            kind = _kind(path)
            if kind == _FOLDER:  # a link to a folder: not followed
                continue
            if kind != _FILE:
                _skipping(path, f"not a regular file ({kind})")
            elif any(path.resolve().is_relative_to(folder) for folder in folders):
                found.append(path)
            else:
                _skipping(path, "a link out of the folder")
    return sorted(found)


def _skipping(path: Path, why: str) -> None:
    err.print(plain(("skipping", "yellow"), " ", one_line(path), ": ", why), soft_wrap=True)


def _kind(path: Path) -> str:
    """`_FILE` (a regular file, through links), `_FOLDER`, `_MISSING`, or what else the
    path is, as a person says it: "a FIFO", "a character device", "a symbolic link loop"..."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop"
        if path.is_symlink():
            return "a symbolic link to nothing"
        return _MISSING
    if stat.S_ISREG(mode):
        return _FILE
    if stat.S_ISDIR(mode):
        return _FOLDER
    kinds = {
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a file")


async def _ingest(
    files: list[Path],
    sizes: dict[Path, int],
    url: str,
    token: str | None,
    options: _Options,
    tally: Tally,
) -> list[Result]:
    limit = asyncio.Semaphore(options.concurrency)
    results: list[Result] = []
    # Every file is followed over the same WebSocket(s): a server bounds the sockets a user
    # may open (DOCENT_WS_SOCKETS_PER_USER, then 2 a second), not the files they follow.
    async with DocentClient(url, token=token) as client, client.connect() as live:
        ready = await _already_ready(client, files, options) if options.resume else {}
        with Display(err, tally) as display:
            for path, (document_id, chunks) in ready.items():
                tally.skip(sizes[path])
                results.append(
                    (path, "READY", chunks, f"{document_id} (already there: not uploaded)")
                )
            display.skipped(len(ready))
            tally.start()

            async def one(path: Path) -> None:
                async with limit:
                    task = display.add(path)
                    result = await _ingest_one(client, live, path, options, display, task)
                    results.append(result)
                    display.finish(task, path, sizes[path], result[1], result[3])

            await asyncio.gather(*(one(f) for f in files if f not in ready))
    return results


_READY = """query Ready($digests: [String!]!, $first: Int!, $after: String) {
  documents(first: $first, after: $after, filter: {sha256: $digests, status: [READY]}) {
    edges { node { id sha256 filename tags chunkCount } } pageInfo { hasNextPage endCursor } } }"""


async def _already_ready(
    client: DocentClient, files: list[Path], options: _Options
) -> dict[Path, tuple[str, str]]:
    """The files whose bytes are a READY document you can see, with its id and chunk count,
    unless uploading them would change that document: other tags given than it has, or
    (with --replace) another file name."""
    digests = await asyncio.to_thread(lambda: {path: _sha256(path) for path in files})
    wanted = sorted(set(digests.values()))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), DIGESTS_PER_QUERY):
        batch, after = wanted[start : start + DIGESTS_PER_QUERY], None
        while True:
            variables = {"digests": batch, "first": DIGESTS_PER_QUERY, "after": after}
            page = (await client.execute(_READY, variables))["documents"]
            found.update((e["node"]["sha256"], e["node"]) for e in page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    ready = {}
    for path, digest in digests.items():
        node = found.get(digest)
        if node is None:
            continue
        if options.tags and sorted(set(node["tags"])) != sorted(set(options.tags)):
            continue
        if options.replace and node["filename"] != path.name:
            continue
        ready[path] = (str(node["id"]), str(node["chunkCount"]))
    return ready


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


async def _ingest_one(
    client: DocentClient,
    live: Subscriptions,
    path: Path,
    options: _Options,
    display: Display,
    task: TaskID,
) -> Result:
    """Upload `path` (waiting out the upload rate limit) and, with --wait, follow its
    processing to READY or FAILED."""
    tags, wait, replace = options.tags, options.wait, options.replace
    while True:
        try:
            replaces = await _newest_named(client, path.name) if replace else None
            payload = await client.upload(path, tags=tags or None, replaces=replaces)
        except GraphQLError as exc:  # the request refused whole (413 TOO_LARGE...): its code
            display.update(task, plain(("refused", "red")), 1.0)
            return path, "REFUSED", "", f"{exc.code or 'ERROR'}: {exc}"
        except FileChanged as exc:
            # The server drops an upload whose body is not the length announced, whole.
            display.update(task, plain(("not uploaded", "red")), 1.0)
            return path, "REFUSED", "", f"{_CHANGED} ({exc})"
        errors = payload["userErrors"]
        wait_s = errors[0].get("retryAfter") if errors else None
        if not errors or errors[0]["code"] != "RATE_LIMITED" or wait_s is None:
            break
        # Over the upload rate limit: wait as long as the server says, then go on.
        display.update(task, plain((f"rate limited, waiting {wait_s:.0f}s", "yellow")))
        await asyncio.sleep(min(float(wait_s), 3600.0) + 0.05)
    if payload["userErrors"]:
        error = payload["userErrors"][0]
        display.update(task, plain((error["code"], "red")), 1.0)
        return path, "REFUSED", "", f"{error['code']}: {error['message']}"
    document = payload["document"]
    detail = document["id"]
    if payload["similarTo"]:  # kept beside documents of the same name: say so
        count = len(payload["similarTo"])
        detail += f" ({count} more of this name: kept both; --replace replaces)"
    if not wait:
        display.update(task, plain("queued"), 1.0)
        return path, document["status"], "", detail
    last: dict[str, Any] = {"status": document["status"]}
    async for data in live.subscribe(_WATCH, {"id": document["id"]}):
        last = data["documentEvents"]
        stage = last["stage"].lower()
        if last.get("total"):
            stage += f" {last['current']}/{last['total']}"
        display.update(task, plain(stage), _fraction(last))
    status = last["status"]
    if status == "FAILED" and last.get("error"):
        return path, status, "", f"{last['error']['code']}: {last['error']['message']}"
    chunks = str((last.get("document") or {}).get("chunkCount", ""))
    return path, status, chunks, detail


_CHANGED = (
    "CHANGED: the file's size changed while it was uploaded, or is not known before it is "
    "read (as in /proc); not uploaded"
)

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
