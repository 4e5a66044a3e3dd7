"""Retrieval test collections in the BEIR layout (Thakur et al., 2021), as BEIR's own loader
reads them:

- ``corpus.jsonl``: one document a line, ``{"_id": str, "title": str, "text": str}``
  (``title`` may be missing or empty);
- ``queries.jsonl``: one query a line, ``{"_id": str, "text": str}``;
- ``qrels/<split>.tsv``: tab-separated ``query-id  corpus-id  score`` lines under a header
  line, the score an integer grade (0: judged not relevant).

Only the queries judged in the split are kept, as BEIR evaluates them. Standard library
only: benchmarks/engines/ loads this file by its path.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class BeirError(ValueError):
    """The folder is not a BEIR collection: the message names the file and line."""


@dataclass(frozen=True)
class Beir:
    corpus: dict[str, tuple[str, str]]  # document id -> (title, text)
    queries: dict[str, str]  # query id -> text, for the judged queries only
    qrels: dict[str, dict[str, int]]  # query id -> document id -> grade


def json_lines(
    lines: Iterable[str], where: str, error: type[ValueError]
) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each line that is not blank (JSON lines, the format of BEIR
    and of `docent eval`'s QA files). Raises `error` "WHERE:N: not JSON (why)"."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{where}:{number}: not JSON ({exc.msg})") from None


def _records(path: Path, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    if not path.is_file():
        raise BeirError(f"{path}: no such file")
    records: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8") as lines:
        for number, record in json_lines(lines, str(path), BeirError):
            if not isinstance(record, dict) or not isinstance(record.get("_id"), str):
                raise BeirError(f'{path}:{number}: a JSON object with a string "_id" is expected')
            for field in fields:
                if not isinstance(record.get(field) or "", str):
                    raise BeirError(f'{path}:{number}: "{field}" must be a string')
            records[record["_id"]] = record
    return records


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise BeirError(f"{path}: no such file")
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) == 1 and not parts[0].strip():
                continue
            if len(parts) != 3:
                raise BeirError(f"{path}:{number}: query-id, corpus-id and score are expected")
            try:
                grade = int(parts[2])
            except ValueError:
                if number == 1:  # the header line
                    continue
                raise BeirError(f"{path}:{number}: the score must be an integer") from None
            qrels[parts[0]][parts[1]] = grade
    return dict(qrels)


def load_beir(root: Path, split: str = "test") -> Beir:
    """The collection in folder `root`, with the judgements of `split` (the file
    ``qrels/<split>.tsv``). Raises BeirError naming what is missing or malformed."""
    corpus = {
        doc_id: (record.get("title") or "", record.get("text") or "")
        for doc_id, record in _records(root / "corpus.jsonl", ("title", "text")).items()
    }
    queries = _records(root / "queries.jsonl", ("text",))
    qrels = _qrels(root / "qrels" / f"{split}.tsv")
    unknown = sorted(set(qrels) - set(queries))
    if unknown:
        raise BeirError(f"qrels/{split}.tsv judges queries not in queries.jsonl: {unknown[:5]}")
    return Beir(corpus, {q: queries[q].get("text") or "" for q in qrels}, qrels)


def document_text(title: str, text: str) -> str:
    """A corpus document as docent ingests it: its title, a blank line, then its text (the
    layout benchmarks/scifact.py has always uploaded)."""
    return f"{title}\n\n{text}\n"
