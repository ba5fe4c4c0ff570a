"""The controller's reconcile loop, run locally (``workflow/controller/operator.go``).

Each :meth:`Operation.operate` pass walks the template tree from the entrypoint, as Argo's
``operate()`` does: nodes are created at most once (by name), their phases only move forward,
step groups are visited in order and DAG tasks from the targets up through their dependencies.
Pods run concurrently on worker threads; their results are applied at the start of the next pass
(``podReconciliation``), so every decision is taken on the main thread in Argo's order.

:class:`Operation` composes one mixin per concern, each in its own module as the controller
splits them: :mod:`~wfsync.engine.steps`, :mod:`~wfsync.engine.dag`, :mod:`~wfsync.engine.hooks`,
:mod:`~wfsync.engine.outputs`, :mod:`~wfsync.engine.retries`, :mod:`~wfsync.engine.parallelism`,
:mod:`~wfsync.engine.synchronization`, :mod:`~wfsync.engine.pods` and
:mod:`~wfsync.engine.suspend`, over the shared state of :mod:`~wfsync.engine.nodes`. This module
keeps the run loop, the global parameters and ``executeTemplate``.
"""

from __future__ import annotations

import copy
import json
import queue
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from wfsync.engine import status as st
from wfsync.engine.dag import DagMixin
from wfsync.engine.durations import humanize_duration, parse_duration
from wfsync.engine.globalparams import argument_globals, identity_globals, metadata_globals
from wfsync.engine.hooks import given_arguments, hook_template
from wfsync.engine.lifetime import Signalled
from wfsync.engine.naming import attempt_name, exit_name
from wfsync.engine.nodes import DEADLINE_MESSAGE, Options, Opts, node_inputs
from wfsync.engine.parallelism import ParallelismMixin
from wfsync.engine.params import ArgumentError, process_args
from wfsync.engine.pods import PodsMixin
from wfsync.engine.podspec import claim_problem
from wfsync.engine.retries import RetriesMixin
from wfsync.engine.steps import StepsMixin
from wfsync.engine.substitute import SubstitutionError, substitute
from wfsync.engine.suspend import RESUME_POLL_SECONDS, SuspendMixin
from wfsync.engine.synchronization import SynchronizationMixin
from wfsync.engine.templates import (
    Context,
    Resolved,
    ResolveError,
    merge_template_defaults,
    template_type,
)
from wfsync.errors import WfsyncError
from wfsync.model.kinds import NodeType

__all__ = [
    "DEADLINE_MESSAGE",
    "Interrupted",
    "Operation",
    "Options",
    "humanize_duration",
    "parse_duration",
]

_WORKFLOW_PHASE = {
    st.PENDING: st.PENDING,
    st.RUNNING: st.RUNNING,
    st.SUCCEEDED: st.SUCCEEDED,
    st.SKIPPED: st.SUCCEEDED,
    st.OMITTED: st.SUCCEEDED,
    st.FAILED: st.FAILED,
    st.ERROR: st.ERROR,
}


STOP_POLL_SECONDS = 0.5
"""Longest wait before the run checks for a stop signal whose interrupt was lost."""
_POD_KINDS = ("container", "script", "resource", "data", "containerSet")
"""Template types that run as a pod (and so have ``pod.name``)."""


class _Processed(NamedTuple):
    """A template ready to run: resolved, its arguments bound, its retry strategy and type."""

    resolved: Resolved
    processed: dict[str, object]
    retry: dict[str, object] | None
    kind: str


class Interrupted(WfsyncError):
    """The run was stopped (Ctrl-C); the workflow ended Failed."""


