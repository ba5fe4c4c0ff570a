"""``wfsync diff / push / status`` end to end, through Typer's runner, on both backends.

The embedded target stores under ``.wfsync/cluster``; the Kubernetes target talks over real
HTTP to the test API server through the official client. Repositories are real git repositories.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.kube.server import KubeServer
from wfsync.cli.app import app
from wfsync.cluster.embedded import EmbeddedCluster

CWT = """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: build
  labels:
    wfsync.io/version: "1.0.0"
spec:
  templates:
    - name: main
      inputs:
        parameters:
          - name: msg
      container:
        image: alpine:3
        command: [echo]
        args: ["{{inputs.parameters.msg}}"]
"""
WT = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: ci
  labels:
    wfsync.io/version: "1.0.0"
spec:
  entrypoint: run
  templates:
    - name: run
      steps:
        - - name: build
            templateRef:
              name: build
              template: main
              clusterScope: true
            arguments:
              parameters:
                - name: msg
                  value: hello
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
  prod:
    type: kubernetes
    kubeconfig: kubeconfig
    namespace: ci
    allowedContexts: [prod-cluster]
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "library").mkdir(parents=True)
    (root / "wfsync.yaml").write_text(CONFIG)
    (root / "library" / "build.yaml").write_text(CWT)
    (root / "library" / "ci.yaml").write_text(WT)
    (root / ".gitignore").write_text(".wfsync/\nkubeconfig\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1")
    git(root, "tag", "v1")
    monkeypatch.chdir(root)
    monkeypatch.delenv("WFSYNC_TARGET", raising=False)
    return root


def wfsync(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


class Live:
    """Read and edit what a target holds, behind wfsync's back."""

    def __init__(self, target: str, repo: Path, server: KubeServer | None) -> None:
        self.target, self.repo, self.server = target, repo, server

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        ns = None if kind == "ClusterWorkflowTemplate" else "ci"
        if self.server is not None:
            plural = "clusterworkflowtemplates" if ns is None else "workflowtemplates"
            return self.server.get(plural, ns, name)
        return EmbeddedCluster(self.repo / ".wfsync" / "cluster").get(kind, ns, name)

    def edit(self, kind: str, name: str, change: Callable[[dict[str, Any]], None]) -> None:
        obj = self.get(kind, name)
        assert obj is not None
        change(obj)
        if self.server is not None:
            self.server.put(obj)
        else:
            EmbeddedCluster(self.repo / ".wfsync" / "cluster").update(obj)

    def put(self, obj: dict[str, Any]) -> None:
        if self.server is not None:
            self.server.put(obj)
        else:
            EmbeddedCluster(self.repo / ".wfsync" / "cluster").create(obj)

    def writes(self) -> int:
        """Write requests so far (Kubernetes), or the embedded store's resourceVersion."""
        if self.server is not None:
            return len(self.server.log.writes())
        state = self.repo / ".wfsync" / "cluster" / "state.json"
        return json.loads(state.read_text())["resourceVersion"] if state.exists() else 0


