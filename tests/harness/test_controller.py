"""The test controller: frames of a real local run replayed on the Kubernetes test server over HTTP."""

from __future__ import annotations

import itertools
import json
import textwrap
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kube.controller import (
    COMPLETED_LABEL,
    PHASE_LABEL,
    Script,
    TestController,
    create,
    fetch,
    request_stop,
)
from tests.kube.server import KubeServer
from wfsync.engine.status import WorkflowStatus, node_id, pod_name
from wfsync.harness.compare import compare
from wfsync.harness.frames import FrameRecorder, NameSwap, rename_frame
from wfsync.harness.status import decode_nodes, offloaded, workflow_status

STEPS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: steps-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        template: echo
        arguments: {parameters: [{name: m, value: hi}]}
    - - name: b
        template: echo
        arguments: {parameters: [{name: m, value: "{{steps.a.outputs.result}}"}]}
  - name: echo
    inputs: {parameters: [{name: m}]}
    script:
      image: alpine
      command: [sh]
      source: echo {{inputs.parameters.m}} from {{workflow.name}}
"""


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Script:
    root = tmp_path_factory.mktemp("controller")
    path = root / "steps.yaml"
    path.write_text(textwrap.dedent(STEPS), encoding="utf-8")
    recorded = Script.record(path, root / "state")
    assert recorded.workflow["status"]["phase"] == "Succeeded"
    assert len(recorded.frames) >= 3  # a, then b running, then the end
    return recorded


def _submit(kube: KubeServer) -> str:
    created = create(kube, {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", **_spec()})
    return str(created["metadata"]["name"])


def _spec() -> dict[str, Any]:
    body = yaml.safe_load(STEPS)
    return {"metadata": {"generateName": "steps-"}, "spec": body["spec"]}


def test_frames_are_written_renamed_one_by_one(kube_server: KubeServer, script: Script) -> None:
    with TestController(kube_server, script, interval=0.01) as controller:
        answer = create(kube_server, {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", **_spec()})
        name = answer["metadata"]["name"]
        controller.wait(name)
    final = fetch(kube_server, name)
    assert controller.writes == len(script.frames)
    # one write per frame (what watchers see is tested below)
    assert int(final["metadata"]["resourceVersion"]) == int(answer["metadata"]["resourceVersion"]) + len(
        script.frames
    )
    assert final["status"]["phase"] == "Succeeded"
    assert final["status"] == rename_frame(script.frames[-1], script.name, name)
    for key, node in final["status"]["nodes"].items():
        assert node["name"].startswith(name) and key == node["id"] == node_id(name, node["name"])
        for child in node.get("children", []):
            assert child in final["status"]["nodes"]
    assert final["metadata"]["labels"][PHASE_LABEL] == "Succeeded"
    assert final["metadata"]["labels"][COMPLETED_LABEL] == "true"
    b = next(n for n in final["status"]["nodes"].values() if n["displayName"] == "b")
    assert b["outputs"]["result"] == f"hi from {name} from {name}"  # the run's name renamed inside values too
    assert compare(script.workflow, final) == []


def test_compressed_nodes_decode_to_the_same_tree(kube_server: KubeServer, script: Script) -> None:
    with TestController(kube_server, script, interval=0.01, compress=True) as controller:
        name = _submit(kube_server)
        controller.wait(name)
    final = fetch(kube_server, name)
    assert "nodes" not in final["status"]
    nodes = decode_nodes(final["status"]["compressedNodes"])
    assert nodes == rename_frame(script.frames[-1], script.name, name)["nodes"]
    assert len(workflow_status(final).nodes) == len(nodes)
    assert compare(script.workflow, final) == []


def test_nodes_are_compressed_once_they_grow_past_the_threshold(
    kube_server: KubeServer, script: Script
) -> None:
    sizes = [len(json.dumps(f["nodes"], separators=(",", ":"))) for f in script.frames]
    threshold = (sizes[0] + sizes[-1]) // 2  # the first frame fits, the last does not
    forms: list[str] = []
    with TestController(kube_server, script, interval=0.2, compress=threshold) as controller:
        name = _submit(kube_server)
        while not controller.finished(name):
            status = (kube_server.get("workflows", "default", name) or {}).get("status") or {}
            form = "nodes" if "nodes" in status else "compressed" if "compressedNodes" in status else ""
            if form and (not forms or forms[-1] != form):
                forms.append(form)
            time.sleep(0.002)
        controller.wait(name)
    assert forms[0] == "nodes"
    final = fetch(kube_server, name)
    assert "nodes" not in final["status"] and compare(script.workflow, final) == []


def test_offloaded_nodes_go_to_the_hook(kube_server: KubeServer, script: Script) -> None:
    database: dict[tuple[str, str, str], dict[str, Any]] = {}

    def keep(namespace: str, workflow: str, version: str, nodes: dict[str, Any]) -> None:
        database[(namespace, workflow, version)] = nodes

    with TestController(kube_server, script, interval=0.01, offload=True, on_offload=keep) as controller:
        name = _submit(kube_server)
        controller.wait(name)
    final = fetch(kube_server, name)
    assert offloaded(final) and "nodes" not in final["status"]
    assert workflow_status(final).nodes == {}
    version = final["status"]["offloadNodeStatusVersion"]
    assert len({v for (_, _, v) in database}) == len(script.frames)  # a version per node status
    hydrated = {**final, "status": {**final["status"], "nodes": database[("default", name, version)]}}
    assert not offloaded(hydrated)
    assert compare(script.workflow, hydrated) == []


def test_pod_logs_reach_the_hook_once_each(kube_server: KubeServer, script: Script) -> None:
    logs: list[tuple[str, str, str, list[str]]] = []
    with TestController(kube_server, script, interval=0.01, on_pod=lambda *a: logs.append(a)) as controller:
        name = _submit(kube_server)
        final = controller.wait(name)
    pods = {
        pod_name(name, n["name"], n["templateName"]): n["displayName"]
        for n in final["status"]["nodes"].values()
        if n["type"] == "Pod"
    }
    assert sorted(pod for _, pod, _, _ in logs) == sorted(pods)
    by_node = {pods[pod]: lines for _, pod, _, lines in logs}
    assert by_node == {"a": [f"hi from {name}"], "b": [f"hi from {name} from {name}"]}
    assert {(ns, c) for ns, _, c, _ in logs} == {("default", "main")}


def test_stop_fails_the_workflow_and_its_running_nodes(kube_server: KubeServer, script: Script) -> None:
    with TestController(kube_server, script, interval=0.5) as controller:
        name = _submit(kube_server)
        while controller.writes < 1:
            time.sleep(0.005)
        request_stop(kube_server, name)
        final = controller.wait(name)
    # the frames played before the stop was seen (one, unless this machine is very slow), then the stopped one
    played = controller.writes - 1
    assert 1 <= played < len(script.frames)
    status = final["status"]
    assert status["phase"] == "Failed" and status["message"] == "Stopped with strategy 'Stop'"
    assert final["metadata"]["labels"][COMPLETED_LABEL] == "true"
    before = rename_frame(script.frames[played - 1], script.name, name)
    assert status["nodes"].keys() == before["nodes"].keys()
    running = 0
    for key, node in status["nodes"].items():
        was = before["nodes"][key]["phase"]
        if was == "Running":
            running += 1
            assert node["phase"] == "Failed" and node["message"] == "Stopped with strategy 'Stop'"
            assert node["finishedAt"]
        else:
            assert node == before["nodes"][key]
    assert running >= 2  # the root and what ran under it


def test_a_workflow_stopped_before_its_first_frame_fails_with_no_node(
    kube_server: KubeServer, script: Script
) -> None:
    body = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", **_spec()}
    body["spec"] = {**body["spec"], "shutdown": "Terminate"}
    with TestController(kube_server, script) as controller:
        name = create(kube_server, body)["metadata"]["name"]
        final = controller.wait(name)
    assert controller.writes == 1
    assert final["status"]["phase"] == "Failed" and final["status"]["nodes"] == {}
    assert final["status"]["message"] == "Stopped with strategy 'Terminate'"


def test_a_workflow_created_again_under_its_name_is_played_again(
    kube_server: KubeServer, script: Script
) -> None:
    body = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "again"}}
    body["spec"] = _spec()["spec"]
    with TestController(kube_server, script, interval=0.005) as controller:
        first = create(kube_server, body)
        controller.wait("again")
        kube_server.store.remove("workflows", "default", "again")
        second = create(kube_server, body)
        assert "status" not in second and second["metadata"]["uid"] != first["metadata"]["uid"]
        deadline = time.monotonic() + 5
        while controller.writes < 2 * len(script.frames) and time.monotonic() < deadline:
            time.sleep(0.005)
        final = controller.wait("again")
    assert controller.writes == 2 * len(script.frames)
    assert final["metadata"]["uid"] == second["metadata"]["uid"] and final["status"]["phase"] == "Succeeded"


def test_workflows_without_a_script_are_left_alone(kube_server: KubeServer, script: Script) -> None:
    chosen: list[str] = []

    def choose(wf: dict[str, Any]) -> Script | None:
        chosen.append(wf["metadata"]["name"])
        return script if wf["metadata"]["name"].startswith("steps-") else None

    with TestController(kube_server, choose, interval=0.01) as controller:
        other = create(
            kube_server,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "metadata": {"name": "other"},
                "spec": _spec()["spec"],
            },
        )
        name = _submit(kube_server)
        controller.wait(name)
        time.sleep(0.05)
    assert chosen.count("other") == 1  # asked once, not on every poll
    untouched = fetch(kube_server, "other")
    assert "status" not in untouched
    assert untouched["metadata"]["resourceVersion"] == other["metadata"]["resourceVersion"]


def test_an_error_in_the_thread_fails_the_test(kube_server: KubeServer) -> None:
    broken = Script("nope", frames=[])  # no frame to play: the loop meets an IndexError
    controller = TestController(kube_server, broken, interval=0.01).start()
    name = _submit(kube_server)
    with pytest.raises(IndexError):
        controller.wait(name, timeout=5)
    with pytest.raises(IndexError):
        controller.stop()
    assert not any(t.name == "test-controller" and t.is_alive() for t in threading.enumerate())


def test_wait_times_out_with_the_workflow_named(kube_server: KubeServer, script: Script) -> None:
    with (
        TestController(kube_server, script) as controller,
        pytest.raises(TimeoutError, match="default/ghost"),
    ):
        controller.wait("ghost", timeout=0.05)


def test_script_record_keeps_logs_by_relative_node(script: Script, tmp_path: Path) -> None:
    assert set(script.logs) == {"[0].a", "[1].b"}
    assert script.logs["[0].a"] == [f"hi from {script.name}"]


def test_a_watcher_sees_every_frame_as_its_own_event(kube_server: KubeServer, script: Script) -> None:
    events: list[dict[str, Any]] = []
    created: list[tuple[str, str]] = []

    def watch() -> None:
        while not created:
            time.sleep(0.002)
        name, rv = created[0]  # from the creation's answer: frames written meanwhile are still after it
        query = f"watch=1&resourceVersion={rv}&fieldSelector=metadata.name={name}&timeoutSeconds=5"
        url = f"{kube_server.url}/apis/argoproj.io/v1alpha1/namespaces/default/workflows?{query}"
        with urllib.request.urlopen(url, timeout=10) as stream:
            for line in stream:
                events.append(json.loads(line))
                if events[-1]["object"].get("metadata", {}).get("labels", {}).get(COMPLETED_LABEL) == "true":
                    return

    watcher = threading.Thread(target=watch)
    watcher.start()
    with TestController(kube_server, script, interval=0.05) as controller:
        answer = create(kube_server, {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", **_spec()})
        name = answer["metadata"]["name"]
        created.append((name, answer["metadata"]["resourceVersion"]))
        controller.wait(name)
    watcher.join(timeout=10)
    assert [e["type"] for e in events] == ["MODIFIED"] * len(script.frames)
    assert [e["object"]["status"] for e in events] == [
        rename_frame(f, script.name, name) for f in script.frames
    ]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(set(versions))


# -- the frames it plays ---------------------------------------------------------------------------


def test_recorded_frames_are_distinct_and_end_with_the_verdict(script: Script) -> None:
    keys = [json.dumps(f, sort_keys=True) for f in script.frames]
    assert all(a != b for a, b in itertools.pairwise(keys))
    assert script.frames[-1] == script.workflow["status"]
    assert [f["phase"] for f in script.frames][-1] == "Succeeded"
    assert all(f["phase"] == "Running" for f in script.frames[:-1])


def test_a_recorder_keeps_copies_not_the_live_object() -> None:
    recorder = FrameRecorder()
    status = WorkflowStatus(name="w", phase="Running")
    recorder(status)
    recorder(status)  # unchanged: not kept twice
    status.phase = "Succeeded"
    recorder(status)
    assert [f["phase"] for f in recorder.frames] == ["Running", "Succeeded"]


def test_renaming_recomputes_ids_and_pod_names(script: Script) -> None:
    new = "steps-renamed"
    frame = rename_frame(script.frames[-1], script.name, new)
    old_nodes = script.frames[-1]["nodes"]
    assert len(frame["nodes"]) == len(old_nodes)
    for key, node in frame["nodes"].items():
        assert key == node["id"] == node_id(new, node["name"])
        assert node.get("boundaryID", new) in frame["nodes"]
        assert all(c in frame["nodes"] for c in node.get("children", []) + node.get("outboundNodes", []))
        assert script.name not in json.dumps(node)
    # a pod name in a value is the renamed pod's, not the old one with a new prefix
    b = next(n for n in old_nodes.values() if n["displayName"] == "b")
    text = {"nodes": {}, "message": f"see {pod_name(script.name, b['name'], 'echo')}.log and {script.name}x"}
    renamed = rename_frame({**text, "nodes": {b["id"]: b}}, script.name, new)
    new_pod = pod_name(new, new + b["name"][len(script.name) :], "echo")
    assert (
        renamed["message"] == f"see {new_pod}.log and {script.name}x"
    )  # another name that starts alike: kept


def test_a_name_inside_a_longer_word_is_left_alone() -> None:
    swap = NameSwap("wf", {"wf": "new", "wf-12": "new-34"})
    assert swap("wf-12 awf-12 wf-12.log wf-123 wf.x (wf)") == "new-34 awf-12 new-34.log new-123 new.x (new)"


def _wide(name: str, count: int) -> dict[str, Any]:
    """A status of ``count`` pods whose outputs hold their pod names and IDs."""
    nodes: dict[str, Any] = {
        name: {"id": name, "name": name, "displayName": name, "type": "Steps", "phase": "Succeeded"}
    }
    children = []
    for i in range(count):
        node_name = f"{name}[0].p({i}:{i})"
        nid = node_id(name, node_name)
        children.append(nid)
        pod = pod_name(name, node_name, "echo")
        nodes[nid] = {
            "id": nid,
            "name": node_name,
            "displayName": f"p({i}:{i})",
            "type": "Pod",
            "templateName": "echo",
            "phase": "Succeeded",
            "boundaryID": name,
            "outputs": {"result": f"{pod} in {name}", "parameters": [{"name": "id", "value": nid}]},
        }
    nodes[name]["children"] = children
    return {"phase": "Succeeded", "nodes": nodes}


def test_a_wide_workflow_renames_and_compares_at_scale() -> None:
    name, count = "wide-abcde", 3000
    frame = _wide(name, count)
    started = time.perf_counter()
    renamed = rename_frame(frame, name, "wide-zz")
    assert (
        compare(
            {"metadata": {"name": name}, "status": frame},
            {"metadata": {"name": "wide-zz"}, "status": renamed},
        )
        == []
    )
    elapsed = time.perf_counter() - started
    assert elapsed < 10, elapsed  # ~0.9 s on a loaded 2-core machine: a guard against a pathological slowdown
    assert all(key == node_id("wide-zz", n["name"]) for key, n in renamed["nodes"].items())
    last = renamed["nodes"][node_id("wide-zz", f"wide-zz[0].p({count - 1}:{count - 1})")]
    assert last["outputs"]["result"] == f"{pod_name('wide-zz', last['name'], 'echo')} in wide-zz"
    last["outputs"]["parameters"][0]["value"] = "changed"
    found = compare(
        {"metadata": {"name": name}, "status": frame}, {"metadata": {"name": "wide-zz"}, "status": renamed}
    )
    assert [(d.path, d.what) for d in found] == [
        (f"node {name}[0].p({count - 1}:{count - 1})", "output parameter 'id'")
    ]
