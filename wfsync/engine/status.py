"""The status model Argo writes: nodes keyed by name, with Argo's IDs, display names and phases.

Nodes are created at most once (by name) and their phases only move forward, as in the
controller's reconcile loop. Serialisation gives ``status.nodes`` exactly as ``argo get -o json``
shows it (camelCase keys, RFC3339 timestamps, empty fields left out).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from typing import Any

PENDING = "Pending"
RUNNING = "Running"
SUCCEEDED = "Succeeded"
SKIPPED = "Skipped"
FAILED = "Failed"
ERROR = "Error"
OMITTED = "Omitted"

COMPLETED = frozenset({SUCCEEDED, FAILED, ERROR})
FULFILLED = frozenset({SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED})

_STEPS_OR_DAG_SEPARATOR = re.compile(r"^(\[\d+\])?\.")


@functools.lru_cache(maxsize=65536)
def fnv1a32(text: str) -> int:
    """32-bit FNV-1a of the UTF-8 bytes, as Go's ``hash/fnv`` computes it.

    Cached: a node's name is hashed for its ID, its pod name and every link to it, and the
    byte loop cost ~30 us a call (a third of the engine's own time on big workflows).
    """
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def node_id(workflow_name: str, node_name: str) -> str:
    """``<wf>`` for the root node, else ``<wf>-<fnv1a32(name)>`` (``Workflow.NodeID``)."""
    if node_name == workflow_name:
        return workflow_name
    return f"{workflow_name}-{fnv1a32(node_name)}"


@functools.lru_cache(maxsize=65536)
def _cached_id(workflow_name: str, node_name: str) -> str:
    return node_id(workflow_name, node_name)


def pod_name(workflow_name: str, node_name: str, template_name: str) -> str:
    """The v2 pod name (``util.GeneratePodName``): ``<wf>-<template>-<fnv1a32(node name)>``."""
    if workflow_name == node_name:
        return workflow_name
    prefix = workflow_name if ".inline" in node_name else f"{workflow_name}-{template_name}"
    max_prefix = 253 - 1 - 10  # k8s name limit, '-', the longest decimal hash
    return f"{prefix[:max_prefix]}-{fnv1a32(node_name)}"


def display_name(name: str, boundary_name: str | None) -> str:
    """The name without the boundary node's name and one leading ``[n].`` or ``.``."""
    if boundary_name is None:
        return name
    trimmed = name[len(boundary_name) :] if name.startswith(boundary_name) else name
    return _STEPS_OR_DAG_SEPARATOR.sub("", trimmed, count=1)


def rfc3339(timestamp: float) -> str:
    """Seconds since the epoch as Kubernetes writes times (UTC, whole seconds)."""
    return _rfc3339_second(int(timestamp) if timestamp >= 0 else int(timestamp // 1))


@functools.lru_cache(maxsize=4096)
def _rfc3339_second(second: int) -> str:
    # nodes of a run share a few distinct seconds: formatting each once saves most of the cost
    return dt.datetime.fromtimestamp(second, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclasses.dataclass
class Node:
    """One entry of ``status.nodes``; ``started``/``finished`` are epoch seconds (float)."""

    id: str
    name: str
    display_name: str
    type: str
    phase: str
    boundary_id: str = ""
    template_name: str = ""
    template_ref: dict[str, object] | None = None
    template_scope: str = ""
    message: str = ""
    started: float = 0.0
    finished: float = 0.0
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    children: list[str] = dataclasses.field(default_factory=list)
    outbound_nodes: list[str] = dataclasses.field(default_factory=list)
    hooked: bool = False
    retried: bool = False
    pod_name: str = ""
    host_node_name: str = ""
    daemoned: bool = False
    pod_ip: str = ""
    sync_waiting: str = ""
    """The lock this node waits for (``synchronizationStatus.waiting``), empty once acquired."""

    @property
    def fulfilled(self) -> bool:
        """Completed, Skipped or Omitted, or a daemoned node past Pending (``Fulfilled``)."""
        return self.phase in FULFILLED or (self.daemoned and self.phase != PENDING)

    @property
    def completed(self) -> bool:
        """Succeeded, Failed or Error (``Completed``)."""
        return self.phase in COMPLETED

    @property
    def failed_or_error(self) -> bool:
        """Failed or Error."""
        return self.phase in (FAILED, ERROR)

    def to_json(self) -> dict[str, object]:
        """The node as ``status.nodes[id]`` (empty fields omitted), in the order Argo writes them."""
        flags = {k: True for k, v in (("hooked", self.hooked), ("retried", self.retried)) if v}
        fields: tuple[tuple[str, object], ...] = (
            ("id", self.id),
            ("name", self.name),
            ("displayName", self.display_name),
            ("type", self.type),
            ("templateName", self.template_name),
            ("templateRef", self.template_ref),
            ("templateScope", self.template_scope),
            ("phase", self.phase),
            ("boundaryID", self.boundary_id),
            ("message", self.message),
            ("startedAt", rfc3339(self.started) if self.started else None),
            ("finishedAt", rfc3339(self.finished) if self.finished else None),
            ("hostNodeName", self.host_node_name),
            ("podIP", self.pod_ip),
            ("daemoned", self.daemoned or None),
            ("inputs", self.inputs),
            ("outputs", self.outputs),
            ("children", list(self.children)),
            ("outboundNodes", list(self.outbound_nodes)),
            ("synchronizationStatus", {"waiting": self.sync_waiting} if self.sync_waiting else None),
            ("nodeFlag", flags),
        )
        return {key: value for key, value in fields if value or key in _ALWAYS_WRITTEN}


_ALWAYS_WRITTEN = frozenset({"id", "name", "displayName", "type", "phase", "finishedAt"})
"""Node fields written even when empty (``finishedAt: null`` while a node runs, as Argo does)."""


@dataclasses.dataclass
class WorkflowStatus:
    """``status`` of a Workflow: its phase and message, and the nodes by ID (insertion ordered)."""

    name: str
    phase: str = ""
    message: str = ""
    started: float = 0.0
    finished: float = 0.0
    nodes: dict[str, Node] = dataclasses.field(default_factory=dict)
    outputs: dict[str, Any] = dataclasses.field(default_factory=dict)
    stored_templates: dict[str, object] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)
    """For the run's summary, not Argo's status: stand-ins that ran images, what was not checked."""

    def note(self, text: str) -> None:
        """Add a line to the run's summary once."""
        if text not in self.notes:
            self.notes.append(text)

    inside: dict[str, list[Node]] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    """The nodes of each boundary (by the boundary's ID), in creation order: what counting a
    boundary's children reads, instead of every node of the workflow."""

    def add(self, node: Node) -> None:
        """Record a new node."""
        self.nodes[node.id] = node
        if node.boundary_id:
            self.inside.setdefault(node.boundary_id, []).append(node)

    def within(self, boundary_id: str) -> list[Node]:
        """The nodes whose boundary is ``boundary_id`` (recorded with :meth:`add`)."""
        return self.inside.get(boundary_id, [])

    def by_name(self, name: str) -> Node | None:
        """The node called ``name`` (nodes are keyed by the ID derived from their name)."""
        return self.nodes.get(_cached_id(self.name, name))

    def get(self, node_id_: str) -> Node:
        """The node with this ID (it must exist)."""
        return self.nodes[node_id_]

    def progress(self) -> str:
        """``"done/total"`` over Pod nodes, as Argo counts ``status.progress``."""
        pods = [n for n in self.nodes.values() if n.type == "Pod"]
        done = sum(1 for n in pods if n.phase == SUCCEEDED)
        return f"{done}/{len(pods)}"

    def to_json(self) -> dict[str, object]:
        """The ``status`` object."""
        out: dict[str, object] = {"phase": self.phase}
        if self.started:
            out["startedAt"] = rfc3339(self.started)
        out["finishedAt"] = rfc3339(self.finished) if self.finished else None
        out["progress"] = self.progress()
        if self.message:
            out["message"] = self.message
        out["nodes"] = {key: node.to_json() for key, node in self.nodes.items()}
        if self.outputs:
            out["outputs"] = self.outputs
        if self.stored_templates:
            out["storedTemplates"] = self.stored_templates
        return out
