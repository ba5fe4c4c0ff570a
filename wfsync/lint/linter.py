"""Lint files: read, check each document, resolve references across all of them, cache.

The expensive part (YAML parsing and per-document checks) depends only on a file's bytes, so
its outcome is cached by content hash under ``.wfsync/cache``; a second run over unchanged files
only hashes them and redoes the cheap cross-document checks.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from wfsync import __version__
from wfsync.library.discover import FileProblem, find_yaml_files, parse_text
from wfsync.library.yamlload import read_bounded
from wfsync.lint.index import DocumentSummary, cross_check, summarize
from wfsync.lint.rules.calls import CallFacts, check_calls, summarize_calls
from wfsync.lint.rules.cron import cron_problems
from wfsync.lint.rules.names import SEMVER
from wfsync.lint.rules.spec import SpecChecker
from wfsync.lint.rules.suggest import suggestion_in
from wfsync.lint.schema import check as schema
from wfsync.model.channels import PUBLISH_MAJOR
from wfsync.model.documents import API_VERSION, LIBRARY_KINDS, Document, Kind
from wfsync.model.findings import Finding, JsonPath, Severity, format_json_path

ARGO_KINDS = frozenset(k.value for k in Kind)
VERSION_LABEL = "wfsync.io/version"
CACHE_FORMAT = 3
KEY_RULES = frozenset({"schema-unknown-field"})
"""Rules about a key itself: their column is the key's, not its value's."""


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A document lint does not check (another kind), reported so nothing passes unseen."""

    path: str
    line: int
    kind: str
    name: str

    def to_json(self) -> dict[str, Any]:
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


PARALLEL_THRESHOLD = 64
"""Below this many files to parse, starting worker processes costs more than it saves."""


