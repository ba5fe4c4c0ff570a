"""One GitHub job as an Argo ``steps`` template: its steps, services, outputs and artifacts."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wfsync.convert.gha import composite
from wfsync.convert.gha import script as drivers
from wfsync.convert.gha.expressions import (
    ExpressionError,
    evaluate,
    find_expressions,
    parse,
    referenced_contexts,
    walk,
)
from wfsync.convert.gha.expressions.nodes import Call, Compare, ContextRef, Expr, Index, Literal, Logical, Not
from wfsync.convert.gha.inline import inline_env
from wfsync.convert.gha.model import Step
from wfsync.convert.gha.report import StepEntry
from wfsync.convert.gha.rules import GENERIC, GENERIC_TEMPLATE, ActionRule, Inputs, render
from wfsync.convert.gha.runcontext import step_environment
from wfsync.convert.gha.translate import (
    Scope,
    Untranslatable,
    _reads_unknown_env,
    expr_string,
    fold_tree,
    known_contexts,
    to_argo,
    to_argo_condition,
)
from wfsync.convert.gha.yaml12 import scalar_text

STEP_IMAGE = "ghcr.io/catthehacker/ubuntu:act-22.04"
"""``shell/step``'s default image (the ``ubuntu-latest`` runner rule's)."""

if TYPE_CHECKING:
    from wfsync.convert.gha.convert import Converter, JobPlan


def has_outputs(job: Any) -> bool:
    """See :func:`wfsync.convert.gha.convert.has_outputs` (imported late: the modules use each other)."""
    from wfsync.convert.gha.convert import has_outputs as check

    return check(job)


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _ref(family: str, template: str) -> dict[str, Any]:
    return {"name": family, "template": template, "clusterScope": True}


def _params(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def _env_name(task: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", task).upper()


class StepProblem(Exception):
    """A step that cannot be converted; the message goes into a failing step and the report."""

    def __init__(self, message: str, verdict: str = "unsupported") -> None:
        super().__init__(message)
        self.verdict = verdict


class JobBuilder:
    """Builds the template of one job (``Converter`` owns the workflow-wide state)."""

    def __init__(self, converter: Converter, plan: JobPlan, workdir: str) -> None:
        from wfsync.convert.gha.convert import slug

        self.slug = slug
        self.conv = converter
        self.plan = plan
        self.job = plan.job
        self.report = converter.report
        self.workdir = workdir
        self.image = converter.runner_image(plan.job)
        self.matrix = plan.legs is not None
        self.setup_env: dict[str, str] = {}
        """The job's env as given to ``shell/setup`` (``env`` line values); later changes go per step."""
        self.uses_step = False
        """Whether a step calls ``shell/step`` (the job then starts with ``shell/setup``)."""
        self.job_secret = False
        self.env_written = False
        self.runtime_conditions: dict[str, str] = {}
        """Step id -> POSIX test of an ``if:`` over ``env``, decided by ``shell/step``."""
        """Whether an earlier step's script writes GITHUB_ENV (an ``if:`` over env cannot see it)."""
        self.secret_used = False
        """Whether the job's env reads a secret (every step then gets ``secret-env``)."""
        self.groups: list[list[dict[str, Any]]] = []
        self.post: list[dict[str, Any]] = []
        self.step_names: dict[str, str] = {}
        self.names: set[str] = set()
        self.mandatory: list[str] = []
        self.secret_used = False
        self.credentials_secret: str | None = None
        """Secret a cloud credential action gave the later run steps (``env-from-secret``)."""
        self.input_artifacts: list[dict[str, Any]] = []
        self.output_artifacts: list[dict[str, Any]] = []
        self.service_env: dict[str, str] = {}
        self.local_problems: dict[str, str] = {}
        self.continue_steps: set[str] = set()
        """Steps with ``continue-on-error: true``: their conclusion is success even when they fail."""
        raw = self.job.raw
        self.static_env: dict[str, str] = {}
        self.dynamic_env: dict[str, str] = {}
        container = raw.get("container")
        for source in (
            self.conv.wf.raw.get("env"),
            raw.get("env"),
            container.get("env") if isinstance(container, dict) else None,
        ):
            self._add_env(source, self.static_env, self.dynamic_env)
        defaults: dict[str, Any] = {}
        for level in (self.conv.wf.raw.get("defaults"), raw.get("defaults")):
            if isinstance(level, dict) and isinstance(level.get("run"), dict):
                defaults.update(level["run"])
        self.default_shell: str | None = scalar_text(defaults["shell"]) if defaults.get("shell") else None
        self.default_wd: str | None = (
            scalar_text(defaults["working-directory"]) if defaults.get("working-directory") else None
        )
        self.guarded = any(self._status_kind(s) not in ("success",) for s in self.job.steps)
        timeout = raw.get("timeout-minutes")
        self.job_timeout = f"{int(timeout)}m" if isinstance(timeout, (int, float)) else ""

    def _add_env(self, source: Any, static: dict[str, str], dynamic: dict[str, str]) -> None:
        if not isinstance(source, dict):
            return
        for key, value in source.items():
            if not _NAME.match(key):  # kept for the env context; not exported (see _run_step)
                self.report.attend(
                    f"job {self.job.id}: environment variable name {key!r} is not usable in a shell; expressions read it, processes do not get it"
                )
            text = scalar_text(value)
            if "${{" in text:
                folded = self._fold_text(text, static, dynamic)
                if folded is not None:
                    static[key] = folded
                    dynamic.pop(key, None)
                    continue
                dynamic[key] = text
                static.pop(key, None)
            else:
                static[key] = text
                dynamic.pop(key, None)

    def _fold_text(self, text: str, env: dict[str, str], dynamic: dict[str, str] | None = None) -> str | None:
        dynamic = self.dynamic_env if dynamic is None else dynamic
        scope = self.scope(env, dynamic)
        out, pos = [], 0
        try:
            for span in find_expressions(text):
                ok, value = fold_tree(inline_env(parse(span.expression), dynamic), scope)
                if not ok:
                    return None
                out += [text[pos : span.start], scalar_text(value)]
                pos = span.end
        except (Untranslatable, ExpressionError):
            return None
        return "".join(out) + text[pos:]

    def scope(self, env: dict[str, str] | None = None, dynamic: dict[str, str] | None = None) -> JobScope:
        """The translation scope inside this job (``env`` known now, ``dynamic`` computed at run time)."""
        matrix: dict[str, Any] | None = {} if self.matrix else None
        return JobScope(
            "job",
            env=dict(self.static_env if env is None else env),
            matrix=matrix,
            task_names={j: self.conv._task(j) for j in self.job.needs},
            step_names=dict(self.step_names),
            dynamic_env=dict(self.dynamic_env if dynamic is None else dynamic),
            legs=self.plan.legs,
            workspace=self._workspace_expr(),
            continue_steps={self.step_names[s] for s in self.continue_steps if s in self.step_names},
        )

    def _workspace_expr(self) -> str:
        """``github.workspace`` in expr-lang: /workspace/<job folder> (with the leg's index)."""
        leg = "-{{inputs.parameters.leg}}"
        if self.workdir.endswith(leg):
            return f"({expr_string('/workspace/' + self.workdir[: -len(leg)] + '-')} + inputs.parameters.leg)"
        return expr_string(f"/workspace/{self.workdir}")

    # Template ---------------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        """The ``steps`` template of the job."""
        self._services()
        self._container_image()
        at = len(self.groups)
        setup = self._setup()
        steps = self._expanded_steps()
        self.guarded = any(self._status_kind(s) not in ("success",) for s in steps)
        for step in steps:
            self._step(step)
        self._job_outputs()
        if self.uses_step:
            self.groups.insert(at, [setup])
        groups = self.groups + [[s] for s in self.post]
        if self.guarded and self.mandatory:
            failed = " || ".join(_failed(n) for n in self.mandatory)
            check = {"name": "wfsync-job-result", "when": failed}
            check.update(self.conv._failing_call(f"a step of job {self.job.id} failed"))
            groups.append([check])
        if not groups:
            empty = {"name": "no-steps"}
            empty.update(self._noop())
            groups.append([empty])
        template: dict[str, Any] = {"name": f"job-{self.plan.task}", "steps": groups}
        inputs: dict[str, Any] = {}
        params = []
        if self.matrix:
            params += [{"name": f"matrix-{k}"} for k in self.conv._matrix_keys(self.plan)]
            params.append({"name": "leg"})
        for need in self.job.needs:
            upstream = self.conv.plans.get(need)
            if upstream is not None and has_outputs(upstream.job):
                params.append({"name": f"needs-{upstream.task}"})
        if params:
            inputs["parameters"] = params
        if self.input_artifacts:
            inputs["artifacts"] = self.input_artifacts
        if inputs:
            template["inputs"] = inputs
        outputs: dict[str, Any] = {}
        if self.plan.has_outputs:
            outputs["parameters"] = [
                {
                    "name": "outputs",
                    "valueFrom": {"parameter": "{{steps.wfsync-outputs.outputs.parameters.outputs}}"},
                }
            ]
        if self.output_artifacts:
            outputs["artifacts"] = self.output_artifacts
        if outputs:
            template["outputs"] = outputs
        sync = self.conv._synchronization(self.job.raw.get("concurrency"), f"job-{self.plan.task}")
        if sync:
            template["synchronization"] = sync
        return template

    def _expanded_steps(self) -> list[Step]:
        """The job's steps with local composite actions inlined (see :mod:`.composite`)."""
        root = composite.repository_root(self.conv.wf.path)
        steps, problems = composite.expand_steps(self.job.steps, root, self.default_wd)
        self.local_problems.update(problems)
        return steps

    def _noop(self) -> dict[str, Any]:
        return {
            "templateRef": _ref("shell", "run"),
            "arguments": {"parameters": _params({"script": "true", "shell": "sh"})},
        }

    def _unique(self, base: str) -> str:
        name = self.slug(base.lstrip("_"), 40)
        name = re.sub(r"-{2,}", "--" if "--" in base else "-", name).strip("-") or "step"
        candidate, n = name, 1
        while candidate in self.names or candidate.startswith("wfsync-"):
            n += 1
            candidate = f"{name}-{n}"
        self.names.add(candidate)
        return candidate

    # Services ---------------------------------------------------------------------------------

    def _services(self) -> None:
        services = self.job.raw.get("services")
        if not isinstance(services, dict) or not services:
            return
        group = []
        for service_id, spec in services.items():
            image = spec.get("image") if isinstance(spec, dict) else spec
            if not image or "${{" in str(image):
                self.report.attend(
                    f"job {self.job.id}: service {service_id} has no fixed image; not converted"
                )
                continue
            name = self._unique(f"svc-{service_id}")
            container: dict[str, Any] = {"image": str(image)}
            env = spec.get("env") if isinstance(spec, dict) else None
            if isinstance(env, dict):
                values = []
                for key, value in env.items():
                    text = scalar_text(value)
                    if "${{" in text:
                        self.report.attend(
                            f"job {self.job.id}: service {service_id} env {key} uses an expression; set it by hand"
                        )
                        continue
                    values.append({"name": str(key), "value": text})
                if values:
                    container["env"] = values
            rule = self.conv.rules.service(str(image))
            if rule is not None and rule.readiness:
                container["readinessProbe"] = {"exec": {"command": list(rule.readiness)}, "periodSeconds": 5}
            else:
                self.report.attend(
                    f"job {self.job.id}: service {service_id} has no readiness rule; steps may start before it is ready"
                )
            template = {
                "name": f"service-{self.plan.task}-{self.slug(service_id, 30)}",
                "daemon": True,
                "container": container,
            }
            self.conv.templates.append(template)
            group.append({"name": name, "template": template["name"]})
            self.service_env[f"SERVICE_{_env_name(service_id)}_HOST"] = f"{{{{steps.{name}.ip}}}}"
            self.report.attend(
                f"job {self.job.id}: service {service_id} runs as a daemon step; scripts reach it at $SERVICE_{_env_name(service_id)}_HOST, not localhost or {service_id}"
            )
        if group:
            self.groups.append(group)

    # Steps ------------------------------------------------------------------------------------

    def _status_kind(self, step: Step) -> str:
        condition = step.raw.get("if")
        if condition in (None, ""):
            return "success"
        try:
            kind, _ = self.conv._split_status(scalar_text(condition), "")
        except ExpressionError:
            return "success"
        return kind

    def _step(self, step: Step) -> None:
        if step.raw.get("continue-on-error") is True:
            self.continue_steps.add(step.id)
        name = self._unique(_display_name(step))
        self.step_names[step.id] = name
        kind = (
            "run"
            if step.run is not None
            else ("docker" if (step.uses or "").startswith("docker://") else "action")
        )
        label = "run" if kind == "run" else (step.uses or "").split("@")[0]
        entry = StepEntry(self.job.id, step.id if step.explicit_id else step.name, kind, label, "known")
        self.report.steps.append(entry)
        if step.raw.get("background") or any(k in step.raw for k in ("wait", "wait-all", "cancel")):
            entry.verdict, entry.note = "unsupported", "background steps are not converted"
            self._emit(step, name, self.conv._failing_call("background steps are not converted"))
            return
        try:
            when = self._step_when(step, name)
        except StepProblem as problem:
            entry.verdict, entry.note = problem.verdict, str(problem)
            self._emit(step, name, self.conv._failing_call(f"step {step.name!r}: {problem}"))
            return
        if when is None:
            entry.note = "never runs (its if: is false, or uses cancelled())"
            return
        try:
            if kind == "run":
                bodies = [self._run_step(step, step.run or "", step.raw.get("shell"))]
            elif kind == "docker":
                bodies = [self._docker_step(step)]
                entry.verdict, entry.note = "partial", "runs `entrypoint args` with sh in the image"
            else:
                bodies = self._action_step(step, entry, name)
        except StepProblem as problem:
            entry.verdict, entry.note = problem.verdict, str(problem)
            if problem.verdict == "unknown":
                self.report.manual.actions[label] += 1
            bodies = [self.conv._failing_call(f"step {step.name!r}: {problem}")]
        for index, body in enumerate(bodies):
            step_name = name if index == 0 else self._unique(f"{name}-{index + 1}")
            self._emit(step, step_name, body, when)

    def _emit(self, step: Step, name: str, body: dict[str, Any], when: str = "") -> None:
        argo_step: dict[str, Any] = {"name": name, **body}
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

    def _step_when(self, step: Step, name: str) -> str | None:
        """The step's ``when`` ('' for none); ``None`` when the step can never run."""
        del name
        condition = step.raw.get("if")
        kind, rest = ("success", None)
        if condition not in (None, ""):
            kind, rest = self.conv._split_status(
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
                self.report.attend(
                    f"job {self.job.id} step {step.name!r}: its if: reads env, decided from the workflow's env; "
                    "a value an earlier step writes to GITHUB_ENV is not seen"
                )
        if rest is not None:
            # The step's own env is part of the env context its if: sees (as in act's runner).
            env_static, env_dynamic = dict(self.static_env), dict(self.dynamic_env)
            self._add_env(step.raw.get("env"), env_static, env_dynamic)
            scope = self.scope(env_static, env_dynamic)
            rest = inline_env(rest, env_dynamic)
            when = self.conv._when(rest, scope, f"job {self.job.id} step {step.name!r}")
            if when == "false":
                return None
            if when:
                parts.append(when)
        return " && ".join(parts)

    def _generic_call(self, step: Step, uses: str) -> dict[str, Any]:
        """``github-action/run`` for a public action without a rule: ``with:`` and ``env:`` as env lines.

        The lines are ``shell/step``'s: constants, ``$NAME`` for secrets (the Secret
        ``github-secrets``) and ``github.token``, run-time values as JSON from an Argo tag. The
        job's ``shell/setup`` runs first, so the action sees the job's env and GITHUB_* context.
        """
        self.uses_step = True
        self.secret_used = self.job_secret
        scope = self.scope()
        params = {"action": uses, "job": self.workdir}
        for key, source in (("inputs", step.raw.get("with")), ("env", step.raw.get("env"))):
            if isinstance(source, dict) and source:
                values = {str(k): self._value(scalar_text(v), scope) for k, v in source.items()}
                params[key] = drivers.env_lines(values) + "\n"
        if self.secret_used:
            params["secret-env"] = "github-secrets"
        timeout = self._timeout(step)
        if timeout:
            params["timeout"] = timeout
        family, template = GENERIC_TEMPLATE.split("/")
        return {"templateRef": _ref(family, template), "arguments": {"parameters": _params(params)}}

    def _timeout(self, step: Step) -> str:
        minutes = step.raw.get("timeout-minutes")
        if isinstance(minutes, (int, float)):
            return f"{int(minutes)}m"
        return self.job_timeout

    def _setup(self) -> dict[str, Any]:
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
            if _NAME.match(key):
                env[key] = drivers.env_value(value)
        for key, value in self.dynamic_env.items():
            if not _NAME.match(key):
                continue
            try:
                env[key] = self._value(value, scope)
            except StepProblem as problem:
                self.report.attend(f"job {self.job.id}: env {key} not converted ({problem})")
        self.setup_env = {k: v for k, v in env.items() if k in self.static_env or k in self.dynamic_env}
        self.job_secret = self.secret_used
        params = {"job": self.workdir, "env": drivers.env_lines(env)}
        if self._reads_event():
            self.conv.parameters.setdefault("github-event", "{}")
            params["event"] = "{{workflow.parameters.github-event}}"
        return {
            "name": "setup",
            "templateRef": _ref("shell", "setup"),
            "arguments": {"parameters": _params(params)},
        }

    def _container_image(self) -> None:
        """A ``container.image`` with ``${{ }}`` as an Argo tag (e.g. one image per matrix leg)."""
        if "${{" not in self.image:
            return
        text = self.image
        try:
            self.image = self._argo_text(text, Step("container", False, 0, self.job.line, {}), [])
        except (StepProblem, ExpressionError) as problem:
            from wfsync.convert.gha.convert import DEFAULT_IMAGE

            self.image = DEFAULT_IMAGE
            self.report.attend(
                f"job {self.job.id}: container image {text!r} not converted ({problem}); {DEFAULT_IMAGE} is used"
            )

    def _reads_event(self) -> bool:
        return any("GITHUB_EVENT_PATH" in (s.run or "") for s in self.job.steps)

    def _run_step(self, step: Step, run: str, shell_value: Any, image: str | None = None) -> dict[str, Any]:
        """A ``shell/step`` call: the script verbatim, ``${{ }}`` values as env lines."""
        self.uses_step = True
        shell = scalar_text(shell_value) if shell_value not in (None, "") else self.default_shell
        if shell in ("pwsh", "powershell"):
            self.report.attend(
                f"job {self.job.id} step {step.name!r}: PowerShell needs an image that has pwsh"
            )
        if shell == "cmd":
            raise StepProblem("shell cmd is Windows only")
        self.secret_used = self.job_secret
        env_static, env_dynamic = dict(self.static_env), dict(self.dynamic_env)
        self._add_env(step.raw.get("env"), env_static, env_dynamic)
        scope = self.scope(env_static, env_dynamic)
        env: dict[str, str] = {}
        # What a rule added to the job's env after setup (like GITHUB_ENV of an earlier step).
        for key, value in self.static_env.items():
            if _NAME.match(key) and self.setup_env.get(key) != drivers.env_value(value):
                env[key] = drivers.env_value(value)
        step_env = step.raw.get("env")
        for key, value in step_env.items() if isinstance(step_env, dict) else []:
            if _NAME.match(str(key)):
                env[str(key)] = self._value(scalar_text(value), scope)
        taken = {*env_static, *env_dynamic, *env}
        text = run
        spans = find_expressions(run)
        if spans:
            if not drivers.is_posix_shell(shell):
                raise StepProblem(f"${{{{ }}}} in a {shell} script cannot be passed safely; move it to env:")
            names: dict[str, str] = {}
            out, pos = [], 0
            for span in spans:
                word = self._script_word(span.expression, scope, env, names, taken)
                quoted = drivers.quote_state(run, span.start) == "'"
                out += [run[pos : span.start], f"'\"{word}\"'" if quoted else word]
                pos = span.end
            text = "".join(out) + run[pos:]
        params: dict[str, str] = {"job": self.workdir}
        params["script"] = drivers.escape_braces(text)
        if shell:
            params["shell"] = shell
        wd = step.raw.get("working-directory") or self.default_wd
        if wd not in (None, ""):
            # Relative to the job's folder, which is github.workspace: the same place, written
            # without the pod path (a local run keeps the workspace elsewhere).
            wd_text = re.sub(
                r"^\$\{\{\s*github\.workspace\s*\}\}/?", "", scalar_text(wd), flags=re.IGNORECASE
            )
            if wd_text:
                params["working-directory"] = self._argo_text(wd_text, step, [])
        if env:
            params["env"] = drivers.env_lines(env)
        if step.id in self.runtime_conditions:
            params["condition"] = drivers.escape_braces(self.runtime_conditions[step.id])
        chosen = image or self.image
        if chosen != STEP_IMAGE:
            params["image"] = chosen
        if self.secret_used:
            params["secret-env"] = "github-secrets"
        if self.credentials_secret:
            params["credentials-env"] = self.credentials_secret
        timeout = self._timeout(step)
        if timeout:
            params["timeout"] = timeout
        if "GITHUB_ENV" in run:
            self.env_written = True
        return {"templateRef": _ref("shell", "step"), "arguments": {"parameters": _params(params)}}

    def _script_word(
        self, expression: str, scope: Scope, env: dict[str, str], names: dict[str, str], taken: set[str]
    ) -> str:
        """``${NAME}`` for one ``${{ }}`` of a script; its value goes into ``env`` when needed."""
        key = expression.strip()
        if key in names:
            return f"${{{names[key]}}}"
        tree = parse(expression)
        path = _simple_path(tree)
        lowered = [p.lower() for p in path] if path else []
        if path and len(path) == 2 and lowered[0] in ("env", "secrets") and _NAME.match(path[1]):
            if lowered[0] == "secrets":
                self._secret(path[1])
            return f"${{{path[1]}}}"
        direct = {
            ("github", "token"): "GITHUB_TOKEN",
            ("github", "workspace"): "GITHUB_WORKSPACE",
            ("runner", "temp"): "RUNNER_TEMP",
            ("runner", "os"): "RUNNER_OS",
        }  # variables shell/step sets (GITHUB_TOKEN: a key of secret-env)
        name = direct.get((lowered[0], lowered[1])) if len(lowered) == 2 else None
        if name is not None:
            if name == "GITHUB_TOKEN":
                self._secret(name)
            return f"${{{name}}}"
        runtime_env = _reads_unknown_env(tree, scope)  # GITHUB_ENV may set it: the step reads it
        word = self._shell_word(tree, scope, _helper(env, taken)) if runtime_env else None
        if word is not None:
            return word
        if _reads_secrets(tree):
            word = self._shell_word(tree, scope, _helper(env, taken))
            if word is None:
                raise StepProblem(
                    f"${{{{ {expression} }}}}: only comparisons of secrets and `secrets.X || 'default'` are converted"
                )
            return word
        name = drivers.var_name(path, taken)
        names[key] = name
        env[name] = self._value(f"${{{{ {expression} }}}}", scope)
        return f"${{{name}}}"

    def _shell_word(self, tree: Expr, scope: Scope, helper: Helper) -> str | None:
        """A shell word for an expression over secrets (which Argo never sees), or None.

        Secrets are environment variables of the step: ``secrets.X || 'd'`` is ``${X:-d}``, and
        a comparison is a shell test (case-insensitive, as GitHub's) of its operands, each an
        ``env`` line of the step (:meth:`_value_part`); the word is ``true`` or ``false``.
        """
        if isinstance(tree, Logical) and tree.op == "||" and len(tree.args) == 2:
            path = _simple_path(tree.args[0]) or []
            if (
                isinstance(tree.args[1], Literal)
                and len(path) == 2
                and path[0].lower() == "secrets"
                and _NAME.match(path[1])
            ):
                self._secret(path[1])
                return f'"${{{path[1]}:-$(printf %s {shlex.quote(scalar_text(tree.args[1].value))})}}"'
        if not _boolean_valued(tree):
            return None
        test = self._shell_test(tree, scope, helper)
        return None if test is None else f'"$(if {test}; then echo true; else echo false; fi)"'

    def _shell_test(self, node: Expr, scope: Scope, helper: Helper) -> str | None:
        if isinstance(node, Not):
            inner = self._shell_test(node.operand, scope, helper)
            return None if inner is None else f"! {{ {inner}; }}"
        if isinstance(node, Logical):
            parts = [self._shell_test(a, scope, helper) for a in node.args]
            if any(p is None for p in parts):
                return None
            return "{ " + (" && " if node.op == "&&" else " || ").join(f"{{ {p}; }}" for p in parts) + "; }"
        if isinstance(node, Compare) and node.op in ("==", "!="):
            left, right = (self._shell_operand(x, scope, helper) for x in (node.left, node.right))
            if left is None or right is None:
                return None
            return f"[ {left} {'=' if node.op == '==' else '!='} {right} ]"
        word = self._shell_operand(node, scope, helper)
        return None if word is None or isinstance(node, Literal) else f"[ -n {word} ]"

    def _shell_operand(self, node: Expr, scope: Scope, helper: Helper) -> str | None:
        """A lower-cased shell word for one operand of a comparison."""
        if isinstance(node, Literal):
            value = node.value
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, float) and value.is_integer():
                return shlex.quote(str(int(value)))
            return "''" if value is None else shlex.quote(str(value).lower())
        try:
            kind, value = self._value_part(node, scope, whole=True, helper=helper)
        except (StepProblem, Untranslatable):
            return None
        if kind == "text":
            value = drivers.env_value(value)
        elif kind == "argo":
            value = drivers.runtime_value(value)
        return f'"$(printf %s "${{{helper(value)}}}" | tr "[:upper:]" "[:lower:]")"'

    def _secret(self, name: str) -> None:
        self.report.manual.secrets[name] += 1
        self.secret_used = True

    def _value(self, text: str, scope: Scope) -> str:
        """An ``env`` line value for field text with ``${{ }}`` (see ``shell/step``'s ``env``).

        Constants are folded now; what only the step knows (secrets, ``env`` that GITHUB_ENV may
        set, the workspace) is a ``$NAME`` part; the rest is an Argo tag giving a JSON string.
        """
        if "${{" not in text:
            return drivers.env_value(text)
        spans = find_expressions(text)
        parts: list[tuple[str, str]] = []  # (kind: text, var or argo, value)
        pos = 0
        try:
            for span in spans:
                parts.append(("text", text[pos : span.start]))
                parts.append(
                    self._value_part(
                        span.expression, scope, whole=len(spans) == 1 and text == text[span.start : span.end]
                    )
                )
                pos = span.end
        except Untranslatable as err:
            raise StepProblem(f"{text}: {err}", "partial") from None
        except ExpressionError as err:
            raise StepProblem(f"{text}: {err}") from None
        parts.append(("text", text[pos:]))
        merged: list[tuple[str, str]] = []
        for kind, value in parts:
            if kind == "text" and merged and merged[-1][0] == "text":
                merged[-1] = ("text", merged[-1][1] + value)
            elif kind != "text" or value:
                merged.append((kind, value))
        if all(kind == "text" for kind, _ in merged):
            return drivers.env_value("".join(value for _, value in merged))
        if all(kind in ("text", "argo") for kind, _ in merged):
            pieces = [expr_string(v) if kind == "text" else v for kind, v in merged]
            return drivers.runtime_value(" + ".join(pieces))
        words = []
        for kind, value in merged:
            if kind == "text":
                words.append(drivers.json_string(value))
            elif kind == "argo":
                words.append(drivers.runtime_value(value))
            else:
                words.append(value)
        return " + ".join(words)

    def _value_part(
        self, expression: str | Expr, scope: Scope, *, whole: bool, helper: Helper | None = None
    ) -> tuple[str, str]:
        """One ``${{ }}`` of a value: ``("text", constant)``, ``("var", "$NAME")`` or ``("argo", expr)``."""
        tree = parse(expression) if isinstance(expression, str) else expression
        path = _simple_path(tree)
        lowered = [p.lower() for p in path] if path else []
        if path and len(path) == 2 and lowered[0] in ("env", "secrets") and _NAME.match(path[1]):
            if lowered[0] == "secrets":
                self._secret(path[1])
                return "var", f"${path[1]}"
            if path[1] not in scope.env:
                return "var", f"${path[1]}"  # read at run time: computed, or set by GITHUB_ENV
        formatted = self._format_parts(tree, scope, helper)
        if formatted is not None:
            return formatted
        direct = {
            ("github", "token"): "GITHUB_TOKEN",
            ("github", "workspace"): "GITHUB_WORKSPACE",
            ("runner", "temp"): "RUNNER_TEMP",
        }
        if len(lowered) == 2 and (lowered[0], lowered[1]) in direct:
            name = direct[(lowered[0], lowered[1])]
            if name == "GITHUB_TOKEN":
                self._secret(name)
            return "var", f"${name}"
        if (
            (whole or helper is not None)
            and isinstance(tree, Logical)
            and tree.op == "||"
            and len(tree.args) == 2
            and isinstance(tree.args[1], Literal)
        ):
            first = _simple_path(tree.args[0]) or []
            if len(first) == 2 and first[0].lower() in ("secrets", "env") and _NAME.match(first[1]):
                if first[0].lower() == "secrets":
                    self._secret(first[1])
                default = drivers.json_string(scalar_text(tree.args[1].value))
                fallback = f"${first[1]} || {default}"
                # ` || ` ends a whole value; inside a larger one it gets a variable of its own.
                return "var", fallback if whole or helper is None else f"${helper(fallback)}"
        tree = _inlined(tree, scope)
        shown = f"${{{{ {expression} }}}}" if isinstance(expression, str) else "a part of the value"
        if _reads_secrets(tree):
            raise StepProblem(f"{shown}: only secrets.X and secrets.X || 'default' are converted in a value")
        ok, value = fold_tree(tree, scope, env_at_run_time=True)
        if ok:
            return "text", scalar_text(value)
        argo = to_argo(tree, scope)
        self.conv._use_parameters(scope)
        if "?." in argo or "nil" in argo:  # it may be null, which is '' as text
            argo = f'({argo}) ?? ""'
        return "argo", f"string({argo})"

    def _format_parts(self, tree: Expr, scope: Scope, helper: Helper | None) -> tuple[str, str] | None:
        """``format('{0}/{1}', a, b)`` over run-time variables as one ``+`` value, else None."""
        if not (
            isinstance(tree, Call)
            and tree.name.lower() == "format"
            and tree.args
            and isinstance(tree.args[0], Literal)
            and isinstance(tree.args[0].value, str)
            and _reads_secrets_or_env(tree)
        ):
            return None
        words: list[str] = []
        for piece in re.split(r"(\{\d+\})", tree.args[0].value):
            match = re.fullmatch(r"\{(\d+)\}", piece)
            if match and int(match.group(1)) + 1 < len(tree.args):
                arg = tree.args[int(match.group(1)) + 1]
                kind, value = self._value_part(arg, scope, whole=False, helper=helper)
                if kind == "text":
                    words.append(drivers.json_string(value))
                else:
                    words.append(drivers.runtime_value(value) if kind == "argo" else value)
            elif piece:
                words.append(drivers.json_string(piece.replace("{{", "{").replace("}}", "}")))
        return ("var", " + ".join(words)) if words else ("text", "")

    def _docker_step(self, step: Step) -> dict[str, Any]:
        image = (step.uses or "")[len("docker://") :]
        inputs = step.raw.get("with") or {}
        entrypoint = scalar_text(inputs.get("entrypoint")) if isinstance(inputs, dict) else ""
        args = scalar_text(inputs.get("args")) if isinstance(inputs, dict) else ""
        run = f"{entrypoint} {args}".strip() or "true"
        return self._run_step(step, run, "sh", image=image)

    def _action_step(self, step: Step, entry: StepEntry, name: str) -> list[dict[str, Any]]:
        uses = step.uses or ""
        if uses.startswith("./") or uses.startswith(".\\"):
            raise StepProblem(self.local_problems.get(step.id, f"{uses}: local action not converted"))
        rule = self.conv.rules.action(uses)
        if rule is None:
            raise StepProblem(
                f"no conversion rule for {uses}; add a rule pack with --rules DIR (see converters/gha)",
                "unknown",
            )
        entry.verdict = "partial" if rule.verdict == "partial" else rule.verdict
        if rule.note:
            entry.note = rule.note
        if rule.verdict == "unsupported":
            raise StepProblem(rule.note or f"{uses} has no Argo equivalent")
        if rule.verdict == GENERIC:
            return [self._generic_call(step, uses)]
        raw_inputs = step.raw.get("with") or {}
        inputs = Inputs()
        runtime: dict[str, str] = {}
        for key, value in raw_inputs.items() if isinstance(raw_inputs, dict) else []:
            text = scalar_text(value)
            if "secrets." in text or "github.token" in text:
                if rule.env_from_secret:
                    self.report.attend(
                        f"job {self.job.id} step {step.name!r}: input {key} holds a secret; put its value in the Secret {rule.env_from_secret.secret} instead"
                    )
                    continue
                if rule.secrets:
                    continue  # the rule reads credentials from its own Secret
                self.report.attend(
                    f"job {self.job.id} step {step.name!r}: input {key} holds a secret; give it to the library template as a Secret name instead"
                )
                continue
            folded = self._folded(text)
            if "${{" in folded and rule.verdict != "generic":  # the rule sees a token (_rule_text)
                runtime[str(key)] = folded
                folded = f"wfsync-run-time-input-{len(runtime)}"
            inputs[str(key)] = folded
        variables = {
            "inputs": inputs,
            "workdir": self.workdir,
            "uses": uses.split("@")[0],
            "ref": uses.split("@", 1)[1] if "@" in uses else "",
            "job_id": self.job.id,
            "step_id": step.id,
        }
        if rule.image is not None:
            self.image = self._rule_text(rule.image, variables, rule, step, [], runtime)
        for secret in rule.secrets:
            note = f"create the Secret {secret} ({rule.uses})"
            if note not in self.report.manual.other:
                self.report.manual.other.append(note)
        self._later_env(rule, variables, step)
        bodies: list[dict[str, Any]] = []
        for index, template in enumerate(rule.steps):
            family, template_name = template.template.split("/")
            pre: list[dict[str, Any]] = []
            params = {
                key: self._rule_text(value, variables, rule, step, pre, runtime)
                for key, value in template.parameters.items()
            }
            body: dict[str, Any] = {"templateRef": _ref(family, template_name)}
            if params:
                body["arguments"] = {"parameters": _params(params)}
            if family == "cache":
                self.conv.uses_cache = True
            if template.template == "artifact/upload":
                artifact = self.plan.uploads.get(scalar_text(raw_inputs.get("name")) or "artifact")
                if artifact:
                    self.output_artifacts.append(
                        {
                            "name": artifact,
                            "from": f"{{{{steps.{name}.outputs.artifacts.files}}}}",
                            "optional": True,
                        }
                    )
            if template.template == "artifact/download":
                self._download(body, raw_inputs)
            for extra in pre:
                self.groups.append([extra])
            if template.position == "post":
                post_name = self._unique(f"{name}-post")
                self.post.append({"name": post_name, **body})
                continue
            bodies.append(body)
            del index
        if not bodies:
            bodies = []
        return bodies

    def _rule_text(
        self,
        template: Any,
        variables: dict[str, Any],
        rule: ActionRule,
        step: Step,
        pre: list[dict[str, Any]],
        runtime: dict[str, str],
    ) -> str:
        """A rule's parameter with the action's inputs, also those known only at run time.

        A run-time input reaches the rule as a token. When the rule passes it through (renders
        with probe values agree), the token becomes the input's Argo expression; when the rule
        decides something from it, the parameter is computed per matrix leg (inputs over
        ``matrix``) or is a ternary on the input's truth (a condition such as ``push: ${{
        github.event_name != 'pull_request' }}``). Anything else is a partial step: nothing is
        decided now from a guessed value.
        """
        inputs: Inputs = variables["inputs"]

        def with_input(key: str, value: str) -> str:
            return render(template, {**variables, "inputs": Inputs({**inputs, key: value})}, rule.source)

        base = render(template, variables, rule.source)
        out = base
        for key, text in runtime.items():
            token = inputs[key]
            if all(with_input(key, probe) == base.replace(token, probe) for probe in _PROBES):
                out = out.replace(token, text)  # passed through: compiled by _argo_text below
                continue
            others = [inputs[k] for k in runtime if k != key]
            per_leg = self._per_leg(text, key, with_input)
            if per_leg is not None and not any(o in per_leg for o in others):
                return per_leg
            if all(with_input(key, probe) == base.replace(token, probe) for probe in _PROBES[:_EDGE]):
                self.report.attend(
                    f"job {self.job.id} step {step.name!r}: input {key} ({text}) reaches {rule.uses}'s "
                    "template as it is at run time; what the rule does with an empty or multi-line value is not applied"
                )
                out = out.replace(token, text)
                continue
            computed = self._on_truth(text, key, with_input)
            if computed is None or any(o in computed for o in others):
                raise StepProblem(
                    f"input {key}: {text} is needed when converting (rule {rule.uses}), "
                    "and is known only at run time; set the parameter by hand",
                    "partial",
                )
            return computed
        return self._argo_text(out, step, pre)

    def _per_leg(self, text: str, key: str, with_input: Callable[[str, str], str]) -> str | None:
        """``{{=[...][leg]}}``: the rule rendered for each matrix leg, when the input reads only the matrix."""
        legs = self.plan.legs
        tree = _whole_expression(text)
        if not legs or tree is None:
            return None
        scope = self.scope()
        known = known_contexts(scope)
        if {c.lower() for c in referenced_contexts(tree)} - {*known, "matrix"}:
            return None
        try:
            renders = [with_input(key, scalar_text(evaluate(tree, {**known, "matrix": leg}))) for leg in legs]
        except ExpressionError:
            return None
        if len(set(renders)) == 1:
            return renders[0]
        literals = [_leg_literal(r) for r in renders]
        if any(lit is None for lit in literals):
            return None
        return f"{{{{=[{', '.join(str(lit) for lit in literals)}][int(inputs.parameters.leg)]}}}}"

    def _on_truth(self, text: str, key: str, with_input: Callable[[str, str], str]) -> str | None:
        """``{{=cond ? yes : no}}`` for a boolean input (a comparison), the rule rendered for each."""
        tree = _whole_expression(text)
        if tree is None or not _boolean_valued(tree):
            return None
        scope = self.scope()
        try:
            condition = to_argo_condition(_inlined(tree, scope), scope)
        except Untranslatable:
            return None
        self.conv._use_parameters(scope)
        yes, no = _leg_literal(with_input(key, "true")), _leg_literal(with_input(key, "false"))
        if yes is None or no is None:
            return None
        return f"{{{{={condition} ? {yes} : {no}}}}}"

    def _later_env(self, rule: ActionRule, variables: dict[str, Any], step: Step) -> None:
        """Apply a rule's ``env`` and ``env-from-secret`` to the run steps after this one.

        Like GITHUB_ENV on GitHub: the values join the job's env (so ``env.AWS_REGION`` reads
        them too) from here on; steps built before this one are not touched. Secret values stay
        in the Secret, which ``shell/run`` reads through ``credentials-env``.
        """
        if rule.env:
            values = {key: render(value, variables, rule.source) for key, value in rule.env.items()}
            self._add_env({k: v for k, v in values.items() if v}, self.static_env, self.dynamic_env)
        wanted = rule.env_from_secret
        if wanted is None:
            return
        if self.credentials_secret not in (None, wanted.secret):
            self.report.attend(
                f"job {self.job.id} step {step.name!r}: only one credentials Secret per job; "
                f"later steps keep {self.credentials_secret}, not {wanted.secret}"
            )
            return
        self.credentials_secret = wanted.secret
        keys = ", ".join(wanted.keys)
        optional = f" (optional: {', '.join(wanted.optional)})" if wanted.optional else ""
        note = f"create the Secret {wanted.secret} with keys {keys}{optional} ({rule.uses})"
        if note not in self.report.manual.other:
            self.report.manual.other.append(note)

    def _download(self, body: dict[str, Any], raw_inputs: Any) -> None:
        name = scalar_text(raw_inputs.get("name")) if isinstance(raw_inputs, dict) else ""
        wanted = name or "artifact"
        for artifact, task in self.conv._downloads(self.plan).items():
            upstream = next(p for p in self.conv.plans.values() if p.task == task)
            if upstream.uploads.get(wanted) == artifact:
                if not any(a["name"] == artifact for a in self.input_artifacts):
                    self.input_artifacts.append({"name": artifact})
                body.setdefault("arguments", {})["artifacts"] = [
                    {"name": "files", "from": f"{{{{inputs.artifacts.{artifact}}}}}"}
                ]
                return
        raise StepProblem(
            f"artifact {wanted!r} is not uploaded by a job this job needs"
            + ("" if name else " (downloading all artifacts is not converted)")
        )

    def _folded(self, text: str) -> str:
        """``text`` with its ``${{ }}`` replaced by their values when every one is known now.

        A rule then sees the value of ``${{ env.DOTNET_VERSION }}`` ('8.0.x') and can normalise it
        into an image tag; text that needs run-time values is left to :meth:`_argo_text`.
        """
        if "${{" not in text:
            return text
        scope = self.scope()
        out, pos = [], 0
        for span in find_expressions(text):
            try:
                ok, value = fold_tree(_inlined(parse(span.expression), scope), scope)
            except (ExpressionError, Untranslatable):
                return text
            if not ok:
                return text
            out += [text[pos : span.start], scalar_text(value)]
            pos = span.end
        return "".join(out) + text[pos:]

    def _argo_text(self, text: str, step: Step, pre: list[dict[str, Any]]) -> str:
        """A parameter value with ``${{ }}`` turned into Argo tags (``hashFiles`` into a step)."""
        if "${{" not in text:
            return text
        scope = self.scope()
        out, pos = [], 0
        for span in find_expressions(text):
            out.append(text[pos : span.start])
            pos = span.end
            tree = _inlined(parse(span.expression), scope)
            ok, value = fold_tree(tree, scope)
            if ok:
                out.append(scalar_text(value))
                continue
            if (
                isinstance(tree, Call)
                and tree.name.lower() == "hashfiles"
                and all(isinstance(a, Literal) and isinstance(a.value, str) for a in tree.args)
            ):
                hash_name = self._unique(f"{step.id}-hash")
                patterns = "".join(f"{self.workdir}/{a.value}\n" for a in tree.args if isinstance(a, Literal))
                pre.append(
                    {
                        "name": hash_name,
                        "templateRef": _ref("cache", "hash-files"),
                        "arguments": {"parameters": _params({"patterns": patterns})},
                    }
                )
                out.append(f"{{{{steps.{hash_name}.outputs.parameters.hash}}}}")
                continue
            try:
                argo = to_argo(tree, scope)
            except Untranslatable as err:
                raise StepProblem(f"${{{{ {span.expression} }}}}: {err}", "unsupported") from None
            self.conv._use_parameters(scope)
            out.append(f"{{{{=string({argo})}}}}")
        out.append(text[pos:])
        return "".join(out)

    def _job_outputs(self) -> None:
        outputs = self.job.raw.get("outputs")
        if not isinstance(outputs, dict) or not outputs:
            return
        self.plan.has_outputs = True
        self.secret_used = self.job_secret
        self.uses_step = True
        if self.matrix:
            self.report.attend(f"job {self.job.id}: outputs of a matrix job are its last leg's")
        scope = self.scope()
        env: dict[str, str] = {}
        lines = [
            "# The job's outputs: each value as a KEY<<DELIMITER block, with a delimiter not in it.",
            "out() {",
            '  d=EOF; while printf \'%s\\n\' "$2" | grep -qx "$d"; do d="$d-"; done',
            '  printf \'%s<<%s\\n%s\\n%s\\n\' "$1" "$d" "$2" "$d" >> "$GITHUB_OUTPUT"',
            "}",
        ]
        taken: set[str] = set()
        for key, value in outputs.items():
            try:
                text = self._value(scalar_text(value), scope)
            except StepProblem as problem:
                self.report.attend(f"job {self.job.id}: output {key} not converted ({problem})")
                continue
            name = drivers.var_name(["output", str(key)], taken)
            env[name] = text
            lines.append(f'out {shlex.quote(str(key))} "${{{name}}}"')
        params = {"job": self.workdir, "script": "\n".join(lines) + "\n", "shell": "sh"}
        if env:
            params["env"] = drivers.env_lines(env)
        if self.image != STEP_IMAGE:
            params["image"] = self.image
        if self.secret_used:
            params["secret-env"] = "github-secrets"
        self.post.append(
            {
                "name": "wfsync-outputs",
                "templateRef": _ref("shell", "step"),
                "arguments": {"parameters": _params(params)},
            }
        )