class Operation(
    StepsMixin,
    DagMixin,
    PodsMixin,
    SuspendMixin,
    RetriesMixin,
    ParallelismMixin,
    SynchronizationMixin,
):
    """One workflow run: reconcile passes until the workflow is fulfilled."""

    # --- run loop ------------------------------------------------------------------------------

    def run(self) -> st.WorkflowStatus:
        """Reconcile until the workflow is fulfilled; Ctrl-C stops every pod and fails it."""
        self.status.started = time.time()
        self.status.phase = st.RUNNING
        if self.spec.get("activeDeadlineSeconds") is not None:
            self.deadline = int(self.status.started) + float(self.spec["activeDeadlineSeconds"])
            self.wakeups.append(self.deadline)
        self.set_global_parameters()
        problem = claim_problem(self.spec, self.name)
        if problem:  # ``createPVCs`` fails before any node: the workflow is in Error
            self.finish(st.ERROR, f"pvc create error: {problem}")
            self.pool.shutdown(wait=True, cancel_futures=True)
            return self.status
        try:
            while True:
                self.lost_stop()
                self.reconcile_pods(block=False)
                self.stir_reported()
                self.operate()
                if self.options.on_change is not None and self.changes != self.seen_changes:
                    self.options.on_change(self.status)
                if self.status.phase not in (st.RUNNING, st.PENDING):
                    break
                self.wait()
        except KeyboardInterrupt as exc:
            self.stop(f"interrupted ({exc or 'Ctrl-C'}): every pod was stopped")
            raise Interrupted("interrupted: the workflow was stopped and ended Failed") from None
        finally:
            self.stop_pods()  # no pod outlives the run, even when an internal error ends it
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.status.phase not in (st.SUCCEEDED, st.FAILED, st.ERROR):
            # A run never ends Pending or Running: that would be an engine bug, reported as one.
            self.status.phase = st.ERROR
            self.status.message = "internal error: the run ended without the workflow finishing"
            self.status.finished = time.time()
        return self.status

    def wait(self) -> None:
        """Block until a pod ends or a timer (backoff, suspend, deadline) is due.

        Returns at once when the last pass changed a node (the controller requeues then) or a
        timer fell due meanwhile.
        """
        if self.changes != self.seen_changes:
            self.seen_changes = self.changes
            return
        now = time.time()
        due = [w for w in self.wakeups if w <= now]
        self.wakeups = [w for w in self.wakeups if w > now]
        if due:
            return
        timeout = (min(self.wakeups) - now) if self.wakeups else None
        if not self.active and timeout is None:
            deadlock = self.lock_deadlock()
            if deadlock:
                self.stop(deadlock)
                raise Interrupted(deadlock)
            waiting = ", ".join(n.name for n in self.status.nodes.values() if not n.fulfilled) or self.name
            self.stop(
                f"internal error: the engine stopped with nodes still unfinished ({waiting}): nothing "
                "runs and nothing is scheduled; please report this workflow",
                st.ERROR,
            )
            return
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = STOP_POLL_SECONDS if deadline is None else deadline - time.monotonic()
            try:
                item = self.events.get(timeout=max(0.0, min(left, STOP_POLL_SECONDS)))
            except queue.Empty:
                self.lost_stop()
                if deadline is not None and time.monotonic() >= deadline:
                    return
                continue
            self.events.put(item)
            return

    def lost_stop(self) -> None:
        """Raise the stop signal that arrived but whose interrupt never reached the run loop.

        The handler raises :class:`Signalled` wherever the main thread is; inside a finalizer
        (a generator closed, an object's ``__del__``) Python prints it and goes on, and the run
        would wait for its pods as if nothing had come.
        """
        received = self.options.stop_signal() if self.options.stop_signal is not None else ""
        if received:
            raise Signalled(received)

    def stop(self, message: str, phase: str = st.FAILED) -> None:
        """Kill every pod, end every unfinished node and the workflow (Failed, or Error when internal)."""
        self.cancel.set()
        for work in list(self.active.values()):
            if work.cancel is not None:
                work.cancel.set()
            if work.future is not None:
                work.future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
        now = time.time()
        for node in self.status.nodes.values():
            if not node.fulfilled:
                node.phase = phase
                node.message = message
                node.finished = now
        self.status.phase = phase
        self.status.message = message
        self.status.finished = now

    # --- globals -----------------------------------------------------------------------------

    def set_global_parameters(self) -> None:
        """``setGlobalParameters`` then ``substituteGlobalVariables`` (templates excluded)."""
        meta = self.wf.get("metadata") or {}
        g = self.global_params
        g.update(identity_globals(self.name, meta, self.spec, self.status.started))
        g.update(argument_globals(self.spec, self.store.config_map_value))
        g.update(metadata_globals(meta, self.spec))
        templates = self.spec.pop("templates", None)
        self.spec.update(substitute(self.spec, g))
        if templates is not None:
            self.spec["templates"] = templates

    # --- one pass ----------------------------------------------------------------------------

    def operate(self) -> None:
        """One ``operate()`` pass over the whole tree."""
        self.global_params["workflow.duration"] = str(time.time() - self.status.started)
        if not self.acquire_workflow_lock():
            return
        if self.spec.get("suspend") is True and not self._workflow_resumed():
            return
        if self.spec.get("parallelism") is not None:  # the only reader: not a scan per pass otherwise
            self.active_pods = self.count_active_pods()
        entry = str(self.spec.get("entrypoint", ""))
        node = self.execute_template(
            self.name, {"template": entry}, self.root_ctx, self.spec.get("arguments") or {}, Opts()
        )
        if node is None:
            return
        wf_phase = _WORKFLOW_PHASE[node.phase]
        self.global_params["workflow.status"] = wf_phase
        hooks = self.spec.get("hooks")
        if isinstance(hooks, dict) and any(name != "exit" for name in hooks):
            self.global_params["workflow.failures"] = self.failures()
            if not self.run_workflow_hooks(hooks, node):
                return
        if not node.fulfilled:
            return
        self.global_params["workflow.failures"] = self.failures()
        hook = self.exit_hook(self.spec)
        exit_node = None
        if hook is not None:
            exit_node = self.execute_template(
                exit_name(self.name),
                hook_template(hook),
                self.root_ctx,
                given_arguments(hook),
                Opts(on_exit=True, hooked=True),
            )
            if exit_node is None or not exit_node.fulfilled:
                return
        if node.phase in (st.SUCCEEDED, st.SKIPPED, st.OMITTED):
            if exit_node is not None and exit_node.failed_or_error:
                self.finish(st.FAILED if exit_node.phase == st.FAILED else st.ERROR, exit_node.message)
            else:
                self.finish(st.SUCCEEDED, "")
        else:
            self.finish(node.phase, node.message)

    def _workflow_resumed(self) -> bool:
        """``spec.suspend``: whether the workflow was resumed (else a timer or the verdict is set)."""
        resume = self.options.resume
        if resume is not None:
            if not resume.resumed(self.name, self.name, self.status.started):
                self.wakeups.append(time.time() + RESUME_POLL_SECONDS)
                return False
        elif self.options.resume_after is None:
            self.finish(
                st.FAILED,
                "suspended: the workflow waits for `argo resume` (spec.suspend), which this "
                "non-interactive run cannot give (run with --resume-after SECONDS)",
            )
            return False
        else:
            until = self.status.started + self.options.resume_after
            if time.time() < until:
                self.wakeups.append(until)
                return False
        self.spec["suspend"] = False
        return True

    def failures(self) -> str:
        """``workflow.failures``: the JSON of every Failed/Error node, Go-quoted."""
        failed = []
        for node in self.status.nodes.values():
            if node.phase in (st.FAILED, st.ERROR):
                failed.append(  # noqa: PERF401
                    {
                        "displayName": node.display_name,
                        "message": node.message,
                        "templateName": node.template_name,
                        "phase": node.phase,
                        "podName": node.pod_name or st.pod_name(self.name, node.name, node.template_name),
                        "finishedAt": st.rfc3339(node.finished) if node.finished else None,
                    }
                )
        text = json.dumps(failed, separators=(",", ":")) if failed else "null"
        return json.dumps(text)

    # --- executeTemplate ---------------------------------------------------------------------

    def execute_template(
        self,
        node_name: str,
        holder: Mapping[str, object],
        ctx: Context,
        args: Mapping[str, object],
        opts: Opts,
    ) -> st.Node | None:
        """``executeTemplate``: resolve, bind arguments, retry wrapper, then run by template type."""
        node = self.status.by_name(node_name)
        if node is not None and (
            node.fulfilled or (node.type in (NodeType.POD, NodeType.HTTP) and node.id in self.active)
        ):
            return node  # a running pod changes only when its result is reconciled
        cached = self.processed.get(node.id) if node is not None else None
        if cached is not None:
            resolved, processed = cached
            if not self.check_parallelism(processed, node, opts.boundary_id):
                return node
            return self._dispatch(node_name, node, processed, resolved, opts)
        prepared = self._process(node_name, holder, ctx, args, opts)
        if isinstance(prepared, st.Node):
            return prepared
        resolved, processed, retry, kind = prepared
        if not self.check_parallelism(processed, node, opts.boundary_id):
            return node
        if processed.get("synchronization"):
            node, acquired = self.acquire_locks(node_name, node, processed, resolved, opts)
            if not acquired:
                return node
        tname = str(processed.get("name") or holder.get("template") or "")
        retry_node: st.Node | None = None
        if retry is not None:
            attempt = self._retry_attempt(node_name, node, prepared, tname, opts)
            if isinstance(attempt, st.Node):
                return attempt
            retry_node, node_name, node, processed = attempt
        if self.deadline is not None and time.time() >= self.deadline and not opts.on_exit and node is None:
            node = self._past_deadline(node_name, kind, tname, opts)
        if node is None or not node.fulfilled:
            node = self._dispatch(node_name, node, processed, resolved, opts, retried=retry is not None)
        if retry_node is not None and retry is not None:
            if node is not None and node.fulfilled and retry_node.phase not in st.FULFILLED:
                try:
                    self.process_retries(retry_node, retry)
                except (ValueError, WfsyncError) as exc:
                    self.mark(retry_node, st.ERROR, str(exc))
                if retry_node.phase == st.SUCCEEDED and node.outputs:
                    retry_node.outputs = copy.deepcopy(node.outputs)
            return retry_node
        return node

    def _process(
        self,
        node_name: str,
        holder: Mapping[str, object],
        ctx: Context,
        args: Mapping[str, object],
        opts: Opts,
    ) -> _Processed | st.Node:
        """The template resolved, defaulted and its arguments bound, or the node in Error."""
        try:
            resolved = self.resolver.resolve(holder, ctx)
        except ResolveError as exc:
            return self.mark_error(node_name, str(exc), opts)
        tmpl = self.with_defaults(resolved.template)
        local = {"node.name": node_name}
        if opts.caller is not None:
            local[f"{opts.caller[0]}.name"] = opts.caller[1]
        # ``woc.retryStrategy``: the template's, else the spec's; ``{}`` is a strategy (no limit).
        retry: dict[str, object] | None = tmpl.get("retryStrategy")
        if retry is None:
            retry = self.spec.get("retryStrategy")
        kind = template_type(tmpl)
        if kind in _POD_KINDS and retry is None:
            local["pod.name"] = st.pod_name(self.name, node_name, str(tmpl.get("name", "")))
        try:
            processed = process_args(tmpl, args, self.global_params, local, self.store.config_map_value)
        except (ArgumentError, SubstitutionError) as exc:
            return self.mark_error(node_name, str(exc), opts)
        return _Processed(resolved, processed, retry, kind)

    def _retry_attempt(
        self, node_name: str, node: st.Node | None, prepared: _Processed, tname: str, opts: Opts
    ) -> tuple[st.Node, str, st.Node | None, dict[str, object]] | st.Node:
        """The Retry node and its current attempt (name, node, template), or the Retry node if done."""
        resolved, processed, retry, kind = prepared
        assert retry is not None
        tref = resolved.template_ref
        retry_node = node or self.init_node(
            node_name,
            NodeType.RETRY,
            st.RUNNING,
            opts,
            template_name="" if tref else tname,
            template_ref=tref,
            scope=resolved.context.scope,
            inputs=node_inputs(processed),
        )
        try:
            proceed = self.process_retries(retry_node, retry)
        except (ValueError, WfsyncError) as exc:
            return self.mark(retry_node, st.ERROR, str(exc))
        if retry_node.fulfilled:
            last = self.last_child(retry_node)
            if last is not None and retry_node.phase == st.SUCCEEDED:
                retry_node.outputs = copy.deepcopy(last.outputs)
            return retry_node
        if not proceed:
            return retry_node
        last = self.last_child(retry_node)
        attempt: st.Node | None = None
        if last is not None and not last.fulfilled:
            attempt_node_name, attempt = last.name, last
        else:
            attempt_node_name = attempt_name(node_name, len(retry_node.children))
            retry_node.children.append(st.node_id(self.name, attempt_node_name))
        extra = {"retries": str(len(retry_node.children) - 1)}
        if kind in _POD_KINDS:
            extra["pod.name"] = st.pod_name(self.name, attempt_node_name, tname)
        extra.update(self.last_retry_params(retry_node, attempt_node_name))
        return retry_node, attempt_node_name, attempt, substitute(processed, extra)

    def _past_deadline(self, node_name: str, kind: str, tname: str, opts: Opts) -> st.Node | None:
        """A pod-like node not started before ``activeDeadlineSeconds`` is Failed at once."""
        if kind not in ("container", "script", "suspend", "resource", "data", "containerSet"):
            return None
        node_type = NodeType.POD if kind != "suspend" else NodeType.SUSPEND
        node = self.init_node(node_name, node_type, st.FAILED, opts, message=DEADLINE_MESSAGE)
        node.template_name = tname
        return node

    def _dispatch(
        self,
        node_name: str,
        node: st.Node | None,
        processed: dict[str, object],
        resolved: Resolved,
        opts: Opts,
        *,
        retried: bool = False,
    ) -> st.Node:
        """Run a processed template by its type; steps and DAG templates are cached by node.

        The processed template of a Steps or DAG node is kept once the node exists (its
        arguments cannot change any more), so later passes skip resolution and substitution.
        """
        kind = template_type(processed)
        tref = resolved.template_ref
        tname = str(processed.get("name") or "")
        common = {
            "template_name": "" if tref else tname,
            "template_ref": tref,
            "scope": resolved.context.scope,
        }
        if kind in ("container", "script", "containerSet", "resource", "http"):
            return self.execute_on_worker(kind, node_name, processed, opts, common, retried=retried)
        if kind == "steps":
            out = self.execute_steps(node_name, processed, resolved, opts, common)
        elif kind == "dag":
            out = self.execute_dag(node_name, processed, resolved, opts, common)
        elif kind == "suspend":
            return self.execute_suspend(node_name, processed, opts, common)
        else:
            return self.mark_error(node_name, f"unsupported: {kind or 'empty'} template {tname!r}", opts)
        if (
            not retried
            and (node is None or node.sync_waiting == "")
            and out.type in (NodeType.STEPS, NodeType.DAG)
        ):
            self.processed[out.id] = (resolved, processed)
        return out

    def with_defaults(self, tmpl: dict[str, object]) -> dict[str, Any]:
        """``mergedTemplateDefaultsInto``: ``spec.templateDefaults`` under the template."""
        return merge_template_defaults(self.spec.get("templateDefaults"), tmpl)