@pytest.fixture(params=["local", "kube"])
def live(request: pytest.FixtureRequest, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Live:
    server = None
    if request.param == "kube":
        server = request.getfixturevalue("shared_kube_server")
        server.write_kubeconfig(repo / "kubeconfig")
    monkeypatch.setenv("WFSYNC_TARGET", request.param)
    return Live(request.param, repo, server)


def test_push_then_diff_is_clean_and_a_second_push_writes_nothing(live: Live) -> None:
    code, out, _ = wfsync("diff")
    assert (
        code == 1 and "+ create    ClusterWorkflowTemplate/build" in out and "WorkflowTemplate/ci/ci" in out
    )
    code, out, err = wfsync("push", "--yes")
    assert code == 0, err
    assert out.index("created ClusterWorkflowTemplate/build") < out.index("created WorkflowTemplate/ci/ci")
    code, out, _ = wfsync("diff")
    assert code == 0 and "in sync: 2 objects unchanged" in out
    before = live.writes()
    code, out, _ = wfsync("push", "--yes")
    assert code == 0 and "nothing to do" in out
    assert live.writes() == before
    obj = live.get("WorkflowTemplate", "ci")
    assert obj is not None
    meta = obj["metadata"]
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "wfsync"
    assert meta["labels"]["wfsync.io/library"] == "demo" and meta["labels"]["wfsync.io/version"] == "1.0.0"
    assert meta["annotations"]["wfsync.io/source-path"] == "library/ci.yaml"
    assert meta["annotations"]["wfsync.io/source-commit"] == git(live.repo, "rev-parse", "HEAD")
    assert meta["annotations"]["wfsync.io/content-hash"].startswith("sha256:")
    code, out, _ = wfsync("status", "-o", "json")
    doc = json.loads(out)
    assert code == 0 and [o["name"] for o in doc["objects"]] == ["build", "ci"]
    assert all(o["version"] == "1.0.0" and o["inLibrary"] and not o["drift"] for o in doc["objects"])


def test_update_shows_a_semantic_diff_and_json(live: Live) -> None:
    assert wfsync("push", "--yes")[0] == 0
    path = live.repo / "library" / "build.yaml"
    path.write_text(CWT.replace("alpine:3", "alpine:4"))
    code, out, _ = wfsync("diff", "--unified")
    assert code == 1
    assert "~ update    ClusterWorkflowTemplate/build" in out
    assert '~ spec.templates[main].container.image: "alpine:3" -> "alpine:4"' in out
    assert "-      image: alpine:3" in out and "+      image: alpine:4" in out
    code, out, _ = wfsync("diff", "-o", "json")
    doc = json.loads(out)
    assert doc["schemaVersion"] == 1 and doc["command"] == "diff" and not doc["inSync"]
    assert doc["summary"]["update"] == 1 and doc["summary"]["unchanged"] == 1
    assert doc["sourceCommit"].endswith("-dirty")
    (changed,) = [o for o in doc["objects"] if o["action"] == "update"]
    assert changed["changes"] == [
        {
            "path": "spec.templates[main].container.image",
            "change": "changed",
            "before": "alpine:3",
            "after": "alpine:4",
        }
    ]
    code, out, _ = wfsync("diff", "-o", "markdown")
    assert code == 1 and "| update | `ClusterWorkflowTemplate/build` |" in out and "<details>" in out
    before = live.writes()
    assert wfsync("push", "--yes")[0] == 0
    assert live.writes() == before + 1
    obj = live.get("ClusterWorkflowTemplate", "build")
    assert obj is not None and obj["metadata"]["annotations"]["wfsync.io/source-commit"].endswith("-dirty")
    assert wfsync("diff")[0] == 0


def test_drift_is_reported_and_only_force_overwrites_it(live: Live) -> None:
    assert wfsync("push", "--yes")[0] == 0
    live.edit("WorkflowTemplate", "ci", lambda o: o["spec"].update(entrypoint="hand-edited"))
    code, out, _ = wfsync("diff")
    assert code == 1 and "! drift     WorkflowTemplate/ci/ci" in out and "edited outside git" in out
    assert '~ spec.entrypoint: "hand-edited" -> "run"' in out
    code, out, _ = wfsync("status")
    assert code == 1 and "drift" in out
    code, out, err = wfsync("push", "--yes")
    assert code == 3 and "WorkflowTemplate/ci/ci: not pushed: edited outside git" in err
    assert live.get("WorkflowTemplate", "ci")["spec"]["entrypoint"] == "hand-edited"  # type: ignore[index]
    code, out, err = wfsync("push", "--yes", "--force")
    assert code == 0, err
    assert live.get("WorkflowTemplate", "ci")["spec"]["entrypoint"] == "run"  # type: ignore[index]
    assert wfsync("diff")[0] == 0


def test_unmanaged_object_with_the_same_name_is_never_taken_over(live: Live) -> None:
    live.put(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "WorkflowTemplate",
            "metadata": {"name": "ci", "namespace": "ci"},
            "spec": {"entrypoint": "theirs"},
        }
    )
    code, out, _ = wfsync("diff")
    assert code == 1 and "! conflict  WorkflowTemplate/ci/ci" in out and "not managed by wfsync" in out
    for args in (("push", "--yes"), ("push", "--yes", "--force")):
        code, out, err = wfsync(*args)
        assert code == 3 and "WorkflowTemplate/ci/ci: not pushed: exists but is not managed by wfsync" in err
        assert "created ClusterWorkflowTemplate/build" in out or "nothing written" in out
    assert live.get("WorkflowTemplate", "ci")["spec"] == {"entrypoint": "theirs"}  # type: ignore[index]


