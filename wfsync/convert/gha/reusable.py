"""Local reusable workflows (``jobs.<id>.uses: ./.github/workflows/x.yml``) inlined as a nested DAG.

GitHub runs a called workflow's jobs as part of the caller's run: the call job's ``with:`` gives
the ``inputs`` context (typed, with the defaults of ``on.workflow_call.inputs``; undeclared names
read as null), its ``secrets:`` the ``secrets`` context (``inherit`` passes the caller's), and
``on.workflow_call.outputs`` (over the ``jobs`` context) become the call job's outputs.

Here the called workflow's jobs become the tasks of one DAG template per call (``call-<task>``),
converted like any jobs with task names prefixed by the call's (each call has its own workspace
folders). ``inputs.X`` and ``secrets.X`` are replaced in the called workflow's expressions by the
expressions the caller gives (constants fold at conversion time; ``github``/``vars`` values stay
run-time parameters). Outputs are computed by one more task, a job that ``needs`` the called jobs
and has the workflow's outputs as job outputs, so ``needs.<call>.outputs.<name>`` reads them as it
reads any job's. What cannot be inlined (remote workflows, ``with:`` over ``needs``/``matrix``,
a matrix call) becomes a failing task with the reason, and a report entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from wfsync.convert.gha import composite
from wfsync.convert.gha.argo import as_task, failing_call, slug
from wfsync.convert.gha.expressions import (
    ExpressionError,
    find_expressions,
    nodes,
    parse,
    referenced_contexts,
    walk,
)
from wfsync.convert.gha.inline import interpolation, transform
from wfsync.convert.gha.model import Job, Step, Workflow
from wfsync.convert.gha.parse import InvalidWorkflow, ParseOptions, parse_workflow
from wfsync.convert.gha.plans import JobPlan, WorkflowBuild
from wfsync.convert.gha.report import StepEntry
from wfsync.convert.gha.yaml12 import scalar_text
from wfsync.library.yamlload import read_text_bounded
from wfsync.model.spec_types import DAGTask, Template

OUTPUTS_JOB = "wfsync-call-outputs"
"""The id of the job that computes a call's outputs (not a valid GitHub id, so never taken)."""
MAX_DEPTH = 10
"""GitHub's limit on nested reusable-workflow calls."""
_CALLER_CONTEXTS = frozenset({"github", "inputs", "vars", "secrets"})
"""What a ``with:`` value may read here: values that are the same anywhere in the run."""
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class CallError(Exception):
    """A call that cannot be inlined; the message says why."""


# Expressions as text ----------------------------------------------------------------------------


def expression_text(node: nodes.Expr | nodes.Star) -> str:
    """GitHub expression syntax for a tree (parenthesized; parses back to the same tree)."""
    if isinstance(node, nodes.Star):
        return "*"
    if isinstance(node, nodes.Literal):
        value = node.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            number = float(value)
            return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
        return "'" + str(value).replace("'", "''") + "'"
    if isinstance(node, nodes.ContextRef):
        return node.name
    if isinstance(node, nodes.Index):
        target = expression_text(node.target)
        if isinstance(node.index, nodes.Star):
            return f"{target}.*"
        if (
            isinstance(node.index, nodes.Literal)
            and isinstance(node.index.value, str)
            and _NAME.match(node.index.value)
        ):
            return f"{target}.{node.index.value}"
        return f"{target}[{expression_text(node.index)}]"
    if isinstance(node, nodes.Not):
        return f"!({expression_text(node.operand)})"
    if isinstance(node, nodes.Compare):
        return f"({expression_text(node.left)} {node.op} {expression_text(node.right)})"
    if isinstance(node, nodes.Logical):
        return "(" + f" {node.op} ".join(expression_text(a) for a in node.args) + ")"
    return f"{node.name}(" + ", ".join(expression_text(a) for a in node.args) + ")"


def _rewrite_text(text: str, change: Callable[[nodes.Expr], nodes.Expr | None], whole: bool) -> str:
    """``text`` with its expressions rewritten (``whole``: the text is one bare expression, as ``if:``)."""
    if whole and "${{" not in text:
        try:
            return expression_text(transform(parse(text), change))
        except ExpressionError:
            return text
    try:
        spans = find_expressions(text)
    except ExpressionError:
        return text
    out, pos = [], 0
    for span in spans:
        out.append(text[pos : span.start])
        try:
            out.append("${{ " + expression_text(transform(parse(span.expression), change)) + " }}")
        except ExpressionError:
            out.append(text[span.start : span.end])
        pos = span.end
    return "".join(out) + text[pos:]


