"""``wfsync diff``, ``push`` and ``status``: render plans and push results as text, JSON or Markdown."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from wfsync.cli.common import OutputOption, TargetOption, add_commands, command
from wfsync.cli.terminal import OutputFormat, Terminal
from wfsync.errors import ExitCode, UsageError
from wfsync.secrets import mask, mask_text

if TYPE_CHECKING:
    from wfsync.commands.diff import DiffResult, ObjectDiff
    from wfsync.commands.push import PreparedPush
    from wfsync.commands.status import ManagedObject, StatusResult
    from wfsync.commands.syncstate import SyncState
    from wfsync.sync.apply import ApplyResult
    from wfsync.sync.plan import Change

RefOption = Annotated[
    str | None, typer.Option("--ref", help="Use the library as it is at this git commit, branch or tag.")
]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Ignore and do not write .wfsync/cache.")]
DIFF_FORMATS = (OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.MARKDOWN)
PUSH_FORMATS = (OutputFormat.TEXT, OutputFormat.JSON)
SYMBOLS = {
    "create": ("+", "green"),
    "update": ("~", "yellow"),
    "unchanged": ("=", "dim"),
    "drift": ("!", "magenta"),
    "conflict": ("!", "red"),
    "prune": ("-", "red"),
}


def diff(
    ctx: typer.Context,
    target: TargetOption = None,
    ref: RefOption = None,
    with_unified: Annotated[bool, typer.Option("--unified", help="Also show a unified YAML diff.")] = False,
    output: OutputOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Show what a push would change in the target: exit 0 in sync, 1 differences, 3 could not complete."""
    from pathlib import Path

    with command(ctx, output, DIFF_FORMATS) as (term, fmt):
        from wfsync.commands.diff import run_diff

        with term.progress("diff") as bar:
            bar.describe = lambda: "reading the library and the target"
            result = run_diff(
                Path.cwd(), target=target, ref=ref, with_unified=with_unified, use_cache=not no_cache
            )
        render_diff(term, fmt, result)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def push(
    ctx: typer.Context,
    target: TargetOption = None,
    ref: RefOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Send everything as a server-side dry run; store nothing.")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete this library's objects that are no longer in it.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (needed without a TTY).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite objects edited outside git (drift).")
    ] = False,
    output: OutputOption = None,
    no_cache: NoCacheOption = False,
    callers: Annotated[
        list[Path] | None,
        typer.Option(
            "--callers",
            help="Folder or file of workflows calling the library: templates they use are not pruned.",
        ),
    ] = None,
) -> None:
    """Lint, show the plan, then apply it: exit 0 applied or nothing to do, 1 lint errors, 3 incomplete."""
    from pathlib import Path

    with command(ctx, output, PUSH_FORMATS) as (term, fmt):
        from wfsync.commands.push import prepare_push

        with prepare_push(
            Path.cwd(),
            target=target,
            ref=ref,
            prune=prune,
            force=force,
            use_cache=not no_cache,
            callers=callers or (),
        ) as prepared:
            if prepared.state is None:
                _lint_failed(term, fmt, prepared)
                raise typer.Exit(int(ExitCode.FINDINGS))
            if fmt is OutputFormat.TEXT and not term.quiet:  # quiet: the exit code says it all
                _plan_text(term, prepared.state, show_unchanged=False)
            result = _apply(term, prepared, dry_run=dry_run, yes=yes)
            code = int(prepared.exit_code(result))
            if fmt is OutputFormat.JSON:
                term.json("push", _push_json(prepared, result, dry_run))
            else:
                _push_text(term, prepared, result, dry_run)
    if code:
        raise typer.Exit(code)


