"""``wfsync submit``, ``stop`` and ``verify``: run on a real Argo, follow it, compare it with the local engine."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from wfsync.cli import nodetree
from wfsync.cli.common import TargetOption, add_commands, boundary, terminal
from wfsync.cli.run_options import EntrypointOption, ParameterFileOption, ParameterOption
from wfsync.cli.terminal import Terminal, check_output
from wfsync.errors import ExitCode
from wfsync.model import values

if TYPE_CHECKING:
    from wfsync.commands.submit import Submitted, TemplateCheck
    from wfsync.engine.status import Node, WorkflowStatus

FORMATS = ("text", "json", "yaml")
LIVE_FPS = 4.0
"""Redraws a second of the live tree at most: a 500-node tree stays cheap to follow."""

OutputOption = Annotated[
    str | None, typer.Option("--output", "-o", help="text, json or yaml (the final Workflow object).")
]


def submit(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(help="Workflow (or WorkflowTemplate) YAML; or use --from.", show_default=False),
    ] = None,
    from_ref: Annotated[
        str | None,
        typer.Option("--from", help="Submit from a template on the target: KIND/NAME (workflowtemplate/ci)."),
    ] = None,
    parameter: ParameterOption = None,
    parameter_file: ParameterFileOption = None,
    entrypoint: EntrypointOption = None,
    target: TargetOption = None,
    watch: Annotated[
        bool, typer.Option("--watch", "-w", help="Follow it to the end (the node tree).")
    ] = False,
    logs: Annotated[
        bool, typer.Option("--logs", help="Follow it and stream pod logs, prefixed by node.")
    ] = False,
    push_templates: Annotated[
        bool,
        typer.Option(
            "--push-templates", help="Push the library templates it refers to when missing or older."
        ),
    ] = False,
    output: OutputOption = None,
) -> None:
    """Run a workflow on real Argo: exit 0 Succeeded, 1 Failed/Error, 3 unreachable/forbidden/interrupted."""
    term = terminal(ctx)
    fmt = output or term.output.value
    with boundary(term):
        check_output(fmt, FORMATS)
        from wfsync.commands.submit import SubmitRequest, submit_workflow

        request = SubmitRequest(file, from_ref, parameter or [], parameter_file, entrypoint, push_templates)
        submitted = submit_workflow(Path.cwd(), request, target)
        _templates(term, submitted.templates)
        if not (watch or logs):
            _render(term, fmt, submitted.workflow, None)
            return
        if fmt == "text":
            term.result(f"submitted {escape(submitted.name)}")
        phase = _follow(term, fmt, submitted, logs)
    if phase != "Succeeded":
        raise typer.Exit(int(ExitCode.FINDINGS))


def stop(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the workflow on the target.")],
    target: TargetOption = None,
    message: Annotated[str, typer.Option("--message", help="Why (recorded on the workflow).")] = "",
) -> None:
    """Stop a workflow as `argo stop` does: its exit handlers still run."""
    term = terminal(ctx)
    with boundary(term):
        from wfsync.commands.submit import stop_workflow

        transport = stop_workflow(Path.cwd(), name, target, message)
        if term.wants_json:
            term.json("stop", {"name": name, "stopped": True, "where": transport.workflows.description})
        else:
            term.print(f"asked {escape(name)} to stop ({escape(transport.workflows.description)})")


def verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Workflow (or WorkflowTemplate) YAML.")],
    target: TargetOption = None,
    parameter: ParameterOption = None,
    parameter_file: ParameterFileOption = None,
    entrypoint: EntrypointOption = None,
    output: OutputOption = None,
) -> None:
    """Run locally and on the target, compare: exit 0 no differences, 1 differences, 3 target could not run it."""
    term = terminal(ctx)
    fmt = output or term.output.value
    with boundary(term):
        check_output(fmt, ("text", "json"))
        from wfsync.commands.submit import verify_workflow

        def remote(submitted: Submitted) -> None:
            term.print(
                f"[dim]running {escape(submitted.name)} on {escape(submitted.transport.workflows.description)}[/dim]"
            )

        with term.progress("verify") as bar:
            bar.describe = lambda: "running locally, then on the target"
            result = verify_workflow(
                Path.cwd(),
                file,
                target,
                parameters=parameter or [],
                parameter_file=parameter_file,
                entrypoint=entrypoint,
                on_remote=remote,
            )
        if fmt == "json":
            term.json(
                "verify",
                {
                    "workflow": result.name,
                    "phase": result.phase,
                    "nodes": result.nodes,
                    "differences": [d.to_json() for d in result.differences],
                },
            )
        elif result.differences:
            for difference in result.differences:  # values come from pods: shown, never interpreted
                term.result(nodetree.literal(str(difference)), markup=False)
            term.print(
                f"{len(result.differences)} difference(s) between the local engine and {escape(result.name)}"
            )
        else:
            term.result(f"no differences: both {result.phase}, {result.nodes} nodes", markup=False)
    if result.differences:
        raise typer.Exit(int(ExitCode.FINDINGS))


def register(app: typer.Typer) -> None:
    """Add ``submit``, ``stop`` and ``verify``."""
    add_commands(app, {"submit": submit, "stop": stop, "verify": verify})


def _templates(term: Terminal, check: TemplateCheck) -> None:
    for ident, verb in check.pushed:
        term.print(f"{verb} {escape(str(ident))} (--push-templates)")
    if check.skipped:
        term.info(check.skipped)


class _Listener:
    """Renders a follow: the live tree on a terminal, node lines elsewhere (stderr), log lines."""

    def __init__(self, term: Terminal, fmt: str, logs: bool) -> None:
        self.term = term
        self.view: nodetree.LiveTree | nodetree.NodeLines | None = None
        if fmt != "json" and not term.quiet:
            # the live tree only for text without logs: it owns stdout while it runs
            live = fmt == "text" and not logs
            self.view = nodetree.live_view(term, max_fps=LIVE_FPS) if live else nodetree.NodeLines(term)
        self.log_out = sys.stdout if fmt == "text" else sys.stderr
        self.lock = threading.Lock()

    def status(self, status: WorkflowStatus) -> None:
        if self.view is not None:
            self.view.update(status)

    def node_done(self, node: Node) -> None:
        """The views find finished nodes themselves."""

    def log(self, node: str, line: str) -> None:
        # a pod writes what it likes: control characters are shown as escapes, never sent to the terminal
        text = nodetree.literal(f"{node}: {line.expandtabs()}")
        with self.lock:
            self.log_out.write(text + "\n")
            self.log_out.flush()

    def note(self, message: str) -> None:
        self.term.warning(message)

    def stop(self) -> None:
        if self.view is not None:
            self.view.stop()


def _follow(term: Terminal, fmt: str, submitted: Submitted, logs: bool) -> str:
    """Follow the workflow to its end and render it; its final phase (interruptions exit 3 here)."""
    from wfsync.cluster.api import ClusterError
    from wfsync.commands.submit import still_running, unfinished
    from wfsync.harness.follow import follow

    listener = _Listener(term, fmt, logs)
    try:
        result = follow(submitted.transport.workflows, submitted.workflow, listener, logs=logs)
    except ClusterError as err:
        raise unfinished(err, submitted.name, submitted.transport) from None
    finally:
        listener.stop()
    if result.interrupted:
        term.fail(
            still_running(submitted.name, submitted.transport), int(ExitCode.INCOMPLETE), code="interrupted"
        )
        raise typer.Exit(int(ExitCode.INCOMPLETE))
    _render(term, fmt, result.workflow, result.status)
    return result.status.phase


def _render(term: Terminal, fmt: str, workflow: dict[str, object], status: WorkflowStatus | None) -> None:
    """The Workflow object (json/yaml), else the final tree (or just the name of a workflow not followed)."""
    if fmt == "json":
        term.json("submit", workflow)
    elif fmt == "yaml":
        import yaml

        sys.stdout.write(yaml.safe_dump(workflow, sort_keys=False, allow_unicode=True))
    elif status is None:
        term.result(escape(str(values.at(workflow, "metadata", "name") or "")))
    else:
        nodetree.text(term, status, workflow=workflow)
