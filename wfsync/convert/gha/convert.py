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

The pieces live in modules named after them: :mod:`.document` (kind, metadata, header),
:mod:`.dag` (task shapes), :mod:`.conditions` (``if:``), :mod:`.triggers`, :mod:`.runners`;
this module holds the workflow-wide state the job builder (:mod:`.jobs`) reports into.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from wfsync.convert.gha import conditions, dag, matrix_runtime, reusable, triggers
from wfsync.convert.gha import script as drivers
from wfsync.convert.gha.argo import as_task, library_call, parameters, slug
from wfsync.convert.gha.compiler import to_argo
from wfsync.convert.gha.conditions import TERMINAL
from wfsync.convert.gha.document import SECRET_NAME, WORKSPACE_CLAIM, document, header, synchronization
from wfsync.convert.gha.expressions import ExpressionError, has_expressions
from wfsync.convert.gha.expressions.nodes import Expr
from wfsync.convert.gha.jobs import JobBuilder
from wfsync.convert.gha.matrix import DynamicMatrix, MatrixError, expand_matrix, resolve_matrix
from wfsync.convert.gha.model import Job, Workflow
from wfsync.convert.gha.plans import (
    DEFAULT_IMAGE,
    Conversion,
    ExpandMake,
    JobPlan,
    Mutexes,
    has_outputs,
    is_matrix,
    matrix_keys,
    matrix_outputs,
)
from wfsync.convert.gha.report import WorkflowReport
from wfsync.convert.gha.rules import RuleSet
from wfsync.convert.gha.runners import runner_image
from wfsync.convert.gha.translate import Scope, Untranslatable, fold_field
from wfsync.convert.gha.yaml12 import scalar_text
from wfsync.model.spec_types import Arguments, Artifact, DAGTask, Template, WorkflowSpec

__all__ = [
    "DEFAULT_IMAGE",
    "SECRET_NAME",
    "TERMINAL",
    "Conversion",
    "Converter",
    "JobPlan",
    "has_outputs",
    "is_matrix",
    "matrix_outputs",
    "slug",
]


