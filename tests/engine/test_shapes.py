"""Node trees of the canonical shapes, pinned to what Argo's controller writes (names, types, phases, messages)."""

from __future__ import annotations

from wfsync.engine import status as st

from .conftest import node_table

ECHO = """
          - name: echo
            inputs: {parameters: [{name: m, default: hi}]}
            container: {image: busybox, command: [echo], args: ["{{inputs.parameters.m}}"]}
          - name: fail
            container: {image: busybox, command: [sh, -c], args: ["echo bad; exit 3"]}
"""


def test_nested_steps_with_a_parallel_group(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: nested}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: a, template: echo}
            - - {name: b, template: inner}
              - {name: c, template: echo}
          - name: inner
            steps:
            - - {name: d, template: echo}
        """
        + ECHO
    )
    assert result.status.phase == st.SUCCEEDED
    assert node_table(result) == [
        ("WF", "Steps", "Succeeded", ""),
        ("WF[0]", "StepGroup", "Succeeded", ""),
        ("WF[0].a", "Pod", "Succeeded", ""),
        ("WF[1]", "StepGroup", "Succeeded", ""),
        ("WF[1].b", "Steps", "Succeeded", ""),
        ("WF[1].b[0]", "StepGroup", "Succeeded", ""),
        ("WF[1].b[0].d", "Pod", "Succeeded", ""),
        ("WF[1].c", "Pod", "Succeeded", ""),
    ]
    nodes = {n.name: n for n in result.status.nodes.values()}
    assert nodes["nested[1].b[0].d"].display_name == "d"
    assert nodes["nested[1].b[0].d"].boundary_id == nodes["nested[1].b"].id
    assert nodes["nested[0].a"].children == [nodes["nested[1]"].id]
    assert nodes["nested"].outbound_nodes == [nodes["nested[1].b[0].d"].id, nodes["nested[1].c"].id]
    assert nodes["nested[0].a"].id == f"nested-{st.fnv1a32('nested[0].a')}"


def test_dag_diamond(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: diamond}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
              tasks:
              - {name: A, template: echo}
              - {name: B, template: echo, dependencies: [A]}
              - {name: C, template: echo, dependencies: [A]}
              - {name: D, template: echo, dependencies: [B, C]}
        """
        + ECHO
    )
    assert [row[:3] for row in node_table(result)] == [
        ("WF", "DAG", "Succeeded"),
        ("WF.A", "Pod", "Succeeded"),
        ("WF.B", "Pod", "Succeeded"),
        ("WF.C", "Pod", "Succeeded"),
        ("WF.D", "Pod", "Succeeded"),
    ]
    nodes = {n.display_name: n for n in result.status.nodes.values()}
    assert nodes["A"].children == [nodes["B"].id, nodes["C"].id]
    assert nodes["B"].children == [nodes["D"].id] and nodes["C"].children == [nodes["D"].id]
    assert nodes["diamond"].children == [nodes["A"].id]
    assert nodes["diamond"].outbound_nodes == [nodes["D"].id]


def test_loops_over_items_and_maps_with_aggregated_results(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: loops}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - name: s
                template: echo
                arguments: {parameters: [{name: m, value: "{{item}}"}]}
                withItems: [1, 2]
              - name: m
                template: echo
                arguments: {parameters: [{name: m, value: "{{item.os}}"}]}
                withItems: [{os: debian, v: "9"}]
            - - name: total
                template: echo
                arguments: {parameters: [{name: m, value: "{{steps.s.outputs.result}}"}]}
        """
        + ECHO
    )
    table = node_table(result)
    assert table[:5] == [
        ("WF", "Steps", "Succeeded", ""),
        ("WF[0]", "StepGroup", "Succeeded", ""),
        ("WF[0].s(0:1)", "Pod", "Succeeded", ""),
        ("WF[0].s(1:2)", "Pod", "Succeeded", ""),
        ("WF[0].m(0:os:debian,v:9)", "Pod", "Succeeded", ""),
    ]
    total = result.status.by_name("loops[1].total")
    assert total is not None and total.outputs is not None and total.outputs["result"] == "[1,2]"


def test_retries_make_a_retry_node_with_attempts(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: retry}
        spec:
          entrypoint: main
          templates:
          - name: main
            retryStrategy: {limit: "2"}
            container: {image: busybox, command: [sh, -c], args: ["exit 1"]}
        """
    )
    assert result.status.phase == st.FAILED
    assert node_table(result) == [
        ("WF", "Retry", "Failed", "No more retries left"),
        ("WF(0)", "Pod", "Failed", "main: Error (exit code 1)"),
        ("WF(1)", "Pod", "Failed", "main: Error (exit code 1)"),
        ("WF(2)", "Pod", "Failed", "main: Error (exit code 1)"),
    ]
    assert result.status.message == "No more retries left"


