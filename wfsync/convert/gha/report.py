"""What a conversion did and what still needs a person: per workflow, and totals over many.

Modelled on GitHub Actions Importer's audit: each workflow is *successful* (everything
converted), *partial* (converted, but some steps or settings need attention), *unsupported*
(nothing could run on Argo, e.g. only Windows jobs) or *failed* (invalid input or a converter
error); steps are *known* (converted), *unknown* (no rule) or *unsupported*; manual tasks list
Secrets to create, runners and images to provide, actions without a rule and triggers to wire up.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from wfsync.secrets import mask_text

VERDICTS = ("successful", "partial", "unsupported", "failed")
STEP_VERDICTS = ("known", "generic", "unknown", "unsupported")
"""``generic``: an action without a rule that ``github-action/run`` fetches and runs as GitHub does."""


@dataclass
class StepEntry:
    """One GitHub step (or reusable-workflow job) and how it converted."""

    job: str
    step: str
    kind: str
    """``run``, ``action``, ``docker`` or ``workflow`` (a reusable-workflow call)."""
    name: str
    """The action (``owner/repo``), ``run`` or the called workflow."""
    verdict: str
    note: str = ""


@dataclass
class MakeEntry:
    """A ``make`` call of a ``run:`` step (``--expand-make``): expanded into its DAG, or kept and why."""

    job: str
    step: str
    command: str
    tasks: int = 0
    """Tasks of the expanded DAG; 0 when the call stays one step."""
    reason: str = ""

    @property
    def expanded(self) -> bool:
        """Whether the call became the Makefile's DAG."""
        return self.tasks > 0

    def line(self) -> str:
        """One report line."""
        head = f"make {self.job}/{self.step} `{self.command}`"
        if self.expanded:
            return f"{head}: expanded into {self.tasks} task(s); {self.reason}"
        return f"{head}: kept as one step ({self.reason})"


@dataclass
class ManualTasks:
    """Work a person has to do before the converted workflow can run."""

    secrets: Counter[str] = field(default_factory=Counter)
    runners: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    triggers: Counter[str] = field(default_factory=Counter)
    other: list[str] = field(default_factory=list)

    def merge(self, other: ManualTasks) -> None:
        """Add another workflow's tasks."""
        self.secrets.update(other.secrets)
        self.runners.update(other.runners)
        self.actions.update(other.actions)
        self.triggers.update(other.triggers)
        self.other.extend(o for o in other.other if o not in self.other)

    def to_json(self) -> dict[str, object]:
        """Plain data."""
        return {
            "secrets": dict(sorted(self.secrets.items())),
            "runners": dict(sorted(self.runners.items())),
            "actions": dict(sorted(self.actions.items())),
            "triggers": dict(sorted(self.triggers.items())),
            "other": [mask_text(o) for o in self.other],
        }


@dataclass
class WorkflowReport:
    """The outcome of converting one workflow file."""

    source: Path
    verdict: str = "successful"
    output: Path | None = None
    kind: str = ""
    error: str = ""
    steps: list[StepEntry] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)
    manual: ManualTasks = field(default_factory=ManualTasks)
    unsupported_jobs: int = 0
    jobs: int = 0
    run: str = ""
    """With ``--run``: the local engine's phase (Succeeded, Failed, Error) or ``unsupported``."""
    run_message: str = ""
    make: list[MakeEntry] = field(default_factory=list)
    """With ``--expand-make``: each make call found and what became of it."""

    def attend(self, message: str) -> None:
        """Record something that did not convert exactly (makes the workflow partial)."""
        if message not in self.attention:
            self.attention.append(message)

    def finish(self) -> None:
        """Decide the verdict from what was recorded."""
        if self.error:
            self.verdict = "failed"
        elif self.jobs and self.unsupported_jobs == self.jobs:
            self.verdict = "unsupported"
        elif self.attention or any(s.verdict not in ("known", "generic") for s in self.steps):
            self.verdict = "partial"
        else:
            self.verdict = "successful"

    def to_json(self) -> dict[str, object]:
        """Plain data for ``--report x.json`` and ``-o json``."""
        return {
            "source": str(self.source),
            "output": str(self.output) if self.output else None,
            "kind": self.kind,
            "verdict": self.verdict,
            "error": mask_text(self.error) or None,
            "steps": [{**s.__dict__, "note": mask_text(s.note)} for s in self.steps],
            "attention": [mask_text(a) for a in self.attention],
            "manualTasks": self.manual.to_json(),
            **(
                {"run": {"phase": self.run, "message": mask_text(self.run_message) or None}}
                if self.run
                else {}
            ),
            **({"make": [{**m.__dict__, "expanded": m.expanded} for m in self.make]} if self.make else {}),
        }


