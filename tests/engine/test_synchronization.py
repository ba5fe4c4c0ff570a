"""Mutexes and semaphores (``synchronization``), as Argo's sync manager hands them out."""

from __future__ import annotations

import pytest

from wfsync.engine import status as st
from wfsync.engine.locks import LockError, LockManager, LockRef, lock_refs


def _pods(result) -> list[st.Node]:  # noqa: ANN001
    return [n for n in result.status.nodes.values() if n.type == "Pod"]


MUTEX_STEPS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: mx}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: a, template: locked}
          - {name: b, template: locked}
          - {name: c, template: locked}
    - name: locked
      synchronization:
        mutexes: [{name: only-one}]
      container: {image: "alpine:3.20", command: [sh, -c, "sleep 0.2"]}
"""


def test_mutex_runs_parallel_steps_one_at_a_time(run_yaml) -> None:
    result = run_yaml(MUTEX_STEPS)
    assert result.status.phase == "Succeeded"
    pods = _pods(result)
    assert len(pods) == 3
    assert all(n.phase == "Succeeded" and n.message == "" for n in pods)
    # a waiting node is created Pending at once; its pod starts when the lock is free, so the
    # pods' finish times are at least one pod apart
    finished = sorted(n.finished for n in pods)
    assert finished[1] - finished[0] >= 0.15
    assert finished[2] - finished[1] >= 0.15
    assert not any("synchronizationStatus" in n.to_json() for n in pods)


def test_waiting_node_shows_argos_message(run_yaml, monkeypatch) -> None:
    from wfsync.engine import scheduler

    seen: list[tuple[str, str, str]] = []
    original = scheduler.Operation.acquire_locks

    def spy(self, node_name, node, tmpl, resolved, opts):  # noqa: ANN001, ANN202
        out, acquired = original(self, node_name, node, tmpl, resolved, opts)
        if not acquired and out is not None:
            seen.append(
                (out.phase, out.message, out.to_json().get("synchronizationStatus", {}).get("waiting", ""))
            )
        return out, acquired

    monkeypatch.setattr(scheduler.Operation, "acquire_locks", spy)
    result = run_yaml(MUTEX_STEPS)
    assert result.status.phase == "Succeeded"
    assert seen
    assert seen[0] == (
        "Pending",
        "Waiting for default/Mutex/only-one lock. Lock status: 0/1",
        "default/Mutex/only-one",
    )


SEMAPHORE = """
apiVersion: v1
kind: ConfigMap
metadata: {name: my-config}
data: {template: "2"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: sem}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: s, template: acquire, withItems: [1, 2, 3, 4, 5]}
    - name: acquire
      synchronization:
        semaphores: [{configMapKeyRef: {name: my-config, key: template}}]
      container: {image: "alpine:3.20", command: [sh, -c, "sleep 0.3"]}
"""


def test_semaphore_limit_two_runs_at_most_two(run_yaml) -> None:
    result = run_yaml(SEMAPHORE)
    assert result.status.phase == "Succeeded"
    pods = _pods(result)
    assert len(pods) == 5
    # pods finish in waves of at most two: the third-finished pod ended a whole sleep after the first
    finished = sorted(n.finished for n in pods)
    assert finished[2] - finished[0] >= 0.25
    assert finished[4] - finished[2] >= 0.25


def test_semaphore_configmap_from_with_files(run_yaml, tmp_path) -> None:
    cm = tmp_path / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: my-config}\ndata: {template: '1'}\n")
    text = SEMAPHORE.split("---", 1)[1]
    result = run_yaml(text, with_paths=[cm])
    assert result.status.phase == "Succeeded"
    finished = sorted(n.finished for n in _pods(result))
    assert all(b - a >= 0.25 for a, b in zip(finished, finished[1:], strict=False))


def test_semaphore_without_its_configmap_fails_clearly(run_yaml) -> None:
    result = run_yaml(SEMAPHORE.split("---", 1)[1])
    assert result.status.phase == "Failed"
    errors = [n for n in result.status.nodes.values() if n.phase == "Error"]
    assert errors
    assert "ConfigMap 'my-config' (key 'template')" in errors[0].message
    assert "--with" in errors[0].message


def test_lock_released_when_holder_fails(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: rel}
        spec:
          entrypoint: main
          templates:
            - name: main
              steps:
                - - {name: bad, template: fail}
                  - {name: good, template: ok}
            - name: fail
              synchronization: {mutexes: [{name: m}]}
              container: {image: "alpine:3.20", command: [sh, -c, "exit 1"]}
            - name: ok
              synchronization: {mutexes: [{name: m}]}
              container: {image: "alpine:3.20", command: [sh, -c, "true"]}
        """
    )
    phases = {n.display_name: n.phase for n in _pods(result)}
    assert phases == {"bad": "Failed", "good": "Succeeded"}
    assert result.status.phase == "Failed"


