"""Parse processes end with the process that owns them.

The pool's owner (the server or the worker) holds each parse's deadline, so a worker left
behind by an owner killed with SIGKILL parsed with no deadline, and a restarted owner
parsed the same documents again. The fork server does not end either: every worker it
forks holds the write end of its "alive" pipe (multiprocessing's design), so it waits for
them. Two lifelines, one for each:

- the fork server (a child of the owner, started from any of the owner's threads) watches
  its parent id on a thread and kills itself when it changes (`watch_parent`, run by its
  preload, `preload.py`): a thread, because Linux's parent-death signal fires when the
  *thread* that forked the child exits, and an executor's thread may exit at any time;
- a worker (forked by the fork server's only thread) asks Linux for SIGKILL when its parent
  dies (`die_with_parent`, PR_SET_PDEATHSIG, prctl(2)), which stops it even inside a C
  call that holds the GIL; where prctl is missing, it watches like the fork server.

An orphan is gone within `POLL_S` seconds of its parent (at once, for a worker on Linux).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

#: How often a watching process reads its parent's id (seconds).
POLL_S = 0.5
#: prctl(2)'s option: the signal the calling process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Have this process killed (SIGKILL) when its parent dies: Linux's parent-death signal
    where it is available, else `watch_parent`. A parent already gone kills it now."""
    parent = os.getppid()
    if not _set_parent_death_signal():
        watch_parent()
        return
    # The parent may have died before the signal was set: then no signal comes.
    if os.getppid() != parent:
        _die()


def watch_parent() -> None:
    """Kill this process (SIGKILL) within POLL_S seconds of its parent's exit, from a daemon
    thread that reads the parent's id."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL_S)
        _die()

    threading.Thread(target=watch, name="docent-parent-watch", daemon=True).start()


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
