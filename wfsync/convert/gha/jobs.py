"""One GitHub job as an Argo ``steps`` template: its steps in order, guarded by the job's outcome.

Each kind of step has its module: :mod:`.runsteps` (``run:``, ``docker://``, outputs),
:mod:`.actionsteps` (``uses:``), :mod:`.services`; this one orders them, decides each step's
``when`` (``if:`` and the failure of earlier steps) and wraps the template's inputs and outputs.
"""

from __future__ import annotations

from wfsync.convert.gha import composite
from wfsync.convert.gha import script as drivers
from wfsync.convert.gha.actionsteps import action_step
from wfsync.convert.gha.argo import failing_call, library_call, named
from wfsync.convert.gha.expressions import ExpressionError, referenced_contexts
from wfsync.convert.gha.inline import inline_env
from wfsync.convert.gha.jobstate import NAME, STEP_IMAGE, ArgoStep, JobScope, JobState, StepProblem
from wfsync.convert.gha.makesteps import make_step
from wfsync.convert.gha.model import Step
from wfsync.convert.gha.plans import DEFAULT_IMAGE, JobPlan, WorkflowBuild, has_outputs, matrix_keys
from wfsync.convert.gha.report import StepEntry
from wfsync.convert.gha.runcontext import step_environment
from wfsync.convert.gha.runsteps import docker_step, outputs_step, run_step
from wfsync.convert.gha.services import services
from wfsync.convert.gha.values import argo_text, env_value
from wfsync.convert.gha.yaml12 import scalar_text
from wfsync.model.spec_types import Inputs, Outputs, Parameter, Template

__all__ = ["STEP_IMAGE", "JobBuilder", "JobScope", "StepProblem", "has_outputs"]


