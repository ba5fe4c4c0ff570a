"""Lint one file's documents on their own: schema, spec, cron and library rules, and digests.

What a document says about others (its summary and call facts) is digested here in one walk of
its callers, so that cross-document checks can run from the cache without the document.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from wfsync.library.discover import FileProblem, parse_text
from wfsync.lint.index import DocumentSummary, _callers, summarize
from wfsync.lint.positions import node_position, position_or
from wfsync.lint.report import FileResult, Skipped
from wfsync.lint.rules.calls import CallFacts, summarize_calls
from wfsync.lint.rules.cron import cron_problems
from wfsync.lint.rules.names import SEMVER
from wfsync.lint.rules.parts import workflow_spec
from wfsync.lint.rules.spec import SpecChecker
from wfsync.lint.rules.suggest import suggestion_in
from wfsync.lint.schema import check as schema
from wfsync.model.channels import PUBLISH_MAJOR
from wfsync.model.documents import API_VERSION, LIBRARY_KINDS, Document, Kind
from wfsync.model.findings import Finding, JsonPath, Severity, format_json_path

ARGO_KINDS = frozenset(k.value for k in Kind)
VERSION_LABEL = "wfsync.io/version"
KEY_RULES = frozenset({"schema-unknown-field"})
"""Rules about a key itself: their column is the key's, not its value's."""

Report = Callable[[JsonPath, str, str], Finding]
"""Makes a finding of a document from a JSON path, a rule and a message."""


def file_problem(problem: FileProblem) -> Finding:
    """A file that cannot be read or parsed, as a finding."""
    return Finding(problem.path, problem.line, problem.rule, problem.message, column=problem.column or 1)


def lint_text(path: Path, text: str, *, in_library: bool = False) -> FileResult:
    """Check every document of one file (no cross-document checks)."""
    read = parse_text(path, text)
    findings: list[Finding] = []
    summaries: list[DocumentSummary] = []
    calls: list[CallFacts] = []
    skipped: list[Skipped] = []
    if read.problem is not None:
        findings.append(file_problem(read.problem))
    for doc in read.documents:
        if doc.kind not in ARGO_KINDS:
            skipped.append(_skipped(doc))
            continue
        findings.extend(document_findings(doc, in_library=in_library))
        summary, facts = digest(doc)
        summaries.append(summary)
        calls.append(facts)
    return FileResult(tuple(findings), tuple(summaries), tuple(skipped), len(read.documents), tuple(calls))


def lint_document(
    doc: Document, *, in_library: bool
) -> tuple[list[Finding], DocumentSummary | None, Skipped | None]:
    """Schema and per-document semantic checks of one document."""
    if doc.kind not in ARGO_KINDS:
        return [], None, _skipped(doc)
    summary = summarize(
        doc.body,
        doc.kind,
        str(doc.source.path),
        doc.source.line,
        lambda jp: position_or(doc.node, doc.source.line, jp)[0],
        doc.namespace,
        doc.name,
    )
    return document_findings(doc, in_library=in_library), summary, None


def digest(doc: Document) -> tuple[DocumentSummary, CallFacts]:
    """The document's summary and call facts, from one walk of its callers.

    Both locate the same templateRefs, so positions are looked up once per path.
    """
    located: dict[JsonPath, tuple[int, int]] = {}

    def position(json_path: JsonPath) -> tuple[int, int]:
        found = located.get(json_path)
        if found is None:
            found = located[json_path] = position_or(doc.node, doc.source.line, json_path)
        return found

    spec, spec_path = workflow_spec(doc.body, doc.kind)
    sites = list(_callers(spec, spec_path)) if spec is not None else []
    path = str(doc.source.path)
    summary = summarize(
        doc.body,
        doc.kind,
        path,
        doc.source.line,
        lambda jp: position(jp)[0],
        doc.namespace,
        doc.name,
        sites=sites,
    )
    facts = summarize_calls(
        doc.body,
        summary.kind,
        summary.path,
        summary.line,
        summary.namespace,
        summary.name,
        position,
        sites=sites,
    )
    return summary, facts


def document_findings(doc: Document, *, in_library: bool) -> list[Finding]:
    """Every problem of one Argo document on its own, located in its source."""
    kind = doc.kind
    report = _reporter(doc)
    findings: list[Finding] = []
    api_version = doc.body.get("apiVersion")
    if api_version != API_VERSION:
        findings.append(
            report(
                ("apiVersion",),
                "api-version",
                f"apiVersion of a {kind} must be {API_VERSION!r}, not {api_version!r}",
            )
        )
    if in_library and kind not in LIBRARY_KINDS:
        findings.append(
            report(
                ("kind",),
                "kind-not-in-library",
                f"a library holds WorkflowTemplates and ClusterWorkflowTemplates, not {kind}s",
            )
        )
    for problems in (
        schema.check(doc.body, kind),
        SpecChecker(doc.body, kind).run(),
        cron_problems(doc.body, kind),
    ):
        findings.extend(report(json_path, rule, message) for json_path, rule, message in problems)
    if in_library and kind in LIBRARY_KINDS:
        findings.extend(_version_label(doc, report))
    return findings


def _reporter(doc: Document) -> Report:
    """Findings of ``doc`` at the place of their JSON path (the document's start when not found)."""

    def finding(json_path: JsonPath, rule: str, message: str) -> Finding:
        line, column = node_position(doc.node, json_path, key=rule in KEY_RULES) or (doc.source.line, 1)
        return Finding(
            doc.source.path,
            line,
            rule,
            message,
            format_json_path(json_path),
            Severity.ERROR,
            column,
            doc.kind,
            doc.name,
            suggestion_in(message),
        )

    return finding


def _skipped(doc: Document) -> Skipped:
    return Skipped(str(doc.source.path), doc.source.line, doc.kind or "(no kind)", doc.name)


def _version_label(doc: Document, finding: Report) -> list[Finding]:
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
