"""Lint files: read, check each document, resolve references across all of them, cache.

The expensive part (YAML parsing and per-document checks, :mod:`wfsync.lint.document`) depends
only on a file's bytes, so its outcome is cached by content hash under ``.wfsync/cache``
(:mod:`wfsync.lint.cache`); a second run over unchanged files only hashes them and redoes the
cheap cross-document checks. The names other code imports from here stay here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from wfsync.library.bulk import PARALLEL_THRESHOLD, gc_paused, parallel_map
from wfsync.library.discover import find_yaml_files
from wfsync.library.yamlload import read_bounded
from wfsync.lint.cache import CACHE_FORMAT, LintCache
from wfsync.lint.document import (
    ARGO_KINDS,
    KEY_RULES,
    VERSION_LABEL,
    file_problem,
    lint_document,
    lint_text,
)
from wfsync.lint.index import DocumentSummary, cross_check
from wfsync.lint.positions import node_position
from wfsync.lint.report import FileResult, LintOptions, LintReport, Skipped
from wfsync.lint.rules.calls import CallFacts, check_calls
from wfsync.lint.rules.suggest import suggestion_in
from wfsync.model.findings import Finding, Severity, format_json_path

if TYPE_CHECKING:
    from wfsync.config import LintPolicy

__all__ = [
    "ARGO_KINDS",
    "CACHE_FORMAT",
    "KEY_RULES",
    "PARALLEL_THRESHOLD",
    "VERSION_LABEL",
    "FileResult",
    "LintOptions",
    "LintReport",
    "Skipped",
    "lint_document",
    "lint_library",
    "lint_paths",
    "lint_text",
    "node_position",
]


def lint_paths(paths: Sequence[Path], options: LintOptions) -> LintReport:
    """Lint files and folders; raises :class:`~wfsync.errors.UsageError` for unusable paths."""
    with gc_paused():
        return _lint_paths(paths, options)


def lint_library(folder: Path, root: Path, policy: LintPolicy, cache_dir: Path | None) -> LintReport:
    """The library ``folder`` (of repository ``root``) linted under the repository's lint policy."""
    options = LintOptions(
        library=folder, root=root, cache_dir=cache_dir, disable=policy.disable, warn=policy.warn
    )
    return lint_paths([folder], options)


def _lint_paths(paths: Sequence[Path], options: LintOptions) -> LintReport:
    started = time.perf_counter()
    files, problems = find_yaml_files(paths, root=options.root)
    cache = LintCache.open(options.cache_dir)
    library = options.library.resolve() if options.library is not None else None
    findings: list[Finding] = [file_problem(p) for p in problems]
    summaries: list[DocumentSummary] = []
    calls: list[CallFacts] = []
    skipped: list[Skipped] = []
    documents = 0
    cached = 0
    results = _lint_files(files, library, cache, options.jobs)
    for result, hit in results:
        cached += hit
        findings.extend(result.findings)
        summaries.extend(result.summaries)
        calls.extend(result.calls)
        skipped.extend(result.skipped)
        documents += result.documents
    context, context_calls = _context_summaries(options.context, set(files), cache)
    findings.extend(_cross_findings(summaries, context, calls, context_calls))
    cache.save()
    findings = _with_excerpts(_apply_policy(findings, options), set(files))
    return LintReport(
        tuple(sorted(findings, key=lambda f: (str(f.path), f.line, f.column or 0, f.rule, f.message))),
        len(files) + len(problems),
        documents,
        tuple(skipped),
        time.perf_counter() - started,
        cached,
    )