@dataclass
class AuditReport:
    """Totals over every converted file."""

    workflows: list[WorkflowReport] = field(default_factory=list)
    seconds: float = 0.0

    def verdicts(self) -> Counter[str]:
        """Workflows per verdict."""
        return Counter(w.verdict for w in self.workflows)

    def step_verdicts(self) -> Counter[str]:
        """Steps per verdict (partial counts as known: it converted, with a note)."""
        return Counter(
            "known" if s.verdict == "partial" else s.verdict for w in self.workflows for s in w.steps
        )

    def step_kinds(self) -> dict[str, Counter[str]]:
        """Per verdict, how many steps of each action or kind."""
        out: dict[str, Counter[str]] = {v: Counter() for v in STEP_VERDICTS}
        for w in self.workflows:
            for s in w.steps:
                verdict = "known" if s.verdict == "partial" else s.verdict
                out[verdict][s.name] += 1
        return out

    def manual(self) -> ManualTasks:
        """Manual tasks of all workflows together."""
        total = ManualTasks()
        for w in self.workflows:
            total.merge(w.manual)
        return total

    def make_calls(self) -> Counter[str]:
        """Make calls found by ``--expand-make``: ``expanded`` and ``kept`` (as one step)."""
        return Counter("expanded" if m.expanded else "kept" for w in self.workflows for m in w.make)

    @property
    def complete(self) -> bool:
        """Whether every workflow converted fully."""
        return all(w.verdict == "successful" for w in self.workflows)

    def to_json(self) -> dict[str, object]:
        """Plain data."""
        verdicts = self.verdicts()
        steps = self.step_verdicts()
        return {
            "summary": {
                "workflows": len(self.workflows),
                **{v: verdicts.get(v, 0) for v in VERDICTS},
                "steps": {"total": sum(steps.values()), **{v: steps.get(v, 0) for v in STEP_VERDICTS}},
                "seconds": round(self.seconds, 3),
                **({"makeCalls": dict(sorted(self.make_calls().items()))} if self.make_calls() else {}),
            },
            "manualTasks": self.manual().to_json(),
            "workflows": [w.to_json() for w in self.workflows],
        }


def _pct(part: int, whole: int) -> str:
    return f"{(100.0 * part / whole) if whole else 0.0:.0f}%"


def generic_actions(report: AuditReport) -> Counter[str]:
    """Each action that runs generically, with the ref that will be fetched (``owner/repo@ref``)."""
    return Counter(
        s.note.split(" ", 1)[0]
        for w in report.workflows
        for s in w.steps
        if s.verdict == "generic" and s.note
    )


def summary_lines(report: AuditReport) -> list[str]:
    """The audit summary as plain text lines (stdout and ``--report x.txt``)."""
    verdicts = report.verdicts()
    total = len(report.workflows)
    steps = report.step_verdicts()
    step_total = sum(steps.values())
    lines = [f"{'Workflows: ' + str(total):14} {'COUNT':>5} {'SHARE':>5}"]
    lines += [f"  {v:12} {verdicts.get(v, 0):5}  {_pct(verdicts.get(v, 0), total):>4}" for v in VERDICTS]
    lines.append(f"{'Steps: ' + str(step_total):14} {'COUNT':>5} {'SHARE':>5}")
    lines += [f"  {v:12} {steps.get(v, 0):5}  {_pct(steps.get(v, 0), step_total):>4}" for v in STEP_VERDICTS]
    lines += _make_lines(report)
    manual = report.manual()
    sections = (
        ("Secrets to create (keys of the Secret github-secrets)", manual.secrets),
        ("Runners and images to provide", manual.runners),
        ("Actions without a rule", manual.actions),
        ("Actions run as on GitHub (github-action fetches them at run time)", generic_actions(report)),
        ("Triggers to wire up (Argo Events or CronWorkflow)", manual.triggers),
    )
    for title, counter in sections:
        if counter:
            lines.append(f"{title}:")
            lines += [f"  {name}: {count}" for name, count in sorted(counter.items())]
    if manual.other:
        lines.append("Other manual tasks:")
        lines += [f"  {mask_text(item)}" for item in manual.other]
    return lines


