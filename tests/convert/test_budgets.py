"""Size and layering budgets of the GitHub Actions converter (issue 13: enforced simplicity).

They read the source as it is: a new function over the limit, a module over the limit or an
import that closes a cycle inside ``wfsync.convert.gha`` fails here with its name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "wfsync" / "convert" / "gha"
EDGES = [PACKAGE.parents[1] / "commands" / "convert.py", PACKAGE.parents[1] / "cli" / "convert.py"]
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py")) + EDGES


def test_no_function_is_longer_than_the_budget() -> None:
    long = [
        f"{path.name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in _sources()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_no_module_is_longer_than_the_budget() -> None:
    long = [
        f"{path.name} ({n} lines)"
        for path in _sources()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) >= MAX_MODULE_LINES
    ]
    assert long == []


def test_imports_inside_the_converter_go_one_way() -> None:
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (pip install -e '.[dev]')")
    graph = grimp.build_graph("wfsync", include_external_packages=False)
    modules = sorted(m for m in graph.modules if m.startswith("wfsync.convert.gha"))
    cycles = [
        f"{module} -> {imported}"
        for module in modules
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("wfsync.convert.gha") and graph.chain_exists(imported, module)
    ]
    assert cycles == []
