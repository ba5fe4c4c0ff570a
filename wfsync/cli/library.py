"""``wfsync library list|add|update``: the packaged standard library in a project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from wfsync.cli.common import OutputOption, add_commands, command
from wfsync.cli.terminal import OutputFormat
from wfsync.errors import ExitCode

FORMATS = (OutputFormat.TEXT, OutputFormat.JSON)


def list_(ctx: typer.Context, output: OutputOption = None) -> None:
    """Packaged families with their version, and the version this project vendors."""
    with command(ctx, output, FORMATS) as (term, chosen):
        from wfsync.commands.library import list_library

        rows = list_library(Path.cwd())
        if chosen is OutputFormat.JSON:
            term.json(
                "library list",
                {
                    "templates": [
                        {
                            "name": r.name,
                            "packaged": r.packaged,
                            "vendored": r.vendored,
                            "path": str(r.path) if r.path else None,
                            "state": r.state,
                        }
                        for r in rows
                    ]
                },
            )
            return
        term.result(f"{'NAME':18} {'PACKAGED':9} {'VENDORED':9} STATE")
        for r in rows:
            term.result(f"{r.name:18} {r.packaged:9} {r.vendored or '-':9} {r.state}")


def add(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None, typer.Argument(help="Families to add (see wfsync library list).")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Add every packaged family.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a file of the same name that differs.")
    ] = False,
    output: OutputOption = None,
) -> None:
    """Copy packaged families into the project's library folder; never over a different file."""
    with command(ctx, output, FORMATS) as (term, chosen):
        from wfsync.commands.library import add_library

        done = add_library(Path.cwd(), names or [], every=every, force=force)
        skipped = [d for d in done if d.action == "skipped"]
        if chosen is OutputFormat.JSON:
            term.json(
                "library add",
                {
                    "templates": [
                        {
                            "name": d.name,
                            "action": d.action,
                            "path": str(d.path),
                            "version": d.version,
                            **({"reason": d.reason} if d.reason else {}),
                        }
                        for d in done
                    ]
                },
            )
        else:
            for d in done:
                if d.action == "skipped":
                    # shown under --quiet too: it is why the exit code is 1
                    term.err.print(f"[yellow]warning:[/yellow] {escape(f'{d.name}: skipped: {d.reason}')}")
                else:
                    term.result(f"{d.action:9} {d.name} {d.version}  {escape(str(d.path))}")
        if skipped:
            raise typer.Exit(int(ExitCode.FINDINGS))


def update(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None, typer.Argument(help="Families to update (default: all vendored).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes, write nothing.")] = False,
    output: OutputOption = None,
) -> None:
    """Show each vendored family's semantic diff and version change, then write the packaged one."""
    with command(ctx, output, FORMATS) as (term, chosen):
        from wfsync.commands.library import update_library

        updates = update_library(Path.cwd(), names or [], dry_run=dry_run)
        if chosen is OutputFormat.JSON:
            term.json(
                "library update",
                {
                    "dryRun": dry_run,
                    "templates": [
                        {
                            "name": u.name,
                            "path": str(u.path),
                            "from": u.before,
                            "to": u.after,
                            "changes": u.changes,
                            "written": u.written,
                        }
                        for u in updates
                    ],
                },
            )
        else:
            if not updates:
                term.result("no vendored standard templates (add some with wfsync library add)")
            for u in updates:
                if not u.changed:
                    term.result(f"{u.name} {u.after}: up to date")
                    continue
                verb = "would update" if dry_run else "updated"
                term.result(f"{verb} {u.name} {u.before or '?'} -> {u.after}  {escape(str(u.path))}")
                for change in u.changes:
                    term.result(f"  {change['change']:8} {escape(str(change['path']))}")
        if dry_run and any(u.changed for u in updates):
            raise typer.Exit(int(ExitCode.FINDINGS))


def register(app: typer.Typer) -> None:
    """Add the command group to the app."""
    add_commands(
        app,
        {"list": list_, "add": add, "update": update},
        group="library",
        help="The standard template library wfsync ships: list, vendor into the project, update.",
    )
