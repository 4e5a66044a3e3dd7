"""Page cursors: where a page of a sorted list ends, as an opaque URL-safe string, and
which page a connection asks for (`Window`).

A cursor is the sort values of an item (base64url of their JSON, unpadded), which the
engine sorts after (or before, paging back): stable under inserts, unlike an offset.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from docent.errors import InvalidInput


def encode_cursor(position: Sequence[Any]) -> str:
    """The cursor of the item sorted at `position` (JSON-ready values)."""
    raw = json.dumps(list(position)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


#: Longer than any cursor `encode_cursor` makes (a few sort values); a longer one is refused
#: before it is decoded, so no cursor can hold JSON nested deeper than half this.
MAX_CURSOR_CHARS = 1000


#: Both engines sort 64-bit signed integers (SQLite INTEGER, Elasticsearch `long` and
#: epoch-nanosecond dates); a value outside this range cannot be a position they made.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

#: A checked cursor field: takes the decoded JSON value, returns the value to sort after,
#: raises ValueError (or TypeError) for one the engine could not have made.
CursorField = Callable[[Any], Any]


def sequence_number(value: Any) -> int:
    """A message's position in its conversation: an integer 0..2**63-1 (not a bool)."""
    if type(value) is not int or not 0 <= value <= _INT64_MAX:
        raise ValueError(value)
    return value


def sort_integer(value: Any) -> int:
    """An engine's integer sort value (epoch nanoseconds in Elasticsearch): a signed 64-bit
    integer, not a bool."""
    if type(value) is not int or not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(value)
    return value


def timestamp(value: Any) -> str:
    """A stored time: ISO 8601 with a UTC offset, returned as stored (UTC, microseconds), so
    the engine's string comparison orders it as a time. A time without an offset is refused:
    its instant is unknown."""
    if not isinstance(value, str):
        raise TypeError(value)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def identifier(value: Any) -> str:
    """A record's id: a string (the tiebreak of equal sort values)."""
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _checked(value: Any, check: CursorField | type) -> Any:
    # A bare type is an isinstance check (bool is not an int here: JSON true is no position).
    if isinstance(check, type):
        if not isinstance(value, check) or isinstance(value, bool):
            raise ValueError(value)
        return value
    return check(value)


def decode_cursor(cursor: str, *fields: CursorField | type, field: str = "after") -> list[Any]:
    """The position `encode_cursor` made, checked field by field by `fields` (one checker per
    sort value, in order: `sequence_number`, `sort_integer`, `timestamp`, `identifier`, or a
    bare type, checked with isinstance).
    Raises `InvalidInput` (on `field`: `after` or `before`) for anything else: not base64, not JSON, JSON nested
    too deeply, longer than MAX_CURSOR_CHARS, the wrong number of values, or a value of the
    wrong type or out of its range."""
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(position, list) or len(position) != len(fields):
            raise ValueError
        return [_checked(value, check) for value, check in zip(position, fields, strict=True)]
    except (ValueError, TypeError, RecursionError, OverflowError) as exc:
        raise InvalidInput("invalid cursor", field=field) from exc


_DIRECTIONS = (
    "page forward with `first` and `after`, or back with `last` and `before` (Relay Cursor "
    "Connections)"
)


@dataclass(frozen=True, slots=True)
class Window:
    """Which page of a sorted list a connection asks for: the first `size` items after
    `cursor` (forward: `first`, `after`), or the last `size` items before it (backward:
    `last`, `before`). Either way the page is in the list's order. No cursor: from the start
    (forward) or from the end (backward)."""

    size: int
    cursor: str | None = None
    backward: bool = False

    @property
    def field(self) -> str:
        """The argument the cursor came in, which a bad one is reported on."""
        return "before" if self.backward else "after"

    def arguments(self) -> dict[str, Any]:
        """The window as a list call's arguments (`first`, `after` or `last`, `before`)."""
        if self.backward:
            return {"last": self.size, "before": self.cursor}
        return {"first": self.size, "after": self.cursor}

    @classmethod
    def of(
        cls,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        *,
        default: int = 20,
    ) -> Window:
        """The window of a connection's arguments (`default` items forward when neither
        `first` nor `last` is given). InvalidInput for `first` with `last` (field `last`:
        the Relay spec discourages it, and what it means is unclear), and for a cursor of
        the other direction (`after` with `last` or `before`, field `before`; `before` with
        `first`, field `first`)."""
        if first is not None and last is not None:
            raise InvalidInput(f"`first` and `last` cannot be given together: {_DIRECTIONS}",
                               field="last")  # fmt: skip
        if last is not None or before is not None:
            if after is not None:
                raise InvalidInput(f"`after` cannot be given with `last` or `before`: "
                                   f"{_DIRECTIONS}", field="before")  # fmt: skip
            if first is not None:
                raise InvalidInput(f"`before` cannot be given with `first`: {_DIRECTIONS}",
                                   field="first")  # fmt: skip
            return cls(default if last is None else last, before, backward=True)
        return cls(default if first is None else first, after)
