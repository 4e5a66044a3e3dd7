"""The blob store role (ingestion/blobs.py): one contract, run unchanged against the folder
store and the S3 store on a real S3 server (S3Proxy); then what only S3 has: the key layout,
multipart uploads, outages and a missing bucket."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from docent.errors import StorageUnavailable
from docent.ingestion.blobs import BlobMissing, BlobStore, LocalBlobStore, StagedFile, read_chunks
from docent.settings import StorageSettings

from support.commands import docent
from support.s3_server import S3Server, new_bucket


@pytest.fixture
def aws(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The session's S3 server, with its credentials in the standard AWS variables (where
    botocore reads them, as in production) for this test only."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.info["access_key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.info["secret_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", s3.info["region"])
    return s3


def s3_store(s3: S3Server, bucket: str, staging: Path, prefix: str = "tenant-a/") -> BlobStore:
    from docent.ingestion.s3_blobs import S3BlobStore

    return S3BlobStore(bucket, prefix, staging, endpoint_url=s3.url)


@pytest.fixture(params=["folder", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    if request.param == "folder":
        instance: BlobStore = LocalBlobStore(tmp_path / "blobs")
    else:
        s3: S3Server = request.getfixturevalue("aws")
        instance = s3_store(s3, await new_bucket(s3), tmp_path / "staging")
    try:
        yield instance
    finally:
        await instance.aclose()


async def staged(store: BlobStore, tmp_path: Path, data: bytes) -> StagedFile:
    source = tmp_path / f"source-{hashlib.sha256(data).hexdigest()[:8]}"
    source.write_bytes(data)
    return await store.stage(read_chunks(source), max_bytes=1 << 30)


async def read_back(store: BlobStore, document_id: str) -> bytes:
    async with store.local_copy(document_id) as path:
        return path.read_bytes()


# --------------------------------------------------------------------------- the contract


async def joined(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([block async for block in stream])


async def test_sizes_and_byte_ranges_are_read_as_stored(store: BlobStore, tmp_path: Path) -> None:
    """What downloads and PDF viewers' range requests read (`GET /documents/{id}/file`):
    the size, the whole file, and any range of it, on both stores; a file more than one
    block long (1 MiB) included."""
    data = os.urandom((1 << 20) + 12_345)
    await store.commit(await staged(store, tmp_path, data), "doc1")
    assert await store.size("doc1") == len(data)
    assert await store.size("nothing") is None
    assert await joined(store.read("doc1")) == data
    for start, end in [(0, 1), (10, 20), (1 << 20, len(data)), (5, None), (7, 7)]:
        assert await joined(store.read("doc1", start, end)) == data[start:end], (start, end)
    with pytest.raises(BlobMissing):
        await joined(store.read("nothing"))


async def test_commit_then_read_then_delete(store: BlobStore, tmp_path: Path) -> None:
    data = b"%PDF-1.7 not really\n" * 1000
    file = await staged(store, tmp_path, data)
    assert file.size == len(data) and file.sha256 == hashlib.sha256(data).hexdigest()
    assert not await store.exists("doc1")
    await store.commit(file, "doc1")
    assert not file.path.exists()  # the staged file is gone, kept or sent
    assert await store.exists("doc1")
    assert await read_back(store, "doc1") == data
    await store.delete("doc1")
    assert not await store.exists("doc1")
    with pytest.raises(BlobMissing):
        await read_back(store, "doc1")


async def test_deleting_what_is_not_there_is_no_error(store: BlobStore) -> None:
    await store.delete("never-stored")
    assert not await store.exists("never-stored")


async def test_a_commit_replaces_the_file(store: BlobStore, tmp_path: Path) -> None:
    await store.commit(await staged(store, tmp_path, b"version one"), "doc2")
    await store.commit(await staged(store, tmp_path, b"version two"), "doc2")
    assert await read_back(store, "doc2") == b"version two"


async def test_a_local_copy_is_gone_after_use(store: BlobStore, tmp_path: Path) -> None:
    await store.commit(await staged(store, tmp_path, b"abc"), "doc3")
    async with store.local_copy("doc3") as path:
        assert path.read_bytes() == b"abc"
    if not isinstance(store, LocalBlobStore):  # a temporary copy, not the stored file
        assert not path.exists()


async def test_a_file_larger_than_one_part_round_trips(store: BlobStore, tmp_path: Path) -> None:
    """Over PART_BYTES: a multipart upload on S3, sent one part at a time."""
    from docent.ingestion.s3_blobs import PART_BYTES

    data = os.urandom(PART_BYTES * 2 + 12345)
    await store.commit(await staged(store, tmp_path, data), "big")
    copy = await read_back(store, "big")
    assert len(copy) == len(data) and copy == data


async def test_ids_that_could_escape_are_refused(store: BlobStore) -> None:
    for bad in ("../etc", "a/b", "", "x y"):
        with pytest.raises(ValueError):
            await store.exists(bad)


# --------------------------------------------------------------------------- S3 only


async def test_objects_are_kept_under_the_prefix(
    aws: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    s3 = aws
    store = s3_store(s3, s3_bucket, tmp_path / "staging", prefix="tenant-a/")
    try:
        await store.commit(await staged(store, tmp_path, b"hello"), "abcdef")
        assert await s3.keys(s3_bucket) == ["tenant-a/ab/abcdef"]
        await store.delete("abcdef")
        assert await s3.keys(s3_bucket) == []
        assert list((tmp_path / "staging").iterdir()) == []  # nothing left staged or copied
    finally:
        await store.aclose()


async def test_a_missing_bucket_stops_the_start(aws: S3Server, tmp_path: Path) -> None:
    from docent.ingestion.s3_blobs import StorageMisconfigured

    s3 = aws
    store = s3_store(s3, "no-such-bucket-here", tmp_path / "staging")
    try:
        with pytest.raises(StorageMisconfigured, match="create the bucket 'no-such-bucket-here'"):
            await store.open()  # type: ignore[attr-defined]
    finally:
        await store.aclose()


async def test_an_outage_is_storage_unavailable_and_passes(
    aws: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    s3 = aws
    store = s3_store(s3, s3_bucket, tmp_path / "staging")
    try:
        await store.commit(await staged(store, tmp_path, b"kept"), "kept")
        s3.stop()
        await store.open()  # type: ignore[attr-defined]  # unreachable at start: only a warning
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match="is unavailable"):
            await store.check()
        file = await staged(store, tmp_path, b"new")
        with pytest.raises(StorageUnavailable):
            await store.commit(file, "new")
        assert not file.path.exists()  # refused uploads leave nothing staged
        with pytest.raises(StorageUnavailable):
            await read_back(store, "kept")
        with pytest.raises(StorageUnavailable):
            await store.exists("kept")
        assert time.monotonic() - started < 60  # refused promptly, not after a long hang
        s3.start()
        await store.check()
        assert await read_back(store, "kept") == b"kept"
    finally:
        if not s3.running:
            s3.start()
        await store.aclose()


def test_docent_will_not_start_on_a_missing_bucket(s3: S3Server, tmp_path: Path) -> None:
    """`docent worker` (as `docent serve`) checks the bucket before anything else."""
    env = {**s3.env("no-such-bucket-here"), "DOCENT_DATA_DIR": str(tmp_path / "data")}
    result = docent("worker", "--burst", env=env, timeout=120)
    assert result.returncode != 0
    assert "create the bucket 'no-such-bucket-here'" in result.stdout + result.stderr


# --------------------------------------------------------------------------- settings


def test_the_blob_store_setting() -> None:
    default = StorageSettings(data_dir=Path("/d"))
    assert default.s3_location is None and default.blob_dir == Path("/d/blobs")
    folder = StorageSettings(data_dir=Path("/d"), blob_store="/mnt/shared/blobs")
    assert folder.s3_location is None and folder.blob_dir == Path("/mnt/shared/blobs")
    s3 = StorageSettings(data_dir=Path("/d"), blob_store="s3://docent-files/prod/eu/")
    assert s3.s3_location == ("docent-files", "prod/eu/")
    assert s3.blob_dir == Path("/d/blobs")  # staging and parsing copies stay local
    assert StorageSettings(blob_store="s3://docent-files").s3_location == ("docent-files", "")
    assert StorageSettings().s3_checksums == "when_required"
    for bad in ("s3://", "s3://AB", "s3://Upper/x", "s3://x_y/z"):
        with pytest.raises(ValidationError, match="valid bucket name"):
            StorageSettings(blob_store=bad)
