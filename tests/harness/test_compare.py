"""compare(): what verify reports between two runs, over real local runs and edits of their status."""

from __future__ import annotations

import copy
import random
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from wfsync.engine.run import RunRequest, run
from wfsync.engine.status import pod_name
from wfsync.harness.compare import NODE, Difference, compare
from wfsync.harness.frames import rename_frame

WORKFLOW = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: cmp-
spec:
  entrypoint: main
  onExit: bye
  templates:
  - name: main
    steps:
    - - name: a
        template: out
    - - name: b
        template: out
      - name: skip
        template: out
        when: "{{steps.a.outputs.parameters.v}} == no"
    - - name: inner
        template: pair
  - name: pair
    dag:
      tasks:
      - name: x
        template: out
      - name: y
        depends: x
        template: out
  - name: out
    script:
      image: alpine
      command: [sh]
      source: |
        printf yes > /tmp/v
        echo {{workflow.name}} > /tmp/a.txt
        echo "result of {{workflow.name}} in {{pod.name}}"
    outputs:
      parameters: [{name: v, valueFrom: {path: /tmp/v}}, {name: who, value: "{{workflow.name}}"}]
      artifacts: [{name: a, path: /tmp/a.txt}]
  - name: bye
    container: {image: alpine, command: [sh, -c, "exit 0"]}
