"""The test API server as a process of its own (what the sync benchmark runs against)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kube.process import KubeServerProcess
from wfsync.cluster.kubernetes import KubernetesCluster


def test_a_server_process_serves_the_client_and_counts_its_requests(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    with KubeServerProcess(kubeconfig) as server:
        assert kubeconfig.is_file() and server.port > 0
        cluster = KubernetesCluster(kubeconfig=kubeconfig)
        cluster.check_crds(["WorkflowTemplate"])
        made = cluster.create(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "WorkflowTemplate",
                "metadata": {"name": "a", "namespace": "ci"},
                "spec": {"entrypoint": "main"},
            }
        )
        assert [o["metadata"]["name"] for o in cluster.list("WorkflowTemplate", "ci")] == ["a"]
        assert server.requests() == {"discovery": 1, "create": 1, "list": 1}
        assert server.requests() == {}  # cleared
        assert server.remove("workflowtemplates", "ci", "a") is True
        assert cluster.list("WorkflowTemplate", "ci") == [] and made["metadata"]["uid"]
        assert server.requests(clear=False) == {"list": 1}
        with pytest.raises(RuntimeError, match="unknown control op"):
            server.call("explode")
        assert server.requests() == {"list": 1}  # still serving after a bad command
    with pytest.raises(AssertionError, match="not started"):
        server.requests()
