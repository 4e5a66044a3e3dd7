"""Sizes and durations as people read and write them: `2.0 MB`, `64.0 MiB`, `10 KB`,
`0.7 s`."""

from __future__ import annotations

import math


def format_bytes(size: float, *, decimals: int | None = None, iec: bool = False) -> str:
    """`size` bytes in the largest unit it reaches, powers of 1024 (as DOCENT_MAX_UPLOAD_MB
    and DOCENT_RATE_LIMITS count them): `decimals` fixed decimals (1: "2.0 MB"), or three
    significant digits when None ("10 KB", "1.5 GB"); `iec` names the units KiB, MiB, GiB,
    TiB. Below 1 KB: "512 bytes"."""
    names = ("bytes", "KiB", "MiB", "GiB", "TiB") if iec else ("bytes", "KB", "MB", "GB", "TB")
    value = float(size)
    for index, unit in enumerate(names):
        if value < 1024 or index == len(names) - 1:
            if index == 0:
                return f"{value:.0f} {unit}"
            return f"{value:.{decimals}f} {unit}" if decimals is not None else f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_wait(seconds: float) -> str:
    """`0.7 s`, `42 s`: rounded up, so that a client waiting that long gets through."""
    if seconds < 10:
        return f"{math.ceil(seconds * 10) / 10:.1f} s"
    return f"{math.ceil(seconds)} s"
