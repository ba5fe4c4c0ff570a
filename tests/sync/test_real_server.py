"""Push against a server that stores what a real kube-apiserver stores: Argo's full CRD schemas
(defaults filled in, unknown fields pruned or refused, Go number encoding), Strict field
validation, Warning headers, RBAC limited to a namespace.

After a push, diff must show no change and no drift for every template, from the project's own
library, from Argo's examples (their WorkflowTemplates and ClusterWorkflowTemplates, and their
Workflows pushed as WorkflowTemplates) and from GitHub's CI starter workflows converted by
wfsync (pushed as WorkflowTemplates); an edit made outside git must still be drift.
``pytest -s tests/sync/test_real_server.py -k clean`` prints the counts per source.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.kube.schema import argo_crds_available
from tests.kube.server import KubeServer
from wfsync.cli.app import app
from wfsync.commands.syncstate import sync_state
from wfsync.sync.apply import apply_plan
from wfsync.sync.locate import locator

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT.parent / "shared" / "corpus" / "argo" / "examples"
STARTERS = ROOT.parent / "shared" / "corpus" / "gha" / "starter-workflows" / "ci"
CONFIG = """\
library: library
libraryId: real
defaultTarget: kube
targets:
  kube:
    type: kubernetes
    kubeconfig: kubeconfig
    namespace: ci
