"""Daemon steps and tasks: daemoned once ready, ``ip`` exposed, killed when the enclosing template ends."""

from __future__ import annotations

import socket

from wfsync.engine import status as st

from .conftest import node_table


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVER = """
          - name: server
            daemon: true
            container:
              image: python:3.12
              command: [python, -m, http.server, "{port}", --bind, 127.0.0.1]
              readinessProbe:
                httpGet: {{path: /, port: {port}}}
          - name: client
            inputs: {{parameters: [{{name: ip}}]}}
            script:
              image: python:3.12
              command: [python]
              source: |
                import urllib.request
                print(urllib.request.urlopen("http://{{{{inputs.parameters.ip}}}}:{port}/").status)
"""


def test_daemon_step_serves_later_steps_and_is_killed_when_the_steps_end(run_yaml):
    port = _free_port()
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: dmn}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: server, template: server}
            - - name: client
                template: client
                arguments: {parameters: [{name: ip, value: "{{steps.server.ip}}"}]}
        """
        + SERVER.format(port=port)
    )
    assert node_table(result) == [
        ("WF", "Steps", "Succeeded", ""),
        ("WF[0]", "StepGroup", "Succeeded", ""),
        ("WF[0].server", "Pod", "Succeeded", ""),
        ("WF[1]", "StepGroup", "Succeeded", ""),
        ("WF[1].client", "Pod", "Succeeded", ""),
    ]
    nodes = {n.name: n for n in result.status.nodes.values()}
    assert nodes["dmn[1].client"].outputs is not None
    assert nodes["dmn[1].client"].outputs["result"] == "200"
    assert nodes["dmn[0].server"].pod_ip == "127.0.0.1"
    assert nodes["dmn[0].server"].to_json()["podIP"] == "127.0.0.1"
    with socket.socket() as sock:  # the daemon is gone
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_daemon_task_in_a_dag_with_depends(run_yaml):
    port = _free_port()
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: ddag}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
              tasks:
              - {name: server, template: server}
              - name: client
                depends: server
                template: client
                arguments: {parameters: [{name: ip, value: "{{tasks.server.ip}}"}]}
        """
        + SERVER.format(port=port)
    )
    assert result.status.phase == st.SUCCEEDED
    assert [(n, t, p) for n, t, p, _ in node_table(result)] == [
        ("WF", "DAG", "Succeeded"),
        ("WF.server", "Pod", "Succeeded"),
        ("WF.client", "Pod", "Succeeded"),
    ]


def test_daemon_that_exits_on_its_own_fails(run_yaml):
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: dex}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: d, template: d}
            - - {name: wait, template: wait}
          - name: d
            daemon: true
            container: {image: busybox, command: [sh, -c, "exit 0"]}
          - name: wait
            container: {image: busybox, command: [sleep, "1"]}
        """
    )
    nodes = {n.name: n for n in result.status.nodes.values()}
    assert nodes["dex[0].d"].phase == st.FAILED
    assert nodes["dex[0].d"].message == "daemon exited on its own"
