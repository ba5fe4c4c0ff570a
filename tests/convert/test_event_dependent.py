"""No silent change of meaning: values that depend on the event are computed at run time.

One workflow reads ``github.event_name`` in each place a value can come from (an action input
the rule compares, a step ``if:``, ``env``, a matrix value); it runs on the local engine under
two events and checks, at run time, that each value is GitHub's for that event.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.convert.helpers import convert, params, template
from wfsync.commands.convert import RunSettings, run_convert_github_actions

RULES = """\
kind: wfsync/gha-rules
actions:
  - uses: acme/mark
    steps:
      - template: shell/run
        parameters:
          script: "[% if inputs.publish == 'true' %]echo publish[% else %]echo dry-run[% endif %] > action.txt"
          shell: sh
"""

WORKFLOW = """\
on: [push, pull_request]
env:
  KIND: ${{ github.event_name == 'pull_request' && 'review' || 'release' }}
jobs:
  a:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        trigger: ["${{ github.event_name }}"]
    steps:
      - uses: acme/mark@v1
        with:
          publish: ${{ github.event_name != 'pull_request' }}
      - if: github.event_name == 'push'
        run: echo yes > "$GITHUB_WORKSPACE/../if.txt"
      - run: |
          test "${{ matrix.trigger }}" = "$GITHUB_EVENT_NAME"
          case "$GITHUB_EVENT_NAME" in
            push) test "$KIND" = release; test "$(cat ../if.txt)" = yes; test "$(cat "$GITHUB_WORKSPACE/../../action.txt")" = publish ;;
            pull_request) test "$KIND" = review; test ! -e ../if.txt; test "$(cat "$GITHUB_WORKSPACE/../../action.txt")" = dry-run ;;
            *) exit 1 ;;
          esac
"""


def _rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "mark.yaml").write_text(RULES)
    return folder


def test_nothing_is_decided_at_conversion_time_from_a_guessed_event(tmp_path: Path) -> None:
    from wfsync.convert.gha import convert_text, load_rules

    conversion = convert_text(WORKFLOW, Path("w.yml"), load_rules([_rules(tmp_path)]))
    assert conversion.report.error == ""
    steps = [g[0] for g in template(conversion, "job-a")["steps"]]
    mark = next(
        s for s in steps if s["templateRef"]["name"] == "shell" and s["templateRef"]["template"] == "run"
    )
    script = params(mark)["script"]
    assert "github-event-name" in script and "echo publish" in script and "echo dry-run" in script
    gated = next(s for s in steps if "if.txt" in params(s).get("script", ""))
    assert "github-event-name" in gated["when"]
    assert convert(
        WORKFLOW.replace("acme/mark@v1", "actions/checkout@v4").replace("publish:", "fetch-depth:")
    )


@pytest.mark.slow
@pytest.mark.parametrize("event", ["push", "pull_request"])
def test_event_dependent_values_are_right_at_run_time(tmp_path: Path, event: str) -> None:
    path = tmp_path / "repo" / "w.yml"
    path.parent.mkdir()
    path.write_text(WORKFLOW)
    settings = RunSettings(REPO_ROOT / "library", tmp_path / "state", event=event)
    result = run_convert_github_actions([path], rules=[_rules(tmp_path)], run=settings)
    report = result.audit.workflows[0]
    assert report.run == "Succeeded", report.run_message


@pytest.mark.slow
def test_the_cli_runs_under_the_event_it_is_given(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from wfsync.cli.app import app

    path = tmp_path / "repo" / "w.yml"
    path.parent.mkdir()
    path.write_text(
        "on: [push, pull_request]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - if: github.event_name == 'pull_request'\n        run: exit 1\n"
    )
    base = ["convert", "github-actions", str(path), "--run"]
    assert CliRunner().invoke(app, base).exit_code == 0
    assert CliRunner().invoke(app, [*base, "--event-name", "pull_request"]).exit_code == 1


def test_a_container_image_from_an_expression_is_an_argo_tag_not_the_text() -> None:
    conversion = convert(
        "on: push\njobs:\n  a:\n    runs-on: x\n    strategy: {matrix: {img: ['node:20', 'python:3.12']}}\n"
        "    container: {image: '${{ matrix.img }}'}\n    steps: [{run: 'true'}]\n"
    )
    step = template(conversion, "job-a")["steps"][1][0]
    assert params(step)["image"] == '{{=string(inputs.parameters["matrix-img"])}}'
