"""A stand-in for Argo's workflow controller on the Kubernetes test server.

It watches the store for new Workflows and plays a script for each: status frames (recorded from
a local run of the same file, see :mod:`wfsync.harness.frames`) renamed to the created workflow,
written one at a time with :meth:`KubeServer.put`, so the resourceVersion advances and watchers
see every frame, as they see the real controller's updates. What Argo adds around the status is
added too: the ``workflows.argoproj.io/phase`` and ``completed`` labels, compressed or offloaded
nodes, pod logs (through a hook, to whichever server serves them) and ``spec.shutdown``.

::

    script = Script.record(path, tmp_path / "state")
    with TestController(kube_server, script, interval=0.01) as controller:
        created = client.create(workflow)
        controller.wait(created["metadata"]["name"])
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.kube.server import KubeServer
from wfsync.engine.status import COMPLETED, FAILED, PENDING, RUNNING, pod_name, rfc3339
from wfsync.harness.frames import record_frames, rename_frame
from wfsync.harness.status import encode_nodes

Obj = dict[str, Any]
PHASE_LABEL = "workflows.argoproj.io/phase"
COMPLETED_LABEL = "workflows.argoproj.io/completed"
PodHook = Callable[[str, str, str, list[str]], None]
"""``on_pod(namespace, pod, container, lines)``: a pod's log, once its node completed."""
OffloadHook = Callable[[str, str, str, Obj], None]
"""``on_offload(namespace, workflow, version, nodes)``: nodes Argo would keep in its database."""


@dataclasses.dataclass
class Script:
    """What the controller plays for a workflow: frames recorded under ``name`` and pods' logs.

    ``logs`` maps a node's name relative to the workflow (``[0].a``) to the lines its pod wrote.
    """

    name: str
    frames: list[Obj]
    logs: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    workflow: Obj = dataclasses.field(default_factory=dict)
    """The local run's final Workflow object (what ``verify`` compares Argo's with)."""

    @classmethod
    def record(cls, path: Path, state_dir: Path, **request: Any) -> Script:
        """Run ``path`` with the local engine and keep its frames and logs (``request``: more RunRequest fields)."""
        from wfsync.engine.run import RunRequest, RunResult, run

        results: list[RunResult] = []

        def go(on_change: Callable[..., None]) -> Obj:
            results.append(run(RunRequest(path=path, state_dir=state_dir, on_change=on_change, **request)))
            return results[0].workflow

        frames = record_frames(go)
        result = results[0]
        name = result.status.name
        logs: dict[str, list[str]] = {}
        for node, text in result.logs:
            rel = node[len(name) :] if node.startswith(name) else node
            logs.setdefault(rel, []).extend(text.splitlines())
        return cls(name, frames, logs, result.workflow)


@dataclasses.dataclass
class _Play:
    namespace: str
    name: str
    script: Script
    uid: str = ""
    index: int = 0
    due: float = 0.0
    logged: set[str] = dataclasses.field(default_factory=set)
    last: Obj | None = None
    done: threading.Event = dataclasses.field(default_factory=threading.Event)


