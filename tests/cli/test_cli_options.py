"""CLI behaviour around the contract: lint.paths, status headers, paths style, completion."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from wfsync.cli.app import app

WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  templates:
    - name: main
      container:
        image: busybox
        imagePullPolicyy: Always
"""


def _wfsync(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"NO_COLOR": "1"}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert _wfsync("init", ".", "--no-library")[0] == 0
    return tmp_path


def _set_lint_paths(root: Path, paths: list[str]) -> None:
    config = yaml.safe_load((root / "wfsync.yaml").read_text())
    config["lint"]["paths"] = paths
    (root / "wfsync.yaml").write_text(yaml.safe_dump(config))


def test_lint_paths_are_checked_by_default(repo: Path) -> None:
    (repo / "workflows").mkdir()
    (repo / "workflows" / "ci.yaml").write_text(WORKFLOW)
    assert _wfsync("lint")[0] == 0  # not configured: only the library
    _set_lint_paths(repo, ["workflows/"])
    code, out, _ = _wfsync("lint")
    assert code == 1 and "workflows/ci.yaml" in out and "imagePullPolicyy" in out


def test_lint_paths_missing_or_outside_are_usage_errors(repo: Path) -> None:
    _set_lint_paths(repo, ["workflows/"])
    code, out, _ = _wfsync("lint", "-o", "json")
    assert code == 2 and "lint.paths" in json.loads(out)["error"]["message"]
    _set_lint_paths(repo, ["../elsewhere"])
    code, out, _ = _wfsync("-o", "json", "lint")
    error = json.loads(out)["error"]
    assert code == 2 and error["code"] == "config" and error["file"] == "wfsync.yaml" and error["line"]


def test_scaffolded_ci_lints_every_change(repo: Path) -> None:
    ci = yaml.safe_load((repo / ".github" / "workflows" / "wfsync.yaml").read_text())
    assert ci[True]["pull_request"] is None  # no path filter: workflows/ changes are linted too
    assert "paths: []" in (repo / "wfsync.yaml").read_text()


def test_fmt_and_push_lint_print_relative_paths(repo: Path) -> None:
    (repo / "library" / "bad.yaml").write_text(WORKFLOW.replace("kind: Workflow", "kind: WorkflowTemplate"))
    code, out, err = _wfsync("push", "--yes")
    assert code == 1 and "library/bad.yaml" in out and str(repo) not in out
    code, out, err = _wfsync("fmt", "--check", str(repo / "library"))
    assert str(repo) not in out + err


def test_status_has_headers_and_names_the_commit_of_an_uncommitted_push(repo: Path) -> None:
    assert _wfsync("push", "--yes")[0] == 0
    code, out, _ = _wfsync("status")
    assert code == 0 and "OBJECT" in out and "SOURCE COMMIT" in out and "uncommitted" in out
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "."], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout
    code, out, _ = _wfsync("status")
    assert f"= {head[:12]}" in out
    assert json.loads(_wfsync("status", "-o", "json")[1])["libraryCommit"] == head.strip()


def test_quiet_push_prints_nothing_and_lint_list_rules_has_headers(repo: Path) -> None:
    code, out, err = _wfsync("push", "--yes", "-q")
    assert code == 0 and out == "" and err == ""
    assert _wfsync("lint", "--list-rules")[1].startswith("RULE ")


def test_completion_is_offered() -> None:
    assert "--install-completion" in _wfsync("--help")[1]
