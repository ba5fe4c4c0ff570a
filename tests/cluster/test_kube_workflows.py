"""Workflows through the Kubernetes API, with the real client against the test API server."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kube.server import KubeServer
from wfsync.cluster.api import (
    ClusterError,
    ConflictError,
    CrdMissingError,
    ForbiddenError,
    InvalidObjectError,
    NotFoundError,
)
from wfsync.cluster.kube_workflows import EventTooLarge, KubernetesWorkflows, generated_name, split_lines
from wfsync.cluster.kubernetes import KubernetesCluster
from wfsync.cluster.workflows import WatchExpired, WorkflowEvent, Workflows

WAIT = 5.0  # seconds a test waits for something that normally takes milliseconds


def wf(name: str = "", generate: str = "", **spec: Any) -> dict[str, Any]:
    meta = {"name": name} if name else {"generateName": generate}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta, "spec": spec}


@pytest.fixture
def cluster(kube_server: KubeServer, kubeconfig: Path) -> Iterator[KubernetesCluster]:
    yield KubernetesCluster(kubeconfig=kubeconfig, backoff=0.01, max_backoff=0.05, timeout=(2, 2))
    kube_server.end_watches()
    kube_server.pod_logs.close_all()


@pytest.fixture
def workflows(cluster: KubernetesCluster) -> KubernetesWorkflows:
    return KubernetesWorkflows(cluster, "argo")


class Consumer:
    """Reads an iterator on a thread, so the test can write between the items it waits for."""

    def __init__(self, items: Iterator[Any]) -> None:
        self.items: queue.Queue[Any] = queue.Queue()
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items,), daemon=True)
        self._thread.start()

    def _run(self, items: Iterator[Any]) -> None:
        try:
            for item in items:
                self.items.put(item)
        except BaseException as exc:  # handed to the test
            self.error = exc
        finally:
            self.done.set()

    def next(self) -> Any:
        return self.items.get(timeout=WAIT)

    def finish(self) -> list[Any]:
        """Everything after what was taken, once the iterator has ended."""
        assert self.done.wait(WAIT), "the iterator did not end"
        return [self.items.get_nowait() for _ in range(self.items.qsize())]


def modified(event: WorkflowEvent) -> tuple[str, Any]:
    return event.type, event.workflow["spec"].get("step")


def test_it_is_a_workflows_transport(workflows: KubernetesWorkflows, cluster: KubernetesCluster) -> None:
    transport: Workflows = workflows
    assert transport.namespace == "argo" and not transport.hydrates_offloaded
    assert transport.description == cluster.description


def test_create_with_generate_name_and_get(workflows: KubernetesWorkflows, kube_server: KubeServer) -> None:
    made = workflows.create(wf(generate="hello-", entrypoint="main"))
    name = made["metadata"]["name"]
    assert name.startswith("hello-") and len(name) == len("hello-") + 5
    assert made["metadata"]["namespace"] == "argo" and made["metadata"]["generateName"] == "hello-"
    assert workflows.get(name) == kube_server.get("workflows", "argo", name)
    (create,) = kube_server.log.select("create", "workflows")
    assert create.query == {"fieldValidation": "Strict", "fieldManager": "wfsync"}
    with pytest.raises(ConflictError, match=f"^workflow argo/{name}: .*already exists"):
        workflows.create(wf(name))


def test_a_lost_create_answer_starts_one_workflow_only(
    workflows: KubernetesWorkflows, kube_server: KubeServer
) -> None:
    kube_server.lose_answer(verb="create")
    made = workflows.create(wf(generate="once-"))
    assert [w["metadata"]["name"] for w in kube_server.objects("workflows")] == [made["metadata"]["name"]]
    assert kube_server.log.count("create") == 2


def test_generated_names_fit() -> None:
    assert len(generated_name("x" * 80)) == 63
    assert generated_name("a-") != generated_name("a-")  # 27**5 suffixes: equal by chance once in 14 million


def test_watch_sees_changes_in_order_and_ends_when_the_server_closes(
    workflows: KubernetesWorkflows, kube_server: KubeServer
) -> None:
    start = workflows.create(wf("w"))["metadata"]["resourceVersion"]
    watch = Consumer(workflows.watch("w", start))
    for step in (1, 2, 3):
        kube_server.put(wf("w", step=step) | {"metadata": {"name": "w", "namespace": "argo"}})
        kube_server.put(wf("other", step=step) | {"metadata": {"name": "other", "namespace": "argo"}})
    assert [modified(watch.next()) for _ in range(3)] == [("MODIFIED", 1), ("MODIFIED", 2), ("MODIFIED", 3)]
    kube_server.store.remove("workflows", "argo", "w")
    assert watch.next().type == "DELETED"
    kube_server.end_watches()
    assert watch.finish() == [] and watch.error is None
    (request,) = kube_server.log.select("watch", "workflows", "argo")
    assert (
        request.query["fieldSelector"] == "metadata.name=w" and request.query["allowWatchBookmarks"] == "true"
    )
    assert request.query["resourceVersion"] == start


def test_reconnect_from_the_last_version_misses_nothing(
    workflows: KubernetesWorkflows, kube_server: KubeServer
) -> None:
    start = workflows.create(wf("w"))["metadata"]["resourceVersion"]
    first = Consumer(workflows.watch("w", start))
    kube_server.put(wf("w", step=1) | {"metadata": {"name": "w", "namespace": "argo"}})
    seen = first.next()
    kube_server.end_watches()
    assert first.finish() == []
    for step in (2, 3):  # while nobody watches
        kube_server.put(wf("w", step=step) | {"metadata": {"name": "w", "namespace": "argo"}})
    again = Consumer(workflows.watch("w", seen.workflow["metadata"]["resourceVersion"]))
    assert [modified(again.next()) for _ in range(2)] == [("MODIFIED", 2), ("MODIFIED", 3)]


def test_bookmarks_are_consumed(workflows: KubernetesWorkflows, kube_server: KubeServer) -> None:
    start = workflows.create(wf("w"))["metadata"]["resourceVersion"]
    watch = Consumer(workflows.watch("w", start))
    kube_server.bookmark_watches()
    kube_server.put(wf("w", step=1) | {"metadata": {"name": "w", "namespace": "argo"}})
    kube_server.end_watches()
    assert [modified(e) for e in watch.finish()] == [("MODIFIED", 1)]


def test_expired_version_at_the_start(workflows: KubernetesWorkflows, kube_server: KubeServer) -> None:
    old = workflows.create(wf("w"))["metadata"]["resourceVersion"]
    kube_server.put(wf("w", step=1) | {"metadata": {"name": "w", "namespace": "argo"}})
    kube_server.compact()
    with pytest.raises(
        WatchExpired, match=rf"^workflow argo/w: .*from resourceVersion {old} expired .*too old"
    ):
        list(workflows.watch("w", old))
    kube_server.fail(410, verb="watch")  # a server that answers the request itself with 410
    with pytest.raises(WatchExpired, match="^workflow argo/w: cannot watch it: expired"):
        workflows.watch("w", old)


def test_expiry_mid_stream(workflows: KubernetesWorkflows, kube_server: KubeServer) -> None:
    start = workflows.create(wf("w"))["metadata"]["resourceVersion"]
    watch = Consumer(workflows.watch("w", start))
    kube_server.put(wf("w", step=1) | {"metadata": {"name": "w", "namespace": "argo"}})
    assert modified(watch.next()) == ("MODIFIED", 1)
    kube_server.expire_watches()
    assert watch.finish() == [] and isinstance(watch.error, WatchExpired)


def test_an_event_beyond_the_bound_is_refused(cluster: KubernetesCluster, kube_server: KubeServer) -> None:
    small = KubernetesWorkflows(cluster, "argo", max_event_bytes=4096)
    start = small.create(wf("w"))["metadata"]["resourceVersion"]
    watch = Consumer(small.watch("w", start))
    kube_server.put(wf("w", step="x" * 10_000) | {"metadata": {"name": "w", "namespace": "argo"}})
    assert watch.finish() == [] and isinstance(watch.error, EventTooLarge)
    assert "a watch event is larger than the 4096 bytes wfsync reads" in str(watch.error)


def test_logs_without_follow(workflows: KubernetesWorkflows, kube_server: KubeServer) -> None:
    kube_server.add_pod("argo", "w-123", containers=("main", "wait"))
    kube_server.append_log("argo", "w-123", "main", "hello\nwörld\nno newline")
    assert list(workflows.logs("w", "w-123")) == ["hello", "wörld", "no newline"]
    assert list(workflows.logs("w", "w-123", "wait")) == []


def test_logs_follow_sees_appended_lines_then_ends(
    workflows: KubernetesWorkflows, kube_server: KubeServer
) -> None:
    kube_server.add_pod("argo", "w-123")
    kube_server.append_log("argo", "w-123", "main", "one\n")
    lines = Consumer(workflows.logs("w", "w-123", follow=True))
    assert lines.next() == "one"
    kube_server.append_log("argo", "w-123", "main", "tw")
    kube_server.append_log("argo", "w-123", "main", "o\nthree")
    assert lines.next() == "two"
    kube_server.end_log("argo", "w-123", "main")
    assert lines.finish() == ["three"] and lines.error is None


def test_logs_errors_name_the_workflow_and_pod(
    workflows: KubernetesWorkflows, kube_server: KubeServer
) -> None:
    with pytest.raises(
        NotFoundError,
        match=r'^workflow argo/w: cannot get the logs of pod w-1 \(container main\): .*pods "w-1" not found',
    ):
        workflows.logs("w", "w-1")
    assert kube_server.log.count("discovery") == 0  # a missing pod is no reason to ask for Argo's CRDs
    kube_server.add_pod("argo", "w-1")
    with pytest.raises(
        InvalidObjectError, match="^workflow argo/w: .*container sidecar is not valid for pod w-1"
    ):
        workflows.logs("w", "w-1", "sidecar")
    kube_server.add_pod("argo", "w-2", phase="Pending")
    with pytest.raises(NotFoundError, match="waiting to start"):
        workflows.logs("w", "w-2")
    kube_server.forbid("argo", resources=["pods/log"])
    with pytest.raises(ForbiddenError, match="the credentials lack 'get' on pods/log in namespace 'argo'"):
        workflows.logs("w", "w-1")


def test_stop_patches_shutdown(workflows: KubernetesWorkflows, kube_server: KubeServer) -> None:
    workflows.create(wf("w", entrypoint="main"))
    workflows.stop("w", "stopped by a test")
    assert (kube_server.get("workflows", "argo", "w") or {})["spec"] == {
        "entrypoint": "main",
        "shutdown": "Stop",
    }
    (patch,) = kube_server.log.select("patch", "workflows")
    assert patch.name == "w"
    kube_server.put(
        wf("w") | {"metadata": {"name": "w", "namespace": "argo"}, "status": {"phase": "Succeeded"}}
    )
    with pytest.raises(
        ClusterError, match=r"^workflow argo/w: cannot stop it: it has already finished \(Succeeded\)"
    ):
        workflows.stop("w")
    with pytest.raises(NotFoundError, match="^workflow argo/gone: "):
        workflows.stop("gone")


def test_rbac_names_the_missing_verb(workflows: KubernetesWorkflows, kube_server: KubeServer) -> None:
    kube_server.put(wf("w") | {"metadata": {"name": "w", "namespace": "argo"}})
    kube_server.grant("argo", verbs=["get", "create"], resources=["workflows"])
    with pytest.raises(
        ForbiddenError,
        match="^workflow argo/w: cannot watch it: .*lack 'watch' on workflows.argoproj.io in namespace 'argo'",
    ):
        workflows.watch("w", "1")
    with pytest.raises(ForbiddenError, match="lack 'patch' on workflows.argoproj.io in namespace 'argo'"):
        workflows.stop("w")
    assert workflows.get("w")["metadata"]["name"] == "w"


def test_missing_crd_says_argo_is_not_installed(
    workflows: KubernetesWorkflows, kube_server: KubeServer
) -> None:
    kube_server.uninstall_crd("workflows")
    for call in (
        lambda: workflows.get("w"),
        lambda: workflows.create(wf("w")),
        lambda: workflows.watch("w", "1"),
    ):
        with pytest.raises(
            CrdMissingError, match="^workflow argo/w: Argo Workflows is not installed: .*Workflow"
        ):
            call()
    kube_server.install_crd("workflows")
    with pytest.raises(NotFoundError, match='^workflow argo/w: cannot get it: not found .*"w" not found'):
        workflows.get("w")


def test_split_lines_across_chunks() -> None:
    chunks = [b"ab", b"c\nd", b"e\n\nf\ng", b"h"]
    assert list(split_lines(chunks, 100, cut_long=True)) == [b"abc", b"de", b"", b"f", b"gh"]
    assert list(split_lines(chunks, 100, cut_long=False)) == [b"abc", b"de", b"", b"f"]  # "gh" was cut off
    assert list(split_lines([b"abcdefg\nxy"], 3, cut_long=True)) == [b"abc", b"def", b"g", b"xy"]
    with pytest.raises(EventTooLarge, match="larger than the 3 bytes"):
        list(split_lines([b"ab", b"cd"], 3, cut_long=False))


def test_closing_a_watch_early_frees_its_connection(
    workflows: KubernetesWorkflows, kube_server: KubeServer
) -> None:
    start = workflows.create(wf("w"))["metadata"]["resourceVersion"]
    kube_server.put(wf("w", step=1) | {"metadata": {"name": "w", "namespace": "argo"}})
    events = workflows.watch("w", start)
    assert modified(next(events)) == ("MODIFIED", 1)
    events.close()  # type: ignore[attr-defined]  # a generator: what the harness does on Ctrl-C
    for _ in range(3):  # the pool serves further requests (a half-read connection would not)
        assert workflows.get("w")["spec"] == {"step": 1}


def nodes(count: int, done: int) -> dict[str, Any]:
    """A status.nodes map shaped like Argo's: ``done`` of ``count`` steps succeeded."""
    return {
        f"big-{i}": {
            "id": f"big-{i}",
            "name": f"big[{i}].step-{i}",
            "displayName": f"step-{i}",
            "type": "Pod",
            "templateName": "main",
            "phase": "Succeeded" if i < done else "Pending",
            "startedAt": "2026-12-05T09:00:00Z",
            "children": [f"big-{i + 1}"] if i + 1 < count else [],
            "outputs": {"parameters": [{"name": "out", "value": f"value {i}" * 5}]},
        }
        for i in range(count)
    }


