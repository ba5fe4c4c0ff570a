"""The converted document around its templates: kind, metadata, spec volumes, mutexes and header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wfsync.convert.gha.argo import slug
from wfsync.convert.gha.expressions import find_expressions
from wfsync.convert.gha.plans import Mutexes
from wfsync.convert.gha.report import WorkflowReport
from wfsync.convert.gha.translate import Scope, Untranslatable, fold
from wfsync.convert.gha.yaml12 import scalar_text
from wfsync.model.spec_types import WorkflowSpec

SECRET_NAME = "github-secrets"
"""The Secret every step that reads ``secrets`` gets its values from (never written here)."""

WORKSPACE_CLAIM = {
    "metadata": {"name": "workspace"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
}
"""The volume all steps of all jobs share (each job in its own folder)."""


def document(
    spec: WorkflowSpec, source: Path, title: str, *, template: bool, cron: list[str]
) -> dict[str, Any]:
    """The Workflow, CronWorkflow (with schedules) or WorkflowTemplate (``template``) for ``spec``."""
    name = slug(Path(source).stem)
    metadata: dict[str, object] = {
        "labels": {"app.kubernetes.io/managed-by": "wfsync"},
        "annotations": {
            "workflows.argoproj.io/description": f"Converted from {source.name} ({title}) by wfsync convert github-actions.",
            "wfsync.io/source": str(source),
        },
    }
    body: dict[str, object] = dict(spec)
    if template:
        kind = "WorkflowTemplate"
    elif cron:
        kind, body = "CronWorkflow", {"schedules": cron, "timezone": "UTC", "workflowSpec": spec}
    else:
        kind = "Workflow"
    metadata = {"generateName": name + "-", **metadata} if kind == "Workflow" else {"name": name, **metadata}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "metadata": metadata, "spec": body}


def synchronization(concurrency: object, where: str, fallback: str, report: WorkflowReport) -> Mutexes | None:
    """A ``concurrency`` group as a mutex; one per ``where`` (``fallback``) when known only at run time."""
    if concurrency is None:
        return None
    group = concurrency.get("group") if isinstance(concurrency, dict) else concurrency
    text = scalar_text(group)
    if "${{" in text:
        try:
            parts, pos = [], 0
            for span in find_expressions(text):
                ok, value = fold(span.expression, Scope("dag"))
                if not ok:
                    raise Untranslatable("needs run-time values")
                parts += [text[pos : span.start], scalar_text(value)]
                pos = span.end
            text = "".join(parts) + text[pos:]
        except Untranslatable:
            report.attend(
                f"{where} concurrency group {scalar_text(group)!r} depends on run-time values; one mutex per {where} is used"
            )
            text = fallback
    if isinstance(concurrency, dict) and concurrency.get("cancel-in-progress"):
        report.attend(f"{where} concurrency cancel-in-progress has no Argo equivalent: runs queue instead")
    return {"mutexes": [{"name": slug(text, 63)}]}


def header(source: Path, report: WorkflowReport) -> list[str]:
    """The comment above the output: verdict, what needs attention, secrets and triggers to set up."""
    lines = [f"Converted from {source} by wfsync convert github-actions.", f"Verdict: {report.verdict}."]
    if report.attention:
        lines.append("Needs attention:")
        lines += [f"  - {a}" for a in report.attention]
    for s in report.steps:
        if s.verdict != "known":
            lines.append(
                f"  - step {s.job}/{s.step} ({s.name}): {s.verdict}{', ' + s.note if s.note else ''}"
            )
    manual = report.manual
    if manual.secrets:
        lines.append(f"Secret {SECRET_NAME} needs the keys: {', '.join(sorted(manual.secrets))}.")
    if manual.triggers:
        lines.append(f"Triggers not converted (use Argo Events): {', '.join(sorted(manual.triggers))}.")
    expanded = [m for m in report.make if m.expanded]
    if expanded:
        lines.append(
            f"--expand-make: {len(expanded)} make call(s) became DAGs read from the repository's Makefile at "
            "conversion time; convert again when the Makefile changes."
        )
    lines += [f"  - {m.line()}" for m in report.make if not m.expanded]
    return lines
