"""Follow a created workflow to its end: a resourceVersion watch that survives reconnects, and pod logs.

A watch stream ends (the server's timeout, a dropped connection) and its version expires (410
Gone); neither ends the follow. After a stream ends the watch starts again from the last version
seen, after an expiry from a fresh ``get``, so no change is missed and none is reported twice.
Each pod's log is streamed once, by its own thread, whatever happens to the watch.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from typing import Protocol

from wfsync.cluster.api import ClusterError, ForbiddenError, NotFoundError, Obj, UnreachableError
from wfsync.cluster.workflows import WatchExpired, WorkflowEvent, Workflows
from wfsync.engine.status import COMPLETED, FULFILLED, Node, WorkflowStatus, pod_name
from wfsync.errors import CompletionError
from wfsync.harness.submit import resource_version, workflow_name

POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format"
"""Workflow annotation: ``v1`` pods are named by node ID, ``v2`` (the default) by template and hash."""
MAX_LOG_STREAMS = 8
"""Pod logs followed at once; the others wait for a free stream (their lines are read from the start)."""
LOG_RETRIES = 20
"""Attempts to open a pod's log while the pod does not exist yet or the connection drops."""


class Listener(Protocol):
    """What the follow reports, as it happens (the CLI renders it; tests record it)."""

    def status(self, status: WorkflowStatus) -> None:
        """The workflow changed (called for every change seen)."""

    def node_done(self, node: Node) -> None:
        """A node reached a final phase (once per node)."""

    def log(self, node: str, line: str) -> None:
        """One line of a pod's main container, with the node's display name (may come from any thread)."""

    def note(self, message: str) -> None:
        """Something the user should know about the follow itself (said once)."""


@dataclasses.dataclass
class FollowResult:
    """The workflow as last seen, its decoded status, and how the follow went."""

    workflow: Obj
    status: WorkflowStatus
    interrupted: bool = False
    """Ctrl-C stopped the follow (the workflow itself goes on)."""
    reconnects: int = 0
    """Watches started again after a stream ended or expired."""
    offloaded_hidden: bool = False
    """Node status was offloaded and this transport cannot read it (only the phase is known)."""

    @property
    def finished(self) -> bool:
        """Whether the workflow reached a final phase."""
        return ended(self.status)


def _close(stream: Iterator[WorkflowEvent]) -> None:
    """Close a watch left before its end (its connection goes back now, not when collected)."""
    close = getattr(stream, "close", None)
    if callable(close):
        close()


def ended(status: WorkflowStatus) -> bool:
    """Whether the workflow reached a final phase (Succeeded, Failed or Error)."""
    return status.phase in COMPLETED


class Quiet:
    """A listener that hears nothing (``verify`` follows the target's run quietly)."""

    def status(self, status: WorkflowStatus) -> None:
        """Ignored."""

    def node_done(self, node: Node) -> None:
        """Ignored."""

    def log(self, node: str, line: str) -> None:
        """Ignored."""

    def note(self, message: str) -> None:
        """Ignored."""


