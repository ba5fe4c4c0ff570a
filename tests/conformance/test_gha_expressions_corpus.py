"""GitHub's own expression test data (actions/languageservices expressions/testdata), every case.

Each case is ``{expr, contexts?, result: {kind, value}}`` or ``{expr, err: {kind, value}}``; an
error matches when the stage (lexing, parsing, evaluation) is the same and our message contains
GitHub's text, as the reference test runner checks it. Contexts name the only allowed named
values. Cases marked ``skip: [typescript]`` in the data are run too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import corpus_path
from wfsync.convert.gha.expressions import ExpressionError, evaluate, parse
from wfsync.convert.gha.expressions.lexer import tokenize
from wfsync.convert.gha.expressions.values import KIND_NAMES, kind_of

pytestmark = pytest.mark.corpus

SKIPPED: dict[tuple[str, str, str], str] = {}
"""(file, group, expression) -> why the case is not run. Empty: every case runs."""


def _cases(folder: Path) -> list[tuple[str, str, dict[str, Any]]]:
    cases: list[tuple[str, str, dict[str, Any]]] = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for group, items in data.items():
            cases.extend((path.name, group, case) for case in items)
    return cases


def _normal(value: Any) -> Any:
    """JSON.stringify's view of a value: numbers as floats, NaN and infinities as null."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value) + 0.0 if math.isfinite(value) else None  # -0 prints as 0
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items()}
    return [_normal(item) for item in value]


def _run(case: dict[str, Any]) -> str | None:
    """None when the case passes, else what went wrong."""
    expr: str = case["expr"]
    contexts: dict[str, Any] = case.get("contexts") or {}
    err = case.get("err")
    try:
        tokenize(expr)
        parsed = parse(expr, contexts=contexts.keys())
        result = evaluate(parsed, contexts)
    except ExpressionError as exc:
        if err is None:
            return f"unexpected {exc.kind} error: {exc}"
        full = str(exc) if exc.kind != "evaluation" else str(exc.with_expression(expr))
        if exc.kind != err["kind"] or err["value"] not in full:
            return f"expected {err['kind']} error {err['value']!r}, got {exc.kind} error {full!r}"
        return None
    if err is not None:
        return f"expected {err['kind']} error {err['value']!r}, got {result!r}"
    expected = case["result"]
    kind = KIND_NAMES[kind_of(result)]
    if kind != expected["kind"]:
        return f"expected kind {expected['kind']} {expected['value']!r}, got {kind} {result!r}"
    ours = json.dumps(_normal(result), ensure_ascii=False)
    theirs = json.dumps(_normal(expected["value"]), ensure_ascii=False)
    if ours != theirs:
        return f"expected {theirs}, got {ours}"
    return None


def test_every_corpus_case(capsys: pytest.CaptureFixture[str]) -> None:
    folder = corpus_path("gha", "expressions")
    cases = _cases(folder)
    assert len(cases) >= 1000, f"expected GitHub's ~1,020 cases in {folder}, found {len(cases)}"
    failures: list[str] = []
    passed = skipped = 0
    for file, group, case in cases:
        if (file, group, case["expr"]) in SKIPPED:
            skipped += 1
            continue
        problem = _run(case)
        if problem is None:
            passed += 1
        else:
            failures.append(f"{file} [{group}] {case['expr']!r}: {problem}")
    with capsys.disabled():
        print(
            f"\ngha expressions corpus: {passed}/{len(cases)} passed, {skipped} skipped, {len(failures)} failed"
        )
    assert not failures, f"{len(failures)} failing cases:\n" + "\n".join(failures[:60])
