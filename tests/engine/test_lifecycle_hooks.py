"""Lifecycle hooks other than exit (``hooks: {name: {expression, template}}``), as Argo fires them."""

from __future__ import annotations

from wfsync.engine.executor import Unsupported

STEP_HOOKS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: lh}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: step-1
            template: nap
            hooks:
              running:
                expression: steps["step-1"].status == "Running"
                template: note
              success:
                expression: steps["step-1"].status == "Succeeded"
                template: note
              failure:
                expression: steps["step-1"].status == "Failed"
                template: note
        - - name: step2
            template: nap
    - name: nap
      container: {image: "alpine:3.20", command: [sh, -c, "sleep 0.3"]}
    - name: note
      container: {image: "alpine:3.20", command: [sh, -c, "echo hook"]}
"""


def _names(result) -> dict[str, object]:  # noqa: ANN001
    return {n.name.replace(result.status.name, "WF", 1): n for n in result.status.nodes.values()}


def test_step_hooks_fire_on_their_expressions_only(run_yaml) -> None:
    result = run_yaml(STEP_HOOKS)
    assert result.status.phase == "Succeeded"
    nodes = _names(result)
    running = nodes["WF[0].step-1.hooks.running"]
    success = nodes["WF[0].step-1.hooks.success"]
    assert "WF[0].step-1.hooks.failure" not in nodes
    for hook in (running, success):
        assert hook.phase == "Succeeded"
        assert hook.hooked
        assert hook.boundary_id == nodes["WF"].id
        assert hook.id in nodes["WF[0].step-1"].children
    # the next group waits for the hooks of the previous one
    step2 = nodes["WF[1].step2"]
    assert step2.started >= success.finished
    assert step2.started >= running.finished


def test_task_hooks_in_a_dag_and_dependants_wait(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: dh}
        spec:
          entrypoint: main
          templates:
            - name: main
              dag:
                tasks:
                  - name: A
                    template: nap
                    hooks:
                      done:
                        expression: tasks.A.status == "Succeeded"
                        template: note
                        arguments: {parameters: [{name: msg, value: "{{tasks.A.outputs.result}}"}]}
                  - {name: B, template: nap, dependencies: [A]}
            - name: nap
              container: {image: "alpine:3.20", command: [sh, -c, "sleep 0.2; echo out-A"]}
            - name: note
              inputs: {parameters: [{name: msg, default: none}]}
              container: {image: "alpine:3.20", command: [sh, -c, "echo got {{inputs.parameters.msg}}"]}
        """
    )
    assert result.status.phase == "Succeeded"
    nodes = _names(result)
    hook = nodes["WF.A.hooks.done"]
    assert hook.phase == "Succeeded"
    assert hook.outputs["result"] == "got out-A"
    assert nodes["WF.B"].started >= hook.finished


def test_workflow_level_running_and_succeeded_hooks(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: wh}
        spec:
          entrypoint: main
          hooks:
            exit: {template: note}
            running:
              expression: workflow.status == "Running"
              template: note
            done:
              expression: workflow.status == "Succeeded"
              template: note
            failed:
              expression: workflow.status == "Failed"
              template: note
          templates:
            - name: main
              steps: [[{name: step1, template: note}]]
            - name: note
              container: {image: "alpine:3.20", command: [sh, -c, "echo hi"]}
        """
    )
    assert result.status.phase == "Succeeded"
    nodes = _names(result)
    assert nodes["WF.hooks.running"].phase == "Succeeded"
    assert nodes["WF.hooks.done"].phase == "Succeeded"
    assert "WF.hooks.failed" not in nodes
    assert nodes["WF.onExit"].phase == "Succeeded"
    assert {nodes["WF.hooks.running"].id, nodes["WF.hooks.done"].id} <= set(nodes["WF"].children)
    # the exit handler runs after the hooks that fire on the final status
    assert nodes["WF.onExit"].started >= nodes["WF.hooks.done"].finished


def test_hook_without_expression_errors_the_step(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: ne}
        spec:
          entrypoint: main
          templates:
            - name: main
              steps: [[{name: s, template: note, hooks: {running: {template: note}}}]]
            - name: note
              container: {image: "alpine:3.20", command: [sh, -c, "echo hi"]}
        """
    )
    assert result.status.phase == "Failed"
    step = _names(result)["WF[0].s"]
    assert step.phase == "Error"
    assert step.message == "Expression required for hook ne[0].s.hooks.running"


def test_hooks_on_a_template_itself_are_refused(run_yaml) -> None:
    try:
        run_yaml(
            """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: th}
            spec:
              entrypoint: note
              templates:
                - name: note
                  hooks: {running: {expression: "true", template: note}}
                  container: {image: "alpine:3.20", command: [sh, -c, "echo hi"]}
            """
        )
    except Unsupported as exc:
        assert "hooks belong on steps, tasks or the spec" in str(exc)
    else:
        raise AssertionError("a template-level hook must be refused")


def _with_local_http(path, tmp_path):  # noqa: ANN001, ANN202
    """Argo's example with its ``http`` template (a download) swapped for a local container."""
    import yaml

    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    for tmpl in body["spec"]["templates"]:
        if "http" in tmpl:
            del tmpl["http"]
            tmpl["container"] = {"image": "alpine:3.20", "command": ["sh", "-c", "echo fetched"]}
    body["metadata"] = {"name": path.stem}
    out = tmp_path / path.name
    out.write_text(yaml.safe_dump(body), encoding="utf-8")
    return out


def test_argo_example_hooks_at_step_level(argo_examples, tmp_path) -> None:
    from wfsync.engine.run import RunRequest, run

    path = _with_local_http(argo_examples / "life-cycle-hooks-tmpl-level.yaml", tmp_path)
    result = run(RunRequest(path=path, state_dir=tmp_path / "state"))
    assert result.status.phase == "Succeeded"
    hooks = sorted(n.display_name for n in result.status.nodes.values() if n.hooked)
    # every step's "success" hook fires; "running" ones fire when the pass sees the pod running
    assert {"step-1.hooks.success", "step2.hooks.success"} <= set(hooks)
    assert all(n.phase == "Succeeded" for n in result.status.nodes.values())


def test_argo_example_hooks_at_workflow_level(argo_examples, tmp_path) -> None:
    from wfsync.engine.run import RunRequest, run

    path = _with_local_http(argo_examples / "life-cycle-hooks-wf-level.yaml", tmp_path)
    result = run(RunRequest(path=path, state_dir=tmp_path / "state"))
    assert result.status.phase == "Succeeded"
    names = {n.name for n in result.status.nodes.values()}
    assert {"life-cycle-hooks-wf-level.hooks.running", "life-cycle-hooks-wf-level.onExit"} <= names
