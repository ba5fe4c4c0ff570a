"""Turn a checked GitHub Actions workflow into one Argo Workflow that calls the wfsync library.

Layout of the result (``main`` is a DAG with ``failFast: false``):

- each job is a DAG task running a ``steps`` template ``job-<id>``; ``needs`` become ``depends``
  with explicit ``.Succeeded`` (status functions widen it), the rest of ``if`` becomes ``when``;
  a matrix becomes ``withItems`` (legs expanded here), ``max-parallel`` a wrapper's ``parallelism``;
- each step is one step of that template calling a library template through ``templateRef``:
  ``run:`` steps call ``shell/run`` with a generated driver (``script.py``), actions call what
  their rule (``converters/``) says; all steps of a job share the ``workspace`` volume, each job
  (and matrix leg) in its own directory ``jobs/<job>[-<leg>]``;
- secrets are read from the Secret ``github-secrets`` (``secret-env``), never written here.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfsync.convert.gha import matrix_runtime
from wfsync.convert.gha import script as drivers
from wfsync.convert.gha.expressions import ExpressionError, find_expressions, has_expressions, parse
from wfsync.convert.gha.expressions.nodes import Call, Expr, Logical, Not
from wfsync.convert.gha.matrix import DynamicMatrix, MatrixError, expand_matrix, resolve_matrix
from wfsync.convert.gha.model import Job, Workflow
from wfsync.convert.gha.report import WorkflowReport
from wfsync.convert.gha.rules import RuleSet
from wfsync.convert.gha.translate import (
    Scope,
    Untranslatable,
    fold,
    fold_field,
    fold_tree,
    status_calls,
    to_argo,
    to_argo_condition,
)
from wfsync.convert.gha.yaml12 import scalar_text

SECRET_NAME = "github-secrets"
DEFAULT_IMAGE = "debian:bookworm-slim"
TERMINAL = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted")


@dataclass
class Conversion:
    """One converted workflow: the Argo document, a header comment and the report entry."""

    source: Path
    document: dict[str, Any] | None
    header: list[str]
    report: WorkflowReport

    @property
    def name(self) -> str:
        """The file stem for the output (``<workflow file stem>.yaml``)."""
        return self.source.stem


def _ref(family: str, template: str) -> dict[str, Any]:
    return {"name": family, "template": template, "clusterScope": True}


def slug(text: str, limit: int = 50) -> str:
    """A DNS-label-like name: lower case, ``-`` for anything else."""
    out = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return (out or "x")[:limit].strip("-") or "x"


def _params(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in values.items()]


@dataclass
class JobPlan:
    """What the converter knows about a job before and while building it."""

    job: Job
    task: str
    legs: list[dict[str, Any]] | None
    uploads: dict[str, str] = field(default_factory=dict)
    """artifact name -> output artifact name of the job template."""
    has_outputs: bool = False
    generator: dict[str, Any] | None = None
    """The task that computes a run-time matrix (``legs`` is then ``[]``), see :mod:`.matrix_runtime`."""


class Converter:
    """Converts one workflow; ``report`` collects verdicts and manual tasks as it goes."""

    def __init__(self, workflow: Workflow, rules: RuleSet, *, template: bool = False) -> None:
        self.wf = workflow
        self.rules = rules
        self.as_template = template
        self.report = WorkflowReport(workflow.path)
        self.parameters: dict[str, str] = {}
        self.templates: list[dict[str, Any]] = []
        self.uses_cache = False
        self.plans: dict[str, JobPlan] = {}
        self.calls: tuple[Path, ...] = ()
        """The reusable workflows being inlined around this one (to stop a cycle)."""

    # Workflow ---------------------------------------------------------------------------------

    def convert(self) -> Conversion:
        """Build the document."""
        wf = self.wf
        self._triggers()
        taken: set[str] = set()
        for job_id, job in wf.jobs.items():
            name, n = slug(job_id, 40), 1
            while name in taken or name == "main":
                n += 1
                name = f"{slug(job_id, 40)}-{n}"
            taken.add(name)
            self.plans[job_id] = JobPlan(job, name, None)
        self._scan_uploads()
        from wfsync.convert.gha.reusable import prepare_calls

        prepare_calls(self)
        tasks = []
        for plan in self.plans.values():
            tasks.extend(self._job_tasks(plan))
        self.report.jobs = len(wf.jobs)
        tasks = self._continue_with_depends(tasks)
        main = {"name": "main", "dag": {"failFast": False, "tasks": tasks}}
        spec: dict[str, Any] = {"entrypoint": "main"}
        self._dispatch_inputs()
        params = {"repo": "https://github.com/OWNER/REPO.git", "revision": "", **self.parameters}
        spec["arguments"] = {"parameters": self._argument_parameters(params)}
        spec["volumeClaimTemplates"] = [
            {
                "metadata": {"name": "workspace"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            }
        ]
        if self.uses_cache:
            spec["volumes"] = [{"name": "cache", "persistentVolumeClaim": {"claimName": "wfsync-cache"}}]
            self.report.manual.other.append("create the PersistentVolumeClaim wfsync-cache for actions/cache")
        concurrency = self._synchronization(wf.raw.get("concurrency"), "workflow")
        if concurrency:
            spec["synchronization"] = concurrency
        spec["templates"] = [main, *self.templates]
        name = slug(Path(wf.path).stem)
        labels = {"app.kubernetes.io/managed-by": "wfsync"}
        annotations = {
            "workflows.argoproj.io/description": f"Converted from {wf.path.name} ({wf.name}) by wfsync convert github-actions.",
            "wfsync.io/source": str(wf.path),
        }
        schedules = self._schedules()
        document: dict[str, Any]
        if self.as_template:
            document = {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "WorkflowTemplate",
                "metadata": {"name": name, "labels": labels, "annotations": annotations},
                "spec": spec,
            }
        elif schedules:
            document = {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "CronWorkflow",
                "metadata": {"name": name, "labels": labels, "annotations": annotations},
                "spec": {"schedules": schedules, "timezone": "UTC", "workflowSpec": spec},
            }
        else:
            document = {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "metadata": {"generateName": name + "-", "labels": labels, "annotations": annotations},
                "spec": spec,
            }
        self.report.kind = document["kind"]
        self.report.finish()
        return Conversion(wf.path, document, self._header(), self.report)

    def _continue_with_depends(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Tasks with ``depends`` never carry ``continueOn`` (Argo rejects the pair).

        Dependants of a ``continue-on-error`` job already accept its failure (``X.Failed`` in
        their ``depends``). What ``continueOn`` still did is keep a failed leaf from failing the
        workflow: a leaf gets a no-op task after it, ``X.Succeeded || X.Failed``, which is then
        the DAG's target instead (Argo judges the DAG by its targets only).
        """
        out: list[dict[str, Any]] = []
        for task in tasks:
            out.append(task)
            if "continueOn" not in task or "depends" not in task:
                continue
            del task["continueOn"]
            name = task["name"]
            if any(re.search(rf"(?<![\w-]){re.escape(name)}\.", str(t.get("depends", ""))) for t in tasks):
                continue
            if not any(t["name"] == "continue" for t in self.templates):
                self.templates.append({"name": "continue", "suspend": {"duration": "0"}})
            out.append(
                {
                    "name": f"{name}-continue",
                    "template": "continue",
                    "depends": f"{name}.Succeeded || {name}.Failed",
                }
            )
        return out

    def _argument_parameters(self, params: dict[str, str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        inputs = self._dispatch_inputs()
        for name, default in params.items():
            entry: dict[str, Any] = {"name": name, "value": default}
            spec = inputs.get(name)
            if spec:
                kind = spec.get("type")
                if spec.get("description"):
                    entry["description"] = str(spec["description"])
                if "default" in spec:
                    entry["value"] = scalar_text(spec["default"])
                if kind == "choice" and spec.get("options"):
                    entry["enum"] = [scalar_text(o) for o in spec["options"]]
                elif kind == "boolean":
                    entry["enum"] = ["true", "false"]
                    entry["value"] = entry["value"] or "false"
            out.append(entry)
        return out

    def _dispatch_inputs(self) -> dict[str, dict[str, Any]]:
        triggers = self.wf.triggers
        found: dict[str, dict[str, Any]] = {}
        for event in ("workflow_dispatch", "workflow_call"):
            config = triggers.get(event)
            if isinstance(config, dict) and isinstance(config.get("inputs"), dict):
                for name, spec in config["inputs"].items():
                    found[name] = spec if isinstance(spec, dict) else {}
        for name in found:
            self.parameters.setdefault(name, "")
        return found

    def _triggers(self) -> None:
        for event in self.wf.triggers:
            if event in ("workflow_dispatch", "schedule"):
                continue
            if event == "workflow_call":
                self.report.attend(
                    "workflow_call: use --template to get a WorkflowTemplate other workflows can call"
                )
                continue
            self.report.manual.triggers[event] += 1
        for event in ("pull_request_target", "workflow_run"):
            if event in self.wf.triggers:
                self.report.attend(
                    f"privileged trigger {event}: review what the converted workflow checks out"
                )

    def _schedules(self) -> list[str]:
        config = self.wf.triggers.get("schedule")
        if not isinstance(config, list):
            return []
        return [str(entry["cron"]) for entry in config if isinstance(entry, dict) and "cron" in entry]

    def _synchronization(self, concurrency: Any, where: str) -> dict[str, Any] | None:
        if concurrency is None:
            return None
        group = concurrency.get("group") if isinstance(concurrency, dict) else concurrency
        text = scalar_text(group)
        if "${{" in text:
            try:
                spans = find_expressions(text)
                parts, pos = [], 0
                for span in spans:
                    ok, value = fold(span.expression, Scope("dag"))
                    if not ok:
                        raise Untranslatable("needs run-time values")
                    parts += [text[pos : span.start], scalar_text(value)]
                    pos = span.end
                text = "".join(parts) + text[pos:]
            except Untranslatable:
                self.report.attend(
                    f"{where} concurrency group {scalar_text(group)!r} depends on run-time values; one mutex per {where} is used"
                )
                text = f"{slug(self.wf.path.stem)}-{where}"
        if isinstance(concurrency, dict) and concurrency.get("cancel-in-progress"):
            self.report.attend(
                f"{where} concurrency cancel-in-progress has no Argo equivalent: runs queue instead"
            )
        return {"mutexes": [{"name": slug(text, 63)}]}

    def _header(self) -> list[str]:
        lines = [
            f"Converted from {self.wf.path} by wfsync convert github-actions.",
            f"Verdict: {self.report.verdict}.",
        ]
        if self.report.attention:
            lines.append("Needs attention:")
            lines += [f"  - {a}" for a in self.report.attention]
        for s in self.report.steps:
            if s.verdict != "known":
                lines.append(
                    f"  - step {s.job}/{s.step} ({s.name}): {s.verdict}{', ' + s.note if s.note else ''}"
                )
        manual = self.report.manual
        if manual.secrets:
            lines.append(f"Secret {SECRET_NAME} needs the keys: {', '.join(sorted(manual.secrets))}.")
        if manual.triggers:
            lines.append(f"Triggers not converted (use Argo Events): {', '.join(sorted(manual.triggers))}.")
        return lines

    # Jobs -------------------------------------------------------------------------------------

    def _scan_uploads(self) -> None:
        for plan in self.plans.values():
            if is_matrix(plan.job):
                continue  # Argo aggregates the artifacts of withItems legs; not converted
            for step in plan.job.steps:
                uses = (step.uses or "").lower()
                if uses.startswith("actions/upload-artifact@"):
                    name = scalar_text((step.raw.get("with") or {}).get("name")) or "artifact"
                    if "${{" not in name:
                        plan.uploads[name] = "artifact-" + slug(name, 40)

    def _job_tasks(self, plan: JobPlan) -> list[dict[str, Any]]:
        job = plan.job
        task: dict[str, Any] = {"name": plan.task}
        if job.uses:
            from wfsync.convert.gha.reusable import call_task

            task.update(call_task(self, plan))
        else:
            template = self._job_template(plan)
            self.templates.append(template)
            task["template"] = template["name"]
        depends, when = self._job_condition(job)
        if depends:
            task["depends"] = depends
        if when:
            task["when"] = when
        if job.raw.get("continue-on-error") is True:
            task["continueOn"] = {"failed": True}
        arguments = self._job_arguments(plan) if not job.uses else {}
        if arguments:
            task["arguments"] = arguments
        if plan.generator is not None:
            generator = {**plan.generator, **{k: v for k, v in task.items() if k in ("depends", "when")}}
            task.pop("when", None)
            task["depends"] = f"{generator['name']}.Succeeded"
            task["withParam"] = f"{{{{tasks.{generator['name']}.outputs.parameters.output}}}}"
            if (job.raw.get("strategy") or {}).get("max-parallel") is not None:
                self.report.attend(f"job {job.id}: max-parallel of a run-time matrix is not converted")
            return [generator, task]
        if plan.legs is not None:
            items = [
                {**{k: _item_value(leg.get(k)) for k in self._matrix_keys(plan)}, "leg": str(i)}
                for i, leg in enumerate(plan.legs)
            ]
            strategy = job.raw.get("strategy") or {}
            max_parallel = strategy.get("max-parallel")
            if isinstance(max_parallel, (int, float)) and max_parallel >= 1:
                inner = dict(task, name="leg", withItems=items)
                inner.pop("depends", None)
                inner.pop("when", None)
                wrapper = {
                    "name": f"matrix-{plan.task}",
                    "parallelism": int(max_parallel),
                    "dag": {"failFast": strategy.get("fail-fast", True) is not False, "tasks": [inner]},
                }
                self.templates.append(wrapper)
                outer = {k: v for k, v in task.items() if k in ("name", "depends", "when", "continueOn")}
                outer["template"] = wrapper["name"]
                if any(
                    p["name"].startswith("needs-") for p in task.get("arguments", {}).get("parameters", [])
                ):
                    self.report.attend(
                        f"job {job.id}: with max-parallel, needs outputs reach the legs only through the wrapper"
                    )
                return [outer]
            task["withItems"] = items
        return [task]

    def _matrix_keys(self, plan: JobPlan) -> list[str]:
        keys: list[str] = []
        for leg in plan.legs or []:
            keys.extend(k for k in leg if k not in keys)
        return keys

    def _job_arguments(self, plan: JobPlan) -> dict[str, Any]:
        params: dict[str, str] = {}
        if plan.legs is not None:
            for key in self._matrix_keys(plan):
                params[f"matrix-{key}"] = f"{{{{item.{key}}}}}"
            params["leg"] = "{{item.leg}}"
            if plan.generator is not None:
                params["matrix"] = "{{item.matrix}}"
        for need in plan.job.needs:
            upstream = self.plans.get(need)
            if upstream is not None and has_outputs(upstream.job):
                params[f"needs-{upstream.task}"] = (
                    f"{{{{={matrix_outputs(upstream.task)}}}}}"
                    if is_matrix(upstream.job)
                    else f"{{{{tasks.{upstream.task}.outputs.parameters.outputs}}}}"
                )
        artifacts = []
        for name, source in self._downloads(plan).items():
            artifacts.append({"name": name, "from": f"{{{{tasks.{source}.outputs.artifacts.{name}}}}}"})
        out: dict[str, Any] = {}
        if params:
            out["parameters"] = _params(params)
        if artifacts:
            out["artifacts"] = artifacts
        return out

    def _downloads(self, plan: JobPlan) -> dict[str, str]:
        """Artifacts this job downloads: output artifact name -> task that uploads it."""
        found: dict[str, str] = {}
        ancestors = self._ancestors(plan.job.id)
        for step in plan.job.steps:
            if (step.uses or "").lower().startswith("actions/download-artifact@"):
                name = scalar_text((step.raw.get("with") or {}).get("name")) or "artifact"
                for job_id in ancestors:
                    upstream = self.plans[job_id]
                    if name in upstream.uploads:
                        found[upstream.uploads[name]] = upstream.task
        return found

    def _ancestors(self, job_id: str) -> list[str]:
        seen: list[str] = []
        stack = list(self.wf.jobs[job_id].needs)
        while stack:
            wanted = stack.pop().lower()
            current = next((j for j in self.wf.jobs if j.lower() == wanted), None)
            if current is None or current in seen:
                continue
            seen.append(current)
            stack.extend(self.wf.jobs[current].needs)
        return seen

    def _task(self, job_id: str) -> str:
        for jid, plan in self.plans.items():
            if jid.lower() == job_id.lower():
                return plan.task
        return slug(job_id)

    def _job_condition(self, job: Job) -> tuple[str, str]:
        """``depends`` and ``when`` for a job's ``if:`` over its ``needs``."""
        needs = [self._task(n) for n in job.needs]
        coe = {self._task(j) for j, p in self.plans.items() if p.job.raw.get("continue-on-error") is True}
        condition = job.raw.get("if")
        kind, rest = "success", None
        if condition not in (None, ""):
            kind, rest = self._split_status(scalar_text(condition), f"job {job.id}")
        if kind == "always":
            depends = " && ".join(f"({n}.{f' || {n}.'.join(TERMINAL)})" for n in needs)
        elif kind == "failure":
            if not needs:
                return "", "false"
            ancestors = [self._task(a) for a in self._ancestors(job.id)]
            depends = " && ".join(f"({n}.{f' || {n}.'.join(TERMINAL)})" for n in needs)
            depends += " && (" + " || ".join(f"{a}.Failed || {a}.Errored" for a in ancestors) + ")"
        elif kind == "cancelled":
            self.report.attend(f"job {job.id}: cancelled() is always false in Argo; the job never runs")
            return " && ".join(needs), "false"
        else:
            depends = " && ".join(
                f"({n}.Succeeded || {n}.Failed)" if n in coe else f"{n}.Succeeded" for n in needs
            )
        when = ""
        if rest is not None:
            when = self._when(rest, self._dag_scope(job), f"job {job.id}")
        return depends, when

    def _split_status(self, text: str, where: str) -> tuple[str, Expr | None]:
        """The status check of an ``if`` (success/always/failure/cancelled) and the rest of it."""
        body = text.strip()
        spans = find_expressions(body) if "${{" in body else []
        if spans and len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(body):
            body = spans[0].expression
        elif spans:
            self.report.attend(f"{where}: if with text around ${{{{ }}}} is always true on GitHub")
            return "success", None
        tree = parse(body)
        calls = status_calls(tree)
        if not calls:
            return "success", tree
        parts = list(tree.args) if isinstance(tree, Logical) and tree.op == "&&" else [tree]
        status = [p for p in parts if _is_status(p)]
        others = [p for p in parts if not _is_status(p)]
        if len(status) != 1 or any(status_calls(o) for o in others):
            self.report.attend(
                f"{where}: the condition {text!r} mixes status functions; it runs as if always()"
            )
            kind = "always"
        else:
            kind = _status_kind(status[0])
        rest: Expr | None = None
        if len(others) == 1:
            rest = others[0]
        elif others:
            rest = Logical("&&", tuple(others))
        return kind, rest

    def _when(self, tree: Expr, scope: Scope, where: str) -> str:
        try:
            ok, value = fold_tree(tree, scope)
            if ok:
                return "" if _truthy(value) else "false"
            condition = to_argo_condition(tree, scope)
        except Untranslatable as err:
            self.report.attend(f"{where}: condition not converted ({err}); it is treated as true")
            return ""
        self._use_parameters(scope)
        return f"{{{{={condition}}}}}"

    def _use_parameters(self, scope: Scope) -> None:
        for name, default in scope.used_parameters.items():
            if name not in self.parameters:
                self.parameters[name] = default
                if name.startswith("vars-"):
                    self.report.manual.other.append(
                        f"set the workflow parameter {name} (GitHub variable {name[5:]})"
                    )

    def _failing_call(self, message: str) -> dict[str, Any]:
        script = f"echo {shlex.quote('wfsync: ' + message)} >&2\nexit 1\n"
        return {
            "templateRef": _ref("shell", "run"),
            "arguments": {"parameters": _params({"script": drivers.escape_braces(script), "shell": "sh"})},
        }

    def _job_template(self, plan: JobPlan) -> dict[str, Any]:
        job = plan.job
        raw = job.raw
        strategy = raw.get("strategy") or {}
        matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
        scope = self._dag_scope(job)
        dynamic = False
        try:
            matrix = resolve_matrix(matrix, lambda text: fold_field(text, scope))
        except DynamicMatrix:
            dynamic = True
        except (MatrixError, Untranslatable, ExpressionError) as err:
            self.report.attend(f"job {job.id}: matrix not evaluated ({err})")
        if dynamic:
            self._matrix_generator(plan, matrix, scope)
        elif isinstance(matrix, dict) and not has_expressions(json.dumps(matrix)):
            try:
                plan.legs = expand_matrix(matrix)
            except MatrixError as err:
                self.report.attend(f"job {job.id}: matrix not expanded ({err})")
        elif matrix is not None:
            self.report.attend(f"job {job.id}: the matrix {matrix!r} is not converted; one leg runs")
        workdir = f"jobs/{plan.task}" + ("-{{inputs.parameters.leg}}" if plan.legs is not None else "")
        from wfsync.convert.gha.jobs import JobBuilder

        builder = JobBuilder(self, plan, workdir)
        template = builder.build()
        if plan.generator is not None:
            inputs = template.setdefault("inputs", {}).setdefault("parameters", [])
            inputs.append({"name": "matrix"})
        return template

    def _dag_scope(self, job: Job) -> Scope:
        """The scope of expressions evaluated before the job starts (``if``, ``strategy``)."""
        scope = Scope("dag", task_names={j: self._task(j) for j in job.needs})
        scope.matrix_tasks = {p.task for j, p in self.plans.items() if j in job.needs and is_matrix(p.job)}
        return scope

    def _matrix_generator(self, plan: JobPlan, matrix: Any, scope: Scope) -> None:
        """A task that computes the run-time ``matrix`` and gives the legs to ``withParam``."""
        job = plan.job
        try:
            node, values = matrix_runtime.template(
                matrix, lambda text: fold_field(text, scope), lambda e: f"toJson({to_argo(e, scope)})"
            )
        except (Untranslatable, ExpressionError) as err:
            self.report.attend(f"job {job.id}: the run-time matrix is not converted ({err}); one leg runs")
            return
        self._use_parameters(scope)
        script = matrix_runtime.generator_script(node, len(values), job.id)
        env = "".join(f"WFSYNC_M{n}={{{{={value}}}}}\n" for n, value in enumerate(values))
        params = {
            "script": drivers.escape_braces(script),
            "shell": "python",
            "image": matrix_runtime.GENERATOR_IMAGE,
        }
        if env:
            params["env"] = env
        plan.legs = []
        plan.generator = {
            "name": f"{plan.task}--matrix",
            "templateRef": _ref("shell", "run"),
            "arguments": {"parameters": _params(params)},
        }
        self.report.attend(
            f"job {job.id}: the matrix is computed at run time by the task {plan.task}--matrix ({matrix_runtime.GENERATOR_IMAGE})"
        )

    def runner_image(self, job: Job) -> str:
        """The image a job's steps run in, from ``container:`` or the runner rules."""
        container = job.raw.get("container")
        image = container.get("image") if isinstance(container, dict) else container
        if image:
            if isinstance(container, dict) and container.get("credentials"):
                self.report.attend(
                    f"job {job.id}: the container registry credentials need an imagePullSecret"
                )
            if isinstance(container, dict) and container.get("options"):
                self.report.attend(
                    f"job {job.id}: container options {container['options']!r} are not converted"
                )
            return str(image)
        runs_on = job.raw.get("runs-on")
        labels: list[str] = []
        if isinstance(runs_on, str):
            labels = [runs_on]
        elif isinstance(runs_on, list):
            labels = [str(x) for x in runs_on]
        elif isinstance(runs_on, dict):
            labels = (
                [str(x) for x in (runs_on.get("labels") or [])]
                if isinstance(runs_on.get("labels"), list)
                else [str(runs_on.get("labels") or runs_on.get("group") or "")]
            )
        for label in labels:
            if "${{" in label:
                self.report.attend(
                    f"job {job.id}: runs-on {label!r} depends on run-time values; the default image is used"
                )
                self.report.manual.runners[label] += 1
                continue
            rule = self.rules.runner(label)
            if rule is None:
                self.report.manual.runners[label] += 1
                self.report.attend(f"job {job.id}: no rule for the runner {label!r}; {DEFAULT_IMAGE} is used")
                continue
            if rule.verdict == "unsupported":
                self.report.unsupported_jobs += 1
                self.report.manual.runners[label] += 1
                self.report.attend(f"job {job.id}: runner {label!r}: {rule.note or 'unsupported'}")
                return DEFAULT_IMAGE
            if rule.verdict == "partial":
                self.report.manual.runners[label] += 1
                self.report.attend(f"job {job.id}: runner {label!r}: {rule.note}")
            return rule.image or DEFAULT_IMAGE
        return DEFAULT_IMAGE


def is_matrix(job: Job) -> bool:
    """Whether the job fans out over a matrix."""
    strategy = job.raw.get("strategy")
    return isinstance(strategy, dict) and strategy.get("matrix") is not None


def has_outputs(job: Job) -> bool:
    """Whether downstream jobs can read the job's outputs.

    A matrix job's are its last leg's (Argo aggregates the legs' values in a list, see
    :func:`matrix_outputs`); not with ``max-parallel``, whose wrapper template has no outputs.
    """
    if job.call_outputs:
        return not is_matrix(job)  # a reusable-workflow call (calls with a matrix are not converted)
    if not job.raw.get("outputs"):
        return False
    strategy = job.raw.get("strategy")
    return not (is_matrix(job) and isinstance(strategy, dict) and strategy.get("max-parallel") is not None)


def matrix_outputs(task: str) -> str:
    """An expr-lang expression for the outputs of the matrix job ``task``: its last leg's lines.

    GitHub keeps one value per output, the one written last; legs that did not finish add nothing.
    """
    return f'(last(fromJSON(tasks[{json.dumps(task)}].outputs.parameters.outputs)) ?? "{{}}")'


def _truthy(value: Any) -> bool:
    from wfsync.convert.gha.expressions import truthy

    return bool(truthy(value))


def _is_status(node: Expr) -> bool:
    if isinstance(node, Call) and node.name.lower() in ("success", "failure", "always", "cancelled"):
        return True
    return (
        isinstance(node, Not) and isinstance(node.operand, Call) and node.operand.name.lower() == "cancelled"
    )


def _status_kind(node: Expr) -> str:
    if isinstance(node, Not):
        return "always"  # !cancelled(): nothing is ever cancelled here
    assert isinstance(node, Call)
    return node.name.lower()


def _item_value(value: Any) -> str:
    """A matrix value as the string ``{{item.key}}`` gives (JSON for lists and objects)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return scalar_text(value)
