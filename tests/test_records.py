"""The codecs both search engines and the ingestion job share: records and chunks as flat
dicts, page cursors, and the vector check before anything reaches an index."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from docent.domain import Chunk, DocumentRecord, DocumentStatus, IndexedChunk, Visibility
from docent.errors import InvalidInput
from docent.search.backend import checked_vector
from docent.search.cursors import decode_cursor, encode_cursor
from docent.search.records import (
    STORED_RECORD_NAMES,
    chunk_from_dict,
    chunk_to_dict,
    record_from_dict,
    record_to_dict,
)

WHEN = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def shared_record() -> DocumentRecord:
    return DocumentRecord(
        id="d1", owner="alice", title="Handbook", filename="handbook.md",
        mime_type="text/markdown", size_bytes=120, sha256="abc", status=DocumentStatus.QUEUED,
        tags=("hr", "2025"), created_at=WHEN, updated_at=WHEN, version=2,
        visibility=Visibility.GROUP, group="eng",
    )  # fmt: skip


def test_a_pending_payload_queued_by_an_earlier_docent_still_decodes() -> None:
    """The job's `pending` payload keeps its wire shape: every field by name, `group`
    included, times as `datetime.isoformat()` wrote them; `run` (the fencing token) was
    added at the end, and a payload without it decodes with run 0."""
    queued = {
        "id": "d1", "owner": "alice", "title": "Handbook", "filename": "handbook.md",
        "mime_type": "text/markdown", "size_bytes": 120, "sha256": "abc", "status": "QUEUED",
        "tags": ["hr", "2025"], "error_code": None, "error_message": None, "page_count": None,
        "chunk_count": 0, "created_at": "2025-03-01T12:30:00+00:00", "processed_at": None,
        "updated_at": "2025-03-01T12:30:00+00:00", "version": 2, "visibility": "GROUP",
        "group": "eng",
    }  # fmt: skip
    assert record_from_dict(queued) == shared_record()
    payload = record_to_dict(shared_record())
    assert list(payload) == [*queued, "run"] and payload["run"] == 0
    assert record_from_dict(json.loads(json.dumps(payload))) == shared_record()


def test_the_engines_store_group_as_share_group() -> None:
    stored = record_to_dict(shared_record(), STORED_RECORD_NAMES)
    assert stored["share_group"] == "eng" and "group" not in stored
    assert stored["created_at"] == "2025-03-01T12:30:00.000000+00:00"  # fixed width
    assert record_from_dict(stored, STORED_RECORD_NAMES) == shared_record()


def test_fields_an_older_index_lacks_take_their_defaults() -> None:
    old = {
        "id": "d", "owner": "o", "title": "t", "filename": "f", "mime_type": "text/plain",
        "size_bytes": 0, "sha256": "s", "status": "READY", "chunk_count": None,
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
    }  # fmt: skip
    record = record_from_dict(old, STORED_RECORD_NAMES)
    assert (record.visibility, record.group, record.tags) == (Visibility.PRIVATE, None, ())
    assert (record.version, record.chunk_count, record.size_bytes) == (1, 0, 0)
    assert record.created_at == datetime(2024, 1, 1, tzinfo=UTC)


def test_chunks_round_trip_under_another_id_key() -> None:
    chunk = Chunk(id="d-0", document_id="d", ordinal=0, text="x", page=2, element_types=("Table",))
    source = chunk_to_dict(chunk, {"id": "chunk_id"})
    assert source["chunk_id"] == "d-0" and source["element_types"] == ["Table"]
    assert chunk_from_dict({**source, "title": "ignored"}, {"id": "chunk_id"}) == chunk


def test_cursors_round_trip_and_refuse_anything_else() -> None:
    cursor = encode_cursor(["2025-03-01T12:30:00.000000+00:00", "d1"])
    assert "=" not in cursor
    assert decode_cursor(cursor, str, str) == ["2025-03-01T12:30:00.000000+00:00", "d1"]
    for bad in ("not-a-cursor!", encode_cursor([1, "d1"]), encode_cursor(["a"]), "e30"):
        with pytest.raises(InvalidInput):
            decode_cursor(bad, str, str)


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        (None, "chunk c has no 3-dimension vector"),
        ([1.0, 0.0], "chunk c has no 3-dimension vector"),
        ([0.0, 0.0, 0.0], "chunk c has a zero or invalid vector"),
        ([1.0, float("inf"), 0.0], "chunk c has a zero or invalid vector"),
    ],
)
def test_bad_vectors_are_refused_by_name(vector: list[float] | None, message: str) -> None:
    item = IndexedChunk(Chunk(id="c", document_id="d", ordinal=0, text="t"), "o", "t", vector)
    with pytest.raises(ValueError, match=message):
        checked_vector(item, 3)


def test_a_good_vector_is_float32_and_unit_length() -> None:
    item = IndexedChunk(Chunk(id="c", document_id="d", ordinal=0, text="t"), "o", "t", [3.0, 4.0])
    vector = checked_vector(item, 2)
    assert vector.dtype == np.float32 and np.allclose(vector, [0.6, 0.8])


def test_labels_and_comments_share_one_cleaning() -> None:
    from docent.domain import clean_comment, clean_text, title_from

    assert clean_text("a\x00b \u202ec\u2066 d") == "ab c d"
    assert title_from("Why\x00 is \u202ethis\u202c?") == "Why is this?"
    assert clean_comment(" one\x00\r\ntwo\u202e\r\r\r\nthree \n") == "one\ntwo\n\nthree"