def test_retry_expression_and_policy_stop_early(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: retry-expr}
        spec:
          entrypoint: main
          templates:
          - name: main
            retryStrategy: {limit: "5", expression: "asInt(lastRetry.exitCode) == 2"}
            container: {image: busybox, command: [sh, -c], args: ["exit 1"]}
        """
    )
    assert node_table(result)[0] == ("WF", "Retry", "Failed", "retryStrategy.expression evaluated to false")
    assert len(result.status.nodes) == 2


def test_when_skips_with_argos_message(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: when}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: flip, template: echo, arguments: {parameters: [{name: m, value: heads}]}}
            - - {name: heads, template: echo, when: "{{steps.flip.outputs.result}} == heads"}
              - {name: tails, template: echo, when: "{{steps.flip.outputs.result}} == tails"}
        """
        + ECHO
    )
    assert result.status.phase == st.SUCCEEDED
    assert node_table(result)[-2:] == [
        ("WF[1].heads", "Pod", "Succeeded", ""),
        ("WF[1].tails", "Skipped", "Skipped", "when 'heads == tails' evaluated false"),
    ]


def test_bad_when_errors_the_group_and_fails_the_steps(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: badwhen}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: a, template: echo, when: "hello world == x"}
        """
        + ECHO
    )
    table = node_table(result)
    # resolveReferences fails before any child exists: the group is Error, the Steps node Failed
    assert [row[:3] for row in table] == [("WF", "Steps", "Failed"), ("WF[0]", "StepGroup", "Error")]
    assert table[1][3].startswith("Invalid 'when' expression 'hello world == x'")
    assert result.status.phase == st.FAILED


def test_omitted_dag_tasks_and_continue_on_failure_paths(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: omit}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
              tasks:
              - {name: A, template: fail}
              - {name: B, template: echo, depends: "A"}
              - {name: C, template: echo, depends: "A.Failed"}
              - {name: D, template: echo, depends: "B"}
        """
        + ECHO
    )
    table = {row[0]: row[1:] for row in node_table(result)}
    assert table["WF.A"] == ("Pod", "Failed", "main: Error (exit code 3)")
    assert table["WF.B"] == ("Skipped", "Omitted", "omitted: depends condition not met")
    assert table["WF.C"] == ("Pod", "Succeeded", "")
    assert table["WF.D"] == ("Skipped", "Omitted", "omitted: depends condition not met")
    # target D's branch inherits A's Failed phase: the DAG fails (assessDAGPhase)
    assert table["WF"][:2] == ("DAG", "Failed")


