"""An in-memory :class:`~wfsync.cluster.workflows.Workflows` with a scripted watch, for fast harness tests.

The script is a list of steps consumed by the watches in order: a status (applied to the
workflow and sent as a MODIFIED event), :data:`END` (the server closes the stream), :data:`EXPIRE`
(410 Gone), :data:`INTERRUPT` (Ctrl-C arrives while watching) or an exception to raise. Statuses
are built by functions of the generated workflow name, with the engine's own serialisation, so
node IDs, display names and pod names are Argo's.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from typing import Any

from wfsync.cluster.api import NotFoundError, Obj
from wfsync.cluster.workflows import WatchExpired, WorkflowEvent
from wfsync.engine.status import Node, WorkflowStatus, display_name, node_id

END = "end"
EXPIRE = "expire"
INTERRUPT = "interrupt"

Step = Callable[[str], dict[str, Any]] | str | BaseException


class FakeWorkflows:
    """Workflows kept in a dict; watches replay :attr:`script`, logs come from :attr:`pod_logs`."""

    def __init__(
        self, script: list[Step] | None = None, *, namespace: str = "ci", hydrates: bool = False
    ) -> None:
        self.script = list(script or [])
        self.cursor = 0
        self._namespace = namespace
        self.hydrates = hydrates
        self.objects: dict[str, Obj] = {}
        self.offloaded_nodes: dict[str, Any] = {}
        self.version = 100
        self.watches: list[tuple[str, str]] = []
        self.gets: list[str] = []
        self.log_calls: list[str] = []
        self.pod_logs: dict[str, list[str]] = {}
        self.log_failures: dict[str, list[BaseException]] = {}
        self.stopped: list[tuple[str, str]] = []
        self.create_error: BaseException | None = None
        self.lock = threading.Lock()

    @property
    def description(self) -> str:
        return "fake Argo"

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def hydrates_offloaded(self) -> bool:
        return self.hydrates

    def _bump(self, obj: Obj) -> Obj:
        self.version += 1
        obj["metadata"]["resourceVersion"] = str(self.version)
        return copy.deepcopy(obj)

    def create(self, workflow: Obj) -> Obj:
        if self.create_error is not None:
            raise self.create_error
        obj = copy.deepcopy(workflow)
        meta = obj["metadata"]
        if not meta.get("name"):
            meta["name"] = f"{meta.get('generateName', 'wf-')}x{len(self.objects) + 1:04d}"
        obj["status"] = {}
        self.objects[meta["name"]] = obj
        return self._bump(obj)

    def get(self, name: str) -> Obj:
        self.gets.append(name)
        if name not in self.objects:
            raise NotFoundError(f"workflow {name} not found")
        obj = copy.deepcopy(self.objects[name])
        if self.hydrates and name in self.offloaded_nodes:
            obj["status"]["nodes"] = copy.deepcopy(self.offloaded_nodes[name])
        return obj

    def watch(self, name: str, resource_version: str, *, timeout: float = 300.0) -> Iterator[WorkflowEvent]:
        self.watches.append((name, resource_version))
        while self.cursor < len(self.script):
            step = self.script[self.cursor]
            self.cursor += 1
            if step == END:
                return
            if step == EXPIRE:
                raise WatchExpired(f"watch of workflow {name} expired")
            if step == INTERRUPT:
                raise KeyboardInterrupt
            if isinstance(step, BaseException):
                raise step
            assert callable(step)
            status = step(name)
            obj = self.objects[name]
            nodes = status.get("nodes")
            if status.pop("offload", False):
                self.offloaded_nodes[name] = nodes
                status = {k: v for k, v in status.items() if k != "nodes"}
                status["offloadNodeStatusVersion"] = f"fnv:{self.version}"
            obj["status"] = status
            yield WorkflowEvent("MODIFIED", self._bump(obj))

    def logs(
        self, workflow: str, pod: str, container: str = "main", *, follow: bool = False
    ) -> Iterator[str]:
        with self.lock:
            self.log_calls.append(pod)
            failures = self.log_failures.get(pod)
            failure = failures.pop(0) if failures else None
        if pod not in self.pod_logs:
            raise NotFoundError(f"pod {pod} not found")
        lines = self.pod_logs[pod]
        for index, line in enumerate(lines):
            if failure is not None and index == len(lines) // 2:
                raise failure
            yield line

    def stop(self, name: str, message: str = "") -> None:
        if name not in self.objects:
            raise NotFoundError(f"workflow {name} not found")
        self.stopped.append((name, message))


def steps_status(
    name: str, phases: dict[str, str], *, workflow_phase: str = "Running", template: str = "say"
) -> WorkflowStatus:
    """A steps workflow ``main`` with one step group of Pod nodes ``phases`` (node leaf name -> phase)."""
    status = WorkflowStatus(name, phase=workflow_phase, started=1_700_000_000.0)
    root = Node(node_id(name, name), name, name, "Steps", workflow_phase, template_name="main")
    group_name = f"{name}[0]"
    group = Node(
        node_id(name, group_name), group_name, "[0]", "StepGroup", workflow_phase, boundary_id=root.id
    )
    root.children.append(group.id)
    status.add(root)
    status.add(group)
    for leaf, phase in phases.items():
        full = f"{name}[0].{leaf}"
        pod = Node(
            node_id(name, full),
            full,
            display_name(full, name),
            "Pod",
            phase,
            boundary_id=root.id,
            template_name=template,
            started=1_700_000_001.0,
            finished=1_700_000_002.0 if phase in ("Succeeded", "Failed", "Error") else 0.0,
        )
        group.children.append(pod.id)
        status.add(pod)
    return status


def frame(
    phases: dict[str, str], workflow_phase: str = "Running", **extra: Any
) -> Callable[[str], dict[str, Any]]:
    """A script step: the status of :func:`steps_status` as Argo writes it (``extra``: more status fields)."""

    def make(name: str) -> dict[str, Any]:
        doc = steps_status(name, phases, workflow_phase=workflow_phase).to_json()
        doc.update(extra)
        return doc

    return make


HELLO_WORKFLOW = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {"generateName": "hello-"},
    "spec": {
        "entrypoint": "main",
        "templates": [
            {"name": "main", "steps": [[{"name": "a", "template": "say"}, {"name": "b", "template": "say"}]]},
            {"name": "say", "container": {"image": "alpine:3", "command": ["echo", "hi"]}},
        ],
    },
}
