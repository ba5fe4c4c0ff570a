"""The test server's watches, over raw HTTP: events, replay, expiry, selectors, RBAC, ends."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kube.server import KubeServer

WORKFLOWS = "/apis/argoproj.io/v1alpha1/namespaces/argo/workflows"


def wf(name: str, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name, "namespace": "argo", "labels": labels or {}},
        "spec": spec,
    }


class Watch:
    """One open watch: its status, then one event per :meth:`next`."""

    def __init__(self, server: KubeServer, query: str, path: str = WORKFLOWS) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        self.conn.request("GET", f"{path}?watch=true&{query}")
        self.response = self.conn.getresponse()
        self.status = self.response.status

    def next(self) -> dict[str, Any] | None:
        """The next event, or None when the server ended the stream."""
        line = self.response.readline()
        return json.loads(line) if line else None

    def rest(self) -> list[dict[str, Any]]:
        events = []
        while (event := self.next()) is not None:
            events.append(event)
        return events

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def watches(kube_server: KubeServer) -> Iterator[list[Watch]]:
    opened: list[Watch] = []
    yield opened
    kube_server.end_watches()
    for watch in opened:
        watch.close()


def summary(events: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [
        (e["type"], e["object"]["metadata"].get("name", ""), e["object"]["metadata"]["resourceVersion"])
        for e in events
    ]


def send(
    server: KubeServer, method: str, path: str, body: Any = None, content_type: str = "application/json"
) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request(method, path, json.dumps(body) if body is not None else None, {"Content-Type": content_type})
    answer = conn.getresponse()
    answer.read()
    conn.close()
    return answer.status


def test_every_write_is_an_event_in_order(kube_server: KubeServer, watches: list[Watch]) -> None:
    first = kube_server.put(wf("a"))
    watch = Watch(kube_server, f"resourceVersion={first['metadata']['resourceVersion']}")
    watches.append(watch)
    assert watch.status == 200 and watch.response.getheader("Transfer-Encoding") == "chunked"
    assert send(kube_server, "POST", WORKFLOWS, wf("b")) == 201
    assert (
        send(kube_server, "PATCH", f"{WORKFLOWS}/a", {"spec": {"x": 1}}, "application/merge-patch+json")
        == 200
    )
    kube_server.put(wf("b", x=2))
    assert send(kube_server, "DELETE", f"{WORKFLOWS}/a") == 200
    kube_server.store.remove("workflows", "argo", "b")
    kube_server.put(wf("other-namespace") | {"metadata": {"name": "c", "namespace": "elsewhere"}})
    kube_server.end_watches()
    events = watch.rest()
    assert [(t, n) for t, n, _ in summary(events)] == [
        ("ADDED", "b"),
        ("MODIFIED", "a"),
        ("MODIFIED", "b"),
        ("DELETED", "a"),
        ("DELETED", "b"),
    ]
    versions = [int(rv) for _, _, rv in summary(events)]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert events[1]["object"]["spec"] == {"x": 1}
    assert kube_server.log.count("watch", "workflows", "argo") == 1


def test_no_version_lists_first_and_replay_from_a_version(
    kube_server: KubeServer, watches: list[Watch]
) -> None:
    versions = [kube_server.put(wf(n))["metadata"]["resourceVersion"] for n in ("a", "b", "c")]
    watches.append(full := Watch(kube_server, ""))
    watches.append(replay := Watch(kube_server, f"resourceVersion={versions[0]}"))
    kube_server.end_watches()
    assert [(t, n) for t, n, _ in summary(full.rest())] == [("ADDED", "a"), ("ADDED", "b"), ("ADDED", "c")]
    assert [(t, n, rv) for t, n, rv in summary(replay.rest())] == [
        ("ADDED", "b", versions[1]),
        ("ADDED", "c", versions[2]),
    ]


def test_selectors_filter_and_translate_events(kube_server: KubeServer, watches: list[Watch]) -> None:
    start = kube_server.put(wf("a"))["metadata"]["resourceVersion"]
    watches.append(by_label := Watch(kube_server, f"resourceVersion={start}&labelSelector=team%3Dx"))
    watches.append(by_name := Watch(kube_server, f"resourceVersion={start}&fieldSelector=metadata.name%3Da"))
    kube_server.put(wf("a", {"team": "x"}))  # starts matching: ADDED for the label watch
    kube_server.put(wf("b", {"team": "x"}))
    kube_server.put(wf("a", {"team": "y"}))  # stops matching: DELETED
    kube_server.end_watches()
    assert [(t, n) for t, n, _ in summary(by_label.rest())] == [
        ("ADDED", "a"),
        ("ADDED", "b"),
        ("DELETED", "a"),
    ]
    assert [(t, n) for t, n, _ in summary(by_name.rest())] == [("MODIFIED", "a"), ("MODIFIED", "a")]


def test_watch_of_one_object_path(kube_server: KubeServer, watches: list[Watch]) -> None:
    start = kube_server.put(wf("a"))["metadata"]["resourceVersion"]
    watches.append(watch := Watch(kube_server, f"resourceVersion={start}", f"{WORKFLOWS}/a"))
    kube_server.put(wf("b"))
    kube_server.put(wf("a", x=1))
    kube_server.end_watches()
    assert [(t, n) for t, n, _ in summary(watch.rest())] == [("MODIFIED", "a")]


def test_compacted_version_is_a_410_error_event(kube_server: KubeServer, watches: list[Watch]) -> None:
    old = kube_server.put(wf("a"))["metadata"]["resourceVersion"]
    kube_server.put(wf("a", x=1))
    current = kube_server.store.resource_version
    kube_server.compact()
    watches.append(expired := Watch(kube_server, f"resourceVersion={old}"))
    assert expired.status == 200
    assert expired.rest() == [
        {
            "type": "ERROR",
            "object": {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": f"too old resource version: {old} ({current})",
                "reason": "Expired",
                "code": 410,
            },
        }
    ]
    watches.append(fresh := Watch(kube_server, f"resourceVersion={current}"))
    kube_server.put(wf("a", x=2))
    assert summary([fresh.next() or {}])[0][:2] == ("MODIFIED", "a")


def test_bounded_history_and_mid_stream_expiry(kube_server: KubeServer, watches: list[Watch]) -> None:
    kube_server.store.history.size = 3
    first = kube_server.put(wf("a"))["metadata"]["resourceVersion"]
    for x in range(4):
        kube_server.put(wf("a", x=x))
    watches.append(behind := Watch(kube_server, f"resourceVersion={first}"))
    assert (behind.next() or {})["object"]["code"] == 410
    watches.append(live := Watch(kube_server, f"resourceVersion={kube_server.store.resource_version}"))
    kube_server.put(wf("a", x=9))
    assert (live.next() or {})["type"] == "MODIFIED"
    kube_server.expire_watches()
    assert [e["type"] for e in live.rest()] == ["ERROR"]


def test_too_old_continue_is_a_plain_410(kube_server: KubeServer) -> None:
    for name in "abc":
        kube_server.put(wf(name))
    conn = http.client.HTTPConnection("127.0.0.1", kube_server.port, timeout=5)
    conn.request("GET", f"{WORKFLOWS}?limit=1")
    token = json.loads(conn.getresponse().read())["metadata"]["continue"]
    kube_server.put(wf("d"))
    kube_server.compact()
    conn.request("GET", f"{WORKFLOWS}?limit=1&continue={token}")
    answer = conn.getresponse()
    body = json.loads(answer.read())
    conn.close()
    assert answer.status == 410 and body["reason"] == "Expired"
    assert body["message"].startswith("The provided continue parameter is too old")


def test_bookmarks_only_when_allowed(kube_server: KubeServer, watches: list[Watch]) -> None:
    start = kube_server.put(wf("a"))["metadata"]["resourceVersion"]
    watches.append(allowed := Watch(kube_server, f"resourceVersion={start}&allowWatchBookmarks=true"))
    watches.append(plain := Watch(kube_server, f"resourceVersion={start}"))
    kube_server.bookmark_watches()
    mark = allowed.next() or {}
    kube_server.put(wf("a", x=1))
    kube_server.end_watches()
    assert [e["type"] for e in allowed.rest()] == ["MODIFIED"]
    assert mark == {
        "type": "BOOKMARK",
        "object": {
            "kind": "Workflow",
            "apiVersion": "argoproj.io/v1alpha1",
            "metadata": {"resourceVersion": start},
        },
    }
    assert [e["type"] for e in plain.rest()] == ["MODIFIED"]


def test_timeout_seconds_ends_the_stream(kube_server: KubeServer, watches: list[Watch]) -> None:
    began = time.monotonic()
    watches.append(watch := Watch(kube_server, "resourceVersion=1&timeoutSeconds=1"))
    assert watch.rest() == []
    assert 0.9 <= time.monotonic() - began < 3


def test_rbac_applies_with_verb_watch(kube_server: KubeServer) -> None:
    kube_server.grant("argo", verbs=["get", "list"], resources=["workflows"])
    denied = Watch(kube_server, "resourceVersion=0")
    body = json.loads(denied.response.read())
    denied.close()
    assert denied.status == 403
    assert (
        'cannot watch resource "workflows" in API group "argoproj.io" in the namespace "argo"'
        in body["message"]
    )
    kube_server.grant("argo", verbs=["watch"], resources=["workflows"])
    kube_server.forbid("argo", verbs=["watch"])
    assert Watch(kube_server, "resourceVersion=0").status == 403
    assert [r.code for r in kube_server.log.select("watch")] == [403, 403]


def test_bad_selector_is_a_400_before_any_stream(kube_server: KubeServer) -> None:
    watch = Watch(kube_server, "fieldSelector=spec.x%3D1")
    assert watch.status == 400 and "field label not supported" in json.loads(watch.response.read())["message"]
    watch.close()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_get_watch(kube_server: KubeServer, tmp_path: Path) -> None:
    """client-go's watch (list, then watch from the list's version) over this server, through kubectl."""
    kubeconfig = kube_server.write_kubeconfig(tmp_path / "kubeconfig")
    kube_server.put(wf("a"))
    args = ["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache")]
    with subprocess.Popen(
        [*args, "get", "workflows", "-n", "argo", "-w", "-o", "name"], stdout=subprocess.PIPE, text=True
    ) as kubectl:
        assert kubectl.stdout is not None
        assert kubectl.stdout.readline() == "workflow.argoproj.io/a\n"
        kube_server.put(wf("b"))
        assert kubectl.stdout.readline() == "workflow.argoproj.io/b\n"
        kube_server.end_watches()  # kubectl get -w ends with its watch
        assert kubectl.wait(timeout=30) == 0
    assert kube_server.log.count("list", "workflows", "argo") == 1
    assert kube_server.log.count("watch", "workflows", "argo") == 1


def test_history_is_bounded_in_bytes_too(kube_server: KubeServer, watches: list[Watch]) -> None:
    kube_server.store.history.max_bytes = 5000
    first = kube_server.put(wf("a", data="x" * 1000))["metadata"]["resourceVersion"]
    kept = [kube_server.put(wf("a", data="y" * 1000))["metadata"]["resourceVersion"] for _ in range(3)]
    watches.append(recent := Watch(kube_server, f"resourceVersion={first}"))
    assert [(t, rv) for t, _, rv in summary(recent_events(kube_server, recent))] == [
        ("MODIFIED", v) for v in kept
    ]
    for _ in range(3):
        kube_server.put(wf("a", data="z" * 1000))
    watches.append(behind := Watch(kube_server, f"resourceVersion={first}"))
    assert (behind.next() or {})["object"]["reason"] == "Expired"


def recent_events(server: KubeServer, watch: Watch) -> list[dict[str, Any]]:
    server.end_watches()
    return watch.rest()
