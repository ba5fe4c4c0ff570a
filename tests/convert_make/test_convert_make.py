"""Conversion: tasks from the recorded run, edges from the database, names, modes, report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.convert_make.test_database import MAKEFILE
from wfsync.convert.make import MakeRequest, convert_makefile
from wfsync.convert.make.graph import Line

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def _workspace(tmp_path: Path, text: str = MAKEFILE) -> Path:
    (tmp_path / "Makefile").write_text(text)
    (tmp_path / "b.src").write_text("b\n")
    return tmp_path


def _tasks(document: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {t["name"]: t for t in document["spec"]["templates"][0]["dag"]["tasks"]}


def _param(task: dict, name: str) -> str | None:  # type: ignore[type-arg]
    return next((p["value"] for p in task["arguments"]["parameters"] if p["name"] == name), None)


def test_dag_edges_from_prerequisites(tmp_path: Path) -> None:
    conversion = convert_makefile(MakeRequest(_workspace(tmp_path), goals=("all", "log")))
    tasks = _tasks(conversion.document)
    assert list(tasks) == ["checkout", "out", "out-b-txt", "a", "c-txt", "log", "log-2"]
    assert tasks["out-b-txt"]["depends"] == "out"  # order-only prerequisite
    assert tasks["c-txt"]["depends"] == "a"  # grouped a b &: is one task
    assert tasks["log"]["depends"] == "c-txt"
    assert tasks["log-2"]["depends"] == "log"  # :: rules chained
    assert tasks["out"]["depends"] == "checkout"
    assert _param(tasks["c-txt"], "recipe") == "@echo building c.txt; cat a b > c.txt\n-false"
    assert _param(tasks["out-b-txt"], "target") == "out/b.txt"
    assert conversion.complete


def test_serial_mode_chains_in_make_order(tmp_path: Path) -> None:
    conversion = convert_makefile(MakeRequest(_workspace(tmp_path), goals=("all", "log"), mode="serial"))
    tasks = list(_tasks(conversion.document).values())
    for before, after in zip(tasks, tasks[1:], strict=False):
        assert after["depends"] == before["name"]


def test_silent_lines_recovered_from_the_run(tmp_path: Path) -> None:
    text = "all:\n\t@echo quiet\n\techo loud\n\t$(if x,-)false\n\techo after\n"
    conversion = convert_makefile(MakeRequest(_workspace(tmp_path, text)))
    lines = conversion.graph.tasks[0].lines
    assert [(x.command, x.silent, x.ignore) for x in lines] == [
        ("echo quiet", True, False),
        ("echo loud", False, False),
        ("false", False, True),  # '-' from an expansion: known from make going on
        ("echo after", False, False),
    ]


def test_names_are_valid_and_unique(tmp_path: Path) -> None:
    text = "all: 1.o A.o a-o\n1.o A.o a-o:\n\ttouch $@\n"
    conversion = convert_makefile(MakeRequest(_workspace(tmp_path, text)))
    names = [t.name for t in conversion.graph.tasks]
    assert len(set(names)) == len(names)
    assert all(n[0].isalpha() and n == n.lower() and n.replace("-", "").isalnum() for n in names)
    assert names[0] == "t-1-o"


def test_jobs_template_and_variables(tmp_path: Path) -> None:
    text = "MODE ?= debug\nall:\n\techo building $(MODE)\n"
    request = MakeRequest(_workspace(tmp_path, text), variables=("MODE=release",), template=True, jobs=4)
    document = convert_makefile(request).document
    assert document["kind"] == "WorkflowTemplate"
    assert document["spec"]["parallelism"] == 4
    assert {"name": "MODE", "value": "release"} in document["spec"]["arguments"]["parameters"]
    assert _param(_tasks(document)["all"], "recipe") == "echo building {{workflow.parameters.MODE}}"


def test_oneshell_is_one_line(tmp_path: Path) -> None:
    text = ".ONESHELL:\nall:\n\tx=1\n\techo $$x\n"
    [task] = convert_makefile(MakeRequest(_workspace(tmp_path, text))).graph.tasks
    assert task.recipe() == "x=1\n\techo $x"


def test_findings_recursive_make_and_parse_time_shell(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Makefile").write_text("all:\n\techo sub\n")
    text = "NOW := $(shell echo parsed)\nall:\n\t$(MAKE) -C sub V=1\n"  # not a plain sub-make
    conversion = convert_makefile(MakeRequest(_workspace(tmp_path, text)))
    assert not conversion.complete
    joined = "\n".join(conversion.findings)
    assert "recursive make" in joined
    assert "Makefile:1: $(shell ...)" in joined


def test_dry_run_recipes(tmp_path: Path) -> None:
    conversion = convert_makefile(MakeRequest(_workspace(tmp_path), goals=("all",), dry_run_recipes=True))
    assert [t.target for t in conversion.graph.tasks] == ["out", "out/b.txt", "a", "c.txt"]
    assert not (tmp_path / "out").exists()


def test_line_encoding_continues_with_a_tab() -> None:
    assert Line("a \\\nb", silent=True, ignore=True).encoded() == "@-a \\\n\tb"
