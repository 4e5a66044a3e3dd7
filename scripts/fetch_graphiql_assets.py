#!/usr/bin/env python3
"""Fetch the GraphiQL browser assets that Strawberry's GraphiQL page loads
from unpkg.com, so that docent can serve them itself (air-gapped installs).

Stdlib only, Python 3.11+, with downloads.py beside it.  Usage:

    python fetch_graphiql_assets.py TARGET_DIR [--cache-dir DIR] [--force]

What it does:

* For each pinned package below it gets the npm tarball with
  ``npm pack <name>@<version>`` (so npm's own registry, proxy and CA
  settings -- ``registry``, ``cafile``, ``strict-ssl``, ``.npmrc`` ... --
  apply), into a cache directory (default ``~/.cache/docent/npm``, or
  ``$DOCENT_NPM_CACHE``, or ``--cache-dir``).  A tarball already in the
  cache is reused and npm is not called at all.
* Every tarball (cached or new) is checked against the pinned npm
  ``dist.integrity`` (sha512 SRI) before it is used.
* Only the needed files are extracted, under flat names, into TARGET_DIR,
  and ``manifest.json`` (package, version, file, sha256, sri, ...) is
  written last.
* Idempotent: if TARGET_DIR/manifest.json describes exactly the pinned set
  and every listed file on disk still has its sha256, nothing is done.

Exit status: 0 ok, 1 failure (message on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from downloads import file_hash, write_atomic

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = 1
CACHE_ENV = "DOCENT_NPM_CACHE"
NPM_ENV = "DOCENT_NPM"  # optional path to the npm executable
NPM_TIMEOUT_ENV = "DOCENT_NPM_TIMEOUT"  # seconds, default 300


@dataclass(frozen=True)
class Asset:
    member: str  # path inside the tarball
    name: str  # flat file name in the target dir
    sri: str | None = None  # sha384 SRI, as used by Strawberry's graphiql.html


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # npm dist.integrity (sha512)
    assets: tuple[Asset, ...]
    sourcemaps: tuple[Asset, ...] = ()

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def tarball_name(self) -> str:
        # same file name that `npm pack` produces: "@scope/name" -> "scope-name"
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


# Versions and SRI values are those of strawberry-graphql 0.341's
# strawberry/static/graphiql.html; dist.integrity values are what
# `npm view <pkg>@<ver> dist.integrity` reports (immutable once published).
PACKAGES: tuple[Package, ...] = (
    Package(
        "graphiql",
        "3.8.3",
        "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        (
            Asset(
                "package/graphiql.min.js",
                "graphiql.min.js",
                "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
            ),
            Asset(
                "package/graphiql.min.css",
                "graphiql.min.css",
                "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
            ),
        ),
        sourcemaps=(
            Asset("package/graphiql.min.js.map", "graphiql.min.js.map"),
            Asset("package/graphiql.min.css.map", "graphiql.min.css.map"),
        ),
    ),
    Package(
        "@graphiql/plugin-explorer",
        "1.0.2",
        "sha512-9j+kg2UjtLZD5EBmGjeWHkoVVxtbShYg2DzbUVebibnZYZM/iMBEF4vaccXJIAm5KaomIPLx0aoNs4LbODyc3Q==",
        (
            Asset(
                "package/dist/index.umd.js",
                "graphiql-plugin-explorer.umd.js",
                "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
            ),
            Asset(
                "package/dist/style.css",
                "graphiql-plugin-explorer.css",
                "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
            ),
        ),
    ),
    Package(
        "react",
        "18.2.0",
        "sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==",
        (
            Asset(
                "package/umd/react.production.min.js",
                "react.production.min.js",
                "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
            ),
        ),
    ),
    Package(
        "react-dom",
        "18.2.0",
        "sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==",
        (
            Asset(
                "package/umd/react-dom.production.min.js",
                "react-dom.production.min.js",
                "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
            ),
        ),
    ),
    Package(
        "js-cookie",
        "3.0.5",
        "sha512-cEiJEAEoIbWfCZYKWhVwFuvPX1gETRYPw6LlaTKoxD3s2AkXzkCjnp6h0V77ozyqj0jakteJ4YqDJT830+lVGw==",
        (
            Asset(
                "package/dist/js.cookie.min.js",
                "js.cookie.min.js",
                "sha384-/vxhYfM1LENRhdpZ8dwEsQn/X4VhpbEZSiU4m/FwR+PVpzar4fkEOw8FP9Y+OfQN",
            ),
        ),
    ),
)


class FetchError(Exception):
    """A failure with a message meant for the user."""


def log(msg: str, *, quiet: bool = False) -> None:
    if not quiet:
        print(msg, file=sys.stderr)


# --------------------------------------------------------------------------
# hashing helpers


def sri_of_file(path: Path, algo: str) -> str:
    return f"{algo}-{base64.b64encode(file_hash(path, algo).digest()).decode()}"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    return file_hash(path, "sha256").hexdigest()


def tarball_ok(path: Path, pkg: Package) -> bool:
    return path.is_file() and sri_of_file(path, "sha512") == pkg.integrity


# --------------------------------------------------------------------------
# manifest


def wanted_assets(pkg: Package, sourcemaps: bool) -> tuple[Asset, ...]:
    return pkg.assets + (pkg.sourcemaps if sourcemaps else ())


def expected_entries(sourcemaps: bool) -> list[tuple[str, str, str]]:
    return sorted(
        (pkg.name, pkg.version, a.name) for pkg in PACKAGES for a in wanted_assets(pkg, sourcemaps)
    )


def manifest_is_current(target: Path, sourcemaps: bool) -> bool:
    mpath = target / MANIFEST_NAME
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("schema") != MANIFEST_SCHEMA:
            return False
        got = sorted((e["package"], e["version"], e["file"]) for e in files)
        if got != expected_entries(sourcemaps):
            return False
        integrity = {p["package"]: p["integrity"] for p in manifest["packages"]}
        if any(integrity.get(p.name) != p.integrity for p in PACKAGES):
            return False
        for e in files:
            f = target / e["file"]
            if not f.is_file() or sha256_file(f) != e["sha256"]:
                return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def previous_files(target: Path) -> set[str]:
    """Flat file names listed by an existing manifest (safe names only)."""
    try:
        manifest = json.loads((target / MANIFEST_NAME).read_text(encoding="utf-8"))
        names = {str(e["file"]) for e in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return {
        n
        for n in names
        if n and "/" not in n and "\\" not in n and n not in (".", "..", MANIFEST_NAME)
    }


# --------------------------------------------------------------------------
# npm


def find_npm() -> str:
    npm = os.environ.get(NPM_ENV) or shutil.which("npm")
    if not npm:
        raise FetchError(
            "npm was not found on PATH (needed to download the GraphiQL assets "
            "from the npm registry). Install Node.js/npm (e.g. `apt-get install "
            f"npm`), set ${NPM_ENV} to the npm executable, or pre-fill the cache "
            "directory with the .tgz files."
        )
    return npm


def npm_registry(npm: str) -> str:
    try:
        out = subprocess.run(
            [npm, "config", "get", "registry"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return out.stdout.strip() or "(unknown)"
    except (OSError, subprocess.SubprocessError):
        return "(unknown)"


NETWORK_ERROR_MARKERS = (
    "ENOTFOUND",
    "EAI_AGAIN",
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "ESOCKETTIMEDOUT",
    "network request",
    "request to http",
    "socket hang up",
    "UNABLE_TO_GET_ISSUER_CERT",
    "SELF_SIGNED_CERT",
    "CERT_",
    "unable to verify",
    "proxy",
)


def npm_pack(npm: str, pkgs: list[Package], dest: Path, quiet: bool) -> dict[str, dict]:
    """`npm pack` the given packages into dest; returns npm's JSON by name."""
    timeout = float(os.environ.get(NPM_TIMEOUT_ENV, "300"))
    cmd = [
        npm,
        "pack",
        "--json",
        "--ignore-scripts",
        "--pack-destination",
        str(dest),
        # fail in seconds, not minutes, when the registry is unreachable
        "--fetch-retries",
        "2",
        "--fetch-retry-mintimeout",
        "2000",
        "--fetch-retry-maxtimeout",
        "10000",
        *[p.spec for p in pkgs],
    ]
    log(f"npm pack {' '.join(p.spec for p in pkgs)}", quiet=quiet)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as e:
        raise FetchError(f"could not run npm ({npm}): {e}") from e
    except subprocess.TimeoutExpired as e:
        raise FetchError(
            f"`npm pack` did not finish within {timeout:.0f}s; is the npm "
            f"registry ({npm_registry(npm)}) reachable? (set ${NPM_TIMEOUT_ENV} "
            "to wait longer)"
        ) from e
    if proc.returncode != 0:
        err = "\n".join(
            line
            for line in proc.stderr.splitlines()
            if "Unknown user config" not in line and "Unknown global config" not in line
        ).strip()
        if any(m in err for m in NETWORK_ERROR_MARKERS):
            raise FetchError(
                f"the npm registry ({npm_registry(npm)}) is unreachable or "
                "refused the connection; check network access, `npm config get "
                "registry`, proxy and cafile settings.\nnpm said:\n" + err[-2000:]
            )
        raise FetchError(f"`npm pack` failed (exit {proc.returncode}):\n{err[-2000:]}")
    try:
        entries = json.loads(proc.stdout)
        return {e["name"]: e for e in entries}
    except (ValueError, KeyError, TypeError) as e:
        raise FetchError(f"could not parse `npm pack --json` output: {proc.stdout[:500]!r}") from e


