"""``wfsync convert make`` through Typer's CliRunner: outputs, exit codes, golden files, --verify."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfsync.cli.app import app

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")

PROJECTS = Path(__file__).parent / "projects"
GOLDEN = Path(__file__).parent / "golden"


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_stdout_is_the_document_and_the_report_goes_to_stderr() -> None:
    code, out, err = _invoke("convert", "make", "-C", str(PROJECTS / "pipeline"))
    assert code == 0, err
    assert out.startswith("# Converted from Makefile (default goal) by wfsync convert make --mode dag.\n")
    assert "templateRef: {name: make, template: recipe, clusterScope: true}" in out
    assert "task(s) from" in err


@pytest.mark.parametrize("mode", ["dag", "serial"])
def test_golden(mode: str, tmp_path: Path) -> None:
    """``golden/pipeline-<mode>.yaml``; WFSYNC_REGENERATE=1 rewrites it (never in CI)."""
    code, out, err = _invoke(
        "convert", "make", "-C", str(PROJECTS / "pipeline"), "--mode", mode, "--out-dir", str(tmp_path)
    )
    assert code == 0, err
    text = (tmp_path / "pipeline-make.yaml").read_text()
    golden = GOLDEN / f"pipeline-{mode}.yaml"
    if os.environ.get("WFSYNC_REGENERATE") == "1" and os.environ.get("CI") != "true":
        golden.write_text(text)
    assert text == golden.read_text()
    code, _, err = _invoke("fmt", "--check", str(tmp_path / "pipeline-make.yaml"))
    assert code == 0, err
    code, _, err = _invoke("lint", str(tmp_path / "pipeline-make.yaml"))
    assert code == 0, err


def test_json_report() -> None:
    code, out, _ = _invoke("-o", "json", "convert", "make", "-C", str(PROJECTS / "pipeline"), "all")
    payload = json.loads(out)
    assert code == 0
    assert payload["command"] == "convert.make"
    assert payload["verdict"] == "successful"
    assert [t["target"] for t in payload["tasks"]] == ["out", "out/a.count", "out/b.count", "out/summary.txt"]
    assert payload["not_run"] == ["clean"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, err = _invoke("convert", "make", "-C", str(tmp_path / "nowhere"))
    assert code == 2
    assert "not a directory" in err
    code, _, err = _invoke("convert", "make", "-C", str(tmp_path))
    assert code == 2
    assert "no GNUmakefile, makefile or Makefile" in err
    code, _, err = _invoke("convert", "make", "-C", str(PROJECTS / "pipeline"), "--mode", "fast")
    assert code == 2
    assert "--mode must be dag or serial" in err


@pytest.mark.slow
def test_verify_pipeline_equal_to_make() -> None:
    code, _, err = _invoke("convert", "make", "-C", str(PROJECTS / "pipeline"), "--verify")
    assert code == 0, err
    assert "verify: equal to make (make exit 0, workflow Succeeded)" in err


@pytest.mark.slow
def test_verify_reports_a_difference(tmp_path: Path) -> None:
    """A recipe that reads the clock differs between the two runs: exit 1, the file named."""
    (tmp_path / "Makefile").write_text("stamp:\n\tdate +%s%N > stamp\n")
    code, _, err = _invoke("convert", "make", "-C", str(tmp_path), "--verify")
    assert code == 1
    assert "./stamp: differs" in err


@pytest.mark.slow
def test_failing_recipe_fails_the_workflow_like_make(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text("all: a b\na:\n\techo a > a\nb: a\n\tfalse\n\techo never > b\n")
    code, _, err = _invoke("convert", "make", "-C", str(tmp_path), "--verify")
    assert code == 0, err
    assert "make exit 2, workflow Failed" in err


DELETE_ON_ERROR = """\
.DELETE_ON_ERROR:
.PHONY: all stamp
all: kept.txt out.txt
kept.txt:
\techo kept > $@
out.txt: kept.txt
\techo partial > $@
\tfalse
"""


def test_delete_on_error_is_a_parameter_of_file_targets(tmp_path: Path) -> None:
    from wfsync.convert.make import MakeRequest, convert_makefile

    (tmp_path / "Makefile").write_text(DELETE_ON_ERROR)
    document = convert_makefile(MakeRequest(tmp_path)).document
    flagged = {
        task["name"]
        for task in document["spec"]["templates"][0]["dag"]["tasks"][1:]
        if {"name": "delete-on-error", "value": "true"} in task["arguments"]["parameters"]
    }
    assert flagged == {"kept-txt", "out-txt"}
    (tmp_path / "Makefile").write_text(DELETE_ON_ERROR.replace(".DELETE_ON_ERROR:\n", ""))
    assert "'delete-on-error'" not in str(convert_makefile(MakeRequest(tmp_path)).document["spec"])


@pytest.mark.slow
@pytest.mark.parametrize("delete", [True, False])
def test_delete_on_error_verifies_like_make(tmp_path: Path, delete: bool) -> None:
    """make deletes out.txt after its recipe failed (only with .DELETE_ON_ERROR); so does the workflow."""
    text = DELETE_ON_ERROR if delete else DELETE_ON_ERROR.replace(".DELETE_ON_ERROR:\n", "")
    (tmp_path / "Makefile").write_text(text)
    code, _, err = _invoke("convert", "make", "-C", str(tmp_path), "--verify")
    assert code == 0, err
    assert "make exit 2, workflow Failed" in err
    import subprocess

    subprocess.run(["make"], cwd=tmp_path, capture_output=True, check=False)
    assert (tmp_path / "out.txt").exists() is not delete  # what make itself left


@pytest.mark.slow
def test_missing_program_fails_with_makes_message(tmp_path: Path) -> None:
    """make runs a plain line without a shell: a missing program is make's error, not the shell's."""
    (tmp_path / "Makefile").write_text("all:\n\twfsync-no-such-program foo\n\techo never\n")
    code, _, err = _invoke("convert", "make", "-C", str(tmp_path), "--mode", "serial", "--verify")
    assert code == 0, err
    assert "make exit 2, workflow Failed" in err


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["dag", "serial"])
def test_parse_time_side_effects_are_replayed(tmp_path: Path, mode: str) -> None:
    """``$(shell mkdir ...)`` and ``$(file >...)`` run when make reads the Makefile; a first task replays them."""
    (tmp_path / "Makefile").write_text(
        "$(shell mkdir -p tmp)\n$(file >tmp/made.mk,x := 1)\nall:\n\ttouch tmp/out\n\tcat tmp/made.mk\n"
    )
    code, out, err = _invoke("convert", "make", "-C", str(tmp_path), "--mode", mode, "--verify")
    assert "verify: equal to make (make exit 0, workflow Succeeded)" in err, err
    assert code == 1  # the frozen $(shell) is still a finding
    assert "name: make-parse" in out


@pytest.mark.slow
def test_recipes_see_makes_environment_not_argos(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text("all:\n\tenv | grep -c '^ARGO_' || true\n")
    code, _, err = _invoke("convert", "make", "-C", str(tmp_path), "--verify")
    assert code == 0, err
