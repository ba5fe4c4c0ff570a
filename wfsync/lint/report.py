"""What lint returns: options in, per-file results (cached) and the run's report out."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from wfsync.lint.index import DocumentSummary
from wfsync.lint.rules.call_facts import CallFacts
from wfsync.model.findings import Finding, Severity


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A document lint does not check (another kind), reported so nothing passes unseen."""

    path: str
    line: int
    kind: str
    name: str

    def to_json(self) -> dict[str, str | int]:
        """JSON form for reports."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class FileResult:
    """Everything per-file that lint caches."""

    findings: tuple[Finding, ...]
    summaries: tuple[DocumentSummary, ...]
    skipped: tuple[Skipped, ...]
    documents: int
    calls: tuple[CallFacts, ...] = ()


@dataclasses.dataclass(frozen=True)
class LintReport:
    """The outcome of one lint run."""

    findings: tuple[Finding, ...]
    files: int
    documents: int
    skipped: tuple[Skipped, ...]
    seconds: float
    cached_files: int = 0

    @property
    def errors(self) -> int:
        """Number of error findings (what decides the exit code)."""
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        """Number of warnings."""
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)


@dataclasses.dataclass(frozen=True)
class LintOptions:
    """How to lint: where the library is (for library-only rules), cache, policy."""

    library: Path | None = None
    root: Path | None = None
    cache_dir: Path | None = None
    disable: frozenset[str] = frozenset()
    warn: frozenset[str] = frozenset()
    context: tuple[Path, ...] = ()
    """Extra files or folders whose templates resolve references but are not reported on."""
    jobs: int | None = None
    """Worker processes for files not in the cache (None: one per core when there are many)."""
