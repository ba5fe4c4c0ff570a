"""The CLI contract through Typer's runner: formats, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfsync.cli.app import app

CLEAN = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: greet
spec:
  templates:
    - name: say
      inputs:
        parameters:
          - name: message
      container:
        image: busybox
        args: ["{{inputs.parameters.message}}"]
"""

BROKEN = CLEAN.replace("image: busybox", "image: busybox\n        imagePullPolicyy: Always")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_version(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "--version")
    assert code == 0 and out.startswith("wfsync ")


def test_version_does_not_import_kubernetes() -> None:
    code = "import sys; from wfsync.cli.app import app; print('kubernetes' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_lint_clean_file_exits_0(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text(CLEAN)
    code, out, _ = invoke(runner, "lint", "t.yaml")
    assert code == 0
    assert "no problems: 1 document in 1 file" in out


def test_lint_findings_exit_1_with_file_and_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text(BROKEN)
    code, out, _ = invoke(runner, "lint", "t.yaml")
    assert code == 1
    assert "t.yaml" in out and "13" in out and "unknown field 'imagePullPolicyy'" in out
    assert "spec.templates[0].container.imagePullPolicyy" in out


@pytest.mark.parametrize("order", ["before", "after"])
def test_json_output_before_or_after_command(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text(BROKEN)
    args = ["-o", "json", "lint", "t.yaml"] if order == "before" else ["lint", "t.yaml", "-o", "json"]
    code, out, _ = invoke(runner, *args)
    doc = json.loads(out)
    assert code == 1
    assert doc["schemaVersion"] == 1 and doc["command"] == "lint"
    (finding,) = doc["findings"]
    assert finding == {
        "file": "t.yaml",
        "line": 13,
        "column": 9,
        "path": "spec.templates[0].container.imagePullPolicyy",
        "rule": "schema-unknown-field",
        "severity": "error",
        "message": "unknown field 'imagePullPolicyy' in Container; did you mean `imagePullPolicy`?",
        "suggestion": "imagePullPolicy",
        "kind": "WorkflowTemplate",
        "name": "greet",
    }
    assert doc["summary"]["errors"] == 1


def test_github_annotations(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text(BROKEN)
    code, out, _ = invoke(runner, "lint", "-o", "github", "t.yaml")
    assert code == 1
    assert out.splitlines()[0].startswith(
        "::error file=t.yaml,line=13,col=9,title=wfsync schema-unknown-field::"
    )


def test_yaml_syntax_error_is_a_finding_not_a_crash(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text("kind: Workflow\nspec: [\n")
    code, out, err = invoke(runner, "lint", "t.yaml")
    assert code == 1 and "yaml-syntax" in out and "Traceback" not in out + err


def test_missing_path_is_usage_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke(runner, "lint", "nope.yaml")
    assert code == 2
    assert err.strip() == "error: path does not exist: nope.yaml"


def test_lint_without_config_or_paths_is_usage_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke(runner, "lint")
    assert code == 2 and "wfsync init" in err


def test_unknown_output_format_for_command(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text(CLEAN)
    code, _, err = invoke(runner, "fmt", "-o", "github", "t.yaml")
    assert code == 2 and "not available here" in err


def test_init_then_lint_clean_and_refuses_overwrite(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = invoke(runner, "init", "repo")
    assert code == 0 and "created repo/wfsync.yaml" in out
    assert (tmp_path / "repo" / ".gitignore").read_text() == ".wfsync/\n"
    monkeypatch.chdir(tmp_path / "repo")
    assert invoke(runner, "lint")[0] == 0
    assert invoke(runner, "fmt", "--check")[0] == 0
    before = (tmp_path / "repo" / "wfsync.yaml").read_text()
    code, _, err = invoke(runner, "init", ".")
    assert code == 2 and "refusing to overwrite" in err
    assert (tmp_path / "repo" / "wfsync.yaml").read_text() == before


def test_init_appends_to_existing_gitignore(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc")
    assert invoke(runner, "init", str(tmp_path))[0] == 0
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.wfsync/\n"


def test_config_error_names_file_and_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wfsync.yaml").write_text(
        "library: library\ntargets:\n  local:\n    type: embedded\n    prune: maybe\n"
    )
    (tmp_path / "library").mkdir()
    code, _, err = invoke(runner, "lint")
    assert code == 2
    assert "wfsync.yaml:5: targets.local.prune must be true, false or never, not 'maybe'" in err


def test_library_rules_apply_inside_the_library(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wfsync.yaml").write_text("library: lib\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "t.yaml").write_text(CLEAN)
    code, out, _ = invoke(runner, "lint", "-o", "json")
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["version-label"]
    # the same file outside the library is not a library template
    (tmp_path / "elsewhere.yaml").write_text(CLEAN.replace("name: greet", "name: other"))
    assert invoke(runner, "lint", "elsewhere.yaml")[0] == 0


def test_workflow_outside_library_resolves_library_refs(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wfsync.yaml").write_text("library: lib\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "t.yaml").write_text(
        CLEAN.replace("name: greet", "name: greet\n  labels: {wfsync.io/version: 1.0.0}")
    )
    wf = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hi-}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: hi
            templateRef: {name: greet, template: say}
            arguments: {parameters: [{name: message, value: hi}]}
"""
    (tmp_path / "wf.yaml").write_text(wf)
    assert invoke(runner, "lint", "wf.yaml")[0] == 0
    (tmp_path / "wf.yaml").write_text(wf.replace("template: say", "template: shout"))
    code, out, _ = invoke(runner, "lint", "wf.yaml")
    assert code == 1 and "greet.shout not found" in out


def test_fmt_check_and_write(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    messy = "kind: WorkflowTemplate\napiVersion: argoproj.io/v1alpha1\nmetadata:\n    name: x  # keep me\n"
    (tmp_path / "t.yaml").write_text(messy)
    code, out, _ = invoke(runner, "fmt", "--check", "t.yaml")
    assert code == 1 and "would reformat t.yaml" in out
    assert (tmp_path / "t.yaml").read_text() == messy
    assert invoke(runner, "fmt", "t.yaml")[0] == 0
    formatted = (tmp_path / "t.yaml").read_text()
    assert formatted.startswith("apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\n")
    assert "# keep me" in formatted
    assert invoke(runner, "fmt", "--check", "t.yaml")[0] == 0


def test_fmt_invalid_yaml_exits_2(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text("a: [\n")
    code, _, err = invoke(runner, "fmt", "t.yaml")
    assert code == 2 and "t.yaml:2" in err


def test_console_script_has_no_traceback_on_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wfsync", "lint", str(tmp_path / "missing")], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "path does not exist" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "wfsync", "lint", "--bogus"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_shipped_library_lints_and_formats_clean(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(repo)
    code, out, _ = invoke(runner, "lint", "--no-cache", "-o", "json")
    doc = json.loads(out)
    assert code == 0, doc["findings"]
    assert doc["summary"]["documents"] >= 10
    assert invoke(runner, "fmt", "--check")[0] == 0


def test_lint_does_not_import_kubernetes(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(CLEAN)
    code = (
        "import sys\nfrom wfsync.cli.app import main\nsys.argv = ['wfsync', 'lint', sys.argv[1]]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print('kubernetes' in sys.modules, 'git' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "t.yaml")], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.stdout.strip().splitlines()[-1] == "False False", proc.stderr