def test_step_failure_fails_group_and_steps_with_child_message(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: stepfail}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: ok, template: echo}
              - {name: bad, template: fail}
              - {name: tolerated, template: fail, continueOn: {failed: true}}
            - - {name: never, template: echo}
        """
        + ECHO
    )
    bad = result.status.by_name("stepfail[0].bad")
    assert bad is not None
    table = {row[0]: row[1:] for row in node_table(result)}
    assert table["WF[0]"] == ("StepGroup", "Failed", f"child '{bad.id}' failed".replace("stepfail", "WF"))
    assert table["WF"] == ("Steps", "Failed", f"child '{bad.id}' failed".replace("stepfail", "WF"))
    assert "WF[1]" not in table
    assert result.status.phase == st.FAILED


def test_exit_handlers_see_status_and_failures(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: exits}
        spec:
          entrypoint: main
          onExit: handler
          templates:
          - name: main
            steps:
            - - {name: a, template: fail, onExit: step-exit}
          - name: step-exit
            container: {image: busybox, command: [echo], args: ["{{workflow.status}}"]}
          - name: handler
            container: {image: busybox, command: [sh, -c], args: ["echo {{workflow.status}}; echo '{{workflow.failures}}'"]}
        """
        + ECHO
    )
    table = node_table(result)
    assert [row[:3] for row in table] == [
        ("WF", "Steps", "Failed"),
        ("WF[0]", "StepGroup", "Failed"),
        ("WF[0].a", "Pod", "Failed"),
        ("WF[0].a.onExit", "Pod", "Succeeded"),
        ("WF.onExit", "Pod", "Succeeded"),
    ]
    nodes = {n.name: n for n in result.status.nodes.values()}
    assert nodes["exits[0].a.onExit"].hooked and nodes["exits.onExit"].hooked
    assert nodes["exits[0].a"].children == [nodes["exits[0].a.onExit"].id]
    assert nodes["exits[0].a.onExit"].outputs["result"] == "Running"
    handler_out = nodes["exits.onExit"].outputs["result"].splitlines()
    assert handler_out[0] == "Failed"
    assert '\\"displayName\\":\\"a\\"' in handler_out[1] and handler_out[1].startswith('"[')
    assert result.status.phase == st.FAILED


def test_dag_error_propagates_but_steps_turn_error_into_failed(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: errs}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
              tasks:
              - {name: A, template: missing-output}
          - name: missing-output
            container: {image: busybox, command: [echo]}
            outputs: {parameters: [{name: p, valueFrom: {path: /tmp/nope}}]}
        """
    )
    assert [row[:3] for row in node_table(result)] == [("WF", "DAG", "Error"), ("WF.A", "Pod", "Error")]
    assert result.status.phase == st.ERROR


def test_outputs_artifacts_and_global_names(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: arts}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: gen, template: gen}
            - - name: use
                template: use
                arguments:
                  artifacts: [{name: in, from: "{{steps.gen.outputs.artifacts.out}}"}]
                  parameters: [{name: p, value: "{{steps.gen.outputs.parameters.p}}"}]
          - name: gen
            container: {image: busybox, command: [sh, -c], args: ["echo data > /tmp/out.txt; echo -n 42 > /tmp/p"]}
            outputs:
              parameters: [{name: p, globalName: answer, valueFrom: {path: /tmp/p}}]
              artifacts: [{name: out, path: /tmp/out.txt}]
          - name: use
            inputs:
              parameters: [{name: p}]
              artifacts: [{name: in, path: /mnt/in.txt}]
            container: {image: busybox, command: [sh, -c], args: ["cat /mnt/in.txt; echo {{inputs.parameters.p}} {{workflow.outputs.parameters.answer}}"]}
        """
    )
    assert result.status.phase == st.SUCCEEDED, node_table(result)
    use = result.status.by_name("arts[1].use")
    assert use is not None and use.outputs["result"] == "data\n42 42"
    gen = result.status.by_name("arts[0].gen")
    assert gen is not None and gen.outputs["artifacts"][0]["s3"]["key"].endswith("/out.tgz")
    assert result.status.outputs["parameters"] == [{"name": "answer", "value": "42"}]
    assert (result.status.name, "answer") and result.workflow["status"]["outputs"]["parameters"][0][
        "value"
    ] == "42"


def test_workflow_deadline_fails_running_pods(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: dl}
        spec:
          entrypoint: main
          activeDeadlineSeconds: 1
          templates:
          - name: main
            container: {image: busybox, command: [sleep], args: ["30"]}
        """
    )
    assert node_table(result) == [("WF", "Pod", "Failed", "Step exceeded its deadline")]
    assert result.status.phase == st.FAILED


def test_parallelism_limits_concurrent_pods(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: par}
        spec:
          entrypoint: main
          templates:
          - name: main
            parallelism: 1
            steps:
            - - {name: s, template: nap, withItems: [1, 2, 3]}
          - name: nap
            container: {image: busybox, command: [sh, -c], args: ["sleep 0.2"]}
        """
    )
    pods = sorted((n for n in result.status.nodes.values() if n.type == "Pod"), key=lambda n: n.started)
    assert len(pods) == 3
    for first, second in zip(pods, pods[1:], strict=False):
        assert second.started >= first.finished - 0.01
