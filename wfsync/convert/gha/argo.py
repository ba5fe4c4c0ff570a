"""Small builders of the Argo pieces every converted template uses: names, ``templateRef`` calls.

They sit below the converter and the job builder so that both can use them without importing
each other.
"""

from __future__ import annotations

import re
import shlex

from wfsync.convert.gha import script as drivers
from wfsync.model.spec_types import DAGTask, Parameter, TemplateRef, WorkflowStep


def slug(text: str, limit: int = 50) -> str:
    """A DNS-label-like name: lower case, ``-`` for anything else."""
    out = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return (out or "x")[:limit].strip("-") or "x"


def template_ref(family: str, template: str) -> TemplateRef:
    """A ``templateRef`` to the standard library's cluster-scoped ``family/template``."""
    return {"name": family, "template": template, "clusterScope": True}


def parameters(values: dict[str, str]) -> list[Parameter]:
    """Argument parameters in the order given."""
    return [{"name": k, "value": v} for k, v in values.items()]


def library_call(family: str, template: str, values: dict[str, str]) -> WorkflowStep:
    """A step body calling a library template with these parameters."""
    return {"templateRef": template_ref(family, template), "arguments": {"parameters": parameters(values)}}


def failing_call(message: str) -> WorkflowStep:
    """A step body that fails with ``message``: what a step or job that cannot be converted becomes."""
    script = f"echo {shlex.quote('wfsync: ' + message)} >&2\nexit 1\n"
    return library_call("shell", "run", {"script": drivers.escape_braces(script), "shell": "sh"})


def named(name: str, body: WorkflowStep) -> WorkflowStep:
    """``body`` as a step called ``name`` (written first)."""
    step: WorkflowStep = {"name": name}
    step.update(body)
    return step


def as_task(name: str, call: WorkflowStep) -> DAGTask:
    """A library call (:func:`library_call`) as a DAG task called ``name``."""
    task: DAGTask = {"name": name}
    if "templateRef" in call:
        task["templateRef"] = call["templateRef"]
    if "arguments" in call:
        task["arguments"] = call["arguments"]
    return task