@dataclass
class JobScope(Scope):
    """A scope inside a job that also knows the ``env`` values computed at run time."""

    dynamic_env: dict[str, str] = field(default_factory=dict)


def _inlined(tree: Expr, scope: Scope) -> Expr:
    """``tree`` with ``env.K`` of run-time env values replaced by their expressions (:mod:`.inline`)."""
    return inline_env(tree, scope.dynamic_env) if isinstance(scope, JobScope) else tree


def _boolean_valued(tree: Expr) -> bool:
    """Whether the expression's value is a boolean (comparisons, ``!`` and ``&&``/``||`` of those)."""
    if isinstance(tree, (Compare, Not)):
        return True
    return isinstance(tree, Logical) and all(_boolean_valued(a) for a in tree.args)


def _failed(step: str) -> str:
    return f"('{{{{steps.{step}.status}}}}' == 'Failed' || '{{{{steps.{step}.status}}}}' == 'Error')"


def _reads_secrets(tree: Expr) -> bool:
    """Whether an expression reads ``secrets`` or ``github.token`` (values Argo must never hold)."""
    for node in walk(tree):
        if isinstance(node, ContextRef) and node.name.lower() == "secrets":
            return True
        path = _simple_path(node)
        if path and [p.lower() for p in path] == ["github", "token"]:
            return True
    return False