def ensure_tarballs(
    cache: Path, quiet: bool, packages: tuple[Package, ...] = PACKAGES
) -> dict[str, Path]:
    """The tarballs of `packages` in `cache` (checked against their pins), `npm pack`ed
    there first when missing (fetch_axe.py fetches axe-core through this too)."""
    cache.mkdir(parents=True, exist_ok=True)
    paths = {p.name: cache / p.tarball_name for p in packages}
    missing = []
    for p in packages:
        path = paths[p.name]
        if tarball_ok(path, p):
            log(f"cached  {p.spec} ({path})", quiet=quiet)
        else:
            if path.exists():
                log(f"cached tarball {path} fails its integrity check; refetching", quiet=quiet)
            missing.append(p)
    if not missing:
        return paths

    npm = find_npm()
    with tempfile.TemporaryDirectory(dir=cache, prefix=".pack-") as tmp:
        tmpdir = Path(tmp)
        info = npm_pack(npm, missing, tmpdir, quiet)
        for p in missing:
            entry = info.get(p.name)
            if entry is None or entry.get("version") != p.version:
                raise FetchError(f"npm pack did not return {p.spec}: {entry!r}")
            got = tmpdir / entry["filename"]
            if entry.get("integrity") != p.integrity:
                raise FetchError(
                    f"{p.spec}: registry reports integrity {entry.get('integrity')} "
                    f"but {p.integrity} is pinned; refusing to use it"
                )
            actual = sri_of_file(got, "sha512")
            if actual != p.integrity:
                raise FetchError(
                    f"{p.spec}: downloaded tarball has integrity {actual}, "
                    f"expected {p.integrity}; refusing to use it"
                )
            os.replace(got, paths[p.name])
            log(f"fetched {p.spec} -> {paths[p.name]}", quiet=quiet)
    return paths