@pytest.mark.slow
def test_watch_of_a_500_node_workflow(workflows: KubernetesWorkflows, kube_server: KubeServer) -> None:
    """Figures (``pytest -s -m slow``): events of ~150 KiB each, read whole and in order."""
    start = workflows.create(wf("big"))["metadata"]["resourceVersion"]
    updates = 20
    for step in range(updates):
        kube_server.put(
            wf("big")
            | {"metadata": {"name": "big", "namespace": "argo"}, "status": {"nodes": nodes(500, step * 25)}}
        )
    began = time.perf_counter()
    seen: list[int] = []
    for event in workflows.watch("big", start):
        tree = event.workflow["status"]["nodes"]
        assert len(tree) == 500
        seen.append(sum(node["phase"] == "Succeeded" for node in tree.values()))
        if len(seen) == updates:
            break
    elapsed = time.perf_counter() - began
    assert seen == [step * 25 for step in range(updates)]
    size = len(json.dumps(kube_server.get("workflows", "argo", "big")))
    print(
        f"\n{updates} watch events of a 500-node workflow ({size >> 10} KiB each): {elapsed:.2f} s, server in-process"
    )


def test_a_watch_or_log_request_that_fails_transiently_is_retried(
    workflows: KubernetesWorkflows, kube_server: KubeServer
) -> None:
    start = workflows.create(wf("w"))["metadata"]["resourceVersion"]
    kube_server.fail(503, verb="watch")
    kube_server.drop(verb="watch")
    watch = Consumer(workflows.watch("w", start))
    kube_server.put(wf("w", step=1) | {"metadata": {"name": "w", "namespace": "argo"}})
    assert modified(watch.next()) == ("MODIFIED", 1)
    assert [r.code for r in kube_server.log.select("watch")] == [503, 0, 200]
    kube_server.add_pod("argo", "w-1")
    kube_server.append_log("argo", "w-1", "main", "ok\n")
    kube_server.throttle(verb="get", path="/log$", retry_after=0)
    assert list(workflows.logs("w", "w-1")) == ["ok"]
