"""``wfsync fmt``: rewrite files in canonical form, or list the ones that would change."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from wfsync.cli.common import OutputOption, command
from wfsync.cli.terminal import OutputFormat, display_path
from wfsync.errors import ExitCode

FORMATS = (OutputFormat.TEXT, OutputFormat.JSON)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("fmt")
    def fmt(
        ctx: typer.Context,
        paths: Annotated[
            list[Path] | None, typer.Argument(help="Files or folders (default: the library).")
        ] = None,
        check: Annotated[
            bool, typer.Option("--check", help="Change nothing; exit 1 if a file would change.")
        ] = False,
        output: OutputOption = None,
    ) -> None:
        """Format YAML canonically: indentation and Argo key order, comments kept."""
        with command(ctx, output, FORMATS) as (term, chosen):
            from wfsync.commands.fmt import run_fmt

            result = run_fmt(paths or [], cwd=Path.cwd(), check=check)
            if chosen is OutputFormat.JSON:
                term.json(
                    "fmt",
                    {
                        "check": check,
                        "files": result.files,
                        "changed": [display_path(p) for p in result.changed],
                        "errors": [
                            {"file": display_path(e.path), "line": e.line, "message": e.message}
                            for e in result.errors
                        ],
                        "skipped": [
                            {"file": display_path(e.path), "line": e.line, "message": e.message}
                            for e in result.skipped
                        ],
                    },
                )
            else:
                verb = "would reformat" if check else "reformatted"
                for path in result.changed:
                    term.result(f"{verb} {escape(display_path(path))}")
                for err in result.errors:
                    term.error(f"{display_path(err.path)}:{err.line}: {err.message}")
                for skip in result.skipped:
                    term.warning(f"{display_path(skip.path)}:{skip.line}: {skip.message}")
                term.print(
                    f"{len(result.changed)} of {result.files} files {verb.replace('would reformat', 'would change')}"
                    + (f", {len(result.errors)} could not be formatted" if result.errors else "")
                    + (f", {len(result.skipped)} left as they are" if result.skipped else "")
                )
        if result.errors:
            raise typer.Exit(int(ExitCode.USAGE))
        if check and result.changed:
            raise typer.Exit(int(ExitCode.FINDINGS))
