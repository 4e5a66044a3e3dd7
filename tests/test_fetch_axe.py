"""scripts/fetch_axe.py, which `scripts/install --test` runs: axe-core's tarball is used only
when it has its pinned integrity, and its axe.min.js lands where the browser tests read it.
npm is replaced by /bin/false, so that a call to it fails instead of reaching the registry."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from support.prerequisites import unavailable
from support.scripts import load_script


@pytest.fixture
def fetcher(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DOCENT_NPM", "/bin/false")
    return load_script("fetch_axe")


def cached_tarball(fetcher: Any) -> Path:
    tarball = fetcher.default_cache_dir() / fetcher.PACKAGE.tarball_name
    if not tarball.is_file():
        unavailable("axe-core tarball", f"{tarball} is missing (scripts/install --test fetches it)")
    return Path(tarball)


def test_a_cached_tarball_is_extracted_without_npm(fetcher: Any, tmp_path: Path) -> None:
    shutil.copy(cached_tarball(fetcher), tmp_path / fetcher.PACKAGE.tarball_name)
    path = fetcher.fetch(tmp_path, quiet=True)
    assert path == fetcher.axe_path(tmp_path)
    with tarfile.open(tmp_path / fetcher.PACKAGE.tarball_name) as tar:
        member = tar.extractfile("package/axe.min.js")
        assert member is not None and path.read_bytes() == member.read()
    assert path.read_text()[:20].startswith("/*! axe v4.14.1")


def test_a_tampered_tarball_is_refused(fetcher: Any, tmp_path: Path) -> None:
    tampered = tmp_path / fetcher.PACKAGE.tarball_name
    tampered.write_bytes(cached_tarball(fetcher).read_bytes() + b"\0")
    with pytest.raises(fetcher.FetchError):  # not used; npm (here /bin/false) asked again
        fetcher.fetch(tmp_path, quiet=True)
    assert not fetcher.axe_path(tmp_path).exists()
