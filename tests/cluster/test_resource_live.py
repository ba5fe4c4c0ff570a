"""Resource templates against a Kubernetes cluster act as Argo's ``kubectl`` calls do.

apply is a (three-way) merge patch that keeps other writers' fields and finalizers; delete waits
until the object is gone (finalizers) unless ``--wait=false``; patch is merged by the server with
the template's mergeStrategy; kinds are found in the manifest's apiVersion; a group whose
discovery fails does not stop a kind found elsewhere.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kube.resources import ResourceType
from tests.kube.server import KubeServer
from wfsync.cluster.kubernetes import KubernetesCluster
from wfsync.cluster.objects import KubernetesObjects
from wfsync.engine.resource import LAST_APPLIED, ResourceFailed, execute

WORKFLOW = {"metadata": {"name": "wf", "uid": "u-1"}}


@pytest.fixture
def objects(kube_server: KubeServer, kubeconfig: Path) -> KubernetesObjects:
    cluster = KubernetesCluster(kubeconfig=kubeconfig, backoff=0.01, max_backoff=0.05, timeout=(2, 5))
    return KubernetesObjects(cluster)


def run(objects: KubernetesObjects, action: str, manifest: Any, **resource: Any) -> dict[str, Any]:
    text = manifest if isinstance(manifest, str) else yaml.safe_dump(manifest)
    tmpl = {"name": "r", "resource": {"action": action, "manifest": text, **resource}}
    return execute(objects, tmpl, namespace="ci", pod_name="wf-r-1", node=("n1", "wf.r"), workflow=WORKFLOW)


def cm(**data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data}


def test_apply_creates_then_patches_keeping_other_writers_fields(
    objects: KubernetesObjects, kube_server: KubeServer
) -> None:
    run(objects, "apply", cm(a="1", b="2"))
    created = kube_server.get("configmaps", "ci", "c")
    assert created is not None and LAST_APPLIED in created["metadata"]["annotations"]
    other = {
        **created,
        "metadata": {**created["metadata"], "labels": {"owner": "other"}, "finalizers": ["x/y"]},
    }
    other["data"] = {**created["data"], "theirs": "kept"}
    kube_server.put(other)
    kube_server.log.clear()
    run(objects, "apply", cm(a="10"))  # b was applied before and is dropped now: removed
    live = kube_server.get("configmaps", "ci", "c")
    assert live is not None
    assert live["data"] == {"a": "10", "theirs": "kept"}
    assert live["metadata"]["labels"] == {"owner": "other"} and live["metadata"]["finalizers"] == ["x/y"]
    assert [r.verb for r in kube_server.log.writes()] == ["patch"]
    assert all(r.method != "PUT" for r in kube_server.log.records)


def test_delete_waits_for_finalizers_so_a_create_of_the_same_name_works(
    objects: KubernetesObjects, kube_server: KubeServer
) -> None:
    kube_server.store.finalizer_delays["example.com/slow"] = 0.4
    kube_server.put(
        {
            "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "ci", "finalizers": ["example.com/slow"]},
        }
    )
    started = time.monotonic()
    run(objects, "delete", cm())
    assert time.monotonic() - started >= 0.3
    assert kube_server.get("configmaps", "ci", "c") is None
    run(objects, "create", cm(a="new"))
    assert kube_server.get("configmaps", "ci", "c") is not None


def test_delete_with_wait_false_returns_at_once(objects: KubernetesObjects, kube_server: KubeServer) -> None:
    kube_server.store.finalizer_delays["example.com/slow"] = 1.0
    kube_server.put(
        {
            "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "ci", "finalizers": ["example.com/slow"]},
        }
    )
    run(objects, "delete", cm(), flags=["--wait=false"])
    marked = kube_server.get("configmaps", "ci", "c")
    assert marked is not None and marked["metadata"]["deletionTimestamp"]


def test_patch_is_merged_by_the_server_with_the_template_s_strategy(
    objects: KubernetesObjects, kube_server: KubeServer
) -> None:
    kube_server.put({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ci"}, "data": {"a": "1"}})
    run(objects, "patch", {"data": {"b": "2"}}, flags=["configmap", "c"], mergeStrategy="merge")
    run(
        objects,
        "patch",
        [{"op": "add", "path": "/data/c", "value": "3"}],
        flags=["configmap", "c"],
        mergeStrategy="json",
    )
    run(objects, "patch", {"data": {"d": "4"}}, flags=["configmap", "c"])  # strategic, the default
    live = kube_server.get("configmaps", "ci", "c")
    assert live is not None and live["data"] == {"a": "1", "b": "2", "c": "3", "d": "4"}
    patches = [r for r in kube_server.log.records if r.verb == "patch"]
    assert len(patches) == 3 and not [r for r in kube_server.log.records if r.verb == "update"]
    # a custom resource takes no strategic merge patch: the server's 415 is the node's failure
    kube_server.put({"kind": "WorkflowTemplate", "metadata": {"name": "w", "namespace": "ci"}, "spec": {}})
    with pytest.raises(ResourceFailed, match="415|unknown format"):
        run(
            objects,
            "patch",
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "WorkflowTemplate",
                "metadata": {"name": "w"},
                "spec": {"entrypoint": "x"},
            },
        )


def test_kinds_come_from_the_apiversion_and_a_broken_group_is_ignored(
    objects: KubernetesObjects, kube_server: KubeServer
) -> None:
    metrics = ResourceType("metrics.k8s.io", "v1beta1", "pods", "pod", "PodMetrics", True)
    kube_server.install_crd(metrics)
    kube_server.fail(503, count=None, verb="discovery", path="^/apis/metrics.k8s.io")
    kube_server.put({"kind": "WorkflowTemplate", "metadata": {"name": "w", "namespace": "ci"}, "spec": {}})
    found = run(
        objects,
        "get",
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "w"}},
    )
    assert found == {}
    discovered = {r.path for r in kube_server.log.records if r.verb == "discovery"}
    assert discovered == {"/apis/argoproj.io/v1alpha1"}, "only the manifest's group version is looked up"
    # a kind named without apiVersion is looked for everywhere; the broken group is skipped
    assert objects.resource("CronWorkflow").plural == "cronworkflows"
    kube_server.log.clear()
    objects._served.clear()
    objects._groups = None
    with pytest.raises(
        Exception, match="no API group has a resource of that kind \\(metrics.k8s.io/v1beta1 did not answer"
    ):
        objects.resource("Nonesuch")
