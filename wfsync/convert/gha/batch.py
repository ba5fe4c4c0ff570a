"""A run of ``convert github-actions`` over many files: finding them, naming and writing outputs, the report.

The command wires options to these; conversion itself (:mod:`.api`) never writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wfsync.convert.gha.plans import Conversion
from wfsync.convert.gha.report import AuditReport, render_report
from wfsync.errors import ExitCode, UsageError
from wfsync.library.standard import Needs

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
    library: Needs | None = None
    """Standard library families the output calls, and which the project has (``wfsync library``)."""

    @property
    def exit_code(self) -> ExitCode:
        """0 all converted (and, with ``--run``, Succeeded), 1 incomplete or failed, 2 unreadable."""
        if self.files and all(
            f.text is None and not f.conversion.report.error.startswith("internal error") for f in self.files
        ):
            return ExitCode.USAGE  # no input could be read (a converter bug is a finding, 1)
        ran_ok = all(w.run in ("", "Succeeded") for w in self.audit.workflows)
        return ExitCode.CLEAN if self.audit.complete and ran_ok else ExitCode.FINDINGS

    def add(self, item: ConvertedFile, source: Path, out_dir: Path | None, taken: set[str]) -> None:
        """Record one file; with ``out_dir``, a converted one gets its output path (unique name)."""
        if out_dir is not None and item.text is not None:
            item.path = out_dir / output_name(source, taken)
            item.conversion.report.output = item.path
        self.files.append(item)
        self.audit.workflows.append(item.conversion.report)


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


def output_name(path: Path, taken: set[str]) -> str:
    """``<stem>.yaml``, else ``<folder>-<stem>.yaml``, else numbered: never one already in ``taken``."""
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


def write_outputs(files: Sequence[ConvertedFile], out_dir: Path) -> None:
    """Write each converted file to its output path (a usage error names the folder)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for item in files:
            if item.path is not None and item.text is not None:
                item.path.write_text(item.text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{out_dir}: cannot write: {err.strerror}") from None


def write_report(audit: AuditReport, path: Path) -> None:
    """Write the audit report (its format from the suffix: .json, .md, otherwise text)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_report(audit, path), encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{path}: cannot write the report: {err.strerror}") from None
