"""``wfsync run``: what to run, with which library, parameters and state folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from wfsync.commands.context import repository_config
from wfsync.config import STATE_DIR, cache_root
from wfsync.engine.run import RunRequest, RunResult, load_parameter_file, run
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


def live_templates(cwd: Path, target_name: str | None) -> tuple[list[dict[str, Any]], str, str]:
    """The target's ClusterWorkflowTemplates and WorkflowTemplates, where they are from, its namespace.

    They are what Argo on that target would resolve ``templateRef`` and ``workflowTemplateRef``
    against; every live object counts, managed by wfsync or not.
    """
    from wfsync.commands.syncstate import KINDS, open_cluster, require_config, resolve_target

    config = require_config(cwd)
    target = resolve_target(config, target_name)
    cluster = open_cluster(config, target)
    cluster.check_crds(KINDS)
    found = [
        *cluster.list(Kind.CLUSTER_WORKFLOW_TEMPLATE.value, None),
        *cluster.list(Kind.WORKFLOW_TEMPLATE.value, target.namespace),
    ]
    return (
        found,
        f"target {target.name!r} ({cluster.description}, namespace {target.namespace})",
        target.namespace,
    )


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
    runtime: str = "host",
    resume_after: float | None = None,
) -> RunResult:
    """Run ``path`` locally; ``templateRef``s resolve from the library, or the live ``target``."""
    if resume_after is not None and resume_after < 0:
        raise UsageError(f"--resume-after must be 0 or more seconds, not {resume_after:g}")
    for given in with_paths:
        if not given.exists():
            raise UsageError(f"--with path does not exist: {given}")
    pairs = load_parameter_file(parameter_file) if parameter_file is not None else []
    pairs.extend(parse_parameters(parameters))
    config = repository_config(cwd)
    templates: list[dict[str, Any]] = []
    origin, namespace = "", "default"
    if target is not None:
        templates, origin, namespace = live_templates(cwd, target)
    request = RunRequest(
        path=path,
        parameters=pairs,
        entrypoint=entrypoint,
        with_paths=list(with_paths),
        library=config.library if config is not None and target is None else None,
        state_dir=cache_root(cwd) / STATE_DIR,
        log=log,
        allow_network=allow_network,
        templates=templates,
        templates_from=origin,
        namespace=namespace,
        runtime=runtime,
        resume_after=resume_after,
    )
    return run(request)