def lint_paths(paths: Sequence[Path], options: LintOptions) -> LintReport:
    """Lint files and folders; raises :class:`~wfsync.errors.UsageError` for unusable paths."""
    started = time.perf_counter()
    files, problems = find_yaml_files(paths, root=options.root)
    cache = _Cache.open(options.cache_dir)
    library = options.library.resolve() if options.library is not None else None
    findings: list[Finding] = [_file_problem(p) for p in problems]
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
    files: Sequence[Path], library: Path | None, cache: _Cache, jobs: int | None
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
    if jobs > 1 and len(work) >= PARALLEL_THRESHOLD:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            chunk = max(1, len(work) // (jobs * 8))
            computed = list(pool.map(_lint_bytes, [(p, lib, d) for p, lib, d, _ in work], chunksize=chunk))
    else:
        computed = [_lint_bytes((p, lib, d)) for p, lib, d, _ in work]
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
    paths: Iterable[Path], exclude: set[Path], cache: _Cache
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


def _file_problem(problem: FileProblem) -> Finding:
    return Finding(problem.path, problem.line, problem.rule, problem.message, column=problem.column or 1)


def lint_text(path: Path, text: str, *, in_library: bool = False) -> FileResult:
    """Check every document of one file (no cross-document checks)."""
    read = parse_text(path, text)
    findings: list[Finding] = []
    summaries: list[DocumentSummary] = []
    calls: list[CallFacts] = []
    skipped: list[Skipped] = []
    if read.problem is not None:
        findings.append(_file_problem(read.problem))
    for doc in read.documents:
        doc_findings, summary, skip = lint_document(doc, in_library=in_library)
        findings.extend(doc_findings)
        if summary is not None:
            summaries.append(summary)
            calls.append(
                summarize_calls(
                    doc.body,
                    summary.kind,
                    summary.path,
                    summary.line,
                    summary.namespace,
                    summary.name,
                    functools.partial(_position_or, doc.node, doc.source.line),
                )
            )
        if skip is not None:
            skipped.append(skip)
    return FileResult(tuple(findings), tuple(summaries), tuple(skipped), len(read.documents), tuple(calls))


def lint_document(
    doc: Document, *, in_library: bool
) -> tuple[list[Finding], DocumentSummary | None, Skipped | None]:
    """Schema and per-document semantic checks of one document."""
    kind, name = doc.kind, doc.name
    path = doc.source.path

    def finding(
        json_path: tuple[str | int, ...], rule: str, message: str, severity: Severity = Severity.ERROR
    ) -> Finding:
        line, column = node_position(doc.node, json_path, key=rule in KEY_RULES) or (doc.source.line, 1)
        return Finding(
            path,
            line,
            rule,
            message,
            format_json_path(json_path),
            severity,
            column,
            kind,
            name,
            suggestion_in(message),
        )

    if kind not in ARGO_KINDS:
        return [], None, Skipped(str(path), doc.source.line, kind or "(no kind)", name)
    findings: list[Finding] = []
    api_version = doc.body.get("apiVersion")
    if api_version != API_VERSION:
        findings.append(
            finding(
                ("apiVersion",),
                "api-version",
                f"apiVersion of a {kind} must be {API_VERSION!r}, not {api_version!r}",
            )
        )
    if in_library and kind not in LIBRARY_KINDS:
        findings.append(
            finding(
                ("kind",),
                "kind-not-in-library",
                f"a library holds WorkflowTemplates and ClusterWorkflowTemplates, not {kind}s",
            )
        )
    for json_path, rule, message in schema.check(doc.body, kind):
        findings.append(finding(json_path, rule, message))
    for json_path, rule, message in SpecChecker(doc.body, kind).run():
        findings.append(finding(json_path, rule, message))
    for json_path, rule, message in cron_problems(doc.body, kind):
        findings.append(finding(json_path, rule, message))
    if in_library and kind in LIBRARY_KINDS:
        findings.extend(_version_label(doc, finding))
    summary = summarize(
        doc.body,
        kind,
        str(path),
        doc.source.line,
        lambda jp: (node_position(doc.node, jp) or (doc.source.line, 1))[0],
        doc.namespace,
        name,
    )
    return findings, summary, None


def _position_or(node: yaml.Node | None, line: int, path: JsonPath) -> tuple[int, int]:
    return node_position(node, path) or (line, 1)


def node_position(node: yaml.Node | None, path: JsonPath, *, key: bool = False) -> tuple[int, int] | None:
    """1-based line and column of the value at ``path`` in a document's node tree.

    A mapping entry is located at its key, or at its value when that is a scalar on the key's
    line (the caret then points at the misspelt name, not at ``template:``); ``key`` keeps the
    key's column. A path that leaves the tree gives the deepest place it reached.
    """
    if node is None:
        return None
    current: yaml.Node = node
    mark = current.start_mark
    for index, part in enumerate(path):
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    mark, current = key_node.start_mark, value_node
                    last = index == len(path) - 1
                    if (
                        last
                        and not key
                        and isinstance(value_node, yaml.ScalarNode)
                        and value_node.start_mark.line == mark.line
                    ):
                        mark = value_node.start_mark
                    break
            else:
                break
        elif (
            isinstance(current, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(current.value)
        ):
            current = current.value[part]
            mark = current.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1


def _version_label(doc: Document, finding: Any) -> list[Finding]:
    meta = doc.body.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    version = labels.get(VERSION_LABEL) if isinstance(labels, dict) else None
    if version is None:
        return [
            finding(
                ("metadata", "labels"),
                "version-label",
                f"library templates need a {VERSION_LABEL} label (semantic version)",
            )
        ]
    if not isinstance(version, str) or not SEMVER.match(version):
        return [
            finding(
                ("metadata", "labels", VERSION_LABEL),
                "version-label",
                f"{VERSION_LABEL} {version!r} is not a semantic version",
            )
        ]
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    publish = annotations.get(PUBLISH_MAJOR) if isinstance(annotations, dict) else None
    if publish is not None and str(publish).strip().lower() not in ("true", "false"):
        return [
            finding(
                ("metadata", "annotations", PUBLISH_MAJOR),
                "version-label",
                f'{PUBLISH_MAJOR} must be "true" or "false", not {publish!r}',
            )
        ]
    return []


class _Cache:
    """Per-file lint results by content hash, in one JSON file (fast to load, safe to read)."""

    def __init__(self, file: Path | None, entries: dict[str, Any]) -> None:
        self.file = file
        self.entries = entries
        self.dirty = False

    @classmethod
    def open(cls, folder: Path | None) -> _Cache:
        if folder is None:
            return cls(None, {})
        file = folder / f"lint-v{CACHE_FORMAT}.json"
        entries: dict[str, Any] = {}
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            if data.get("key") == _cache_key():
                entries = data["files"]
        except (OSError, ValueError, KeyError, AttributeError):
            entries = {}
        return cls(file, entries)

    def get(self, key: str, digest: str) -> FileResult | None:
        entry = self.entries.get(key)
        if entry is None or entry.get("h") != digest:
            return None
        return FileResult(
            tuple(_finding_from_json(f) for f in entry["f"]),
            tuple(DocumentSummary.from_json(s) for s in entry["s"]),
            tuple(Skipped(**s) for s in entry["k"]),
            entry["d"],
            tuple(
                CallFacts.from_json(c, (s["path"], s["line"], s["kind"], s["namespace"], s["name"]))
                for c, s in zip(entry["c"], entry["s"], strict=True)
            ),
        )

    def put(self, key: str, digest: str, result: FileResult) -> None:
        if self.file is None:
            return
        self.entries[key] = {
            "h": digest,
            "f": [f.to_json() for f in result.findings],
            "s": [s.to_json() for s in result.summaries],
            "k": [s.to_json() for s in result.skipped],
            "d": result.documents,
            "c": [c.to_json() for c in result.calls],
        }
        self.dirty = True

    def save(self) -> None:
        if self.file is None or not self.dirty:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(
                json.dumps({"key": _cache_key(), "files": self.entries}, separators=(",", ":")),
                encoding="utf-8",
            )
            tmp.replace(self.file)
        except OSError:
            pass  # a cache that cannot be written only costs speed


@functools.cache
def _cache_key() -> str:
    """Changes whenever the code or schema that produced cached results could have changed."""
    digest = hashlib.blake2b(digest_size=12)
    package = Path(__file__).resolve().parent.parent
    for folder in ("lint", "library", "model"):
        for source in sorted((package / folder).rglob("*")):
            if source.suffix in (".py", ".json"):
                digest.update(source.read_bytes())
    return f"{__version__}|{CACHE_FORMAT}|{digest.hexdigest()}"


def _finding_from_json(data: dict[str, Any]) -> Finding:
    return Finding(
        Path(data["file"]),
        data["line"],
        data["rule"],
        data["message"],
        data["path"],
        Severity(data["severity"]),
        data["column"],
        data["kind"],
        data["name"],
        data.get("suggestion"),
    )
