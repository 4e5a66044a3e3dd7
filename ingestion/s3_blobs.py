"""The blob store on S3-compatible storage (AWS S3, SeaweedFS, S3Proxy...), through
aiobotocore: `s3://BUCKET/PREFIX`, a document's file at the key `PREFIX/ab/abcdef...`.

Streamed both ways, never whole in memory: a commit sends the staged file in parts of
`PART_BYTES` (one PutObject up to that size, a multipart upload above), each part read on a
thread; a `local_copy` writes the object to a temporary file block by block. An outage (the
service unreachable, timing out, answering 5xx, or refusing docent's credentials) is
StorageUnavailable: uploads answer STORAGE_UNAVAILABLE, jobs retry. Region and credentials
come from the standard AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_DEFAULT_REGION, AWS_PROFILE...), as botocore reads them.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from docent.errors import DocentError, StorageUnavailable
from docent.ingestion.blobs import BlobMissing, BlobStore, StagedFile, blob_name

log = logging.getLogger(__name__)

#: Bytes per part of an upload, and the most a commit holds in memory. S3 takes parts of
#: 5 MiB to 5 GiB (but the last); 8 MiB is botocore's own multipart chunk size.
PART_BYTES = 8 * 1024 * 1024
#: Seconds to connect, and to wait for a reply, before a call is an outage.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 60.0
#: botocore's retries of one call (standard mode: throttling and 5xx, with backoff); the
#: job's own retries come after.
CALL_ATTEMPTS = 3
_MISSING = {"404", "NoSuchKey", "NotFound"}

T = TypeVar("T")


class StorageMisconfigured(DocentError):
    """The bucket does not exist (or is not docent's to use): a deployment mistake, told
    at start instead of at the first upload."""


class S3BlobStore(BlobStore):
    def __init__(
        self,
        bucket: str,
        prefix: str,
        staging: Path,
        *,
        endpoint_url: str | None = None,
        checksums: str = "when_required",
    ) -> None:
        """`prefix`: "" or a key prefix ending in "/". `checksums`: botocore's
        request_checksum_calculation and response_checksum_validation ("when_required",
        "when_supported")."""
        super().__init__(staging)
        self.bucket = bucket
        self.prefix = prefix
        self.description = f"s3://{bucket}/{prefix}"
        self._endpoint_url = endpoint_url
        self._config = Config(
            request_checksum_calculation=checksums,
            response_checksum_validation=checksums,
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            retries={"max_attempts": CALL_ATTEMPTS, "mode": "standard"},
        )
        self._stack = AsyncExitStack()
        self._client: Any = None
        self._lock = asyncio.Lock()

    def key(self, document_id: str) -> str:
        return self.prefix + blob_name(document_id)

    async def _s3(self) -> Any:
        """The client, made at first use (a client made on one event loop serves only it)."""
        async with self._lock:
            if self._client is None:
                session = get_session()
                self._client = await self._stack.enter_async_context(
                    session.create_client(
                        "s3", endpoint_url=self._endpoint_url, config=self._config
                    )
                )
        return self._client

    async def _call(self, what: str, call: Awaitable[T]) -> T:
        """`call`, with an outage as StorageUnavailable (what failed, never a secret)."""
        try:
            return await call
        except ClientError as exc:
            error = exc.response.get("Error", {})
            said = ": ".join(
                str(part) for part in (error.get("Code"), error.get("Message")) if part
            )
            raise StorageUnavailable(
                f"the file store {self.description} refused to {what} ({said or 'no reason'})"
            ) from exc
        except (TimeoutError, BotoCoreError, aiohttp.ClientError, OSError) as exc:
            raise StorageUnavailable(
                f"the file store {self.description} is unavailable ({type(exc).__name__}); "
                "try again"
            ) from exc

    async def open(self) -> None:
        """Check the bucket at start: StorageMisconfigured when it does not exist or is not
        docent's; an unreachable service only logs (like Elasticsearch's: /readyz says so,
        and every call tries again)."""
        try:
            await self.check()
        except StorageUnavailable as exc:
            cause = exc.__cause__
            status = (
                cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
                if isinstance(cause, ClientError)
                else 500
            )
            if status < 500:  # no such bucket, or not docent's: waiting will not help
                raise StorageMisconfigured(
                    f"{exc.message}: create the bucket {self.bucket!r}, or check "
                    "DOCENT_BLOB_STORE and the AWS credentials"
                ) from exc
            log.warning("%s; uploads wait for it", exc.message)

    async def check(self) -> None:
        client = await self._s3()
        await self._call("show its bucket", client.head_bucket(Bucket=self.bucket))

    async def commit(self, staged: StagedFile, document_id: str) -> None:
        key = self.key(document_id)
        try:
            if staged.size <= PART_BYTES:
                body = await asyncio.to_thread(staged.path.read_bytes)
                client = await self._s3()
                await self._call(
                    "store a file", client.put_object(Bucket=self.bucket, Key=key, Body=body)
                )
            else:
                await self._multipart(staged.path, key)
        finally:
            self.discard(staged)

    async def _multipart(self, path: Path, key: str) -> None:
        client = await self._s3()
        started = await self._call(
            "store a file", client.create_multipart_upload(Bucket=self.bucket, Key=key)
        )
        upload_id = started["UploadId"]
        parts = []
        try:
            with path.open("rb") as f:
                number = 1
                while block := await asyncio.to_thread(f.read, PART_BYTES):
                    sent = await self._call(
                        "store a file",
                        client.upload_part(
                            Bucket=self.bucket, Key=key, UploadId=upload_id,
                            PartNumber=number, Body=block,
                        ),
                    )  # fmt: skip
                    parts.append({"ETag": sent["ETag"], "PartNumber": number})
                    number += 1
            await self._call(
                "store a file",
                client.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                ),
            )  # fmt: skip
        except BaseException:
            try:  # no half upload left to be billed for
                await client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except Exception:
                log.warning("could not abort the multipart upload of %s", key)
            raise

    async def delete(self, document_id: str) -> None:
        client = await self._s3()
        await self._call(
            "delete a file", client.delete_object(Bucket=self.bucket, Key=self.key(document_id))
        )

    async def _unless_missing(self, what: str, call: Awaitable[T]) -> T | None:
        """`call`, or None when its object is not there; other failures as `_call` says."""
        try:
            return await call
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _MISSING:
                return None
            return await self._call(what, _reraise(exc))
        except Exception as exc:
            return await self._call(what, _reraise(exc))

    async def _head(self, document_id: str) -> dict[str, Any] | None:
        client = await self._s3()
        head = client.head_object(Bucket=self.bucket, Key=self.key(document_id))
        return await self._unless_missing("show a file", head)

    async def _get(self, document_id: str, **extra: str) -> dict[str, Any]:
        """The object's GetObject answer (its body still to read); BlobMissing when none."""
        client = await self._s3()
        get = client.get_object(Bucket=self.bucket, Key=self.key(document_id), **extra)
        answer = await self._unless_missing("read a file", get)
        if answer is None:
            raise BlobMissing(document_id)
        return answer

    async def _blocks(self, answer: dict[str, Any]) -> AsyncIterator[bytes]:
        """A GetObject answer's body in blocks of at most 1 MiB."""
        async with answer["Body"] as body:
            chunks = body.iter_chunks(1 << 20)
            while block := await self._call("read a file", anext(chunks, b"")):
                yield block

    async def exists(self, document_id: str) -> bool:
        return await self._head(document_id) is not None

    def local_copy(self, document_id: str) -> AbstractAsyncContextManager[Path]:
        return self._local_copy(document_id)

    async def size(self, document_id: str) -> int | None:
        head = await self._head(document_id)
        return None if head is None else int(head["ContentLength"])

    def read(
        self, document_id: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        async def gen() -> AsyncIterator[bytes]:
            if end is not None and end <= start:
                return
            # HTTP ranges are inclusive (RFC 9110 14.1.2): bytes=start-(end-1).
            wanted = f"bytes={start}-" + ("" if end is None else str(end - 1))
            async for block in self._blocks(await self._get(document_id, Range=wanted)):
                yield block

        return gen()

    @asynccontextmanager
    async def _local_copy(self, document_id: str) -> AsyncIterator[Path]:
        answer = await self._get(document_id)
        fd, path = self.scratch_file("copy-")
        try:
            with os.fdopen(fd, "wb") as out:
                async for block in self._blocks(answer):
                    await asyncio.to_thread(out.write, block)
            yield path
        finally:
            path.unlink(missing_ok=True)

    async def aclose(self) -> None:
        await self._stack.aclose()
        self._client = None


async def _reraise(exc: BaseException) -> Any:
    raise exc
