"""The state of one workflow run and the node bookkeeping every concern shares.

``OperationState`` is the base of the per-concern mixins (steps, DAG, retries, pods, ...) that
:class:`wfsync.engine.scheduler.Operation` composes, as ``wfOperationCtx`` is shared by
``operator.go``, ``steps.go`` and ``dag.go``: nodes are created, marked and linked only here.
"""

from __future__ import annotations

import abc
import concurrent.futures
import copy
import dataclasses
import queue
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from wfsync.engine import status as st
from wfsync.engine.artifacts import ArtifactRepository
from wfsync.engine.dag_graph import DagProgress, DagShape
from wfsync.engine.executor import ContainerResult, Executor, Pod
from wfsync.engine.locks import LockManager
from wfsync.engine.logtail import LogTail
from wfsync.engine.params import param_string
from wfsync.engine.resource import ClusterStore
from wfsync.engine.scope import Scope
from wfsync.engine.templates import Context, Resolved, Resolver, Store, context_for
from wfsync.model.kinds import NodeType

DEADLINE_MESSAGE = "Step exceeded its deadline"


@dataclasses.dataclass(frozen=True)
class Opts:
    """``executeTemplateOpts``."""

    boundary_id: str = ""
    on_exit: bool = False
    hooked: bool = False
    caller: tuple[str, str] | None = None


@dataclasses.dataclass
class PodWork:
    """A pod handed to a worker thread and what the scheduler needs when it ends."""

    node_id: str
    pod: Pod | None
    template: dict[str, Any]
    future: concurrent.futures.Future[object] | None = None
    cancel: threading.Event | None = None
    """A daemon's own stop signal (set when its enclosing steps/DAG ends, or the run stops)."""


@dataclasses.dataclass
class StepsProgress:
    """How far a Steps node got: its first unfinished group and the scope of the groups before.

    Finished groups never change, so a pass starts at the first unfinished one instead of
    walking (and adding to the scope) every group again: a pass costs O(1) groups, not O(N).
    """

    scope: Scope
    next_group: int = 0


@dataclasses.dataclass
class GroupProgress:
    """A step group's expanded steps (once all their nodes exist) and its settled children.

    Once ``expanded`` is kept, a pass visits only the ``awake`` steps: a step whose child can
    change only when a worker reports (a running pod, or a Steps/DAG node waiting only on such
    pods) sleeps until :meth:`OperationState.stir` wakes it, so a pass costs what changed, not
    the size of the group.
    """

    expanded: list[dict[str, object]] | None = None
    awake: set[int] = dataclasses.field(default_factory=set)
    """Indexes in ``expanded`` of the unsettled steps the next pass visits (once it is kept)."""
    asleep: int = 0
    """How many steps sleep (registered in :attr:`OperationState.sleepers`)."""
    position: dict[str, int] | None = None
    """Each child's index in the group node's ``children`` (once ``expanded`` is kept)."""
    settled: set[str] = dataclasses.field(default_factory=set)
    """Fulfilled children without hooks (nothing about them can change), by node name."""
    settled_ids: set[str] = dataclasses.field(default_factory=set)
    ran: dict[str, dict[str, object]] = dataclasses.field(default_factory=dict)
    """The step of each settled child that ran (not Skipped by ``when``), by node name."""

    @property
    def dozing(self) -> bool:
        """Every unsettled step sleeps: the group can change only when one of them is stirred."""
        return self.expanded is not None and not self.awake and self.asleep > 0

    def settle(self, name: str, node_id: str) -> None:
        """The child ``name`` is fulfilled and has no hooks: later passes skip it."""
        self.settled.add(name)
        self.settled_ids.add(node_id)

    def wake(self, index: int) -> None:
        """The step at ``index`` can change: the next pass visits it."""
        self.awake.add(index)
        self.asleep -= 1


@dataclasses.dataclass
class PodOutcome:
    """A finished pod: node phase, message and collected outputs."""

    phase: str
    message: str
    outputs: dict[str, object]
    logs: str = ""
    containers: tuple[ContainerResult, ...] = ()


