"""Real project Makefiles (a data pipeline, a C project, a recursive make) convert and verify equal to make."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wfsync.commands.convert_make import run_convert_make
from wfsync.convert.make import MakeRequest

PROJECTS = Path(__file__).parent / "projects"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None or shutil.which("cc") is None, reason="needs make and cc")
@pytest.mark.parametrize(
    ("project", "goals", "mode"),
    [
        ("pipeline", (), "dag"),
        ("pipeline", (), "serial"),
        ("cproject", ("test",), "dag"),
        ("cproject", ("test",), "serial"),
    ],
)
def test_project_verifies(project: str, goals: tuple[str, ...], mode: str) -> None:
    result = run_convert_make(MakeRequest(PROJECTS / project, goals=goals, mode=mode), verify=True)
    assert result.verification is not None
    assert result.verification.differences == []
    assert result.conversion.complete, result.conversion.findings


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
@pytest.mark.parametrize("mode", ["dag", "serial"])
def test_recursive_make_runs_as_one_task_equal_to_make(mode: str) -> None:
    """``$(MAKE) -C lib`` is one task that runs the sub-make (not yet a nested DAG): equal, with a finding."""
    result = run_convert_make(MakeRequest(PROJECTS / "recursive", mode=mode), verify=True)
    assert result.verification is not None
    assert result.verification.differences == []
    assert result.conversion.graph.recursive == ["lib"]
    assert any("recursive make runs as one task" in f for f in result.conversion.findings)
