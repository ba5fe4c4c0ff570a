"""Template and workflow parallelism around loops whose items are steps or DAG templates.

Argo's ``checkParallelism`` limits a template's own re-entry by its active *pods* only
(``getActivePods(node.ID)``) and the creation of new children by its active Pod/Steps/DAG
children (``getActiveChildren``). Counting Steps/DAG children for re-entry deadlocked: the
boundary stopped visiting the running child that had to finish first (act's ``workdir`` case,
``max-parallel: 1`` over a matrix, hung in Running that way).
"""

from __future__ import annotations

from wfsync.engine import status as st


def _max_overlap(nodes: list[st.Node]) -> int:
    """The largest number of nodes running at the same moment (start/finish intervals)."""
    events = sorted([(n.started, 1) for n in nodes] + [(n.finished, -1) for n in nodes])
    current = peak = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def _of_type(result, node_type: str, contains: str = "") -> list[st.Node]:  # noqa: ANN001
    return [n for n in result.status.nodes.values() if n.type == node_type and contains in n.name]


def test_parallelism_one_over_looped_steps_template_succeeds(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: par}
        spec:
          entrypoint: main
          templates:
            - name: main
              dag: {tasks: [{name: fan, template: wrapper}]}
            - name: wrapper
              parallelism: 1
              dag: {tasks: [{name: leg, template: steps, withItems: [a, b]}]}
            - name: steps
              steps: [[{name: one, template: echo}]]
            - name: echo
              container: {image: "alpine:3.20", command: [sh, -c, "true"]}
        """
    )
    assert result.workflow["status"]["phase"] == "Succeeded"
    legs = _of_type(result, "Steps", ".leg(")
    assert [n.display_name for n in legs] == ["leg(0:a)", "leg(1:b)"]
    assert all(n.phase == "Succeeded" for n in legs)
    assert _max_overlap(legs) == 1


def test_parallelism_two_over_four_looped_steps_templates(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: par2}
        spec:
          entrypoint: wrapper
          templates:
            - name: wrapper
              parallelism: 2
              dag: {tasks: [{name: leg, template: steps, withItems: [a, b, c, d]}]}
            - name: steps
              steps: [[{name: one, template: nap}], [{name: two, template: nap}]]
            - name: nap
              container: {image: "alpine:3.20", command: [sh, -c, "sleep 0.2"]}
        """
    )
    assert result.workflow["status"]["phase"] == "Succeeded"
    legs = _of_type(result, "Steps", ".leg(")
    assert len(legs) == 4
    assert _max_overlap(legs) == 2


def test_parallelism_on_steps_template_over_looped_dags(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: sdag}
        spec:
          entrypoint: main
          templates:
            - name: main
              parallelism: 1
              steps: [[{name: leg, template: diamond, withItems: [x, y, z]}]]
            - name: diamond
              dag:
                tasks:
                  - {name: A, template: echo}
                  - {name: B, template: echo, dependencies: [A]}
                  - {name: C, template: echo, dependencies: [A]}
            - name: echo
              container: {image: "alpine:3.20", command: [sh, -c, "true"]}
        """
    )
    assert result.workflow["status"]["phase"] == "Succeeded"
    legs = _of_type(result, "DAG", ".leg(")
    assert len(legs) == 3
    assert all(n.phase == "Succeeded" for n in legs)
    assert _max_overlap(legs) == 1
    assert len(_of_type(result, "Pod")) == 9


def test_workflow_parallelism_with_nested_loops(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: wfpar}
        spec:
          entrypoint: main
          parallelism: 1
          templates:
            - name: main
              steps: [[{name: outer, template: inner, withItems: [1, 2]}]]
            - name: inner
              dag:
                tasks:
                  - {name: leaf, template: nap, withItems: [a, b, c]}
            - name: nap
              container: {image: "alpine:3.20", command: [sh, -c, "sleep 0.1"]}
        """
    )
    assert result.workflow["status"]["phase"] == "Succeeded"
    pods = _of_type(result, "Pod")
    assert len(pods) == 6
    assert _max_overlap(pods) == 1


def test_template_parallelism_with_failing_leg_still_finishes(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: parfail}
        spec:
          entrypoint: wrapper
          templates:
            - name: wrapper
              parallelism: 1
              dag: {tasks: [{name: leg, template: steps, arguments: {parameters: [{name: code, value: "{{item}}"}]},
                             withItems: ["0", "3", "0"]}]}
            - name: steps
              inputs: {parameters: [{name: code}]}
              steps: [[{name: one, template: exit, arguments: {parameters: [{name: code, value: "{{inputs.parameters.code}}"}]}}]]
            - name: exit
              inputs: {parameters: [{name: code}]}
              container: {image: "alpine:3.20", command: [sh, -c, "exit {{inputs.parameters.code}}"]}
        """
    )
    assert result.workflow["status"]["phase"] == "Failed"
    legs = _of_type(result, "Steps", ".leg(")
    assert [n.phase for n in legs] == ["Succeeded", "Failed", "Succeeded"]
    assert _max_overlap(legs) == 1
