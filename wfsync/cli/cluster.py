"""``wfsync cluster up|down|status``: a local kind cluster with Argo Workflows, and its target."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from wfsync.cli.common import OutputOption, add_commands, command
from wfsync.cli.terminal import OutputFormat, Terminal, display_path
from wfsync.errors import ExitCode

if TYPE_CHECKING:
    from wfsync.commands.cluster import StatusResult, TargetChange, UpResult
    from wfsync.harness.kind import Step, UpRequest

FORMATS = (OutputFormat.TEXT, OutputFormat.JSON)
DEFAULT_NAME = "wfsync"  # wfsync.harness.kind.DEFAULT_NAME, repeated so --help never imports it

NameOption = Annotated[str, typer.Option("--name", help="The kind cluster's name.")]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="The wfsync.yaml to update (created if missing); default: the repository's around the current folder.",
        show_default=False,
    ),
]
TargetOption = Annotated[
    str | None,
    typer.Option(
        "--target-name", help="Name of the target in wfsync.yaml (default: kind-<name>).", show_default=False
    ),
]


def up(
    ctx: typer.Context,
    name: NameOption = DEFAULT_NAME,
    argo_version: Annotated[
        str | None,
        typer.Option(
            "--argo-version",
            help="Argo Workflows release to install (default: the pinned one).",
            show_default=False,
        ),
    ] = None,
    node_image: Annotated[
        str | None,
        typer.Option(
            "--node-image",
            help="kind node image (default: the pinned kindest/node@sha256).",
            show_default=False,
        ),
    ] = None,
    target_name: TargetOption = None,
    config: ConfigOption = None,
    output: OutputOption = None,
) -> None:
    """Create the cluster, install Argo, add the kind-<name> target; idempotent (needs docker, kind, kubectl)."""
    with command(ctx, output, FORMATS, "cluster up") as (term, chosen):
        from wfsync.commands.cluster import run_up
        from wfsync.harness import kind

        request = kind.UpRequest(
            name=name,
            argo_version=argo_version or kind.ARGO_VERSION,
            node_image=node_image or kind.NODE_IMAGE,
        )
        with term.progress(f"cluster up {name}") as bar:
            result = run_up(
                request,
                cwd=Path.cwd(),
                config=config,
                target_name=target_name,
                note=lambda message: bar.update(note=message),
            )
        _render_up(term, chosen, name, request, result)


def _render_up(term: Terminal, chosen: OutputFormat, name: str, request: UpRequest, result: UpResult) -> None:
    """The steps taken and the target written, as JSON or text (with what to run next)."""
    from wfsync.harness import kind

    account = f"{kind.NAMESPACE}/{kind.WORKFLOW_SERVICE_ACCOUNT}"
    if chosen is OutputFormat.JSON:
        term.json(
            "cluster up",
            {
                "cluster": {"name": name, "context": result.context},
                "argoVersion": request.argo_version,
                "nodeImage": request.node_image,
                "serviceAccount": account,
                "changed": result.changed,
                "steps": [_step_json(step) for step in result.steps],
                "target": _target_json(result.target),
            },
        )
        return
    for step in result.steps:
        _print_step(term, step)
    _print_target(term, result.target)
    if not result.changed:
        term.result(f"nothing changed: cluster {escape(name)} is up with Argo {escape(request.argo_version)}")
    term.print(
        f"workflows run as ServiceAccount {account} (executor Role); "
        f"next: wfsync push --target {escape(result.target.name)}"
    )


def down(
    ctx: typer.Context,
    name: NameOption = DEFAULT_NAME,
    target_name: TargetOption = None,
    config: ConfigOption = None,
    output: OutputOption = None,
) -> None:
    """Delete the cluster and remove its target from wfsync.yaml (absent cluster: says so, exit 0)."""
    with command(ctx, output, FORMATS, "cluster down") as (term, chosen):
        from wfsync.commands.cluster import run_down

        with term.progress(f"cluster down {name}") as bar:
            result = run_down(
                name,
                cwd=Path.cwd(),
                config=config,
                target_name=target_name,
                note=lambda message: bar.update(note=message),
            )
        if chosen is OutputFormat.JSON:
            term.json(
                "cluster down",
                {
                    "cluster": {"name": name},
                    "step": _step_json(result.step),
                    "target": _target_json(result.target),
                },
            )
            return
        _print_step(term, result.step)
        _print_target(term, result.target)


def status(
    ctx: typer.Context,
    name: NameOption = DEFAULT_NAME,
    target_name: TargetOption = None,
    config: ConfigOption = None,
    output: OutputOption = None,
) -> None:
    """Cluster, Argo version and readiness, target: exit 0 ready, 1 not ready or absent, 3 tools missing."""
    with command(ctx, output, FORMATS, "cluster status") as (term, chosen):
        from wfsync.commands.cluster import run_status

        result = run_status(name, cwd=Path.cwd(), config=config, target_name=target_name)
        cluster = result.cluster
        if chosen is OutputFormat.JSON:
            term.json(
                "cluster status",
                {
                    "cluster": {"name": name, "context": cluster.context, "exists": cluster.exists},
                    "argoVersion": cluster.argo_version,
                    "deployments": [
                        {
                            "name": d.name,
                            "image": d.image,
                            "replicas": d.replicas,
                            "readyReplicas": d.ready_replicas,
                            "ready": d.ready,
                        }
                        for d in cluster.deployments
                    ],
                    "target": {
                        "name": result.target,
                        "present": result.target_present,
                        "config": str(result.config) if result.config else None,
                    },
                    "ready": result.ready,
                },
            )
        else:
            _print_status(term, result)
    if not result.ready:
        raise typer.Exit(int(ExitCode.FINDINGS))


def register(app: typer.Typer) -> None:
    """Add the command group to the app."""
    add_commands(
        app,
        {"up": up, "down": down, "status": status},
        group="cluster",
        help="A local kind cluster with Argo Workflows installed, and its target in wfsync.yaml.",
    )


def _step_json(step: Step) -> dict[str, object]:
    return {"what": step.what, "action": step.action.value, "detail": step.detail, "changed": step.changed}


def _target_json(change: TargetChange) -> dict[str, object]:
    return {
        "name": change.name,
        "action": change.action.value,
        "config": str(change.path) if change.path else None,
        "createdFile": change.created_file,
        "defaultCleared": change.default_cleared,
        "spec": change.spec,
    }


def _print_step(term: Terminal, step: Step) -> None:
    detail = f" ({escape(step.detail)})" if step.detail else ""
    term.print(f"{escape(step.what)}: {step.action.value}{detail}")


def _print_target(term: Terminal, change: TargetChange) -> None:
    from wfsync.harness.kind import Action

    if change.path is None:
        if change.action is Action.ABSENT and change.spec and not change.default_cleared:
            term.print(
                "no wfsync.yaml around this folder, so none was changed (run inside a wfsync repository "
                "or pass --config FILE); the target is:"
            )
            lines = ["targets:", f"  {change.name}:"]
            lines += [f"    {key}: {_flow(value)}" for key, value in change.spec.items()]
            term.result(escape("\n".join(lines)))
        return
    where = escape(display_path(change.path))
    if change.created_file:
        term.print(f"created {where}")
    term.print(f"target {escape(change.name)} in {where}: {change.action.value}")
    if change.default_cleared:
        term.print(f"defaultTarget named {escape(change.name)}: removed (the default target is local again)")


def _flow(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _print_status(term: Terminal, result: StatusResult) -> None:
    cluster = result.cluster
    state = "exists" if cluster.exists else "absent (wfsync cluster up creates it)"
    term.result(f"cluster {escape(cluster.name)} (context {escape(cluster.context)}): {state}")
    if cluster.exists:
        term.result(f"Argo Workflows: {escape(cluster.argo_version or 'not installed')}")
        from wfsync.harness.kind import DEPLOYMENTS

        for name in DEPLOYMENTS:
            found = cluster.deployment(name)
            if found is None:
                term.result(f"{name}: missing")
            else:
                word = "ready" if found.ready else "not ready"
                term.result(f"{name}: {word} ({found.ready_replicas}/{found.replicas})")
    if result.target_present is None or result.config is None:
        term.result(f"target {escape(result.target)}: no wfsync.yaml around this folder")
    else:
        where = escape(display_path(result.config))
        word = "present" if result.target_present else "missing (wfsync cluster up adds it)"
        term.result(f"target {escape(result.target)} in {where}: {word}")
    term.result("ready" if result.ready else "not ready")
