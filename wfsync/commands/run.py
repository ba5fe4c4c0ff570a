"""``wfsync run``: what to run, with which library, parameters and state folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wfsync.cluster.embedded import EmbeddedCluster
from wfsync.commands.context import repository_config
from wfsync.config import cache_root, state_folder
from wfsync.engine.containers import HOST_WRITES_REFUSED, isolation_notes, make_executor
from wfsync.engine.host import HostExecutor
from wfsync.engine.resource import ClusterStore
from wfsync.engine.run import RunRequest, RunResult, load_parameter_file, run
from wfsync.engine.status import WorkflowStatus
from wfsync.errors import UsageError
from wfsync.model.documents import Kind


def parse_parameters(values: Sequence[str]) -> list[tuple[str, str]]:
    """``-p NAME=VALUE`` options as pairs (the value may itself hold ``=``)."""
    pairs = []
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"-p expects NAME=VALUE, got {value!r}")
        pairs.append((name.strip(), rest))
    return pairs


@dataclass(frozen=True)
class LiveTarget:
    """What a run takes from ``--target``: its templates, where they are from, and where resources go."""

    templates: list[dict[str, object]]
    origin: str
    namespace: str
    resources: ClusterStore | None
    """Where resource templates act: the target's own store when it is embedded, the cluster itself
    (any served kind, through the same context and ``allowedContexts`` check) for Kubernetes;
    ``None`` without ``--target`` (the default embedded cluster)."""


def live_target(cwd: Path, target_name: str | None) -> LiveTarget:
    """The target's ClusterWorkflowTemplates and WorkflowTemplates, and where resources go.

    The templates are what Argo on that target would resolve ``templateRef`` and
    ``workflowTemplateRef`` against; every live object counts, managed by wfsync or not.
    """
    from wfsync.commands.syncstate import KINDS, open_cluster, require_config, resolve_target

    config = require_config(cwd)
    target = resolve_target(config, target_name)
    cluster = open_cluster(config, target)  # refuses a context the target does not allow
    cluster.check_crds(KINDS)
    found = [
        *cluster.list(Kind.CLUSTER_WORKFLOW_TEMPLATE.value, None),
        *cluster.list(Kind.WORKFLOW_TEMPLATE.value, target.namespace),
    ]
    resources: ClusterStore
    if isinstance(cluster, EmbeddedCluster):
        resources = EmbeddedCluster(cluster.root, any_kind=True)
    else:
        from wfsync.cluster.kubernetes import KubernetesCluster
        from wfsync.cluster.objects import KubernetesObjects

        assert isinstance(cluster, KubernetesCluster)
        resources = KubernetesObjects(cluster)
    return LiveTarget(
        found,
        f"target {target.name!r} ({cluster.description}, namespace {target.namespace})",
        target.namespace,
        resources,
    )


def _check_options(resume_after: float | None, with_paths: Sequence[Path]) -> None:
    """Refuse option values no run could use, before anything is read."""
    if resume_after is not None and resume_after < 0:
        raise UsageError(f"--resume-after must be 0 or more seconds, not {resume_after:g}")
    for given in with_paths:
        if not given.exists():
            raise UsageError(f"--with path does not exist: {given}")


def _library_templates(
    path: Path, cwd: Path, with_paths: Sequence[Path], notify: Callable[[str], None] | None
) -> list[dict[str, object]]:
    """What the library and ``--with`` lack, from the packaged standard library (said in a note)."""
    from wfsync.commands.library import run_fallback

    templates, note = run_fallback(path, cwd, with_paths)
    if note and notify is not None:
        notify(note)
    return templates


def run_workflow(
    path: Path,
    *,
    cwd: Path,
    parameters: Sequence[str] = (),
    parameter_file: Path | None = None,
    entrypoint: str | None = None,
    with_paths: Sequence[Path] = (),
    log: Callable[[str, str], None] | None = None,
    target: str | None = None,
    allow_network: bool = False,
    runtime: str = "auto",
    strict_images: bool = False,
    allow_host_writes: bool = False,
    resume_after: float | None = None,
    interactive: bool = False,
    notify: Callable[[str], None] | None = None,
    on_change: Callable[[WorkflowStatus], None] | None = None,
) -> RunResult:
    """Run ``path`` locally; ``templateRef``s resolve from the library, or the live ``target``."""
    _check_options(resume_after, with_paths)
    pairs = load_parameter_file(parameter_file) if parameter_file is not None else []
    pairs.extend(parse_parameters(parameters))
    config = repository_config(cwd)
    live = live_target(cwd, target) if target is not None else LiveTarget([], "", "default", None)
    templates = live.templates if target is not None else _library_templates(path, cwd, with_paths, notify)
    request = RunRequest(
        path=path,
        parameters=pairs,
        entrypoint=entrypoint,
        with_paths=list(with_paths),
        library=config.library if config is not None and target is None else None,
        state_dir=state_folder(cache_root(cwd)),
        log=log,
        allow_network=allow_network,
        templates=templates,
        templates_from=live.origin,
        namespace=live.namespace,
        cluster=live.resources,
        runtime=runtime,
        allow_host_writes=allow_host_writes,
        resume_after=resume_after,
        interactive=interactive,
        notify=notify,
        on_change=on_change,
    )
    # host processes with every default are None there: made here to read refused_writes after
    executor = make_executor(
        runtime, strict_images=strict_images, allow_host_writes=allow_host_writes
    ) or HostExecutor(allow_host_writes=allow_host_writes)
    if notify is not None:
        for note in isolation_notes(runtime, executor, allow_host_writes=allow_host_writes):
            notify(note)
    result = run(request, executor)
    if isinstance(executor, HostExecutor) and executor.refused_writes:
        result.status.note(HOST_WRITES_REFUSED)
    return result


def resume_workflow(cwd: Path, workflow: str, node: str | None = None) -> None:
    """Ask a run in this repository (another terminal) to resume its suspended nodes."""
    from wfsync.engine.resume import RUNS_DIR, request_resume

    request_resume(state_folder(cache_root(cwd), RUNS_DIR), workflow, node)