"""
TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")


def wfsync(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def make_repo(root: Path, server: KubeServer, extra_config: str = "") -> Path:
    (root / "library").mkdir(parents=True)
    (root / "wfsync.yaml").write_text(CONFIG + extra_config)
    (root / ".gitignore").write_text(".wfsync/\nkubeconfig\n")
    server.write_kubeconfig(root / "kubeconfig")
    for args in (["init", "-q"], ["config", "user.email", "t@example.com"], ["config", "user.name", "t"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def _commit(root: Path) -> None:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "library"], cwd=root, check=True, capture_output=True)


def example_templates() -> list[dict[str, Any]]:
    """Argo's example WorkflowTemplates and ClusterWorkflowTemplates, as they are."""
    return [
        doc
        for path in sorted(EXAMPLES.rglob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and doc.get("kind") in TEMPLATE_KINDS
    ]


def converted_starter_workflows() -> list[dict[str, Any]]:
    """GitHub's CI starter workflows converted by ``wfsync convert github-actions``, used as templates."""
    with tempfile.TemporaryDirectory(prefix="wfsync-converted-") as out:
        result = CliRunner().invoke(
            app,
            ["convert", "github-actions", str(STARTERS), "--starter", "--out-dir", out],
            catch_exceptions=False,
        )
        assert result.exit_code in (0, 1), result.stderr  # 1: some conversions incomplete (still written)
        return workflows_as_templates(Path(out), "starter")


def example_workflows_as_templates() -> list[dict[str, Any]]:
    """Argo's example Workflows, each pushed as a WorkflowTemplate of its own (same spec schema)."""
    return workflows_as_templates(EXAMPLES, "wf")


def workflows_as_templates(folder: Path, prefix: str) -> list[dict[str, Any]]:
    """Every Workflow under ``folder`` as a WorkflowTemplate of its own (the same spec schema)."""
    found = []
    for path in sorted(folder.rglob("*.yaml")):
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError:
            continue
        for index, doc in enumerate(docs):
            if (
                not isinstance(doc, dict)
                or doc.get("kind") != "Workflow"
                or not isinstance(doc.get("spec"), dict)
            ):
                continue
            name = path.relative_to(folder).with_suffix("").as_posix().replace("/", "-").replace("_", "-")
            name = f"{prefix}-{name.lower()}-{index}"[:63].rstrip("-.")
            found.append(
                {
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "WorkflowTemplate",
                    "metadata": {"name": name},
                    "spec": doc["spec"],
                }
            )
    return found


def _write(root: Path, docs: list[dict[str, Any]]) -> None:
    for index, doc in enumerate(docs):
        doc = {**doc, "metadata": {k: v for k, v in (doc.get("metadata") or {}).items() if k != "namespace"}}
        (root / "library" / f"t{index:04d}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def push_then_diff(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, int], dict[str, int], int]:
    """Push through the push command's own path (no lint: Argo's examples need not follow the library's
    rules), then plan again; the counts before and after, and how many objects the server held."""
    monkeypatch.chdir(root)
    state = sync_state(root, None, None)
    result = apply_plan(state.plan, state.cluster, locate=locator(state.library.root))
    assert result.failed is None, str(result.failed[1]) if result.failed else ""
    after = sync_state(root, None, None, use_cache=False).plan.counts
    return state.plan.counts, after, len(state.library.objects)


SOURCES = {
    "library": lambda: [
        doc
        for path in sorted((ROOT / "library").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and doc.get("kind") in TEMPLATE_KINDS
    ],
    "argo-examples": example_templates,
    "argo-example-workflows-as-templates": example_workflows_as_templates,
    "converted-starter-workflows": converted_starter_workflows,
}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_push_then_diff_is_clean_on_a_real_schema(
    source: str, argo_kube_server: KubeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if source.startswith("argo") and not EXAMPLES.is_dir():
        pytest.skip("Argo's examples are not in ../shared/corpus/argo/examples (the corpus is absent)")
    if source.startswith("converted") and not STARTERS.is_dir():
        pytest.skip(
            "the starter workflows are not in ../shared/corpus/gha/starter-workflows (the corpus is absent)"
        )
    root = make_repo(tmp_path / "repo", argo_kube_server)
    docs = SOURCES[source]()
    assert docs, f"no templates in {source}"
    _write(root, docs)
    _commit(root)
    before, after, total = push_then_diff(root, monkeypatch)
    assert before["create"] == total
    changed = {k: v for k, v in after.items() if k != "unchanged" and v}
    reshaped = sum(
        "wfsync.io/stored-hash" in o["metadata"]["annotations"] for o in argo_kube_server.objects()
    )
    print(
        f"\n{source}: {after['unchanged']}/{total} templates diffed clean after push "
        f"({reshaped} stored in another form than sent); other: {changed or 'none'}"
    )
    assert after == {**dict.fromkeys(after, 0), "unchanged": total}
    code, out, err = wfsync("diff")
    assert code == 0, out + err
    code, out, _ = wfsync("status")
    assert code == 0 and "edited outside git" not in out and "differs" not in out


def test_an_edit_outside_git_is_still_drift(
    argo_kube_server: KubeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "repo", argo_kube_server)
    (root / "library" / "t.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "WorkflowTemplate",
                "metadata": {"name": "t", "labels": {"wfsync.io/version": "1.0.0"}},
                "spec": {
                    "entrypoint": "main",
                    "templates": [
                        {
                            "name": "main",
                            "retryStrategy": {"limit": 2},
                            "container": {"image": "alpine:3", "ports": [{"containerPort": 80}]},
                        }
                    ],
                },
            }
        )
    )
    _commit(root)
    monkeypatch.chdir(root)
    code, out, err = wfsync("push", "--yes")
    assert code == 0, out + err
    stored = argo_kube_server.get("workflowtemplates", "ci", "t")
    assert stored is not None and "wfsync.io/stored-hash" in stored["metadata"]["annotations"]
    assert stored["spec"]["templates"][0]["container"]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert wfsync("diff")[0] == 0
    for attempt in range(3):  # every time, whatever the edit
        live = argo_kube_server.get("workflowtemplates", "ci", "t")
        assert live is not None
        live["spec"]["templates"][0]["container"]["image"] = f"alpine:3.{attempt}"
        argo_kube_server.put(live)
        code, out, _ = wfsync("-o", "json", "diff")
        assert code == 1
        assert json.loads(out)["summary"]["drift"] == 1
        code, out, err = wfsync("push", "--yes", "--force")
        assert code == 0, out + err
        assert wfsync("diff")[0] == 0
    # a library edit is an update, not drift
    text = (root / "library" / "t.yaml").read_text().replace("alpine:3", "alpine:4")
    (root / "library" / "t.yaml").write_text(text)
    code, out, _ = wfsync("-o", "json", "diff")
    assert (
        code == 1 and json.loads(out)["summary"]["update"] == 1 and json.loads(out)["summary"]["drift"] == 0
    )


def test_a_misspelled_field_fails_before_anything_is_written(
    argo_kube_server: KubeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "repo", argo_kube_server, "lint:\n  disable: [schema-unknown-field]\n")
    good = "apiVersion: argoproj.io/v1alpha1\nkind: ClusterWorkflowTemplate\nmetadata:\n  name: a\n  labels:\n    wfsync.io/version: 1.0.0\nspec:\n  templates:\n    - name: main\n      container:\n        image: alpine:3\n"
    bad = good.replace("ClusterWorkflowTemplate", "WorkflowTemplate").replace("name: a", "name: b")
    bad = bad.replace("        image: alpine:3\n", "        image: alpine:3\n        comand: [echo]\n")
    (root / "library" / "a.yaml").write_text(good)
    (root / "library" / "b.yaml").write_text(bad)
    _commit(root)
    monkeypatch.chdir(root)
    code, out, err = wfsync("push", "--yes")
    assert code == 3, out + err
    assert "library/b.yaml:12:" in err, err
    assert 'unknown field "spec.templates[0].container.comand"' in err
    assert "0 object(s) written before the failure" in err
    assert argo_kube_server.objects() == []
    writes = argo_kube_server.log.writes(include_dry_run=True)
    assert writes and all(r.query.get("fieldValidation") == "Strict" for r in writes if r.verb != "delete")
    assert all(r.query.get("fieldManager") == "wfsync" for r in writes if r.verb != "delete")


def test_a_namespace_scoped_credential_syncs_a_workflowtemplate_library(
    argo_kube_server: KubeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argo_kube_server.grant(
        "ci", resources=["workflowtemplates"], verbs=["get", "list", "create", "update", "delete"]
    )
    root = make_repo(tmp_path / "repo", argo_kube_server)
    (root / "library" / "t.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: t\n  labels:\n"
        "    wfsync.io/version: 1.0.0\nspec:\n  templates:\n    - name: main\n      container:\n        image: alpine:3\n"
    )
    _commit(root)
    monkeypatch.chdir(root)
    code, out, err = wfsync("push", "--yes")
    assert code == 0, out + err
    assert wfsync("diff")[0] == 0
    assert wfsync("status")[0] == 0
    assert argo_kube_server.get("workflowtemplates", "ci", "t") is not None
    lists = [
        r
        for r in argo_kube_server.log.records
        if r.verb == "list" and r.resource == "clusterworkflowtemplates"
    ]
    assert all("labelSelector" in r.query for r in lists), "only this library's leftovers are looked for"
    # a library that holds a ClusterWorkflowTemplate needs the cluster scope: the 403 says what is lacked
    shutil.copy(root / "library" / "t.yaml", root / "library" / "c.yaml")
    text = (
        (root / "library" / "c.yaml")
        .read_text()
        .replace("kind: WorkflowTemplate", "kind: ClusterWorkflowTemplate")
    )
    (root / "library" / "c.yaml").write_text(text.replace("name: t", "name: c"))
    code, _, err = wfsync("diff")
    assert code == 3
    assert "lack 'list' on clusterworkflowtemplates.argoproj.io at cluster scope" in err, err


def test_server_warnings_are_shown(
    argo_kube_server: KubeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "repo", argo_kube_server)
    (root / "library" / "t.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: t\n  labels:\n"
        "    wfsync.io/version: 1.0.0\nspec:\n  templates:\n    - name: main\n      container:\n        image: alpine:3\n"
    )
    _commit(root)
    monkeypatch.chdir(root)
    original = argo_kube_server.answer

    def answer(*args: Any, **kwargs: Any) -> Any:  # a deprecation warning, as an admission webhook sends
        warnings = args[5] if len(args) > 5 else kwargs.get("warnings")
        if warnings is not None and args[0] in ("POST", "PUT"):
            warnings.append("argoproj.io/v1alpha1 WorkflowTemplate: field spec.foo is deprecated")
        return original(*args, **kwargs)

    monkeypatch.setattr(argo_kube_server, "answer", answer)
    code, out, err = wfsync("push", "--yes")
    assert code == 0, out + err
    assert (
        "server warning: WorkflowTemplate/ci/t: argoproj.io/v1alpha1 WorkflowTemplate: field spec.foo is deprecated"
        in err
    )


pytestmark = pytest.mark.skipif(
    not argo_crds_available(),
    reason="Argo's full CRDs are not in ../shared/corpus/argo/crds (the corpus is absent)",
)