class TestController:
    """Plays a :class:`Script` for every Workflow created on ``kube`` while it runs (a thread).

    ``script`` is one script for every workflow, or a function choosing one per created
    Workflow (None: leave that workflow alone). Frames are written every ``interval`` seconds.
    ``compress`` writes ``status.compressedNodes`` instead of ``status.nodes`` (as Argo does
    for a large status): always when True; when a number of bytes, once the nodes' JSON exceeds
    it, so a status switches form half-way as Argo's does. ``offload`` writes
    ``status.offloadNodeStatusVersion`` without nodes and hands the nodes to ``on_offload``.
    ``on_pod`` receives each pod's log once its node completed. A workflow deleted and created
    again under its name is played again. Errors in the thread are raised again when the
    controller stops.
    """

    __test__ = False  # not a pytest test class despite its name

    def __init__(
        self,
        kube: KubeServer,
        script: Script | Callable[[Obj], Script | None],
        *,
        interval: float = 0.02,
        compress: bool | int = False,
        offload: bool = False,
        on_offload: OffloadHook | None = None,
        on_pod: PodHook | None = None,
        poll: float = 0.01,
        hold_after: int | None = None,
    ) -> None:
        self.kube = kube
        self._choose = script if callable(script) else (lambda _wf: script)
        self.interval, self.poll = interval, poll
        self.compress, self.offload = compress, offload
        self.on_offload, self.on_pod = on_offload, on_pod
        self.errors: list[BaseException] = []
        self.writes = 0
        """Frames written so far (every workflow)."""
        self.hold_after = hold_after
        """Write no frame past this many until :meth:`release` (a test acts mid-run, however slow the machine)."""
        self._released = threading.Event()
        self._plays: dict[tuple[str, str], _Play] = {}
        self._ignored: set[tuple[str, str, str]] = set()
        self._stop = threading.Event()
        self._scanned = ""
        """The store's resourceVersion at the last scan for new workflows (none needed while it holds)."""
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def release(self) -> None:
        """Go on writing frames past ``hold_after``."""
        self._released.set()

    def _holding(self) -> bool:
        """Whether ``hold_after`` frames are written and :meth:`release` has not come yet."""
        return self.hold_after is not None and self.writes >= self.hold_after and not self._released.is_set()

    def start(self) -> TestController:
        """Start polling the store from a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="test-controller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread; raise the first error it met."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.errors:
            raise self.errors[0]

    def __enter__(self) -> TestController:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if exc_type is None:
            self.stop()
        elif self._thread is not None:
            self._thread.join(timeout=5)

    def finished(self, name: str, namespace: str = "default") -> bool:
        """Whether the workflow's script has ended (its last frame, or the stopped one, is written)."""
        play = self._plays.get((namespace, name))
        return play is not None and play.done.is_set()

    def wait(self, name: str, namespace: str = "default", timeout: float = 10.0) -> Obj:
        """Block until the workflow's script ended (or it was stopped); the stored Workflow then."""
        deadline = time.monotonic() + timeout
        while (namespace, name) not in self._plays:
            if self.errors:
                raise self.errors[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"the controller never saw workflow {namespace}/{name}")
            time.sleep(self.poll)
        if not self._plays[(namespace, name)].done.wait(max(0.0, deadline - time.monotonic())):
            raise TimeoutError(f"workflow {namespace}/{name} did not finish in {timeout} s")
        if self.errors:
            raise self.errors[0]
        found = self.kube.get("workflows", namespace, name)
        assert found is not None, f"workflow {namespace}/{name} was deleted"
        return found

    # -- the loop ----------------------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                self._discover()
                now = time.monotonic()
                for play in [] if self._holding() else list(self._plays.values()):
                    if not play.done.is_set() and now >= play.due:
                        self._advance(play)
                        play.due = now + self.interval
                self._stop.wait(self.poll)
        except BaseException as exc:  # surfaced by stop(): a test must not pass on a dead controller
            self.errors.append(exc)
            for play in self._plays.values():
                play.done.set()

    def _discover(self) -> None:
        # listing copies every workflow, statuses and all: only when something else wrote since
        version = self.kube.store.resource_version
        if version == self._scanned:
            return
        self._scanned = version
        for wf in self.kube.objects("workflows"):
            meta = wf.get("metadata") or {}
            key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
            uid = str(meta.get("uid", ""))
            known = self._plays.get(key)
            if (known is not None and known.uid == uid) or (*key, uid) in self._ignored:
                continue
            script = self._choose(wf)
            if script is None:
                self._ignored.add((*key, uid))
                continue
            self._plays[key] = _Play(*key, script=script, uid=uid)

    def _advance(self, play: _Play) -> None:
        current = self.kube.get("workflows", play.namespace, play.name)
        if current is None:  # deleted: nothing left to play
            play.done.set()
            return
        shutdown = str((current.get("spec") or {}).get("shutdown") or "")
        if shutdown and (play.last is None or play.last.get("phase") not in COMPLETED):
            # stopped before its first frame: Argo fails it with no node started
            status = stopped(play.last or {"phase": RUNNING, "nodes": {}}, shutdown)
            play.done.set()
        else:
            frames = play.script.frames
            status = rename_frame(frames[play.index], play.script.name, play.name)
            play.index += 1
            if play.index >= len(frames):
                play.done.set()
        play.last = status
        self._write(status, play)
        self._logs(status, play)

    def _write(self, status: Obj, play: _Play) -> None:
        written = dict(status)
        nodes = written.get("nodes") or {}
        if self.offload and nodes:
            # Argo names the version after a hash of the nodes' JSON: a new one for every change
            version = "fnv:" + hashlib.sha256(json.dumps(nodes, sort_keys=True).encode()).hexdigest()[:10]
            if self.on_offload is not None:
                self.on_offload(play.namespace, play.name, version, copy.deepcopy(nodes))
            written.pop("nodes")
            written["offloadNodeStatusVersion"] = version
        elif nodes and self._compresses(nodes):
            written.pop("nodes")
            written["compressedNodes"] = encode_nodes(nodes)
        # read again just before the write: a client's change (spec.shutdown) since _advance is kept
        current = self.kube.get("workflows", play.namespace, play.name)
        if current is None:
            play.done.set()
            return
        current["status"] = written
        labels = current.setdefault("metadata", {}).setdefault("labels", {})
        phase = str(written.get("phase") or "")
        labels[PHASE_LABEL] = phase or PENDING
        labels[COMPLETED_LABEL] = "true" if phase in COMPLETED else "false"
        before = self.kube.store.resource_version
        stored = self.kube.put(current)
        if before == self._scanned and int(stored["metadata"]["resourceVersion"]) == int(before) + 1:
            self._scanned = stored["metadata"]["resourceVersion"]  # nothing but this write since the scan
        self.writes += 1

    def _compresses(self, nodes: Obj) -> bool:
        """``compress=True``: always; a number: when the nodes' JSON is larger (Argo's size limit)."""
        if self.compress is True or self.compress is False:
            return bool(self.compress)
        return len(json.dumps(nodes, separators=(",", ":"))) > self.compress

    def _logs(self, status: Obj, play: _Play) -> None:
        if self.on_pod is None:
            return
        for node in (status.get("nodes") or {}).values():
            if node.get("type") != "Pod" or node.get("phase") not in COMPLETED or node["id"] in play.logged:
                continue
            play.logged.add(node["id"])
            name = str(node["name"])
            rel = name[len(play.name) :] if name.startswith(play.name) else name
            ref = node.get("templateRef") or {}
            template = str(ref.get("template") or node.get("templateName") or "")
            pod = pod_name(play.name, name, template)
            old = play.script.name
            lines = [line.replace(old, play.name) for line in play.script.logs.get(rel, [])]
            self.on_pod(play.namespace, pod, "main", lines)


