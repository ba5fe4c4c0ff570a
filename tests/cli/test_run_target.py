"""``wfsync run --target``: templateRef and workflowTemplateRef resolve from a target's live state.

A repository is pushed to its embedded target (or the test Kubernetes API server), then the
library is changed without pushing: a run with ``--target`` must use what the target holds, a run
without it what the library says.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.kube.server import KubeServer
from wfsync.cli.app import app
from wfsync.cluster.embedded import EmbeddedCluster

CWT = """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: say
  labels: {wfsync.io/version: "1.0.0"}
spec:
  templates:
    - name: main
      inputs: {parameters: [{name: msg}]}
      container:
        image: alpine:3
        command: [echo]
        args: ["{{inputs.parameters.msg}} from VERSION"]
"""
WT = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: ci
  labels: {wfsync.io/version: "1.0.0"}
spec:
  entrypoint: run
  arguments: {parameters: [{name: msg, value: hello}]}
  templates:
    - name: run
      steps:
        - - name: say
            templateRef: {name: say, template: main, clusterScope: true}
            arguments: {parameters: [{name: msg, value: "{{workflow.parameters.msg}}"}]}
"""
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
REF_RUN = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: by-ref-}
spec:
  workflowTemplateRef: {name: ci}
  arguments: {parameters: [{name: msg, value: hi}]}
"""


def _wfsync(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "library").mkdir(parents=True)
    (root / "wfsync.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "library" / "say.yaml").write_text(CWT.replace("VERSION", "pushed"), encoding="utf-8")
    (root / "library" / "ci.yaml").write_text(WT, encoding="utf-8")
    (root / "run.yaml").write_text(REF_RUN, encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    monkeypatch.chdir(root)
    monkeypatch.delenv("WFSYNC_TARGET", raising=False)
    return root


def _result(out: str) -> str:
    doc = json.loads(out)
    pods = [n for n in doc["status"]["nodes"].values() if n["type"] == "Pod"]
    assert len(pods) == 1, doc["status"]
    return str(pods[0]["outputs"]["result"])


@pytest.mark.parametrize("target", ["local", "kube"])
def test_target_live_state_wins_over_the_library(
    repo: Path, target: str, request: pytest.FixtureRequest
) -> None:
    if target == "kube":
        server: KubeServer = request.getfixturevalue("shared_kube_server")
        server.write_kubeconfig(repo / "kubeconfig")
    code, _, err = _wfsync("push", "--yes", "--target", target)
    assert code == 0, err
    (repo / "library" / "say.yaml").write_text(CWT.replace("VERSION", "the library"), encoding="utf-8")

    code, out, err = _wfsync("run", "run.yaml", "-o", "json", "--target", target)
    assert code == 0, err
    assert _result(out) == "hi from pushed"
    doc = json.loads(out)
    assert doc["metadata"]["namespace"] == "ci"
    assert doc["status"]["storedWorkflowTemplateSpec"]["entrypoint"] == "run"

    code, out, err = _wfsync("run", "run.yaml", "-o", "json")
    assert code == 0, err
    assert _result(out) == "hi from the library"


def test_template_missing_from_the_target_names_the_target(repo: Path) -> None:
    code, _, err = _wfsync("run", "run.yaml", "--target", "local")
    assert code == 3
    assert "workflowtemplates.argoproj.io \"ci\" not found (not in target 'local'" in err
    assert "push it there, or give the file with --with" in err


def test_with_paths_still_apply_on_top_of_the_target(repo: Path) -> None:
    assert _wfsync("push", "--yes")[0] == 0
    extra = repo / "extra.yaml"
    extra.write_text(CWT.replace("VERSION", "--with"), encoding="utf-8")
    code, out, err = _wfsync("run", "run.yaml", "-o", "json", "--target", "local", "--with", str(extra))
    assert code == 0, err
    assert _result(out) == "hi from --with"


def test_unknown_target_is_a_usage_error(repo: Path) -> None:
    code, _, err = _wfsync("run", "run.yaml", "--target", "nope")
    assert code == 2
    assert "unknown target 'nope'" in err


RESOURCE_RUN = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: make-cm-}
spec:
  entrypoint: make
  templates:
    - name: make
      resource:
        action: create
        manifest: |
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: made}
          data: {by: run}
"""


def test_resource_templates_act_on_an_embedded_target_s_own_store(repo: Path) -> None:
    (repo / "wfsync.yaml").write_text(CONFIG + "  other:\n    type: embedded\n    namespace: ci\n")
    assert _wfsync("push", "--yes", "--target", "other")[0] == 0
    (repo / "cm.yaml").write_text(RESOURCE_RUN, encoding="utf-8")

    code, _, err = _wfsync("run", "cm.yaml", "--target", "other")
    assert code == 0, err
    other = EmbeddedCluster(repo / ".wfsync" / "cluster-other", any_kind=True)
    made = other.get("ConfigMap", "ci", "made")
    assert made is not None and made["data"] == {"by": "run"}
    assert EmbeddedCluster(repo / ".wfsync" / "cluster", any_kind=True).get("ConfigMap", "ci", "made") is None

    code, _, err = _wfsync("run", "cm.yaml", "--target", "other")
    assert code == 1, "a second create of the same ConfigMap in that store must fail as on a cluster"