Helper = Callable[[str], str]
"""Stores an ``env`` line value in a new variable of the step and gives the variable's name."""


def _helper(env: dict[str, str], taken: set[str]) -> Helper:
    def store(value: str) -> str:
        name = drivers.var_name(None, taken)
        env[name] = value
        return name

    return store


_PROBES = ("true", "false", "1.x", "v2.0.x", "20", "Probe A/b_c-d.e", "", "x\ny")
"""Values a run-time input is tried with, to see whether a rule passes it through unchanged."""
_EDGE = 6
"""Probes before this index are ordinary values; the rest are the edge cases (empty, two lines)."""

_LEG = "{{inputs.parameters.leg}}"


def _whole_expression(text: str) -> Expr | None:
    """The expression when ``text`` is exactly one ``${{ }}``, else None."""
    spans = find_expressions(text)
    if len(spans) != 1 or spans[0].start != 0 or spans[0].end != len(text):
        return None
    try:
        return parse(spans[0].expression)
    except ExpressionError:
        return None


def _leg_literal(text: str) -> str | None:
    """``text`` as an expr-lang string (the leg's tag as ``inputs.parameters.leg``), or None."""
    pieces = text.split(_LEG)
    if any("{{" in piece or "}}" in piece for piece in pieces):
        return None
    return " + inputs.parameters.leg + ".join(expr_string(piece) for piece in pieces)


def _reads_secrets_or_env(tree: Expr) -> bool:
    return _reads_secrets(tree) or any(
        isinstance(node, ContextRef) and node.name.lower() == "env" for node in walk(tree)
    )


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


def _simple_path(tree: Expr) -> list[str] | None:
    parts: list[str] = []
    node = tree
    while isinstance(node, Index):
        if not isinstance(node.index, Literal) or not isinstance(node.index.value, str):
            return None
        parts.append(node.index.value)
        node = node.target
    if not isinstance(node, ContextRef):
        return None
    parts.append(node.name)
    return parts[::-1]
