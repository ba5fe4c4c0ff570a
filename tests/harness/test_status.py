"""Argo's status JSON read back into the engine's WorkflowStatus: real runs, compressed, offloaded, hostile."""

from __future__ import annotations

import base64
import copy
import dataclasses
import gzip
import json
import textwrap
import zlib
from pathlib import Path
from typing import Any

import pytest

from wfsync.engine.run import RunRequest, RunResult, run
from wfsync.engine.status import pod_name
from wfsync.errors import ExitCode
from wfsync.harness import status as hs
from wfsync.harness.status import StatusError, decode_nodes, encode_nodes, offloaded, workflow_status

DAG = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: dag-x
spec:
  entrypoint: main
  onExit: bye
  templates:
  - name: main
    dag:
      tasks:
      - name: a
        template: out
      - name: b
        depends: a
        template: out
        when: "{{tasks.a.outputs.parameters.v}} == yes"
      - name: c
        depends: a
        template: out
        when: "{{tasks.a.outputs.parameters.v}} == no"
  - name: out
    script:
      image: alpine
      command: [sh]
      source: printf yes > /tmp/v; echo done
    outputs:
      parameters: [{name: v, valueFrom: {path: /tmp/v}}]
  - name: bye
    container: {image: alpine, command: [sh, -c, "exit 0"]}
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    root = tmp_path_factory.mktemp("status")
    (root / "wf.yaml").write_text(textwrap.dedent(DAG), encoding="utf-8")
    done = run(RunRequest(path=root / "wf.yaml", state_dir=root / "state"))
    assert done.status.phase == "Succeeded"
    return done


def _seconds(node: Any) -> Any:
    return dataclasses.replace(node, started=float(int(node.started)), finished=float(int(node.finished)))


def test_a_real_run_reads_back_as_the_engine_made_it(result: RunResult) -> None:
    read = workflow_status(json.loads(json.dumps(result.workflow)))
    engine = result.status
    assert (read.name, read.phase, read.message) == (engine.name, engine.phase, engine.message)
    assert int(read.started) == int(engine.started) and int(read.finished) == int(engine.finished)
    assert list(read.nodes) == list(engine.nodes)
    kinds = {n.type for n in read.nodes.values()}
    assert {"DAG", "Pod", "Skipped"} <= kinds  # c was skipped: its when was false
    for key, node in engine.nodes.items():
        assert read.nodes[key] == _seconds(node), key  # every field, pod names included
    assert read.within("dag-x") == [n for n in read.nodes.values() if n.boundary_id == "dag-x"]
    assert read.to_json()["nodes"] == {k: _seconds(n).to_json() for k, n in engine.nodes.items()}


def test_compressed_nodes_are_read_as_argo_writes_them(result: RunResult) -> None:
    nodes = result.workflow["status"]["nodes"]
    # Go's file.CompressEncodeString: gzip (any level) then standard base64
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    packed = packer.compress(json.dumps(nodes).encode()) + packer.flush()
    workflow = copy.deepcopy(result.workflow)
    workflow["status"].pop("nodes")
    workflow["status"]["compressedNodes"] = base64.b64encode(packed).decode()
    assert workflow_status(workflow).nodes == workflow_status(result.workflow).nodes
    assert decode_nodes(encode_nodes(nodes)) == nodes


def test_a_decompression_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hs, "MAX_EXPANDED_BYTES", 2 * 1024 * 1024)
    packed = gzip.compress(b'{"x": "' + b"0" * (40 * 1024 * 1024) + b'"}')
    assert len(packed) < 100_000  # 40 MB in under 100 kB
    text = base64.b64encode(packed).decode()
    with pytest.raises(
        StatusError, match=r"workflow w: status.compressedNodes: expands beyond 2097152 bytes"
    ):
        workflow_status({"metadata": {"name": "w"}, "status": {"compressedNodes": text}})


