"""The blob store: uploaded files, kept by document id in a folder that API and workers share."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
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


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._staging = root / ".staging"

    def path_for(self, document_id: str) -> Path:
        safe = "".join(c for c in document_id if c.isalnum() or c in "-_")
        if not safe or safe != document_id:
            raise ValueError(f"invalid document id {document_id!r}")
        return self.root / safe[:2] / safe

    async def stage(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StagedFile:
        """Write a stream to a staging file, refusing it as soon as it exceeds `max_bytes`.
        Each block is hashed and written on a thread: the event loop only waits for it."""
        self._staging.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._staging, prefix="upload-")
        path = Path(name)
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

    def commit(self, staged: StagedFile, document_id: str) -> Path:
        """Move a staged file to its permanent place (atomic on one volume)."""
        target = self.path_for(document_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, target)
        return target

    def discard(self, staged: StagedFile) -> None:
        staged.path.unlink(missing_ok=True)

    def delete(self, document_id: str) -> None:
        self.path_for(document_id).unlink(missing_ok=True)

    def exists(self, document_id: str) -> bool:
        return self.path_for(document_id).is_file()

    def size(self, document_id: str) -> int | None:
        """The stored file's length in bytes; None when there is none."""
        try:
            return self.path_for(document_id).stat().st_size
        except FileNotFoundError:
            return None

    def read(
        self, document_id: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """The stored bytes `start` to `end` (exclusive; None: to the end of the file) as an
        async stream of blocks of at most 1 MiB, each read on a thread. Raises
        FileNotFoundError on iteration when the file is gone (deleted meanwhile)."""
        path = self.path_for(document_id)

        async def gen() -> AsyncIterator[bytes]:
            f = await asyncio.to_thread(path.open, "rb")
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

    @contextlib.asynccontextmanager
    async def local_file(self, document_id: str) -> AsyncIterator[Path]:
        """A local path holding the stored file for the time of the block (here, the file
        itself: read it, never write it). For a child process that reads the file by path
        (page previews); a remote store would copy it to a temporary file."""
        path = self.path_for(document_id)
        if not path.is_file():
            raise FileNotFoundError(document_id)
        yield path


def read_chunks(path: Path) -> AsyncIterator[bytes]:
    """A file as an async stream of blocks (for staging local files, e.g. from the CLI)."""

    async def gen() -> AsyncIterator[bytes]:
        with path.open("rb") as f:
            while block := f.read(_CHUNK):
                yield block

    return gen()
