"""``wfsync init``: scaffold a repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from wfsync.cli.common import OutputOption, command
from wfsync.cli.terminal import OutputFormat

FORMATS = (OutputFormat.TEXT, OutputFormat.JSON)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("init")
    def init(
        ctx: typer.Context,
        directory: Annotated[Path, typer.Argument(help="Folder to scaffold (created if missing).")] = Path(),
        with_library: Annotated[
            bool,
            typer.Option(
                "--with-library/--no-library",
                help="Copy the standard template library (see wfsync library list) into library/.",
            ),
        ] = True,
        output: OutputOption = None,
    ) -> None:
        """Scaffold wfsync.yaml, library/ (with the standard library) and a CI workflow; never overwrites a file."""
        with command(ctx, output, FORMATS) as (term, chosen):
            from wfsync.commands.init import run_init

            result = run_init(directory, with_library=with_library)
            if chosen is OutputFormat.JSON:
                term.json(
                    "init",
                    {
                        "root": str(result.root),
                        "created": [str(p) for p in result.created],
                        "updated": [str(p) for p in result.updated],
                    },
                )
                return
            for rel in result.created:
                term.print(f"created {escape(str(directory / rel))}")
            for rel in result.updated:
                term.print(f"updated {escape(str(directory / rel))}")
            term.print("next: wfsync lint")
