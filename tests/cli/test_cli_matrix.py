"""The CLI contract as a matrix: every command x every global option, before and after the command,
x ``-o text|json``.

Each invocation checks the exit code of the contract, that stdout under ``-o json`` is exactly one
JSON document (errors included: ``schemaVersion`` and an ``error`` object), that ``--quiet`` leaves
stdout empty when the exit code says everything, and that no escape byte is written with
``NO_COLOR`` or ``--no-color``, even when rich is forced to treat the streams as a terminal
(``FORCE_COLOR``). Inputs are cheap (one template, one two-step workflow), the runner in-process.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from wfsync.cli.app import app, hoist_globals

GLOBALS = ("-q", "-v", "--no-color", "--debug")
WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  templates:
    - name: main
      script:
        image: python:3.12
        command: [sh]
        source: echo hello
"""
GHA = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
"""
# command -> (arguments, exit code, stdout is empty under --quiet in text)
COMMANDS: dict[str, tuple[list[str], int, bool]] = {
    "init": (["init", "{new}", "--no-library"], 0, True),
    "library list": (["library", "list"], 0, False),
    "library add": (["library", "add", "no-such-family"], 2, True),
    "library update": (["library", "update", "--dry-run"], 0, False),
    "lint": (["lint"], 0, True),
    "lint --list-rules": (["lint", "--list-rules"], 0, False),
    "lint findings": (["lint", "broken/t.yaml"], 1, False),
    "fmt": (["fmt", "--check"], 0, True),
    "diff": (["diff"], 0, True),
    "push": (["push", "--yes"], 0, True),
    "status": (["status"], 0, True),
    "convert github-actions": (["convert", "github-actions", "ci.yml", "--out-dir", "{new}"], 0, True),
    "run": (["run", "wf.yaml"], 0, True),
    "resume": (["resume", "no-such-run"], 2, True),
    "missing argument": (["run"], 2, True),
    "unknown option": (["lint", "--no-such-option"], 2, True),
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A committed wfsync repository already pushed to its local target, plus a few inputs."""
    root = tmp_path_factory.mktemp("matrix")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        runner = CliRunner()
        assert runner.invoke(app, ["init", ".", "--no-library"]).exit_code == 0
        (root / "wf.yaml").write_text(WORKFLOW)
        (root / "ci.yml").write_text(GHA)
        (root / "broken").mkdir()
        (root / "broken" / "t.yaml").write_text(
            (root / "library" / "hello.yaml").read_text().replace("templates:", "templatez:")
        )
        git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
        subprocess.run([*git, "init", "-q", "."], check=True)
        subprocess.run([*git, "add", "."], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
        assert runner.invoke(app, ["push", "--yes"]).exit_code == 0
        yield root


def _args(template: list[str], root: Path, counter: Iterator[int]) -> list[str]:
    return [
        a.replace("{new}", str(root / "out" / str(next(counter)))) if "{new}" in a else a for a in template
    ]


_COUNTER = itertools.count()


def _invoke(root: Path, argv: list[str], *, no_color_env: bool) -> Any:
    env = {"FORCE_COLOR": "1", "NO_COLOR": "1" if no_color_env else None, "WFSYNC_DEBUG": None}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        return CliRunner().invoke(app, argv, env=env, catch_exceptions=False)


@pytest.mark.parametrize("output", ["text", "json"])
@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize("option", GLOBALS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_matrix(repo: Path, command: str, option: str, position: str, output: str) -> None:
    template, code, quiet_silent = COMMANDS[command]
    args = _args(template, repo, _COUNTER)
    flags = [option, "-o", output]
    argv = [*flags, *args] if position == "before" else [*args, *flags]
    result = _invoke(repo, argv, no_color_env=option != "--no-color")
    context = f"wfsync {' '.join(argv)}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.exit_code == code, context
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr, context
    assert "Traceback" not in result.stdout + result.stderr, context
    if output == "json":
        doc = json.loads(result.stdout)  # exactly one document: json.loads rejects trailing data
        assert doc["schemaVersion"] == 1, context
        if code >= 2:
            assert set(doc["error"]) == {"code", "message", "file", "line"}, context
            assert doc["exitCode"] == code and doc["error"]["message"], context
        else:
            assert "error" not in doc, context
    elif option == "-q" and quiet_silent:
        assert result.stdout == "", context


def _leaf_commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _leaf_commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


LEAVES = sorted(_leaf_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("leaf", LEAVES, ids=" ".join)
def test_every_command_reports_usage_errors_as_json(repo: Path, leaf: tuple[str, ...]) -> None:
    """Commands added later are covered too: an unknown option is exit 2 and one JSON error document."""
    for argv in ([*leaf, "--no-such-option", "-o", "json"], ["-o", "json", *leaf, "--no-such-option"]):
        result = _invoke(repo, argv, no_color_env=True)
        assert result.exit_code == 2, result.stdout + result.stderr
        doc = json.loads(result.stdout)
        assert doc["schemaVersion"] == 1 and doc["exitCode"] == 2
        assert doc["error"]["code"] == "usage" and "--no-such-option" in doc["error"]["message"]
        assert doc["command"] == " ".join(leaf)


def test_styles_are_written_when_allowed(repo: Path) -> None:
    """The control for the escape-byte checks above: forced colour without NO_COLOR does style."""
    result = _invoke(repo, ["lint", "broken/t.yaml"], no_color_env=False)
    assert result.exit_code == 1 and "\x1b[" in result.stdout


def test_names_print_literally(repo: Path, tmp_path: Path) -> None:
    """Rich markup and emoji codes in user data are text: ``:leg:`` and ``[bold]`` print as they are."""
    wf = tmp_path / "names.yaml"
    wf.write_text(
        WORKFLOW.replace("generateName: hello-", "name: x").replace(
            "- name: main",
            "- name: main\n      steps:\n        - - name: ':leg:[bold]'\n            template: s\n    - name: s",
        )
    )
    result = _invoke(repo, ["run", str(wf)], no_color_env=False)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert ":leg:[bold]" in result.stdout and "\U0001f9b5" not in result.stdout


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["lint", "-q", "x"], ["-q", "lint", "x"]),
        (["lint", "x", "-o", "json", "-v"], ["-v", "lint", "x", "-o", "json"]),
        (["run", "wf.yaml", "-o", "yaml", "-q"], ["-q", "run", "wf.yaml", "-o", "yaml"]),
        (["run", "wf.yaml", "-p", "-q", "--debug"], ["--debug", "run", "wf.yaml", "-p", "-q"]),
        (["resume", "w", "-o", "json"], ["-o", "json", "resume", "w"]),
        (["library", "-q", "list"], ["-q", "library", "list"]),
        (["lint", "--", "-q"], ["lint", "--", "-q"]),
        (["-o", "json", "lint", "-qv"], ["-o", "json", "-qv", "lint"]),
    ],
)
def test_hoisting(argv: list[str], expected: list[str]) -> None:
    """Global options move in front of the command; the command's own options and their values stay."""
    group = typer.main.get_command(app)
    assert hoist_globals(group, None, argv) == expected  # type: ignore[arg-type]


def test_progress_lines_when_not_a_terminal(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Long work off a terminal shows plain progress lines on stderr; -q and -o json stay silent."""
    import wfsync.cli.terminal as terminal

    monkeypatch.setattr(terminal, "PROGRESS_DELAY", 0.05)
    monkeypatch.setattr(terminal, "PROGRESS_INTERVAL", 0.1)
    wf = tmp_path / "slow.yaml"
    wf.write_text(WORKFLOW.replace("source: echo hello", "source: sleep 0.6"))
    shown = _invoke(repo, ["run", str(wf)], no_color_env=True)
    assert shown.exit_code == 0
    lines = [line for line in shown.stderr.splitlines() if line.startswith("run: ")]
    assert len(lines) >= 2 and any("Running, 0/1 nodes" in line for line in lines), shown.stderr
    for quiet in (["-q"], ["-o", "json"]):
        silent = _invoke(repo, ["run", str(wf), *quiet], no_color_env=True)
        assert silent.exit_code == 0 and "run: " not in silent.stderr
