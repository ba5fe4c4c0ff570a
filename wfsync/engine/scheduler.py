"""The controller's reconcile loop, run locally (``workflow/controller/operator.go``, ``steps.go``, ``dag.go``).

Each :meth:`Operation.operate` pass walks the template tree from the entrypoint, as Argo's
``operate()`` does: nodes are created at most once (by name), their phases only move forward,
step groups are visited in order and DAG tasks from the targets up through their dependencies.
Pods run concurrently on worker threads; their results are applied at the start of the next pass
(``podReconciliation``), so every decision is taken on the main thread in Argo's order.
"""

from __future__ import annotations

import collections
import concurrent.futures
import copy
import dataclasses
import datetime as dt
import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from wfsync.engine import httptemplate, probe, resource, sources
from wfsync.engine import status as st
from wfsync.engine.artifacts import ArtifactRepository, artifact_key
from wfsync.engine.executor import Container, ContainerResult, Executor, Pod, PodResult
from wfsync.engine.host import SCRIPT_PATH
from wfsync.engine.locks import LockError, LockManager, lock_refs
from wfsync.engine.params import (
    ArgumentError,
    aggregate_outputs,
    expand_items,
    loop_index,
    param_string,
    process_args,
)
from wfsync.engine.resource import ClusterStore
from wfsync.engine.scope import Scope, ScopeError
from wfsync.engine.substitute import SubstitutionError, substitute
from wfsync.engine.templates import (
    Context,
    Resolved,
    ResolveError,
    Resolver,
    Store,
    context_for,
    template_type,
)
from wfsync.errors import WfsyncError
from wfsync.expressions import exprlang
from wfsync.expressions.depends import DependsError, TaskResult, depends_on, evaluate_depends, task_logic
from wfsync.expressions.govaluate import WhenError, evaluate_when

DEADLINE_MESSAGE = "Step exceeded its deadline"
DAEMONED = "daemoned"
"""The outcome a daemon's readiness watcher reports (not a phase: the node stays Running)."""
_WORKFLOW_PHASE = {
    st.PENDING: st.PENDING,
    st.RUNNING: st.RUNNING,
    st.SUCCEEDED: st.SUCCEEDED,
    st.SKIPPED: st.SUCCEEDED,
    st.OMITTED: st.SUCCEEDED,
    st.FAILED: st.FAILED,
    st.ERROR: st.ERROR,
}
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class Interrupted(WfsyncError):
    """The run was stopped (Ctrl-C); the workflow ended Failed."""


def parse_duration(value: Any) -> float:
    """Seconds of an int, a numeric string or a Go duration string (``ParseStringToDuration``)."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(int(text))
    except ValueError:
        pass
    total, number, pos = 0.0, "", 0
    if not text:
        raise ValueError("empty duration")
    while pos < len(text):
        ch = text[pos]
        if ch.isdigit() or ch == ".":
            number += ch
            pos += 1
            continue
        unit = next((u for u in ("ns", "us", "µs", "ms", "h", "m", "s") if text.startswith(u, pos)), None)
        if unit is None or not number:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(number) * _GO_UNITS[unit]
        number = ""
        pos += len(unit)
    if number:
        raise ValueError(f'time: missing unit in duration "{text}"')
    return total


def humanize_duration(seconds: float) -> str:
    """A short duration like ``humanize.Duration`` (``10 seconds``, ``2 minutes``)."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = whole // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


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
    future: concurrent.futures.Future[Any] | None = None
    cancel: threading.Event | None = None
    """A daemon's own stop signal (set when its enclosing steps/DAG ends, or the run stops)."""


@dataclasses.dataclass
class PodOutcome:
    """A finished pod: node phase, message and collected outputs."""

    phase: str
    message: str
    outputs: dict[str, Any]
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


