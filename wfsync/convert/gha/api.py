"""Convert one workflow file or text: never raises for a bad workflow, the report says ``failed``."""

from __future__ import annotations

import re
from pathlib import Path

from wfsync import safepath
from wfsync.convert.gha import composite
from wfsync.convert.gha.convert import Conversion, Converter
from wfsync.convert.gha.parse import InvalidWorkflow, ParseOptions, parse_workflow
from wfsync.convert.gha.plans import ExpandMake
from wfsync.convert.gha.report import WorkflowReport
from wfsync.convert.gha.rules import RuleSet
from wfsync.errors import InputError
from wfsync.library.yamlload import read_text_bounded

STARTER_PLACEHOLDERS = {
    "$default-branch": "main",
    "$protected-branches": "main",
    "$cron-daily": "0 0 * * *",
    "$cron-weekly": "0 0 * * 0",
}
"""Placeholders of GitHub's starter workflows, replaced before parsing (they are not valid YAML values otherwise)."""


_local_resolver = composite.local_resolver
"""Kept under its old name: the security tests read ``uses: ./...`` through it."""


def convert_text(
    text: str, path: Path, rules: RuleSet, *, template: bool = False, expand_make: ExpandMake | None = None
) -> Conversion:
    """Parse and convert; an invalid workflow or a converter bug gives a ``failed`` report."""
    report = WorkflowReport(path)
    try:
        options = ParseOptions(resolve=_local_resolver(path))
        workflow = parse_workflow(text, path, options)
    except safepath.PathEscapeError as err:
        raise _located(err, path, text) from None
    except InvalidWorkflow as err:
        report.error = "; ".join(err.lines()[:5]) + (
            f" (and {len(err.problems) - 5} more)" if len(err.problems) > 5 else ""
        )
        report.finish()
        return Conversion(path, None, [], report)
    try:
        return Converter(workflow, rules, template=template, expand_make=expand_make).convert()
    except safepath.PathEscapeError as err:  # hostile input: refused, never reported as converted
        raise _located(err, path, text) from None
    except Exception as err:  # one workflow's converter bug must not stop an audit of many
        report.error = f"internal error while converting: {type(err).__name__}: {err}"
        report.finish()
        return Conversion(path, None, [], report)


def _located(err: safepath.PathEscapeError, path: Path, text: str) -> safepath.PathEscapeError:
    """The error naming the workflow file, and the line of the ``uses:`` when the error has none."""
    line = err.line
    quoted = re.search(r"'([^']+)'", err.message)
    if line is None and quoted:
        line = next((n for n, row in enumerate(text.splitlines(), 1) if quoted[1] in row), None)
    return safepath.PathEscapeError(err.message, path=path, line=line)


def convert_file(
    path: Path,
    rules: RuleSet,
    *,
    template: bool = False,
    starter: bool = False,
    expand_make: ExpandMake | None = None,
) -> Conversion:
    """Read and convert one file (``starter`` replaces the starter-workflow placeholders)."""
    text = read_text_bounded(path)
    if starter:
        text = _PLACEHOLDER.sub(lambda found: STARTER_PLACEHOLDERS[found[0]], text)
    else:
        _refuse_placeholders(text, path)
    return convert_text(text, path, rules, template=template, expand_make=expand_make)


_PLACEHOLDER = re.compile("|".join(re.escape(p) + r"(?![\w-])" for p in STARTER_PLACEHOLDERS))


def _refuse_placeholders(text: str, path: Path) -> None:
    """A starter-workflow placeholder left in a workflow is an input error naming its line.

    Converted as it is, ``$cron-daily`` would be a schedule Argo rejects and ``$default-branch``
    a branch that never matches; ``--starter`` replaces them with GitHub's defaults.
    """
    for number, line in enumerate(text.splitlines(), 1):
        found = _PLACEHOLDER.search(line.split(" #", 1)[0] if not line.lstrip().startswith("#") else "")
        if found:
            raise InputError(
                f"starter-workflow placeholder {found[0]}: write the value, or give --starter to use "
                f"GitHub's ({found[0]} is {STARTER_PLACEHOLDERS[found[0]]!r})",
                path=path,
                line=number,
            )