def create(kube: KubeServer, workflow: Obj, namespace: str = "default") -> Obj:
    """POST ``workflow`` to the server over HTTP, as a client would; the created object."""
    url = f"{kube.url}/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows"
    return _request("POST", url, workflow)


def fetch(kube: KubeServer, name: str, namespace: str = "default") -> Obj:
    """GET the Workflow over HTTP."""
    return _request("GET", f"{kube.url}/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}")


def request_stop(kube: KubeServer, name: str, namespace: str = "default", strategy: str = "Stop") -> Obj:
    """PATCH ``spec.shutdown`` over HTTP (a merge patch), as ``argo stop`` does."""
    url = f"{kube.url}/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}"
    return _request("PATCH", url, {"spec": {"shutdown": strategy}}, "application/merge-patch+json")


def _request(method: str, url: str, body: Obj | None = None, content_type: str = "application/json") -> Obj:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            found: Obj = json.loads(answer.read())
            return found
    except urllib.error.HTTPError as exc:  # the server's Status says why: keep it in the failure
        raise AssertionError(
            f"{method} {url}: {exc.code} {exc.read().decode(errors='replace')[:2000]}"
        ) from None


def stopped(status: Mapping[str, Any], strategy: str, now: float | None = None) -> Obj:
    """``status`` after ``argo stop``/``terminate``: the workflow and its unfinished nodes Failed.

    As Argo's controller writes it: ``Stopped with strategy 'Stop'`` on the workflow and on every
    node that was Pending or Running, each given a finish time.
    """
    message = f"Stopped with strategy '{strategy}'"
    finished = rfc3339(time.time() if now is None else now)
    out = copy.deepcopy(dict(status))
    for node in (out.get("nodes") or {}).values():
        if node.get("phase") in (PENDING, RUNNING, "", None):
            node["phase"] = FAILED
            node["message"] = message
            node["finishedAt"] = finished
    out["phase"] = FAILED
    out["message"] = message
    out["finishedAt"] = finished
    return out
