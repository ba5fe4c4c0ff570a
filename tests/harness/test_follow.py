"""Following a workflow against a scripted fake transport: reconnects, expiry, logs once, Ctrl-C, offload."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.harness.fakes import END, EXPIRE, HELLO_WORKFLOW, INTERRUPT, FakeWorkflows, frame
from wfsync.cluster.api import NotFoundError, UnreachableError
from wfsync.engine.status import Node, WorkflowStatus, pod_name
from wfsync.errors import CompletionError
from wfsync.harness.follow import FollowResult, follow, pod_of
from wfsync.harness.status import encode_nodes


class Recorder:
    """Keeps everything the follow reported."""

    def __init__(self) -> None:
        self.phases: list[str] = []
        self.done: list[str] = []
        self.lines: list[tuple[str, str]] = []
        self.notes: list[str] = []

    def status(self, status: WorkflowStatus) -> None:
        self.phases.append(status.phase)

    def node_done(self, node: Node) -> None:
        self.done.append(f"{node.display_name}:{node.phase}")

    def log(self, node: str, line: str) -> None:
        self.lines.append((node, line))

    def note(self, message: str) -> None:
        self.notes.append(message)


RUNNING = frame({"a": "Running", "b": "Pending"})
HALF = frame({"a": "Succeeded", "b": "Running"})
DONE = frame({"a": "Succeeded", "b": "Succeeded"}, "Succeeded")
FAILED = frame({"a": "Succeeded", "b": "Failed"}, "Failed")


def _run(fake: FakeWorkflows, **kwargs: Any) -> tuple[FollowResult, Recorder]:
    created = fake.create(copy.deepcopy(HELLO_WORKFLOW))
    recorder = Recorder()
    result = follow(fake, created, recorder, sleep=lambda _s: None, **kwargs)
    return result, recorder


def test_follows_to_success_reporting_each_node_once() -> None:
    fake = FakeWorkflows([RUNNING, HALF, HALF, DONE])
    result, seen = _run(fake)
    assert result.status.phase == "Succeeded" and result.finished
    assert result.reconnects == 0
    assert sorted(d for d in seen.done if not d.startswith("hello")) == [
        "[0]:Succeeded",
        "a:Succeeded",
        "b:Succeeded",
    ]
    assert len(seen.done) == len(set(seen.done))
    assert result.workflow["status"]["phase"] == "Succeeded"


def test_failed_workflow_reports_failed() -> None:
    result, seen = _run(FakeWorkflows([RUNNING, FAILED]))
    assert result.status.phase == "Failed"
    assert "b:Failed" in seen.done


def test_stream_end_reconnects_from_last_version() -> None:
    fake = FakeWorkflows([RUNNING, END, HALF, END, DONE])
    result, _ = _run(fake)
    assert result.status.phase == "Succeeded"
    assert result.reconnects == 2
    versions = [int(v) for _, v in fake.watches]
    assert versions == sorted(versions) and len(set(versions)) == 3
    # each watch starts after the last event the previous one delivered
    assert versions[1] == versions[0] + 1 and versions[2] == versions[1] + 1


def test_expiry_gets_then_watches_from_the_fresh_version() -> None:
    fake = FakeWorkflows([RUNNING, EXPIRE, DONE])
    result, seen = _run(fake)
    assert result.status.phase == "Succeeded"
    assert fake.gets == [result.status.name]
    assert len(fake.watches) == 2
    assert int(fake.watches[1][1]) == int(fake.objects[result.status.name]["metadata"]["resourceVersion"]) - 1


def test_empty_streams_back_off_but_go_on() -> None:
    fake = FakeWorkflows([END, END, END, DONE])
    pauses: list[float] = []
    created = fake.create(copy.deepcopy(HELLO_WORKFLOW))
    result = follow(fake, created, Recorder(), sleep=pauses.append)
    assert result.status.phase == "Succeeded"
    assert pauses and pauses == sorted(pauses)


def test_deleted_while_followed_is_an_error() -> None:
    fake = FakeWorkflows([RUNNING, CompletionError("boom")])
    with pytest.raises(CompletionError, match="boom"):
        _run(fake)


def test_ctrl_c_returns_interrupted_with_last_status() -> None:
    result, _ = _run(FakeWorkflows([RUNNING, INTERRUPT]))
    assert result.interrupted
    assert result.status.phase == "Running"


def test_logs_streamed_once_per_pod_across_reconnects() -> None:
    fake = FakeWorkflows([RUNNING, END, HALF, EXPIRE, HALF, DONE])
    name = "hello-x0001"
    for leaf in ("a", "b"):
        fake.pod_logs[pod_name(name, f"{name}[0].{leaf}", "say")] = [f"{leaf} line {i}" for i in range(3)]
    result, seen = _run(fake, logs=True)
    assert result.status.name == name
    assert sorted(seen.lines) == sorted((leaf, f"{leaf} line {i}") for leaf in ("a", "b") for i in range(3))
    assert sorted(set(fake.log_calls)) == sorted(fake.log_calls)  # each pod opened once


def test_log_stream_dropped_midway_is_resumed_without_duplicates() -> None:
    fake = FakeWorkflows([RUNNING, DONE])
    name = "hello-x0001"
    pod = pod_name(name, f"{name}[0].a", "say")
    fake.pod_logs[pod] = [f"line {i}" for i in range(6)]
    fake.pod_logs[pod_name(name, f"{name}[0].b", "say")] = []
    fake.log_failures[pod] = [UnreachableError("connection reset")]
    _, seen = _run(fake, logs=True)
    assert [line for node, line in seen.lines if node == "a"] == [f"line {i}" for i in range(6)]
    assert fake.log_calls.count(pod) == 2


def test_log_of_pod_not_there_yet_is_retried() -> None:
    fake = FakeWorkflows([RUNNING, DONE])
    name = "hello-x0001"
    pod = pod_name(name, f"{name}[0].a", "say")
    fake.pod_logs[pod] = ["late"]
    fake.pod_logs[pod_name(name, f"{name}[0].b", "say")] = []
    fake.log_failures[pod] = [NotFoundError("pod not yet")]
    fake.pod_logs[pod] = ["late", "lines"]
    _, seen = _run(fake, logs=True)
    assert ("a", "late") in seen.lines and ("a", "lines") in seen.lines


def test_offloaded_nodes_said_when_the_transport_cannot_hydrate() -> None:
    result, seen = _run(
        FakeWorkflows([RUNNING, frame({"a": "Succeeded", "b": "Succeeded"}, "Succeeded", offload=True)])
    )
    assert result.status.phase == "Succeeded"
    assert result.offloaded_hidden
    assert result.status.nodes == {}
    assert len(seen.notes) == 1 and "ARGO_SERVER" in seen.notes[0]


def test_offloaded_nodes_hydrated_when_the_transport_can() -> None:
    fake = FakeWorkflows(
        [RUNNING, frame({"a": "Succeeded", "b": "Succeeded"}, "Succeeded", offload=True)], hydrates=True
    )
    result, seen = _run(fake)
    assert not result.offloaded_hidden
    assert {n.display_name for n in result.status.nodes.values()} >= {"a", "b"}
    assert seen.notes == []


def test_compressed_nodes_decoded() -> None:
    def compressed(name: str) -> dict[str, Any]:
        doc = DONE(name)
        doc["compressedNodes"] = encode_nodes(doc.pop("nodes"))
        return doc

    result, seen = _run(FakeWorkflows([RUNNING, compressed]))
    assert result.status.phase == "Succeeded"
    assert "b:Succeeded" in seen.done


def test_pod_names_v2_and_v1() -> None:
    wf = {"metadata": {"name": "w"}}
    node = Node("w-1", "w[0].x", "x", "Pod", "Running", template_name="t")
    assert pod_of(wf, node) == pod_name("w", "w[0].x", "t")
    node.template_ref = {"name": "lib", "template": "run"}
    assert pod_of(wf, node) == pod_name("w", "w[0].x", "run")
    v1 = {"metadata": {"name": "w", "annotations": {"workflows.argoproj.io/pod-name-format": "v1"}}}
    assert pod_of(v1, node) == "w-1"
