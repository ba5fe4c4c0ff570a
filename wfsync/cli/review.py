"""``wfsync review``, ``version bump`` and ``history``: render template reviews as text, JSON or Markdown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from wfsync.cli.common import OutputOption, add_commands, boundary, command, terminal
from wfsync.cli.terminal import OutputFormat, Terminal, check_output
from wfsync.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from wfsync.review.report import Review

REVIEW_FORMATS = (OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.MARKDOWN)
FORMATS = (OutputFormat.TEXT, OutputFormat.JSON)
COLOURS = {"breaking": "red", "feature": "green", "fix": "cyan", "cosmetic": "dim"}


def review(
    ctx: typer.Context,
    base: Annotated[
        str | None,
        typer.Option("--base", help="Git ref of the base (default: merge-base with the default branch)."),
    ] = None,
    head: Annotated[
        str | None, typer.Option("--head", help="Git ref of the head (default: the working tree).")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="Also find callers (and drift) in this target.")
    ] = None,
    callers: Annotated[
        list[Path] | None,
        typer.Option("--callers", help="A folder of workflows that call the library (repeatable)."),
    ] = None,
    output: OutputOption = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ignore and do not write .wfsync/cache.")
    ] = False,
) -> None:
    """Review a library change: classify each template's change, its callers, versions and lint.

    Exit 0 clean, 1 findings (a version label that does not fit the change, lint errors).
    """
    with command(ctx, output, REVIEW_FORMATS) as (term, fmt):
        from wfsync.commands.review import run_review

        result = run_review(
            Path.cwd(), base=base, head=head, target=target, callers=callers or (), use_cache=not no_cache
        )
        render(term, fmt, result)
    if result.findings:
        raise typer.Exit(int(ExitCode.FINDINGS))


def bump(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="Templates (default: every changed one).")] = None,
    auto: Annotated[bool, typer.Option("--auto", help="The bump each change needs (default).")] = False,
    major: Annotated[bool, typer.Option("--major")] = False,
    minor: Annotated[bool, typer.Option("--minor")] = False,
    patch: Annotated[bool, typer.Option("--patch")] = False,
    base: Annotated[str | None, typer.Option("--base", help="Git ref to compare with (as review).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would be written.")] = False,
    output: OutputOption = None,
) -> None:
    """Raise version labels in the working tree (comments and layout kept)."""
    with command(ctx, output, FORMATS) as (term, fmt):
        levels = [n for n, on in (("auto", auto), ("major", major), ("minor", minor), ("patch", patch)) if on]
        if len(levels) > 1:
            raise UsageError(f"choose one of --auto, --major, --minor, --patch (got {', '.join(levels)})")
        level = None if not levels or levels[0] == "auto" else levels[0]
        from wfsync.commands.review import run_bump

        done = run_bump(Path.cwd(), names or [], level, base=base, dry_run=dry_run)
        if fmt is OutputFormat.JSON:
            term.json("version bump", {"dryRun": dry_run, "bumped": [b.to_json() for b in done]})
        elif not done:
            term.result("no version to bump")
        for b in done if fmt is OutputFormat.TEXT else ():
            verb = "would bump" if dry_run else "bumped"
            term.result(
                f"{verb} {escape(b.name)}: {b.old or '(none)'} -> {b.new} ({b.change_class}, {escape(b.where)})"
            )


def history(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Template (metadata.name).")],
    output: OutputOption = None,
) -> None:
    """A template's versions from git, with the classification of each change."""
    with command(ctx, output, FORMATS) as (term, fmt):
        from wfsync.commands.review import run_history

        entries = run_history(Path.cwd(), name)
        if fmt is OutputFormat.JSON:
            term.json("history", {"name": name, "entries": [e.to_json() for e in entries]})
            return
        for e in entries:
            colour = COLOURS.get(e.change_class, "")
            label = f"[{colour}]{e.change_class}[/{colour}]" if colour else e.change_class
            term.result(
                f"{e.commit}  {e.date[:10]}  {escape(e.version or '-'):10} {label:10}  {escape(e.summary)}"
            )
            for reason in e.reasons[:8] if term.verbose or len(e.reasons) <= 3 else e.reasons[:3]:
                term.result(f"    {escape(reason)}")


def register(app: typer.Typer) -> None:
    """Add ``review``, ``version bump``, ``history`` and ``graph``."""
    register_graph(app)

    app.command("review")(review)
    add_commands(
        app, {"bump": bump}, group="version", help="Template versions (the wfsync.io/version label)."
    )
    app.command("history")(history)


def render(term: Terminal, fmt: OutputFormat, result: Review) -> None:
    """Print a review in the chosen format."""
    if fmt is OutputFormat.JSON:
        term.json("review", result.to_json())
        return
    if fmt is OutputFormat.MARKDOWN:
        from wfsync.review.markdown import render as markdown

        sys.stdout.write(markdown(result))
        sys.stdout.flush()
        return
    counts = ", ".join(f"{n} {c}" for c, n in result.counts().items() if n) or "no changes"
    term.result(f"review {escape(result.base)} -> {escape(result.head)}: {counts}")
    for item in result.changed:
        colour = COLOURS.get(item.change_class.value, "")
        term.result(
            f"[{colour}]{item.change_class.value:9}[/{colour}] {escape(item.name)} ({item.status}, {escape(item.where)})"
        )
        if item.version_finding:
            term.result(f"  [red]version:[/red] {escape(item.version_finding)}")
        for reason in item.classified.reasons:
            term.result(f"  {reason.change_class.value:9} {escape(reason.message)}")
        if item.callers:
            shown = ", ".join(c.where for c in item.callers[:5])
            more = f" and {len(item.callers) - 5} more" if len(item.callers) > 5 else ""
            term.result(f"  callers: {escape(shown)}{more}")
    for f in result.lint:
        term.result(f"lint {f.severity}: {escape(str(f.path))}:{f.line}: {f.rule}: {escape(f.message)}")
    for d in result.drift:
        term.result(f"[magenta]drift[/magenta] {escape(d)}")
    if result.findings:
        term.result(f"[red]{result.findings} finding(s)[/red]")


GRAPH_FORMATS = ("mermaid", "dot", "svg", "html")


def graph(
    ctx: typer.Context,
    what: Annotated[str, typer.Argument(help="A workflow or template file, or a library template's name.")],
    output: Annotated[str, typer.Option("--output", "-o", help="mermaid, dot, svg or html.")] = "mermaid",
    template: Annotated[str | None, typer.Option("--template", help="Only this steps/DAG template.")] = None,
) -> None:
    """Draw the steps and DAG templates of a workflow or template."""
    term = terminal(ctx)
    with boundary(term):
        check_output(output, GRAPH_FORMATS)
        from wfsync.commands.review import run_graph
        from wfsync.review import pictures
        from wfsync.review.graph import mermaid

        graphs = run_graph(Path.cwd(), what, template)
        if output == "svg" and len(graphs) > 1:
            names = ", ".join(str(t["name"]) for _, t in graphs)
            raise UsageError(f"{what} has {len(graphs)} graphs ({names}): choose one with --template")
        if output == "mermaid":
            text = "\n\n".join(f"%% {title}\n{mermaid(t)}" for title, t in graphs)
        elif output == "dot":
            text = "\n\n".join(pictures.dot(title, t) for title, t in graphs)
        elif output == "svg":
            text = pictures.svg(*graphs[0])
        else:
            text = pictures.html(what, graphs)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def register_graph(app: typer.Typer) -> None:
    """Add ``graph``."""
    app.command("graph")(graph)
