"""Resource templates against the embedded cluster: actions, conditions, outputs, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfsync.cluster.embedded import EmbeddedCluster
from wfsync.engine import status as st
from wfsync.engine.resource import condition_met

from .conftest import node_table

CREATE_THEN_GET = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: res}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: make, template: make}
    - - {name: patch, template: patch}
    - - name: show
        template: show
        arguments: {parameters: [{name: v, value: "{{steps.make.outputs.parameters.uid-name}}"}]}
  - name: make
    resource:
      action: create
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cm-one, labels: {a: b}}
        data: {key: value}
    outputs:
      parameters:
      - name: uid-name
        valueFrom: {jsonPath: "{.metadata.name}"}
  - name: patch
    resource:
      action: patch
      mergeStrategy: json
      flags: [configmap, cm-one]
      manifest: |
        - {op: replace, path: /data/key, value: changed}
  - name: show
    inputs: {parameters: [{name: v}]}
    resource:
      action: get
      successCondition: data.key == changed
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: "{{inputs.parameters.v}}"}
    outputs:
      parameters:
      - name: key
        valueFrom: {jqFilter: .data.key}
"""


def test_create_patch_get_with_outputs_and_condition(run_yaml, tmp_path: Path) -> None:
    cluster = EmbeddedCluster(tmp_path / "cluster", any_kind=True)
    result = run_yaml(CREATE_THEN_GET, cluster=cluster)
    assert [(n, t, p) for n, t, p, _ in node_table(result)] == [
        ("WF", "Steps", "Succeeded"),
        ("WF[0]", "StepGroup", "Succeeded"),
        ("WF[0].make", "Pod", "Succeeded"),
        ("WF[1]", "StepGroup", "Succeeded"),
        ("WF[1].patch", "Pod", "Succeeded"),
        ("WF[2]", "StepGroup", "Succeeded"),
        ("WF[2].show", "Pod", "Succeeded"),
    ]
    nodes = {n.name: n for n in result.status.nodes.values()}
    assert nodes["res[0].make"].outputs == {"parameters": [{"name": "uid-name", "value": "cm-one"}]}
    assert nodes["res[2].show"].outputs == {"parameters": [{"name": "key", "value": "changed"}]}
    stored = cluster.get("ConfigMap", "default", "cm-one")
    assert stored is not None
    assert stored["data"] == {"key": "changed"}
    assert cluster.list("Pod", "default") == []  # the resource pods are gone once they ended
    again = run_yaml(CREATE_THEN_GET, cluster=cluster)
    assert again.status.phase == st.FAILED
    assert "already exists" in again.status.nodes[st.node_id("res", "res[0].make")].message


def test_patch_of_the_own_pod_and_failure_condition(run_yaml, tmp_path: Path) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: own}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: p, template: p}
            - - {name: bad, template: bad}
          - name: p
            resource:
              action: patch
              mergeStrategy: merge
              flags: [pod, "{{pod.name}}"]
              manifest: |
                metadata: {annotations: {foo: bar}}
          - name: bad
            resource:
              action: create
              failureCondition: metadata.labels.x == y
              manifest: |
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: c2, labels: {x: y}}
        """,
        cluster=EmbeddedCluster(tmp_path / "c", any_kind=True),
    )
    table = node_table(result)
    assert table[2] == ("WF[0].p", "Pod", "Succeeded", "")
    assert table[4] == ("WF[1].bad", "Pod", "Failed", "failure condition 'metadata.labels.x == y' met")
    assert result.status.phase == st.FAILED


def test_kinds_that_need_a_controller_are_refused_on_the_node(run_yaml, tmp_path: Path) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: job}
        spec:
          entrypoint: main
          templates:
          - name: main
            resource:
              action: create
              successCondition: status.succeeded > 0
              manifest: |
                apiVersion: batch/v1
                kind: Job
                metadata: {generateName: j-}
        """,
        cluster=EmbeddedCluster(tmp_path / "c", any_kind=True),
    )
    (node,) = result.status.nodes.values()
    assert node.message.startswith("unsupported: environment: a Job needs a Kubernetes cluster")


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("status.phase == Succeeded", True),
        ("status.phase = Failed", False),
        ("status.succeeded > 0,status.phase != Failed", True),
        ("status.failed > 2", False),
        ("status.phase in (Running, Succeeded)", True),
        ("status.missing", False),
        ("!status.missing", True),
    ],
)
def test_conditions_like_label_selectors(condition: str, expected: bool) -> None:
    obj = {"status": {"phase": "Succeeded", "succeeded": 1, "failed": 0}}
    assert condition_met(condition, obj) is expected
