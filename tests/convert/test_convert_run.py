"""``convert --run``: converted workflows run on the local engine, with checkout and composite actions.

Each test builds a small repository in a tmp folder (workflow, local composite action, files to
check out), converts it and runs it for real: scripts run as host processes, the checkout is a
git fetch from a local repository.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import REPO_ROOT
from tests.convert.helpers import convert, tasks, template
from wfsync.cli.app import app
from wfsync.commands.convert import RunSettings, run_convert_github_actions
from wfsync.convert.gha.script import quote_state

ACTION = """\
name: greet
inputs:
  who:
    description: whom to greet
    required: true
  greeting:
    default: hello
outputs:
  said:
    value: ${{ steps.say.outputs.text }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      run: echo "text=${{ inputs.greeting }} ${{ inputs.who }}" >> "$GITHUB_OUTPUT"
    - shell: bash
      run: test -f marker.txt
"""

WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: greet
        uses: ./.github/actions/greet
        with:
          who: "world; $(touch /tmp/pwned-wfsync)"
      - run: |
          test '${{ steps.greet.outputs.said }}' = 'hello world; $(touch /tmp/pwned-wfsync)'
          test "$(cat marker.txt)" = here
"""


def make_repo(root: Path, workflow: str = WORKFLOW) -> Path:
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "actions" / "greet").mkdir(parents=True)
    (root / ".github" / "actions" / "greet" / "action.yml").write_text(ACTION)
    (root / "marker.txt").write_text("here\n")
    path = root / ".github" / "workflows" / "ci.yml"
    path.write_text(workflow)
    return path


def settings(tmp_path: Path) -> RunSettings:
    return RunSettings(REPO_ROOT / "library", tmp_path / "state")


def test_composite_action_is_inlined_with_inputs_and_outputs(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "repo")
    conversion = convert(path.read_text(), str(path))
    assert conversion.report.verdict in ("successful", "partial")
    assert all(s.verdict == "known" for s in conversion.report.steps), conversion.report.steps
    names = [s[0]["name"] for s in template(conversion, "job-build")["steps"]]
    assert names[:5] == ["setup", "checkout", "greet--say", "greet--2", "github-actions-greet-outputs"]


def test_run_checks_out_the_repository_and_runs_the_composite_action(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "repo")
    result = run_convert_github_actions([path], run=settings(tmp_path))
    report = result.audit.workflows[0]
    assert report.run == "Succeeded", report.run_message
    assert not Path("/tmp/pwned-wfsync").exists()


def test_a_failing_composite_step_fails_the_run_with_the_step_named(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "repo")
    (tmp_path / "repo" / "marker.txt").unlink()
    result = run_convert_github_actions([path], run=settings(tmp_path))
    report = result.audit.workflows[0]
    assert report.run == "Failed"
    assert "greet--2" in report.run_message
    assert int(result.exit_code) == 1


def test_missing_local_action_is_a_failing_step_and_an_unsupported_entry(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "repo", WORKFLOW.replace("actions/greet", "actions/absent"))
    conversion = convert(path.read_text(), str(path))
    entry = next(s for s in conversion.report.steps if s.name == "./.github/actions/absent")
    assert entry.verdict == "unsupported" and "no action.yml" in entry.note


def test_cli_run_reports_the_phase_in_json(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "repo")
    result = CliRunner().invoke(
        app, ["-o", "json", "convert", "github-actions", str(path), "--run"], catch_exceptions=False
    )
    payload = json.loads(result.stdout)
    assert payload["workflows"][0]["run"] == {"phase": "Succeeded", "message": None}
    assert result.exit_code in (0, 1)  # 1 only when the conversion itself is partial


def test_expressions_inside_single_quotes_still_reach_the_script() -> None:
    script = textwrap.dedent("""\
        echo '${{ a }}' "${{ b }}" ${{ c }}
        # it's a comment ${{ d }}
        echo 'x'${{ e }}
        """)
    starts = [i for i in range(len(script)) if script.startswith("${{", i)]
    assert [quote_state(script, i) for i in starts] == ["'", '"', "", "", ""]


RUNTIME = """\
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    env:
      MY: one
    steps:
      - id: s
        run: echo "::set-output name=v::from-command"
      - run: echo "MY=two" >> "$GITHUB_ENV"
      - if: env.MY != 'two'
        run: exit 1
      - if: env.MY == 'TWO'
        run: echo ran > ran.txt
      - run: |
          test -f ran.txt
          test "${{ steps.s.outputs.v == 'from-command' && 'yes' || 'no' }}" = yes
          test '${{ env.MY }}' = two
"""


def test_workflow_commands_github_env_in_if_and_ternaries_work_at_run_time(tmp_path: Path) -> None:
    path = tmp_path / "repo" / "w.yml"
    path.parent.mkdir()
    path.write_text(RUNTIME)
    result = run_convert_github_actions([path], run=settings(tmp_path))
    report = result.audit.workflows[0]
    assert report.run == "Succeeded", report.run_message
    path.write_text(RUNTIME.replace("MY=two", "MY=three"))
    result = run_convert_github_actions([path], run=settings(tmp_path))
    assert result.audit.workflows[0].run == "Failed"


def test_status_functions_inside_a_larger_job_condition_become_task_checks() -> None:
    conversion = convert(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{run: 'true'}]\n"
        "  b:\n    needs: a\n    if: always() && (needs.a.result != 'success' || !success())\n"
        "    runs-on: ubuntu-latest\n    steps: [{run: 'true'}]\n"
    )
    when = tasks(conversion)["b"]["when"]
    assert "tasks['a'].status == 'Succeeded'" in when.replace('"', "'")
    assert "success()" not in when
