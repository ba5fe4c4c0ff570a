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
def test_recursive_make_is_a_nested_dag_equal_to_make(mode: str) -> None:
    """``$(MAKE) -C lib`` becomes the sub-make's own DAG (template ``lib-make``), verified equal to make."""
    result = run_convert_make(MakeRequest(PROJECTS / "recursive", mode=mode), verify=True)
    assert result.verification is not None
    assert result.verification.differences == []
    conversion = result.conversion
    assert conversion.complete, conversion.findings
    [lib] = [t for t in conversion.graph.tasks if t.target == "lib"]
    assert lib.nested is not None
    assert [(t.target, t.directory) for t in lib.nested.tasks] == [("words.txt", "lib"), ("count.txt", "lib")]
    templates = {t["name"]: t for t in conversion.document["spec"]["templates"]}
    [call] = [t for t in templates["main"]["dag"]["tasks"] if t["name"] == "lib"]
    assert call["template"] == "lib-make"
    assert [t["name"] for t in templates["lib-make"]["dag"]["tasks"]] == ["words-txt", "count-txt"]


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_a_sub_make_that_is_not_plain_stays_one_task(tmp_path: Path) -> None:
    shutil.copytree(PROJECTS / "recursive", tmp_path / "p")
    makefile = tmp_path / "p" / "Makefile"
    makefile.write_text(makefile.read_text().replace("$(MAKE) -C lib", "$(MAKE) -C lib V=1"))
    conversion = run_convert_make(MakeRequest(tmp_path / "p")).conversion
    assert conversion.graph.recursive == ["lib"]
    assert all(t.nested is None for t in conversion.graph.tasks)
    assert any("recursive make runs as one task" in f for f in conversion.findings)