class JobBuilder(JobState):
    """Builds the template of one job (``WorkflowBuild`` owns the workflow-wide state)."""

    def __init__(self, converter: WorkflowBuild, plan: JobPlan, workdir: str) -> None:
        super().__init__(converter, plan, workdir)
        self.guarded = any(self._status_kind(s) not in ("success",) for s in self.job.steps)

    def build(self) -> Template:
        """The ``steps`` template of the job."""
        services(self)
        self._container_image()
        at = len(self.groups)
        setup = self._setup()
        steps = self._expanded_steps()
        self.guarded = any(self._status_kind(s) not in ("success",) for s in steps)
        for step in steps:
            self._step(step)
        outputs_step(self)
        if self.uses_step:
            self.groups.insert(at, [setup])
        template: Template = {"name": f"job-{self.plan.task}", "steps": self._final_groups()}
        inputs = self._inputs()
        if inputs:
            template["inputs"] = inputs
        outputs: Outputs = {}
        if self.plan.has_outputs:
            value = {"parameter": "{{steps.wfsync-outputs.outputs.parameters.outputs}}"}
            outputs["parameters"] = [{"name": "outputs", "valueFrom": value}]
        if self.output_artifacts:
            outputs["artifacts"] = self.output_artifacts
        if outputs:
            template["outputs"] = outputs
        sync = self.conv.synchronization(self.job.raw.get("concurrency"), f"job-{self.plan.task}")
        if sync:
            template["synchronization"] = sync
        return template

    def _final_groups(self) -> list[list[ArgoStep]]:
        """The step groups, post steps, and the step that fails the job when a guarded step failed."""
        groups = self.groups + [[s] for s in self.post]
        if self.guarded and self.mandatory:
            failed = " || ".join(_failed(n) for n in self.mandatory)
            check: ArgoStep = {"name": "wfsync-job-result", "when": failed}
            check.update(failing_call(f"a step of job {self.job.id} failed"))
            groups.append([check])
        if not groups:
            groups.append(
                [named("no-steps", library_call("shell", "run", {"script": "true", "shell": "sh"}))]
            )
        return groups

    def _inputs(self) -> Inputs:
        """The template's inputs: matrix values and leg, upstream outputs, downloaded artifacts."""
        inputs: Inputs = {}
        params: list[Parameter] = []
        if self.matrix:
            params += [{"name": f"matrix-{k}"} for k in matrix_keys(self.plan)]
            params.append({"name": "leg"})
        for need in self.job.needs:
            upstream = self.conv.plans.get(need)
            if upstream is not None and has_outputs(upstream.job):
                params.append({"name": f"needs-{upstream.task}"})
        if params:
            inputs["parameters"] = params
        if self.input_artifacts:
            inputs["artifacts"] = self.input_artifacts
        return inputs

    def _expanded_steps(self) -> list[Step]:
        """The job's steps with local composite actions inlined (see :mod:`.composite`)."""
        root = composite.repository_root(self.conv.wf.path)
        steps, problems = composite.expand_steps(self.job.steps, root, self.default_wd)
        self.local_problems.update(problems)
        return steps

    # Steps ------------------------------------------------------------------------------------

    def _status_kind(self, step: Step) -> str:
        condition = step.raw.get("if")
        if condition in (None, ""):
            return "success"
        try:
            kind, _ = self.conv.split_status(scalar_text(condition), "")
        except ExpressionError:
            return "success"
        return kind

    def _step(self, step: Step) -> None:
        if step.raw.get("continue-on-error") is True:
            self.continue_steps.add(step.id)
        name = self.unique(_display_name(step))
        self.step_names[step.id] = name
        kind = _step_kind(step)
        label = "run" if kind == "run" else (step.uses or "").split("@")[0]
        entry = StepEntry(self.job.id, step.id if step.explicit_id else step.name, kind, label, "known")
        self.report.steps.append(entry)
        if step.raw.get("background") or any(k in step.raw for k in ("wait", "wait-all", "cancel")):
            entry.verdict, entry.note = "unsupported", "background steps are not converted"
            self._emit(step, name, failing_call("background steps are not converted"))
            return
        try:
            when = self._step_when(step)
        except StepProblem as problem:
            entry.verdict, entry.note = problem.verdict, str(problem)
            self._emit(step, name, failing_call(f"step {step.name!r}: {problem}"))
            return
        if when is None:
            entry.note = "never runs (its if: is false, or uses cancelled())"
            return
        for index, body in enumerate(self._bodies(step, kind, entry, name)):
            step_name = name if index == 0 else self.unique(f"{name}-{index + 1}")
            self._emit(step, step_name, body, when)

    def _bodies(self, step: Step, kind: str, entry: StepEntry, name: str) -> list[ArgoStep]:
        """What the step calls; a step that cannot be converted fails with the reason."""
        try:
            if kind == "run":
                expanded = make_step(self, step, name)
                if expanded is not None:
                    entry.note = f"make expanded into the DAG template {expanded.get('template')}"
                    return [expanded]
                return [run_step(self, step, step.run or "", step.raw.get("shell"))]
            if kind == "docker":
                body = docker_step(self, step)
                entry.verdict, entry.note = "partial", "runs `entrypoint args` with sh in the image"
                return [body]
            return action_step(self, step, entry, name)
        except StepProblem as problem:
            entry.verdict, entry.note = problem.verdict, str(problem)
            if problem.verdict == "unknown":
                self.report.manual.actions[entry.name] += 1
            return [failing_call(f"step {step.name!r}: {problem}")]

    def _emit(self, step: Step, name: str, body: ArgoStep, when: str = "") -> None:
        argo_step = named(name, body)
        if when:
            argo_step["when"] = when
        coe = step.raw.get("continue-on-error")
        if coe is True or self.guarded:
            argo_step["continueOn"] = {"failed": True}
        elif isinstance(coe, str) and "${{" in coe:
            self.report.attend(
                f"job {self.job.id}: continue-on-error {coe!r} is decided at run time; converted as false"
            )
        if coe is not True:
            self.mandatory.append(name)
        self.groups.append([argo_step])

    def _step_when(self, step: Step) -> str | None:
        """The step's ``when`` ('' for none); ``None`` when the step can never run."""
        condition = step.raw.get("if")
        kind, rest = ("success", None)
        if condition not in (None, ""):
            kind, rest = self.conv.split_status(
                scalar_text(condition), f"job {self.job.id} step {step.name!r}"
            )
        parts = []
        if kind == "cancelled":
            return None
        if self.guarded and kind == "success" and self.mandatory:
            parts.append(" && ".join(f"!({_failed(n)})" for n in self.mandatory))
        elif self.guarded and kind == "failure":
            if not self.mandatory:
                return None
            parts.append("(" + " || ".join(_failed(n) for n in self.mandatory) + ")")
        if (
            rest is not None
            and step.run is not None
            and "env" in {c.lower() for c in referenced_contexts(rest)}
        ):
            runtime = drivers.env_condition(rest)
            if runtime is not None:  # decided by shell/step: GITHUB_ENV may change env
                self.runtime_conditions[step.id] = runtime
                rest = None
            elif self.env_written:
                self.attend(
                    step,
                    "its if: reads env, decided from the workflow's env; "
                    "a value an earlier step writes to GITHUB_ENV is not seen",
                )
        if rest is not None:
            # The step's own env is part of the env context its if: sees (as in act's runner).
            scope = self.step_scope(step)
            when = self.conv.when(
                inline_env(rest, scope.dynamic_env), scope, f"job {self.job.id} step {step.name!r}"
            )
            if when == "false":
                return None
            if when:
                parts.append(when)
        return " && ".join(parts)

    def _setup(self) -> ArgoStep:
        """The ``shell/setup`` step that starts the job: its env (workflow, job, GitHub context)."""
        scope = self.scope()
        self.secret_used = False
        self.names.add("setup")
        github, defaults = step_environment(self.job.id, self.conv.wf.name)
        for parameter, default in defaults.items():
            self.conv.parameters.setdefault(parameter, default)
        env: dict[str, str] = dict(github)
        if "GITHUB_WORKFLOW" in env:
            env["GITHUB_WORKFLOW"] = drivers.env_value(env["GITHUB_WORKFLOW"])
        env.update(self.service_env)
        for key, value in self.static_env.items():
            if NAME.match(key):
                env[key] = drivers.env_value(value)
        for key, value in self.dynamic_env.items():
            if not NAME.match(key):
                continue
            try:
                env[key] = env_value(self, value, scope)
            except StepProblem as problem:
                self.report.attend(f"job {self.job.id}: env {key} not converted ({problem})")
        self.setup_env = {k: v for k, v in env.items() if k in self.static_env or k in self.dynamic_env}
        self.job_secret = self.secret_used
        params = {"job": self.workdir, "env": drivers.env_lines(env)}
        if any("GITHUB_EVENT_PATH" in (s.run or "") for s in self.job.steps):
            self.conv.parameters.setdefault("github-event", "{}")
            params["event"] = "{{workflow.parameters.github-event}}"
        return named("setup", library_call("shell", "setup", params))

    def _container_image(self) -> None:
        """A ``container.image`` with ``${{ }}`` as an Argo tag (e.g. one image per matrix leg)."""
        if "${{" not in self.image:
            return
        text = self.image
        try:
            self.image = argo_text(self, text, Step("container", False, 0, self.job.line, {}), [])
        except (StepProblem, ExpressionError) as problem:
            self.image = DEFAULT_IMAGE
            self.report.attend(
                f"job {self.job.id}: container image {text!r} not converted ({problem}); {DEFAULT_IMAGE} is used"
            )


def _step_kind(step: Step) -> str:
    """``run``, ``docker`` (``uses: docker://``) or ``action``."""
    if step.run is not None:
        return "run"
    return "docker" if (step.uses or "").startswith("docker://") else "action"


def _failed(step: str) -> str:
    return f"('{{{{steps.{step}.status}}}}' == 'Failed' || '{{{{steps.{step}.status}}}}' == 'Error')"


def _display_name(step: Step) -> str:
    """What a step's Argo name is made from: its ``name``, else its action or first script line."""
    if "--" in step.id:  # a step of an inlined composite action: <action>--<its id or index>
        return step.id
    if step.raw.get("name") not in (None, ""):
        return scalar_text(step.raw["name"])
    uses = step.uses or ""
    if uses:
        target = uses[len("docker://") :] if uses.startswith("docker://") else uses.split("@")[0]
        return target.rstrip("/").rsplit("/", 1)[-1] if not uses.startswith("docker://") else target
    return step.name
