"""Local reusable workflows: inlined as a nested DAG, with typed inputs, secrets and outputs.

The run tests build a repository with a caller and a called workflow, convert the caller and run
it on the local engine; the called workflow checks its inputs and secrets itself (act's style),
so a wrong value fails the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.convert.helpers import convert, tasks, template
from tests.convert.test_corpus_convert import _check_outputs
from wfsync.commands.convert import RunSettings, run_convert_github_actions
from wfsync.convert.gha.expressions import evaluate, parse
from wfsync.convert.gha.reusable import expression_text
from wfsync.convert.gha.runcontext import RunContext

CALLED = """\
name: build
on:
  workflow_call:
    inputs:
      name:
        type: string
        required: true
      flag:
        type: boolean
        default: true
      count:
        type: number
        default: ${{ 2 }}
    secrets:
      token:
        required: true
    outputs:
      greeting:
        value: ${{ jobs.greet.outputs.text }}
jobs:
  greet:
    runs-on: ubuntu-latest
    outputs:
      text: ${{ steps.say.outputs.text }}
    steps:
      - run: |
          test '${{ inputs.name }}' = 'world'
          test '${{ toJSON(inputs.flag) }}' = 'true'
          test '${{ toJSON(inputs.count) }}' = '2'
          test -z '${{ inputs.undeclared }}'
          test '${{ github.event_name }}' = 'push'
      - run: test '${{ secrets.token == 's3cret' }}' = true
      - id: say
        run: echo "text=hello ${{ inputs.name }}" >> "$GITHUB_OUTPUT"
"""

CALLER = """\
on: push
jobs:
  call:
    uses: ./.github/workflows/build.yml
    with:
      name: world
    secrets:
      token: ${{ secrets.DEPLOY_TOKEN }}
  again:
    uses: ./.github/workflows/build.yml
    with:
      name: world
      flag: ${{ github.event_name == 'push' }}
    secrets: inherit
  after:
    runs-on: ubuntu-latest
    needs: [call, again]
    steps:
      - run: |
          test '${{ needs.call.outputs.greeting }}' = 'hello world'
          test '${{ needs.again.outputs.greeting }}' = 'hello world'
