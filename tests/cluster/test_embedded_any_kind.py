"""The embedded store with ``any_kind``: other kinds (Pods, ConfigMaps, Namespaces) for the local engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfsync.cluster.api import InvalidObjectError, NotFoundError
from wfsync.cluster.embedded import EmbeddedCluster


def test_default_store_refuses_kinds_other_than_argo_ones(tmp_path: Path) -> None:
    cluster = EmbeddedCluster(tmp_path)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}}
    with pytest.raises(ValueError, match="not an Argo kind"):
        cluster.create(pod)


def test_any_kind_stores_core_objects_with_api_semantics(tmp_path: Path) -> None:
    cluster = EmbeddedCluster(tmp_path, any_kind=True)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}}
    created = cluster.create(pod)
    assert created["apiVersion"] == "v1"
    assert created["metadata"]["resourceVersion"] == "1"
    assert (tmp_path / "objects" / "pods" / "default" / "p.json").is_file()
    got = cluster.get("Pod", "default", "p")
    assert got is not None
    got["metadata"]["annotations"] = {"foo": "bar"}
    updated = cluster.update(got)
    assert updated["metadata"]["resourceVersion"] == "2"
    assert [o["metadata"]["name"] for o in cluster.list("Pod", "default")] == ["p"]
    cluster.delete("Pod", "default", "p", "")
    with pytest.raises(NotFoundError):
        cluster.delete("Pod", "default", "p", "")


def test_any_kind_knows_cluster_scoped_kinds_and_rejects_bad_kinds(tmp_path: Path) -> None:
    cluster = EmbeddedCluster(tmp_path, any_kind=True)
    ns = cluster.create(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team", "namespace": "x"}}
    )
    assert "namespace" not in ns["metadata"]
    assert cluster.get("Namespace", None, "team") is not None
    with pytest.raises(InvalidObjectError):
        cluster.create({"apiVersion": "v1", "kind": "../Pod", "metadata": {"name": "p", "namespace": "d"}})
