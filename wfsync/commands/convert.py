"""``wfsync convert github-actions``: find workflow files, convert each, format, write, report.

Conversion itself lives in :mod:`wfsync.convert.gha` and never formats or writes; here the Argo
documents get the canonical form of ``wfsync fmt`` and a header comment, and land in
``--out-dir`` (or are kept for stdout). The result keeps each conversion's YAML so that a later
``--run`` can hand it to the local engine.
"""

from __future__ import annotations

import functools
import io
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfsync.convert.gha import AuditReport, Conversion, RuleSet, convert_file, load_rules
from wfsync.convert.gha.report import render_report
from wfsync.errors import ExitCode, UsageError
from wfsync.fmt.formatter import canonicalize, new_yaml

SUFFIXES = (".yml", ".yaml")


@dataclass
class ConvertedFile:
    """One input and its output: the conversion and the formatted YAML (``None`` when failed)."""

    conversion: Conversion
    text: str | None
    path: Path | None = None


@dataclass
class ConvertResult:
    """Everything ``convert github-actions`` produced."""

    files: list[ConvertedFile] = field(default_factory=list)
    audit: AuditReport = field(default_factory=AuditReport)
    report_path: Path | None = None

    @property
    def exit_code(self) -> ExitCode:
        """0 all converted, 1 something incomplete, 2 nothing could be read as a workflow."""
        if self.files and all(f.text is None for f in self.files):
            return ExitCode.USAGE
        return ExitCode.CLEAN if self.audit.complete else ExitCode.FINDINGS


def find_workflows(paths: Sequence[Path]) -> list[Path]:
    """The workflow files named or found (recursively) under the given folders."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    if not found:
        raise UsageError("no workflow files (.yml, .yaml) found in " + ", ".join(str(p) for p in paths))
    return found


def _commented(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        return CommentedMap((k, _commented(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_commented(v) for v in value)
    return value


def render_yaml(conversion: Conversion) -> str:
    """The document as YAML in ``wfsync fmt``'s canonical form, with the header comment.

    The document is generated data, so it goes straight to the formatter's canonical ordering
    and emitter instead of through text (parse, re-emit, compare), which costs most of the time
    over many files; the tests check that ``wfsync fmt`` leaves the result unchanged.
    """
    assert conversion.document is not None
    document = _commented(conversion.document)
    canonicalize(document)
    buffer = io.StringIO()
    new_yaml().dump(document, buffer)
    header = "".join(f"# {line}\n" if line else "#\n" for line in conversion.header)
    return header + buffer.getvalue()


def run_convert_github_actions(
    paths: Sequence[Path],
    *,
    out_dir: Path | None = None,
    report: Path | None = None,
    rules: Sequence[Path] = (),
    template: bool = False,
    starter: bool = False,
) -> ConvertResult:
    """Convert every workflow under ``paths``; write outputs and the report file if asked."""
    started = time.perf_counter()
    files = find_workflows(paths)
    load_rules(rules)  # a bad pack is reported before any work starts
    result = ConvertResult(report_path=report)
    names: set[str] = set()
    jobs = [(path, tuple(rules), template, starter) for path in files]
    workers = min(os.cpu_count() or 1, 8)
    if len(files) >= PARALLEL_THRESHOLD and workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(_convert_one, jobs, chunksize=8))
    else:
        outcomes = [_convert_one(job) for job in jobs]
    for path, (conversion, text) in zip(files, outcomes, strict=True):
        item = ConvertedFile(conversion, text)
        if out_dir is not None and text is not None:
            name = _output_name(path, names)
            item.path = out_dir / name
            conversion.report.output = item.path
        result.files.append(item)
        result.audit.workflows.append(conversion.report)
    result.audit.seconds = time.perf_counter() - started
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            for item in result.files:
                if item.path is not None and item.text is not None:
                    item.path.write_text(item.text, encoding="utf-8")
        except OSError as err:
            raise UsageError(f"{out_dir}: cannot write: {err.strerror}") from None
    if report is not None:
        try:
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text(render_report(result.audit, report), encoding="utf-8")
        except OSError as err:
            raise UsageError(f"{report}: cannot write the report: {err.strerror}") from None
    return result


PARALLEL_THRESHOLD = 32
"""Below this many files, starting worker processes costs more than it saves."""


@functools.cache
def _rules(extra: tuple[Path, ...]) -> RuleSet:
    return load_rules(extra)


def _convert_one(job: tuple[Path, tuple[Path, ...], bool, bool]) -> tuple[Conversion, str | None]:
    """Convert and render one file (also in a worker process, which loads the rules once)."""
    path, extra, template, starter = job
    try:
        conversion = convert_file(path, _rules(extra), template=template, starter=starter)
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"{path}: cannot read: {err}") from None
    return conversion, render_yaml(conversion) if conversion.document is not None else None


def _output_name(path: Path, taken: set[str]) -> str:
    name = f"{path.stem}.yaml"
    if name in taken:
        name = f"{path.parent.name}-{path.stem}.yaml"
    n = 2
    base = name
    while name in taken:
        name = base.replace(".yaml", f"-{n}.yaml")
        n += 1
    taken.add(name)
    return name
