"""Convert one workflow file or text: never raises for a bad workflow, the report says ``failed``."""

from __future__ import annotations

from pathlib import Path

from wfsync.convert.gha.convert import Conversion, Converter
from wfsync.convert.gha.parse import InvalidWorkflow, ParseOptions, parse_workflow
from wfsync.convert.gha.report import WorkflowReport
from wfsync.convert.gha.rules import RuleSet
from wfsync.library.yamlload import read_text_bounded

STARTER_PLACEHOLDERS = {
    "$default-branch": "main",
    "$protected-branches": "main",
    "$cron-daily": "0 0 * * *",
    "$cron-weekly": "0 0 * * 0",
}
"""Placeholders of GitHub's starter workflows, replaced before parsing (they are not valid YAML values otherwise)."""


def _local_resolver(path: Path) -> object:
    root = path.resolve().parent
    while root != root.parent and root.name not in (".github",):
        root = root.parent
    repo = root.parent if root.name == ".github" else path.resolve().parent

    def resolve(uses: str) -> str | None:
        if not uses.startswith("./"):
            return None
        target = repo / uses[2:]
        try:
            return read_text_bounded(target)
        except OSError:
            return None

    return resolve


def convert_text(text: str, path: Path, rules: RuleSet, *, template: bool = False) -> Conversion:
    """Parse and convert; an invalid workflow or a converter bug gives a ``failed`` report."""
    report = WorkflowReport(path)
    try:
        options = ParseOptions(resolve=_local_resolver(path))  # type: ignore[arg-type]
        workflow = parse_workflow(text, path, options)
    except InvalidWorkflow as err:
        report.error = "; ".join(err.lines()[:5]) + (
            f" (and {len(err.problems) - 5} more)" if len(err.problems) > 5 else ""
        )
        report.finish()
        return Conversion(path, None, [], report)
    try:
        return Converter(workflow, rules, template=template).convert()
    except Exception as err:  # one workflow's converter bug must not stop an audit of many
        report.error = f"internal error while converting: {type(err).__name__}: {err}"
        report.finish()
        return Conversion(path, None, [], report)


def convert_file(path: Path, rules: RuleSet, *, template: bool = False, starter: bool = False) -> Conversion:
    """Read and convert one file (``starter`` replaces the starter-workflow placeholders)."""
    text = read_text_bounded(path)
    if starter:
        for key, value in STARTER_PLACEHOLDERS.items():
            text = text.replace(key, value)
    return convert_text(text, path, rules, template=template)