class Converter:
    """Converts one workflow; ``report`` collects verdicts and manual tasks as it goes."""

    def __init__(
        self,
        workflow: Workflow,
        rules: RuleSet,
        *,
        template: bool = False,
        expand_make: ExpandMake | None = None,
    ) -> None:
        self.wf = workflow
        self.rules = rules
        self.as_template = template
        self.report = WorkflowReport(workflow.path)
        self.parameters: dict[str, str] = {}
        self.templates: list[Template] = []
        self.uses_cache = False
        self.plans: dict[str, JobPlan] = {}
        self.calls: tuple[Path, ...] = ()
        """The reusable workflows being inlined around this one (to stop a cycle)."""
        self.expand_make = expand_make

    # Workflow ---------------------------------------------------------------------------------

    def convert(self) -> Conversion:
        """Build the document."""
        wf = self.wf
        triggers.note_triggers(wf, self.report)
        taken: set[str] = set()
        for job_id, job in wf.jobs.items():
            name, n = slug(job_id, 40), 1
            while name in taken or name == "main":
                n += 1
                name = f"{slug(job_id, 40)}-{n}"
            taken.add(name)
            self.plans[job_id] = JobPlan(job, name, None)
        self.scan_uploads()
        reusable.prepare_calls(self)
        tasks = []
        for plan in self.plans.values():
            tasks.extend(self.job_tasks(plan))
        self.report.jobs = len(wf.jobs)
        tasks = dag.continue_with_depends(tasks, self.templates)
        spec = self._spec({"name": "main", "dag": {"failFast": False, "tasks": tasks}})
        result = document(spec, wf.path, wf.name, template=self.as_template, cron=triggers.schedules(wf))
        self.report.kind = result["kind"]
        self.report.finish()
        return Conversion(wf.path, result, header(self.wf.path, self.report), self.report)

    def _spec(self, main: Template) -> WorkflowSpec:
        """The workflow spec: parameters, the shared workspace, the cache volume and mutex."""
        inputs = self._dispatch_inputs()
        params = {"repo": "https://github.com/OWNER/REPO.git", "revision": "", **self.parameters}
        spec: WorkflowSpec = {"entrypoint": "main"}
        spec["arguments"] = {"parameters": triggers.argument_parameters(params, inputs)}
        spec["volumeClaimTemplates"] = [copy.deepcopy(WORKSPACE_CLAIM)]
        if self.uses_cache:
            spec["volumes"] = [{"name": "cache", "persistentVolumeClaim": {"claimName": "wfsync-cache"}}]
            self.report.manual.other.append("create the PersistentVolumeClaim wfsync-cache for actions/cache")
        concurrency = self.synchronization(self.wf.raw.get("concurrency"), "workflow")
        if concurrency:
            spec["synchronization"] = concurrency
        spec["templates"] = [main, *self.templates]
        return spec

    def _dispatch_inputs(self) -> dict[str, dict[str, object]]:
        found = triggers.dispatch_inputs(self.wf)
        for name in found:
            self.parameters.setdefault(name, "")
        return found

    def synchronization(self, concurrency: object, where: str) -> Mutexes | None:
        """``concurrency`` as a mutex (see :func:`.document.synchronization`)."""
        return synchronization(concurrency, where, f"{slug(self.wf.path.stem)}-{where}", self.report)

    # Jobs -------------------------------------------------------------------------------------

    def scan_uploads(self) -> None:
        """Name the output artifact of each ``upload-artifact`` (not of matrix jobs) before jobs are built."""
        for plan in self.plans.values():
            if is_matrix(plan.job):
                continue  # Argo aggregates the artifacts of withItems legs; not converted
            for step in plan.job.steps:
                uses = (step.uses or "").lower()
                if uses.startswith("actions/upload-artifact@"):
                    name = scalar_text((step.raw.get("with") or {}).get("name")) or "artifact"
                    if "${{" not in name:
                        plan.uploads[name] = "artifact-" + slug(name, 40)

    def job_tasks(self, plan: JobPlan) -> list[DAGTask]:
        """The DAG tasks of one job (its template is added): with its matrix fan-out or generator."""
        job = plan.job
        if job.uses:
            task = reusable.call_task(self, plan)
        else:
            template = self._job_template(plan)
            self.templates.append(template)
            task = {"name": plan.task, "template": template["name"]}
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
            return dag.generated_legs(task, plan, self.report)
        if plan.legs is not None:
            return dag.matrix_legs(task, plan, self.templates, self.report)
        return [task]

    def _job_arguments(self, plan: JobPlan) -> Arguments:
        params: dict[str, str] = {}
        if plan.legs is not None:
            for key in matrix_keys(plan):
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
        artifacts: list[Artifact] = []
        for name, source in self.downloads(plan).items():
            artifacts.append({"name": name, "from": f"{{{{tasks.{source}.outputs.artifacts.{name}}}}}"})
        out: Arguments = {}
        if params:
            out["parameters"] = parameters(params)
        if artifacts:
            out["artifacts"] = artifacts
        return out

    def downloads(self, plan: JobPlan) -> dict[str, str]:
        """Artifacts this job downloads: output artifact name -> task that uploads it."""
        found: dict[str, str] = {}
        ancestors = dag.ancestors(self.wf.jobs, plan.job.id)
        for step in plan.job.steps:
            if (step.uses or "").lower().startswith("actions/download-artifact@"):
                name = scalar_text((step.raw.get("with") or {}).get("name")) or "artifact"
                for job_id in ancestors:
                    upstream = self.plans[job_id]
                    if name in upstream.uploads:
                        found[upstream.uploads[name]] = upstream.task
        return found

    def task_name(self, job_id: str) -> str:
        """The Argo task of a job id (compared without case, as GitHub does)."""
        for jid, plan in self.plans.items():
            if jid.lower() == job_id.lower():
                return plan.task
        return slug(job_id)

    def _job_condition(self, job: Job) -> tuple[str, str]:
        """``depends`` and ``when`` for a job's ``if:`` over its ``needs``."""
        needs = [self.task_name(n) for n in job.needs]
        coe = {self.task_name(j) for j, p in self.plans.items() if p.job.raw.get("continue-on-error") is True}
        condition = job.raw.get("if")
        kind, rest = "success", None
        if condition not in (None, ""):
            kind, rest = self.split_status(scalar_text(condition), f"job {job.id}")
        finished = " && ".join(f"({n}.{f' || {n}.'.join(TERMINAL)})" for n in needs)
        if kind == "always":
            depends = finished
        elif kind == "failure":
            if not needs:
                return "", "false"
            ancestors = [self.task_name(a) for a in dag.ancestors(self.wf.jobs, job.id)]
            depends = finished + " && (" + " || ".join(f"{a}.Failed || {a}.Errored" for a in ancestors) + ")"
        elif kind == "cancelled":
            self.report.attend(f"job {job.id}: cancelled() is always false in Argo; the job never runs")
            return " && ".join(needs), "false"
        else:
            depends = " && ".join(
                f"({n}.Succeeded || {n}.Failed)" if n in coe else f"{n}.Succeeded" for n in needs
            )
        when = self.when(rest, self._dag_scope(job), f"job {job.id}") if rest is not None else ""
        return depends, when

    def split_status(self, text: str, where: str) -> tuple[str, Expr | None]:
        """The status check of an ``if`` and the rest of it (see :func:`.conditions.split_status`)."""
        return conditions.split_status(text, where, self.report)

    def when(self, tree: Expr, scope: Scope, where: str) -> str:
        """An Argo ``when`` for a condition (see :func:`.conditions.when`), its parameters declared."""
        result = conditions.when(tree, scope, where, self.report)
        if result.startswith("{{="):
            self.use_parameters(scope)
        return result

    def use_parameters(self, scope: Scope) -> None:
        """Declare the workflow parameters a translation read (``vars`` ones are a manual task)."""
        for name, default in scope.used_parameters.items():
            if name not in self.parameters:
                self.parameters[name] = default
                if name.startswith("vars-"):
                    self.report.manual.other.append(
                        f"set the workflow parameter {name} (GitHub variable {name[5:]})"
                    )

    def _job_template(self, plan: JobPlan) -> Template:
        job = plan.job
        strategy = job.raw.get("strategy") or {}
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
        template = JobBuilder(self, plan, workdir).build()
        if plan.generator is not None:
            inputs = template.setdefault("inputs", {}).setdefault("parameters", [])
            inputs.append({"name": "matrix"})
        return template

    def _dag_scope(self, job: Job) -> Scope:
        """The scope of expressions evaluated before the job starts (``if``, ``strategy``)."""
        scope = Scope("dag", task_names={j: self.task_name(j) for j in job.needs})
        scope.matrix_tasks = {p.task for j, p in self.plans.items() if j in job.needs and is_matrix(p.job)}
        return scope

    def _matrix_generator(self, plan: JobPlan, matrix: object, scope: Scope) -> None:
        """A task that computes the run-time ``matrix`` and gives the legs to ``withParam``."""
        job = plan.job
        try:
            node, values = matrix_runtime.template(
                matrix, lambda text: fold_field(text, scope), lambda e: f"toJson({to_argo(e, scope)})"
            )
        except (Untranslatable, ExpressionError) as err:
            self.report.attend(f"job {job.id}: the run-time matrix is not converted ({err}); one leg runs")
            return
        self.use_parameters(scope)
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
        plan.generator = as_task(f"{plan.task}--matrix", library_call("shell", "run", params))
        self.report.attend(
            f"job {job.id}: the matrix is computed at run time by the task {plan.task}--matrix ({matrix_runtime.GENERATOR_IMAGE})"
        )

    def nested(self, workflow: Workflow, calls: tuple[Path, ...]) -> Converter:
        """A converter for a called workflow: it reports into this one and shares its parameters."""
        inner = Converter(workflow, self.rules, expand_make=self.expand_make)
        inner.report = self.report
        inner.parameters = self.parameters
        inner.calls = calls
        return inner

    def runner_image(self, job: Job) -> str:
        """The image a job's steps run in, from ``container:`` or the runner rules."""
        return runner_image(job, self.rules, self.report)