"""

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Obj, Obj]:
    """Two independent local runs of the same file: different names, times, pods."""
    root = tmp_path_factory.mktemp("compare")
    path = root / "wf.yaml"
    path.write_text(textwrap.dedent(WORKFLOW), encoding="utf-8")
    first = run(RunRequest(path=path, state_dir=root / "state")).workflow
    second = run(RunRequest(path=path, state_dir=root / "state")).workflow
    assert first["status"]["phase"] == second["status"]["phase"] == "Succeeded"
    assert first["metadata"]["name"] != second["metadata"]["name"]
    return first, second


def _node(wf: Obj, rel: str) -> Obj:
    name = wf["metadata"]["name"] + rel
    return next(n for n in wf["status"]["nodes"].values() if n["name"] == name)


def _edit(wf: Obj, change: Callable[[Obj], None]) -> Obj:
    out = copy.deepcopy(wf)
    change(out)
    return out


def test_two_runs_of_one_file_do_not_differ(runs: tuple[Obj, Obj]) -> None:
    first, second = runs
    assert compare(first, second) == []
    assert compare(second, first) == []
    # their statuses differ in names, IDs, pod names and values holding the name: all set aside
    assert _node(first, "[0].a")["outputs"]["result"] != _node(second, "[0].a")["outputs"]["result"]


def test_a_bare_status_compares_like_its_workflow(runs: tuple[Obj, Obj]) -> None:
    first, second = runs
    assert compare(first["status"], second["status"]) == []
    changed = _edit(second, lambda wf: _node(wf, "[0].a").update(phase="Failed"))
    assert [d.what for d in compare(first["status"], changed["status"])] == ["phase"]


def test_what_the_machine_decides_is_ignored(runs: tuple[Obj, Obj]) -> None:
    first, _ = runs

    def noise(wf: Obj) -> None:
        wf["status"]["startedAt"] = "2001-01-01T00:00:00Z"
        for node in wf["status"]["nodes"].values():
            node.update(startedAt="2001-01-01T00:00:00Z", finishedAt="2001-01-01T00:01:00Z")
            node.update(hostNodeName="kind-worker", podIP="10.1.2.3", message="")
            node.pop("templateScope", None)
        _node(wf, "[0].a")["message"] = "Succeeded after the 2nd try"

    assert compare(first, _edit(first, noise)) == []


@pytest.mark.parametrize(
    ("rel", "change", "what", "line"),
    [
        ("[0].a", {"phase": "Failed"}, "phase", "node {wf}[0].a: phase Succeeded here, Failed on Argo"),
        ("[0].a", {"type": "Container"}, "type", "node {wf}[0].a: type Pod here, Container on Argo"),
        ("[2].inner", {"type": "Steps"}, "type", "node {wf}[2].inner: type DAG here, Steps on Argo"),
        (
            "[2].inner",
            {"templateName": "other"},
            "templateName",
            "node {wf}[2].inner: templateName pair here, other on Argo",
        ),
        (
            "[0].a",
            {"templateRef": {"name": "lib", "template": "out", "clusterScope": True}},
            "templateRef",
            "node {wf}[0].a: templateRef (none) here, cluster:lib/out on Argo",
        ),
        ("[1].b", {"displayName": "B"}, "displayName", "node {wf}[1].b: displayName b here, B on Argo"),
    ],
)
def test_each_field_difference_is_reported_once(
    runs: tuple[Obj, Obj], rel: str, change: Obj, what: str, line: str
) -> None:
    first, second = runs
    found = compare(first, _edit(second, lambda wf: _node(wf, rel).update(change)))
    assert [d.what for d in found] == [what]
    assert str(found[0]) == line.format(wf=first["metadata"]["name"])


def _set_param(wf: Obj, name: str, value: str | None) -> None:
    params = _node(wf, "[2].inner.y")["outputs"]["parameters"]
    if value is None:
        params[:] = [p for p in params if p["name"] != name]
    else:
        next(p for p in params if p["name"] == name)["value"] = value


def test_output_differences(runs: tuple[Obj, Obj]) -> None:
    first, second = runs
    wf = first["metadata"]["name"]
    at = f"node {wf}[2].inner.y"
    cases: list[tuple[Callable[[Obj], None], str]] = [
        (lambda w: _set_param(w, "v", "no"), f"""{at}: output parameter 'v' "yes" here, "no" on Argo"""),
        (
            lambda w: _set_param(w, "who", None),
            f"""{at}: output parameter 'who' "{wf}" here, (none) on Argo""",
        ),
        (
            lambda w: _node(w, "[2].inner.y")["outputs"]["artifacts"].append({"name": "extra"}),
            f"{at}: output artifacts a here, a, extra on Argo",
        ),
        (
            lambda w: _node(w, "[2].inner.y")["outputs"].update(exitCode="1"),
            f'{at}: exitCode "0" here, "1" on Argo',
        ),
        (
            lambda w: _node(w, "[2].inner.y")["outputs"].update(result="line one\nline two"),
            f'{at}: result "result of {wf} in {pod_name(wf, wf + "[2].inner.y", "out")}" here, "line one\\nline two" on Argo',
        ),
    ]
    for change, line in cases:
        found = compare(first, _edit(second, change))
        assert [str(d) for d in found] == [line]
        assert "\n" not in str(found[0])


def test_archived_logs_on_argo_are_not_an_output_difference(runs: tuple[Obj, Obj]) -> None:
    first, second = runs

    def archive(w: Obj) -> None:
        for node in w["status"]["nodes"].values():
            if node["type"] == "Pod":
                logs = {"name": "main-logs", "s3": {"key": f"{node['id']}/main.log"}}
                node.setdefault("outputs", {}).setdefault("artifacts", []).append(logs)

    assert compare(first, _edit(second, archive)) == []
    # one the local run declared is compared like any other output
    declared = _edit(first, lambda w: _node(w, "[0].a")["outputs"]["artifacts"].append({"name": "main-logs"}))
    found = compare(declared, second)
    assert [str(d) for d in found] == [
        f"node {first['metadata']['name']}[0].a: output artifacts a, main-logs here, a on Argo"
    ]


def test_a_missing_subtree_is_one_difference(runs: tuple[Obj, Obj]) -> None:
    first, second = runs
    wf = first["metadata"]["name"]

    def drop_inner(w: Obj) -> None:
        name = w["metadata"]["name"]
        w["status"]["nodes"] = {
            k: n for k, n in w["status"]["nodes"].items() if not n["name"].startswith(f"{name}[2]")
        }

    found = compare(first, _edit(second, drop_inner))
    assert found == [Difference(f"node {wf}[2]", NODE, "StepGroup Succeeded, and 3 nodes under it", "")]
    assert str(found[0]) == f"node {wf}[2]: missing on Argo (StepGroup Succeeded, and 3 nodes under it)"
    # the other way round: Argo has a subtree the local run lacks
    back = compare(_edit(second, drop_inner), first)
    assert [str(d) for d in back] == [
        f"node {second['metadata']['name']}[2]: missing here (StepGroup Succeeded, and 3 nodes under it)"
    ]


def test_a_missing_leaf_says_nothing_about_children(runs: tuple[Obj, Obj]) -> None:
    first, second = runs

    def drop(w: Obj) -> None:
        gone = _node(w, ".onExit")["id"]
        del w["status"]["nodes"][gone]

    found = compare(first, _edit(second, drop))
    assert [str(d) for d in found] == [
        f"node {first['metadata']['name']}.onExit: missing on Argo (Pod Succeeded)"
    ]


def test_failed_nodes_compare_their_messages(runs: tuple[Obj, Obj]) -> None:
    first, second = runs

    def fail(message: str) -> Callable[[Obj], None]:
        def go(w: Obj) -> None:
            node = _node(w, "[0].a")
            node.update(phase="Failed", message=message.format(id=node["id"]))
            w["status"].update(phase="Failed", message=message.format(id=node["id"]))

        return go

    # the same message naming each run's own node ID is the same message
    assert (
        compare(_edit(first, fail("child '{id}' failed")), _edit(second, fail("child '{id}' failed"))) == []
    )
    found = compare(
        _edit(first, fail("Error (exit code 1)")), _edit(second, fail("OOMKilled (exit code 137)"))
    )
    assert [(d.path, d.what) for d in found] == [
        ("workflow", "message"),
        (f"node {first['metadata']['name']}[0].a", "message"),
    ]


def test_differences_come_in_tree_order_whatever_the_dict_order(runs: tuple[Obj, Obj]) -> None:
    first, second = runs
    rels = [".onExit", "[2].inner.y", "[0].a", "[2].inner", "[1].skip"]

    def change(w: Obj) -> None:
        for rel in rels:
            _node(w, rel)["phase"] = "Error"
        items = list(w["status"]["nodes"].items())
        random.Random(7).shuffle(items)
        w["status"]["nodes"] = dict(items)

    found = compare(first, _edit(second, change))
    wf = first["metadata"]["name"]
    assert [d.path for d in found] == [
        f"node {wf}[0].a",
        f"node {wf}[1].skip",
        f"node {wf}[2].inner",
        f"node {wf}[2].inner.y",
        f"node {wf}.onExit",
    ]


def test_global_outputs_are_compared(runs: tuple[Obj, Obj]) -> None:
    first, second = runs

    def publish(value: str) -> Callable[[Obj], None]:
        def go(w: Obj) -> None:
            name = w["metadata"]["name"]
            w["status"]["outputs"] = {"parameters": [{"name": "g", "value": value.format(wf=name)}]}

        return go

    # a value naming each run's own workflow is the same value
    assert compare(_edit(first, publish("made by {wf}")), _edit(second, publish("made by {wf}"))) == []
    found = compare(_edit(first, publish("one")), _edit(second, publish("two")))
    assert [str(d) for d in found] == ["""workflow: output parameter 'g' "one" here, "two" on Argo"""]


def test_the_workflow_phase_comes_first(runs: tuple[Obj, Obj]) -> None:
    first, second = runs
    found = compare(first, _edit(second, lambda w: w["status"].update(phase="Error")))
    assert [str(d) for d in found] == ["workflow: phase Succeeded here, Error on Argo"]


def test_a_renamed_frame_does_not_differ(runs: tuple[Obj, Obj]) -> None:
    first, _ = runs
    renamed = {
        "metadata": {"name": "cmp-elsewhere"},
        "status": rename_frame(first["status"], first["metadata"]["name"], "cmp-elsewhere"),
    }
    assert renamed["status"]["nodes"].keys().isdisjoint(first["status"]["nodes"])
    assert compare(first, renamed) == []


def test_long_values_are_cut_in_the_line() -> None:
    d = Difference("node w.a", "result", "x" * 500, "y")
    assert len(str(d)) < 150 and str(d).count("...") == 1
    assert d.to_json() == {"path": "node w.a", "what": "result", "local": "x" * 500, "remote": "y"}
