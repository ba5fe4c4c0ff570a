"""verify's comparison: the target's run followed quietly and compared with the local Workflow."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import corpus_path
from tests.harness.fakes import END, EXPIRE, HELLO_WORKFLOW, INTERRUPT, FakeWorkflows, frame, steps_status
from tests.kube.controller import Script, TestController
from tests.kube.server import KubeServer
from wfsync.cluster.kube_workflows import KubernetesWorkflows
from wfsync.cluster.kubernetes import KubernetesCluster
from wfsync.engine.run import RunRequest, run
from wfsync.errors import WfsyncError
from wfsync.harness.compare import compare
from wfsync.harness.verify import TargetDidNotFinish, verify_remote


def _local(phases: dict[str, str], phase: str) -> dict[str, Any]:
    status = steps_status("hello-local", phases, workflow_phase=phase)
    return {"kind": "Workflow", "metadata": {"name": "hello-local"}, "status": status.to_json()}


def _created(fake: FakeWorkflows) -> dict[str, Any]:
    return fake.create(copy.deepcopy(HELLO_WORKFLOW))


def test_same_runs_have_no_differences() -> None:
    fake = FakeWorkflows(
        [
            frame({"a": "Running", "b": "Running"}),
            END,
            EXPIRE,
            frame({"a": "Succeeded", "b": "Succeeded"}, "Succeeded"),
        ]
    )
    result = verify_remote(fake, _created(fake), _local({"a": "Succeeded", "b": "Succeeded"}, "Succeeded"))
    assert result.differences == []
    assert result.phase == "Succeeded" and result.nodes == 4
    assert result.name == "hello-x0001"


def test_injected_difference_reported_once() -> None:
    fake = FakeWorkflows([frame({"a": "Succeeded", "b": "Failed"}, "Failed")])
    result = verify_remote(fake, _created(fake), _local({"a": "Succeeded", "b": "Succeeded"}, "Succeeded"))
    lines = [str(d) for d in result.differences]
    assert any("phase" in line and "workflow" in line for line in lines)
    assert sum(1 for d in result.differences if d.path.endswith("[0].b") and d.what == "phase") == 1


def test_missing_node_reported() -> None:
    fake = FakeWorkflows([frame({"a": "Succeeded"}, "Succeeded")])
    result = verify_remote(fake, _created(fake), _local({"a": "Succeeded", "b": "Succeeded"}, "Succeeded"))
    assert [d.path for d in result.differences] == ["node hello-local[0].b"]


def test_interrupted_target_run_is_incomplete() -> None:
    fake = FakeWorkflows([INTERRUPT])
    with pytest.raises(TargetDidNotFinish, match="stop it"):
        verify_remote(fake, _created(fake), _local({}, "Succeeded"), still_running="stop it with ...")


def test_offloaded_without_hydration_cannot_be_compared() -> None:
    fake = FakeWorkflows([frame({"a": "Succeeded"}, "Succeeded", offload=True)])
    with pytest.raises(TargetDidNotFinish, match="ARGO_SERVER"):
        verify_remote(fake, _created(fake), _local({"a": "Succeeded"}, "Succeeded"))


# -- Argo's examples: the local engine's statuses replayed on the test API server ---------------------

SHAPES = 40
"""Examples compared (the issue's target: 0 differences on 40 common shapes)."""
BUDGET = 3.0
"""Seconds a local run of an example may take to be among them (sleeping examples are left out)."""


def _candidates(root: Path) -> list[Path]:
    """Workflows Argo's own tests expect to succeed, without randomness in them."""
    found = []
    for path in sorted(root.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "random" in text or "kind: Workflow\n" not in text:
            continue
        docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
        workflows = [d for d in docs if d.get("kind") == "Workflow"]
        labels = (workflows[0].get("metadata") or {}).get("labels") or {} if workflows else {}
        if workflows and "workflows.argoproj.io/no-test" not in labels:
            found.append(path)
    return found


@pytest.mark.slow
@pytest.mark.corpus
def test_argo_examples_replayed_through_the_kubernetes_api_have_no_differences(
    tmp_path: Path, kube_server: KubeServer
) -> None:
    root = corpus_path("argo", "examples")
    with_paths = [root / "configmaps", root / "workflow-template", root / "cluster-workflow-template"]
    kube_server.write_kubeconfig(tmp_path / "kubeconfig")
    cluster = KubernetesCluster(kubeconfig=tmp_path / "kubeconfig", allowed_contexts=["wfsync-test"])
    workflows = KubernetesWorkflows(cluster, "default")
    compared: list[str] = []
    for path in _candidates(root):
        if len(compared) == SHAPES:
            break
        started = time.monotonic()
        try:
            script = Script.record(path, tmp_path / "state", with_paths=with_paths)
            again = run(RunRequest(path=path, with_paths=with_paths, state_dir=tmp_path / "state")).workflow
        except WfsyncError:
            continue  # refused by the engine: not a shape it can vouch for
        if time.monotonic() - started > 2 * BUDGET or script.workflow["status"]["phase"] != "Succeeded":
            continue
        if compare(script.workflow, again):
            continue  # two local runs differ (times or hosts in outputs): no reference
        body = copy.deepcopy(script.workflow)
        body["metadata"] = {"generateName": "replay-"}
        body.pop("status")
        with TestController(kube_server, script, interval=0.005):
            created = workflows.create(body)
            result = verify_remote(workflows, created, again)
        assert result.differences == [], (path.name, [str(d) for d in result.differences])
        assert result.phase == "Succeeded"
        compared.append(path.name)
    assert len(compared) == SHAPES, compared
