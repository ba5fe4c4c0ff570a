"""The image a job's steps run in: its ``container:`` image, else the rule for its ``runs-on`` label."""

from __future__ import annotations

from wfsync.convert.gha.model import Job
from wfsync.convert.gha.plans import DEFAULT_IMAGE
from wfsync.convert.gha.report import WorkflowReport
from wfsync.convert.gha.rules import RuleSet


def runner_image(job: Job, rules: RuleSet, report: WorkflowReport) -> str:
    """The image a job's steps run in, from ``container:`` or the runner rules (notes go to ``report``)."""
    container = job.raw.get("container")
    image = container.get("image") if isinstance(container, dict) else container
    if image:
        if isinstance(container, dict) and container.get("credentials"):
            report.attend(f"job {job.id}: the container registry credentials need an imagePullSecret")
        if isinstance(container, dict) and container.get("options"):
            report.attend(f"job {job.id}: container options {container['options']!r} are not converted")
        return str(image)
    for label in _labels(job.raw.get("runs-on")):
        if "${{" in label:
            report.attend(
                f"job {job.id}: runs-on {label!r} depends on run-time values; the default image is used"
            )
            report.manual.runners[label] += 1
            continue
        rule = rules.runner(label)
        if rule is None:
            report.manual.runners[label] += 1
            report.attend(f"job {job.id}: no rule for the runner {label!r}; {DEFAULT_IMAGE} is used")
            continue
        if rule.verdict == "unsupported":
            report.unsupported_jobs += 1
            report.manual.runners[label] += 1
            report.attend(f"job {job.id}: runner {label!r}: {rule.note or 'unsupported'}")
            return DEFAULT_IMAGE
        if rule.verdict == "partial":
            report.manual.runners[label] += 1
            report.attend(f"job {job.id}: runner {label!r}: {rule.note}")
        return rule.image or DEFAULT_IMAGE
    return DEFAULT_IMAGE


def _labels(runs_on: object) -> list[str]:
    """The labels of ``runs-on``: a string, a list, or a mapping with ``labels`` or ``group``."""
    if isinstance(runs_on, str):
        return [runs_on]
    if isinstance(runs_on, list):
        return [str(x) for x in runs_on]
    if isinstance(runs_on, dict):
        labels = runs_on.get("labels")
        if isinstance(labels, list):
            return [str(x) for x in labels]
        return [str(labels or runs_on.get("group") or "")]
    return []