def rewrite(value: Any, change: Callable[[nodes.Expr], nodes.Expr | None], key: str = "") -> Any:
    """A copy of a workflow value (mappings, lists, strings) with every expression rewritten."""
    if isinstance(value, dict):
        return {k: rewrite(v, change, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [rewrite(v, change) for v in value]
    if isinstance(value, str) and ("${{" in value or key == "if"):
        return _rewrite_text(value, change, whole=key == "if")
    return value


# Inputs and secrets ---------------------------------------------------------------------------


def _value_expression(value: Any, kind: str, where: str) -> nodes.Expr:
    """The expression giving an input's value: a constant of the input's type, or the caller's expression."""
    if isinstance(value, str) and "${{" in value:
        spans = find_expressions(value)
        if len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(value.strip()):
            tree = parse(spans[0].expression)
        else:
            tree = interpolation(value)
        outside = referenced_contexts(tree) - _CALLER_CONTEXTS
        if outside:
            raise CallError(f"{where} reads {', '.join(sorted(outside))}, which is not converted for calls")
        return tree
    if kind == "number" and not isinstance(value, bool):
        try:
            return nodes.Literal(float(value))
        except (TypeError, ValueError):
            return nodes.Literal(value)
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return nodes.Literal(value.lower() == "true")
    if kind == "string" and not isinstance(value, str):
        return nodes.Literal(scalar_text(value))
    return nodes.Literal(value)


_TYPE_DEFAULTS: dict[str, object] = {"boolean": False, "number": 0.0, "string": ""}


def input_values(
    call: Mapping[str, object], given: Mapping[str, object], job_id: str
) -> dict[str, nodes.Expr]:
    """Declared input name (lower case) -> the expression of its value in this call."""
    definitions = call.get("inputs") if isinstance(call.get("inputs"), dict) else {}
    assert isinstance(definitions, dict)
    lowered = {str(k).lower(): v for k, v in given.items()}
    values: dict[str, nodes.Expr] = {}
    for name, definition in definitions.items():
        spec = definition if isinstance(definition, dict) else {}
        kind = scalar_text(spec.get("type")) or "string"
        where = f"job {job_id}: input {name}"
        if str(name).lower() in lowered:
            values[str(name).lower()] = _value_expression(lowered[str(name).lower()], kind, where)
        elif spec.get("default") is not None:
            values[str(name).lower()] = _value_expression(spec["default"], kind, f"{where} (default)")
        else:
            values[str(name).lower()] = nodes.Literal(_TYPE_DEFAULTS.get(kind, ""))
    return values


def _secret_values(secrets: object, job_id: str) -> dict[str, nodes.Expr] | None:
    """Secret name (lower case) -> expression; None for ``inherit`` (the caller's secrets as they are)."""
    if isinstance(secrets, str):
        return None  # `inherit` (the schema allows nothing else)
    values: dict[str, nodes.Expr] = {}
    for name, value in (secrets or {}).items() if isinstance(secrets, dict) else []:
        values[str(name).lower()] = _value_expression(value, "string", f"job {job_id}: secret {name}")
    return values


def _context_key(node: nodes.Expr, context: str) -> str | None:
    if (
        isinstance(node, nodes.Index)
        and isinstance(node.target, nodes.ContextRef)
        and node.target.name.lower() == context
        and isinstance(node.index, nodes.Literal)
        and isinstance(node.index.value, str)
    ):
        return node.index.value
    return None


def substitution(
    inputs: Mapping[str, nodes.Expr], secrets: Mapping[str, nodes.Expr] | None
) -> Callable[[nodes.Expr], nodes.Expr | None]:
    """The node replacement that gives a called workflow its ``inputs`` and ``secrets``."""

    def change(node: nodes.Expr) -> nodes.Expr | None:
        name = _context_key(node, "inputs")
        if name is not None:
            return inputs.get(name.lower(), nodes.Literal(None))  # undeclared inputs read as null
        name = _context_key(node, "secrets")
        if name is not None and secrets is not None and name.upper() != "GITHUB_TOKEN":
            return secrets.get(name.lower(), nodes.Literal(None))
        name = _context_key(node, "jobs")
        if name is not None:
            return nodes.Index(
                nodes.ContextRef("needs", 0), nodes.Literal(name)
            )  # workflow outputs read jobs.X
        return None

    return change


# The call ---------------------------------------------------------------------------------------


def _called_path(conv: WorkflowBuild, uses: str) -> Path:
    root = composite.repository_root(conv.wf.path)
    for candidate in composite._candidates(root, uses):
        if candidate.is_file():
            return candidate
    raise CallError(f"{uses}: no such workflow file under {root}")


def _load(conv: WorkflowBuild, uses: str) -> Workflow:
    path = _called_path(conv, uses)
    try:
        text = read_text_bounded(path)
        return parse_workflow(text, path, ParseOptions(resolve=composite.local_resolver(path)))
    except OSError as err:
        raise CallError(f"{uses}: cannot read: {err.strerror}") from None
    except InvalidWorkflow as err:
        raise CallError(f"{uses} is not a valid workflow: {'; '.join(err.lines()[:3])}") from None


def _workflow_call(workflow: Workflow) -> dict[str, Any]:
    if "workflow_call" not in workflow.triggers:
        raise CallError(f"{workflow.path.name} has no on.workflow_call trigger, so it cannot be called")
    config = workflow.triggers.get("workflow_call")
    return config if isinstance(config, dict) else {}


def prepare_calls(conv: WorkflowBuild) -> None:
    """Mark the call jobs whose called workflow has outputs (downstream jobs then read them)."""
    for job in conv.wf.jobs.values():
        if job.uses and job.uses.startswith("./"):
            try:
                outputs = _workflow_call(_load(conv, job.uses)).get("outputs")
            except CallError:
                continue
            if isinstance(outputs, dict):
                job.call_outputs = tuple(str(k) for k in outputs)


def _called_workflow(conv: WorkflowBuild, job: Job) -> tuple[Workflow, dict[str, Any]]:
    """The called workflow with the call's inputs and secrets put in, plus its outputs job."""
    assert job.uses is not None
    called = _load(conv, job.uses)
    call = _workflow_call(called)
    given = job.raw.get("with") if isinstance(job.raw.get("with"), dict) else {}
    assert isinstance(given, dict)
    change = substitution(input_values(call, given, job.id), _secret_values(job.raw.get("secrets"), job.id))
    raw = dict(called.raw)
    for key in ("env", "defaults", "concurrency"):
        if key in raw:
            raw[key] = rewrite(raw[key], change, key)
    jobs: dict[str, Job] = {}
    for job_id, inner in called.jobs.items():
        steps = [Step(s.id, s.explicit_id, s.index, s.line, rewrite(s.raw, change)) for s in inner.steps]
        jobs[job_id] = Job(job_id, inner.line, rewrite(inner.raw, change), steps, inner.call_outputs)
    outputs = call.get("outputs") if isinstance(call.get("outputs"), dict) else {}
    assert isinstance(outputs, dict)
    if outputs:
        values = {
            str(name): rewrite(spec.get("value", "") if isinstance(spec, dict) else "", change)
            for name, spec in outputs.items()
        }
        needs = sorted(
            {
                str(index.value)
                for text in values.values()
                for span in find_expressions(str(text))
                for index in _needs(parse(span.expression))
            }
        )
        raw_job = {"runs-on": "ubuntu-latest", "needs": needs, "outputs": values, "steps": []}
        jobs[OUTPUTS_JOB] = Job(OUTPUTS_JOB, job.line, raw_job, [])
    raw["jobs"] = {k: j.raw for k, j in jobs.items()}
    return Workflow(called.path, raw, jobs, called.root, called.text), outputs


def _needs(tree: nodes.Expr) -> list[nodes.Literal]:
    return [
        n.index
        for n in walk(tree)
        if isinstance(n, nodes.Index)
        and isinstance(n.target, nodes.ContextRef)
        and n.target.name.lower() == "needs"
        and isinstance(n.index, nodes.Literal)
    ]


def call_task(conv: WorkflowBuild, plan: JobPlan) -> DAGTask:
    """The call job's task: ``template: call-<task>`` (or a failing call with the reason)."""
    job = plan.job
    uses = job.uses or ""
    entry = StepEntry(job.id, job.id, "workflow", uses, "known")
    conv.report.steps.append(entry)
    try:
        if not uses.startswith("./"):
            raise CallError(f"{uses} is a remote reusable workflow; wfsync converts only local ones (./...)")
        strategy = job.raw.get("strategy")
        if isinstance(strategy, dict) and strategy.get("matrix") is not None:
            raise CallError("a reusable-workflow call with a matrix is not converted")
        if len(conv.calls) >= MAX_DEPTH:
            raise CallError(f"reusable workflows nest deeper than {MAX_DEPTH}")
        called, outputs = _called_workflow(conv, job)
        chain = (*conv.calls, conv.wf.path.resolve())
        if called.path.resolve() in chain:
            raise CallError(f"{uses} calls itself (through {', '.join(p.name for p in chain)})")
    except (CallError, ExpressionError) as err:
        entry.verdict, entry.note = "unsupported", str(err)
        conv.report.unsupported_jobs += 1
        return as_task(plan.task, failing_call(f"job {job.id} calls {uses}: {err}"))
    inner = conv.nested(called, chain)
    taken: set[str] = set()
    for job_id, called_job in called.jobs.items():
        base = slug(f"{plan.task}-{job_id}", 50)
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        inner.plans[job_id] = JobPlan(called_job, name, None)
    prepare_calls(inner)
    inner.scan_uploads()
    tasks = [t for p in inner.plans.values() for t in inner.job_tasks(p)]
    conv.templates.extend(inner.templates)
    conv.uses_cache = conv.uses_cache or inner.uses_cache
    template: Template = {"name": f"call-{plan.task}", "dag": {"failFast": False, "tasks": tasks}}
    if outputs:
        source = inner.plans[OUTPUTS_JOB].task
        template["outputs"] = {
            "parameters": [
                {
                    "name": "outputs",
                    "valueFrom": {"parameter": f"{{{{tasks.{source}.outputs.parameters.outputs}}}}"},
                }
            ]
        }
    conv.templates.append(template)
    return {"name": plan.task, "template": template["name"]}