def test_prune_is_opt_in_and_refuses_referenced_templates(live: Live) -> None:
    assert wfsync("push", "--yes")[0] == 0
    (live.repo / "library" / "build.yaml").unlink()
    code, out, err = wfsync("push", "--yes", "--prune")
    # the WorkflowTemplate still refers to it: lint refuses the library, nothing is pruned
    assert code == 1 and "nothing was pushed" in err
    (live.repo / "library" / "ci.yaml").write_text(
        WT.replace("templateRef:\n              name: build", "templateRef:\n              name: other")
    )
    (live.repo / "library" / "other.yaml").write_text(CWT.replace("name: build", "name: other"))
    code, out, err = wfsync("push", "--yes")
    assert code == 0, err
    assert "- prune     ClusterWorkflowTemplate/build" in out and "prune is not enabled" in out
    assert live.get("ClusterWorkflowTemplate", "build") is not None
    code, out, _ = wfsync("diff")
    assert code == 1 and "not applied: prune is not enabled" in out
    code, out, err = wfsync("push", "--yes", "--prune")
    assert code == 0, err
    assert "deleted ClusterWorkflowTemplate/build" in out
    assert live.get("ClusterWorkflowTemplate", "build") is None
    assert wfsync("diff")[0] == 0


def test_a_target_with_prune_never_refuses_prune_before_any_request(repo: Path, kube: KubeServer) -> None:
    (repo / "wfsync.yaml").write_text(
        CONFIG.replace(
            "    allowedContexts: [wfsync-test]\n",
            "    allowedContexts: [wfsync-test]\n    prune: never\n",
            1,
        )
    )
    before = len(kube.log.records)
    code, _, err = wfsync("push", "--yes", "--prune", "--target", "kube")
    assert code == 2
    assert "target 'kube' forbids prune (prune: never in wfsync.yaml); nothing was pushed" in err
    assert len(kube.log.records) == before, "refused before any request"
    code, _, err = wfsync("push", "--yes", "--target", "kube")
    assert code == 0, err


def test_prune_never_on_an_empty_library(live: Live) -> None:
    assert wfsync("push", "--yes")[0] == 0
    for path in (live.repo / "library").glob("*.yaml"):
        path.unlink()
    code, out, err = wfsync("push", "--yes", "--prune")
    assert code == 3 and "never prunes on an empty desired set" in err
    assert (
        live.get("WorkflowTemplate", "ci") is not None
        and live.get("ClusterWorkflowTemplate", "build") is not None
    )


