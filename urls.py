"""URLs: as they may be shown (without the user and password they may carry), and the
socket address a daemon's URL names."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

#: clamd's port when a tcp:// URL leaves it out.
CLAMD_PORT = 3310


def redact(url: str) -> str:
    """`url` without its credentials (and its query, which may hold a key) when it has any."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return url


@dataclass(frozen=True, slots=True)
class SocketAddress:
    """A TCP `host` and `port`, or the `path` of a unix socket."""

    host: str | None = None
    port: int | None = None
    path: str | None = None


def clamd_address(url: str) -> SocketAddress:
    """The address of a clamd (DOCENT_CLAMAV_URL): `tcp://host[:port]` (port 3310 when left
    out) or `unix:///absolute/path`; ValueError, with an example, for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme == "tcp":
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"{url!r}: the port is not a number from 0 to 65535") from None
        if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(f"{url!r}: expected tcp://host:port, e.g. tcp://127.0.0.1:3310")
        return SocketAddress(host=parts.hostname, port=CLAMD_PORT if port is None else port)
    if parts.scheme == "unix":
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not path.startswith("/") or parts.query:
            raise ValueError(
                f"{url!r}: expected unix:///absolute/path, e.g. unix:///run/clamav/clamd.ctl"
            )
        return SocketAddress(path=path)
    raise ValueError(f"{url!r}: a clamd address is tcp://host:port or unix:///path/to/clamd.ctl")
