"""Citation markers in answer text: `[1]`, `[1, 3]`, `[2][4]`, `[1-3]`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from docent.roles import Source

_MARKER = re.compile(r"\[\s*\^?(\d+(?:\s*(?:[,;]|-|–)\s*\^?\d+)*)\s*\]")
_MAX_RANGE = 20


def cited_numbers(text: str) -> list[int]:
    """Numbers cited in `text`, in order of first appearance, each once."""
    numbers: list[int] = []
    for match in _MARKER.finditer(text):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            bounds = [int(n.strip().lstrip("^")) for n in re.split(r"-|–", part)]
            if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] <= _MAX_RANGE:
                expanded = list(range(bounds[0], bounds[1] + 1))
            else:
                expanded = bounds
            numbers.extend(n for n in expanded if n not in numbers)
    return numbers


def parse_citations(text: str, sources: Sequence[Source]) -> list[Source]:
    """The sources that `text` cites; numbers that name no source are dropped."""
    by_index = {s.index: s for s in sources}
    return [by_index[n] for n in cited_numbers(text) if n in by_index]
