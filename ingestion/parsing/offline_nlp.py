"""Configure `unstructured` so that nothing is ever downloaded at run time.

`configure_offline()` runs in every process that parses, BEFORE anything imports
unstructured's partitioners (the telemetry opt-out must be in the environment before
`import unstructured`, which pings packages.unstructured.io at import time):

1. Telemetry and notices: DO_NOT_TRACK and SCARF_NO_ANALYTICS (else unstructured sends an
   HTTP GET to packages.unstructured.io at import time and after every partition call),
   UNSTRUCTURED_DISABLE_NOTICE (a banner on stdout), and HF_HUB_OFFLINE and
   TRANSFORMERS_OFFLINE, so that a stray `hi_res` strategy fails fast instead of fetching a
   model. These configure the libraries; a value already in the environment is kept.
2. NLP: `unstructured.nlp.tokenize` runs spaCy and downloads its English model on first
   use. docent installs neither spaCy nor the model (requirements/no-deps.txt): its own
   `nlp.py` is put in that module's place, so the original, and its downloader, never load.
3. numba: unstructured's `xycut.py` and `bbox_visualisation.py` import `numba.njit`, which
   docent does not install either; a pass-through `njit` stands in for it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from collections.abc import Callable
from typing import Any

from docent.ingestion.parsing import nlp

_LIBRARY_ENVIRONMENT = {
    "DO_NOT_TRACK": "true",
    "SCARF_NO_ANALYTICS": "true",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}
_TOKENIZE = "unstructured.nlp.tokenize"


def configure_offline() -> None:
    """Make unstructured download-free, in this process and the ones it forks. Idempotent.

    Raises RuntimeError when unstructured's text classifiers were imported before the first
    call: they would hold spaCy's functions."""
    if sys.modules.get(_TOKENIZE) is nlp:
        return  # done in this process, or in the fork server it was forked from
    for name, value in _LIBRARY_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if "unstructured.partition.text_type" in sys.modules:
        raise RuntimeError(
            "configure_offline() must run before unstructured partitioners are imported"
        )
    sys.modules[_TOKENIZE] = nlp
    import unstructured.nlp

    vars(unstructured.nlp)["tokenize"] = nlp
    if importlib.util.find_spec("numba") is None:
        sys.modules["numba"] = _numba_stub()


def _numba_stub() -> types.ModuleType:
    """A `numba` whose `njit` and `jit` return the function they decorate, unchanged."""

    def njit(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]  # @njit

        def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
            return function  # @njit(cache=True)

        return decorate

    stub = types.ModuleType("numba", "docent's stand-in for numba, which it does not install")
    vars(stub).update(njit=njit, jit=njit)
    return stub
