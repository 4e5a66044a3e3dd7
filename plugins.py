"""Pick implementations by name, importing them lazily (as uvicorn picks its protocols)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def pick(kind: str, name: str, implementations: Mapping[str, str]) -> Any:
    """Import and return the object registered as `name` ("module:attr.attr")."""
    try:
        target = implementations[name]
    except KeyError:
        raise ValueError(
            f"{kind} {name!r} is not available in this version of docent; available: "
            f"{', '.join(sorted(implementations)) or 'none'}"
        ) from None
    module_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj
