"""The disk cache of page previews (`previews.py`): rendered PNGs, and failed renders
remembered, by document id and version, page and width, bounded in bytes (least recently
used out first)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docent.domain import DocumentRecord
from docent.errors import ErrorCode


@dataclass(frozen=True, slots=True)
class Failure:
    """A render that failed, remembered for the document version (`code`, `message`)."""

    code: ErrorCode
    message: str


class PreviewCache:
    """Rendered pages on disk, by document id and version, page and width, at most
    `max_bytes` in all: past it, the least recently used files go (a hit touches its
    file). Names are digests: no path is built from a document id."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def _path(self, record: DocumentRecord, page: int, width: int, kind: str) -> Path:
        key = hashlib.sha256(f"{record.id}\0{record.version}".encode()).hexdigest()[:40]
        return self.root / key[:2] / f"{key}-p{page}-w{width}.{kind}"

    def get(self, record: DocumentRecord, page: int, width: int) -> bytes | Failure | None:
        for kind in ("png", "failed"):
            path = self._path(record, page, width, kind)
            with contextlib.suppress(FileNotFoundError):
                data = path.read_bytes()
                os.utime(path)
                if kind == "png":
                    return data
                failure = json.loads(data)
                return Failure(ErrorCode(failure["code"]), failure["message"])
        return None

    def put(self, record: DocumentRecord, page: int, width: int, value: bytes | Failure) -> None:
        kind = "png" if isinstance(value, bytes) else "failed"
        path = self._path(record, page, width, kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = (
            value
            if isinstance(value, bytes)
            else json.dumps({"code": value.code.value, "message": value.message}).encode()
        )
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(name, path)
        self._evict()

    def _evict(self) -> None:
        files = []
        for path in self.root.glob("*/*"):
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