def test_an_oversized_compressed_text_is_not_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hs, "MAX_COMPRESSED_CHARS", 100)
    with pytest.raises(StatusError, match="compressedNodes: 200 characters, more than the 100 read"):
        decode_nodes("A" * 200)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not base64!", "not base64"),
        (base64.b64encode(b"plain text").decode(), "not gzip data"),
        (base64.b64encode(gzip.compress(b"{nope", mtime=0)).decode(), "not JSON once decompressed"),
        (
            base64.b64encode(gzip.compress(b"[1, 2]", mtime=0)).decode(),
            "expected an object of nodes, got a list",
        ),
        (base64.b64encode(gzip.compress(b"\xff\xfe", mtime=0)).decode(), "not JSON once decompressed"),
        (
            base64.b64encode(gzip.compress(b"[" * 200_000, mtime=0)).decode(),
            "JSON nested too deep once decompressed",
        ),
    ],
)
def test_broken_compressed_nodes_are_named(text: str, reason: str) -> None:
    with pytest.raises(StatusError, match=f"workflow w: status.compressedNodes: {reason}"):
        workflow_status({"metadata": {"name": "w"}, "status": {"compressedNodes": text}})


def test_offloaded_means_a_version_without_nodes(result: RunResult) -> None:
    status = result.workflow["status"]
    assert not offloaded(result.workflow)
    gone = {"metadata": {"name": "w"}, "status": {"phase": "Running", "offloadNodeStatusVersion": "fnv:1"}}
    assert offloaded(gone) and workflow_status(gone).nodes == {}
    hydrated = {**gone, "status": {**gone["status"], "nodes": status["nodes"]}}
    assert not offloaded(hydrated)
    compressed = {**gone, "status": {**gone["status"], "compressedNodes": encode_nodes(status["nodes"])}}
    assert not offloaded(compressed)
    odd: dict[str, Any]
    for odd in ({}, {"status": None}, {"status": []}, {"status": {"offloadNodeStatusVersion": ""}}):
        assert not offloaded(odd)


def test_a_partial_status_takes_empty_values() -> None:
    assert workflow_status({"metadata": {"name": "w"}}).phase == ""
    read = workflow_status({"metadata": {"name": "w"}, "status": {"nodes": {"w": {"name": "w"}}}})
    node = read.nodes["w"]
    assert (node.id, node.type, node.phase, node.children, node.started, node.outputs) == (
        "w",
        "",
        "",
        [],
        0.0,
        None,
    )


def test_unknown_phases_and_types_are_kept_as_sent() -> None:
    wf = {
        "metadata": {"name": "w"},
        "status": {
            "phase": "Exploded",
            "nodes": {"w-1": {"name": "w.x", "type": "Plugin", "phase": "Weird"}},
        },
    }
    read = workflow_status(wf)
    assert read.phase == "Exploded"
    assert (read.nodes["w-1"].type, read.nodes["w-1"].phase) == ("Plugin", "Weird")


def test_times_in_rfc3339_forms() -> None:
    base = {"metadata": {"name": "w"}}
    for text, expected in (
        ("2024-05-01T10:00:00Z", 1714557600.0),
        ("2024-05-01T10:00:00.250Z", 1714557600.25),
        ("2024-05-01T12:00:00+02:00", 1714557600.0),
    ):
        assert workflow_status({**base, "status": {"startedAt": text}}).started == expected
    assert workflow_status({**base, "status": {"finishedAt": None}}).finished == 0.0


def test_a_referenced_pod_is_named_after_the_referenced_template() -> None:
    node = {"name": "w.a", "type": "Pod", "templateRef": {"name": "lib", "template": "build"}}
    read = workflow_status({"metadata": {"name": "w"}, "status": {"nodes": {"w-1": node}}})
    assert read.nodes["w-1"].pod_name == pod_name("w", "w.a", "build")


def _node(**fields: Any) -> dict[str, Any]:
    return {"metadata": {"name": "w"}, "status": {"nodes": {"w-7": {"name": "w.a", **fields}}}}


