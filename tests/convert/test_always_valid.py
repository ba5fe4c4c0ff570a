"""Output that is always valid: hostile text from the source, continue-on-error jobs with needs,
and a converter bug caught before a broken file is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.convert.helpers import convert, tasks, template
from wfsync.commands import convert as command
from wfsync.commands.convert import RunSettings, output_problem, render_yaml, run_convert_github_actions

HOSTILE = """\
name: "multi\\nline # not a comment\\n---\\nkind: Secret"
on: push
jobs:
  "a":
    name: "job\\r\\nname: x"
    runs-on: ubuntu-latest
    steps:
      - name: "first\\n  line: {{ injected }}\\n# comment\\n---"
        run: |
          echo '{{ not argo }}' "${{ github.event.head_commit.message }}" # }} {{
      - name: "\\u2028weird\\u0000"
        run: echo ok
"""


def test_hostile_names_and_text_never_break_the_yaml() -> None:
    conversion = convert(HOSTILE)
    text = render_yaml(conversion)
    documents = list(yaml.safe_load_all(text))
    assert len(documents) == 1 and documents[0]["kind"] == "Workflow"
    assert output_problem(Path("w.yml"), text) is None
    names = [g[0]["name"] for g in template(conversion, "job-a")["steps"]]
    assert names == ["setup", "first-line-injected-comment", "weird"]


def test_continue_on_error_jobs_with_needs_never_combine_continue_on_and_depends() -> None:
    conversion = convert(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: 'true'}]\n"
        "  b:\n    needs: a\n    continue-on-error: true\n    runs-on: x\n    steps: [{run: 'exit 1'}]\n"
        "  c:\n    needs: b\n    runs-on: x\n    steps: [{run: 'true'}]\n"
        "  d:\n    needs: a\n    continue-on-error: true\n    runs-on: x\n    steps: [{run: 'exit 1'}]\n"
    )
    dag = tasks(conversion)
    assert not any("continueOn" in t and "depends" in t for t in dag.values())
    assert dag["c"]["depends"] == "(b.Succeeded || b.Failed)"  # b's failure lets c run
    assert "b-continue" not in dag  # b is no leaf: c already accepts its failure
    assert dag["d-continue"]["depends"] == "d.Succeeded || d.Failed"  # the DAG's target instead of d
    assert output_problem(Path("w.yml"), render_yaml(conversion)) is None


@pytest.mark.slow
def test_a_failing_continue_on_error_leaf_does_not_fail_the_run(tmp_path: Path) -> None:
    path = tmp_path / "repo" / "w.yml"
    path.parent.mkdir()
    path.write_text(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: 'true'}]\n"
        "  b:\n    needs: a\n    continue-on-error: true\n    runs-on: x\n    steps: [{run: 'exit 1'}]\n"
    )
    result = run_convert_github_actions([path], run=RunSettings(REPO_ROOT / "library", tmp_path / "state"))
    assert result.audit.workflows[0].run == "Succeeded", result.audit.workflows[0].run_message


def test_an_output_that_fails_lint_is_an_internal_error_and_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "w.yml"
    source.write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: 'true'}]\n")
    real = command.render_yaml
    monkeypatch.setattr(command, "render_yaml", lambda c: real(c).replace("template: step", "template: nope"))
    out = tmp_path / "out"
    result = run_convert_github_actions([source], out_dir=out)
    report = result.audit.workflows[0]
    assert report.verdict == "failed"
    assert report.error.startswith("internal error: the converted workflow does not pass lint: line ")
    assert "templateref-not-found" in report.error
    assert not list(out.glob("*.yaml"))
    assert int(result.exit_code) == 1


def test_broken_yaml_is_caught_too() -> None:
    problem = output_problem(Path("w.yml"), "kind: Workflow\nspec: [unclosed\n")
    assert problem is not None and "yaml-syntax" in problem