class Operation:
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
        self.events: queue.Queue[tuple[str, PodOutcome]] = queue.Queue()
        self.cancel = threading.Event()
        self.active: dict[str, PodWork] = {}
        self.boundary_templates: dict[str, dict[str, Any]] = {}
        self.wakeups: list[float] = []
        self.deadline: float | None = None
        self.shutdown = ""
        self.logs: list[tuple[str, str]] = []
        self.node_templates: dict[str, dict[str, Any]] = {}
        self.processed: dict[str, tuple[Resolved, dict[str, Any]]] = {}
        self.active_pods = 0
        self.changes = 0
        self.seen_changes = 0
        self.namespace = str((wf.get("metadata") or {}).get("namespace") or "default")
        self.locks = LockManager(self.config_map_value)
        self.wf_locked = False
        self.dag_shapes: dict[str, _DagShape] = {}

    # --- run loop ------------------------------------------------------------------------------

    def run(self) -> st.WorkflowStatus:
        """Reconcile until the workflow is fulfilled; Ctrl-C stops every pod and fails it."""
        self.status.started = time.time()
        self.status.phase = st.RUNNING
        if self.spec.get("activeDeadlineSeconds") is not None:
            self.deadline = int(self.status.started) + float(self.spec["activeDeadlineSeconds"])
            self.wakeups.append(self.deadline)
        self.set_global_parameters()
        try:
            while True:
                self.reconcile_pods(block=False)
                self.operate()
                if self.status.phase not in (st.RUNNING, st.PENDING):
                    break
                self.wait()
        except KeyboardInterrupt:
            self.stop("interrupted (Ctrl-C): every pod was stopped")
            raise Interrupted("interrupted: the workflow was stopped and ended Failed") from None
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
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
            raise Interrupted("internal: the workflow is stuck (nothing runs and nothing is scheduled)")
        try:
            item = self.events.get(timeout=timeout)
        except queue.Empty:
            return
        self.events.put(item)

    def stop(self, message: str) -> None:
        """Kill every pod, fail every unfinished node and the workflow."""
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
                node.phase = st.FAILED
                node.message = message
                node.finished = now
        self.status.phase = st.FAILED
        self.status.message = message
        self.status.finished = now

    # --- globals -----------------------------------------------------------------------------

    def set_global_parameters(self) -> None:
        """``setGlobalParameters`` then ``substituteGlobalVariables`` (templates excluded)."""
        meta = self.wf.get("metadata") or {}
        created = dt.datetime.fromtimestamp(self.status.started, dt.UTC)
        g = self.global_params
        g["workflow.name"] = self.name
        g["workflow.namespace"] = str(meta.get("namespace") or "default")
        g["workflow.uid"] = str(meta.get("uid") or uuid.uuid4())
        g["workflow.mainEntrypoint"] = str(self.spec.get("entrypoint", ""))
        g["workflow.serviceAccountName"] = str(self.spec.get("serviceAccountName") or "")
        g["workflow.creationTimestamp"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        g["workflow.creationTimestamp.RFC3339"] = g["workflow.creationTimestamp"]
        g["workflow.creationTimestamp.s"] = str(int(self.status.started))
        for char in "aAbBcCdDeFgGhHIjklmMnprRStTuUVwWxXyYzZ":
            try:
                g[f"workflow.creationTimestamp.{char}"] = created.strftime(f"%{char}")
            except ValueError:
                continue
        if self.spec.get("priority") is not None:
            g["workflow.priority"] = str(self.spec["priority"])
        g["workflow.status"] = st.RUNNING
        g["workflow.duration"] = "0"
        params = []
        for param in (self.spec.get("arguments") or {}).get("parameters") or []:
            value = param.get("value")
            ref = (param.get("valueFrom") or {}).get("configMapKeyRef")
            if value is None and isinstance(ref, dict):
                value = self.store.config_map_value(str(ref.get("name")), str(ref.get("key")))
                if value is None:
                    value = (param.get("valueFrom") or {}).get("default")
                if value is None:
                    from wfsync.engine.executor import Unsupported

                    raise Unsupported(
                        f"environment: ConfigMap {ref.get('name')!r} (key {ref.get('key')!r}) is not available; give it with --with"
                    )
                param["value"] = value
            if value is None:
                raise ArgumentError("either value or valueFrom must be specified")
            param["value"] = param_string(value)
            g[f"workflow.parameters.{param['name']}"] = param["value"]
            params.append(param)
        g["workflow.parameters"] = json.dumps(params, separators=(",", ":"))
        g["workflow.parameters.json"] = g["workflow.parameters"]
        labels = {
            **(meta.get("labels") or {}),
            **((self.spec.get("workflowMetadata") or {}).get("labels") or {}),
        }
        annotations = {
            **(meta.get("annotations") or {}),
            **((self.spec.get("workflowMetadata") or {}).get("annotations") or {}),
        }
        for key, value in labels.items():
            g[f"workflow.labels.{key}"] = str(value)
        for key, value in annotations.items():
            g[f"workflow.annotations.{key}"] = str(value)
        g["workflow.labels.json"] = json.dumps(labels, separators=(",", ":"))
        g["workflow.annotations.json"] = json.dumps(annotations, separators=(",", ":"))
        templates = self.spec.pop("templates", None)
        self.spec.update(substitute(self.spec, g))
        if templates is not None:
            self.spec["templates"] = templates

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

    # --- one pass ----------------------------------------------------------------------------

    def operate(self) -> None:
        """One ``operate()`` pass over the whole tree."""
        self.global_params["workflow.duration"] = str(time.time() - self.status.started)
        if not self.acquire_workflow_lock():
            return
        if self.spec.get("suspend") is True:
            if self.options.resume_after is None:
                self.finish(
                    st.FAILED,
                    "suspended: the workflow waits for `argo resume` (spec.suspend), which this "
                    "non-interactive run cannot give (run with --resume-after SECONDS)",
                )
                return
            until = self.status.started + self.options.resume_after
            if time.time() < until:
                self.wakeups.append(until)
                return
            self.spec["suspend"] = False
        self.active_pods = len(self.active)
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
                f"{self.name}.onExit",
                {k: v for k, v in hook.items() if k in ("template", "templateRef")},
                self.root_ctx,
                hook.get("arguments") or {},
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

    def finish(self, phase: str, message: str) -> None:
        """Mark the workflow done (which releases the workflow-level locks)."""
        self.locks.release(self.holder_key(""))
        self.status.phase = phase
        self.status.message = message
        self.status.finished = time.time()

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

    @staticmethod
    def exit_hook(
        holder: Mapping[str, Any], default_args: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """``GetExitHook``: ``onExit`` or ``hooks.exit``, with the workflow arguments by default."""
        hooks = holder.get("hooks") or {}
        if isinstance(hooks, dict) and isinstance(hooks.get("exit"), dict):
            return dict(hooks["exit"])
        if holder.get("onExit"):
            return {"template": holder["onExit"], "arguments": default_args or {}}
        return None

    # --- nodes -------------------------------------------------------------------------------

    def init_node(
        self,
        name: str,
        node_type: str,
        phase: str,
        opts: Opts,
        *,
        template_name: str = "",
        template_ref: dict[str, Any] | None = None,
        scope: str = "",
        message: str = "",
        inputs: dict[str, Any] | None = None,
    ) -> st.Node:
        """``initializeNode``: create a node once, with its display name and start time."""
        boundary = self.status.nodes.get(opts.boundary_id) if opts.boundary_id else None
        now = time.time()
        node = st.Node(
            id=st.node_id(self.name, name),
            name=name,
            display_name=st.display_name(name, boundary.name if boundary else None),
            type=node_type,
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
            if node.type in ("Steps", "DAG") and phase in st.FULFILLED and self.active:
                self.kill_daemons(node.id)
        if message is not None:
            node.message = message
        if node.fulfilled and not node.finished:
            node.finished = time.time()
        if node.fulfilled and self.locks.held:
            self.locks.release(self.holder_key(node.id))
        return node

    def mark_error(self, name: str, message: str, opts: Opts, node_type: str = "Skipped") -> st.Node:
        """``initializeNodeOrMarkError``."""
        node = self.status.by_name(name)
        if node is None:
            return self.init_node(name, node_type, st.ERROR, opts, message=message)
        return self.mark(node, st.ERROR, message)

    def add_child(self, parent_name: str, child_name: str) -> None:
        """``addChildNode``."""
        parent = self.status.by_name(parent_name)
        if parent is None:
            return
        child_id = st.node_id(self.name, child_name)
        if child_id not in parent.children:
            parent.children.append(child_id)

    def outbound(self, node_id: str) -> list[str]:
        """``getOutboundNodes``."""
        node = self.status.nodes.get(node_id)
        if node is None:
            return []
        if node.type in ("Skipped", "Suspend", "HTTP", "Plugin", "Pod"):
            return [node.id]
        if node.type == "TaskGroup":
            if not node.children:
                return [node.id]
            return [o for child in node.children for o in self.outbound(child)]
        if node.type == "Retry":
            if node.children:
                return [node.children[-1]]
            return []
        found = [o for out in node.outbound_nodes for o in self.outbound(out)]
        return found or [node_id]

    # --- executeTemplate ---------------------------------------------------------------------

    def execute_template(  # noqa: C901, PLR0911, PLR0912
        self, node_name: str, holder: Mapping[str, Any], ctx: Context, args: Mapping[str, Any], opts: Opts
    ) -> st.Node | None:
        """``executeTemplate``: resolve, bind arguments, retry wrapper, then run by template type."""
        node = self.status.by_name(node_name)
        if node is not None and (node.fulfilled or (node.type in ("Pod", "HTTP") and node.id in self.active)):
            return node  # a running pod changes only when its result is reconciled
        cached = self.processed.get(node.id) if node is not None else None
        if cached is not None:
            resolved, processed = cached
            if not self.check_parallelism(processed, node, opts.boundary_id):
                return node
            return self._dispatch(node_name, node, processed, resolved, opts)
        try:
            resolved = self.resolver.resolve(holder, ctx)
        except ResolveError as exc:
            return self.mark_error(node_name, str(exc), opts)
        tmpl = self.with_defaults(resolved.template)
        local = {"node.name": node_name}
        if opts.caller is not None:
            local[f"{opts.caller[0]}.name"] = opts.caller[1]
        retry: dict[str, Any] | None = tmpl.get("retryStrategy") or self.spec.get("retryStrategy")
        kind = template_type(tmpl)
        pod_type = kind in ("container", "script", "resource", "data", "containerSet")
        if pod_type and not retry:
            local["pod.name"] = st.pod_name(self.name, node_name, str(tmpl.get("name", "")))
        try:
            processed = process_args(tmpl, args, self.global_params, local, self.store.config_map_value)
        except (ArgumentError, SubstitutionError) as exc:
            return self.mark_error(node_name, str(exc), opts)
        if not self.check_parallelism(processed, node, opts.boundary_id):
            return node
        if processed.get("synchronization"):
            node, acquired = self.acquire_locks(node_name, node, processed, resolved, opts)
            if not acquired:
                return node
        tref = resolved.template_ref
        tname = str(processed.get("name") or holder.get("template") or "")
        retry_name = ""
        retry_node: st.Node | None = None
        if retry:
            retry_name = node_name
            retry_node = node or self.init_node(
                node_name,
                "Retry",
                st.RUNNING,
                opts,
                template_name="" if tref else tname,
                template_ref=tref,
                scope=resolved.context.scope,
                inputs=_inputs(processed),
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
            if last is not None and not last.fulfilled:
                node_name, node = last.name, last
            else:
                attempts = len(retry_node.children)
                node_name = f"{retry_name}({attempts})"
                node = None
                retry_node.children.append(st.node_id(self.name, node_name))
            attempts = len(retry_node.children) - 1
            extra = {"retries": str(attempts)}
            if pod_type:
                extra["pod.name"] = st.pod_name(self.name, node_name, tname)
            extra.update(self.last_retry_params(retry_node, node_name))
            processed = substitute(processed, extra)
        if self.deadline is not None and time.time() >= self.deadline and not opts.on_exit and node is None:
            if kind in ("container", "script", "suspend", "resource", "data", "containerSet"):
                node = self.init_node(
                    node_name,
                    "Pod" if kind != "suspend" else "Suspend",
                    st.FAILED,
                    opts,
                    message=DEADLINE_MESSAGE,
                )
                node.template_name = tname
        if node is None or not node.fulfilled:
            node = self._dispatch(node_name, node, processed, resolved, opts, retried=bool(retry))
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

    def _dispatch(
        self,
        node_name: str,
        node: st.Node | None,
        processed: dict[str, Any],
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
        if kind in ("container", "script", "containerSet"):
            return self.execute_pod(node_name, processed, opts, common, retried=retried)
        if kind == "resource":
            return self.execute_resource(node_name, processed, opts, common, retried=retried)
        if kind == "steps":
            out = self.execute_steps(node_name, processed, resolved, opts, common)
        elif kind == "dag":
            out = self.execute_dag(node_name, processed, resolved, opts, common)
        elif kind == "suspend":
            return self.execute_suspend(node_name, processed, opts, common)
        elif kind == "http":
            return self.execute_http(node_name, processed, opts, common, retried=retried)
        else:
            return self.mark_error(node_name, f"unsupported: {kind or 'empty'} template {tname!r}", opts)
        if not retried and (node is None or node.sync_waiting == "") and out.type in ("Steps", "DAG"):
            self.processed[out.id] = (resolved, processed)
        return out

    def with_defaults(self, tmpl: dict[str, Any]) -> dict[str, Any]:
        """``mergedTemplateDefaultsInto``: ``spec.templateDefaults`` under the template."""
        defaults = self.spec.get("templateDefaults")
        if not isinstance(defaults, dict):
            return tmpl
        return _deep_merge(copy.deepcopy(defaults), tmpl)

    def last_child(self, node: st.Node) -> st.Node | None:
        """The last non-hook child of a Retry node."""
        for child_id in reversed(node.children):
            child = self.status.nodes.get(child_id)
            if child is not None and not child.hooked:
                return child
        return None

    def last_retry_params(self, retry_node: st.Node, current: str) -> dict[str, str]:
        """``lastRetry.*`` for the attempt about to run."""
        previous = [self.status.nodes[c] for c in retry_node.children if c in self.status.nodes]
        previous = [n for n in previous if n.name != current]
        if not previous:
            return {
                "lastRetry.exitCode": "0",
                "lastRetry.status": "",
                "lastRetry.duration": "0",
                "lastRetry.message": "",
            }
        last = previous[-1]
        code = (last.outputs or {}).get("exitCode")
        return {
            "lastRetry.exitCode": str(code) if code is not None else "-1",
            "lastRetry.status": last.phase,
            "lastRetry.duration": _go_float(max(0.0, last.finished - last.started)),
            "lastRetry.message": last.message,
        }

    def process_retries(self, node: st.Node, strategy: Mapping[str, Any]) -> bool:  # noqa: C901, PLR0911, PLR0912
        """``processNodeRetries``: whether to go on with an attempt now (False while backing off)."""
        if node.fulfilled:
            return True
        last = self.last_child(node)
        expression = strategy.get("expression")
        if expression and node.children and last is not None:
            scope = {
                "retries": str(len(node.children) - 1),
                "lastRetry.exitCode": str((last.outputs or {}).get("exitCode", "-1")),
                "lastRetry.status": last.phase,
                "lastRetry.duration": _go_float(max(0.0, (last.finished or time.time()) - last.started)),
                "lastRetry.message": last.message,
            }
            try:
                go_on = exprlang.evaluate(str(expression), exprlang.build_env(scope))
            except exprlang.ExprError as exc:
                raise ValueError(f"failed to evaluate retryStrategy.expression: {exc}") from None
            if go_on is not True and last.fulfilled:
                self.mark(node, last.phase, "retryStrategy.expression evaluated to false")
                return True
        if last is None or not last.fulfilled:
            return True
        if not last.failed_or_error:
            node.outputs = copy.deepcopy(last.outputs)
            self.mark(node, st.SUCCEEDED)
            return True
        if self.shutdown:
            self.mark(node, last.phase, f"Stopped with strategy '{self.shutdown}'")
            return True
        if self.deadline is not None and time.time() > self.deadline:
            self.mark(node, last.phase, f"retry exceeded workflow deadline {st.rfc3339(self.deadline)}")
            return True
        limit_raw = strategy.get("limit")
        limit = int(str(limit_raw)) if limit_raw is not None else None
        backoff = strategy.get("backoff")
        if isinstance(backoff, dict):
            max_deadline = 0.0
            if backoff.get("maxDuration") and node.children:
                first = self.status.nodes[node.children[0]]
                max_deadline = first.started + parse_duration(backoff["maxDuration"])
                if time.time() > max_deadline:
                    self.mark(node, last.phase, "Max duration limit exceeded")
                    return True
            if not backoff.get("duration"):
                raise ValueError("no base duration specified for retryStrategy")
            wait = parse_duration(backoff["duration"])
            factor = backoff.get("factor")
            if factor is not None and int(str(factor)) > 0:
                wait = wait * int(str(factor)) ** (len(node.children) - 1)
            if backoff.get("cap"):
                wait = min(wait, parse_duration(backoff["cap"]))
            until = last.finished + wait
            if max_deadline and until > max_deadline:
                self.mark(node, last.phase, "Backoff would exceed max duration limit")
                return True
            if time.time() < until and limit is not None and len(node.children) <= limit:
                self.wakeups.append(until)
                node.message = f"Backoff for {humanize_duration(wait)}"
                return False
            node.message = ""
        policy = strategy.get("retryPolicy") or ("Always" if expression else "OnFailure")
        on_failed, on_error = {
            "Always": (True, True),
            "OnFailure": (True, False),
            "OnError": (False, True),
            "OnTransientError": (False, False),
        }.get(str(policy), (None, None))
        if on_failed is None:
            raise ValueError(f"{policy} is not a valid RetryPolicy")
        if (last.phase == st.FAILED and not on_failed) or (last.phase == st.ERROR and not on_error):
            self.mark(node, last.phase, last.message)
            return True
        if limit is not None and len(node.children) > limit:
            self.mark(node, last.phase, "No more retries left")
            return True
        return True

    # --- parallelism -------------------------------------------------------------------------

    def check_parallelism(self, tmpl: Mapping[str, Any], node: st.Node | None, boundary_id: str) -> bool:
        """``checkParallelism``: False when the node must not be created (or go on) yet."""
        limit = self.spec.get("parallelism")
        if limit is not None and self.active_pods >= int(limit):
            return False
        kind = template_type(tmpl)
        if node is not None and kind in ("steps", "dag"):
            if tmpl.get("failFast") is True and self.unsuccessful_children(node.id) > 0:
                if self.active_pods_under(node.id) == 0:
                    self.fail_fast(node, kind)
                return False
            # the node's own limit counts only its direct *pods* (``getActivePods(node.ID)``): a
            # Steps/DAG child must still be visited to progress, or it would never finish
            if tmpl.get("parallelism") is not None and self.active_pods_under(node.id) >= int(
                tmpl["parallelism"]
            ):
                return False
        if boundary_id and (node is None or node.phase not in (st.PENDING, st.RUNNING)):
            boundary_tmpl = self.boundary_templates.get(boundary_id) or {}
            boundary = self.status.nodes.get(boundary_id)
            if boundary_tmpl.get("failFast") is True and self.unsuccessful_children(boundary_id) > 0:
                if boundary is not None and self.active_pods_under(boundary_id) == 0:
                    self.fail_fast(boundary, template_type(boundary_tmpl))
                return False
            if boundary_tmpl.get("parallelism") is not None and self.active_children(boundary_id) >= int(
                boundary_tmpl["parallelism"]
            ):
                return False
        return True

    def fail_fast(self, node: st.Node, kind: str) -> None:
        """Fail a template (and, for steps, its last group) under ``failFast``."""
        message = "template has failed or errored children and failFast enabled"
        if kind == "steps" and node.children:
            groups = [
                n for n in self.status.nodes.values() if n.boundary_id == node.id and n.type == "StepGroup"
            ]
            if groups:
                self.mark(groups[-1], st.FAILED, message)
        self.mark(node, st.FAILED, message)

    def unsuccessful_children(self, boundary_id: str) -> int:
        """Failed or Error nodes directly in a boundary (``getUnsuccessfulChildren``)."""
        return sum(
            1
            for n in self.status.nodes.values()
            if n.boundary_id == boundary_id and n.phase in (st.FAILED, st.ERROR) and n.type != "StepGroup"
        )

    def active_pods_under(self, boundary_id: str) -> int:
        """Running or pending pods in a boundary."""
        return sum(
            1
            for n in self.status.nodes.values()
            if n.boundary_id == boundary_id
            and n.type == "Pod"
            and n.phase in (st.PENDING, st.RUNNING)
            and not n.sync_waiting
        )

    def active_children(self, boundary_id: str) -> int:
        """``getActiveChildren``: pending or running Pod, Steps and DAG nodes of a boundary."""
        return sum(
            1
            for n in self.status.nodes.values()
            if n.boundary_id == boundary_id
            and n.type in ("Pod", "Steps", "DAG")
            and n.phase in (st.PENDING, st.RUNNING)
        )

    # --- synchronization ---------------------------------------------------------------------

    def config_map_value(self, namespace: str, name: str, key: str) -> str | None:
        """A ConfigMap value from the run's files, else from the target cluster."""
        value = self.store.config_map_value(name, key)
        if value is not None or self.options.cluster is None:
            return value
        body = self.options.cluster.get("ConfigMap", namespace, name)
        data = (body or {}).get("data") or {}
        return None if data.get(key) is None else str(data[key])

    def holder_key(self, node_id: str) -> str:
        """``getHolderKey``: ``<ns>/<wf>`` for the workflow, ``<ns>/<wf>/<nodeID>`` for a node."""
        return f"{self.namespace}/{self.name}/{node_id}" if node_id else f"{self.namespace}/{self.name}"

    def acquire_workflow_lock(self) -> bool:
        """Workflow-level ``synchronization``: Pending with the waiting message until acquired."""
        sync = self.spec.get("synchronization")
        if self.wf_locked or not isinstance(sync, dict) or not sync:
            return True
        try:
            acquired, message, _ = self.locks.try_acquire(
                self.holder_key(""), lock_refs(sync, self.namespace)
            )
        except LockError as exc:
            self.finish(st.FAILED, f"Failed to acquire the synchronization lock. {exc}")
            return False
        if not acquired:
            self.status.phase = st.PENDING
            self.status.message = message
            return False
        self.wf_locked = True
        self.status.phase = st.RUNNING
        self.status.message = ""
        return True

    def acquire_locks(
        self, node_name: str, node: st.Node | None, tmpl: dict[str, Any], resolved: Resolved, opts: Opts
    ) -> tuple[st.Node | None, bool]:
        """Template ``synchronization`` (``TryAcquire`` in ``executeTemplate``).

        A node that cannot take every lock is created Pending, with Argo's waiting message and
        ``synchronizationStatus.waiting``, and asks again on every pass; past the workflow
        deadline or its own ``timeout`` it fails instead.
        """
        node_id = st.node_id(self.name, node_name)
        try:
            refs = lock_refs(tmpl["synchronization"], self.namespace)
            acquired, message, lock_name = self.locks.try_acquire(self.holder_key(node_id), refs)
        except LockError as exc:
            return self.mark_error(node_name, str(exc), opts), False
        if acquired:
            if node is not None and node.sync_waiting:
                node.sync_waiting = ""
                node.message = ""
                if node.type not in ("Pod", "HTTP", "Suspend") and node.phase == st.PENDING:
                    node.phase = st.RUNNING
                self.changes += 1
            return node, True
        if node is None:
            kind = template_type(tmpl)
            retry = tmpl.get("retryStrategy") or self.spec.get("retryStrategy")
            node_type = "Retry" if retry else _NODE_TYPES.get(kind, "Pod")
            tref = resolved.template_ref
            node = self.init_node(
                node_name,
                node_type,
                st.PENDING,
                opts,
                template_name="" if tref else str(tmpl.get("name") or ""),
                template_ref=tref,
                scope=resolved.context.scope,
                inputs=_inputs(tmpl),
            )
        node.sync_waiting = lock_name
        node.message = message
        now = time.time()
        if self.deadline is not None and now >= self.deadline and not opts.on_exit:
            return self.mark(node, st.FAILED, DEADLINE_MESSAGE), False
        timeout = tmpl.get("timeout")
        if timeout is not None and str(timeout).strip():
            until = node.started + parse_duration(timeout)
            if now >= until:
                return self.mark(node, st.FAILED, "timeout"), False
            if until not in self.wakeups:
                self.wakeups.append(until)
        return node, False

    def lock_deadlock(self) -> str:
        """The message for a run where nothing runs and something waits for a lock (else "")."""
        holders: dict[str, list[str]] = {}
        for holder, names in self.locks.held.items():
            node_id = holder.removeprefix(f"{self.namespace}/{self.name}").lstrip("/")
            node = self.status.nodes.get(node_id)
            who = "the workflow itself" if not node_id else (node.name if node is not None else node_id)
            for name in names:
                holders.setdefault(name, []).append(who)
        waiting = [n for n in self.status.nodes.values() if n.sync_waiting and not n.fulfilled]
        if waiting:
            node = waiting[0]
            held_by = ", ".join(holders.get(node.sync_waiting) or ["nothing"])
            return (
                f"deadlock: node {node.name} waits for lock {node.sync_waiting}, held by {held_by}, "
                "and nothing running will release it"
            )
        if self.status.phase == st.PENDING and self.status.message:
            return f"deadlock: the workflow waits for its synchronization lock ({self.status.message})"
        return ""

    # --- pods --------------------------------------------------------------------------------

    def new_pod_node(
        self,
        node_name: str,
        tmpl: dict[str, Any],
        opts: Opts,
        common: dict[str, Any],
        *,
        retried: bool,
        existing: st.Node | None = None,
    ) -> st.Node:
        """A Pending Pod node with Argo's pod name (shared by container/script and resource templates).

        ``existing`` is the node that waited for a lock: its pod starts now.
        """
        node = existing or self.init_node(node_name, "Pod", st.PENDING, opts, inputs=_inputs(tmpl), **common)
        node.retried = retried
        node.pod_name = st.pod_name(self.name, node_name, str(tmpl.get("name", "")))
        return node

    def execute_pod(
        self, node_name: str, tmpl: dict[str, Any], opts: Opts, common: dict[str, Any], *, retried: bool
    ) -> st.Node:
        """``executeContainer`` / ``executeScript``: create the node and start its pod once."""
        existing = self.status.by_name(node_name)
        if existing is not None and not self.lock_acquired_now(existing):
            return existing
        node = self.new_pod_node(node_name, tmpl, opts, common, retried=retried, existing=existing)
        self.node_templates[node.id] = tmpl
        if template_type(tmpl) == "containerSet":
            self.container_nodes(node, tmpl, opts, common)
        try:
            pod = self.build_pod(node, tmpl)
        except WfsyncError as exc:
            self.mark(node, st.ERROR, str(exc))
            self.mark_containers(node, PodOutcome(st.ERROR, str(exc), {}))
            return node
        node.phase = st.RUNNING
        node.host_node_name = "localhost"
        work = PodWork(node.id, pod, tmpl)
        self.active[node.id] = work
        self.active_pods += 1
        if tmpl.get("daemon"):
            work.cancel = threading.Event()
            self.pool.submit(self.watch_daemon, work)
        work.future = self.pool.submit(self.run_pod, work)
        return node

    def lock_acquired_now(self, node: st.Node) -> bool:
        """A Pod (or HTTP) node that waited for its locks and got them: Pending, not started, not waiting."""
        return (
            node.type in ("Pod", "HTTP")
            and node.phase == st.PENDING
            and not node.sync_waiting
            and node.id not in self.active
        )

    def watch_daemon(self, work: PodWork) -> None:
        """Worker thread: report a daemon's pod as daemoned once its readinessProbe passes."""
        assert work.cancel is not None  # noqa: S101 - daemons get their own stop signal
        spec = work.template.get(template_type(work.template)) or {}
        try:
            ready = probe.wait_ready(spec.get("readinessProbe"), work.cancel)
        except (ValueError, KeyError, TypeError):
            ready = False
        if ready:
            self.events.put((work.node_id, PodOutcome(DAEMONED, "", {})))

    def kill_daemons(self, boundary_id: str) -> None:
        """``killDaemonedChildren``: stop the daemons of a finished steps/DAG; they end Succeeded."""
        for node_id, work in list(self.active.items()):
            node = self.status.nodes.get(node_id)
            if node is None or work.cancel is None or node.boundary_id != boundary_id or not node.daemoned:
                continue
            node.phase = st.SUCCEEDED
            node.daemoned = False
            node.finished = time.time()
            self.locks.release(self.holder_key(node.id))
            work.cancel.set()
            self.changes += 1

    def execute_resource(
        self, node_name: str, tmpl: dict[str, Any], opts: Opts, common: dict[str, Any], *, retried: bool
    ) -> st.Node:
        """``executeResource``: a Pod node whose action runs against the cluster on a worker."""
        existing = self.status.by_name(node_name)
        if existing is not None and not self.lock_acquired_now(existing):
            return existing
        node = self.new_pod_node(node_name, tmpl, opts, common, retried=retried, existing=existing)
        if self.options.cluster is None:
            return self.mark(node, st.ERROR, "unsupported: resource templates need a cluster")
        node.phase = st.RUNNING
        node.host_node_name = "localhost"
        work = PodWork(node.id, None, tmpl)
        self.active[node.id] = work
        self.active_pods += 1
        work.future = self.pool.submit(self.run_resource, work, node.pod_name, node.name)
        return node

    def execute_http(
        self, node_name: str, tmpl: dict[str, Any], opts: Opts, common: dict[str, Any], *, retried: bool
    ) -> st.Node:
        """``executeHTTPTemplate``: a Pending HTTP node (no pod); the agent's request runs on a worker."""
        existing = self.status.by_name(node_name)
        if existing is not None and not self.lock_acquired_now(existing):
            return existing
        node = existing or self.init_node(node_name, "HTTP", st.PENDING, opts, inputs=_inputs(tmpl), **common)
        node.retried = retried
        work = PodWork(node.id, None, tmpl)
        self.active[node.id] = work
        work.future = self.pool.submit(self.run_http, work)
        return node

    def run_http(self, work: PodWork) -> None:
        """Worker thread: the agent's request for one HTTP node."""
        namespace = str(self.wf["metadata"].get("namespace") or "default")
        lookup = httptemplate.secret_lookup(self.store, self.options.cluster, namespace)
        try:
            done = httptemplate.perform(
                work.template.get("http") or {}, secrets=lookup, allow_network=self.options.allow_network
            )
            outcome = PodOutcome(done.phase, done.message, done.outputs)
        except Exception as exc:  # noqa: BLE001 - a failure must never kill the run loop
            outcome = PodOutcome(st.ERROR, f"error processing task: {type(exc).__name__}: {exc}", {})
        self.events.put((work.node_id, outcome))

    def run_resource(self, work: PodWork, pod_name: str, node_name: str) -> None:
        """Worker thread: do a resource template's action, report its outcome."""
        assert self.options.cluster is not None  # noqa: S101 - checked before submitting
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
        except Exception as exc:  # noqa: BLE001 - a failure must never kill the run loop
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
            self.init_node(f"{pod_node.name}.{ctr.get('name')}", "Container", st.PENDING, inner, **common)
        for ctr in graph:
            name = f"{pod_node.name}.{ctr.get('name')}"
            deps = ctr.get("dependencies") or []
            if not deps:
                self.add_child(pod_node.name, name)
            for dep in deps:
                self.add_child(f"{pod_node.name}.{dep}", name)

    def build_pod(self, node: st.Node, tmpl: dict[str, Any]) -> Pod:  # noqa: C901, PLR0912
        """The :class:`Pod` of a processed container, script or containerSet template."""
        kind = template_type(tmpl)
        spec: dict[str, Any] = tmpl[kind] if isinstance(tmpl.get(kind), dict) else {}
        graph = (
            [c for c in spec.get("containers") or [] if isinstance(c, dict)] if kind == "containerSet" else []
        )
        if graph:
            spec = next((c for c in graph if c.get("name") == "main"), graph[0])
        command = tuple(str(c) for c in spec.get("command") or ())
        args = tuple(str(a) for a in spec.get("args") or ())
        extras = [*graph, *(tmpl.get("initContainers") or []), *(tmpl.get("sidecars") or [])]
        for ctr in [spec, *extras]:
            reason = self.executor.check(
                str(ctr.get("image") or ""), tuple(str(c) for c in ctr.get("command") or ())
            )
            if reason is not None:
                from wfsync.engine.executor import Unsupported

                raise Unsupported(reason)
        files: list[tuple[str, bytes, int | None]] = []
        if kind == "script":
            files.append((SCRIPT_PATH, str(spec.get("source", "")).encode("utf-8"), 0o755))
            args = (*args, SCRIPT_PATH)
        argo_env = (
            ("ARGO_TEMPLATE", json.dumps(tmpl, separators=(",", ":"))),
            ("ARGO_NODE_ID", node.id),
        )

        def container(ctr: Mapping[str, Any], name: str) -> Container:
            env = [(str(e["name"]), str(e.get("value", ""))) for e in ctr.get("env") or [] if "name" in e]
            return Container(
                name,
                str(ctr.get("image") or ""),
                tuple(str(c) for c in ctr.get("command") or ()),
                tuple(str(a) for a in ctr.get("args") or ()),
                (*env, *argo_env),
                str(ctr.get("workingDir") or ""),
                tuple(str(d) for d in ctr.get("dependencies") or ()),
            )

        paths: list[str] = []
        unpack: list[tuple[str, Path, str]] = []
        for art in (tmpl.get("inputs") or {}).get("artifacts") or []:
            path = art.get("path")
            if not path:
                continue
            paths.append(path)
            if art.get("raw") is not None:
                files.append((path, str(art["raw"].get("data", "")).encode("utf-8"), _mode(art)))
                continue
            if sources.is_remote(art):
                folder = self.options.run_dir / "fetched" / node.id
                got = sources.fetch(art, folder, allow_network=self.options.allow_network)
                if got is None:
                    continue
                if got.unpack:
                    unpack.append((path, got.path, str(art.get("subPath") or "")))
                else:
                    files.append((path, got.path.read_bytes(), _mode(art)))
                continue
            key = artifact_key(art)
            if key is None:
                if art.get("optional"):
                    continue
                raise WfsyncError(f"unsupported: input artifact {art.get('name')!r} has no local source")
            source = self.options.artifacts.path(key)
            if not source.exists():
                if art.get("optional"):
                    continue
                raise WfsyncError(f"failed to load artifact {art.get('name')!r}: key {key} does not exist")
            unpack.append((path, source, str(art.get("subPath") or "")))
        for art in (tmpl.get("outputs") or {}).get("artifacts") or []:
            if art.get("path"):
                paths.append(str(art["path"]))  # noqa: PERF401
        for param in (tmpl.get("outputs") or {}).get("parameters") or []:
            path = (param.get("valueFrom") or {}).get("path")
            if path:
                paths.append(str(path))
        shared: list[tuple[str, Path]] = []
        mounts: list[str] = []
        volumes = {
            v.get("name"): v for v in [*(self.spec.get("volumes") or []), *(tmpl.get("volumes") or [])]
        }
        claims = {c.get("metadata", {}).get("name") for c in self.spec.get("volumeClaimTemplates") or []}
        root = self.options.run_dir / "pods" / node.id
        every_mount = [
            *(spec.get("volumeMounts") or []),
            *((tmpl.get("containerSet") or {}).get("volumeMounts") or []),
            *(m for c in extras for m in c.get("volumeMounts") or []),
        ]
        for mount in {str(m.get("mountPath", "")): m for m in every_mount if isinstance(m, dict)}.values():
            name, mount_path = mount.get("name"), str(mount.get("mountPath", ""))
            volume = volumes.get(name) or {}
            if name in claims:
                shared.append((mount_path, self.options.run_dir / "volumes" / str(name)))
            elif isinstance(volume.get("persistentVolumeClaim"), dict):
                claim = volume["persistentVolumeClaim"].get("claimName", name)
                shared.append((mount_path, self.options.run_dir / "volumes" / str(claim)))
            else:
                paths.append(mount_path)
                mounts.append(mount_path)
        for _, folder in shared:
            folder.mkdir(parents=True, exist_ok=True)
        deadline = None
        for limit in (tmpl.get("activeDeadlineSeconds"), tmpl.get("timeout")):
            if limit is not None and str(limit).strip():  # "" after substitution: no limit, as in Argo
                seconds = parse_duration(limit)
                deadline = min(deadline or float("inf"), node.started + seconds)
        if self.deadline is not None:
            deadline = min(deadline or float("inf"), self.deadline)
        main = container(spec, "main")
        main = dataclasses.replace(main, command=command, args=args)
        return Pod(
            name=node.pod_name,
            node_name=node.name,
            main=main,
            root=root,
            paths=tuple(paths),
            files=tuple(files),
            unpack=tuple(unpack),
            deadline=deadline,
            mounts=tuple(mounts),
            shared_dirs=tuple(shared),
            containers=tuple(container(c, str(c.get("name") or "")) for c in graph),
            init_containers=tuple(
                container(c, str(c.get("name") or "")) for c in tmpl.get("initContainers") or []
            ),
            sidecars=tuple(container(c, str(c.get("name") or "")) for c in tmpl.get("sidecars") or []),
        )

    def run_pod(self, work: PodWork) -> None:
        """Worker thread: run the pod, collect its outputs, report to the main thread."""
        try:
            assert work.pod is not None  # noqa: S101 - pods are submitted with their Pod
            result = self.executor.run(work.pod, work.cancel or self.cancel)
            outcome = dataclasses.replace(self.collect(work, result), containers=result.containers)
        except Exception as exc:  # noqa: BLE001 - a pod failure must never kill the run loop
            outcome = PodOutcome(st.ERROR, f"{type(exc).__name__}: {exc}", {})
        if work.cancel is not None:
            work.cancel.set()  # a daemon's readiness watcher stops with its pod
        self.events.put((work.node_id, outcome))

    def collect(self, work: PodWork, result: PodResult) -> PodOutcome:
        """Outputs of a finished pod (``wait`` container): result, exit code, parameters, artifacts."""
        tmpl = work.template
        pod = work.pod
        assert pod is not None  # noqa: S101 - pods are collected with their Pod
        outputs: dict[str, Any] = {}
        logs = result.stdout + result.stderr
        if result.exit_code is None:
            return PodOutcome(st.ERROR, result.message, outputs, logs)
        graph = (tmpl.get("containerSet") or {}).get("containers") or []
        if not graph or any(c.get("name") == "main" for c in graph):
            outputs["result"] = result.result
            outputs["exitCode"] = str(result.exit_code)
        if result.deadline_exceeded:
            message = DEADLINE_MESSAGE if self.deadline and time.time() >= self.deadline else result.message
            return PodOutcome(st.FAILED, message, outputs, logs)
        if result.message:
            return PodOutcome(st.FAILED, result.message, outputs, logs)
        phase, message = st.SUCCEEDED, ""
        if result.exit_code != 0:
            phase, message = st.FAILED, f"main: Error (exit code {result.exit_code})"
        declared = tmpl.get("outputs") or {}
        params = []
        for param in declared.get("parameters") or []:
            value_from = param.get("valueFrom") or {}
            out = {k: v for k, v in param.items() if k not in ("valueFrom",)}
            if value_from.get("path"):
                host = self.executor.host_path(pod, str(value_from["path"]))
                try:
                    text = host.read_text(encoding="utf-8")
                    out["value"] = text[:-1] if text.endswith("\n") else text
                except (OSError, UnicodeDecodeError) as exc:
                    if value_from.get("default") is not None:
                        out["value"] = param_string(value_from["default"])
                    elif phase == st.SUCCEEDED:
                        return PodOutcome(
                            st.ERROR,
                            f"open {value_from['path']}: {getattr(exc, 'strerror', None) or exc}",
                            outputs,
                            logs,
                        )
                    else:
                        continue
            elif value_from.get("default") is not None:
                out["value"] = param_string(value_from["default"])
            elif param.get("value") is not None:
                out["value"] = param_string(param["value"])
            else:
                continue
            params.append(out)
        if params:
            outputs["parameters"] = params
        arts = []
        for art in declared.get("artifacts") or []:
            path = art.get("path")
            if not path:
                continue
            host = self.executor.host_path(pod, str(path))
            if not host.exists():
                if art.get("optional") or phase != st.SUCCEEDED:
                    continue
                return PodOutcome(
                    st.ERROR, f"failed to save outputs: {path}: no such file or directory", outputs, logs
                )
            archive = not (isinstance(art.get("archive"), dict) and "none" in art["archive"])
            s3 = art.get("s3") if isinstance(art.get("s3"), dict) else None
            key = str(s3["key"]) if s3 and s3.get("key") else f"{self.name}/{pod.name}/{art['name']}"
            if not s3 or not s3.get("key"):
                key += ".tgz" if archive else ""
            self.options.artifacts.save(key, host, archive=archive)
            saved = {k: v for k, v in art.items() if k not in ("s3", "archive")}
            saved["s3"] = {"key": key}
            arts.append(saved)
        if arts:
            outputs["artifacts"] = arts
        return PodOutcome(phase, message, outputs, logs)

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
            if child.type != "Container" or child.boundary_id != pod_node.id:
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

    # --- suspend -----------------------------------------------------------------------------

    def execute_suspend(
        self, node_name: str, tmpl: dict[str, Any], opts: Opts, common: dict[str, Any]
    ) -> st.Node:
        """``executeSuspend``: Succeeds once its duration has passed, supplied outputs defaulted.

        Without a duration it waits for ``argo resume``: the run's ``resume_after`` delay stands
        in for it (``ResumeWorkflow`` refuses supplied outputs with no value and no default);
        without that delay the node fails saying it needs a resume.
        """
        node = self.status.by_name(node_name)
        if node is None:
            node = self.init_node(node_name, "Suspend", st.PENDING, opts, inputs=_inputs(tmpl), **common)
            outputs = tmpl.get("outputs") or {}
            if outputs.get("parameters"):
                node.outputs = {"parameters": copy.deepcopy(outputs["parameters"])}
        duration = (tmpl.get("suspend") or {}).get("duration")
        if duration is None or str(duration) == "":
            if self.options.resume_after is None:
                return self.mark(
                    node,
                    st.FAILED,
                    f"suspended: node {node_name} waits for `argo resume`, which this non-interactive "
                    "run cannot give (give the suspend a duration, or run with --resume-after SECONDS)",
                )
            until = node.started + self.options.resume_after
            if time.time() >= until:
                for p in (node.outputs or {}).get("parameters") or []:
                    value_from = p.get("valueFrom") or {}
                    if value_from.get("supplied") is not None and value_from.get("default") is None:
                        return self.mark(
                            node,
                            st.ERROR,
                            f"cannot resume: raw output parameter '{p.get('name')}' has not been set "
                            "and does not have a default value",
                        )
        else:
            until = node.started + parse_duration(duration)
        if time.time() >= until:
            for p in (node.outputs or {}).get("parameters") or []:
                value_from = p.pop("valueFrom", None) or {}
                if value_from.get("default") is not None:
                    p["value"] = param_string(value_from["default"])
            return self.mark(node, st.SUCCEEDED)
        self.wakeups.append(until)
        if self.deadline is not None and time.time() >= self.deadline and not opts.on_exit:
            return self.mark(node, st.FAILED, DEADLINE_MESSAGE)
        return self.mark(node, st.RUNNING)

    # --- steps -------------------------------------------------------------------------------

    def execute_steps(  # noqa: C901, PLR0912
        self, node_name: str, tmpl: dict[str, Any], resolved: Resolved, opts: Opts, common: dict[str, Any]
    ) -> st.Node:
        """``executeSteps``: step groups in order, each waiting for the previous one."""
        node = self.status.by_name(node_name)
        if node is None:
            node = self.init_node(node_name, "Steps", st.RUNNING, opts, inputs=_inputs(tmpl), **common)
        self.boundary_templates[node.id] = tmpl
        scope = Scope.of_template(tmpl)
        scope.add_outputs("workflow", self.status.outputs)
        ctx = resolved.context
        step_opts = Opts(boundary_id=node.id, on_exit=opts.on_exit)
        groups = tmpl.get("steps") or []
        for index, group in enumerate(groups):
            sg_name = f"{node_name}[{index}]"
            sg = self.status.by_name(sg_name)
            if sg is None:
                sg = self.init_node(sg_name, "StepGroup", st.RUNNING, step_opts, scope=ctx.scope)
            if index == 0:
                self.add_child(node_name, sg_name)
            else:
                prev = self.status.by_name(f"{node_name}[{index - 1}]")
                if prev is not None and not prev.children:
                    self.add_child(prev.name, sg_name)
                elif prev is not None:
                    for child_id in prev.children:
                        for out_id in self.outbound(child_id):
                            self.add_child(self.status.nodes[out_id].name, sg_name)
            steps = list(group) if isinstance(group, list) else list((group or {}).get("steps") or [])
            sg = self.execute_step_group(steps, sg, scope, ctx, step_opts)
            if not sg.fulfilled:
                return node
            if sg.failed_or_error:
                self.update_outbound(node, len(groups))
                return self.mark(node, st.FAILED, sg.message)
            for step in steps:
                child = self.status.by_name(f"{sg_name}.{step['name']}")
                prefix = f"steps.{step['name']}"
                if child is None:
                    loop = [
                        n
                        for n in self.status.nodes.values()
                        if n.name.startswith(f"{sg_name}.{step['name']}(") and n.boundary_id == node.id
                    ]
                    loop = [n for n in loop if not n.hooked and not n.retried]
                    if loop:
                        scope.params.update(
                            aggregate_outputs(
                                prefix, [(loop_index(n.name), n.outputs, n.phase) for n in loop]
                            )
                        )
                    continue
                self.add_node_to_scope(scope, prefix, child, step, ctx)
        self.update_outbound(node, len(groups))
        try:
            outputs = self.template_outputs(tmpl, scope)
        except ScopeError as exc:
            return self.mark(node, st.ERROR, str(exc))
        if outputs is not None:
            node.outputs = outputs
            self.add_outputs_to_global_scope(outputs)
        return self.mark(node, st.SUCCEEDED)

    def add_node_to_scope(
        self,
        scope: Scope,
        prefix: str,
        node: st.Node,
        holder: Mapping[str, Any] | None = None,
        ctx: Context | None = None,
    ) -> None:
        """``buildLocalScope`` (a Retry node stands for its last attempt).

        A Skipped or Omitted producer offers its outputs' ``valueFrom.default``; outputs without
        one are *absent* (``nil`` in expressions, dropped as whole-argument references).
        """
        if node.type == "Retry":
            last = self.last_child(node)
            if last is not None:
                node = last
        scope.add_node(prefix, node, node.outputs)
        if node.phase in (st.SKIPPED, st.OMITTED) and holder is not None and ctx is not None:
            try:
                tmpl = self.resolver.resolve(holder, ctx).template
            except ResolveError:
                return
            for param in (tmpl.get("outputs") or {}).get("parameters") or []:
                key = f"{prefix}.outputs.parameters.{param.get('name')}"
                default = (param.get("valueFrom") or {}).get("default")
                if default is not None:
                    scope.params[key] = param_string(default)
                else:
                    scope.absent.add(key)
            scope.absent.add(f"{prefix}.outputs.result")

    def update_outbound(self, node: st.Node, groups: int) -> None:
        """``updateOutboundNodes``: the outbound nodes of the last created step group."""
        for index in range(groups - 1, -1, -1):
            sg = self.status.by_name(f"{node.name}[{index}]")
            if sg is not None:
                node.outbound_nodes = [o for child in sg.children for o in self.outbound(child)]
                return

    def resolve_step(self, step: dict[str, Any], scope: Scope) -> dict[str, Any]:
        """``resolveReferences``: substitute the step, then resolve its artifact ``from``s."""
        params = {**self.global_params, **scope.params}
        if scope.absent and (step.get("arguments") or {}).get("parameters"):
            step = copy.deepcopy(step)
            step["arguments"]["parameters"] = [
                p
                for p in step["arguments"]["parameters"]
                if not (isinstance(p.get("value"), str) and _only_tag(p["value"]) in scope.absent)
            ]
        new: dict[str, Any] = substitute(step, params)
        try:
            proceed = evaluate_when(str(new.get("when") or ""))
        except WhenError:
            if not (new.get("withItems") or new.get("withParam") or new.get("withSequence") is not None):
                raise
            proceed = True
        if not proceed:
            return new
        arts = []
        for art in (new.get("arguments") or {}).get("artifacts") or []:
            if not art.get("from") and not art.get("fromExpression"):
                arts.append(art)
                continue
            try:
                found = scope.resolve_artifact(art, self.global_params)
            except ScopeError as exc:
                if "Unable to resolve" in str(exc) and art.get("optional"):
                    continue
                raise
            found["name"] = art["name"]
            if art.get("subPath"):
                found["subPath"] = art["subPath"]
            arts.append(found)
        if arts or (new.get("arguments") or {}).get("artifacts"):
            new.setdefault("arguments", {})["artifacts"] = arts
        return new

    def execute_step_group(  # noqa: C901, PLR0911, PLR0912
        self, steps: list[dict[str, Any]], sg: st.Node, scope: Scope, ctx: Context, opts: Opts
    ) -> st.Node:
        """``executeStepGroup``: start every step of the group, then judge the group."""
        if sg.fulfilled:
            return sg
        try:
            resolved_steps = [self.resolve_step(step, scope) for step in steps]
        except (WhenError, ScopeError, SubstitutionError) as exc:
            return self.mark(sg, st.ERROR, str(exc))
        expanded: list[dict[str, Any]] = []
        try:
            for step in resolved_steps:
                items = expand_items(step)
                looped = bool(
                    step.get("withItems") or step.get("withParam") or step.get("withSequence") is not None
                )
                if looped and not items:
                    child_name = f"{sg.name}.{step['name']}"
                    if self.status.by_name(child_name) is None:
                        self.init_node(
                            child_name,
                            "Skipped",
                            st.SKIPPED,
                            opts,
                            scope=ctx.scope,
                            message="Skipped, empty params",
                        )
                        self.add_child(sg.name, child_name)
                expanded.extend(items)
        except (ArgumentError, SubstitutionError) as exc:
            return self.mark(sg, st.ERROR, str(exc))
        node_steps: dict[str, dict[str, Any]] = {}
        for step in expanded:
            child_name = f"{sg.name}.{step['name']}"
            try:
                proceed = evaluate_when(str(step.get("when") or ""))
            except WhenError as exc:
                if self.status.by_name(child_name) is None:
                    self.init_node(child_name, "Skipped", st.ERROR, opts, scope=ctx.scope, message=str(exc))
                self.add_child(sg.name, child_name)
                return self.mark(sg, st.ERROR, str(exc))
            if not proceed:
                if self.status.by_name(child_name) is None:
                    self.init_node(
                        child_name,
                        "Skipped",
                        st.SKIPPED,
                        opts,
                        scope=ctx.scope,
                        message=f"when '{step.get('when')}' evaluated false",
                    )
                self.add_child(sg.name, child_name)
                continue
            base = step["name"].split("(", 1)[0]
            child = self.execute_template(
                child_name,
                step,
                ctx,
                step.get("arguments") or {},
                Opts(boundary_id=opts.boundary_id, on_exit=opts.on_exit, caller=("steps", base)),
            )
            if child is not None:
                node_steps[child_name] = step
                self.add_child(sg.name, child_name)
        completed = True
        for child_id in sg.children:
            child = self.status.nodes.get(child_id)
            if child is None:
                completed = False
                continue
            owner = node_steps.get(child.name)
            hooks = owner.get("hooks") if owner is not None else None
            if owner is not None and isinstance(hooks, dict) and any(name != "exit" for name in hooks):
                scope.params[f"steps.{child.display_name}.status"] = child.phase
                base = owner["name"].split("(", 1)[0]
                if not self.run_lifecycle_hooks(hooks, child, opts, ctx, f"steps.{base}", scope):
                    completed = False
            if not child.fulfilled:
                completed = False
            elif child.completed:
                if owner is not None:
                    hook = self.exit_hook(owner, self.spec.get("arguments") or {})
                    if hook is not None:
                        base = owner["name"].split("(", 1)[0]
                        exit_node = self.run_on_exit(hook, child, opts, ctx, f"steps.{base}", scope)
                        if exit_node is None or not exit_node.fulfilled:
                            completed = False
        if not completed:
            return sg
        for child_id in sg.children:
            child = self.status.nodes[child_id]
            step = node_steps.get(child.name) or {}
            if child.failed_or_error and not _continues_on(step, child.phase):
                return self.mark(sg, st.FAILED, f"child '{child_id}' failed")
        return self.mark(sg, st.SUCCEEDED)

    def run_on_exit(
        self, hook: Mapping[str, Any], parent: st.Node, opts: Opts, ctx: Context, prefix: str, scope: Scope
    ) -> st.Node | None:
        """``runOnExitNode``: the ``<node>.onExit`` node, with the parent's outputs in reach."""
        args = self.hook_arguments(hook, parent, prefix, scope)
        name = f"{parent.name}.onExit"
        node = self.execute_template(
            name,
            {k: v for k, v in hook.items() if k in ("template", "templateRef")},
            ctx,
            args,
            Opts(boundary_id=opts.boundary_id, on_exit=True, hooked=True),
        )
        self.add_child(parent.name, name)
        return node

    def hook_arguments(
        self, hook: Mapping[str, Any], parent: st.Node, prefix: str, scope: Scope
    ) -> Mapping[str, Any]:
        """``resolveExitTmplArgument``: a hook's arguments with the parent's outputs in reach."""
        outputs = parent.outputs
        if parent.type == "Retry":
            last = self.last_child(parent)
            outputs = last.outputs if last is not None else None
        args: Mapping[str, Any] = hook.get("arguments") or {}
        if args and outputs:
            local = Scope(dict(scope.params), dict(scope.artifacts))
            local.add_outputs(prefix, outputs)
            args = substitute(args, {**self.global_params, **local.params})
            resolved_arts = []
            for art in args.get("artifacts") or []:
                if art.get("from") or art.get("fromExpression"):
                    try:
                        found = local.resolve_artifact(art, self.global_params)
                    except ScopeError:
                        continue
                    found["name"] = art["name"]
                    resolved_arts.append(found)
                else:
                    resolved_arts.append(art)
            if resolved_arts:
                args = {**args, "artifacts": resolved_arts}
        return args

    def run_lifecycle_hooks(
        self,
        hooks: Mapping[str, Any],
        parent: st.Node,
        opts: Opts,
        ctx: Context,
        prefix: str,
        scope: Scope,
    ) -> bool:
        """``executeTmplLifeCycleHook``: fire each non-exit hook whose expression holds, once.

        A hook node is ``<node>.hooks.<name>``, a hooked child of the step or task node in the
        same boundary; once it exists it is driven on every pass whatever the expression says.
        Returns whether every fired hook is fulfilled (the group or dependants wait for them).
        A hook without an expression, or one that does not evaluate to a bool, errors the node;
        Argo would then keep the group waiting forever, here the hook counts as done.
        """
        fired: list[st.Node | None] = []
        env: dict[str, Any] | None = None
        for hook_name, hook in hooks.items():
            if hook_name == "exit" or not isinstance(hook, dict):
                continue
            node_name = f"{parent.name}.hooks.{hook_name}"
            if self.status.by_name(node_name) is None:
                if env is None:
                    env = exprlang.build_env({**self.global_params, **scope.params})
                error = self.hook_error(hook, node_name, env)
                if error is not None:
                    if error:
                        self.mark(parent, st.ERROR, error)
                    continue
            node = self.execute_template(
                node_name,
                {k: v for k, v in hook.items() if k in ("template", "templateRef")},
                ctx,
                self.hook_arguments(hook, parent, prefix, scope),
                Opts(boundary_id=opts.boundary_id, hooked=True),
            )
            self.add_child(parent.name, node_name)
            fired.append(node)
        return all(n is not None and n.fulfilled for n in fired)

    @staticmethod
    def hook_error(hook: Mapping[str, Any], node_name: str, env: Mapping[str, Any]) -> str | None:
        """None when the hook fires now; "" when it does not yet; else why it cannot be evaluated."""
        expression = hook.get("expression")
        if not expression:
            return f"Expression required for hook {node_name}"
        try:
            value = exprlang.evaluate(str(expression), env)
        except exprlang.ExprError as exc:
            return f"failed to evaluate hook expression {expression!r}: {exc}"
        if not isinstance(value, bool):
            return f"hook expression {expression!r} must give a bool, got {value!r}"
        return None if value else ""

    def run_workflow_hooks(self, hooks: Mapping[str, Any], entry: st.Node) -> bool:
        """``executeWfLifeCycleHook``: ``spec.hooks`` other than exit, over the global scope."""
        fired: list[st.Node | None] = []
        env: dict[str, Any] | None = None
        for hook_name, hook in hooks.items():
            if hook_name == "exit" or not isinstance(hook, dict):
                continue
            node_name = f"{self.name}.hooks.{hook_name}"
            if self.status.by_name(node_name) is None:
                if env is None:
                    env = exprlang.build_env(self.global_params)
                error = self.hook_error(hook, node_name, env)
                if error is not None:
                    if error:
                        self.mark(entry, st.ERROR, error)
                    continue
            node = self.execute_template(
                node_name,
                {k: v for k, v in hook.items() if k in ("template", "templateRef")},
                self.root_ctx,
                hook.get("arguments") or {},
                Opts(hooked=True),
            )
            self.add_child(self.name, node_name)
            fired.append(node)
        return all(n is not None and n.fulfilled for n in fired)

    # --- DAG ---------------------------------------------------------------------------------

    def execute_dag(  # noqa: C901, PLR0912
        self, node_name: str, tmpl: dict[str, Any], resolved: Resolved, opts: Opts, common: dict[str, Any]
    ) -> st.Node:
        """``executeDAG``: visit the targets (and through them their dependencies), then judge."""
        node = self.status.by_name(node_name)
        if node is None:
            node = self.init_node(node_name, "DAG", st.RUNNING, opts, inputs=_inputs(tmpl), **common)
        self.boundary_templates[node.id] = tmpl
        dag = _Dag(self, node, tmpl, resolved.context, opts)
        target = str((tmpl.get("dag") or {}).get("target") or "")
        targets = target.split(" ") if target else dag.leaves()
        for name in targets:
            if name not in dag.tasks:
                return self.mark(node, st.ERROR, f"target {name} does not exist")
        for name in targets:
            dag.execute_task(name)
            task_node = dag.task_node(name)
            if task_node is not None and task_node.completed:
                hook = self.exit_hook(dag.tasks[name], self.spec.get("arguments") or {})
                if hook is not None:
                    self.run_on_exit(
                        hook, task_node, dag.task_opts, dag.ctx, f"tasks.{name}", dag.scope_for(name)
                    )
        phase = dag.assess(targets)
        if phase == st.RUNNING:
            return node
        if phase in (st.FAILED, st.ERROR):
            node.outbound_nodes = dag.outbound(targets)
            return self.mark(node, phase)
        scope = Scope.of_template(tmpl)
        scope.add_outputs("workflow", self.status.outputs)
        for name in dag.tasks:
            task_node = dag.task_node(name)
            if task_node is None:
                continue
            prefix = f"tasks.{name}"
            if task_node.type == "TaskGroup":
                children = [self.status.nodes[c] for c in task_node.children if c in self.status.nodes]
                scope.params.update(
                    aggregate_outputs(
                        prefix, [(loop_index(c.name), c.outputs, c.phase) for c in children if not c.hooked]
                    )
                )
            self.add_node_to_scope(scope, prefix, task_node, dag.tasks[name], dag.ctx)
        try:
            outputs = self.template_outputs(tmpl, scope)
        except ScopeError as exc:
            return self.mark(node, st.ERROR, str(exc))
        if outputs is not None:
            node.outputs = outputs
            self.add_outputs_to_global_scope(outputs)
        node.outbound_nodes = dag.outbound(targets)
        return self.mark(node, st.SUCCEEDED)

    def template_outputs(self, tmpl: Mapping[str, Any], scope: Scope) -> dict[str, Any] | None:
        """``getTemplateOutputsFromScope`` for steps and DAG templates."""
        declared = tmpl.get("outputs") or {}
        if not declared.get("parameters") and not declared.get("artifacts"):
            return None
        outputs: dict[str, Any] = {}
        params = []
        for param in declared.get("parameters") or []:
            value_from = param.get("valueFrom")
            if not isinstance(value_from, dict):
                raise ScopeError("output parameters must have a valueFrom specified")
            try:
                value = scope.resolve_parameter(value_from, self.global_params)
            except ScopeError:
                if value_from.get("default") is None:
                    raise
                value = param_string(value_from["default"])
            params.append({**{k: v for k, v in param.items() if k != "valueFrom"}, "value": value})
        if params:
            outputs["parameters"] = params
        arts = []
        for art in declared.get("artifacts") or []:
            try:
                found = scope.resolve_artifact(art, self.global_params)
            except ScopeError as exc:
                if "Unable to resolve" in str(exc) and art.get("optional"):
                    continue
                raise
            found["name"] = art["name"]
            if art.get("globalName"):
                found["globalName"] = art["globalName"]
            arts.append(found)
        if arts:
            outputs["artifacts"] = arts
        return outputs


class _DagShape:
    """What a DAG node's tasks are and how they depend on each other (fixed once the node exists).

    Kept across passes (by node ID): working it out again on every pass cost ~25 ms per pass for a
    500-task DAG, and every node created in that pass waited for it.
    """

    def __init__(self, tmpl: Mapping[str, Any]) -> None:
        self.tasks: dict[str, dict[str, Any]] = {
            t["name"]: t for t in (tmpl.get("dag") or {}).get("tasks") or []
        }
        self.deps: dict[str, list[str]] = {}
        self.logic: dict[str, str] = {}
        self.leaves: list[str] | None = None
        self.ancestors: dict[str, list[str]] = {}
        self.ids: dict[str, str] = {}
        """Node ID of each task's node (``<dag>.<task>``)."""


class _Dag:
    """``dagContext`` for one pass over one DAG node."""

    def __init__(self, op: Operation, node: st.Node, tmpl: dict[str, Any], ctx: Context, opts: Opts) -> None:
        self.op = op
        self.node = node
        self.tmpl = tmpl
        self.ctx = ctx
        shape = op.dag_shapes.get(node.id)
        if shape is None:
            shape = op.dag_shapes[node.id] = _DagShape(tmpl)
        self.shape = shape
        self.tasks = shape.tasks
        self.visited: set[str] = set()
        self.task_opts = Opts(boundary_id=node.id, on_exit=opts.on_exit)
        self._deps = shape.deps
        self._logic = shape.logic

    def task_name(self, task: str) -> str:
        return f"{self.node.name}.{task}"

    def task_node(self, task: str) -> st.Node | None:
        node_id = self.shape.ids.get(task)
        if node_id is None:
            node_id = self.shape.ids[task] = st.node_id(self.op.name, self.task_name(task))
        return self.op.status.nodes.get(node_id)

    def deps(self, task: str) -> list[str]:
        if task not in self._deps:
            spec = self.tasks[task]
            if spec.get("depends"):
                names = sorted(depends_on(str(spec["depends"])))
            else:
                names = list(spec.get("dependencies") or [])
            self._deps[task] = [n for n in names if n in self.tasks]
            continue_on = {n: self.tasks[n].get("continueOn") for n in self._deps[task]}
            self._logic[task] = task_logic(spec.get("depends"), spec.get("dependencies"), continue_on)
        return self._deps[task]

    def logic(self, task: str) -> str:
        self.deps(task)
        return self._logic[task]

    def leaves(self) -> list[str]:
        """``findLeafTaskNames``: tasks nobody depends on, sorted."""
        if self.shape.leaves is None:
            depended = {d for name in self.tasks for d in self.deps(name)}
            self.shape.leaves = sorted(name for name in self.tasks if name not in depended)
        return self.shape.leaves

    def ancestors(self, task: str) -> list[str]:
        """Every task ``task`` depends on, transitively (``GetTaskAncestry``)."""
        cached = self.shape.ancestors.get(task)
        if cached is not None:
            return cached
        seen: list[str] = []
        known: set[str] = set()
        stack = list(self.deps(task))
        while stack:
            name = stack.pop()
            if name in known:
                continue
            known.add(name)
            seen.append(name)
            stack.extend(self.deps(name))
        self.shape.ancestors[task] = seen
        return seen

    def scope_for(self, task: str) -> Scope:
        """``buildLocalScopeFromTask``: the template inputs plus every ancestor's outputs."""
        scope = Scope.of_template(self.tmpl)
        scope.add_outputs("workflow", self.op.status.outputs)
        for ancestor in self.ancestors(task):
            node = self.task_node(ancestor)
            if node is None:
                continue
            prefix = f"tasks.{ancestor}"
            if node.type == "TaskGroup":
                loop = [
                    n
                    for n in self.op.status.nodes.values()
                    if n.boundary_id == self.node.id
                    and n.name.startswith(node.name + "(")
                    and not n.retried
                    and not n.hooked
                ]
                scope.params.update(
                    aggregate_outputs(prefix, [(loop_index(n.name), n.outputs, n.phase) for n in loop])
                )
            else:
                self.op.add_node_to_scope(scope, prefix, node, self.tasks[ancestor], self.ctx)
        return scope

    def connect(self, task: str, child_name: str, group: st.Node | None) -> None:
        """Make the new node a child of its dependencies' outbound nodes (or of the DAG)."""
        deps = self.deps(task)
        if not deps or group is not None:
            self.op.add_child(group.name if group is not None else self.node.name, child_name)
            return
        for dep in deps:
            dep_node = self.task_node(dep)
            if dep_node is None:
                continue
            for out in self.op.outbound(dep_node.id):
                self.op.add_child(self.op.status.nodes[out].name, child_name)

    def depends_result(self, task: str) -> tuple[bool, bool]:
        """``evaluateDependsLogic``: (execute, proceed)."""
        if self.task_node(task) is not None:
            return True, True
        results: dict[str, TaskResult] = {}
        for dep in self.deps(task):
            node = self.task_node(dep)
            if node is None or not node.fulfilled or not self.hooks_done(node):
                return False, False
        spec = self.tasks[task]
        if not spec.get("depends"):
            # ``dependencies`` expand to (A.Succeeded || A.Skipped || A.Daemoned [|| continueOn]) && ...;
            # evaluated directly, which is what the expr-lang expansion computes
            return all(self._satisfies(dep) for dep in self.deps(task)), True
        for dep in self.deps(task):
            node = self.task_node(dep)
            assert node is not None
            children = None
            if node.type == "TaskGroup":
                children = tuple(
                    self.op.status.nodes[c].phase for c in node.children if c in self.op.status.nodes
                )
            results[dep] = TaskResult(node.phase, node.daemoned, children)
        continue_on = {n: self.tasks[n].get("continueOn") for n in self.deps(task)}
        return evaluate_depends(str(spec["depends"]), results, continue_on), True

    def _satisfies(self, dep: str) -> bool:
        node = self.task_node(dep)
        if node is None:
            return False
        if node.phase in (st.SUCCEEDED, st.SKIPPED) or node.daemoned:
            return True
        return node.phase in (st.FAILED, st.ERROR) and _continues_on(self.tasks[dep], node.phase)

    def hooks_done(self, node: st.Node) -> bool:
        """``CheckAllHooksFullfilled``: every hook child of the node is fulfilled."""
        for child_id in node.children:
            child = self.op.status.nodes.get(child_id)
            if child is not None and child.hooked and not child.fulfilled:
                return False
        return True

    def execute_task(self, task: str) -> None:  # noqa: C901, PLR0911, PLR0912
        """``executeDAGTask``: recurse into dependencies, then create or advance this task."""
        if task in self.visited:
            return
        self.visited.add(task)
        op = self.op
        spec = self.tasks[task]
        node = self.task_node(task)
        hooks = spec.get("hooks")
        if (
            node is not None
            and (node.fulfilled or node.phase == st.RUNNING)
            and isinstance(hooks, dict)
            and any(name != "exit" for name in hooks)
        ):
            scope = self.scope_for(task)
            scope.params[f"tasks.{task}.status"] = node.phase
            if not op.run_lifecycle_hooks(hooks, node, self.task_opts, self.ctx, f"tasks.{task}", scope):
                return
        hook = op.exit_hook(spec, op.spec.get("arguments") or {})
        if node is not None and node.fulfilled:
            if node.completed and hook is not None:
                op.run_on_exit(hook, node, self.task_opts, self.ctx, f"tasks.{task}", self.scope_for(task))
            return
        if node is not None and node.type == "Pod" and node.id in op.active:
            return  # nothing can change until its pod's result is reconciled
        name = self.task_name(task)
        group = node if node is not None and node.type == "TaskGroup" else None
        if self.logic(task):
            for dep in self.deps(task):
                self.execute_task(dep)
            try:
                execute, proceed = self.depends_result(task)
            except DependsError as exc:
                op.init_node(
                    name, "Skipped", st.ERROR, self.task_opts, scope=self.ctx.scope, message=str(exc)
                )
                self.connect(task, name, None)
                return
            if not proceed:
                return
            if not execute:
                op.init_node(
                    name,
                    "Skipped",
                    st.OMITTED,
                    self.task_opts,
                    scope=self.ctx.scope,
                    message="omitted: depends condition not met",
                )
                self.connect(task, name, None)
                return
        try:
            new_task = self.resolve(task)
            expanded = expand_items(new_task)
        except (WhenError, ScopeError, SubstitutionError, ArgumentError) as exc:
            if self.task_node(task) is None:
                op.init_node(
                    name, "Skipped", st.ERROR, self.task_opts, scope=self.ctx.scope, message=str(exc)
                )
                self.connect(task, name, None)
            return
        looped = bool(spec.get("withItems") or spec.get("withParam") or spec.get("withSequence") is not None)
        if looped:
            if not expanded:
                if self.task_node(task) is None:
                    op.init_node(
                        name,
                        "Skipped",
                        st.SKIPPED,
                        self.task_opts,
                        scope=self.ctx.scope,
                        message="Skipped, empty params",
                    )
                    self.connect(task, name, None)
            elif group is None:
                self.connect(task, name, None)
                group = op.init_node(name, "TaskGroup", st.RUNNING, self.task_opts, scope=self.ctx.scope)
        for item in expanded:
            item_name = self.task_name(item["name"])
            item_node = op.status.by_name(item_name)
            if item_node is None:
                self.connect(task, item_name, group)
                try:
                    proceed = evaluate_when(str(item.get("when") or ""))
                except WhenError as exc:
                    op.init_node(
                        item_name, "Skipped", st.ERROR, self.task_opts, scope=self.ctx.scope, message=str(exc)
                    )
                    continue
                if not proceed:
                    op.init_node(
                        item_name,
                        "Skipped",
                        st.SKIPPED,
                        self.task_opts,
                        scope=self.ctx.scope,
                        message=f"when '{item.get('when')}' evaluated false",
                    )
                    continue
            item_node = op.execute_template(
                item_name,
                item,
                self.ctx,
                item.get("arguments") or {},
                Opts(boundary_id=self.node.id, on_exit=self.task_opts.on_exit, caller=("tasks", task)),
            )
            if item_node is None:
                return
            if item_node.completed and hook is not None:
                exit_node = op.run_on_exit(
                    hook, item_node, self.task_opts, self.ctx, f"tasks.{task}", self.scope_for(task)
                )
                if exit_node is None or not exit_node.fulfilled:
                    return
        if group is not None:
            phase = st.SUCCEEDED
            for item in expanded:
                item_node = op.status.by_name(self.task_name(item["name"]))
                if item_node is None or not item_node.fulfilled:
                    return
                if item_node.failed_or_error:
                    phase = item_node.phase
            op.mark(group, phase)

    def resolve(self, task: str) -> dict[str, Any]:
        """``resolveDependencyReferences``."""
        scope = self.scope_for(task)
        return self.op.resolve_step(self.tasks[task], scope)

    def assess(self, targets: list[str]) -> str:
        """``assessDAGPhase``."""
        if self.op.shutdown:
            return st.FAILED
        nodes = self.op.status.nodes
        target_ids = {st.node_id(self.op.name, self.task_name(t)): t for t in targets}
        target_phase: dict[str, str] = dict.fromkeys(target_ids, "")
        queue_: collections.deque[tuple[str, str]] = collections.deque(
            (c, st.SUCCEEDED) for c in self.node.children
        )
        seen: set[tuple[str, str]] = set()
        while queue_:
            item = queue_.popleft()
            if item in seen:
                continue
            seen.add(item)
            node_id, branch = item
            node = nodes.get(node_id)
            if node is None or not node.fulfilled:
                return st.RUNNING
            if node.completed:
                branch = node.phase
            if node_id in target_phase and target_phase[node_id] not in (st.FAILED, st.ERROR):
                target_phase[node_id] = branch
            children = (
                [c for c in node.children if not (nodes.get(c) and nodes[c].hooked)]
                if node.type == "Retry"
                else node.children
            )
            queue_.extend((c, branch) for c in children)
        fail_fast = (self.tmpl.get("dag") or {}).get("failFast")
        fail_fast = fail_fast is None or fail_fast is True
        result = st.SUCCEEDED
        for task in targets:
            phase = target_phase[st.node_id(self.op.name, self.task_name(task))]
            if phase == "":
                result = st.RUNNING
                if not fail_fast:
                    break
            elif phase in (st.FAILED, st.ERROR):
                if _continues_on(self.tasks[task], phase):
                    continue
                result = phase
                if fail_fast:
                    break
        return result

    def outbound(self, targets: list[str]) -> list[str]:
        """``updateOutboundNodesForTargetTasks``."""
        out: list[str] = []
        for task in targets:
            node = self.task_node(task)
            if node is not None:
                out.extend(self.op.outbound(node.id))
        return out


_NODE_TYPES = {"steps": "Steps", "dag": "DAG", "suspend": "Suspend", "http": "HTTP", "plugin": "Plugin"}
"""``GetNodeType`` for templates that do not make a Pod node."""


def _only_tag(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
        return stripped[2:-2].strip()
    return ""


def _continues_on(step: Mapping[str, Any], phase: str) -> bool:
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


def _inputs(tmpl: Mapping[str, Any]) -> dict[str, Any] | None:
    inputs = tmpl.get("inputs") or {}
    out: dict[str, Any] = {}
    if inputs.get("parameters"):
        out["parameters"] = [
            {k: v for k, v in p.items() if k in ("name", "value", "default", "enum", "description")}
            for p in inputs["parameters"]
        ]
    if inputs.get("artifacts"):
        out["artifacts"] = copy.deepcopy(inputs["artifacts"])
    return out or None


def _mode(art: Mapping[str, Any]) -> int | None:
    mode = art.get("mode")
    return int(mode) if isinstance(mode, int) else None


def _go_float(value: float) -> str:
    text = repr(round(value, 9))
    return text[:-2] if text.endswith(".0") else text


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base
