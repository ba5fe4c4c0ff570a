"""The test server's pod logs, over raw HTTP: text, tailLines, follow until the end, errors, RBAC."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.kube.podlogs import tail
from tests.kube.server import KubeServer, control

LOG = "/api/v1/namespaces/argo/pods/{pod}/log"


def open_log(server: KubeServer, pod: str, query: str = "") -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", LOG.format(pod=pod) + (f"?{query}" if query else ""))
    return conn.getresponse()


def status_message(answer: http.client.HTTPResponse) -> str:
    return str(json.loads(answer.read())["message"])


def test_log_text_and_tail_lines(kube_server: KubeServer) -> None:
    kube_server.add_pod("argo", "p")
    kube_server.append_log("argo", "p", "main", "one\ntwo\nthree")
    whole = open_log(kube_server, "p", "container=main")
    assert whole.status == 200 and whole.getheader("Content-Type") == "text/plain"
    assert whole.read() == b"one\ntwo\nthree"
    assert open_log(kube_server, "p", "tailLines=2").read() == b"two\nthree"  # the only container by default
    assert kube_server.log.select("get", "pods/log")[0].query == {"container": "main"}


def test_follow_streams_appended_text_until_the_log_ends(kube_server: KubeServer) -> None:
    kube_server.add_pod("argo", "p")
    kube_server.append_log("argo", "p", "main", "first\n")
    answer = open_log(kube_server, "p", "container=main&follow=true")
    assert answer.readline() == b"first\n"
    kube_server.append_log("argo", "p", "main", "second\n")
    assert answer.readline() == b"second\n"
    kube_server.append_log("argo", "p", "main", "last")
    kube_server.end_log("argo", "p", "main")
    assert answer.read() == b"last"
    with pytest.raises(ValueError, match="has ended"):
        kube_server.append_log("argo", "p", "main", "more")


def test_follow_ends_when_the_pod_is_deleted(kube_server: KubeServer) -> None:
    kube_server.add_pod("argo", "p", containers=("main", "wait"))
    answer = open_log(kube_server, "p", "container=wait&follow=true")
    kube_server.append_log("argo", "p", "wait", "waiting\n")
    assert answer.readline() == b"waiting\n"
    kube_server.store.remove("pods", "argo", "p")
    assert answer.read() == b""
    assert open_log(kube_server, "p", "container=wait").status == 404


def test_errors_worded_as_the_server_does(kube_server: KubeServer) -> None:
    missing = open_log(kube_server, "nope")
    assert (missing.status, status_message(missing)) == (404, 'pods "nope" not found')
    kube_server.add_pod("argo", "p", containers=("main", "wait"))
    wrong = open_log(kube_server, "p", "container=sidecar")
    assert (wrong.status, status_message(wrong)) == (400, "container sidecar is not valid for pod p")
    unnamed = open_log(kube_server, "p")
    assert (unnamed.status, status_message(unnamed)) == (
        400,
        "a container name must be specified for pod p, choose one of: [main wait]",
    )
    kube_server.add_pod("argo", "q", phase="Pending")
    pending = open_log(kube_server, "q", "container=main")
    assert pending.status == 400 and "is waiting to start" in status_message(pending)


def test_rbac_resource_is_pods_log(kube_server: KubeServer) -> None:
    kube_server.add_pod("argo", "p")
    kube_server.grant("argo", verbs=["get"], resources=["pods"])
    denied = open_log(kube_server, "p", "container=main")
    assert denied.status == 403
    assert status_message(denied) == (
        'pods "p" is forbidden: User "system:anonymous" cannot get resource "pods/log" in API group "" '
        'in the namespace "argo"'
    )
    kube_server.grant("argo", verbs=["get"], resources=["pods/log"])
    assert open_log(kube_server, "p", "container=main").status == 200


def test_tail_counts_an_unfinished_last_line() -> None:
    assert tail("a\nb\nc", 1) == "c"
    assert tail("a\nb\n", 1) == "b\n"
    assert tail("a\nb\n", 5) == "a\nb\n"
    assert tail("a\nb\n", 0) == ""


def test_pods_and_logs_through_control_commands(kube_server: KubeServer) -> None:
    """What a test drives when the server runs as a process of its own (``python -m tests.kube.server``)."""
    pod = control(kube_server, {"op": "add_pod", "namespace": "argo", "name": "p", "containers": ["main"]})
    assert pod["metadata"]["resourceVersion"] and pod["status"] == {"phase": "Running"}
    control(kube_server, {"op": "append_log", "namespace": "argo", "pod": "p", "text": "hi\n"})
    control(kube_server, {"op": "end_log", "namespace": "argo", "pod": "p"})
    assert open_log(kube_server, "p", "follow=true").read() == b"hi\n"
    control(kube_server, {"op": "compact"})
    assert kube_server.store.history.floor == int(kube_server.store.resource_version)
    with pytest.raises(ValueError, match="unknown control op 'nope'"):
        control(kube_server, {"op": "nope"})


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_logs(kube_server: KubeServer, tmp_path: Path) -> None:
    kubeconfig = kube_server.write_kubeconfig(tmp_path / "kubeconfig")
    args = ["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache"), "-n", "argo"]
    kube_server.add_pod("argo", "p")
    kube_server.append_log("argo", "p", "main", "one\ntwo\n")
    tail_one = subprocess.run([*args, "logs", "p", "--tail=1"], capture_output=True, text=True, timeout=30)
    assert (tail_one.returncode, tail_one.stdout) == (0, "two\n")
    with subprocess.Popen(
        [*args, "logs", "-f", "p", "-c", "main"], stdout=subprocess.PIPE, text=True
    ) as follow:
        assert follow.stdout is not None
        assert [follow.stdout.readline() for _ in range(2)] == ["one\n", "two\n"]
        kube_server.append_log("argo", "p", "main", "three\n")
        assert follow.stdout.readline() == "three\n"
        kube_server.end_log("argo", "p", "main")
        assert follow.wait(timeout=30) == 0
    missing = subprocess.run([*args, "logs", "nope"], capture_output=True, text=True, timeout=30)
    assert missing.returncode == 1 and 'pods "nope" not found' in missing.stderr
