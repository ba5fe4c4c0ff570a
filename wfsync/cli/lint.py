"""``wfsync lint``: render a lint report as text, JSON or GitHub annotations."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from wfsync.cli.common import OutputOption, command
from wfsync.cli.terminal import OutputFormat, Terminal, display_path
from wfsync.errors import ExitCode
from wfsync.model.findings import Finding, Severity

if TYPE_CHECKING:
    from wfsync.lint.linter import LintReport

FORMATS = (OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.GITHUB)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("lint")
    def lint(
        ctx: typer.Context,
        paths: Annotated[
            list[Path] | None, typer.Argument(help="Files or folders (default: the library).")
        ] = None,
        output: OutputOption = None,
        no_cache: Annotated[
            bool, typer.Option("--no-cache", help="Ignore and do not write .wfsync/cache.")
        ] = False,
        list_rules: Annotated[bool, typer.Option("--list-rules", help="List the rules and exit.")] = False,
    ) -> None:
        """Check templates offline: schema, Argo's validation rules and references across files."""
        with command(ctx, output, FORMATS) as (term, fmt):
            if list_rules:
                _list_rules(term, fmt)
                return
            from wfsync.commands.lint import run_lint

            with term.progress("lint") as bar:
                bar.describe = lambda: "checking files"
                report = run_lint(paths or [], cwd=Path.cwd(), use_cache=not no_cache)
            render(term, fmt, report)
        if report.errors:
            raise typer.Exit(int(ExitCode.FINDINGS))


def _list_rules(term: Terminal, fmt: OutputFormat) -> None:
    from wfsync.lint.rules import RULES

    if fmt is OutputFormat.JSON:
        term.json("lint.rules", {"rules": [{"id": k, "description": v} for k, v in RULES.items()]})
        return
    term.result(f"[bold]{'RULE':24} DESCRIPTION[/bold]")
    for rule, description in RULES.items():
        term.result(f"{rule:24} {escape(description)}")


def render(term: Terminal, fmt: OutputFormat, report: LintReport) -> None:
    """Write the report in the chosen format."""
    if fmt is OutputFormat.JSON:
        term.json(
            "lint",
            {
                "summary": summary(report),
                "findings": [f.to_json() for f in report.findings],
                "skipped": [s.to_json() for s in report.skipped],
            },
        )
    elif fmt is OutputFormat.GITHUB:
        for finding in report.findings:
            term.out.file.write(github_annotation(finding) + "\n")
        term.print(_summary_line(report), markup=False)
    else:
        _text(term, report)


def summary(report: LintReport) -> dict[str, object]:
    """Totals for JSON output."""
    return {
        "files": report.files,
        "documents": report.documents,
        "skipped": len(report.skipped),
        "errors": report.errors,
        "warnings": report.warnings,
        "seconds": round(report.seconds, 4),
        "cachedFiles": report.cached_files,
    }


def _text(term: Terminal, report: LintReport) -> None:
    by_file: dict[Path, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_file[finding.path].append(finding)
    for path, findings in by_file.items():
        term.result(f"[bold]{escape(display_path(path))}[/bold]")
        for f in findings:
            colour = "red" if f.severity is Severity.ERROR else "yellow"
            where = f"{f.line}:{f.column}" if f.column else str(f.line)
            detail = f"{f.rule} at {f.json_path}" if f.json_path else f.rule
            term.result(
                f"  {where:>6}  [{colour}]{f.severity.value:7}[/{colour}] {escape(f.message)}  [dim]({escape(detail)})[/dim]"
            )
            for line in source_frame(f):
                term.result(f"          [dim]|[/dim] {escape(line)}")
    if term.verbose:
        for skip in report.skipped:
            term.info(
                f"skipped {skip.path}:{skip.line}: {skip.kind} {skip.name!r} is not an Argo kind wfsync checks"
            )
    mark = "[red]✗[/red]" if report.errors else "[green]✓[/green]"
    term.print(f"{mark} {escape(_summary_line(report))}")  # quiet: the exit code says it


FRAME_WIDTH = 120
"""Longest excerpt shown; longer lines are cut around the column."""


def source_frame(finding: Finding) -> list[str]:
    """The finding's source line and a caret under its column, as compilers print them ([] without source)."""
    text = finding.excerpt.rstrip("\r\n")
    if not text.strip():
        return []
    column = max(1, min(finding.column or 1, len(text) + 1))
    start = 0
    if len(text) > FRAME_WIDTH:
        start = max(0, min(column - 1 - FRAME_WIDTH // 2, len(text) - FRAME_WIDTH))
        text = text[start : start + FRAME_WIDTH]
    pad = "".join("\t" if c == "\t" else " " for c in text[: column - 1 - start])
    return [text, pad + "^"]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _summary_line(report: LintReport) -> str:
    problems = len(report.findings)
    files_with = len({f.path for f in report.findings})
    head = (
        f"{_plural(problems, 'problem')} ({report.errors} errors, {report.warnings} warnings) "
        f"in {_plural(files_with, 'file')}"
        if problems
        else "no problems"
    )
    checked = report.documents - len(report.skipped)
    skipped = f", {_plural(len(report.skipped), 'other document')} skipped" if report.skipped else ""
    return (
        f"{head}: {_plural(checked, 'document')} in {_plural(report.files, 'file')} "
        f"checked in {report.seconds:.2f}s{skipped}"
    )


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github_annotation(finding: Finding) -> str:
    """A GitHub Actions workflow command that annotates the file and line."""
    level = {"error": "error", "warning": "warning"}.get(finding.severity.value, "notice")
    props = [f"file={_escape_property(display_path(finding.path))}", f"line={finding.line}"]
    if finding.column:
        props.append(f"col={finding.column}")
    props.append(f"title={_escape_property('wfsync ' + finding.rule)}")
    message = finding.message + (f" ({finding.json_path})" if finding.json_path else "")
    return f"::{level} {','.join(props)}::{_escape_data(message)}"
