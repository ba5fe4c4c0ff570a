"""Pods with more than one container: containerSet graphs, init containers and sidecars."""

from __future__ import annotations

from wfsync.engine import status as st

from .conftest import node_table


def test_container_set_graph_makes_container_nodes_linked_by_dependencies(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: cs}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
              tasks:
              - {name: group, template: group}
              - name: check
                dependencies: [group]
                template: check
                arguments: {parameters: [{name: r, value: "{{tasks.group.outputs.result}}"}]}
          - name: group
            volumes: [{name: ws, emptyDir: {}}]
            containerSet:
              volumeMounts: [{name: ws, mountPath: /ws}]
              containers:
              - {name: a, image: busybox, command: [sh, -c], args: ["echo from-a > /ws/f"]}
              - {name: b, image: busybox, command: [sh, -c], args: ["cat /ws/f"], dependencies: [a]}
              - {name: main, image: busybox, command: [sh, -c], args: ["cat /ws/f; echo main"], dependencies: [a]}
          - name: check
            inputs: {parameters: [{name: r}]}
            container: {image: busybox, command: [test, "{{inputs.parameters.r}}", "=", "from-a\\nmain"]}
        """
    )
    assert node_table(result) == [
        ("WF", "DAG", "Succeeded", ""),
        ("WF.group", "Pod", "Succeeded", ""),
        ("WF.group.a", "Container", "Succeeded", ""),
        ("WF.group.b", "Container", "Succeeded", ""),
        ("WF.group.main", "Container", "Succeeded", ""),
        ("WF.check", "Pod", "Succeeded", ""),
    ]
    nodes = {n.name: n for n in result.status.nodes.values()}
    pod = nodes["cs.group"]
    assert nodes["cs.group.a"].display_name == "a"
    assert nodes["cs.group.a"].boundary_id == pod.id
    assert nodes["cs.group.a"].template_name == "group"
    assert pod.children == [nodes["cs.group.a"].id, nodes["cs.check"].id]
    assert nodes["cs.group.a"].children == [nodes["cs.group.b"].id, nodes["cs.group.main"].id]
    assert pod.outputs == {"result": "from-a\nmain", "exitCode": "0"}


def test_container_set_failure_fails_the_pod_and_skips_dependents(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: csf}
        spec:
          entrypoint: main
          templates:
          - name: main
            containerSet:
              containers:
              - {name: a, image: busybox, command: [sh, -c, "exit 2"]}
              - {name: b, image: busybox, command: [echo, never], dependencies: [a]}
        """
    )
    assert result.status.phase == st.FAILED
    table = node_table(result)
    assert table[0] == ("WF", "Pod", "Failed", "a: Error (exit code 2)")
    assert table[1] == ("WF.a", "Container", "Failed", "Error (exit code 2)")
    assert table[2][:3] == ("WF.b", "Container", "Failed")


def test_init_containers_run_in_order_before_main(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: init}
        spec:
          entrypoint: main
          volumes: [{name: foo, emptyDir: {}}]
          templates:
          - name: main
            initContainers:
            - {name: one, image: busybox, command: [sh, -c, "echo 1 >> /foo/log"], mirrorVolumeMounts: true}
            - {name: two, image: busybox, command: [sh, -c, "echo 2 >> /foo/log"], mirrorVolumeMounts: true}
            container:
              image: busybox
              command: [cat, /foo/log]
              volumeMounts: [{name: foo, mountPath: /foo}]
        """
    )
    assert node_table(result) == [("WF", "Pod", "Succeeded", "")]
    assert result.status.nodes["init"].outputs == {"result": "1\n2", "exitCode": "0"}


def test_failed_init_container_fails_the_pod_without_running_main(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: initf}
        spec:
          entrypoint: main
          templates:
          - name: main
            initContainers: [{name: one, image: busybox, command: [sh, -c, "exit 4"]}]
            container: {image: busybox, command: [echo, main-ran]}
        """
    )
    assert node_table(result) == [("WF", "Pod", "Failed", "one: Error (exit code 4)")]


def test_sidecar_is_killed_after_main_and_its_signal_exit_is_ignored(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: side}
        spec:
          entrypoint: main
          templates:
          - name: main
            container: {image: busybox, command: [sh, -c, "sleep 0.2; echo done"]}
            sidecars: [{name: helper, image: busybox, command: [sh, -c, "sleep 30"]}]
        """
    )
    assert node_table(result) == [("WF", "Pod", "Succeeded", "")]
    assert result.status.nodes["side"].finished - result.status.nodes["side"].started < 10


def test_sidecar_failing_on_its_own_fails_the_pod(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: sidef}
        spec:
          entrypoint: main
          templates:
          - name: main
            container: {image: busybox, command: [sh, -c, "sleep 0.5"]}
            sidecars: [{name: helper, image: busybox, command: [sh, -c, "exit 5"]}]
        """
    )
    assert node_table(result) == [("WF", "Pod", "Failed", "helper: Error (exit code 5)")]


def _interrupted(run_yaml, text: str) -> tuple[object, float]:
    """Run ``text`` with a Ctrl-C (SIGINT to this process) 0.7 s in: the result and the seconds it took."""
    import os
    import signal
    import threading
    import time

    timer = threading.Timer(0.7, os.kill, (os.getpid(), signal.SIGINT))
    started = time.time()
    timer.start()
    result = run_yaml(text)
    timer.join()
    return result, time.time() - started


def test_ctrl_c_stops_every_pod_and_returns_the_failed_tree(run_yaml):
    result, seconds = _interrupted(
        run_yaml,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: intr}
        spec:
          entrypoint: main
          templates:
          - name: main
            container: {image: busybox, command: [sleep, "30"]}
            sidecars: [{name: helper, image: busybox, command: [sleep, "30"]}]
        """,
    )
    assert seconds < 10
    assert result.status.phase == st.FAILED
    assert result.status.message == "interrupted (Ctrl-C): every pod was stopped (running: intr)"
    assert (result.interrupted, result.running) == ("Ctrl-C", ("intr",))
    assert node_table(result) == [("WF", "Pod", "Failed", "interrupted (Ctrl-C): every pod was stopped")]


def test_a_stop_signal_whose_interrupt_was_lost_still_stops_the_run(run_yaml, monkeypatch):
    """Raised inside a finalizer, the interrupt is only printed: the waiting run notices the signal anyway."""
    from wfsync.engine import lifetime

    def swallowed(self: lifetime.StopSignals, signum: int, frame: object) -> None:
        self.received, self.armed = self.received or "Ctrl-C", False  # recorded, never raised

    monkeypatch.setattr(lifetime.StopSignals, "handle", swallowed)
    result, seconds = _interrupted(
        run_yaml,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: lost}
        spec:
          entrypoint: main
          templates:
          - name: main
            container: {image: busybox, command: [sleep, "30"]}
        """,
    )
    assert seconds < 10
    assert result.status.phase == st.FAILED
    assert result.status.message == "interrupted (Ctrl-C): every pod was stopped (running: lost)"
    assert (result.interrupted, result.running) == ("Ctrl-C", ("lost",))
