"""A set of files put into docent through its API, resumably, then waited for until each is
READY or FAILED: what `docent eval` measures against.

A file whose bytes docent already holds for this user (same SHA-256) is not sent again:
when READY it is used as it is, when FAILED it is processed again (`reprocessDocument`),
when queued or processing it is waited for. A document with the name of a file of the set
but other bytes (an older version of the file) is deleted when `replace_changed` is set,
and only reported otherwise (it then takes part in the answers).
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import Progress, TaskID

from docent.client import DocentClient, GraphQLError

_LIST = """query Documents($first: Int!, $after: String, $status: [DocumentStatus!]) {
  documents(first: $first, after: $after, filter: {status: $status}) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id filename sha256 status chunkCount error { code message } } } } }"""
_REPROCESS = """mutation Reprocess($id: ID!) { reprocessDocument(id: $id) {
  document { id status } userErrors { code message } } }"""
_DELETE = """mutation Delete($id: ID!) { deleteDocument(id: $id) {
  deletedDocumentId userErrors { code message } } }"""
_PAGE = 100  # DOCENT_MAX_PAGE_SIZE's default, the largest page a server gives by default
_PENDING = ["QUEUED", "PROCESSING"]
#: The longest wait for a rate limit that `retryAfter` asks for (beyond it: an error).
MAX_RETRY_AFTER_S = 3600.0
#: Files a folder of documents holds that describe the set rather than belong to it.
DEFAULT_EXCLUDE = ("*.jsonl", "*.json", "*.py", "README*")


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file of the set: `name` is the file name docent receives and reports."""

    name: str
    path: Path
    sha256: str


@dataclass(slots=True)
class Stored:
    """What became of a file: READY, FAILED (error says why), or REFUSED at upload."""

    name: str
    path: Path
    sha256: str
    document_id: str | None = None
    status: str = "QUEUED"
    error: str | None = None
    chunks: int | None = None
    uploaded: bool = False


@dataclass(slots=True)
class Ingested:
    files: list[Stored]
    #: Ids of this user's documents with a file's name but other bytes (older versions).
    changed: list[str] = field(default_factory=list)
    replaced: bool = False

    @property
    def by_path(self) -> dict[Path, Stored]:
        return {f.path: f for f in self.files}

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)


def local_file(path: Path, name: str | None = None) -> LocalFile:
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return LocalFile(name=name or path.name, path=path, sha256=digest)


def collect_files(
    roots: Iterable[Path], *, exclude: Sequence[str] = DEFAULT_EXCLUDE, skip: Iterable[Path] = ()
) -> list[tuple[Path, Path]]:
    """(root, file) for every file under `roots` (files or folders, folders searched
    recursively), without hidden files and folders, files whose name matches an `exclude`
    pattern (fnmatch), and the `skip` files. Raises FileNotFoundError for a missing root."""
    skipped = {p.resolve() for p in skip}
    found: list[tuple[Path, Path]] = []
    for root in roots:
        if not root.exists():
            raise FileNotFoundError(f"{root}: no such file or folder")
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in candidates:
            inside = path.relative_to(root).parts if path != root else (path.name,)
            if any(part.startswith(".") for part in inside):
                continue
            if any(fnmatch.fnmatch(path.name, pattern) for pattern in exclude):
                continue
            if path.resolve() in skipped:
                continue
            found.append((root, path))
    return found