@dataclasses.dataclass
class Options:
    """Knobs of one run."""

    run_dir: Path
    artifacts: ArtifactRepository
    max_workers: int = 64
    log: Callable[[str, str], None] | None = None
    cluster: ClusterStore | None = None
    allow_network: bool = False
    """Whether HTTP templates and http/git artifacts may leave this machine."""
    resume_after: float | None = None
    """Seconds after which an indefinite suspend (or ``spec.suspend``) is resumed, as ``argo resume``."""
    resume: Resumer | None = None
    """Where ``argo resume`` comes from in an interactive run (``wfsync resume``); polled."""
    on_change: Callable[[st.WorkflowStatus], None] | None = None
    """Called after every pass that changed a node, for a live view of the tree."""
    stop_signal: Callable[[], str] | None = None
    """The stop signal received so far ('' none), polled while the run waits: a signal whose
    interrupt was lost (raised inside a finalizer, where Python only prints it) still stops it."""


class Resumer(Protocol):
    """The source of resume requests (:class:`wfsync.engine.resume.ResumeChannel`)."""

    def resumed(self, node_name: str, display_name: str, waiting_since: float) -> bool:
        """Whether a resume request made while this node waited covers it."""


class PodResults(queue.Queue[tuple[str, "PodOutcome"]]):
    """The workers' reports, which remember the nodes they were about.

    The scheduler stirs those nodes after applying the reports, which wakes the sleeping
    steps and tasks that wait on them (a daemon's readiness too, which changes no phase).
    """

    def __init__(self) -> None:
        super().__init__()
        self.delivered: list[str] = []

    def _get(self) -> tuple[str, PodOutcome]:
        item = super()._get()
        self.delivered.append(item[0])
        return item


