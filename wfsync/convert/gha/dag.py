"""Shapes of the ``main`` DAG's tasks: matrix fan-out, run-time matrices, ``continue-on-error`` leaves."""

from __future__ import annotations

import json
import re

from wfsync.convert.gha.model import Job
from wfsync.convert.gha.plans import JobPlan, matrix_keys
from wfsync.convert.gha.report import WorkflowReport
from wfsync.convert.gha.yaml12 import scalar_text
from wfsync.model.spec_types import DAGTask, Template

Task = DAGTask
"""A DAG task as it is written (``name``, ``template``, ``depends``, ``arguments``...)."""


def continue_with_depends(tasks: list[Task], templates: list[Template]) -> list[Task]:
    """Tasks with ``depends`` never carry ``continueOn`` (Argo rejects the pair).

    Dependants of a ``continue-on-error`` job already accept its failure (``X.Failed`` in
    their ``depends``). What ``continueOn`` still did is keep a failed leaf from failing the
    workflow: a leaf gets a no-op task after it, ``X.Succeeded || X.Failed``, which is then
    the DAG's target instead (Argo judges the DAG by its targets only). The no-op template
    ``continue`` is added to ``templates`` when first needed.
    """
    out: list[Task] = []
    for task in tasks:
        out.append(task)
        if "continueOn" not in task or "depends" not in task:
            continue
        del task["continueOn"]
        name = task["name"]
        if any(re.search(rf"(?<![\w-]){re.escape(name)}\.", str(t.get("depends", ""))) for t in tasks):
            continue
        if not any(t["name"] == "continue" for t in templates):
            templates.append({"name": "continue", "suspend": {"duration": "0"}})
        out.append(
            {
                "name": f"{name}-continue",
                "template": "continue",
                "depends": f"{name}.Succeeded || {name}.Failed",
            }
        )
    return out


def generated_legs(task: Task, plan: JobPlan, report: WorkflowReport) -> list[Task]:
    """The generator task of a run-time matrix, then the job's task over its output (``withParam``)."""
    assert plan.generator is not None
    job = plan.job
    generator: Task = {**plan.generator}
    if "depends" in task:
        generator["depends"] = task["depends"]
    if "when" in task:
        generator["when"] = task["when"]
    task.pop("when", None)
    task["depends"] = f"{generator['name']}.Succeeded"
    task["withParam"] = f"{{{{tasks.{generator['name']}.outputs.parameters.output}}}}"
    if (job.raw.get("strategy") or {}).get("max-parallel") is not None:
        report.attend(f"job {job.id}: max-parallel of a run-time matrix is not converted")
    return [generator, task]


def matrix_legs(task: Task, plan: JobPlan, templates: list[Template], report: WorkflowReport) -> list[Task]:
    """The job's task over its legs (``withItems``); with ``max-parallel``, through a wrapper DAG."""
    assert plan.legs is not None
    job = plan.job
    keys = matrix_keys(plan)
    items = [{**{k: _item_value(leg.get(k)) for k in keys}, "leg": str(i)} for i, leg in enumerate(plan.legs)]
    strategy = job.raw.get("strategy") or {}
    max_parallel = strategy.get("max-parallel")
    if not (isinstance(max_parallel, (int, float)) and max_parallel >= 1):
        task["withItems"] = items
        return [task]
    inner: Task = {**task, "name": "leg", "withItems": items}
    inner.pop("depends", None)
    inner.pop("when", None)
    wrapper: Template = {
        "name": f"matrix-{plan.task}",
        "parallelism": int(max_parallel),
        "dag": {"failFast": strategy.get("fail-fast", True) is not False, "tasks": [inner]},
    }
    templates.append(wrapper)
    outer: Task = {"name": task["name"]}
    if "depends" in task:
        outer["depends"] = task["depends"]
    if "when" in task:
        outer["when"] = task["when"]
    if "continueOn" in task:
        outer["continueOn"] = task["continueOn"]
    outer["template"] = wrapper["name"]
    if any(p["name"].startswith("needs-") for p in task.get("arguments", {}).get("parameters", [])):
        report.attend(
            f"job {job.id}: with max-parallel, needs outputs reach the legs only through the wrapper"
        )
    return [outer]


def ancestors(jobs: dict[str, Job], job_id: str) -> list[str]:
    """Every job ``job_id`` needs, directly or not (ids compared without case, as GitHub does)."""
    seen: list[str] = []
    stack = list(jobs[job_id].needs)
    while stack:
        wanted = stack.pop().lower()
        current = next((j for j in jobs if j.lower() == wanted), None)
        if current is None or current in seen:
            continue
        seen.append(current)
        stack.extend(jobs[current].needs)
    return seen


def _item_value(value: object) -> str:
    """A matrix value as the string ``{{item.key}}`` gives (JSON for lists and objects)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return scalar_text(value)
