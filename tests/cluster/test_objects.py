"""Objects of any kind over the test API server: discovery, paths, scope, errors and retries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kube.server import KubeServer
from wfsync.cluster.api import ConflictError, ForbiddenError, NotFoundError
from wfsync.cluster.kubernetes import KubernetesCluster
from wfsync.cluster.objects import KubernetesObjects, UnknownKindError


def cm(name: str, ns: str = "ci", **data: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": data,
    }


@pytest.fixture
def objects(shared_kube_server: KubeServer, kubeconfig: Path) -> KubernetesObjects:
    cluster = KubernetesCluster(kubeconfig=kubeconfig, backoff=0.01, max_backoff=0.05, timeout=(2, 2))
    return KubernetesObjects(cluster)


def test_core_objects_round_trip(objects: KubernetesObjects, shared_kube_server: KubeServer) -> None:
    assert objects.simulated is False
    made = objects.create(cm("a", x="1"))
    assert shared_kube_server.get("configmaps", "ci", "a") == made
    assert objects.get("ConfigMap", "ci", "a") == made
    assert objects.get("ConfigMap", "ci", "missing") is None
    made["data"] = {"x": "2"}
    assert objects.update(made)["data"] == {"x": "2"}
    with pytest.raises(ConflictError, match=r"cannot update ConfigMap ci/a: conflict: Operation cannot"):
        objects.update(made)  # stale resourceVersion
    assert objects.create(cm("d"), dry_run=True)["metadata"]["name"] == "d"
    assert shared_kube_server.get("configmaps", "ci", "d") is None
    objects.delete("ConfigMap", "ci", "a", "")
    assert shared_kube_server.get("configmaps", "ci", "a") is None
    with pytest.raises(NotFoundError, match=r'cannot delete ConfigMap ci/a: not found in .*"a" not found'):
        objects.delete("ConfigMap", "ci", "a", "")
    # one discovery request for v1, then none: the answer is cached per group version
    assert [r.path for r in shared_kube_server.log.select("discovery")] == ["/api/v1"]


def test_argo_kinds_and_cluster_scope_by_discovery(
    objects: KubernetesObjects, shared_kube_server: KubeServer
) -> None:
    cwt = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ClusterWorkflowTemplate",
        "metadata": {"name": "c", "namespace": "ci"},  # the engine defaults a namespace; not sent
        "spec": {},
    }
    objects.create(cwt)
    assert shared_kube_server.get("clusterworkflowtemplates", None, "c") is not None
    found = objects.get("ClusterWorkflowTemplate", "ci", "c")
    assert found is not None and "namespace" not in found["metadata"]
    paths = [r.path for r in shared_kube_server.log.records if r.verb in ("create", "get")]
    assert paths == [
        "/apis/argoproj.io/v1alpha1/clusterworkflowtemplates",
        "/apis/argoproj.io/v1alpha1/clusterworkflowtemplates/c",
    ]


def test_unknown_kinds_name_the_kind_and_the_cluster(objects: KubernetesObjects) -> None:
    with pytest.raises(UnknownKindError, match=r"kind 'Widget' is not served by context 'wfsync-test'"):
        objects.get("Widget", "ci", "w")
    with pytest.raises(UnknownKindError, match=r"kind 'Widget' \(example.com/v1\) is not served by context"):
        objects.create({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    with pytest.raises(UnknownKindError, match=r"kind 'Secret' \(v1\) is not served"):
        objects.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})


def test_errors_and_retries_are_the_cluster_s(
    objects: KubernetesObjects, shared_kube_server: KubeServer
) -> None:
    shared_kube_server.forbid("prod")
    with pytest.raises(
        ForbiddenError, match=r'cannot create ConfigMap prod/x: forbidden in context .*"prod"'
    ):
        objects.create(cm("x", "prod"))
    shared_kube_server.fail(503, count=2, verb="create")
    objects.create(cm("y"))  # transient failures are retried as sync's requests are
    assert shared_kube_server.get("configmaps", "ci", "y") is not None
    # a retried create that meets an identical object takes it as its own (an answer was lost) ...
    shared_kube_server.put(cm("z", v="1"))
    shared_kube_server.fail(503, count=1, verb="create")
    assert objects.create(cm("z", v="1"))["data"] == {"v": "1"}
    # ... but not a different one, nor one met without a retry
    shared_kube_server.fail(503, count=1, verb="create")
    with pytest.raises(ConflictError, match=r'configmaps "z" already exists'):
        objects.create(cm("z", v="2"))
    with pytest.raises(ConflictError, match=r'configmaps "z" already exists'):
        objects.create(cm("z", v="1"))