class OperationState(abc.ABC):
    """One workflow run: the status, the global parameters, the running pods."""

    def __init__(self, wf: dict[str, Any], store: Store, executor: Executor, options: Options) -> None:
        self.wf = wf
        self.spec: dict[str, Any] = wf.setdefault("spec", {})
        self.name = str(wf["metadata"]["name"])
        self.store = store
        self.executor = executor
        self.options = options
        self.status = st.WorkflowStatus(self.name)
        self.resolver = Resolver(store)
        self.root_ctx = context_for(wf, "Workflow")
        self.global_params: dict[str, str] = {}
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=options.max_workers)
        self.events = PodResults()
        self.cancel = threading.Event()
        self.active: dict[str, PodWork] = {}
        self.boundary_templates: dict[str, dict[str, Any]] = {}
        self.wakeups: list[float] = []
        self.deadline: float | None = None
        self.shutdown = ""
        self.logs = LogTail()
        self.node_templates: dict[str, dict[str, object]] = {}
        self.processed: dict[str, tuple[Resolved, dict[str, object]]] = {}
        self.active_pods = 0
        self.changes = 0
        self.seen_changes = 0
        self.namespace = str((wf.get("metadata") or {}).get("namespace") or "default")
        self.locks = LockManager(self.config_map_value)
        self.wf_locked = False
        self.dag_shapes: dict[str, DagShape] = {}
        self.dag_progress: dict[str, DagProgress] = {}
        self.steps_progress: dict[str, StepsProgress] = {}
        self.group_progress: dict[str, GroupProgress] = {}
        self.sleepers: dict[str, Callable[[], None]] = {}
        """What wakes a sleeping step or task, by the node it waits on (see :meth:`stir`)."""
        self.dozed = ""
        """The Steps/DAG node whose visit just ended waiting only on sleepers (its caller reads it)."""
        self.child_ids: dict[str, set[str]] = {}
        """Each parent's ``children`` as a set, for :meth:`add_child` to check in O(1)."""

    @abc.abstractmethod
    def execute_template(
        self,
        node_name: str,
        holder: Mapping[str, object],
        ctx: Context,
        args: Mapping[str, object],
        opts: Opts,
    ) -> st.Node | None:
        """``executeTemplate``, which hooks, steps and DAG tasks call back into."""

    # --- nodes -------------------------------------------------------------------------------

    def init_node(
        self,
        name: str,
        node_type: str,
        phase: str,
        opts: Opts,
        *,
        template_name: str = "",
        template_ref: dict[str, object] | None = None,
        scope: str = "",
        message: str = "",
        inputs: dict[str, object] | None = None,
    ) -> st.Node:
        """``initializeNode``: create a node once, with its display name and start time."""
        boundary = self.status.nodes.get(opts.boundary_id) if opts.boundary_id else None
        now = time.time()
        node = st.Node(
            id=st.node_id(self.name, name),
            name=name,
            display_name=st.display_name(name, boundary.name if boundary else None),
            type=str(node_type),  # a plain str: status documents are dumped by YAML and JSON
            phase=phase,
            boundary_id=opts.boundary_id,
            template_name=template_name,
            template_ref=template_ref,
            template_scope=scope,
            message=message,
            started=now,
            inputs=inputs or None,
            hooked=opts.hooked,
        )
        if node.fulfilled:
            node.finished = now
            if self.locks.held:
                self.locks.release(self.holder_key(node.id))
        self.status.add(node)
        self.changes += 1
        return node

    def mark(self, node: st.Node, phase: str, message: str | None = None) -> st.Node:
        """``markNodePhase``: move the phase forward, set the message and finish time."""
        if not node.fulfilled and node.phase != phase:
            node.phase = phase
            self.changes += 1
            if self.sleepers:
                self.stir(node.id)
            if node.type in (NodeType.STEPS, NodeType.DAG) and phase in st.FULFILLED and self.active:
                self.kill_daemons(node.id)
        if message is not None:
            node.message = message
        if node.fulfilled and not node.finished:
            node.finished = time.time()
        if node.fulfilled and self.locks.held:
            self.locks.release(self.holder_key(node.id))
        return node

    def mark_error(self, name: str, message: str, opts: Opts, node_type: str = NodeType.SKIPPED) -> st.Node:
        """``initializeNodeOrMarkError``."""
        node = self.status.by_name(name)
        if node is None:
            return self.init_node(name, node_type, st.ERROR, opts, message=message)
        return self.mark(node, st.ERROR, message)

    def add_child(self, parent_name: str, child_name: str) -> None:
        """``addChildNode``: once per child, checked in a set (a group can have thousands)."""
        parent = self.status.by_name(parent_name)
        if parent is None:
            return
        child_id = st.node_id(self.name, child_name)
        known = self.child_ids.get(parent.id)
        if known is None:
            known = self.child_ids[parent.id] = set()
        children = parent.children
        if len(known) != len(children):  # appended to directly (a Retry's attempts): catch up
            known.update(children[len(known) :])
        if child_id not in known:
            children.append(child_id)
            known.add(child_id)

    # --- sleeping steps and tasks ------------------------------------------------------------

    def sleep_key(self, node: st.Node) -> str:
        """The node whose change alone can change ``node``, or "" when it must be visited again.

        A running pod (or HTTP request) changes only when its worker reports; a Retry node only
        with its running attempt; a Steps/DAG node only when something inside it changes, if
        its visit ended with every open step or task asleep (:attr:`dozed`).
        """
        while node.type == NodeType.RETRY:
            last = self.last_child(node)
            if last is None:
                return ""
            node = last
        if node.fulfilled:
            return ""
        if node.type in (NodeType.POD, NodeType.HTTP):
            return node.id if node.id in self.active else ""
        if node.type in (NodeType.STEPS, NodeType.DAG) and self.dozed == node.id:
            return node.id
        return ""

    def stir_reported(self) -> None:
        """Stir the nodes the workers reported on since the last call."""
        delivered = self.events.delivered
        while delivered:
            self.stir(delivered.pop())

    def sleep(self, key: str, wake: Callable[[], None]) -> bool:
        """Let a step or task sleep until the node ``key`` (or anything inside it) changes.

        False (it stays awake) when something already sleeps on ``key``: one waker per node.
        """
        if key in self.sleepers:
            return False
        self.sleepers[key] = wake
        return True

    def stir(self, node_id: str) -> None:
        """A node changed: wake what sleeps on it, then on each boundary around it.

        Stops at the first boundary with nothing asleep on it: a boundary that is awake has
        no sleeping boundary around it (one sleeps only when all it waits on sleeps).
        """
        nodes = self.status.nodes
        wake = self.sleepers.pop(node_id, None)
        if wake is not None:
            wake()
        node = nodes.get(node_id)
        boundary = node.boundary_id if node is not None else ""
        while boundary:
            wake = self.sleepers.pop(boundary, None)
            if wake is None:
                return
            wake()
            node = nodes.get(boundary)
            boundary = node.boundary_id if node is not None else ""

    def outbound(self, node_id: str) -> list[str]:
        """``getOutboundNodes``."""
        node = self.status.nodes.get(node_id)
        if node is None:
            return []
        if node.type in (NodeType.SKIPPED, NodeType.SUSPEND, NodeType.HTTP, NodeType.PLUGIN, NodeType.POD):
            return [node.id]
        if node.type == NodeType.TASK_GROUP:
            if not node.children:
                return [node.id]
            return [o for child in node.children for o in self.outbound(child)]
        if node.type == NodeType.RETRY:
            if node.children:
                return [node.children[-1]]
            return []
        found = [o for out in node.outbound_nodes for o in self.outbound(out)]
        return found or [node_id]

    def last_child(self, node: st.Node) -> st.Node | None:
        """The last non-hook child of a Retry node."""
        for child_id in reversed(node.children):
            child = self.status.nodes.get(child_id)
            if child is not None and not child.hooked:
                return child
        return None

    def kill_daemons(self, boundary_id: str) -> None:
        """``killDaemonedChildren``: stop the daemons of a finished steps/DAG; they end Succeeded.

        Reads the boundary's own nodes, not every running pod: each boundary ends once.
        """
        for node in list(self.status.within(boundary_id)):
            work = self.active.get(node.id)
            if work is None or work.cancel is None or not node.daemoned:
                continue
            node.phase = st.SUCCEEDED
            node.daemoned = False
            node.finished = time.time()
            self.locks.release(self.holder_key(node.id))
            work.cancel.set()
            self.changes += 1

    # --- run-wide ----------------------------------------------------------------------------

    def finish(self, phase: str, message: str) -> None:
        """Mark the workflow done (which releases the workflow-level locks)."""
        self.locks.release(self.holder_key(""))
        self.status.phase = phase
        self.status.message = message
        self.status.finished = time.time()

    def holder_key(self, node_id: str) -> str:
        """``getHolderKey``: ``<ns>/<wf>`` for the workflow, ``<ns>/<wf>/<nodeID>`` for a node."""
        return f"{self.namespace}/{self.name}/{node_id}" if node_id else f"{self.namespace}/{self.name}"

    def config_map_value(self, namespace: str, name: str, key: str) -> str | None:
        """A ConfigMap value from the run's files, else from the target cluster."""
        value = self.store.config_map_value(name, key)
        if value is not None or self.options.cluster is None:
            return value
        body = self.options.cluster.get("ConfigMap", namespace, name)
        data = (body or {}).get("data") or {}
        return None if data.get(key) is None else str(data[key])

    def add_outputs_to_global_scope(self, outputs: Mapping[str, Any] | None) -> None:
        """``addOutputsToGlobalScope``: publish parameters and artifacts with a ``globalName``."""
        if not outputs:
            return
        for p in outputs.get("parameters") or []:
            if p.get("globalName") and p.get("value") is not None:
                self.global_params[f"workflow.outputs.parameters.{p['globalName']}"] = param_string(
                    p["value"]
                )
                params = self.status.outputs.setdefault("parameters", [])
                params[:] = [x for x in params if x["name"] != p["globalName"]]
                params.append({"name": p["globalName"], "value": param_string(p["value"])})
        for a in outputs.get("artifacts") or []:
            if a.get("globalName"):
                arts = self.status.outputs.setdefault("artifacts", [])
                arts[:] = [x for x in arts if x["name"] != a["globalName"]]
                arts.append({**a, "name": a["globalName"]})


def continues_on(step: Mapping[str, object], phase: str) -> bool:
    """Whether a step's or task's ``continueOn`` lets its dependants go on after ``phase``."""
    continue_on = step.get("continueOn") or {}
    if not isinstance(continue_on, dict):
        return False
    return (
        bool(continue_on.get("failed"))
        if phase == st.FAILED
        else bool(continue_on.get("error"))
        if phase == st.ERROR
        else False
    )


def node_inputs(tmpl: Mapping[str, Any]) -> dict[str, object] | None:
    """The ``inputs`` a node records: its template's parameters (trimmed) and artifacts."""
    inputs = tmpl.get("inputs") or {}
    out: dict[str, object] = {}
    if inputs.get("parameters"):
        out["parameters"] = [
            {k: v for k, v in p.items() if k in ("name", "value", "default", "enum", "description")}
            for p in inputs["parameters"]
        ]
    if inputs.get("artifacts"):
        out["artifacts"] = copy.deepcopy(inputs["artifacts"])
    return out or None
