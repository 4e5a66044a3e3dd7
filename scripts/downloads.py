"""What the scripts that download pinned files share (stdlib only): a file's hash, to check
what was downloaded against its pin, writing a file all at once or not at all, and the
cache folder a fetched service lives in.

fetch_graphiql_assets.py, elasticsearch.py, s3proxy.py and fetch_compose_schema.py import it
from beside
them (the Dockerfile's GraphiQL stage copies it next to fetch_graphiql_assets.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _hashlib import HASH


def file_hash(path: Path, algorithm: str) -> HASH:
    """The `hashlib` hash ("sha256", "sha512"...) of the file's bytes, read in blocks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, algorithm)


def service_cache(variable: str, default: str) -> Path:
    """The folder named by the environment variable `variable`, else `default` (`~` is
    expanded). ValueError when it is inside docent's repository: a fetched server must
    never end up committed."""
    path = Path(os.environ.get(variable) or default).expanduser().resolve()
    repo = Path(__file__).resolve().parents[1]
    if (repo / "pyproject.toml").is_file() and path.is_relative_to(repo):
        raise ValueError(
            f"the cache {path} is inside the repository {repo}: point {variable} elsewhere"
        )
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` (mode 0644) through a temporary file beside it: a reader sees
    the old file or the new one, never a part; nothing is left behind on failure."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
