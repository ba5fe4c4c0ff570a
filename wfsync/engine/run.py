"""Run one Workflow (or a WorkflowTemplate as ``argo submit --from`` would) and return its status.

This is the engine's entry point: it loads the documents, builds the executable workflow
(parameters, entrypoint, ``workflowTemplateRef`` merged as Argo merges it), refuses what it
cannot run faithfully (:mod:`wfsync.engine.support`), then reconciles it to the end
(:mod:`wfsync.engine.scheduler`).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
import random
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from wfsync import safepath
from wfsync.cluster.embedded import EmbeddedCluster
from wfsync.engine import lifetime
from wfsync.engine import status as st
from wfsync.engine.artifacts import ArtifactRepository
from wfsync.engine.containers import make_executor
from wfsync.engine.executor import Executor, Unsupported
from wfsync.engine.host import HostExecutor
from wfsync.engine.params import param_string
from wfsync.engine.resource import ClusterStore
from wfsync.engine.resume import RUNS_DIR, ResumeChannel
from wfsync.engine.scheduler import Interrupted, Operation, Options
from wfsync.engine.support import preflight
from wfsync.engine.templates import (
    CLUSTER_WORKFLOW_TEMPLATE,
    WORKFLOW_TEMPLATE,
    ResolveError,
    Resolver,
    Store,
    join_workflow_spec,
)
from wfsync.errors import CompletionError, InputError, UsageError
from wfsync.library.discover import ReadFile, find_yaml_files, read_file
from wfsync.library.yamlload import node_line
from wfsync.model.documents import API_VERSION
from wfsync.model.submit import apply_submit_options

RUNNABLE = ("Workflow", WORKFLOW_TEMPLATE, CLUSTER_WORKFLOW_TEMPLATE)
RUN_PREFIX = "wfsync-run-"
"""Run folders (one a run, pods' files inside) in the state folder; removed on every exit path."""
_OWNER = ".owner"
"""File in a run folder holding the process id of its run, to find folders of runs killed outright."""
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclasses.dataclass(frozen=True)
class RunRequest:
    """What to run and with what."""

    path: Path
    parameters: Sequence[tuple[str, str]] = ()
    entrypoint: str | None = None
    with_paths: Sequence[Path] = ()
    library: Path | None = None
    state_dir: Path | None = None
    log: Callable[[str, str], None] | None = None
    keep_pods: bool = False
    cluster: ClusterStore | None = None
    """Where resource templates act; default: the embedded cluster under the state folder."""
    allow_network: bool = False
    """Whether HTTP templates and http/git artifacts may reach beyond this machine."""
    templates: Sequence[Mapping[str, Any]] = ()
    """(Cluster)WorkflowTemplates from a target's live state, used in place of the library."""
    templates_from: str = ""
    """Where ``templates`` came from (``target 'prod' (context ...)``), for messages."""
    namespace: str = "default"
    """The workflow's namespace when its file names none (a target's, with ``--target``)."""
    runtime: str = "host"
    """How pods run: ``host`` processes, or ``docker`` / ``podman`` containers."""
    allow_host_writes: bool = False
    """Host processes may write outside their pod's folders (else Landlock refuses it, where there is one)."""
    resume_after: float | None = None
    """Resume indefinite suspends (and ``spec.suspend``) after this many seconds; None: refuse them."""
    interactive: bool = False
    """Someone can resume indefinite suspends with ``wfsync resume`` (a run on a terminal)."""
    notify: Callable[[str], None] | None = None
    """Where notes for the person running go (how to resume a suspended node)."""
    on_change: Callable[[st.WorkflowStatus], None] | None = None
    """Called with the status after every pass that changed a node (a live tree)."""


@dataclasses.dataclass
class RunResult:
    """A finished run: the Workflow object with its status, and what the run substituted."""

    workflow: dict[str, Any]
    status: st.WorkflowStatus
    substitutions: dict[str, str]
    logs: list[tuple[str, str]]
    interrupted: str = ""
    """The stop signal that ended the run early (``Ctrl-C``, ``SIGTERM``, ``SIGHUP``), or ``""``."""
    running: tuple[str, ...] = ()
    """The nodes that were running when it was interrupted (their pods were stopped)."""

    @property
    def succeeded(self) -> bool:
        """Whether the workflow Succeeded."""
        return self.status.phase == st.SUCCEEDED


def _bodies(path: Path, *, contained: bool = False) -> list[dict[str, Any]]:
    read = read_file(path)
    if read.problem is not None:
        raise InputError(read.problem.message, path=path, line=read.problem.line)
    if contained:
        check_paths(read)
    return [dict(doc.body) for doc in read.documents]


def check_paths(read: ReadFile) -> None:
    """Refuse a document whose pod paths climb out of the container's root (the pod's folder here).

    Paths written literally are checked before anything runs (an input error naming the line);
    templated ones when their pod is built (the node then ends in Error).
    """
    for doc in read.documents:
        for json_path, text in safepath.declared_paths(doc.body):
            if "{{" not in text:
                line = node_line(doc.node, json_path) or doc.source.line
                safepath.container_path(text, what=".".join(map(str, json_path)), path=read.path, line=line)


def build_store(request: RunRequest, own: Sequence[dict[str, Any]]) -> Store:
    """Templates and ConfigMaps from the library (or a target), then ``--with`` paths, then the run file."""
    store = Store()
    if request.templates_from:
        store.hint = f"not in {request.templates_from}: push it there, or give the file with --with"
    for body in request.templates:
        store.add(body)
    sources: list[Path] = []
    if request.library is not None and request.library.is_dir():
        sources.append(request.library)
    sources.extend(request.with_paths)
    for source in sources:
        # files found in a folder stay in it (a symlink out is refused, as in the library)
        files, refused = find_yaml_files([source], root=source if source.is_dir() else None)
        if refused and source in request.with_paths:
            raise InputError(f"--with {source}: {refused[0].message}", path=refused[0].path)
        for file in files:
            read = read_file(file)
            if read.problem is not None and file in request.with_paths:
                raise InputError(read.problem.message, path=file, line=read.problem.line)
            if source in request.with_paths:
                check_paths(read)
            for doc in read.documents:
                store.add(dict(doc.body))
    for body in own:
        store.add(body)
    return store


def select_runnable(bodies: Sequence[dict[str, Any]], path: Path) -> dict[str, Any]:
    """The first Workflow of the file, else its first (Cluster)WorkflowTemplate."""
    for kind in RUNNABLE:
        for body in bodies:
            if body.get("kind") == kind:
                return body
    kinds = sorted({str(b.get("kind")) for b in bodies}) or ["nothing"]
    raise InputError(
        f"no Workflow, WorkflowTemplate or ClusterWorkflowTemplate here (found {', '.join(kinds)})", path=path
    )


def as_workflow(body: Mapping[str, Any]) -> dict[str, Any]:
    """A Workflow for the document: templates become ``workflowTemplateRef`` (``submit --from``)."""
    if body.get("kind") == "Workflow":
        return copy.deepcopy(dict(body))
    meta = body.get("metadata") or {}
    ref: dict[str, Any] = {"name": meta.get("name")}
    if body.get("kind") == CLUSTER_WORKFLOW_TEMPLATE:
        ref["clusterScope"] = True
    return {
        "apiVersion": API_VERSION,
        "kind": "Workflow",
        "metadata": {"generateName": f"{meta.get('name')}-", "labels": dict(meta.get("labels") or {})},
        "spec": {"workflowTemplateRef": ref},
    }


def executable_workflow(
    wf: dict[str, Any],
    store: Store,
    parameters: Sequence[tuple[str, str]],
    entrypoint: str | None,
    namespace: str = "default",
) -> dict[str, Any]:
    """``execWf``: submit options applied, WorkflowTemplate spec joined, a name chosen."""
    spec: dict[str, Any] = wf.setdefault("spec", {})
    apply_submit_options(spec, parameters, entrypoint)
    ref = spec.get("workflowTemplateRef")
    if isinstance(ref, dict):
        if spec.get("templates"):
            raise InputError(
                "Templates is invalid field in spec if workflow referred WorkflowTemplate reference"
            )
        try:
            holder = store.holder(str(ref.get("name")), bool(ref.get("clusterScope")))
        except ResolveError as exc:
            raise Unsupported(f"environment: {exc}") from None
        wft_spec = holder.get("spec") or {}
        wf["spec"] = join_workflow_spec(spec, wft_spec)
        wf.setdefault("status", {})["storedWorkflowTemplateSpec"] = copy.deepcopy(wf["spec"])
    meta = wf.setdefault("metadata", {})
    if not meta.get("name"):
        prefix = str(meta.get("generateName") or "workflow-")
        meta["name"] = prefix + "".join(random.choice(_NAME_ALPHABET) for _ in range(5))
    meta.setdefault("namespace", namespace)
    # the name and namespace name run folders and resources: the containment rule applies
    safepath.check_name(str(meta["name"]))
    safepath.check_namespace(str(meta["namespace"]))
    if not wf["spec"].get("entrypoint"):
        raise InputError(f"workflow {meta['name']} has no entrypoint (give one with --entrypoint)")
    for param in (wf["spec"].get("arguments") or {}).get("parameters") or []:
        if param.get("value") is not None:
            param["value"] = param_string(param["value"])
    return wf


def load_parameter_file(path: Path) -> list[tuple[str, str]]:
    """``--parameter-file``: a YAML or JSON map of parameter names to values."""
    bodies = _bodies(path) if path.exists() else None
    if bodies is None:
        raise UsageError(f"parameter file does not exist: {path}")
    if len(bodies) != 1:
        raise InputError("a parameter file holds one map of names to values", path=path)
    return [(str(k), param_string(v)) for k, v in bodies[0].items()]


def prepare(request: RunRequest, executor: Executor) -> tuple[dict[str, Any], Store]:
    """Load, build and check the workflow; raises :class:`Unsupported` with every reason."""
    if not request.path.is_file():
        raise UsageError(f"no such file: {request.path}")
    bodies = _bodies(request.path, contained=True)
    body = select_runnable(bodies, request.path)
    store = build_store(request, bodies)
    wf = executable_workflow(
        as_workflow(body), store, request.parameters, request.entrypoint, request.namespace
    )
    reasons = preflight(
        wf,
        Resolver(store),
        executor,
        allow_network=request.allow_network,
        resumable=request.resume_after is not None or request.interactive,
    )
    if reasons:
        raise Unsupported(
            "; ".join(
                r.removeprefix("unsupported: ") if r.startswith("unsupported: ") else r for r in reasons
            )
        )
    return wf, store


class RunInterrupted(CompletionError):
    """A stop signal came before the workflow started (exit code 3, as every interruption)."""


def run(request: RunRequest, executor: Executor | None = None) -> RunResult:
    """Run the workflow to its end and return the Workflow object with ``status``.

    Ctrl-C, SIGTERM and SIGHUP stop every pod (and what they left running); the result says
    which signal and which nodes were running. The run folder is removed on every way out.
    """
    with lifetime.stop_signals() as stops:
        try:
            return _run(request, executor, stops)
        except lifetime.Signalled as exc:
            raise RunInterrupted(f"interrupted ({exc}) before the workflow started") from None


def _run(request: RunRequest, executor: Executor | None, stops: lifetime.StopSignals) -> RunResult:
    allow = request.allow_host_writes
    executor = (
        executor
        or make_executor(request.runtime, allow_host_writes=allow)
        or HostExecutor(allow_host_writes=allow)
    )
    wf, store = prepare(request, executor)
    state = request.state_dir or Path(tempfile.gettempdir()) / "wfsync"
    repository = ArtifactRepository(state / "artifacts")
    state.mkdir(parents=True, exist_ok=True)
    remove_stale_runs(state)
    lifetime.sweep_orphans()  # pods of runs killed outright (SIGKILL): no signal reached them
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix=RUN_PREFIX, dir=state))
        (Path(tmp) / _OWNER).write_text(str(os.getpid()), encoding="utf-8")
        stack.enter_context(safepath.deletable(Path(tmp)))  # the only places the engine deletes in
        repository.root.mkdir(parents=True, exist_ok=True)
        stack.enter_context(safepath.deletable(repository.root))
        # unwound in reverse: no signal cuts the cleanup short, then no pod process survives it
        stack.callback(_close, executor)
        stack.callback(setattr, stops, "armed", False)
        cluster = request.cluster or EmbeddedCluster(state / "cluster", any_kind=True)
        resume = None
        if request.interactive and request.resume_after is None:
            channel = ResumeChannel(state / RUNS_DIR, str(wf["metadata"]["name"]), request.notify)
            resume = stack.enter_context(channel)
        options = Options(
            run_dir=Path(tmp),
            artifacts=repository,
            log=request.log,
            cluster=cluster,
            allow_network=request.allow_network,
            resume_after=request.resume_after,
            resume=resume,
            on_change=request.on_change,
            stop_signal=lambda: stops.received,
        )
        operation = Operation(wf, store, executor, options)
        status, running = _operate(operation, stops)
    stored = wf.get("status") or {}
    workflow = {**wf, "status": {**status.to_json(), **{k: v for k, v in stored.items() if k != "phase"}}}
    return RunResult(
        workflow,
        status,
        executor.substitutions(),
        operation.logs,
        interrupted=stops.received,
        running=running,
    )


