"""``wfsync convert github-actions`` (and, later, ``convert make``): a Typer sub-app."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from wfsync.cli.common import OutputOption, boundary, terminal
from wfsync.cli.terminal import OutputFormat, Terminal

if TYPE_CHECKING:
    from wfsync.commands.convert import ConvertResult

FORMATS = (OutputFormat.TEXT, OutputFormat.JSON)

convert_app = typer.Typer(
    name="convert",
    help="Convert CI pipelines into Argo workflows that call the template library.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


PathsArgument = Annotated[
    list[Path], typer.Argument(help="Workflow files or folders (searched recursively).")
]
OutDirOption = Annotated[
    Path | None, typer.Option("--out-dir", help="Write one YAML file per workflow here (else to stdout).")
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Write the audit report: .json, .md, otherwise text.")
]
RulesOption = Annotated[
    list[Path] | None,
    typer.Option("--rules", help="Extra rule packs (folder or file); they win over built-ins."),
]
TemplateOption = Annotated[
    bool, typer.Option("--template", help="Emit WorkflowTemplates instead of Workflows.")
]
StarterOption = Annotated[
    bool,
    typer.Option(
        "--starter",
        help="Replace GitHub starter-workflow placeholders ($default-branch, $protected-branches, $cron-daily, $cron-weekly) with GitHub's defaults; without it they are an input error.",
    ),
]
RunOption = Annotated[
    bool,
    typer.Option(
        "--run", help="Run each converted workflow with the local engine; the phase goes in the audit."
    ),
]
EventOption = Annotated[
    Path | None,
    typer.Option("--event", help="With --run: the event payload (JSON), e.g. workflow_dispatch inputs."),
]
EventNameOption = Annotated[
    str,
    typer.Option(
        "--event-name", help="With --run: github.event_name (push, pull_request, ...); default push."
    ),
]
ActorOption = Annotated[str, typer.Option("--actor", help="With --run: github.actor.")]
RepositoryOption = Annotated[
    str, typer.Option("--repository", help="With --run: github.repository (owner/name).")
]
EnvOption = Annotated[
    list[str] | None, typer.Option("--env", help="With --run: KEY=VALUE added to every run: step's env.")
]
ExpandMakeOption = Annotated[
    bool,
    typer.Option(
        "--expand-make",
        help="Replace a `run: make X` step by the DAG of X read from the repository's Makefile (make -n at conversion time).",
    ),
]
RepoOption = Annotated[
    Path | None,
    typer.Option(
        "--repo",
        help="With --expand-make: the repository the workflows belong to (default: the folder holding .github); no Makefile outside it is read.",
    ),
]
SecretOption = Annotated[
    list[str] | None, typer.Option("--secret", help="With --run: KEY=VALUE for the secrets context.")
]


@convert_app.command("github-actions")
def github_actions(
    ctx: typer.Context,
    paths: PathsArgument,
    out_dir: OutDirOption = None,
    report: ReportOption = None,
    rules: RulesOption = None,
    template: TemplateOption = False,
    starter: StarterOption = False,
    run: RunOption = False,
    event: EventOption = None,
    event_name: EventNameOption = "push",
    actor: ActorOption = "",
    repository: RepositoryOption = "",
    env: EnvOption = None,
    secret: SecretOption = None,
    expand_make: ExpandMakeOption = False,
    repo: RepoOption = None,
    output: OutputOption = None,
) -> None:
    """Convert GitHub Actions workflows to Argo: exit 0 all converted, 1 incomplete, 2 bad input."""
    term = terminal(ctx)
    with boundary(term):
        fmt = term.resolve_output(output, FORMATS)
        from wfsync.commands.convert import ExpandMake, run_convert_github_actions, run_settings
        from wfsync.errors import UsageError

        if repo is not None and not expand_make:
            raise UsageError("--repo names the repository for --expand-make; give --expand-make too")

        settings = (
            run_settings(
                Path.cwd(),
                event=event,
                event_name=event_name,
                actor=actor,
                repository=repository,
                env=env or (),
                secrets=secret or (),
            )
            if run
            else None
        )
        with term.progress("convert") as bar:  # a folder of workflows, or --run, takes a while
            bar.describe = lambda: "converting"
            result = run_convert_github_actions(
                paths,
                out_dir=out_dir,
                report=report,
                rules=rules or [],
                template=template,
                starter=starter,
                run=settings,
                expand_make=ExpandMake(repo) if expand_make else None,
            )
        if fmt is OutputFormat.JSON:
            _render_json(term, result, to_stdout=out_dir is None)
        else:
            _render_text(term, result, to_stdout=out_dir is None)
    raise typer.Exit(int(result.exit_code))


def _render_json(term: Terminal, result: ConvertResult, *, to_stdout: bool) -> None:
    from wfsync.commands.library import needs_json

    payload = result.audit.to_json()
    if result.library is not None:
        payload["library"] = needs_json(result.library)
    if to_stdout:
        payload["documents"] = [f.text for f in result.files if f.text is not None]
    term.json("convert.github-actions", payload)


def _render_text(term: Terminal, result: ConvertResult, *, to_stdout: bool) -> None:
    from wfsync.commands.library import needs_lines
    from wfsync.convert.gha.report import summary_lines, workflow_lines

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
