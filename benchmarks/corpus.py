"""SciFact (BEIR layout) loading, and documents made from it for benchmarks. The BEIR reader
is the product's (`docent eval`, evaluation/beir.py), loaded by path: the engine
comparison's scripts (benchmarks/engines/) run in virtual environments without docent."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
SCIFACT = Path(os.environ.get("DOCENT_SHARED", REPO.parent / "shared")) / "datasets" / "scifact"


def evaluation_module(name: str) -> ModuleType:
    """evaluation/NAME.py (standard library only), imported once by its path."""
    module_name = f"docent_evaluation_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            module_name, REPO / "evaluation" / f"{name}.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[module_name]


_beir = evaluation_module("beir")
Beir = _beir.Beir


def load_scifact(split: str = "test", root: Path = SCIFACT) -> Beir:
    return _beir.load_beir(root, split)


def long_text_document(target_chunks: int = 1000, *, chunk_chars: int = 1000, seed: int = 0) -> str:
    """A plain-text document of about `target_chunks` chunks: SciFact abstracts as sections
    (a title line, then the abstract), until the length is reached. An abstract (~1,500
    characters) makes two chunks, so a chunk holds ~68% of `chunk_chars` on average."""
    beir = load_scifact()
    items = list(beir.corpus.values())
    start = (seed * 7919) % len(items)
    parts: list[str] = []
    size = 0
    goal = int(target_chunks * chunk_chars * 0.68)
    i = start
    while size < goal:
        title, text = items[i % len(items)]
        block = f"{title.rstrip('.')}\n\n{text}\n"
        parts.append(block)
        size += len(block)
        i += 1
    return "\n".join(parts)
