"""The Kubernetes backend over real HTTP against the test API server, through the official client."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.kube.server import KubeServer
from tests.kube.validation import FieldError
from wfsync.cluster.api import (
    ClusterError,
    ConflictError,
    CrdMissingError,
    ForbiddenError,
    InvalidObjectError,
    UnreachableError,
)
from wfsync.cluster.kubernetes import KubernetesCluster
from wfsync.errors import ConfigError


def wt(name: str, ns: str = "ci") -> dict[str, object]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": name, "namespace": ns, "labels": {"team": "a"}},
        "spec": {"entrypoint": "main"},
    }


@pytest.fixture
def cluster(shared_kube_server: KubeServer, kubeconfig: Path) -> KubernetesCluster:
    return KubernetesCluster(kubeconfig=kubeconfig, backoff=0.01, max_backoff=0.05, timeout=(2, 2))


def test_crud_round_trip(cluster: KubernetesCluster, shared_kube_server: KubeServer) -> None:
    cluster.check_crds(["WorkflowTemplate", "ClusterWorkflowTemplate"])
    made = cluster.create(wt("a"))
    assert made["metadata"]["resourceVersion"]
    cluster.create(
        {
            "kind": "ClusterWorkflowTemplate",
            "apiVersion": "argoproj.io/v1alpha1",
            "metadata": {"name": "c"},
            "spec": {},
        }
    )
    listed = cluster.list("WorkflowTemplate", "ci", "team=a")
    assert [o["metadata"]["name"] for o in listed] == ["a"] and listed[0]["kind"] == "WorkflowTemplate"
    assert cluster.list("WorkflowTemplate", "ci", "team=b") == []
    assert [o["metadata"]["name"] for o in cluster.list("ClusterWorkflowTemplate", None)] == ["c"]
    made["spec"] = {"entrypoint": "x"}
    updated = cluster.update(made)
    assert updated["metadata"]["generation"] == 2
    with pytest.raises(ConflictError, match="WorkflowTemplate/ci/a was changed .* since it was read"):
        cluster.update(made)
    with pytest.raises(ConflictError, match="WorkflowTemplate/ci/a already exists"):
        cluster.create(wt("a"))
    cluster.create(wt("d"), dry_run=True)
    assert cluster.get("WorkflowTemplate", "ci", "d") is None
    assert shared_kube_server.log.select("create")[-1].dry_run
    with pytest.raises(ConflictError, match="not deleted"):
        cluster.delete("WorkflowTemplate", "ci", "a", made["metadata"]["resourceVersion"])
    cluster.delete("WorkflowTemplate", "ci", "a", updated["metadata"]["resourceVersion"])
    assert cluster.get("WorkflowTemplate", "ci", "a") is None


def test_context_not_allowed_is_refused_before_any_request(
    shared_kube_server: KubeServer, kubeconfig: Path
) -> None:
    with pytest.raises(
        ForbiddenError, match="context 'wfsync-test' is not allowed .*allowedContexts: prod.*nothing was sent"
    ):
        KubernetesCluster(kubeconfig=kubeconfig, allowed_contexts=["prod"])
    assert shared_kube_server.log.records == []
    with pytest.raises(ConfigError, match="context 'nope' is not in the kubeconfig"):
        KubernetesCluster(kubeconfig=kubeconfig, context="nope")
    with pytest.raises(ConfigError, match="cannot read the kubeconfig"):
        KubernetesCluster(kubeconfig=kubeconfig.parent / "missing")


def test_missing_crds_are_named(cluster: KubernetesCluster, shared_kube_server: KubeServer) -> None:
    shared_kube_server.uninstall_crd("clusterworkflowtemplates")
    with pytest.raises(CrdMissingError, match="Argo CRDs are not installed .*ClusterWorkflowTemplate"):
        cluster.check_crds(["WorkflowTemplate", "ClusterWorkflowTemplate"])
    with pytest.raises(CrdMissingError, match="does not serve clusterworkflowtemplates.argoproj.io"):
        cluster.list("ClusterWorkflowTemplate", None)
    for plural in ("workflowtemplates", "workflows", "cronworkflows"):
        shared_kube_server.uninstall_crd(plural)
    with pytest.raises(CrdMissingError, match="WorkflowTemplate"):
        cluster.check_crds(["WorkflowTemplate"])


def test_forbidden_and_unauthorized(shared_kube_server: KubeServer, kubeconfig: Path, tmp_path: Path) -> None:
    cluster = KubernetesCluster(kubeconfig=kubeconfig, backoff=0.01)
    shared_kube_server.forbid("prod")
    with pytest.raises(ForbiddenError, match="cannot list WorkflowTemplates in namespace 'prod': forbidden"):
        cluster.list("WorkflowTemplate", "prod")
    with pytest.raises(ForbiddenError, match="cannot create WorkflowTemplate/prod/a: forbidden"):
        cluster.create(wt("a", "prod"))
    bad = shared_kube_server.write_kubeconfig(tmp_path / "bad", token="wrong")
    with pytest.raises(ForbiddenError, match="rejected the credentials \\(401"):
        KubernetesCluster(kubeconfig=bad).list("WorkflowTemplate", "ci")


def test_invalid_object_names_the_object(cluster: KubernetesCluster, shared_kube_server: KubeServer) -> None:
    shared_kube_server.add_validator(
        lambda obj: [FieldError("spec.entrypoint", "Invalid value: no such template")]
    )
    with pytest.raises(
        InvalidObjectError, match="cannot create WorkflowTemplate/ci/a: the server refused it as invalid"
    ):
        cluster.create(wt("a"))


def test_transient_failures_are_retried_with_a_bound(
    cluster: KubernetesCluster, shared_kube_server: KubeServer
) -> None:
    shared_kube_server.fail(503, count=2, verb="list")
    assert cluster.list("WorkflowTemplate", "ci") == []
    assert shared_kube_server.log.count("list") == 3
    shared_kube_server.throttle(count=1, retry_after=1, verb="create")
    started = time.perf_counter()
    cluster.create(wt("a"))
    assert time.perf_counter() - started < 1  # Retry-After is capped by max_backoff
    shared_kube_server.drop(count=1, verb="create")
    cluster.create(wt("b"))  # a dropped connection is retried
    shared_kube_server.log.clear()
    shared_kube_server.fail(503, count=None, verb="get")
    with pytest.raises(
        UnreachableError,
        match="cannot get WorkflowTemplate/ci/a: .* answered 503 ServiceUnavailable after 4 attempts",
    ):
        cluster.get("WorkflowTemplate", "ci", "a")
    assert shared_kube_server.log.count("get") == 4
    shared_kube_server.faults.clear()
    shared_kube_server.log.clear()
    shared_kube_server.fail(500, count=None, verb="get")  # the server's considered answer: shown at once
    with pytest.raises(ClusterError, match="answered 500 InternalError: Internal error occurred") as caught:
        cluster.get("WorkflowTemplate", "ci", "a")
    assert type(caught.value) is ClusterError and caught.value.exit_code == 3
    assert shared_kube_server.log.count("get") == 1
    shared_kube_server.faults.clear()
    shared_kube_server.fail(409, count=1, verb="update")  # not transient: no retry
    live = cluster.get("WorkflowTemplate", "ci", "a")
    assert live is not None
    shared_kube_server.log.clear()
    with pytest.raises(ConflictError):
        cluster.update(live)
    assert shared_kube_server.log.count("update") == 1


def test_timeouts_are_retried_then_reported(shared_kube_server: KubeServer, kubeconfig: Path) -> None:
    cluster = KubernetesCluster(kubeconfig=kubeconfig, attempts=2, backoff=0.01, timeout=(1, 0.3))
    shared_kube_server.delay(0.6, count=1, verb="list")
    assert cluster.list("WorkflowTemplate", "ci") == []  # the second attempt is fast
    shared_kube_server.delay(0.6, count=None, verb="list")
    with pytest.raises(UnreachableError, match="no answer from context 'wfsync-test'.* after 2 attempts"):
        cluster.list("WorkflowTemplate", "ci")


def test_unreachable_cluster(tmp_path: Path) -> None:
    with KubeServer() as server:
        config = server.write_kubeconfig(tmp_path / "kubeconfig")
    cluster = KubernetesCluster(kubeconfig=config, attempts=2, backoff=0.01)
    with pytest.raises(
        UnreachableError, match="cannot list WorkflowTemplates in namespace 'ci': no answer from context"
    ):
        cluster.list("WorkflowTemplate", "ci")


def _with_port(name: str) -> dict[str, object]:
    obj = wt(name)
    obj["spec"] = {
        "templates": [{"name": "main", "container": {"image": "a", "ports": [{"containerPort": 80}]}}]
    }
    return obj


def test_a_lost_answer_then_a_conflict_is_no_conflict_when_the_write_landed(
    argo_kube_server: KubeServer, kubeconfig: Path
) -> None:
    """The server stored a defaulted form (protocol: TCP); the retry's check asks it, not a dict compare."""
    cluster = KubernetesCluster(kubeconfig=kubeconfig, backoff=0.01, max_backoff=0.05, timeout=(2, 2))
    argo_kube_server.lose_answer(count=1, verb="create")
    created = cluster.create(_with_port("a"))
    assert created["spec"]["templates"][0]["container"]["ports"][0]["protocol"] == "TCP"
    live = cluster.get("WorkflowTemplate", "ci", "a")
    assert live is not None
    changed = _with_port("a")
    changed["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]  # type: ignore[index]
    argo_kube_server.lose_answer(count=1, verb="update")
    assert cluster.update(changed)["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]
    changed["spec"]["templates"][0]["container"]["image"] = "b"  # type: ignore[index]
    argo_kube_server.lose_answer(count=1, verb="update")
    cluster.update(changed)  # lands, answer lost; the retry's conflict is checked: it is ours
    assert (
        argo_kube_server.get("workflowtemplates", "ci", "a")["spec"]["templates"][0]["container"]["image"]
        == "b"
    )  # type: ignore[index]
    # someone else's object of that name is still a conflict, lost answer or not
    argo_kube_server.put({**_with_port("b"), "spec": {"entrypoint": "theirs"}})
    argo_kube_server.lose_answer(count=1, verb="create")
    with pytest.raises(ConflictError, match="already exists"):
        cluster.create(_with_port("b"))
