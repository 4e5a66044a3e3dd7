"""The blob store: uploaded files, kept by document id in a folder that API and workers share."""

from __future__ import annotations

import asyncio
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


def read_chunks(path: Path) -> AsyncIterator[bytes]:
    """A file as an async stream of blocks (for staging local files, e.g. from the CLI)."""

    async def gen() -> AsyncIterator[bytes]:
        with path.open("rb") as f:
            while block := f.read(_CHUNK):
                yield block

    return gen()