def _make_lines(report: AuditReport) -> list[str]:
    calls = report.make_calls()
    if not calls:
        return []
    return [
        f"Make calls: {sum(calls.values())} ({calls.get('expanded', 0)} expanded into DAGs, "
        f"{calls.get('kept', 0)} kept as one step)"
    ]


def workflow_lines(w: WorkflowReport) -> list[str]:
    """One workflow's verdict and what needs attention."""
    head = f"{w.verdict:11} {w.source}" + (f" -> {w.output}" if w.output else "")
    lines = [head]
    if w.error:
        lines.append(f"    error: {mask_text(w.error)}")
    if w.run:
        lines.append(f"    run: {w.run}" + (f" ({mask_text(w.run_message)})" if w.run_message else ""))
    lines += [f"    - {mask_text(a)}" for a in w.attention]
    lines += [
        f"    - step {s.job}/{s.step} ({s.name}): {s.verdict}" + (f", {mask_text(s.note)}" if s.note else "")
        for s in w.steps
        if s.verdict in ("generic", "unknown", "unsupported")
    ]
    lines += [f"    - {mask_text(m.line())}" for m in w.make]
    return lines


def render_text(report: AuditReport) -> str:
    """The whole report as text."""
    lines = ["wfsync convert github-actions: audit", ""]
    for w in report.workflows:
        lines += workflow_lines(w)
    lines += ["", *summary_lines(report)]
    return "\n".join(lines) + "\n"


def render_markdown(report: AuditReport) -> str:
    """The whole report as Markdown, like the Importer's audit_summary.md."""
    verdicts = report.verdicts()
    total = len(report.workflows)
    steps = report.step_verdicts()
    step_total = sum(steps.values())
    out = ["# Audit summary: GitHub Actions to Argo Workflows", "", "## Pipelines", ""]
    out += [f"Total: **{total}**", ""]
    out += [
        f"- {v.capitalize()}: **{verdicts.get(v, 0)} ({_pct(verdicts.get(v, 0), total)})**" for v in VERDICTS
    ]
    out += ["", "## Build steps", "", f"Total: **{step_total}**", ""]
    out += [f"- {line}" for line in _make_lines(report)]
    kinds = report.step_kinds()
    for v in STEP_VERDICTS:
        out.append(f"- {v.capitalize()}: **{steps.get(v, 0)} ({_pct(steps.get(v, 0), step_total)})**")
        out += [f"  - {name}: {count}" for name, count in sorted(kinds[v].items())]
    manual = report.manual()
    out += ["", "## Manual tasks", ""]
    for title, counter in (
        ("Secrets", manual.secrets),
        ("Runners and images", manual.runners),
        ("Actions without a rule", manual.actions),
        ("Actions run as on GitHub (github-action fetches them at run time)", generic_actions(report)),
        ("Triggers", manual.triggers),
    ):
        if counter:
            out += [f"### {title}", ""]
            out += [f"- `{name}`: {count}" for name, count in sorted(counter.items())]
            out.append("")
    if manual.other:
        out += ["### Other", ""] + [f"- {mask_text(item)}" for item in manual.other] + [""]
    out += ["## Files", ""]
    for v in VERDICTS:
        files = [w for w in report.workflows if w.verdict == v]
        if files:
            out += [f"### {v.capitalize()}", ""]
            for w in files:
                target = f" → `{w.output}`" if w.output else ""
                out.append(f"- `{w.source}`{target}")
                out += [f"  - {mask_text(a)}" for a in w.attention]
                if w.error:
                    out.append(f"  - error: {mask_text(w.error)}")
                if w.run:
                    out.append(
                        f"  - run: {w.run}" + (f" ({mask_text(w.run_message)})" if w.run_message else "")
                    )
                out += [f"  - {mask_text(m.line())}" for m in w.make]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_report(report: AuditReport, path: Path) -> str:
    """The report in the format ``path``'s extension asks for."""
    if path.suffix == ".json":
        return json.dumps(report.to_json(), indent=2) + "\n"
    if path.suffix in (".md", ".markdown"):
        return render_markdown(report)
    return render_text(report)
