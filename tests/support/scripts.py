"""The tools in scripts/, from the tests: loaded by path to read what a script pins, or run
as CI and developers run them; and `free_port`, scripts/supervise.py's.

scripts/ is no package, and goes on sys.path last only (see `load_script`): first, its
elasticsearch.py would shadow the Elasticsearch client. The scripts, standalone tools, never
import the tests.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from support.paths import REPO
from support.prerequisites import Unavailable

SCRIPTS = REPO / "scripts"


def load_script(name: str) -> ModuleType:
    """scripts/NAME.py as a module (`docent_scripts_NAME`, imported once), without running
    its command line. scripts/ is appended to sys.path, where the script finds the modules
    beside it (supervise.py...) as when it runs, and where none shadows a package."""
    module_name = f"docent_scripts_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    if str(SCRIPTS) not in sys.path:
        sys.path.append(str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(module_name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def run_script(name: str, *args: str, timeout: float) -> str:
    """Run `scripts/NAME.py ARGS...` with this Python (stdin closed) and return its stdout.
    Unavailable, with the script's stderr, when it fails or runs over `timeout` seconds."""
    try:
        result = subprocess.run(
            [sys.executable, str(SCRIPTS / f"{name}.py"), *args],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise Unavailable(f"scripts/{name}.py {args[0]} took over {timeout:.0f} s") from None
    if result.returncode != 0:
        raise Unavailable(f"scripts/{name}.py {args[0]} failed:\n{result.stderr.strip()}")
    return result.stdout


def start_service(name: str, *args: str, timeout: float) -> dict[str, Any]:
    """`scripts/NAME.py start ARGS...` (elasticsearch, clamd): what the service's `start`
    prints last, one JSON object (its URL, pid, directory...)."""
    out = run_script(name, "start", *args, timeout=timeout)
    return dict(json.loads(out.strip().splitlines()[-1]))


#: A TCP port free on 127.0.0.1 right now (the one scripts/supervise.py gives the services).
free_port: Callable[[], int] = load_script("supervise").free_port
