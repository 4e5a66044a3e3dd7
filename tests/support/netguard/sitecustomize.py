"""Loaded by every Python process started with this folder on PYTHONPATH (the tests put
it there for the docent server). It refuses and records any network connection that is not
to the loopback interface or a unix socket, so a test can prove nothing is downloaded."""

import ipaddress
import os
import socket
import sys

_LOG = os.environ.get("DOCENT_NETGUARD_LOG")
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _allowed_host(host):
    if host is None or host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _record(what):
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {what}\n")
    sys.stderr.write(f"netguard: blocked {what}\n")


def _check(sock, address):
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) else address
    if not _allowed_host(host):
        _record(f"connect {address!r}")
        raise OSError(f"netguard: network access to {address!r} is not allowed in tests")


def connect(self, address):
    _check(self, address)
    return _real_connect(self, address)


def connect_ex(self, address):
    _check(self, address)
    return _real_connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if not _allowed_host(host if not isinstance(host, bytes) else host.decode()):
        _record(f"resolve {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, f"netguard: lookup of {host!r} is not allowed")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
socket.getaddrinfo = getaddrinfo
