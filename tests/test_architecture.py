"""The direction of dependencies between docent's folders, read from the imports of every
product module (the README's architecture section draws the same picture):

    api ─┐                      composition (builds everything; nothing imports it
    cli ─┼─> answering ─> search ─> providers ─> roles, domain, errors, settings, ...
     │   └─> ingestion ───┘
     └─> evaluation ─> client (`docent eval` measures docent through its public API only)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Folders that are not the product.
_NOT_PRODUCT = {"tests", "benchmarks", "scripts", "build", "dist"}
#: What each folder must never import (a folder's own modules may import each other).
FORBIDDEN = {
    "providers": {"api", "cli", "answering", "search", "ingestion", "composition"},
    "search": {"api", "cli", "answering", "ingestion", "composition"},
    "ingestion": {"api", "cli", "answering", "composition"},
    "answering": {"api", "cli", "ingestion", "composition"},
    "api": {"cli"},
    "evaluation": {"api", "cli", "answering", "search", "ingestion", "providers", "composition"},
}
#: Top-level modules everyone may import: the foundation.
FOUNDATION = {
    "roles", "domain", "errors", "settings", "urls", "units", "backoff", "redis_keys",
    "rate_limits", "coalescing",
}  # fmt: skip
#: The longest a product module may be, in lines (STYLE.md: small modules, one idea each).
MAX_LINES = 500


def product_modules() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not ({p for p in path.relative_to(ROOT).parts[:-1]} & _NOT_PRODUCT)
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
        and "static" not in path.relative_to(ROOT).parts
    )


def docent_imports(path: Path) -> set[str]:
    """The first part below `docent.` of every module `path` imports (`search` for
    `docent.search.backend`), including imports made inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "docent" and len(parts) > 1:
                found.add(parts[1])
    return found


def folder_of(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else path.stem


def test_the_rules_see_every_product_module() -> None:
    modules = product_modules()
    folders = {folder_of(p) for p in modules}
    assert set(FORBIDDEN) <= folders
    assert len(modules) > 60


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_imports_point_down(folder: str) -> None:
    broken = {
        str(path.relative_to(ROOT)): sorted(docent_imports(path) & FORBIDDEN[folder])
        for path in product_modules()
        if folder_of(path) == folder
    }
    assert {module: bad for module, bad in broken.items() if bad} == {}


def test_the_foundation_imports_only_the_foundation() -> None:
    broken = {
        path.name: sorted(docent_imports(path) - FOUNDATION)
        for path in product_modules()
        if folder_of(path) in FOUNDATION
    }
    assert {module: bad for module, bad in broken.items() if bad} == {}


def test_only_entry_points_import_the_composition_root() -> None:
    importers = {
        str(path.relative_to(ROOT))
        for path in product_modules()
        if "composition" in docent_imports(path)
    }
    assert importers <= {"api/app.py", "api/context.py", "cli/serve.py", "cli/admin.py"}


def test_resolvers_call_services_not_a_backend() -> None:
    schema = ROOT / "api" / "schema.py"
    tree = ast.parse(schema.read_text(encoding="utf-8"))
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not attributes & {"backend", "runtime", "get_document", "list_documents"}


def test_no_product_module_is_too_long() -> None:
    lengths = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in product_modules()
    }
    assert {module: n for module, n in lengths.items() if n > MAX_LINES} == {}