def test_steps_template_holds_its_lock_until_all_children_end(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: outer}
        spec:
          entrypoint: main
          templates:
            - name: main
              steps: [[{name: x, template: inner}, {name: y, template: inner}]]
            - name: inner
              synchronization: {mutex: {name: inner-lock}}
              steps: [[{name: p, template: nap}], [{name: q, template: nap}]]
            - name: nap
              container: {image: "alpine:3.20", command: [sh, -c, "sleep 0.1"]}
        """
    )
    assert result.status.phase == "Succeeded"
    inner = [n for n in result.status.nodes.values() if n.type == "Steps" and n.display_name in ("x", "y")]
    assert len(inner) == 2
    first, second = sorted(inner, key=lambda n: n.finished)
    second_pods = [n for n in _pods(result) if n.name.startswith(second.name + "[")]
    assert min(p.started for p in second_pods) >= first.finished


def test_workflow_level_mutex_runs_and_is_released(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: wfl}
        spec:
          entrypoint: hello
          synchronization: {mutexes: [{name: test}]}
          templates:
            - name: hello
              container: {image: busybox, command: [echo], args: [hello]}
        """
    )
    assert result.status.phase == "Succeeded"
    assert "synchronization" not in result.workflow["status"]


def test_workflow_and_template_sharing_a_mutex_is_reported_as_deadlock(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: dl}
        spec:
          entrypoint: hello
          synchronization: {mutexes: [{name: same}]}
          templates:
            - name: hello
              synchronization: {mutexes: [{name: same}]}
              container: {image: busybox, command: [echo], args: [hello]}
        """
    )
    assert result.status.phase == "Failed"
    assert result.status.message.startswith("deadlock: node dl waits for lock default/Mutex/same")
    assert "held by the workflow itself" in result.status.message


def test_database_locks_are_refused_before_running(run_yaml) -> None:
    from wfsync.engine.executor import Unsupported

    with pytest.raises(Unsupported, match="database-backed locks"):
        run_yaml(
            """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: db}
            spec:
              entrypoint: hello
              templates:
                - name: hello
                  synchronization: {mutexes: [{name: x, database: true}]}
                  container: {image: busybox, command: [echo]}
            """
        )


# --- the lock manager itself ------------------------------------------------------------------


def test_lock_refs_order_and_names() -> None:
    refs = lock_refs(
        {
            "mutexes": [{"name": "b"}],
            "mutex": {"name": "a"},
            "semaphores": [{"configMapKeyRef": {"name": "cm", "key": "k"}, "namespace": "other"}],
        },
        "ns",
    )
    assert [r.name for r in refs] == ["other/ConfigMap/cm/k", "ns/Mutex/a", "ns/Mutex/b"]


def test_lock_refs_rejects_duplicates() -> None:
    with pytest.raises(LockError, match="duplicate lock ns/Mutex/a"):
        lock_refs({"mutexes": [{"name": "a"}, {"name": "a"}]}, "ns")


def test_all_or_nothing_acquisition() -> None:
    manager = LockManager(lambda ns, name, key: "1")
    sem = LockRef("ns/ConfigMap/cm/k", "semaphore", ("ns", "cm", "k"))
    mutex = LockRef("ns/Mutex/m", "mutex")
    assert manager.try_acquire("ns/wf/1", [mutex]) == (True, "", "")
    acquired, message, failed = manager.try_acquire("ns/wf/2", [sem, mutex])
    assert (acquired, failed) == (False, "ns/Mutex/m")
    assert message == "Waiting for ns/Mutex/m lock. Lock status: 0/1"
    assert manager.holders_of("ns/ConfigMap/cm/k") == []  # nothing taken when one lock is busy
    assert manager.release("ns/wf/1")
    assert manager.try_acquire("ns/wf/2", [sem, mutex]) == (True, "", "")
    assert manager.holders_of("ns/ConfigMap/cm/k") == ["ns/wf/2"]


def test_semaphore_limit_must_be_an_integer() -> None:
    manager = LockManager(lambda ns, name, key: "two")
    with pytest.raises(LockError, match="not an integer limit"):
        manager.try_acquire("ns/wf/1", [LockRef("ns/ConfigMap/cm/k", "semaphore", ("ns", "cm", "k"))])


def test_waiting_retry_and_dag_nodes_start_once_they_get_the_lock(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: kinds}
        spec:
          entrypoint: main
          templates:
            - name: main
              steps:
                - - {name: r1, template: retried}
                  - {name: r2, template: retried}
                  - {name: d1, template: dag}
                  - {name: d2, template: dag}
            - name: retried
              retryStrategy: {limit: 1}
              synchronization: {mutexes: [{name: r}]}
              container: {image: "alpine:3.20", command: [sh, -c, "sleep 0.1"]}
            - name: dag
              synchronization: {mutexes: [{name: d}]}
              dag: {tasks: [{name: t, template: nap}]}
            - name: nap
              container: {image: "alpine:3.20", command: [sh, -c, "sleep 0.1"]}
        """
    )
    assert result.status.phase == "Succeeded"
    by_name = {n.display_name: n for n in result.status.nodes.values()}
    assert by_name["r1"].type == by_name["r2"].type == "Retry"
    assert by_name["d1"].type == by_name["d2"].type == "DAG"
    assert all(n.phase == "Succeeded" and not n.sync_waiting for n in result.status.nodes.values())


