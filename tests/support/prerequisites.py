"""What a test does when something it needs cannot be had (a service, a fetched file, a
package): it is skipped, with the reason, except under CI, where it fails: CI installs
everything the tests need (scripts/install --test), so a missing piece there is a bug."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


class Unavailable(RuntimeError):
    """Something a test needs could not be had (the message says what and why)."""


def in_ci() -> bool:
    """Whether this is a CI run (CI=true or CI=1)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def unavailable(missing: str, reason: str) -> NoReturn:
    """Skip the test: no `missing` (say "clamd"), because of `reason`; under CI, raise
    Unavailable instead."""
    if in_ci():
        raise Unavailable(f"{reason}\n(CI is set: a missing {missing} fails the run)")
    pytest.skip(f"no {missing}: {reason}")
