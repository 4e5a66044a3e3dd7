"""Document records and chunks as flat, JSON-ready dicts: the one codec behind a SQLite row,
an Elasticsearch `_source` and an ingestion job's `pending` payload.

A dict holds every field under its own name, unless `names` gives another key for it (the
engines store `group` as `share_group`: GROUP is an SQL keyword). Enums are their values,
tuples lists, and times ISO 8601 with microseconds and offset: of fixed width, so that the
embedded engine orders them as strings. Decoding is lenient where old data may be thin: a
missing or null field takes the record's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any

from docent.domain import Chunk, DocumentRecord, DocumentStatus, Region, Visibility

Names = Mapping[str, str]

RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(DocumentRecord))
CHUNK_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Chunk))
#: The engines' names for record fields (the SQLite columns, the Elasticsearch fields).
STORED_RECORD_NAMES: Names = {"group": "share_group"}
STORED_RECORD_FIELDS: tuple[str, ...] = tuple(
    STORED_RECORD_NAMES.get(name, name) for name in RECORD_FIELDS
)
_TIMES = ("created_at", "processed_at", "updated_at")


def iso(value: datetime | None) -> str | None:
    """A time as stored: ISO 8601 with microseconds (None stays None)."""
    return value.isoformat(timespec="microseconds") if value else None


def parse_iso(value: str | None) -> datetime | None:
    """A stored time back (`Z` read as UTC); None or empty is None."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def record_to_dict(record: DocumentRecord, names: Names | None = None) -> dict[str, Any]:
    """Every field of `record`, keyed by `names` where given (by its own name otherwise)."""
    data: dict[str, Any] = {name: getattr(record, name) for name in RECORD_FIELDS}
    data.update(status=record.status.value, visibility=record.visibility.value)
    data["tags"] = list(record.tags)
    data.update({name: iso(data[name]) for name in _TIMES})
    return _renamed(data, names)


def record_from_dict(data: Mapping[str, Any], names: Names | None = None) -> DocumentRecord:
    """The record `record_to_dict` made (or an older docent stored). Raises KeyError or
    ValueError when a required field is missing or not valid."""
    values = _present(data, RECORD_FIELDS, names)
    values["status"] = DocumentStatus(values["status"])
    values["visibility"] = Visibility(values.get("visibility") or Visibility.PRIVATE)
    values["tags"] = tuple(values.get("tags", ()))
    for name in _TIMES:  # an empty time is a missing one
        when = parse_iso(values.pop(name, None))
        if when is not None:
            values[name] = when
    return DocumentRecord(**values)


def chunk_to_dict(chunk: Chunk, names: Names | None = None) -> dict[str, Any]:
    """Every field of `chunk`, keyed by `names` where given."""
    data: dict[str, Any] = {name: getattr(chunk, name) for name in CHUNK_FIELDS}
    data["element_types"] = list(chunk.element_types)
    data["regions"] = [region_to_dict(r) for r in chunk.regions]
    return _renamed(data, names)


def region_to_dict(region: Region) -> dict[str, Any]:
    return {name: getattr(region, name) for name in ("page", "x0", "y0", "x1", "y1")}


def chunk_from_dict(data: Mapping[str, Any], names: Names | None = None) -> Chunk:
    """The chunk `chunk_to_dict` made (other keys in `data` are ignored)."""
    values = _present(data, CHUNK_FIELDS, names)
    values["element_types"] = tuple(values.get("element_types", ()))
    values["regions"] = tuple(Region(**r) for r in values.get("regions") or ())
    return Chunk(**values)


def _renamed(data: dict[str, Any], names: Names | None) -> dict[str, Any]:
    if not names:
        return data
    return {names.get(name, name): value for name, value in data.items()}


def _present(
    data: Mapping[str, Any], wanted: tuple[str, ...], names: Names | None
) -> dict[str, Any]:
    """The fields `data` holds a value for, by field name: a null one is left to its default."""
    names = names or {}
    values = {name: data.get(names.get(name, name)) for name in wanted}
    return {name: value for name, value in values.items() if value is not None}
