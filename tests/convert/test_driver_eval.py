"""Expressions computed by the step driver (:mod:`wfsync.convert.gha.driver_eval`).

The awk evaluator is run directly with ``sh`` against values the test sets, and a converted
workflow that compares a step output with a ``format()`` over an absent secret runs end to end.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from wfsync.commands.convert import RunSettings, run_convert_github_actions
from wfsync.convert.gha.driver_eval import EVAL_HELPER, compile_word
from wfsync.convert.gha.expressions import evaluate, parse
from wfsync.convert.gha.expressions.nodes import Expr
from wfsync.convert.gha.translate import Untranslatable

ENV = {"A": "Hello", "EMPTY": "", "NUM": "3", "SECRET": ""}


def _leaf(node: Expr) -> str | None:
    """``env.X`` and ``secrets.X`` as the shell variable X (as the converter does)."""
    from wfsync.convert.gha.expressions.nodes import ContextRef, Index, Literal

    if isinstance(node, Index) and isinstance(node.target, ContextRef) and isinstance(node.index, Literal):
        if node.target.name in ("env", "secrets"):
            return f'"${{{node.index.value}:-}}"'
    return None


def _shell(expression: str) -> str:
    lines: dict[str, str] = {}
    word = compile_word(parse(expression), _leaf, lambda node: None, lines)
    assert not lines
    script = f"{EVAL_HELPER}\nprintf '%s' {word}\n"
    done = subprocess.run(["sh", "-c", script], env=ENV, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.parametrize(
    "expression",
    [
        "format('{0}/{0}', secrets.SECRET || 'none')",
        "env.A == 'hello'",
        "env.A != 'HELLO' || 'fallback'",
        "env.NUM == 3 && 'three' || 'other'",
        "env.EMPTY == 0",
        "env.A < 'i'",
        "!env.EMPTY",
        "env.EMPTY && 'x'",
        "contains(env.A, 'ELL')",
        "startsWith(env.A, 'he') && endsWith(env.A, 'LO')",
        "format('{{{0}}} {1} {{x}}', env.A, env.NUM == '3.0')",
        "env.A == null",
        "env.MISSING == ''",
    ],
)
def test_driver_matches_the_reference_evaluator(expression: str) -> None:
    contexts = {"env": ENV | {"MISSING": ""}, "secrets": {"SECRET": ""}}
    expected = evaluate(expression, contexts)
    text = (
        {True: "true", False: "false", None: ""}.get(expected, expected)
        if not isinstance(expected, str)
        else expected
    )
    assert _shell(expression) == text


def test_parts_known_to_no_one_are_untranslatable() -> None:
    with pytest.raises(Untranslatable):
        compile_word(parse("join(env.A, ',')"), _leaf, lambda node: None, {})


WORKFLOW = """\
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: s
        run: echo "v=none/none" >> "$GITHUB_OUTPUT"
      - run: test "${{ steps.s.outputs.v == format('{0}/{0}', secrets.ABSENT || 'WANTED') }}" = true
"""


@pytest.mark.slow
def test_an_absent_secret_is_empty_so_the_fallback_applies(tmp_path: Path) -> None:
    for wanted, phase in (("none", "Succeeded"), ("other", "Failed")):
        path = tmp_path / wanted / "w.yml"
        path.parent.mkdir()
        path.write_text(WORKFLOW.replace("WANTED", wanted))
        result = run_convert_github_actions(
            [path], run=RunSettings(REPO_ROOT / "library", tmp_path / "state")
        )
        report = result.audit.workflows[0]
        assert report.run == phase, report.run_message
        assert not [s for s in report.steps if s.verdict != "known"]
