"""The embedded cluster keeps the API server's write semantics, across processes too."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from wfsync.cluster.api import ClusterError, ConflictError, InvalidObjectError, NotFoundError
from wfsync.cluster.embedded import EmbeddedCluster


def wt(name: str, ns: str = "ci", **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": name, "namespace": ns, "labels": {"team": "a"}},
        "spec": {"entrypoint": "main", **spec},
    }


@pytest.fixture
def cluster(tmp_path: Path) -> EmbeddedCluster:
    return EmbeddedCluster(tmp_path / "cluster")


def test_create_fills_server_fields_and_is_listed(cluster: EmbeddedCluster) -> None:
    made = cluster.create(wt("a"))
    meta = made["metadata"]
    assert meta["resourceVersion"] == "1" and meta["generation"] == 1
    assert len(meta["uid"]) == 36 and meta["creationTimestamp"].endswith("Z")
    cluster.create(wt("b", ns="other"))
    assert [o["metadata"]["name"] for o in cluster.list("WorkflowTemplate", "ci")] == ["a"]
    assert len(cluster.list("WorkflowTemplate", None)) == 2
    assert cluster.list("WorkflowTemplate", "ci", "team=a")[0]["metadata"]["uid"] == meta["uid"]
    assert cluster.list("WorkflowTemplate", "ci", "team=b") == []
    assert cluster.get("WorkflowTemplate", "ci", "a") == made
    assert cluster.get("WorkflowTemplate", "ci", "nope") is None
    assert (cluster.root / ".gitignore").read_text().strip().endswith("*")


def test_create_of_a_taken_name_is_a_conflict(cluster: EmbeddedCluster) -> None:
    cluster.create(wt("a"))
    with pytest.raises(ConflictError, match="WorkflowTemplate/ci/a already exists"):
        cluster.create(wt("a"))


def test_update_semantics(cluster: EmbeddedCluster) -> None:
    made = cluster.create(wt("a"))
    stale = dict(made)
    made["spec"] = {"entrypoint": "other"}
    updated = cluster.update(made)
    assert updated["metadata"]["generation"] == 2 and updated["metadata"]["resourceVersion"] == "2"
    assert updated["metadata"]["uid"] == made["metadata"]["uid"]
    # a metadata-only change keeps the generation
    updated["metadata"]["labels"] = {"team": "b"}
    relabelled = cluster.update(updated)
    assert relabelled["metadata"]["generation"] == 2 and relabelled["metadata"]["resourceVersion"] == "3"
    # a no-op keeps the resourceVersion
    assert cluster.update(relabelled)["metadata"]["resourceVersion"] == "3"
    with pytest.raises(
        ConflictError,
        match=r"WorkflowTemplate/ci/a was changed by someone else \(resourceVersion 1 is stale, now 3\)",
    ):
        cluster.update(stale)
    del relabelled["metadata"]["resourceVersion"]
    with pytest.raises(InvalidObjectError, match="resourceVersion must be specified"):
        cluster.update(relabelled)
    with pytest.raises(NotFoundError, match="WorkflowTemplate/ci/zz"):
        cluster.update({**wt("zz"), "metadata": {"name": "zz", "namespace": "ci", "resourceVersion": "1"}})


def test_delete_needs_the_current_resource_version(cluster: EmbeddedCluster) -> None:
    made = cluster.create(wt("a"))
    made["spec"] = {"x": 1}
    cluster.update(made)
    with pytest.raises(ConflictError, match="stale"):
        cluster.delete("WorkflowTemplate", "ci", "a", "1")
    cluster.delete("WorkflowTemplate", "ci", "a", "2", dry_run=True)
    assert cluster.get("WorkflowTemplate", "ci", "a") is not None
    cluster.delete("WorkflowTemplate", "ci", "a", "2")
    assert cluster.get("WorkflowTemplate", "ci", "a") is None
    with pytest.raises(NotFoundError):
        cluster.delete("WorkflowTemplate", "ci", "a", "2")


def test_dry_run_stores_nothing(cluster: EmbeddedCluster) -> None:
    answer = cluster.create(wt("a"), dry_run=True)
    assert answer["metadata"]["uid"] and cluster.get("WorkflowTemplate", "ci", "a") is None
    made = cluster.create(wt("a"))
    made["spec"] = {"y": 1}
    cluster.update(made, dry_run=True)
    assert cluster.get("WorkflowTemplate", "ci", "a")["spec"] == {"entrypoint": "main"}  # type: ignore[index]


def test_cluster_scoped_kind_and_invalid_objects(cluster: EmbeddedCluster) -> None:
    cwt = {"kind": "ClusterWorkflowTemplate", "metadata": {"name": "c", "namespace": "ignored"}, "spec": {}}
    made = cluster.create(cwt)
    assert "namespace" not in made["metadata"] and made["apiVersion"] == "argoproj.io/v1alpha1"
    assert len(cluster.list("ClusterWorkflowTemplate", None)) == 1
    with pytest.raises(InvalidObjectError, match="not a valid DNS subdomain"):
        cluster.create(wt("Bad_Name"))
    with pytest.raises(InvalidObjectError, match="namespace is required"):
        cluster.create({"kind": "WorkflowTemplate", "metadata": {"name": "x"}})


def test_corrupt_file_is_a_clear_error(cluster: EmbeddedCluster) -> None:
    cluster.create(wt("a"))
    path = cluster.root / "objects" / "workflowtemplates" / "ci" / "a.json"
    path.write_text("{not json")
    with pytest.raises(ClusterError, match=r"a\.json is corrupt"):
        cluster.list("WorkflowTemplate", "ci")


def _create_many(root: str, prefix: str, count: int) -> None:
    cluster = EmbeddedCluster(Path(root))
    for i in range(count):
        cluster.create(wt(f"{prefix}-{i}"))


def _bump(root: str, count: int) -> int:
    """Read-modify-write the same object; count the conflicts (each is retried)."""
    cluster = EmbeddedCluster(Path(root))
    conflicts = 0
    done = 0
    while done < count:
        obj = cluster.get("WorkflowTemplate", "ci", "counter")
        assert obj is not None
        obj["spec"]["n"] = obj["spec"].get("n", 0) + 1
        try:
            cluster.update(obj)
            done += 1
        except ConflictError:
            conflicts += 1
    return conflicts


def test_two_processes_at_once_lose_nothing(tmp_path: Path) -> None:
    root = str(tmp_path / "cluster")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_create_many, args=(root, p, 40)) for p in ("x", "y")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    cluster = EmbeddedCluster(Path(root))
    objs = cluster.list("WorkflowTemplate", "ci")
    assert len(objs) == 80
    versions = {o["metadata"]["resourceVersion"] for o in objs}
    assert len(versions) == 80  # every write got its own resourceVersion

    cluster.create(wt("counter"))
    with ctx.Pool(2) as pool:
        pool.starmap(_bump, [(root, 25), (root, 25)])
    final = cluster.get("WorkflowTemplate", "ci", "counter")
    assert final is not None and final["spec"]["n"] == 50  # no lost update: stale writes were conflicts
