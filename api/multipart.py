"""GraphQL multipart requests (the spec: https://github.com/jaydenseric/graphql-multipart-request-spec):
the `operations` and `map` fields, checked, and the files put where `map` says.

Strawberry's own placement copies `operations` with `copy.deepcopy` (deeply nested JSON
overflows the stack) and trusts `map` (a list, or a path through a string, raised a
TypeError: a plain-text 500). Here every way `map` can be wrong is a MultipartError saying
what, answered 400 BAD_REQUEST.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: File paths one request may map (docent's mutations take one file each).
MAX_FILE_PATHS = 10

_EXAMPLE = '{"0": ["variables.file"]}'


class MultipartError(ValueError):
    """A multipart request the spec does not allow; the message says why."""


def place_files(operations: Any, files_map: Any, parts: Mapping[str, Any]) -> dict[str, Any]:
    """`operations` (a JSON object: batching is not enabled) with the part of `parts` each key
    of `files_map` names put at each of its paths (`variables.file`), in place. A path must
    lead, through objects and list indices, to a null under `variables`."""
    if not isinstance(operations, dict):
        raise MultipartError("`operations` must be a JSON object (one operation)")
    if not isinstance(files_map, dict):
        raise MultipartError(f"`map` must be a JSON object of lists of paths: {_EXAMPLE}")
    paths = 0
    for name, where in files_map.items():
        if not isinstance(where, list) or not where or not all(isinstance(p, str) for p in where):
            raise MultipartError(f"`map` must give each file part a list of paths: {_EXAMPLE}")
        paths += len(where)
        if paths > MAX_FILE_PATHS:
            raise MultipartError(f"`map` may give at most {MAX_FILE_PATHS} paths")
        if name not in parts:
            raise MultipartError(f"`map` names the part {name!r}, which the request lacks")
        for path in where:
            _put(operations, path, parts[name])
    return operations


def _put(operations: dict[str, Any], path: str, part: Any) -> None:
    keys = path.split(".")
    if len(keys) < 2 or keys[0] != "variables":
        raise MultipartError(f"the path {path!r} must lead into the variables (variables.NAME)")
    target: Any = operations
    for key in keys[:-1]:
        target = _child(target, key, path)
    last = keys[-1]
    if isinstance(target, dict) and last in target and target[last] is None:
        target[last] = part
    elif isinstance(target, list) and _index(target, last) is not None:
        target[int(last)] = part
    else:
        raise MultipartError(f"the path {path!r} does not lead to a null in `operations`")


def _child(value: Any, key: str, path: str) -> Any:
    if isinstance(value, dict) and key in value:
        return value[key]
    if isinstance(value, list) and (index := _index(value, key)) is not None:
        return value[index]
    raise MultipartError(f"the path {path!r} does not lead to a null in `operations`")


def _index(values: list[Any], key: str) -> int | None:
    """`key` as an index into `values`, or None when it is not one."""
    if key.isdigit() and int(key) < len(values):
        return int(key)
    return None