def test_ref_rolls_back_without_touching_the_working_tree(live: Live) -> None:
    v1 = git(live.repo, "rev-parse", "HEAD")
    (live.repo / "library" / "build.yaml").write_text(CWT.replace("alpine:3", "alpine:4"))
    git(live.repo, "commit", "-qam", "v2")
    assert wfsync("push", "--yes")[0] == 0
    assert "alpine:4" in json.dumps(live.get("ClusterWorkflowTemplate", "build"))
    (live.repo / "library" / "ci.yaml").write_text(WT + "# uncommitted work\n")
    code, out, _ = wfsync("diff", "--ref", "v1")
    assert code == 1 and '"alpine:4" -> "alpine:3"' in out and f"--ref v1 ({v1[:12]})" in out
    code, out, err = wfsync("push", "--ref", "v1", "--yes")
    assert code == 0, err
    obj = live.get("ClusterWorkflowTemplate", "build")
    assert obj is not None and obj["spec"]["templates"][0]["container"]["image"] == "alpine:3"
    assert obj["metadata"]["annotations"]["wfsync.io/source-commit"] == v1
    assert (live.repo / "library" / "build.yaml").read_text().count("alpine:4") == 1
    assert (live.repo / "library" / "ci.yaml").read_text().endswith("# uncommitted work\n")
    assert git(live.repo, "status", "--porcelain") == "M library/ci.yaml"
    assert wfsync("diff", "--ref", "v1")[0] == 0
    code, _, err = wfsync("diff", "--ref", "no-such-tag")
    assert code == 2 and "--ref no-such-tag: not a commit, branch or tag" in err


def test_lint_errors_mean_nothing_is_applied(live: Live) -> None:
    (live.repo / "library" / "ci.yaml").write_text(WT.replace("entrypoint: run", "entrypoint: missing"))
    code, out, err = wfsync("push", "--yes")
    assert code == 1 and "ci.yaml" in out and "nothing was pushed" in err
    assert live.get("ClusterWorkflowTemplate", "build") is None and live.writes() == 0


def test_without_a_tty_push_needs_yes(live: Live) -> None:
    code, _, err = wfsync("push")
    assert code == 2 and "no terminal to confirm on" in err and "wfsync push --yes" in err
    assert live.get("ClusterWorkflowTemplate", "build") is None
    code, out, _ = wfsync("push", "--dry-run")
    assert code == 0 and "(dry run: nothing stored)" in out
    assert live.get("ClusterWorkflowTemplate", "build") is None


def test_two_pushes_racing_conflict_and_the_rerun_converges(live: Live) -> None:
    from wfsync.commands.push import execute_push, prepare_push

    assert wfsync("push", "--yes")[0] == 0
    (live.repo / "library" / "build.yaml").write_text(CWT.replace("alpine:3", "alpine:4"))
    with prepare_push(live.repo, target=None, ref=None, prune=False, force=False) as first:
        # a second push lands between the first one's plan and its write
        (live.repo / "library" / "build.yaml").write_text(CWT.replace("alpine:3", "alpine:5"))
        assert wfsync("push", "--yes")[0] == 0
        result = execute_push(first, dry_run=False)
    assert result.failed is not None and result.applied == []
    change, err = result.failed
    assert str(change.identity) == "ClusterWorkflowTemplate/build" and "ClusterWorkflowTemplate/build" in str(
        err
    )
    assert "alpine:5" in json.dumps(live.get("ClusterWorkflowTemplate", "build"))  # nothing lost
    code, out, _ = wfsync("diff")
    assert code == 0