@pytest.mark.parametrize(
    ("workflow", "message"),
    [
        ([], "workflow: expected an object, got a list"),
        ({"metadata": []}, "metadata: expected an object, got a list"),
        ({"metadata": {}}, "metadata.name: missing"),
        ({"metadata": {"name": 3}}, "metadata.name: expected a string, got a number"),
        (
            {"metadata": {"name": "w"}, "status": "done"},
            "workflow w: status: expected an object, got a string",
        ),
        ({"metadata": {"name": "w"}, "status": {"phase": 1}}, r"workflow w: status.phase: expected a string"),
        (
            {"metadata": {"name": "w"}, "status": {"nodes": []}},
            r"status.nodes: expected an object, got a list",
        ),
        (
            {"metadata": {"name": "w"}, "status": {"startedAt": "yesterday"}},
            "'yesterday' is not an RFC3339 time",
        ),
        ({"metadata": {"name": "w"}, "status": {"startedAt": "2024-05-01T10:00:00"}}, "has no time zone"),
        ({"metadata": {"name": "w"}, "status": {"outputs": 4}}, r"status.outputs: expected an object"),
        (
            {"metadata": {"name": "w"}, "status": {"compressedNodes": 4}},
            r"status.compressedNodes: expected a string",
        ),
        (
            {"metadata": {"name": "w"}, "status": {"nodes": {"w-7": "x"}}},
            r"status.nodes\[w-7\]: expected an object",
        ),
        (_node(name=None), r"status.nodes\[w-7\].name: missing"),
        (_node(phase=["Succeeded"]), r"status.nodes\[w-7\].phase: expected a string, got a list"),
        (_node(children="w-8"), r"status.nodes\[w-7\].children: expected a list of strings"),
        (_node(children=[1]), r"status.nodes\[w-7\].children: expected a list of strings"),
        (_node(nodeFlag={"hooked": "yes"}), r"status.nodes\[w-7\].nodeFlag.hooked: expected true or false"),
        (_node(nodeFlag=[]), r"status.nodes\[w-7\].nodeFlag: expected an object"),
        (_node(templateRef="lib/x"), r"status.nodes\[w-7\].templateRef: expected an object"),
        (_node(outputs=[]), r"status.nodes\[w-7\].outputs: expected an object"),
        (_node(finishedAt=12), r"status.nodes\[w-7\].finishedAt: expected a string"),
        (_node(synchronizationStatus={"waiting": {}}), r"synchronizationStatus.waiting: expected a string"),
        (_node(daemoned="true"), r"status.nodes\[w-7\].daemoned: expected true or false"),
    ],
)
def test_hostile_status_is_a_clear_error(workflow: Any, message: str) -> None:
    with pytest.raises(StatusError, match=message) as caught:
        workflow_status(workflow)
    assert caught.value.exit_code == ExitCode.INCOMPLETE
    assert "\n" not in str(caught.value)


def test_every_engine_node_field_is_read(tmp_path: Path) -> None:
    # a node with every field the engine's Node serialises: a new field there must be read here too
    full = {
        "id": "w-1",
        "name": "w.a",
        "displayName": "a",
        "type": "Pod",
        "templateName": "t",
        "templateRef": {"name": "lib", "template": "t"},
        "templateScope": "local/w",
        "phase": "Running",
        "boundaryID": "w",
        "message": "m",
        "startedAt": "2024-05-01T10:00:00Z",
        "finishedAt": "2024-05-01T10:00:05Z",
        "hostNodeName": "h",
        "podIP": "10.0.0.1",
        "daemoned": True,
        "inputs": {"parameters": [{"name": "p", "value": "1"}]},
        "outputs": {"result": "r"},
        "children": ["w-2"],
        "outboundNodes": ["w-2"],
        "synchronizationStatus": {"waiting": "lock"},
        "nodeFlag": {"hooked": True, "retried": True},
    }
    node = workflow_status({"metadata": {"name": "w"}, "status": {"nodes": {"w-1": full}}}).nodes["w-1"]
    assert node.to_json() == full
