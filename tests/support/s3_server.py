"""A real S3-compatible server for the tests (S3Proxy, from scripts/s3proxy.py); and, as a
pytest plugin (`pytest_plugins` in tests/conftest.py), the session's server: the `s3` fixture,
and `s3_bucket`, a new empty bucket for each test.

Never skipped: when the server cannot be had (no Java, no fetched jar and no Maven), the test
fails with the reason. `S3Server.stop()` and `.start()` play an outage: the server comes back
on the same port with the same buckets.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from support.prerequisites import Unavailable
from support.scripts import run_script, start_service

FETCH_TIMEOUT = 1800.0
START_TIMEOUT = 180.0  # Java on 2 shared cores under a parallel test load


@dataclass
class S3Server:
    info: dict[str, Any]
    running: bool = field(default=True)

    @property
    def url(self) -> str:
        return str(self.info["url"])

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def env(self, bucket: str, prefix: str = "docent") -> dict[str, str]:
        """What a docent process needs to keep its files in `bucket` under `prefix`."""
        return {
            "DOCENT_BLOB_STORE": f"s3://{bucket}/{prefix}",
            "DOCENT_S3_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": self.info["access_key"],
            "AWS_SECRET_ACCESS_KEY": self.info["secret_key"],
            "AWS_DEFAULT_REGION": self.info["region"],
        }

    def stop(self) -> None:
        """Stop the server, keeping its buckets (an outage)."""
        run_script("s3proxy", "stop", "--dir", str(self.info["dir"]), "--keep", timeout=60)
        self.running = False

    def start(self) -> None:
        """Start it again on the same port, with the same buckets."""
        self.info = start_service(
            "s3proxy", "--dir", str(self.info["dir"]), "--port", str(self.port),
            "--timeout", str(START_TIMEOUT), "--owner-pid", str(os.getpid()),
            timeout=START_TIMEOUT + 60,
        )  # fmt: skip
        self.running = True

    @asynccontextmanager
    async def client(self) -> AsyncIterator[Any]:
        """An aiobotocore S3 client of the server, to look at what docent stored."""
        from aiobotocore.session import get_session
        from botocore.config import Config

        config = Config(
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        async with get_session().create_client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.info["access_key"],
            aws_secret_access_key=self.info["secret_key"],
            region_name=self.info["region"],
            config=config,
        ) as client:
            yield client

    async def keys(self, bucket: str) -> list[str]:
        """Every object's key in `bucket` (not the folders S3Proxy's filesystem backend lists
        as keys ending in "/")."""
        async with self.client() as client:
            answer = await client.list_objects_v2(Bucket=bucket)
        return sorted(i["Key"] for i in answer.get("Contents", []) if not i["Key"].endswith("/"))


def start_server() -> S3Server:
    try:
        run_script("s3proxy", "fetch", timeout=FETCH_TIMEOUT)
        info = start_service(
            "s3proxy", "--timeout", str(START_TIMEOUT), "--owner-pid", str(os.getpid()),
            timeout=START_TIMEOUT + 60,
        )  # fmt: skip
    except Unavailable as error:
        pytest.fail(f"no S3 server (S3Proxy): {error}")
    return S3Server(info)


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """The session's S3Proxy (started again after a test that stopped it)."""
    server = start_server()
    try:
        yield server
    finally:
        if server.running:
            run_script("s3proxy", "stop", "--dir", str(server.info["dir"]), timeout=60)


async def new_bucket(s3: S3Server) -> str:
    """A new empty bucket on `s3` (started again if a test stopped it)."""
    if not s3.running:
        s3.start()
    bucket = f"docent-test-{uuid.uuid4().hex[:12]}"
    async with s3.client() as client:
        await client.create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
async def s3_bucket(s3: S3Server) -> str:
    """A new empty bucket on the session's server."""
    return await new_bucket(s3)
