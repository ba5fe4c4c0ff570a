"""The PR-review GitHub workflow: the project's reusable one and the one ``wfsync init`` scaffolds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.review.helpers import wfsync
from wfsync.review.markdown import MARKER


def check(workflow: dict[Any, Any], text: str) -> None:
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["pull_request"]["paths"] == ["library/**", "wfsync.yaml"]
    assert workflow["permissions"]["pull-requests"] == "write"
    steps = workflow["jobs"]["review"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0  # the base is read from git
    run = next(s["run"] for s in steps if s.get("id") == "review")
    assert "-o json > wfsync-review.json" in run and "-o markdown > wfsync-review.md" in run
    assert any(s.get("uses", "").startswith("actions/upload-artifact") for s in steps)
    script = next(s["with"]["script"] for s in steps if s.get("uses", "").startswith("actions/github-script"))
    assert "updateComment" in script and "createComment" in script
    assert MARKER in text  # the sticky comment is found by the marker the markdown starts with
    assert "steps.review.outputs.code == '1'" in text


def test_project_workflow_is_reusable() -> None:
    path = REPO_ROOT / ".github" / "workflows" / "wfsync-review.yaml"
    text = path.read_text()
    workflow = yaml.safe_load(text)
    check(workflow, text)
    assert "workflow_call" in workflow[True]


def test_init_scaffolds_the_review_workflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = wfsync("init", "repo")
    assert code == 0, err
    text = (tmp_path / "repo" / ".github" / "workflows" / "wfsync-review.yaml").read_text()
    check(yaml.safe_load(text), text)
    assert "pip install" in text