async def list_documents(
    client: DocentClient, status: list[str] | None = None
) -> list[dict[str, Any]]:
    """Every document the user sees (with `status`: in one of these states)."""
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        variables = {"first": _PAGE, "after": after, "status": status}
        page = (await client.execute(_LIST, variables))["documents"]
        nodes.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def ingest(
    client: DocentClient,
    files: Sequence[LocalFile],
    *,
    concurrency: int = 8,
    replace_changed: bool = False,
    progress: Progress | None = None,
) -> Ingested:
    """Put `files` into docent (see the module docstring) and wait until each is READY or
    FAILED. Raises GraphQLError when docent refuses a listing or a mutation, OSError when
    it cannot be reached."""
    existing = await list_documents(client)
    by_sha = {d["sha256"]: d for d in existing}
    names = {f.name for f in files}
    shas = {f.sha256 for f in files}
    changed = [d["id"] for d in existing if d["filename"] in names and d["sha256"] not in shas]
    if replace_changed:
        for document_id in changed:
            await _mutate(client, _DELETE, document_id, "deleteDocument")
    task = progress.add_task("documents", total=len(files)) if progress else None
    limit = asyncio.Semaphore(concurrency)

    async def one(file: LocalFile) -> Stored:
        stored = Stored(file.name, file.path, file.sha256)
        known = by_sha.get(file.sha256)
        if known is not None and known["status"] != "FAILED":
            stored.document_id, stored.status = known["id"], known["status"]
        elif known is not None:
            stored.document_id = known["id"]
            await _mutate(client, _REPROCESS, known["id"], "reprocessDocument")
        else:
            async with limit:
                await _upload(client, file, stored)
        if progress is not None and task is not None and stored.status not in _PENDING:
            progress.advance(task)
        return stored

    stored = list(await asyncio.gather(*(one(f) for f in files)))
    await _wait(client, stored, progress, task)
    return Ingested(stored, changed=changed, replaced=replace_changed and bool(changed))


async def _upload(client: DocentClient, file: LocalFile, stored: Stored) -> None:
    while True:
        try:
            payload = await client.upload(file.path)
        except GraphQLError as exc:
            stored.status, stored.error = "REFUSED", f"{exc.code or 'ERROR'}: {exc}"
            return
        errors = payload["userErrors"]
        wait = errors[0].get("retryAfter") if errors else None
        if errors and errors[0]["code"] == "RATE_LIMITED" and wait is not None:
            if wait > MAX_RETRY_AFTER_S:
                break
            await asyncio.sleep(float(wait) + 0.05)
            continue
        break
    if errors:
        stored.status, stored.error = "REFUSED", f"{errors[0]['code']}: {errors[0]['message']}"
        return
    stored.document_id = payload["document"]["id"]
    stored.status = payload["document"]["status"]
    stored.uploaded = not payload.get("deduplicated", False)


async def _mutate(client: DocentClient, query: str, document_id: str, name: str) -> None:
    result = (await client.execute(query, {"id": document_id}))[name]
    if result["userErrors"]:
        error = result["userErrors"][0]
        raise GraphQLError([{"message": error["message"], "extensions": {"code": error["code"]}}])


async def _wait(
    client: DocentClient, stored: list[Stored], progress: Progress | None, task: TaskID | None
) -> None:
    """Until none of `stored` is QUEUED or PROCESSING. The count of pending documents is
    polled (one small request); their list only when it fits in a page, then every
    document once at the end, for the final states (a search index may show a state change
    a moment late: then the polling goes on)."""
    # Files with the same bytes are one document.
    ours: dict[str, list[Stored]] = {}
    for s in stored:
        if s.document_id is not None:
            ours.setdefault(s.document_id, []).append(s)
    while ours:
        pending = await _pending(client, set(ours))
        if progress is not None and task is not None:
            progress.update(task, completed=len(stored) - min(pending, len(ours)))
        if pending == 0:
            final = {d["id"]: d for d in await list_documents(client) if d["id"] in ours}
            for document_id, records in ours.items():
                state = final.get(document_id)
                for record in records:
                    if state is None:  # deleted meanwhile, by someone else
                        record.status, record.error = "FAILED", "deleted while processing"
                        continue
                    record.status, record.chunks = state["status"], state["chunkCount"]
                    if state["error"]:
                        record.error = f"{state['error']['code']}: {state['error']['message']}"
            if not any(s.status in _PENDING for s in stored):
                return
            pending = sum(s.status in _PENDING for s in stored)
        # A bigger backlog is polled less often: listings take CPU from the worker.
        await asyncio.sleep(min(10.0, 1.0 + pending / 500))


async def _pending(client: DocentClient, ours: set[str]) -> int:
    """How many of `ours` are QUEUED or PROCESSING (at most; exact within one page)."""
    page = (await client.execute(_LIST, {"first": 0, "after": None, "status": _PENDING}))[
        "documents"
    ]
    total = int(page["totalCount"])
    if total == 0 or total > _PAGE:
        return total  # an upper bound of ours when large
    listed = await list_documents(client, _PENDING)
    return sum(d["id"] in ours for d in listed)
