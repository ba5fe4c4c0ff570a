"""``wfsync convert github-actions`` (and, later, ``convert make``): a Typer sub-app."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from wfsync.cli.common import OutputOption, boundary, terminal
from wfsync.cli.terminal import OutputFormat, Terminal

FORMATS = (OutputFormat.TEXT, OutputFormat.JSON)

convert_app = typer.Typer(
    name="convert",
    help="Convert CI pipelines into Argo workflows that call the template library.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@convert_app.command("github-actions")
def github_actions(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Workflow files or folders (searched recursively).")],
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Write one YAML file per workflow here (else to stdout).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the audit report: .json, .md, otherwise text.")
    ] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Extra rule packs (folder or file); they win over built-ins."),
    ] = None,
    template: Annotated[
        bool, typer.Option("--template", help="Emit WorkflowTemplates instead of Workflows.")
    ] = False,
    starter: Annotated[
        bool,
        typer.Option(
            "--starter",
            help="Replace GitHub starter-workflow placeholders ($default-branch, $protected-branches, $cron-daily, $cron-weekly) with GitHub's defaults; without it they are an input error.",
        ),
    ] = False,
    run: Annotated[
        bool,
        typer.Option(
            "--run", help="Run each converted workflow with the local engine; the phase goes in the audit."
        ),
    ] = False,
    event: Annotated[
        Path | None,
        typer.Option("--event", help="With --run: the event payload (JSON), e.g. workflow_dispatch inputs."),
    ] = None,
    event_name: Annotated[
        str,
        typer.Option(
            "--event-name", help="With --run: github.event_name (push, pull_request, ...); default push."
        ),
    ] = "push",
    actor: Annotated[str, typer.Option("--actor", help="With --run: github.actor.")] = "",
    repository: Annotated[
        str, typer.Option("--repository", help="With --run: github.repository (owner/name).")
    ] = "",
    env: Annotated[
        list[str] | None, typer.Option("--env", help="With --run: KEY=VALUE added to every run: step's env.")
    ] = None,
    secret: Annotated[
        list[str] | None, typer.Option("--secret", help="With --run: KEY=VALUE for the secrets context.")
    ] = None,
    output: OutputOption = None,
) -> None:
    """Convert GitHub Actions workflows to Argo: exit 0 all converted, 1 incomplete, 2 bad input."""
    term = terminal(ctx)
    with boundary(term):
        fmt = term.resolve_output(output, FORMATS)
        from wfsync.commands.convert import run_convert_github_actions, run_settings

        with term.progress("convert") as bar:  # a folder of workflows, or --run, takes a while
            bar.describe = lambda: "converting"
            result = run_convert_github_actions(
                paths,
                out_dir=out_dir,
                report=report,
                rules=rules or [],
                template=template,
                starter=starter,
                run=run_settings(
                    Path.cwd(),
                    event=event,
                    event_name=event_name,
                    actor=actor,
                    repository=repository,
                    env=env or (),
                    secrets=secret or (),
                )
                if run
                else None,
            )
        if fmt is OutputFormat.JSON:
            payload = result.audit.to_json()
            if result.library is not None:
                from wfsync.commands.library import needs_json

                payload["library"] = needs_json(result.library)
            if out_dir is None:
                payload["documents"] = [f.text for f in result.files if f.text is not None]
            term.json("convert.github-actions", payload)
        else:
            _render_text(term, result, to_stdout=out_dir is None)
    raise typer.Exit(int(result.exit_code))


def _render_text(term: Terminal, result: object, *, to_stdout: bool) -> None:
    from wfsync.commands.convert import ConvertResult
    from wfsync.commands.library import needs_lines
    from wfsync.convert.gha.report import summary_lines, workflow_lines

    assert isinstance(result, ConvertResult)
    ran = any(w.run for w in result.audit.workflows)
    if to_stdout:
        texts = [f.text for f in result.files if f.text is not None]
        sys.stdout.write("---\n".join(texts))
        sys.stdout.flush()
        lines = [line for w in result.audit.workflows for line in workflow_lines(w)]
        if not term.quiet:
            for line in [*lines, *summary_lines(result.audit), *needs_lines(result.library, ran=ran)]:
                term.err.print(escape(line), highlight=False)
        return
    for w in result.audit.workflows:
        for line in workflow_lines(w):
            term.print(escape(line))
    for line in [*summary_lines(result.audit), *needs_lines(result.library, ran=ran)]:
        term.print(escape(line))  # quiet: the exit code says whether every workflow converted
    if result.report_path is not None:
        term.print(f"report: {escape(str(result.report_path))}")


def register(app: typer.Typer) -> None:
    """Add ``convert`` with its commands."""
    from wfsync.cli.convert_make import register as register_make

    register_make(convert_app)
    app.add_typer(convert_app, name="convert")
