"""``wfsync run``: run a workflow locally and show its node tree (or the Workflow as JSON/YAML)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from wfsync.cli import nodetree
from wfsync.cli.common import boundary, terminal
from wfsync.cli.run_options import (
    AllowHostWritesOption,
    AllowNetworkOption,
    EntrypointOption,
    FileArgument,
    LogsOption,
    NodeOption,
    ParameterFileOption,
    ParameterOption,
    ReportOption,
    ResumeAfterOption,
    RunOutputOption,
    RunTargetOption,
    RuntimeOption,
    StrictImagesOption,
    WithOption,
    WorkflowArgument,
)
from wfsync.cli.terminal import OutputFormat, Terminal, check_output
from wfsync.errors import ExitCode

if TYPE_CHECKING:
    from wfsync.engine.htmlreport import LogCollector
    from wfsync.engine.run import RunResult
    from wfsync.engine.status import WorkflowStatus

FORMATS = ("text", "json", "yaml")


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``resume`` to the app."""
    app.command("run")(run)
    app.command("resume")(resume)


def run(
    ctx: typer.Context,
    file: FileArgument,
    parameter: ParameterOption = None,
    parameter_file: ParameterFileOption = None,
    entrypoint: EntrypointOption = None,
    with_paths: WithOption = None,
    output: RunOutputOption = None,
    logs: LogsOption = False,
    target: RunTargetOption = None,
    allow_network: AllowNetworkOption = False,
    runtime: RuntimeOption = "auto",
    strict_images: StrictImagesOption = False,
    allow_host_writes: AllowHostWritesOption = False,
    resume_after: ResumeAfterOption = None,
    report: ReportOption = None,
) -> None:
    """Run a workflow on this machine with the Argo controller's semantics."""
    term = terminal(ctx)
    fmt = output or term.output.value
    with boundary(term):
        check_output(fmt, FORMATS)
        from wfsync.commands.run import run_workflow
        from wfsync.engine.htmlreport import LogCollector

        collected = LogCollector() if report is not None else None
        with _watch(term, fmt, logs) as changed:
            result = run_workflow(
                file,
                cwd=Path.cwd(),
                parameters=parameter or [],
                parameter_file=parameter_file,
                entrypoint=entrypoint,
                with_paths=with_paths or [],
                log=_log_sink(fmt, logs, collected),
                target=target,
                allow_network=allow_network,
                runtime=runtime,
                strict_images=strict_images,
                allow_host_writes=allow_host_writes,
                resume_after=resume_after,
                interactive=sys.stdin.isatty(),
                notify=term.warning,
                on_change=changed,
            )
        render(term, fmt, result)
        if report is not None and collected is not None:
            _write_report(term, report, result, collected)
    _exit(term, result)


def resume(ctx: typer.Context, workflow: WorkflowArgument, node: NodeOption = None) -> None:
    """Resume a local run's suspended nodes, as `argo resume` does."""
    term = terminal(ctx)
    with boundary(term):
        from wfsync.commands.run import resume_workflow

        resume_workflow(Path.cwd(), workflow, node)
        term.print(f"asked {escape(workflow)} to resume" + (f" node {escape(node)}" if node else ""))


def _log_sink(fmt: str, logs: bool, collected: LogCollector | None) -> Callable[[str, str], None] | None:
    """Where pod logs go: the terminal under ``--logs`` (stderr unless text), the report's collector."""
    if not logs and collected is None:
        return None
    log_out = sys.stdout if fmt == "text" else sys.stderr

    def show_log(node: str, text: str) -> None:
        if collected is not None:
            collected(node, text)
        if not logs:
            return
        for line in text.splitlines():
            log_out.write(f"{node}: {line}\n")
        log_out.flush()

    return show_log


@contextlib.contextmanager
def _watch(term: Terminal, fmt: str, logs: bool) -> Iterator[Callable[[WorkflowStatus], None]]:
    """Show the run's progress while it lasts; yields the callback each status change goes to.

    A live redraw where styles are allowed; a line per finished node when not on a terminal (CI
    logs); a terminal without colour keeps the plain progress line.
    """
    live = (
        nodetree.live_view(term)
        if fmt == "text" and not logs and (term.color or not term.out.is_terminal)
        else None
    )
    watch = contextlib.ExitStack()
    bar = watch.enter_context(term.progress("run")) if live is None and fmt == "text" else None
    latest: list[WorkflowStatus] = []

    def changed(status: WorkflowStatus) -> None:
        latest[:] = [status]
        if live is not None:
            live.update(status)

    if bar is not None:
        bar.describe = lambda: f"{latest[0].phase}, {latest[0].progress()} nodes" if latest else "starting"
    try:
        yield changed
    finally:
        if live is not None:
            live.stop()
        watch.close()


def _exit(term: Terminal, result: RunResult) -> None:
    """The run's exit code: 3 interrupted or unsupported, 1 failed, 0 succeeded."""
    if result.interrupted:
        running = ", ".join(result.running) or "none"
        term.error(f"interrupted ({result.interrupted}): every pod was stopped (nodes running: {running})")
        raise typer.Exit(int(ExitCode.INCOMPLETE))
    unsupported = [n for n in result.status.nodes.values() if n.message.startswith("unsupported:")]
    if unsupported:
        term.error(f"{unsupported[0].name}: {unsupported[0].message}")
        raise typer.Exit(int(ExitCode.INCOMPLETE))
    if not result.succeeded:
        raise typer.Exit(int(ExitCode.FINDINGS))


def _write_report(term: Terminal, path: Path, result: RunResult, logs: LogCollector) -> None:
    """The HTML page of the run (written whatever its verdict: a failed run is what one reads)."""
    from wfsync.engine.htmlreport import render as page

    notes = list(result.status.notes)
    if logs.left_out:
        notes.append(f"the logs of {logs.left_out} nodes were left out of this page (over its size budget)")
    try:
        path.write_text(page(result.status, logs.items(), notes), encoding="utf-8")
    except OSError as err:
        from wfsync.errors import UsageError

        raise UsageError(f"--report {path}: cannot write: {err.strerror or err}") from None
    term.info(f"report written to {path}")


def render(term: Terminal, fmt: str, result: RunResult) -> None:
    """Write the result: the Workflow object (json/yaml) or the tree (text)."""
    if fmt == "json":  # the Workflow object, with the schemaVersion every JSON document carries
        term.json("run", result.workflow)
        return
    if fmt == "yaml":
        import yaml

        sys.stdout.write(yaml.safe_dump(result.workflow, sort_keys=False, allow_unicode=True))
        return
    nodetree.text(term, result.status, result.substitutions, workflow=result.workflow)


# keep the OutputFormat import used for type checkers that look at the global option
_ = OutputFormat