def _operate(operation: Operation, stops: lifetime.StopSignals) -> tuple[st.WorkflowStatus, tuple[str, ...]]:
    """Run the operation to its end; on a signal, its final status and the nodes it cut short."""
    try:
        status = operation.run()
    except Interrupted:
        status = operation.status  # stopped and Failed: the caller still shows the final tree
    except lifetime.Signalled as exc:
        # it came while the scheduler was already ending (waiting for its last pods)
        operation.stop(f"interrupted ({exc}): every pod was stopped")
        status = operation.status
    finally:
        stops.armed = False
    running: tuple[str, ...] = ()
    if stops.received:
        running = tuple(status.nodes[i].name for i in operation.active if i in status.nodes)
        if running and status.message.startswith("interrupted"):
            status.message += f" (running: {', '.join(running)})"
    return status, running


def _close(executor: Executor) -> None:
    """Kill whatever the executor's pods left running (host processes that left their group)."""
    close = getattr(executor, "close", None)
    if close is not None:
        close()


def remove_stale_runs(state: Path) -> None:
    """Remove run folders whose run died without cleaning up (killed with SIGKILL, a crash)."""
    for folder in state.glob(f"{RUN_PREFIX}*"):
        try:
            owner = int((folder / _OWNER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not ours to judge: no owner recorded
        if owner != os.getpid() and not lifetime.running(owner):
            shutil.rmtree(folder, ignore_errors=True)
