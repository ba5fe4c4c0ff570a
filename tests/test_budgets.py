"""Issue 13's size budget for the package: no function over 60 lines, no module of 500 or more.

ruff enforces complexity (C901, PLR0912, PLR0915); this test enforces length, which ruff cannot.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "wfsync"
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 499


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_function_over_60_lines() -> None:
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(
                        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({lines} lines)"
                    )
    assert long == []


def test_no_module_of_500_lines() -> None:
    big = [
        f"{path.relative_to(PACKAGE.parent)} ({count} lines)"
        for path in _modules()
        if (count := path.read_text(encoding="utf-8").count("\n")) > MAX_MODULE_LINES
    ]
    assert big == []


def test_the_budget_sees_the_whole_package() -> None:
    assert len(_modules()) > 200