def status(
    ctx: typer.Context,
    target: TargetOption = None,
    output: OutputOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """This library's objects in the target: version, source commit, drift, still in the library."""
    from pathlib import Path

    with command(ctx, output, PUSH_FORMATS) as (term, fmt):
        from wfsync.commands.status import run_status

        result = run_status(Path.cwd(), target=target, use_cache=not no_cache)
        render_status(term, fmt, result)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def register(app: typer.Typer) -> None:
    """Add ``diff``, ``push`` and ``status``."""
    add_commands(app, {"diff": diff, "push": push, "status": status})


# -- diff -------------------------------------------------------------------------------------------


def render_diff(term: Terminal, fmt: OutputFormat, result: DiffResult) -> None:
    """Write a diff in the chosen format."""
    state = result.state
    if fmt is OutputFormat.JSON:
        term.json(
            "diff",
            {
                **_where(state),
                "inSync": result.in_sync,
                "summary": state.plan.counts,
                "objects": [o.to_json() for o in result.objects],
            },
        )
    elif fmt is OutputFormat.MARKDOWN:
        term.out.file.write(diff_markdown(result))
    else:
        _plan_text(term, state, show_unchanged=term.verbose, objects=result.objects)


def _where(state: SyncState) -> dict[str, object]:
    return {
        "target": state.target.name,
        "cluster": state.cluster.description,
        "ref": state.library.ref,
        "sourceCommit": state.library.commit or None,
    }


def _source_line(state: SyncState) -> str:
    lib = state.library
    commit = (
        lib.commit[:12] + ("-dirty" if lib.commit.endswith("-dirty") else "") if lib.commit else "not in git"
    )
    source = f"--ref {lib.ref} ({commit})" if lib.ref else f"working tree ({commit})"
    return f"library {source} -> target {state.target.name} ({state.cluster.description})"


def _plan_text(
    term: Terminal, state: SyncState, *, show_unchanged: bool, objects: tuple[ObjectDiff, ...] | None = None
) -> None:
    from wfsync.commands.diff import describe

    term.print(escape(_source_line(state)), style="bold")
    details = objects or tuple(describe(c, with_unified=False) for c in state.plan.changes)
    for item in details:
        change = item.change
        if change.action.value == "unchanged" and not show_unchanged:
            continue
        symbol, colour = SYMBOLS[change.action.value]
        where = f"  [dim]{escape(change.desired.where)}[/dim]" if change.desired else ""
        term.result(
            f"[{colour}]{symbol} {change.action.value:9}[/{colour}] {escape(str(change.identity))}{where}"
        )
        if change.reason:
            term.result(f"      [dim]{escape(mask_text(change.reason))}[/dim]")
        if change.blocked:
            term.result(f"      [dim]not applied: {escape(mask_text(change.blocked))}[/dim]")
        for field in item.fields:
            term.result("      " + escape(_field_line(field.path, field.change, field.before, field.after)))
        if item.unified:
            term.out.print(escape(item.unified.rstrip("\n")), markup=True, highlight=False)
    term.print(escape(_summary(state)))


def _field_line(path: str, change: str, before: object, after: object, indent: str = "          ") -> str:
    if change == "added":
        return f"+ {path}: {_short(after)}"
    if change == "removed":
        return f"- {path}: {_short(before)}"
    if isinstance(before, str) and isinstance(after, str) and ("\n" in before or "\n" in after):
        return f"~ {path}:\n" + "\n".join(f"{indent}{line}" for line in _changed_lines(before, after))
    return f"~ {path}: {_short(before)} -> {_short(after)}"


def _changed_lines(before: str, after: str, limit: int = 20) -> list[str]:
    """The lines a multi-line value (a script, a manifest) changed, as ``-``/``+`` lines."""
    import difflib

    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    lines = [line for line in diff if line[:1] in "+-" and not line.startswith(("---", "+++"))]
    if len(lines) > limit:
        lines = [*lines[:limit], f"... {len(lines) - limit} more changed lines (--unified shows all)"]
    return [line if len(line) <= 120 else line[:117] + "..." for line in lines]


def _short(value: object, limit: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _summary(state: SyncState) -> str:
    counts = state.plan.counts
    if state.plan.in_sync:
        return f"in sync: {counts['unchanged']} objects unchanged"
    parts = [f"{n} {action}" for action, n in counts.items() if n and action != "unchanged"]
    return f"{', '.join(parts)}; {counts['unchanged']} unchanged"


def diff_markdown(result: DiffResult) -> str:
    """A Markdown report: a verdict, a table of changed objects, field changes per object (values masked)."""
    state = result.state
    lines = [f"### wfsync diff: {state.target.name}", "", escape_md(_source_line(state)), ""]
    if result.in_sync:
        lines += [f"In sync: {state.plan.counts['unchanged']} objects unchanged.", ""]
        return "\n".join(lines)
    lines += ["| action | object | source | note |", "|---|---|---|---|"]
    for item in result.objects:
        c = item.change
        if c.action.value == "unchanged":
            continue
        note = mask_text(c.reason or (f"not applied: {c.blocked}" if c.blocked else ""))
        source = c.desired.where if c.desired else ""
        lines.append(f"| {c.action.value} | `{c.identity}` | {escape_md(source)} | {escape_md(note)} |")
    lines.append("")
    for item in result.objects:
        if not item.fields and not item.unified:
            continue
        lines += [
            f"<details><summary>{item.change.action.value} <code>{item.change.identity}</code></summary>",
            "",
        ]
        if item.fields:
            lines.append("```diff")
            lines += [
                _field_line(f.path, f.change, f.before, f.after, "").replace("```", "'''")
                for f in item.fields
            ]
            lines.append("```")
        if item.unified:
            lines += ["```diff", item.unified.rstrip("\n").replace("```", "'''"), "```"]
        lines += ["", "</details>", ""]
    lines.append(escape_md(_summary(state)))
    return "\n".join(lines) + "\n"


def escape_md(text: str) -> str:
    """Escape table separators and HTML in Markdown cells."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


# -- push -------------------------------------------------------------------------------------------


def _lint_failed(term: Terminal, fmt: OutputFormat, prepared: PreparedPush) -> None:
    from wfsync.cli.lint import render, summary

    if fmt is OutputFormat.JSON:
        term.json(
            "push",
            {
                "applied": [],
                "complete": False,
                "lint": {
                    "summary": summary(prepared.lint),
                    "findings": [f.to_json() for f in prepared.lint.findings],
                },
            },
        )
    else:
        render(term, OutputFormat.TEXT, prepared.lint)
    term.error(f"lint found {prepared.lint.errors} error(s) in the library: nothing was pushed")


def _confirm(term: Terminal, state: SyncState, count: int, yes: bool) -> None:
    """Ask on a TTY; without one, require --yes instead of hanging. ``confirm: true`` targets ask even with --yes."""
    interactive = sys.stdin.isatty()
    if yes and not (state.target.confirm and interactive):
        return
    if not interactive:
        raise UsageError(
            f"push would write {count} object(s) to target {state.target.name!r} and there is no terminal to "
            "confirm on: review the plan (wfsync diff) and run 'wfsync push --yes'"
        )
    if not typer.confirm(
        f"Apply {count} change(s) to target {state.target.name!r}?", default=False, err=True
    ):
        term.error("nothing was pushed")
        raise typer.Exit(int(ExitCode.INCOMPLETE))


def _apply(term: Terminal, prepared: PreparedPush, *, dry_run: bool, yes: bool) -> ApplyResult | None:
    """Write what the plan says, after confirmation unless a dry run (None: nothing to write)."""
    from wfsync.commands.push import execute_push

    todo = prepared.to_write
    if not todo or prepared.state is None:
        return None
    if not dry_run:
        _confirm(term, prepared.state, len(todo), yes)
    with term.progress("push", total=len(todo), unit="objects") as bar:
        return execute_push(
            prepared, dry_run=dry_run, progress=lambda c, verb: bar.advance(1, f"{verb} {c.identity}")
        )


def _ident_json(change: Change) -> dict[str, object]:
    i = change.identity
    return {"kind": i.kind, "namespace": i.namespace or None, "name": i.name}


def _push_json(prepared: PreparedPush, result: ApplyResult | None, dry_run: bool) -> dict[str, object]:
    from wfsync.commands.diff import describe

    state = prepared.state
    assert state is not None
    failed = None
    if result is not None and result.failed is not None:
        failed = {**_ident_json(result.failed[0]), "error": mask_text(str(result.failed[1]))}
    return {
        **_where(state),
        "dryRun": dry_run,
        "summary": state.plan.counts,
        "plan": [
            describe(c, with_unified=False).to_json()
            for c in state.plan.changes
            if c.action.value != "unchanged"
        ],
        "applied": [{**_ident_json(c), "verb": verb} for c, verb in (result.applied if result else [])],
        "skipped": [{**_ident_json(c), "reason": why} for c, why in (result.skipped if result else [])]
        if result
        else [
            {**_ident_json(c), "reason": c.reason or c.blocked}
            for c in prepared.refused + prepared.blocked_prunes
        ],
        "failed": failed,
        "notAttempted": [_ident_json(c) for c in (result.not_attempted if result else [])],
        "warnings": [mask_text(w) for w in (result.warnings if result else [])],
        "complete": prepared.exit_code(result) == ExitCode.CLEAN,
    }


def _push_text(term: Terminal, prepared: PreparedPush, result: ApplyResult | None, dry_run: bool) -> None:
    state = prepared.state
    assert state is not None
    mode = " (dry run: nothing stored)" if dry_run else ""
    if result is None:
        if prepared.refused or prepared.blocked_prunes:
            term.print("nothing written: every remaining difference was refused (see above)")
        else:
            term.print("nothing to do: the target already holds the library")
        for change in prepared.refused:
            term.error(f"{change.identity}: not pushed: {change.reason}")
        for change in prepared.blocked_prunes:
            term.error(f"{change.identity}: not pruned: {change.blocked}")
        return
    for change, verb in result.applied:
        term.print(f"{verb} {escape(str(change.identity))}{mode}")
    for warning in result.warnings:  # the server's Warning headers
        term.warning(f"server warning: {mask_text(warning)}")
    if result.failed is not None:
        change, err = result.failed
        term.error(f"{change.identity}: {mask_text(str(err))}")
        term.error(
            f"push stopped: {len(result.applied)} object(s) written before the failure"
            + (f" ({', '.join(str(c.identity) for c, _ in result.applied)})" if result.applied else "")
            + f", {change.identity} failed, {len(result.not_attempted)} not attempted"
            + (
                f" ({', '.join(str(c.identity) for c in result.not_attempted[:10])}{', ...' if len(result.not_attempted) > 10 else ''})"
                if result.not_attempted
                else ""
            )
            + "; run 'wfsync push' again to converge"
        )
    for change in prepared.refused:
        term.error(f"{change.identity}: not pushed: {change.reason}")
    for change in prepared.blocked_prunes:
        term.error(f"{change.identity}: not pruned: {change.blocked}")
    if result.failed is None:
        term.print(f"pushed {len(result.applied)} change(s) to target {state.target.name}{mode}")


# -- status -----------------------------------------------------------------------------------------


def render_status(term: Terminal, fmt: OutputFormat, result: StatusResult) -> None:
    """Write the managed objects."""
    if fmt is OutputFormat.JSON:
        term.json(
            "status",
            {
                "target": result.target,
                "cluster": result.cluster,
                "libraryCommit": result.library_commit or None,
                "objects": [mask(o.to_json()) for o in result.objects],
                "notPushed": [
                    {"kind": i.kind, "namespace": i.namespace or None, "name": i.name} for i in result.missing
                ],
            },
        )
        return
    term.print(escape(f"target {result.target} ({result.cluster})"), style="bold")
    if not result.objects and not result.missing:
        term.print("no objects of this library in the target")
        return
    rows: list[tuple[str, str, str, str]] = []
    for obj in result.objects:
        flags = []
        if obj.drift:
            flags.append("[magenta]drift[/magenta]")
        if not obj.in_library:
            flags.append("[red]not in library[/red]")
        elif not obj.up_to_date:
            flags.append("[yellow]differs from library[/yellow]")
        if term.quiet and not flags:  # quiet: only what needs attention
            continue
        # labels and annotations of a live object: anyone may have set them
        rows.append(
            (
                escape(str(obj.identity)),
                escape(mask_text(obj.version or "-")),
                escape(mask_text(_commit_cell(obj, result.library_commit))),
                " ".join(flags) or "[green]ok[/green]",
            )
        )
    rows += [(escape(str(i)), "-", "-", "[dim]not pushed yet[/dim]") for i in result.missing]
    if not rows:
        return
    width = max(60, *(len(r[0]) for r in rows))
    term.result(f"[bold]{'OBJECT':{width}} {'VERSION':10} {'SOURCE COMMIT':18} STATE[/bold]")
    for name, version, commit, state in rows:
        term.result(f"{name:{width}} {version:10} {commit:18} {state}")


def _commit_cell(obj: ManagedObject, library_commit: str) -> str:
    """The commit an object was pushed from.

    One pushed before any commit shows the commit whose content it holds now (``= abc123``: the
    library is committed and unchanged since), else ``uncommitted``.
    """
    if obj.source_commit:
        return obj.source_commit[:12] + ("-dirty" if obj.source_commit.endswith("-dirty") else "")
    if obj.up_to_date and library_commit and not library_commit.endswith("-dirty"):
        return f"= {library_commit[:12]}"
    return "uncommitted"
