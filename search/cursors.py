"""Page cursors: where a page of a sorted list ends, as an opaque URL-safe string.

A cursor is the sort values of the last item (base64url of their JSON, unpadded), which
the engine sorts after: stable under inserts, unlike an offset.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from docent.errors import InvalidInput


def encode_cursor(position: Sequence[Any]) -> str:
    """The cursor of the item sorted at `position` (JSON-ready values)."""
    raw = json.dumps(list(position)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


#: Longer than any cursor `encode_cursor` makes (a few sort values); a longer one is refused
#: before it is decoded, so no cursor can hold JSON nested deeper than half this.
MAX_CURSOR_CHARS = 1000


def decode_cursor(cursor: str, *kinds: type) -> list[Any]:
    """The position `encode_cursor` made, checked to hold one value of each of `kinds`, in
    order. Raises `InvalidInput` (field `after`) for anything else: not base64, not JSON,
    JSON nested too deeply, or longer than MAX_CURSOR_CHARS."""
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(position, list) or len(position) != len(kinds):
            raise ValueError
        if not all(isinstance(value, kind) for value, kind in zip(position, kinds, strict=True)):
            raise ValueError
        return position
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidInput("invalid cursor", field="after") from exc
