"""``wfsync submit`` and ``stop`` through Typer's runner.

Refusals that need no cluster (local target, invalid input) first; then both real transports (the
test Kubernetes API server with :class:`KubernetesWorkflows`, and the fake Argo Server with
:class:`ArgoServerWorkflows` through ``ARGO_SERVER``), with the test controller advancing the
created workflows from recorded status frames.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfsync.cli.app import app

CONFIG = """\
library: library
libraryId: demo
targets:
  local:
    type: embedded
    namespace: ci
  kube:
    type: kubernetes
    kubeconfig: kubeconfig
    namespace: ci
    allowedContexts: [wfsync-test]
"""
SAY = """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: say
  labels: {wfsync.io/version: "VERSION"}
spec:
  templates:
    - name: main
      inputs: {parameters: [{name: msg}]}
      container: {image: alpine:3, command: [echo], args: ["{{inputs.parameters.msg}}"]}
"""
HELLO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: msg, value: hello}]}
  templates:
    - name: main
      steps:
        - - name: a
            templateRef: {name: say, template: main, clusterScope: true}
            arguments: {parameters: [{name: msg, value: "{{workflow.parameters.msg}}"}]}
          - name: b
            template: local
    - name: local
      container: {image: alpine:3, command: [echo, b]}
"""
INVALID = HELLO.replace("entrypoint: main", "entrypoint: mian")


def wfsync(*args: str) -> tuple[int, str, str]:
    """Run the CLI; exit code, stdout, stderr."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose library holds ``say`` 1.0.0, with ``hello.yaml`` referring to it."""
    root = tmp_path / "repo"
    (root / "library").mkdir(parents=True)
    (root / "wfsync.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "library" / "say.yaml").write_text(SAY.replace("VERSION", "1.0.0"), encoding="utf-8")
    (root / "hello.yaml").write_text(HELLO, encoding="utf-8")
    (root / "invalid.yaml").write_text(INVALID, encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    monkeypatch.chdir(root)
    for var in ("WFSYNC_TARGET", "ARGO_SERVER", "ARGO_TOKEN", "ARGO_NAMESPACE"):
        monkeypatch.delenv(var, raising=False)
    return root


def test_embedded_target_cannot_run_workflows(repo: Path) -> None:
    code, out, err = wfsync("submit", "hello.yaml")
    assert code == 2
    assert "target 'local' is an embedded store and cannot run workflows" in err
    assert "wfsync run" in err
    assert out == ""


def test_invalid_workflow_refused_before_any_request(repo: Path) -> None:
    # the kubeconfig points nowhere: a request would fail with 3, the refusal comes first with 2
    (repo / "kubeconfig").write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    code, _, err = wfsync("submit", "invalid.yaml", "--target", "kube")
    assert code == 2, err
    assert "invalid.yaml:" in err and "mian" in err


def test_file_and_from_are_exclusive(repo: Path) -> None:
    code, _, err = wfsync("submit", "hello.yaml", "--from", "workflowtemplate/x", "--target", "kube")
    assert code == 2
    assert "either FILE or --from" in err
    code, _, err = wfsync("submit", "--target", "kube")
    assert code == 2


def test_unknown_output_format(repo: Path) -> None:
    code, _, err = wfsync("submit", "hello.yaml", "-o", "markdown")
    assert code == 2
    assert "--output markdown is not available here" in err


def test_unknown_target(repo: Path) -> None:
    code, _, err = wfsync("stop", "hello-x", "--target", "nope")
    assert code == 2
    assert "unknown target 'nope'" in err


def test_json_error_document(repo: Path) -> None:
    code, out, _ = wfsync("submit", "hello.yaml", "-o", "json")
    assert code == 2
    doc = json.loads(out)
    assert doc["schemaVersion"] == 1 and doc["error"]["code"] == "usage"
