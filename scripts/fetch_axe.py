#!/usr/bin/env python3
"""Fetch axe-core (Deque's accessibility checker, MPL-2.0) for the browser tests, which inject
its axe.min.js into docent's home page and fail on serious or critical violations.

Stdlib only, with fetch_graphiql_assets.py and downloads.py beside it.  Usage:

    python fetch_axe.py [--cache-dir DIR] [-q]

The pinned npm tarball is fetched with `npm pack` (npm's registry, proxy and CA settings
apply) into the npm cache the GraphiQL assets use (default ~/.cache/docent/npm, or
$DOCENT_NPM_CACHE, or --cache-dir), checked against its pinned dist.integrity, and its
axe.min.js is extracted to CACHE/axe-core-VERSION/axe.min.js, whose path is printed.  A
tarball already in the cache is reused without calling npm.  Nothing is fetched at test time.

Exit status: 0 ok, 1 failure (message on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fetch_graphiql_assets import (
    Asset,
    FetchError,
    Package,
    default_cache_dir,
    ensure_tarballs,
    extract,
)

#: `npm view axe-core@4.14.1 dist.integrity` (immutable once published).
PACKAGE = Package(
    "axe-core",
    "4.14.1",
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
    (Asset("package/axe.min.js", "axe.min.js"),),
)


def axe_path(cache: Path | None = None) -> Path:
    """Where the extracted axe.min.js lives (it may not be there yet)."""
    return (cache or default_cache_dir()) / f"axe-core-{PACKAGE.version}" / "axe.min.js"


def fetch(cache: Path | None = None, *, quiet: bool = False) -> Path:
    """The path of axe.min.js, fetched and extracted first when missing."""
    cache = (cache or default_cache_dir()).expanduser()
    tarball = ensure_tarballs(cache, quiet, (PACKAGE,))[PACKAGE.name]
    target = axe_path(cache).parent
    target.mkdir(parents=True, exist_ok=True)
    extract(PACKAGE, tarball, target, sourcemaps=False)
    return axe_path(cache)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Fetch the pinned axe-core for the browser tests.")
    ap.add_argument("--cache-dir", type=Path, default=None, help="npm tarball cache")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    try:
        print(fetch(args.cache_dir, quiet=args.quiet))
    except (FetchError, OSError) as e:
        print(f"fetch_axe: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
