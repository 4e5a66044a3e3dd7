#!/usr/bin/env python3
"""Fetch the Compose Specification's JSON schema, for tests/test_compose.py (stdlib only).

    python scripts/fetch_compose_schema.py [--cache-dir DIR] [-q]

The schema is compose-spec's own `schema/compose-spec.json`. It is taken from PyPI, where
check-jsonschema ships it unchanged as a vendored schema
(check_jsonschema/builtin_schemas/vendor/compose-spec.json, with compose-spec's license
beside it). So nothing is downloaded from anywhere but a package registry, and no third-party
file is committed here.

* The wheel, pinned below by version and SHA-256, is fetched with
  `python -m pip download --no-deps --require-hashes` (so pip's own index, proxy and CA
  settings apply) into a cache directory: DOCENT_COMPOSE_SCHEMA_CACHE, else
  ~/.cache/docent/compose-spec, else --cache-dir. A wheel already there is reused.
* The schema and its license are extracted next to it; the schema is checked against its
  pinned SHA-256.
* Idempotent: when the cache already holds the pinned schema, nothing is done.

On success the schema's path is printed on stdout. Exit status: 0 ok, 1 failure (message on
stderr), 2 usage error.

To move to a newer schema: pick a check-jsonschema release, then update VERSION, WHEEL_SHA256
(PyPI's "sha256" digest of the py3-none-any wheel) and SCHEMA_SHA256 (check-jsonschema's
own builtin_schemas/vendor/sha256/compose-spec.sha256 inside the wheel holds it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from downloads import file_hash, write_atomic

PACKAGE = "check-jsonschema"
VERSION = "0.39.0"
WHEEL = f"check_jsonschema-{VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "14ce5c94871c551268ea948ffe21e9f1464dc48fb20bf9a4c13deeaaf756cf9b"
VENDOR = "check_jsonschema/builtin_schemas/vendor"
SCHEMA_MEMBER = f"{VENDOR}/compose-spec.json"
LICENSE_MEMBER = f"{VENDOR}/licenses/LICENSE.compose-spec"
# compose-spec's schema/compose-spec.json (JSON Schema 2020-12) as check-jsonschema 0.39.0
# vendors it; the same digest as the wheel's vendor/sha256/compose-spec.sha256.
SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"
SCHEMA_NAME = "compose-spec.json"
LICENSE_NAME = "LICENSE.compose-spec"
CACHE_ENV = "DOCENT_COMPOSE_SCHEMA_CACHE"
PIP_TIMEOUT_S = 300


class FetchError(Exception):
    """A failure with a message meant for a person."""


def log(message: str, *, quiet: bool = False) -> None:
    if not quiet:
        print(f"fetch_compose_schema: {message}", file=sys.stderr)


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "docent" / "compose-spec"


def cached_schema(cache: Path | None = None) -> Path | None:
    """The cached schema when it is there and has the pinned digest, else None. Reads only:
    the tests call this, and never fetch."""
    path = (cache or default_cache_dir()) / SCHEMA_NAME
    try:
        pinned = path.is_file() and file_hash(path, "sha256").hexdigest() == SCHEMA_SHA256
    except OSError:
        return None
    return path if pinned else None


def pip_download(dest: Path, quiet: bool) -> Path:
    """The pinned wheel, downloaded by pip into dest, with pip checking its hash."""
    requirements = dest / "requirements.txt"
    requirements.write_text(f"{PACKAGE}=={VERSION} --hash=sha256:{WHEEL_SHA256}\n")
    command = [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--only-binary=:all:", "--require-hashes",
        "--disable-pip-version-check", "--quiet",
        "--dest", str(dest), "-r", str(requirements),
    ]  # fmt: skip
    log(f"pip download {PACKAGE}=={VERSION}", quiet=quiet)
    try:
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=PIP_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise FetchError(
            f"`pip download {PACKAGE}=={VERSION}` did not finish in {PIP_TIMEOUT_S} s: "
            "is the package index reachable?"
        ) from None
    if result.returncode != 0:
        raise FetchError(
            f"`pip download {PACKAGE}=={VERSION}` failed (exit {result.returncode}):\n"
            + (result.stderr.strip() or result.stdout.strip())[-2000:]
        )
    wheel = dest / WHEEL
    if not wheel.is_file():
        raise FetchError(f"pip did not produce {WHEEL} in {dest}")
    return wheel


def ensure_wheel(cache: Path, quiet: bool) -> Path:
    wheel = cache / WHEEL
    if wheel.is_file() and file_hash(wheel, "sha256").hexdigest() == WHEEL_SHA256:
        log(f"cached  {wheel}", quiet=quiet)
        return wheel
    if wheel.exists():
        log(f"cached {wheel} fails its SHA-256 check; fetching it again", quiet=quiet)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
        got = pip_download(Path(tmp), quiet)
        digest = file_hash(got, "sha256").hexdigest()
        if digest != WHEEL_SHA256:
            raise FetchError(f"{WHEEL} has SHA-256 {digest}, expected {WHEEL_SHA256}")
        os.replace(got, wheel)
    log(f"fetched {wheel}", quiet=quiet)
    return wheel


def run(cache: Path, *, quiet: bool = False) -> Path:
    """The cached schema's path, fetching and extracting it first when needed."""
    cache.mkdir(parents=True, exist_ok=True)
    found = cached_schema(cache)
    if found is not None and (cache / LICENSE_NAME).is_file():
        log(f"{found} is up to date", quiet=quiet)
        return found
    wheel = ensure_wheel(cache, quiet)
    try:
        with zipfile.ZipFile(wheel) as archive:
            schema = archive.read(SCHEMA_MEMBER)
            license_text = archive.read(LICENSE_MEMBER)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise FetchError(f"{wheel}: {exc}") from exc
    digest = hashlib.sha256(schema).hexdigest()
    if digest != SCHEMA_SHA256:
        raise FetchError(f"{SCHEMA_MEMBER} has SHA-256 {digest}, expected {SCHEMA_SHA256}")
    write_atomic(cache / LICENSE_NAME, license_text)
    write_atomic(cache / SCHEMA_NAME, schema)  # last: its presence means "done"
    log(f"wrote {cache / SCHEMA_NAME}", quiet=quiet)
    return cache / SCHEMA_NAME


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Fetch compose-spec's JSON schema (pinned, from PyPI) into a cache."
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help=f"where to keep it (default: ${CACHE_ENV} or ~/.cache/docent/compose-spec)",
    )
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        path = run((args.cache_dir or default_cache_dir()).expanduser(), quiet=args.quiet)
    except (FetchError, OSError) as exc:
        print(f"fetch_compose_schema: error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