def _cross_findings(
    summaries: Sequence[DocumentSummary],
    context: Sequence[DocumentSummary],
    calls: Sequence[CallFacts],
    context_calls: Sequence[CallFacts],
) -> Iterator[Finding]:
    """Findings across documents: references, duplicates, arguments, volumes."""
    positions = {(c.path, c.line): c.positions for c in calls}
    for problem in cross_check(summaries, context):
        s = problem.summary
        json_path = format_json_path(problem.json_path)
        line, column = positions.get((s.path, s.line), {}).get(json_path, (problem.line, 1))
        if line != problem.line:  # located elsewhere (a document's start): column 1 of that line
            line, column = problem.line, 1
        yield Finding(
            Path(s.path),
            line,
            problem.rule,
            problem.message,
            json_path,
            column=column,
            kind=s.kind,
            name=s.name,
            suggestion=suggestion_in(problem.message),
        )
    for call in check_calls(calls, context_calls):
        f = call.facts
        yield Finding(
            Path(f.path),
            call.line,
            call.rule,
            call.message,
            call.json_path,
            column=call.column,
            kind=f.kind,
            name=f.name,
            suggestion=suggestion_in(call.message),
        )


def _with_excerpts(findings: list[Finding], readable: set[Path]) -> list[Finding]:
    """Each finding with its source line, read again only from files that were linted."""
    lines: dict[Path, list[str]] = {}
    out = []
    for finding in findings:
        if finding.path not in lines:
            text = ""
            if finding.path in readable:
                try:
                    text = read_bounded(finding.path).decode("utf-8")
                except (OSError, UnicodeDecodeError):
                    text = ""
            lines[finding.path] = text.splitlines()
        source = lines[finding.path]
        if 0 < finding.line <= len(source):
            finding = dataclasses.replace(finding, excerpt=source[finding.line - 1])
        out.append(finding)
    return out


def _lint_files(
    files: Sequence[Path], library: Path | None, cache: LintCache, jobs: int | None
) -> list[tuple[FileResult, int]]:
    """Lint each file, from the cache where possible, parsing the rest on all cores."""
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    work: list[tuple[Path, bool, bytes, str]] = []
    results: dict[Path, tuple[FileResult, int]] = {}
    for path in files:
        in_library = library is not None and _is_under(path, library)
        try:
            data = read_bounded(path)
        except OSError as err:
            problem = Finding(path, 1, "file-unreadable", f"cannot read: {err.strerror or err}", column=1)
            results[path] = (FileResult((problem,), (), (), 0), 0)
            continue
        digest = hashlib.blake2b(data, digest_size=16).hexdigest() + ("L" if in_library else "")
        hit = cache.get(str(path), digest)
        if hit is not None:
            results[path] = (hit, 1)
        else:
            work.append((path, in_library, data, digest))
    computed = parallel_map(_lint_bytes, [(p, lib, d) for p, lib, d, _ in work], jobs=jobs)
    for (path, _, _, digest), result in zip(work, computed, strict=True):
        cache.put(str(path), digest, result)
        results[path] = (result, 0)
    return [results[path] for path in files]


def _lint_bytes(item: tuple[Path, bool, bytes]) -> FileResult:
    path, in_library, data = item
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        unreadable = Finding(path, 1, "file-unreadable", f"not UTF-8 text: {err.reason}", column=1)
        return FileResult((unreadable,), (), (), 0)
    return lint_text(path, text, in_library=in_library)


def _context_summaries(
    paths: Iterable[Path], exclude: set[Path], cache: LintCache
) -> tuple[list[DocumentSummary], list[CallFacts]]:
    out: list[DocumentSummary] = []
    calls: list[CallFacts] = []
    existing = [p for p in paths if p.exists()]
    if not existing:
        return out, calls
    files, _ = find_yaml_files(existing)
    todo = [path for path in files if path not in exclude]
    for result, _ in _lint_files(todo, None, cache, None):
        out.extend(result.summaries)
        calls.extend(result.calls)
    return out, calls


def _is_under(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder)


def _apply_policy(findings: list[Finding], options: LintOptions) -> list[Finding]:
    if not options.disable and not options.warn:
        return findings
    out = []
    for finding in findings:
        if finding.rule in options.disable:
            continue
        if finding.rule in options.warn and finding.severity is Severity.ERROR:
            finding = dataclasses.replace(finding, severity=Severity.WARNING)
        out.append(finding)
    return out
