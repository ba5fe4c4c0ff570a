"""``strategy.matrix`` with expressions: folded now, per leg, or computed at run time by a generator task.

The run tests convert a small workflow and run it on the local engine; each has a twin whose check
must fail, so a step that passes for a wrong reason (an empty value, a skipped check) is caught.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.convert.helpers import convert, params, tasks, template
from wfsync.commands.convert import RunSettings, run_convert_github_actions
from wfsync.convert.gha.matrix import DynamicMatrix, resolve_matrix
from wfsync.convert.gha.translate import Scope, fold_field


def _fold(text: str) -> tuple[bool, Any]:
    return fold_field(text, Scope("dag"))


def test_insert_keys_merge_mappings_with_any_spacing() -> None:
    matrix = {
        "a": [
            {
                "env": {
                    "k1": "v1",
                    "${{insert}}": {"k2": "v2"},
                    "${{ insert }}": '${{ fromJSON(\'{"k3":"v3"}\') }}',
                }
            }
        ]
    }
    assert resolve_matrix(matrix, _fold) == {"a": [{"env": {"k1": "v1", "k2": "v2", "k3": "v3"}}]}


def test_expression_items_giving_arrays_are_spliced_and_strings_interpolated() -> None:
    matrix = {"a": [{"x": "${{ 'v' }}1"}, "${{ fromJSON('[1, 2]') }}", ["kept", "nested"]], "b": ["${{ 3 }}"]}
    assert resolve_matrix(matrix, _fold) == {"a": [{"x": "v1"}, 1.0, 2.0, ["kept", "nested"]], "b": [3.0]}


def test_run_time_values_raise_dynamic_matrix() -> None:
    with pytest.raises(DynamicMatrix):
        resolve_matrix("${{ fromJSON(needs.a.outputs.m) }}", _fold)


STATIC = """\
on: push
jobs:
  a:
    strategy:
      matrix: >-
        ${{ fromJSON('{"x": ["p", "q"], "include": [{"x": "q", "o": {"deep": "Q"}}]}') }}
    runs-on: ubuntu-latest
    outputs:
      seen: ${{ steps.s.outputs.seen }}
    steps:
      - id: s
        env:
          WHOLE: ${{ toJSON(matrix) }}
        run: |
          echo "$WHOLE" | grep -q '"x": "${{ matrix.x }}"'
          test "${{ matrix.o.deep == 'q' && matrix.x == 'q' || matrix.x == 'p' && !matrix.o }}" = true
          echo "seen=${{ matrix.x }}" >> "$GITHUB_OUTPUT"
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - run: test "${{ needs.a.outputs.seen }}" = EXPECTED
"""


def _run(tmp_path: Path, text: str) -> tuple[str, str]:
    path = tmp_path / "repo" / ".github" / "workflows" / "w.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    result = run_convert_github_actions([path], run=RunSettings(REPO_ROOT / "library", tmp_path / "state"))
    report = result.audit.workflows[0]
    assert report.error == "", report.error
    return report.run, report.run_message


def test_static_matrix_whole_and_nested_values_are_computed_per_leg() -> None:
    conversion = convert(STATIC)
    steps = template(conversion, "job-a")["steps"]
    env = params(steps[1][0])["env"]
    assert "[int(inputs.parameters.leg)]" in env  # toJSON(matrix) and matrix.o.deep, one value per leg
    assert [item["x"] for item in tasks(conversion)["a"]["withItems"]] == ["p", "q"]


@pytest.mark.slow
def test_static_matrix_runs_and_matrix_outputs_are_the_last_legs(tmp_path: Path) -> None:
    assert _run(tmp_path / "ok", STATIC.replace("EXPECTED", "q")) == ("Succeeded", "")
    phase, message = _run(tmp_path / "bad", STATIC.replace("EXPECTED", "p"))
    assert phase == "Failed" and "b" in message


DYNAMIC = """\
on: push
jobs:
  prepare:
    runs-on: ubuntu-latest
    outputs:
      legs: ${{ steps.m.outputs.legs }}
      key: ${{ steps.m.outputs.key }}
    steps:
      - id: m
        run: |
          echo 'legs=["a", "b"]' >> "$GITHUB_OUTPUT"
          echo 'key=pkg' >> "$GITHUB_OUTPUT"
  use:
    needs: prepare
    strategy:
      matrix:
        ${{ needs.prepare.outputs.key }}: ${{ fromJSON(needs.prepare.outputs.legs) }}
        include:
          - pkg: b
            extra: ${{ needs.prepare.outputs.key }}-x
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo '${{ toJSON(matrix) }}'
          test "${{ matrix[needs.prepare.outputs.key] }}" = "${{ matrix.pkg }}"
          case "${{ matrix.pkg }}" in a) test -z "${{ matrix.extra }}" ;; b) test "${{ matrix.extra }}" = CHECK ;; *) exit 1 ;; esac
"""


def test_run_time_matrix_becomes_a_generator_task_and_with_param() -> None:
    conversion = convert(DYNAMIC)
    dag = tasks(conversion)
    assert dag["use--matrix"]["depends"] == "prepare.Succeeded"
    assert dag["use"]["depends"] == "use--matrix.Succeeded"
    assert dag["use"]["withParam"] == "{{tasks.use--matrix.outputs.parameters.output}}"
    assert {"name": "matrix"} in template(conversion, "job-use")["inputs"]["parameters"]


@pytest.mark.slow
def test_run_time_matrix_runs_every_leg(tmp_path: Path) -> None:
    assert _run(tmp_path / "ok", DYNAMIC.replace("CHECK", "pkg-x")) == ("Succeeded", "")
    phase, message = _run(tmp_path / "bad", DYNAMIC.replace("CHECK", "other"))
    assert phase == "Failed" and '"pkg":"b"' in message and '"pkg":"a"' not in message


def test_expression_keys_are_allowed_where_expressions_are() -> None:
    text = textwrap.dedent("""\
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                ${{ github.event_name }}: [1]
            env:
              ${{insert}}: {A: b}
            steps: [{run: 'true'}]
        """)
    convert(text)  # no "A template expression is not allowed in this context"