def follow(
    workflows: Workflows,
    created: Obj,
    listener: Listener,
    *,
    logs: bool = False,
    watch_timeout: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> FollowResult:
    """Watch ``created`` until it finishes (or Ctrl-C), reporting every change to ``listener``.

    Raises :class:`~wfsync.cluster.api.ClusterError` when the transport fails for good, and
    :class:`~wfsync.errors.CompletionError` when the workflow is deleted meanwhile.
    """
    from wfsync.harness.status import offloaded

    name = workflow_name(created)
    state = _State(workflows, listener, logs)
    current = created
    version = resource_version(created)
    result = FollowResult(created, WorkflowStatus(name))
    empty_streams = 0
    try:
        current = state.seen(current)
        result.status = state.status
        while not ended(result.status):
            events = 0
            stream = workflows.watch(name, version, timeout=watch_timeout)
            try:
                for event in stream:
                    events += 1
                    if event.type == "DELETED":
                        raise CompletionError(f"workflow {name} was deleted while it was followed")
                    version = resource_version(event.workflow) or version
                    current = state.seen(event.workflow)
                    result.status = state.status
                    if ended(result.status):
                        break
            except WatchExpired:
                current = state.seen(workflows.get(name))
                version = resource_version(current) or version
                result.status = state.status
            finally:
                _close(stream)
            if ended(result.status):
                break
            result.reconnects += 1
            empty_streams = 0 if events else empty_streams + 1
            if empty_streams > 1:  # a server that closes or expires at once: do not hammer it
                sleep(min(2.0, 0.05 * 2 ** (empty_streams - 2)))
        state.logs_done()
    except (
        KeyboardInterrupt
    ):  # while waiting for the last log lines of a finished workflow: not an interruption
        result.interrupted = not ended(result.status)
        state.abandon()
    result.workflow = current
    result.offloaded_hidden = offloaded(current) and not workflows.hydrates_offloaded
    return result


class _State:
    """What the follow has seen: nodes already reported done, pods whose log is streamed."""

    def __init__(self, workflows: Workflows, listener: Listener, logs: bool) -> None:
        self.workflows = workflows
        self.listener = listener
        self.status = WorkflowStatus("")
        self.done: set[str] = set()
        self.notes: set[str] = set()
        self.streams = _LogStreams(workflows, listener) if logs else None

    def seen(self, workflow: Obj) -> Obj:
        """Decode ``workflow`` (hydrated when offloaded and the transport can), report what changed."""
        from wfsync.harness.status import offloaded, workflow_status

        if offloaded(workflow):
            if self.workflows.hydrates_offloaded:
                workflow = self.workflows.get(workflow_name(workflow))
            else:
                self._note(
                    f"node status of {workflow_name(workflow)} is offloaded to Argo's database, which "
                    f"{self.workflows.description} cannot read: only the workflow's phase is shown "
                    "(set ARGO_SERVER to follow it through the Argo Server)"
                )
        self.status = workflow_status(workflow)
        self.listener.status(self.status)
        for node in self.status.nodes.values():
            if node.phase in FULFILLED and node.id not in self.done:
                self.done.add(node.id)
                self.listener.node_done(node)
        if self.streams is not None:
            self.streams.offer(workflow, self.status)
        return workflow

    def _note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.add(message)
            self.listener.note(message)

    def logs_done(self) -> None:
        if self.streams is not None:
            self.streams.wait()

    def abandon(self) -> None:
        if self.streams is not None:
            self.streams.abandon()


def pod_of(workflow: Obj, node: Node) -> str:
    """The pod of a Pod node: the node ID for ``v1`` pod names, else its recorded or derived v2 name."""
    annotations = (workflow.get("metadata") or {}).get("annotations") or {}
    if annotations.get(POD_NAME_FORMAT) == "v1":
        return node.id
    if node.pod_name:
        return node.pod_name
    template = str((node.template_ref or {}).get("template") or node.template_name)
    return pod_name(workflow_name(workflow), node.name, template)


class _LogStreams:
    """One daemon thread per pod, at most :data:`MAX_LOG_STREAMS` reading at once; each pod once."""

    def __init__(self, workflows: Workflows, listener: Listener) -> None:
        self.workflows = workflows
        self.listener = listener
        self.started: set[str] = set()
        self.threads: list[threading.Thread] = []
        self.slots = threading.BoundedSemaphore(MAX_LOG_STREAMS)
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.denied = threading.Event()
        """Reading logs is forbidden (RBAC on pods/log): no pod's log is tried any more."""
        self.ended = threading.Event()
        """The workflow finished: a pod still not found is gone for good (garbage-collected)."""

    def offer(self, workflow: Obj, status: WorkflowStatus) -> None:
        """Start streaming the pods that exist now (a Pod node past Pending) and are not streamed yet."""
        name = workflow_name(workflow)
        for node in status.nodes.values():
            if node.type != "Pod" or node.phase in ("Pending", "Skipped", "Omitted", ""):
                continue
            pod = pod_of(workflow, node)
            if pod in self.started:
                continue
            self.started.add(pod)
            thread = threading.Thread(
                target=self._stream,
                args=(name, pod, node.display_name),
                name=f"wfsync-log-{pod}",
                daemon=True,
            )
            self.threads.append(thread)
            thread.start()

    def _stream(self, workflow: str, pod: str, label: str) -> None:
        delivered = 0
        with self.slots:
            for attempt in range(LOG_RETRIES):
                if self.stopped.is_set() or self.denied.is_set():
                    return
                skip = delivered  # a stream opened again starts from the first line: skip what was shown
                try:
                    for line in self.workflows.logs(workflow, pod, follow=True):
                        if skip:
                            skip -= 1
                            continue
                        if self.stopped.is_set():
                            return
                        with self.lock:
                            self.listener.log(label, line)
                        delivered += 1
                    return
                except NotFoundError:
                    if self.ended.is_set() and attempt:
                        break
                    time.sleep(min(1.0, 0.05 * (attempt + 1)))
                except UnreachableError:
                    time.sleep(min(1.0, 0.05 * (attempt + 1)))
                except ForbiddenError as err:  # the same for every pod: said once, no more tried
                    with self.lock:
                        if not self.denied.is_set():
                            self.denied.set()
                            self.listener.note(f"pod logs cannot be read: {err}")
                    return
                except ClusterError as err:
                    with self.lock:
                        self.listener.note(f"log of {label} (pod {pod}) unavailable: {err}")
                    return
            with self.lock:
                self.listener.note(f"log of {label} (pod {pod}) could not be read")

    def wait(self, timeout: float = 30.0) -> None:
        """Let every stream finish (their pods have ended), for at most ``timeout`` seconds overall."""
        self.ended.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def abandon(self) -> None:
        """Stop delivering lines (Ctrl-C); the daemon threads end with their streams or the process."""
        self.stopped.set()