def test_target_selection(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = wfsync("diff", "--target", "nope")
    assert code == 2 and "unknown target 'nope'" in err and "kube, local, prod" in err
    monkeypatch.setenv("WFSYNC_TARGET", "nope2")
    code, _, err = wfsync("status")
    assert code == 2 and "unknown target 'nope2'" in err


# -- Kubernetes-only failures ---------------------------------------------------------------------


@pytest.fixture
def kube(repo: Path, shared_kube_server: KubeServer, monkeypatch: pytest.MonkeyPatch) -> KubeServer:
    shared_kube_server.write_kubeconfig(repo / "kubeconfig")
    monkeypatch.setenv("WFSYNC_TARGET", "kube")
    return shared_kube_server


def test_context_not_allowed_sends_nothing(kube: KubeServer) -> None:
    code, _, err = wfsync("push", "--target", "prod", "--yes")
    assert code == 3 and "context 'wfsync-test' is not allowed" in err and "nothing was sent" in err
    assert kube.log.records == []


def test_forbidden_namespace_names_it(kube: KubeServer) -> None:
    kube.forbid("ci")
    code, _, err = wfsync("diff")
    assert code == 3 and "WorkflowTemplates in namespace 'ci': forbidden" in err
    assert "Traceback" not in err


def test_missing_crds_are_said_clearly(kube: KubeServer) -> None:
    for plural in ("workflowtemplates", "clusterworkflowtemplates"):
        kube.uninstall_crd(plural)
    kube.log.clear()
    code, _, err = wfsync("diff")
    assert (
        code == 3
        and "the Argo CRDs are not installed" in err
        and "ClusterWorkflowTemplate, WorkflowTemplate" in err
    )
    # lists are sent while the library is read, but only once discovery said the CRDs are there
    assert kube.log.by_verb() == {"discovery": 1}


def test_unreachable_cluster(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with KubeServer() as server:
        server.write_kubeconfig(repo / "kubeconfig")
    monkeypatch.setenv("WFSYNC_TARGET", "kube")
    code, _, err = wfsync("diff")
    assert code == 3 and "no answer from context 'wfsync-test'" in err


def test_a_refusal_in_the_dry_run_writes_nothing(kube: KubeServer) -> None:
    kube.fail(500, count=None, verb="create", path="/namespaces/ci/workflowtemplates", dry_run=True)
    code, _, err = wfsync("push", "--yes")
    assert code == 3
    assert "answered 500 InternalError" in err
    assert "0 object(s) written before the failure" in err
    assert kube.log.writes() == [] and kube.objects() == []
    assert kube.log.count("create") == 2, "a deterministic 500 is not retried"


def test_server_errors_half_way_then_a_rerun_converges(kube: KubeServer) -> None:
    kube.fail(503, count=None, verb="create", path="/namespaces/ci/workflowtemplates", dry_run=False)
    code, out, err = wfsync("push", "--yes")
    assert code == 3
    assert "created ClusterWorkflowTemplate/build" in out
    assert "WorkflowTemplate/ci/ci: cannot create WorkflowTemplate/ci/ci" in err and "answered 503" in err
    assert "1 object(s) written before the failure (ClusterWorkflowTemplate/build)" in err
    assert kube.get("clusterworkflowtemplates", None, "build") is not None
    kube.faults.clear()
    kube.log.clear()
    code, out, err = wfsync("push", "--yes")
    assert code == 0, err
    assert [r.verb for r in kube.log.writes()] == ["create"]
    assert wfsync("diff")[0] == 0


def test_request_counts_for_diff_and_push(kube: KubeServer, repo: Path) -> None:
    for i in range(3):
        for ns in ("a", "b"):
            body = WT.replace("name: ci\n", f"name: t{i}\n  namespace: {ns}\n", 1)
            (repo / "library" / f"t{i}-{ns}.yaml").write_text(body)
    code, _, err = wfsync("push", "--yes")
    assert code == 0, err
    assert len(kube.log.writes()) == 8 and kube.log.count("get") == 0
    (repo / "library" / "t0-a.yaml").write_text(
        (repo / "library" / "t0-a.yaml").read_text().replace("value: hello", "value: changed")
    )
    kube.log.clear()
    assert wfsync("diff")[0] == 1
    lists = kube.log.lists()
    assert set(lists.values()) == {1}
    assert set(lists) == {
        ("clusterworkflowtemplates", None),
        ("workflowtemplates", "a"),
        ("workflowtemplates", "b"),
        ("workflowtemplates", "ci"),
        ("workflowtemplates", None),  # this library's objects in namespaces it no longer uses
    }
    assert kube.log.count("get") == 0
    kube.log.clear()
    assert wfsync("push", "--yes", "--dry-run")[0] == 0
    assert [(r.verb, r.name, r.dry_run) for r in kube.log.writes(include_dry_run=True)] == [
        ("update", "t0", True)
    ]
    kube.log.clear()
    assert wfsync("push", "--yes")[0] == 0
    assert [(r.verb, r.namespace, r.name) for r in kube.log.writes()] == [("update", "a", "t0")]
    assert kube.log.count("get") == 0


def test_templates_left_in_a_namespace_the_library_dropped_are_pruned(kube: KubeServer, repo: Path) -> None:
    body = WT.replace("name: ci\n", "name: gone\n  namespace: old\n", 1)
    (repo / "library" / "gone.yaml").write_text(body)
    assert wfsync("push", "--yes")[0] == 0
    (repo / "library" / "gone.yaml").unlink()
    code, out, _ = wfsync("diff")
    assert code == 1 and "prune" in out and "WorkflowTemplate/old/gone" in out
    assert wfsync("push", "--yes", "--prune")[0] == 0
    assert kube.get("workflowtemplates", "old", "gone") is None
    assert wfsync("diff")[0] == 0


def test_a_non_string_top_level_key_is_named_not_a_crash(repo: Path) -> None:
    (repo / "library" / "odd.yaml").write_text(WT.replace("name: ci\n", "name: odd\n") + "1: x\n")
    for command in (["diff"], ["status"], ["diff", "--no-cache"]):
        code, _, err = wfsync(*command)
        assert code == 2, (command, err)
        assert (
            "library/odd.yaml:1: WorkflowTemplate 'odd' has a top-level key that is not a field name: 1"
            in err
        )
    code, out, _ = wfsync("push", "--yes")  # push lints first: the lint finding, nothing pushed
    assert code == 1 and "odd.yaml" in out


def test_lists_overlap_the_library_read_yet_stay_one_per_kind_and_namespace(
    kube: KubeServer, repo: Path
) -> None:
    for i in range(8):
        body = WT.replace("name: ci\n", f"name: t{i}\n  namespace: ns{i % 4}\n", 1)
        (repo / "library" / f"t{i}.yaml").write_text(body)
    assert wfsync("push", "--yes")[0] == 0
    kube.latency = 0.05  # every answer takes a while: the requests are in flight together
    try:
        for args in (["diff"], ["diff", "--no-cache"], ["status"]):
            kube.log.clear()
            assert wfsync(*args)[0] == 0, args
            lists = kube.log.lists()
            assert set(lists.values()) == {1}, (args, lists)
            assert kube.log.count("get") == 0
    finally:
        kube.latency = 0
    (repo / "library" / "t3.yaml").write_text("kind: [unclosed\n")
    kube.log.clear()
    code, _, err = wfsync("diff")
    assert code == 2 and "library/t3.yaml" in err
    assert kube.log.count("get") == 0 and set(kube.log.lists().values()) <= {1}


SCRIPTED = """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: scripted
  labels:
    wfsync.io/version: "1.0.0"
spec:
  templates:
    - name: main
      script:
        image: alpine:3
        command: [sh]
        source: |
          set -eu
          echo "one"
          echo "two"
          echo "three"
"""


def test_a_changed_script_shows_its_changed_lines(repo: Path) -> None:
    (repo / "library" / "scripted.yaml").write_text(SCRIPTED)
    assert wfsync("push", "--yes")[0] == 0
    (repo / "library" / "scripted.yaml").write_text(SCRIPTED.replace('echo "two"', 'echo "2"'))

    code, out, _ = wfsync("diff")
    assert code == 1
    assert '~ spec.templates[main].script.source:\n          -echo "two"\n          +echo "2"\n' in out

    code, out, _ = wfsync("diff", "-o", "markdown")
    assert '~ spec.templates[main].script.source:\n-echo "two"\n+echo "2"\n' in out

    code, out, _ = wfsync("diff", "--unified")
    assert (
        '       source: |\n         set -eu\n         echo "one"\n-        echo "two"\n+        echo "2"\n'
        in out
    )
