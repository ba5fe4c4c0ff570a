"""A workflow's triggers: what Argo can take (schedules, dispatch inputs) and what needs a person."""

from __future__ import annotations

from wfsync.convert.gha.model import Workflow
from wfsync.convert.gha.report import WorkflowReport
from wfsync.convert.gha.yaml12 import scalar_text
from wfsync.model.spec_types import Parameter

PRIVILEGED = ("pull_request_target", "workflow_run")
"""Triggers that run with write access on code from elsewhere: the report asks for a review."""


def note_triggers(workflow: Workflow, report: WorkflowReport) -> None:
    """Count the triggers Argo has no equivalent for (Argo Events would start the workflow)."""
    for event in workflow.triggers:
        if event in ("workflow_dispatch", "schedule"):
            continue
        if event == "workflow_call":
            report.attend("workflow_call: use --template to get a WorkflowTemplate other workflows can call")
            continue
        report.manual.triggers[event] += 1
    for event in PRIVILEGED:
        if event in workflow.triggers:
            report.attend(f"privileged trigger {event}: review what the converted workflow checks out")


def schedules(workflow: Workflow) -> list[str]:
    """The ``cron`` lines of ``on.schedule`` (the workflow then becomes a CronWorkflow)."""
    config = workflow.triggers.get("schedule")
    if not isinstance(config, list):
        return []
    return [str(entry["cron"]) for entry in config if isinstance(entry, dict) and "cron" in entry]


def dispatch_inputs(workflow: Workflow) -> dict[str, dict[str, object]]:
    """The inputs of ``workflow_dispatch`` and ``workflow_call``: name -> spec."""
    found: dict[str, dict[str, object]] = {}
    for event in ("workflow_dispatch", "workflow_call"):
        config = workflow.triggers.get(event)
        if isinstance(config, dict) and isinstance(config.get("inputs"), dict):
            for name, spec in config["inputs"].items():
                found[name] = spec if isinstance(spec, dict) else {}
    return found


def argument_parameters(params: dict[str, str], inputs: dict[str, dict[str, object]]) -> list[Parameter]:
    """The workflow's parameters; dispatch inputs keep their description, default and choices."""
    out: list[Parameter] = []
    for name, default in params.items():
        entry: Parameter = {"name": name, "value": default}
        spec = inputs.get(name)
        if spec:
            kind = spec.get("type")
            if spec.get("description"):
                entry["description"] = str(spec["description"])
            if "default" in spec:
                entry["value"] = scalar_text(spec["default"])
            options = spec.get("options")
            if kind == "choice" and isinstance(options, list) and options:
                entry["enum"] = [scalar_text(o) for o in options]
            elif kind == "boolean":
                entry["enum"] = ["true", "false"]
                entry["value"] = entry["value"] or "false"
        out.append(entry)
    return out
