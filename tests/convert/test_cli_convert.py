"""``wfsync convert github-actions`` through Typer's runner: outputs, report formats, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from wfsync.cli.app import app

FIXTURES = Path(__file__).parent / "fixtures"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_complete_conversion_exits_0_and_writes_formatted_yaml(tmp_path: Path) -> None:
    code, out, _ = invoke(
        "convert", "github-actions", str(FIXTURES / "simple.yml"), "--out-dir", str(tmp_path)
    )
    assert code == 0
    assert "successful" in out and "Workflows: 1" in out
    text = (tmp_path / "simple.yaml").read_text()
    assert text.startswith("# Converted from ")
    assert yaml.safe_load(text)["kind"] == "Workflow"


def test_incomplete_conversion_exits_1_with_reports_in_three_formats(tmp_path: Path) -> None:
    for name in ("audit.json", "audit.md", "audit.txt"):
        code, out, _ = invoke(
            "convert",
            "github-actions",
            str(FIXTURES),
            "--out-dir",
            str(tmp_path / "out"),
            "--report",
            str(tmp_path / name),
        )
        assert code == 1
        assert "partial" in out
    data = json.loads((tmp_path / "audit.json").read_text())
    assert data["summary"]["workflows"] == 3 and data["summary"]["successful"] == 1
    assert data["manualTasks"]["secrets"] == {"PYPI_TOKEN": 1}
    assert (tmp_path / "audit.md").read_text().startswith("# Audit summary")
    assert "Workflows: 3" in (tmp_path / "audit.txt").read_text()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ci.yaml", "nightly.yaml", "simple.yaml"]


def test_yaml_goes_to_stdout_without_out_dir_and_json_output(tmp_path: Path) -> None:
    code, out, err = invoke("convert", "github-actions", str(FIXTURES / "simple.yml"))
    assert code == 0 and yaml.safe_load(out)["kind"] == "Workflow" and "Workflows: 1" in err
    code, out, _ = invoke("-o", "json", "convert", "github-actions", str(FIXTURES / "simple.yml"))
    data = json.loads(out)
    assert data["command"] == "convert.github-actions" and len(data["documents"]) == 1


def test_bad_input_exits_2_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - runn: echo\n")
    code, _, err = invoke("convert", "github-actions", str(bad))
    assert code == 2
    assert f"{bad}:6:9: Unexpected value 'runn'" in err
    code, _, err = invoke("convert", "github-actions", str(tmp_path / "missing.yml"))
    assert code == 2 and "no such file or folder" in err
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yaml").write_text("kind: wfsync/gha-rules\nrunners:\n  - image: x\n")
    code, _, err = invoke("convert", "github-actions", str(FIXTURES / "simple.yml"), "--rules", str(rules))
    assert code == 2 and f"{rules / 'r.yaml'}:3: 'labels' is required" in err
