"""``wfsync run --target``: templateRef and workflowTemplateRef resolve from a target's live state.

A repository is pushed to its embedded target (or the test Kubernetes API server), then the
library is changed without pushing: a run with ``--target`` must use what the target holds, a run
without it what the library says.
"""

from __future__ import annotations

import json
import shutil
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


# -- resource templates on a Kubernetes target ------------------------------------------------------

KUBE_RESOURCE_RUN = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: cm-}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: make
            template: make
        - - name: read
            template: read
    - name: make
      resource:
        action: create
        manifest: |
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: made, labels: {app: wfsync}}
          data: {by: run}
    - name: read
      resource:
        action: get
        successCondition: data.by == run
        manifest: |
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: made}
      outputs:
        parameters:
          - name: by
            valueFrom: {jsonPath: '{.data.by}'}
          - name: uid
            valueFrom: {jsonPath: '{.metadata.uid}'}
"""
ONE_RESOURCE = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: one-}
spec:
  entrypoint: act
  templates:
    - name: act
      resource:
        action: ACTION
MORE
        manifest: |
MANIFEST
"""


def _kube_repo(repo: Path, server: KubeServer) -> Path:
    return server.write_kubeconfig(repo / "kubeconfig")


def _pod_nodes(out: str) -> dict[str, dict[str, object]]:
    nodes = json.loads(out)["status"]["nodes"].values()
    return {str(n["displayName"]): n for n in nodes if n["type"] == "Pod"}


def _one_resource(repo: Path, manifest: str, more: str = "", action: str = "create") -> Path:
    indented = "\n".join("          " + line for line in manifest.strip().splitlines())
    text = ONE_RESOURCE.replace("MANIFEST", indented).replace("MORE\n", more).replace("ACTION", action)
    path = repo / "one.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_resource_templates_act_on_a_kubernetes_target(repo: Path, shared_kube_server: KubeServer) -> None:
    kubeconfig = _kube_repo(repo, shared_kube_server)
    (repo / "cm.yaml").write_text(KUBE_RESOURCE_RUN, encoding="utf-8")

    code, out, err = _wfsync("run", "cm.yaml", "-o", "json", "--target", "kube")
    assert code == 0, err
    made = shared_kube_server.get("configmaps", "ci", "made")
    assert made is not None and made["data"] == {"by": "run"}
    read = _pod_nodes(out)["read"]
    params = {p["name"]: p["value"] for p in read["outputs"]["parameters"]}  # type: ignore[index]
    assert params == {"by": "run", "uid": made["metadata"]["uid"]}
    # the run's own pods exist nowhere: a real cluster would schedule them
    assert shared_kube_server.log.count(resource="pods") == 0
    assert not [o for o in shared_kube_server.objects() if o.get("kind") == "Pod"]
    local = EmbeddedCluster(repo / ".wfsync" / "cluster", any_kind=True)
    assert local.get("ConfigMap", "ci", "made") is None
    if shutil.which("kubectl"):
        listed = subprocess.run(
            ["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(repo / "kube-cache")]
            + ["get", "configmaps", "-n", "ci", "-o", "name"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split() == ["configmap/made"]

    code, out, err = _wfsync("run", "cm.yaml", "-o", "json", "--target", "kube")
    assert code == 1, "a second create of the same ConfigMap on the cluster fails the node, as in Argo"
    make = _pod_nodes(out)["make"]
    assert make["phase"] == "Failed"
    assert 'configmaps "made" already exists' in str(make["message"])
    assert "ConfigMap ci/made" in str(make["message"])


def test_an_unknown_kind_names_the_kind_and_the_cluster(repo: Path, shared_kube_server: KubeServer) -> None:
    _kube_repo(repo, shared_kube_server)
    path = _one_resource(repo, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}")
    code, out, _ = _wfsync("run", str(path), "-o", "json", "--target", "kube")
    assert code == 1
    (node,) = _pod_nodes(out).values()
    message = str(node["message"])
    assert "kind 'Widget' (example.com/v1) is not served by context 'wfsync-test'" in message
    assert shared_kube_server.url in message
    assert shared_kube_server.log.writes() == []


def test_a_forbidden_namespace_names_the_object(repo: Path, shared_kube_server: KubeServer) -> None:
    _kube_repo(repo, shared_kube_server)
    shared_kube_server.forbid("prod", verbs=["create"], resources=["configmaps"])
    path = _one_resource(repo, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: prod}")
    code, out, _ = _wfsync("run", str(path), "-o", "json", "--target", "kube")
    assert code == 1
    (node,) = _pod_nodes(out).values()
    assert node["phase"] == "Failed"
    message = str(node["message"])
    assert message.startswith("cannot create ConfigMap prod/x: forbidden in context 'wfsync-test'")
    assert 'cannot create resource "configmaps" in API group "" in the namespace "prod"' in message
    assert shared_kube_server.get("configmaps", "prod", "x") is None


@pytest.mark.parametrize(
    ("more", "manifest", "reason"),
    [
        (
            "        setOwnerReference: true\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned}",
            "unsupported: setOwnerReference: the owner would be Workflow 'one-",
        ),
        (
            "",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  ownerReferences:\n"
            "  - {apiVersion: v1, kind: Pod, name: '{{pod.name}}', uid: x}",
            "unsupported: the resource template refers to its own pod 'one-",
        ),
        (
            "        flags: [pod, '{{pod.name}}']\n",
            "metadata: {labels: {patched: 'yes'}}",
            "unsupported: the resource template refers to its own pod 'one-",
        ),
        (
            "",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  ownerReferences:\n"
            "  - {apiVersion: argoproj.io/v1alpha1, kind: Workflow, name: '{{workflow.name}}', "
            "uid: '{{workflow.uid}}'}",
            "unsupported: the manifest's ownerReferences name Workflow 'one-",
        ),
    ],
    ids=["setOwnerReference", "pod-owner", "patch-own-pod", "workflow-owner"],
)
def test_what_needs_the_run_s_pod_or_workflow_is_refused_before_acting(
    repo: Path, shared_kube_server: KubeServer, more: str, manifest: str, reason: str
) -> None:
    _kube_repo(repo, shared_kube_server)
    path = _one_resource(repo, manifest, more, "patch" if "flags" in more else "create")
    code, out, _ = _wfsync("run", str(path), "-o", "json", "--target", "kube")
    assert code != 0
    (node,) = _pod_nodes(out).values()
    assert str(node["message"]).startswith(reason), node["message"]
    assert shared_kube_server.log.writes() == []
    assert shared_kube_server.get("configmaps", "ci", "owned") is None


def test_a_disallowed_context_is_refused_before_resource_templates_run(
    repo: Path, shared_kube_server: KubeServer
) -> None:
    shared_kube_server.write_kubeconfig(repo / "kubeconfig", context="prod")
    path = _one_resource(repo, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}")
    code, _, err = _wfsync("run", str(path), "--target", "kube")
    assert code == 3
    assert "context 'prod' is not allowed for this target" in err
    assert shared_kube_server.log.records == []


def test_a_kind_that_runs_pods_is_refused_on_a_kubernetes_target(
    repo: Path, shared_kube_server: KubeServer
) -> None:
    _kube_repo(repo, shared_kube_server)
    path = _one_resource(repo, "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: j-}")
    code, out, _ = _wfsync("run", str(path), "-o", "json", "--target", "kube")
    assert code != 0
    (node,) = _pod_nodes(out).values()
    assert str(node["message"]).startswith("unsupported: a Job runs pods on the cluster")
    assert shared_kube_server.log.writes() == []
