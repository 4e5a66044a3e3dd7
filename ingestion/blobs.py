"""The blob store: uploaded files, kept by document id.

Two stores play the role: a folder (`LocalBlobStore`, the default: API and workers share it,
so one host or a shared filesystem) and an S3-compatible bucket (`s3_blobs.S3BlobStore`, for
API and workers on machines that share nothing else). Both stage an upload in a local folder
first (measured, hashed, scanned and sniffed there), then `commit` it; parsing reads a local
file (`local_copy`: the stored file itself, or a temporary copy of the object).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from docent.errors import ErrorCode, IngestionError
from docent.units import format_bytes

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class StagedFile:
    """An upload written to the store's staging area, measured and hashed on the way in."""

    path: Path
    size: int
    sha256: str
    head: bytes  # the first bytes, for sniffing


class BlobMissing(Exception):
    """The document has no stored file (deleted, or lost)."""


def blob_name(document_id: str) -> str:
    """`ab/abcdef...`: a document's file under the store's root (a folder or a key prefix),
    spread over 256 subfolders by its id's first two characters. ValueError for an id that
    is not made of letters, digits, `-` and `_`."""
    safe = "".join(c for c in document_id if c.isalnum() or c in "-_")
    if not safe or safe != document_id:
        raise ValueError(f"invalid document id {document_id!r}")
    return f"{safe[:2]}/{safe}"


class BlobStore:
    """The role: `stage` an upload locally, then `commit` it under a document id; `delete`,
    `exists`, `local_copy` to read it; `check` whether the store can be used now (raises
    StorageUnavailable when not). Staging is the same for every store: a folder of this
    process (`staging`)."""

    #: What /readyz and the logs call the store ("folder /data/blobs", "s3://bucket/prefix").
    description: str = "blob store"

    def __init__(self, staging: Path) -> None:
        self._staging = staging

    async def stage(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StagedFile:
        """Write a stream to a staging file, refusing it as soon as it exceeds `max_bytes`.
        Each block is hashed and written on a thread: the event loop only waits for it."""
        fd, path = self.scratch_file("upload-")
        digest = hashlib.sha256()
        size = 0
        head = b""

        def keep(f: BinaryIO, block: bytes) -> None:
            digest.update(block)  # releases the GIL for blocks over 2 KB
            f.write(block)

        try:
            with os.fdopen(fd, "wb") as f:
                async for block in chunks:
                    size += len(block)
                    if size > max_bytes:
                        raise IngestionError(
                            ErrorCode.TOO_LARGE,
                            f"the file is larger than the limit of {format_bytes(max_bytes, decimals=1)}",
                        )
                    if len(head) < 8192:
                        head += block[: 8192 - len(head)]
                    await asyncio.to_thread(keep, f, block)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return StagedFile(path=path, size=size, sha256=digest.hexdigest(), head=head)

    def discard(self, staged: StagedFile) -> None:
        staged.path.unlink(missing_ok=True)

    def scratch_file(self, prefix: str) -> tuple[int, Path]:
        """A new file in the staging folder (an open descriptor and its path)."""
        self._staging.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._staging, prefix=prefix)
        return fd, Path(name)

    async def commit(self, staged: StagedFile, document_id: str) -> None:
        """Keep a staged file as the document's (replacing any before); the staged file is
        gone after."""
        raise NotImplementedError

    async def delete(self, document_id: str) -> None:
        """Remove the document's file; nothing happens when there is none."""
        raise NotImplementedError

    async def exists(self, document_id: str) -> bool:
        raise NotImplementedError

    def local_copy(self, document_id: str) -> AbstractAsyncContextManager[Path]:
        """The document's file as a local path while the `async with` lasts (read it, never
        write it: it may be the stored file itself); BlobMissing when there is none."""
        raise NotImplementedError

    async def size(self, document_id: str) -> int | None:
        """The stored file's length in bytes; None when there is none."""
        raise NotImplementedError

    def read(
        self, document_id: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """The stored bytes `start` to `end` (exclusive; None: to the end of the file) as an
        async stream of blocks of at most 1 MiB (downloads and byte ranges). Raises
        BlobMissing on iteration when the file is gone (deleted meanwhile)."""
        raise NotImplementedError

    async def check(self) -> None:
        """Raise StorageUnavailable unless the store can be used now."""

    async def aclose(self) -> None:
        """Release the store's connections."""


class LocalBlobStore(BlobStore):
    """Files in a folder: `ROOT/ab/abcdef...`, staged in `ROOT/.staging` (one volume, so a
    commit is an atomic rename)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root / ".staging")
        self.root = root
        self.description = f"folder {root}"

    def path_for(self, document_id: str) -> Path:
        return self.root / blob_name(document_id)

    async def commit(self, staged: StagedFile, document_id: str) -> None:
        """Move a staged file to its permanent place (atomic on one volume)."""
        target = self.path_for(document_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, target)

    async def delete(self, document_id: str) -> None:
        self.path_for(document_id).unlink(missing_ok=True)

    async def exists(self, document_id: str) -> bool:
        return self.path_for(document_id).is_file()

    @asynccontextmanager
    async def _local_copy(self, document_id: str) -> AsyncIterator[Path]:
        path = self.path_for(document_id)
        if not path.is_file():
            raise BlobMissing(document_id)
        yield path

    def local_copy(self, document_id: str) -> AbstractAsyncContextManager[Path]:
        return self._local_copy(document_id)

    async def size(self, document_id: str) -> int | None:
        try:
            stat = await asyncio.to_thread(self.path_for(document_id).stat)
        except FileNotFoundError:
            return None
        return stat.st_size

    def read(
        self, document_id: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        path = self.path_for(document_id)

        async def gen() -> AsyncIterator[bytes]:
            try:
                f = await asyncio.to_thread(path.open, "rb")
            except FileNotFoundError:
                raise BlobMissing(document_id) from None
            try:
                await asyncio.to_thread(f.seek, start)
                left = None if end is None else max(end - start, 0)
                while left is None or left > 0:
                    want = _CHUNK if left is None else min(_CHUNK, left)
                    block = await asyncio.to_thread(f.read, want)
                    if not block:
                        return
                    if left is not None:
                        left -= len(block)
                    yield block
            finally:
                await asyncio.to_thread(f.close)

        return gen()


def read_chunks(path: Path) -> AsyncIterator[bytes]:
    """A file as an async stream of blocks (for staging local files, e.g. from the CLI)."""

    async def gen() -> AsyncIterator[bytes]:
        with path.open("rb") as f:
            while block := f.read(_CHUNK):
                yield block

    return gen()
