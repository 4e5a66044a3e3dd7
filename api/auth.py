"""Who is asking. `DOCENT_AUTH=none` is one local user, on the loopback interface only."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

LOCAL_USER = "local"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller; `id` is the owner of everything they store."""

    id: str
    name: str


def local_principal() -> Principal:
    return Principal(id=LOCAL_USER, name="Local user")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class InsecureBind(RuntimeError):
    pass


def check_bind(host: str, auth: str, *, allow_insecure: bool = False) -> None:
    """Refuse to expose an unauthenticated server beyond this machine."""
    if auth == "none" and not is_loopback(host) and not allow_insecure:
        raise InsecureBind(
            f"refusing to listen on {host} with DOCENT_AUTH=none: anyone who can reach this "
            "address would own every document. Bind 127.0.0.1 (or, in a container whose port "
            "is published on the host's loopback only, set DOCENT_ALLOW_INSECURE_BIND=true)."
        )
    if auth in ("dev", "oidc"):
        raise InsecureBind(
            f"DOCENT_AUTH={auth} is not available in this version of docent yet; use "
            "DOCENT_AUTH=none on 127.0.0.1"
        )