# --------------------------------------------------------------------------
# extraction


def extract(pkg: Package, tarball: Path, target: Path, sourcemaps: bool) -> list[dict]:
    entries = []
    with tarfile.open(tarball, "r:gz") as tf:
        for asset in wanted_assets(pkg, sourcemaps):
            try:
                member = tf.getmember(asset.member)
            except KeyError:
                raise FetchError(f"{pkg.spec}: {asset.member} not found in {tarball}") from None
            if not member.isfile():
                raise FetchError(f"{pkg.spec}: {asset.member} is not a regular file")
            f = tf.extractfile(member)
            assert f is not None
            data = f.read()
            if asset.sri is not None:
                sri = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
                if sri != asset.sri:
                    raise FetchError(f"{pkg.spec}: {asset.member} has {sri}, expected {asset.sri}")
            dest = target / asset.name
            if not (dest.is_file() and sha256_file(dest) == sha256_bytes(data)):
                write_atomic(dest, data)
            entry = {
                "package": pkg.name,
                "version": pkg.version,
                "file": asset.name,
                "source": asset.member.removeprefix("package/"),
                "size": len(data),
                "sha256": sha256_bytes(data),
            }
            if asset.sri:
                entry["sri"] = asset.sri
            entries.append(entry)
    return entries


def run(target: Path, cache: Path, *, force: bool, sourcemaps: bool, quiet: bool) -> bool:
    """Returns True when files were (re)written, False when up to date."""
    if not force and manifest_is_current(target, sourcemaps):
        log(f"GraphiQL assets in {target} are up to date", quiet=quiet)
        return False
    tarballs = ensure_tarballs(cache, quiet)
    target.mkdir(parents=True, exist_ok=True)
    old_files = previous_files(target)
    files: list[dict] = []
    for pkg in PACKAGES:
        files.extend(extract(pkg, tarballs[pkg.name], target, sourcemaps))
    # drop files an earlier run listed but this one does not (e.g. source
    # maps, or files of an older pinned version); nothing else is touched
    for name in old_files - {e["file"] for e in files}:
        (target / name).unlink(missing_ok=True)
        log(f"removed stale {target / name}", quiet=quiet)
    manifest = {
        "schema": MANIFEST_SCHEMA,
        "generator": "fetch_graphiql_assets.py",
        "packages": [
            {
                "package": p.name,
                "version": p.version,
                "integrity": p.integrity,
                "tarball": p.tarball_name,
            }
            for p in PACKAGES
        ],
        "files": files,
    }
    write_atomic(target / MANIFEST_NAME, (json.dumps(manifest, indent=2) + "\n").encode())
    log(f"wrote {len(files)} GraphiQL asset files + {MANIFEST_NAME} to {target}", quiet=quiet)
    return True


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "docent" / "npm"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Fetch pinned GraphiQL assets (npm tarballs) for serving them locally.",
    )
    ap.add_argument("target", type=Path, help="directory to put the asset files in")
    ap.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help=f"tarball cache (default: ${CACHE_ENV} or ~/.cache/docent/npm)",
    )
    ap.add_argument("--force", action="store_true", help="re-extract even if manifest matches")
    ap.add_argument(
        "--with-sourcemaps",
        action="store_true",
        help="also extract graphiql.min.{js,css}.map (about 6.4 MB)",
    )
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    cache = (args.cache_dir or default_cache_dir()).expanduser()
    try:
        run(
            args.target.expanduser(),
            cache,
            force=args.force,
            sourcemaps=args.with_sourcemaps,
            quiet=args.quiet,
        )
    except FetchError as e:
        print(f"fetch_graphiql_assets: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"fetch_graphiql_assets: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
