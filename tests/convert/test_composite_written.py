"""Local actions written by an earlier step (``shell: cp {0} action.yml``), and env names with ``-``.

The action's text is known at conversion time (the step copies its own script), so it is inlined;
a check step makes the run fail if the file holds something else when the job gets there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.convert.helpers import convert, template
from wfsync.commands.convert import RunSettings, run_convert_github_actions
from wfsync.convert.gha.composite import written_path
from wfsync.convert.gha.model import Step

WORKFLOW = """\
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    env:
      MY: job
    steps:
      - shell: cp {0} sub/action.yml
        working-directory: .
        run: |
          runs:
            using: composite
            steps:
              - if: env.MY != 'step'
                run: exit 1
                shell: bash
              - run: echo "MY=from-action" >> "$GITHUB_ENV"
                shell: bash
      - MUTATE
      - uses: ./sub
        env:
          MY: step
      - if: env.MY != 'from-action'
        run: exit 1
"""


def _step(raw: dict[str, object]) -> Step:
    return Step("s", False, 0, 1, raw)


def test_the_written_path_is_taken_only_from_cp_or_mv_of_the_script() -> None:
    assert written_path(_step({"run": "x", "shell": "cp {0} action.yml"})) == "action.yml"
    assert written_path(_step({"run": "x", "shell": "mv {0} ./a/../b/action.yml"})) == "b/action.yml"
    assert (
        written_path(_step({"run": "x", "shell": "cp {0} action.yml", "working-directory": "d"}))
        == "d/action.yml"
    )
    assert written_path(_step({"run": "x", "shell": "bash {0}"})) is None
    assert written_path(_step({"run": "x", "shell": "cp {0} /abs/action.yml"})) is None
    assert written_path(_step({"run": "x", "shell": "cp {0} ../out.yml"})) is None


def test_the_written_action_is_inlined_after_a_check_step() -> None:
    conversion = convert(
        WORKFLOW.replace("      - MUTATE\n", "")
        .replace("sub/action.yml", "action.yml")
        .replace("./sub", "./")
    )
    names = [s[0]["name"] for s in template(conversion, "job-a")["steps"]]
    assert names == ["setup", "runs", "action--check", "action--1", "action--2", "exit-1"]
    assert all(s.verdict == "known" for s in conversion.report.steps), conversion.report.steps


def _run(tmp_path: Path, text: str) -> tuple[str, str]:
    path = tmp_path / "repo" / "w.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    result = run_convert_github_actions([path], run=RunSettings(REPO_ROOT / "library", tmp_path / "state"))
    report = result.audit.workflows[0]
    return report.run, report.run_message


@pytest.mark.slow
def test_written_action_runs_with_the_callers_env_and_its_github_env_stays(tmp_path: Path) -> None:
    ok = WORKFLOW.replace("      - MUTATE\n", "      - run: 'true'\n")
    ok = ok.replace(
        "      - shell: cp {0} sub/action.yml",
        "      - run: mkdir -p sub\n      - shell: cp {0} sub/action.yml",
        1,
    )
    assert _run(tmp_path / "ok", ok) == ("Succeeded", "")


@pytest.mark.slow
def test_a_changed_action_file_fails_the_check(tmp_path: Path) -> None:
    changed = WORKFLOW.replace("      - MUTATE\n", "      - run: echo '# changed' >> sub/action.yml\n")
    changed = changed.replace(
        "      - shell: cp {0} sub/action.yml",
        "      - run: mkdir -p sub\n      - shell: cp {0} sub/action.yml",
        1,
    )
    phase, message = _run(tmp_path / "bad", changed)
    assert phase == "Failed" and "check" in message


def test_a_written_dockerfile_is_an_unsupported_docker_action() -> None:
    text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - {run: 'FROM alpine', shell: 'mv {0} Dockerfile'}\n      - uses: ./\n"
    entry = next(s for s in convert(text).report.steps if s.name == "./")
    assert entry.verdict == "unsupported" and "Docker" in entry.note


def test_an_action_written_from_run_time_values_is_not_inlined() -> None:
    text = (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - {run: 'runs: {using: ${{ github.actor }}}', shell: 'cp {0} action.yml'}\n      - uses: ./\n"
    )
    entry = next(s for s in convert(text).report.steps if s.name == "./")
    assert entry.verdict == "unsupported" and "written at run time" in entry.note


ENV_DASH = """\
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - env:
          with-dash: ${{ github.event_name }}/x
        run: exit ${{ env.with-dash == 'WANTED' && '0' || '1' }}
"""


@pytest.mark.slow
def test_env_names_that_are_not_shell_names_are_in_the_env_context(tmp_path: Path) -> None:
    assert _run(tmp_path / "ok", ENV_DASH.replace("WANTED", "push/x")) == ("Succeeded", "")
    assert _run(tmp_path / "bad", ENV_DASH.replace("WANTED", "push/y"))[0] == "Failed"