"""


def make_repo(root: Path, caller: str = CALLER, called: str = CALLED) -> Path:
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "build.yml").write_text(called)
    path = folder / "ci.yml"
    path.write_text(caller)
    return path


def run(path: Path, tmp_path: Path, secrets: dict[str, str]) -> tuple[str, str]:
    context = RunContext(secrets=secrets)
    settings = RunSettings(REPO_ROOT / "library", tmp_path / "state", context=context)
    report = run_convert_github_actions([path], run=settings).audit.workflows[0]
    return report.run, report.run_message


def test_expression_text_reads_back_as_the_same_expression() -> None:
    contexts = {
        "a": {"b": {"c d": "it's"}},
        "x": "",
        "y": 0,
        "github": {"sha": "abc"},
        "needs": {"a": {"outputs": {"m": '[{"x": [3]}, {"x": [1]}]'}}},
    }
    for text, value in (
        ("a.b['c d'] == 'it''s' && !(x || y)", True),
        ("format('{0}-{1}', github.sha, 1.5) != null && format('{{}}{0}', 'x')", "{}x"),
        ("fromJSON(needs.a.outputs.m).*.x[0]", [3, 1]),
        ("!x && -1.5 < 0", True),
    ):
        again = expression_text(parse(text))
        assert expression_text(parse(again)) == again
        assert evaluate(parse(again), contexts) == evaluate(parse(text), contexts) == value, again


def test_call_becomes_a_nested_dag_with_its_own_task_names(tmp_path: Path) -> None:
    path = make_repo(tmp_path)
    conversion = convert(path.read_text(), str(path))
    main = tasks(conversion)
    assert main["call"]["template"] == "call-call"
    assert main["again"]["template"] == "call-again"
    inner = {t["name"] for t in template(conversion, "call-call")["dag"]["tasks"]}
    assert inner == {"call-greet", "call-wfsync-call-outputs"}
    outputs = template(conversion, "call-call")["outputs"]["parameters"][0]
    assert (
        outputs["valueFrom"]["parameter"] == "{{tasks.call-wfsync-call-outputs.outputs.parameters.outputs}}"
    )
    # downstream jobs read the call's outputs like any job's
    after = {p["name"]: p["value"] for p in main["after"]["arguments"]["parameters"]}
    assert after["needs-call"] == "{{tasks.call.outputs.parameters.outputs}}"
    assert all(s.verdict == "known" for s in conversion.report.steps if s.kind == "workflow")
    out = tmp_path / "out"
    run_convert_github_actions([path], out_dir=out)
    assert _check_outputs(out) == []


@pytest.mark.slow
def test_called_workflow_runs_with_inputs_secrets_and_outputs(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "repo")
    phase, message = run(path, tmp_path, {"DEPLOY_TOKEN": "s3cret", "token": "s3cret"})
    assert phase == "Succeeded", message


@pytest.mark.slow
def test_a_wrong_secret_fails_the_called_job(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "repo")
    phase, message = run(path, tmp_path, {"DEPLOY_TOKEN": "other", "token": "s3cret"})
    assert phase == "Failed"
    assert "call-greet" in message and "again" not in message


@pytest.mark.slow
def test_a_wrong_input_fails_the_run(tmp_path: Path) -> None:
    path = make_repo(
        tmp_path / "repo",
        CALLER.replace("name: world\n    secrets:\n      token", "name: moon\n    secrets:\n      token"),
    )
    phase, message = run(path, tmp_path, {"DEPLOY_TOKEN": "s3cret", "token": "s3cret"})
    assert phase == "Failed"
    assert "call-greet" in message


def test_remote_reusable_workflow_is_a_failing_task_with_a_report_entry() -> None:
    text = "on: push\njobs:\n  x:\n    uses: octo/repo/.github/workflows/ci.yml@v1\n"
    conversion = convert(text)
    entry = next(s for s in conversion.report.steps if s.kind == "workflow")
    assert entry.verdict == "unsupported"
    assert "remote reusable workflow" in entry.note
    assert "templateRef" in tasks(conversion)["x"]  # the failing shell step


def test_missing_or_uncallable_workflow_is_reported(tmp_path: Path) -> None:
    path = make_repo(tmp_path, CALLER.replace("build.yml", "absent.yml"))
    entry = next(s for s in convert(path.read_text(), str(path)).report.steps if s.kind == "workflow")
    assert entry.verdict == "unsupported" and "no such workflow file" in entry.note
    called = (
        "on: workflow_dispatch\njobs:\n  greet:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n"
    )
    path = make_repo(
        tmp_path / "b", "on: push\njobs:\n  x:\n    uses: ./.github/workflows/build.yml\n", called
    )
    entry = next(s for s in convert(path.read_text(), str(path)).report.steps if s.kind == "workflow")
    assert entry.verdict == "unsupported"


def test_with_values_over_needs_are_reported_not_guessed(tmp_path: Path) -> None:
    caller = CALLER.replace(
        "      name: world\n    secrets:\n      token",
        "      name: ${{ needs.after.outputs.x }}\n    secrets:\n      token",
        1,
    )
    path = make_repo(tmp_path, caller)
    entry = next(s for s in convert(path.read_text(), str(path)).report.steps if s.job == "call")
    assert entry.verdict == "unsupported" and "reads needs" in entry.note


def test_a_workflow_calling_itself_is_stopped(tmp_path: Path) -> None:
    # act's layout: the caller outside .github, so only the converter follows the calls
    called = "on: workflow_call\njobs:\n  again:\n    uses: ./.github/workflows/build.yml\n"
    make_repo(tmp_path, "on: push\njobs: {}\n", called)
    caller = tmp_path / "case" / "push.yml"
    caller.parent.mkdir()
    caller.write_text("on: push\njobs:\n  x:\n    uses: ./.github/workflows/build.yml\n")
    entry = next(s for s in convert(caller.read_text(), str(caller)).report.steps if s.kind == "workflow")
    assert entry.verdict == "unsupported"
    assert "depth exceeded" in entry.note or "calls itself" in entry.note, entry.note


def test_a_call_with_a_matrix_is_reported_not_guessed(tmp_path: Path) -> None:
    caller = CALLER.replace("  call:\n", "  call:\n    strategy:\n      matrix:\n        n: [1, 2]\n", 1)
    path = make_repo(tmp_path, caller)
    conversion = convert(path.read_text(), str(path))
    entry = next(s for s in conversion.report.steps if s.job == "call")
    assert entry.verdict == "unsupported" and "matrix" in entry.note
    assert "call-call" not in {t["name"] for t in conversion.document["spec"]["templates"]}  # type: ignore[index]
