"""``wfsync run`` through Typer's runner: output formats and exit codes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import yaml
from typer.testing import CliRunner

from wfsync.cli.app import app

runner = CliRunner()

HELLO = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: main
    inputs: {parameters: [{name: who}]}
    container: {image: busybox, command: [sh, -c], args: ["echo hello {{inputs.parameters.who}}; exit {{=inputs.parameters.who == 'fail' ? 1 : 0}}"]}
"""


def _write(tmp_path: Path, text: str, name: str = "wf.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_text_tree_and_exit_zero(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", str(_write(tmp_path, HELLO)), "--logs"])
    assert result.exit_code == 0, result.output
    assert "Status:              Succeeded" in result.output
    assert ": hello world" in result.output
    assert "busybox -> host BusyBox " in result.output  # the stand-in, with its version


def test_json_is_the_workflow_with_status_and_failure_exits_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", str(_write(tmp_path, HELLO)), "-p", "who=fail", "-o", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["kind"] == "Workflow" and doc["status"]["phase"] == "Failed"
    node = next(iter(doc["status"]["nodes"].values()))
    assert node["outputs"]["result"] == "hello fail" and node["outputs"]["exitCode"] == "1"


def test_parameter_file_and_yaml_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    params = _write(tmp_path, "who: file\n", "params.yaml")
    result = runner.invoke(
        app, ["run", str(_write(tmp_path, HELLO)), "--parameter-file", str(params), "-o", "yaml"]
    )
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(result.stdout)
    assert doc["spec"]["arguments"]["parameters"][0]["value"] == "file"


def test_bad_input_exits_two(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["run", str(tmp_path / "missing.yaml")]).exit_code == 2
    bad = _write(tmp_path, "kind: ConfigMap\nmetadata: {name: x}\n")
    result = runner.invoke(app, ["run", str(bad)])
    assert result.exit_code == 2 and "no Workflow" in result.output
    assert runner.invoke(app, ["run", str(_write(tmp_path, HELLO)), "-p", "novalue"]).exit_code == 2


def test_unsupported_is_refused_before_running_with_exit_three(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wf = _write(
        tmp_path,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: r}
        spec:
          entrypoint: main
          templates:
          - name: main
            http: {url: "https://example.com"}
        """,
    )
    result = runner.invoke(app, ["run", str(wf)])
    assert result.exit_code == 3
    # http templates run now; one that targets the internet is refused up front for needing the network
    assert "unsupported: template 'main': https://example.com is not on this machine (needs the network" in (
        result.output
    )


def test_workflow_template_runs_like_submit_from_with_library_refs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lib = tmp_path / "lib"
    lib.mkdir()
    _write(
        lib,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: ClusterWorkflowTemplate
        metadata: {name: say}
        spec:
          templates:
          - name: say
            inputs: {parameters: [{name: m}]}
            container: {image: busybox, command: [echo], args: ["{{inputs.parameters.m}} {{workflow.parameters.x}}"]}
        """,
        "say.yaml",
    )
    wft = _write(
        tmp_path,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: WorkflowTemplate
        metadata: {name: caller}
        spec:
          entrypoint: main
          arguments: {parameters: [{name: x, value: from-template}]}
          templates:
          - name: main
            steps:
            - - name: call
                templateRef: {name: say, template: say, clusterScope: true}
                arguments: {parameters: [{name: m, value: hi}]}
        """,
    )
    result = runner.invoke(app, ["run", str(wft), "--with", str(lib), "-p", "x=given", "-o", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["metadata"]["name"].startswith("caller-")
    nodes = {n["displayName"]: n for n in doc["status"]["nodes"].values()}
    assert nodes["call"]["outputs"]["result"] == "hi given"
    assert nodes["call"]["templateScope"] == "cluster/say"
    assert nodes["call"]["templateRef"] == {"name": "say", "template": "say", "clusterScope": True}
