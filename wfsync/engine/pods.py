"""Pods on worker threads: starting container, script, resource and HTTP nodes, applying results.

Workers only run the pod and post a :class:`PodOutcome`; every node change happens on the main
thread in :meth:`PodsMixin.reconcile_pods` (``podReconciliation``), so decisions keep Argo's order.
Daemons stay in flight until their enclosing steps/DAG ends.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from typing import Any

from wfsync.engine import httptemplate, probe, resource
from wfsync.engine import status as st
from wfsync.engine.naming import child_name
from wfsync.engine.nodes import Opts, PodOutcome, PodWork, node_inputs
from wfsync.engine.podspec import PodSpecMixin
from wfsync.engine.templates import template_type
from wfsync.errors import WfsyncError
from wfsync.model.kinds import NodeType

DAEMONED = "daemoned"
"""The outcome a daemon's readiness watcher reports (not a phase: the node stays Running)."""


class PodsMixin(PodSpecMixin):
    """``executeContainer``/``executeScript``/``executeResource``/``executeHTTPTemplate`` and reconciliation."""

    def execute_on_worker(
        self,
        kind: str,
        node_name: str,
        tmpl: dict[str, Any],
        opts: Opts,
        common: dict[str, Any],
        *,
        retried: bool,
    ) -> st.Node:
        """``executeContainer``/``executeScript``/``executeResource``/``executeHTTPTemplate`` by ``kind``.

        A Pending Pod node with Argo's pod name (an HTTP node has no pod), its work started on a
        worker. A node already under ``node_name`` stays as it is, unless it waited for its
        locks and got them on this pass: its work starts now.
        """
        existing = self.status.by_name(node_name)
        if existing is not None and not self.lock_acquired_now(existing):
            return existing
        node_type = NodeType.HTTP if kind == "http" else NodeType.POD
        node = existing or self.init_node(
            node_name, node_type, st.PENDING, opts, inputs=node_inputs(tmpl), **common
        )
        node.retried = retried
        if kind == "http":
            return self._start_http(node, tmpl)
        node.pod_name = st.pod_name(self.name, node_name, str(tmpl.get("name", "")))
        if kind == "resource":
            return self._start_resource(node, tmpl)
        return self._start_pod(node, tmpl, opts, common)

    def _start_pod(self, node: st.Node, tmpl: dict[str, Any], opts: Opts, common: dict[str, Any]) -> st.Node:
        """``executeContainer`` / ``executeScript``: build the pod and run it (a daemon's watched)."""
        self.node_templates[node.id] = tmpl
        if template_type(tmpl) == "containerSet":
            self.container_nodes(node, tmpl, opts, common)
        try:
            pod = self.build_pod(node, tmpl)
        except WfsyncError as exc:
            self.mark(node, st.ERROR, str(exc))
            self.mark_containers(node, PodOutcome(st.ERROR, str(exc), {}))
            return node
        work = self._running(node, PodWork(node.id, pod, tmpl))
        if tmpl.get("daemon"):
            work.cancel = threading.Event()
            self.pool.submit(self.watch_daemon, work)
        work.future = self.pool.submit(self.run_pod, work)
        return node

    def _start_resource(self, node: st.Node, tmpl: dict[str, Any]) -> st.Node:
        """``executeResource``: a Pod node whose action runs against the cluster on a worker."""
        if self.options.cluster is None:
            return self.mark(node, st.ERROR, "unsupported: resource templates need a cluster")
        work = self._running(node, PodWork(node.id, None, tmpl))
        work.future = self.pool.submit(self.run_resource, work, node.pod_name, node.name)
        return node

    def _start_http(self, node: st.Node, tmpl: dict[str, Any]) -> st.Node:
        """``executeHTTPTemplate``: the node stays Pending (no pod) while the agent's request runs."""
        work = PodWork(node.id, None, tmpl)
        self.active[node.id] = work
        work.future = self.pool.submit(self.run_http, work)
        return node

    def _running(self, node: st.Node, work: PodWork) -> PodWork:
        """The node's pod Running here, its work in flight and counted against ``parallelism``."""
        node.phase = st.RUNNING
        node.host_node_name = "localhost"
        self.active[node.id] = work
        self.active_pods += 1
        return work

    def stop_pods(self) -> None:
        """Tell every pod still running (daemons too) to stop: the run is ending, however it ends."""
        self.cancel.set()
        for work in list(self.active.values()):
            if work.cancel is not None:
                work.cancel.set()

    def lock_acquired_now(self, node: st.Node) -> bool:
        """A Pod (or HTTP) node that waited for its locks and got them: Pending, not started, not waiting."""
        return (
            node.type in (NodeType.POD, NodeType.HTTP)
            and node.phase == st.PENDING
            and not node.sync_waiting
            and node.id not in self.active
        )

    def watch_daemon(self, work: PodWork) -> None:
        """Worker thread: report a daemon's pod as daemoned once its readinessProbe passes."""
        assert work.cancel is not None
        spec = work.template.get(template_type(work.template)) or {}
        try:
            ready = probe.wait_ready(spec.get("readinessProbe"), work.cancel)
        except (ValueError, KeyError, TypeError):
            ready = False
        if ready:
            self.events.put((work.node_id, PodOutcome(DAEMONED, "", {})))

    def run_http(self, work: PodWork) -> None:
        """Worker thread: the agent's request for one HTTP node."""
        namespace = str(self.wf["metadata"].get("namespace") or "default")
        lookup = httptemplate.secret_lookup(self.store, self.options.cluster, namespace)
        try:
            done = httptemplate.perform(
                work.template.get("http") or {}, secrets=lookup, allow_network=self.options.allow_network
            )
            outcome = PodOutcome(done.phase, done.message, done.outputs)
        except Exception as exc:
            outcome = PodOutcome(st.ERROR, f"error processing task: {type(exc).__name__}: {exc}", {})
        self.events.put((work.node_id, outcome))

    def run_resource(self, work: PodWork, pod_name: str, node_name: str) -> None:
        """Worker thread: do a resource template's action, report its outcome."""
        assert self.options.cluster is not None
        try:
            outputs = resource.execute(
                self.options.cluster,
                work.template,
                namespace=str(self.wf["metadata"].get("namespace") or "default"),
                pod_name=pod_name,
                node=(work.node_id, node_name),
                workflow=self.wf,
            )
            outcome = PodOutcome(st.SUCCEEDED, "", outputs)
        except resource.ResourceFailed as exc:
            outcome = PodOutcome(st.FAILED, str(exc), {})
        except Exception as exc:
            outcome = PodOutcome(
                st.ERROR, str(exc) if isinstance(exc, WfsyncError) else f"{type(exc).__name__}: {exc}", {}
            )
        self.events.put((work.node_id, outcome))

    def container_nodes(
        self, pod_node: st.Node, tmpl: dict[str, Any], opts: Opts, common: dict[str, Any]
    ) -> None:
        """``executeContainerSet``: a Container node per container, children by dependencies."""
        graph = [c for c in (tmpl.get("containerSet") or {}).get("containers") or [] if isinstance(c, dict)]
        inner = dataclasses.replace(opts, boundary_id=pod_node.id)
        for ctr in graph:
            self.init_node(
                child_name(pod_node.name, str(ctr.get("name"))),
                NodeType.CONTAINER,
                st.PENDING,
                inner,
                **common,
            )
        for ctr in graph:
            name = child_name(pod_node.name, str(ctr.get("name")))
            deps = ctr.get("dependencies") or []
            if not deps:
                self.add_child(pod_node.name, name)
            for dep in deps:
                self.add_child(child_name(pod_node.name, str(dep)), name)

    def run_pod(self, work: PodWork) -> None:
        """Worker thread: run the pod, collect its outputs, report to the main thread."""
        try:
            assert work.pod is not None
            result = self.executor.run(work.pod, work.cancel or self.cancel)
            outcome = dataclasses.replace(self.collect(work, result), containers=result.containers)
        except Exception as exc:
            outcome = PodOutcome(st.ERROR, f"{type(exc).__name__}: {exc}", {})
        if work.cancel is not None:
            work.cancel.set()  # a daemon's readiness watcher stops with its pod
        self.events.put((work.node_id, outcome))

    def reconcile_pods(self, *, block: bool) -> None:
        """``podReconciliation``: apply every finished pod's outcome to its node."""
        while True:
            try:
                node_id, outcome = self.events.get(block=block, timeout=None)
            except queue.Empty:
                return
            block = False
            node = self.status.nodes[node_id]
            if outcome.phase == DAEMONED:
                if not node.fulfilled:
                    node.daemoned = True
                    node.pod_ip = probe.POD_IP
                    self.changes += 1
                continue
            work = self.active.pop(node_id, None)
            if self.options.log is not None and outcome.logs:
                self.options.log(node.name, outcome.logs)
            self.logs.append((node.name, outcome.logs))
            if work is not None and work.cancel is not None:
                if node.fulfilled and not node.daemoned:
                    continue  # killed with its enclosing steps/DAG: stays Succeeded
                node.daemoned = False
                phase = st.FAILED if outcome.phase == st.SUCCEEDED else outcome.phase
                self.mark(node, phase, outcome.message or "daemon exited on its own")
                continue
            node.outputs = outcome.outputs or None
            self.mark(node, outcome.phase, outcome.message)
            self.mark_containers(node, outcome)
            if node.phase == st.SUCCEEDED:
                self.add_outputs_to_global_scope(node.outputs)

    def mark_containers(self, pod_node: st.Node, outcome: PodOutcome) -> None:
        """The Container nodes of a containerSet pod, from its container statuses."""
        if template_type(self.node_templates.get(pod_node.id) or {}) != "containerSet":
            return  # no Container nodes: skip the scan of every node
        ended = {c.name: c for c in outcome.containers}
        for child in self.status.nodes.values():
            if child.type != NodeType.CONTAINER or child.boundary_id != pod_node.id:
                continue
            res = ended.get(child.display_name)
            if res is None or res.exit_code is None:
                message = res.message if res is not None else pod_node.message
                self.mark(child, st.FAILED if pod_node.phase == st.FAILED else st.ERROR, message)
                continue
            child.outputs = {"exitCode": str(res.exit_code)}
            if res.exit_code == 0:
                self.mark(child, st.SUCCEEDED)
            else:
                self.mark(child, st.FAILED, res.message or f"Error (exit code {res.exit_code})")
