"""``wfsync convert make``: a Makefile's goals as an Argo DAG (registered on the ``convert`` group)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from wfsync.cli.common import OutputOption, boundary, terminal
from wfsync.cli.terminal import OutputFormat, Terminal

if TYPE_CHECKING:
    from wfsync.commands.convert_make import MakeResult

FORMATS = (OutputFormat.TEXT, OutputFormat.JSON)


def make(
    ctx: typer.Context,
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Goals (default: the Makefile's default goal) and NAME=VALUE variables."),
    ] = None,
    directory: Annotated[Path, typer.Option("-C", "--directory", help="Run make in this folder.")] = Path(),
    makefile: Annotated[
        str | None, typer.Option("-f", "--file", help="The makefile, relative to -C.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Write the YAML file here (else to stdout).")
    ] = None,
    mode: Annotated[
        str,
        typer.Option("--mode", help="dag: edges from prerequisites; serial: chained in the order make ran."),
    ] = "dag",
    image: Annotated[str | None, typer.Option("--image", help="Image the recipes run in.")] = None,
    template: Annotated[
        bool,
        typer.Option("--template", help="Emit a WorkflowTemplate; NAME=VALUE variables become parameters."),
    ] = False,
    dry_run_recipes: Annotated[
        bool,
        typer.Option("--dry-run-recipes", help="Take recipes from make -n instead of a recorded real run."),
    ] = False,
    jobs: Annotated[
        int | None, typer.Option("-j", "--jobs", min=1, help="make -j N: the workflow's parallelism.")
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify", help="Run make and the workflow (local engine) in two copies and compare them."
        ),
    ] = False,
    output: OutputOption = None,
) -> None:
    """Convert a Makefile to an Argo DAG: exit 0 converted (and equal), 1 findings, 2 bad input."""
    term = terminal(ctx)
    with boundary(term):
        fmt = term.resolve_output(output, FORMATS)
        from wfsync.commands.convert_make import run_convert_make
        from wfsync.convert.make import MakeRequest

        given = targets or []
        request = MakeRequest(
            directory=directory,
            makefile=makefile,
            goals=[t for t in given if "=" not in t],
            variables=[t for t in given if "=" in t],
            mode=mode,
            image=image,
            template=template,
            dry_run_recipes=dry_run_recipes,
            jobs=jobs,
        )
        result = run_convert_make(request, out_dir=out_dir, verify=verify)
        _render(term, fmt, result, out_dir)
    raise typer.Exit(int(result.exit_code))


def _render(term: Terminal, fmt: OutputFormat, result: MakeResult, out_dir: Path | None) -> None:
    """The conversion report and verification, as JSON or text (the YAML itself on stdout without ``--out-dir``)."""
    if fmt is OutputFormat.JSON:
        payload = result.conversion.to_json()
        if result.verification is not None:
            payload["verify"] = result.verification.to_json()
        if out_dir is None:
            payload["document"] = result.text
        else:
            payload["path"] = str(result.path)
        term.json("convert.make", payload)
    else:
        if out_dir is None:
            sys.stdout.write(result.text)
            sys.stdout.flush()
            show = term.err.print
        else:
            show = term.print
        for line in result.conversion.report_lines():
            show(escape(line), highlight=False)
        if result.path is not None:
            term.print(f"wrote {escape(str(result.path))}")
        check = result.verification
        if check is not None:
            if check.equal:
                show(
                    f"verify: equal to make (make exit {check.make_status}, workflow {check.workflow_phase})"
                )
            else:
                show(f"verify: {len(check.differences)} difference(s) from make", highlight=False)
                for difference in check.differences:
                    show(escape(f"  {difference}"), highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``make`` to the ``convert`` group."""
    app.command("make", context_settings={"allow_extra_args": False})(make)