def test_http_templates_under_a_mutex_each_run(run_yaml) -> None:
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the base class names it
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        result = run_yaml(
            f"""
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {{name: webmx}}
            spec:
              entrypoint: main
              templates:
                - name: main
                  steps: [[{{name: a, template: call}}, {{name: b, template: call}}]]
                - name: call
                  synchronization: {{mutexes: [{{name: web}}]}}
                  http: {{url: "{url}"}}
            """
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.status.phase == "Succeeded", result.status.message
    calls = [n for n in result.status.nodes.values() if n.type == "HTTP"]
    assert len(calls) == 2
    assert all(n.phase == "Succeeded" for n in calls)


def test_node_waiting_past_its_timeout_fails(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: tmo}
        spec:
          entrypoint: main
          templates:
            - name: main
              steps: [[{name: long, template: long}, {name: short, template: short}]]
            - name: long
              synchronization: {mutexes: [{name: m}]}
              container: {image: "alpine:3.20", command: [sh, -c, "sleep 1"]}
            - name: short
              timeout: 300ms
              synchronization: {mutexes: [{name: m}]}
              container: {image: "alpine:3.20", command: [sh, -c, "true"]}
        """
    )
    nodes = {n.display_name: n for n in result.status.nodes.values()}
    assert nodes["long"].phase == "Succeeded"
    assert (nodes["short"].phase, nodes["short"].message) == ("Failed", "timeout")
    assert result.status.phase == "Failed"
