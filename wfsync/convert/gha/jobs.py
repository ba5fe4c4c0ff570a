"""One GitHub job as an Argo ``steps`` template: its steps, services, outputs and artifacts."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wfsync.convert.gha import composite, driver_eval
from wfsync.convert.gha import script as drivers
from wfsync.convert.gha.expressions import ExpressionError, find_expressions, parse, referenced_contexts
from wfsync.convert.gha.expressions.nodes import Call, Compare, ContextRef, Expr, Index, Literal, Logical, Not
from wfsync.convert.gha.inline import inline_env, transform
from wfsync.convert.gha.model import Step
from wfsync.convert.gha.report import StepEntry
from wfsync.convert.gha.rules import ActionRule, Inputs, render
from wfsync.convert.gha.runcontext import step_environment
from wfsync.convert.gha.translate import Scope, Untranslatable, fold_tree, to_argo
from wfsync.convert.gha.yaml12 import scalar_text

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
        base = f"jobs/{plan.task}" + ("-$WFSYNC_LEG" if self.matrix else "")
        self.state = f"{drivers.STATE_ROOT}/{base}"
        self.workspace = f"{drivers.WORKSPACE_ROOT}/{base}"
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
        self.runtime_conditions: dict[str, str] = {}
        """Step id -> shell test of an ``if:`` over ``env``, decided in the driver."""
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
        )

    # Template ---------------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        """The ``steps`` template of the job."""
        self._services()
        steps = self._expanded_steps()
        self.guarded = any(self._status_kind(s) not in ("success",) for s in steps)
        for step in steps:
            self._step(step)
        self._job_outputs()
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
                    "valueFrom": {"parameter": "{{steps.wfsync-outputs.outputs.parameters.output}}"},
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
            "arguments": {"parameters": _params({"script": "true", "shell": "sh", "image": self.image})},
        }

    def _unique(self, base: str) -> str:
        name = self.slug(base.lstrip("_"), 40) or "step"
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
        name = self._unique(step.id)
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
            if runtime is not None:  # decided by the driver: GITHUB_ENV may change env
                self.runtime_conditions[step.id] = runtime
                rest = None
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

    def _timeout(self, step: Step) -> str:
        minutes = step.raw.get("timeout-minutes")
        if isinstance(minutes, (int, float)):
            return f"{int(minutes)}m"
        return self.job_timeout

    def _run_step(self, step: Step, run: str, shell_value: Any, image: str | None = None) -> dict[str, Any]:
        shell = scalar_text(shell_value) if shell_value not in (None, "") else self.default_shell
        command, note = drivers.shell_command(shell)
        if note:
            self.report.attend(f"job {self.job.id} step {step.name!r}: {note}")
        driver = drivers.Driver(self.state, self.workspace, self.step_names.get(step.id, "step"))
        self.secret_used = False
        lines: dict[str, str] = {}
        if self.matrix:
            lines["WFSYNC_LEG"] = "{{inputs.parameters.leg}}"
        for key, value in self.service_env.items():
            lines[f"WFSYNC_{key}"] = value
            driver.export(key, f'"${{WFSYNC_{key}}}"')
        env_static = dict(self.static_env)
        env_dynamic = dict(self.dynamic_env)
        self._add_env(step.raw.get("env"), env_static, env_dynamic)
        step_env = step.raw.get("env")
        step_keys = set(step_env) if isinstance(step_env, dict) else set()
        scope = self.scope(env_static, env_dynamic)
        # Workflow and job env come before GITHUB_ENV of earlier steps, step env after it.
        for key, value in env_static.items():
            if _NAME.match(key):
                driver.export(key, shlex.quote(value), base=key not in step_keys)
        for key, value in env_dynamic.items():
            if _NAME.match(key):
                driver.export(key, self._word(value, scope, lines, driver), base=key not in step_keys)
        condition = self.runtime_conditions.get(step.id)
        if condition is not None:
            driver.commands.append(
                f"if ! {{ {condition}; }}; then echo 'wfsync: skipped, its if: is false'; exit 0; fi"
            )
        if "GITHUB_EVENT_PATH" in run:
            # The payload travels only to the scripts that read it (it can be large).
            self.conv.parameters.setdefault("github-event", "{}")
            lines["WFSYNC_EVENT"] = "{{=sprig.b64enc(workflow.parameters['github-event'])}}"
            driver.commands.append('wfsync_b64 "$WFSYNC_EVENT" > "$WFSYNC_STATE/event.json"')
            driver.export("GITHUB_EVENT_PATH", '"$WFSYNC_STATE/event.json"')
        text = run
        spans = find_expressions(run)
        if spans:
            if not drivers.is_posix_shell(shell):
                raise StepProblem(f"${{{{ }}}} in a {shell} script cannot be passed safely; move it to env:")
            out, pos = [], 0
            for n, span in enumerate(spans, start=1):
                var = f"WFSYNC_E{n}"
                driver.export(var, self._word(run[span.start : span.end], scope, lines, driver))
                quoted = drivers.quote_state(run, span.start) == "'"
                out += [run[pos : span.start], f"'\"${{{var}}}\"'" if quoted else f"${{{var}}}"]
                pos = span.end
            text = "".join(out) + run[pos:]
        wd = step.raw.get("working-directory") or self.default_wd
        wd_word = f'"{self.workspace}"'
        if wd not in (None, ""):
            wd_text = scalar_text(wd)
            word = self._word(wd_text, scope, lines, driver) if "${{" in wd_text else shlex.quote(wd_text)
            if wd_text.startswith("/"):
                wd_word = word
            elif "${{" in wd_text:  # absolute or relative is known only at run time
                wd_word = f'"$(wfsync_p={word}; case "$wfsync_p" in /*) ;; *) wfsync_p="{self.workspace}/$wfsync_p" ;; esac; printf %s "$wfsync_p")"'
            else:
                wd_word = f'"{self.workspace}"/{word}'
        header = f"wfsync driver for job {self.job.id}, step {step.name!r}"
        source = driver.script(text, command, wd_word, header.replace("\n", " "))
        params = {
            "script": drivers.encode(source),
            "script-encoding": "base64",
            "shell": "sh",
            "image": image or self.image,
        }
        github, defaults = step_environment(self.job.id, self.conv.wf.name)
        for parameter, default in defaults.items():
            self.conv.parameters.setdefault(parameter, default)
        lines.update((k, v) for k, v in github.items() if k not in lines)
        if lines:
            params["env"] = "".join(f"{k}={v}\n" for k, v in lines.items())
        if self.secret_used:
            params["secret-env"] = "github-secrets"
        if self.credentials_secret:
            params["credentials-env"] = self.credentials_secret
        timeout = self._timeout(step)
        if timeout:
            params["timeout"] = timeout
        return {"templateRef": _ref("shell", "run"), "arguments": {"parameters": _params(params)}}

    def _word(self, text: str, scope: Scope, lines: dict[str, str], driver: drivers.Driver) -> str:
        """A shell word with the value of ``text`` (literal text and ``${{ }}`` spans)."""
        del driver
        pieces, pos = [], 0
        for span in find_expressions(text):
            if text[pos : span.start]:
                pieces.append(shlex.quote(text[pos : span.start]))
            pieces.append(self._expression_word(span.expression, scope, lines))
            pos = span.end
        if text[pos:]:
            pieces.append(shlex.quote(text[pos:]))
        return "".join(pieces) or "''"

    def _expression_word(self, expression: str, scope: Scope, lines: dict[str, str]) -> str:
        tree = parse(expression)
        if (
            isinstance(tree, Logical)
            and tree.op == "||"
            and len(tree.args) == 2
            and isinstance(tree.args[1], Literal)
            and (_simple_path(tree.args[0]) or [""])[0].lower() in ("secrets", "env")
        ):
            # `secrets.X || 'default'`: the shell's ${X:-default} has the same falsy rule for strings.
            first = self._expression_word(".".join(_simple_path(tree.args[0]) or []), scope, lines)
            fallback = shlex.quote(scalar_text(tree.args[1].value))
            return first.replace(":-}", "}").replace('}"', f':-$(printf %s {fallback})}}"', 1)
        env_path = _simple_path(tree)
        if env_path and len(env_path) == 2 and env_path[0].lower() == "env" and _NAME.match(env_path[1]):
            return f'"${{{env_path[1]}:-}}"'  # read at run time: GITHUB_ENV may have changed it
        tree = _inlined(tree, scope)
        try:
            ok, value = fold_tree(tree, scope, env_at_run_time=True)
        except Untranslatable as err:
            raise StepProblem(str(err)) from None
        if ok:
            return shlex.quote(scalar_text(value))
        path = _simple_path(tree)
        if path:
            head = path[0].lower()
            if (head == "secrets" and len(path) == 2) or [p.lower() for p in path] == ["github", "token"]:
                secret = "GITHUB_TOKEN" if head == "github" else path[1]
                if not _NAME.match(secret):
                    raise StepProblem(f"secret name {secret!r} cannot be an environment variable")
                self.report.manual.secrets[secret] += 1
                self.secret_used = True
                return f'"${{{secret}}}"'
            if [p.lower() for p in path] == ["github", "workspace"]:
                return '"${GITHUB_WORKSPACE}"'
            if head == "env" and len(path) == 2 and _NAME.match(path[1]):
                return f'"${{{path[1]}:-}}"'
            if (
                head == "steps"
                and len(path) == 3
                and path[2].lower() == "conclusion"
                and path[1] in self.step_names
                and path[1] in self.continue_steps
            ):
                var = f"WFSYNC_V{len(lines) + 1}"
                lines[var] = f"{{{{steps.{self.step_names[path[1]]}.status}}}}"
                return f'"$(case "${var}" in Skipped|Omitted) echo skipped ;; *) echo success ;; esac)"'
            if (
                head == "steps"
                and len(path) == 4
                and path[2].lower() == "outputs"
                and path[1] in self.step_names
            ):
                return f'"$(wfsync_get "$WFSYNC_STATE/steps/{self.step_names[path[1]]}/output" {shlex.quote(path[3])})"'
            if head == "needs" and len(path) == 4 and path[2].lower() == "outputs":
                task = self.conv._task(path[1])
                upstream = next((p for p in self.conv.plans.values() if p.task == task), None)
                if upstream is None or path[1].lower() not in [n.lower() for n in self.job.needs]:
                    raise StepProblem(f"needs.{path[1]} is not a job this job needs")
                if not has_outputs(upstream.job):
                    raise StepProblem(f"outputs of the matrix job {path[1]} are not converted")
                lines[f"WFSYNC_NEEDS_{_env_name(task)}"] = (
                    f"{{{{=sprig.b64enc(inputs.parameters['needs-{task}'])}}}}"
                )
                return f'"$(wfsync_need {_env_name(task)} {shlex.quote(path[3])})"'
        try:
            argo = to_argo(tree, scope)
        except Untranslatable as err:
            word = self._shell_boolean(tree) or self._driver_word(tree, scope, lines)
            if word is None:
                raise StepProblem(f"${{{{ {expression} }}}}: {err}") from None
            return word
        self.conv._use_parameters(scope)
        var = f"WFSYNC_V{len(lines) + 1}"
        if "?." in argo or "nil" in argo:  # it may be null, which is '' as text
            argo = f'({argo}) ?? ""'
        lines[var] = f"{{{{=sprig.b64enc(string({argo}))}}}}"
        return f'"$(wfsync_b64 "${var}")"'

    def _driver_word(self, tree: Expr, scope: Scope, lines: dict[str, str]) -> str | None:
        """``tree`` computed by the driver (:mod:`.driver_eval`), or None when it cannot be."""

        def leaf(node: Expr) -> str | None:
            path = _simple_path(node)
            if not path or len(path) != 2 or not _NAME.match(path[1]):
                return None
            if path[0].lower() == "secrets":
                self.report.manual.secrets[path[1]] += 1
                self.secret_used = True
            elif path[0].lower() != "env":
                return None
            return f'"${{{path[1]}:-}}"'

        def argo(node: Expr) -> str | None:
            try:
                value = to_argo(node, scope)
            except Untranslatable:
                return None
            self.conv._use_parameters(scope)
            return value

        try:
            return driver_eval.compile_word(tree, leaf, argo, lines)
        except Untranslatable:
            return None

    def _shell_boolean(self, tree: Expr) -> str | None:
        """A comparison over ``env`` and ``secrets`` (which Argo never sees) decided by the driver.

        Secrets reach the step as environment variables of the same name, so ``secrets.X`` is
        tested like ``env.X`` (:func:`script.env_condition`); the word is ``true`` or ``false``.
        """
        if not _boolean_valued(tree):
            return None
        secrets: set[str] = set()

        def as_env(node: Expr) -> Expr | None:
            path = _simple_path(node)
            if path and len(path) == 2 and path[0].lower() == "secrets" and _NAME.match(path[1]):
                secrets.add(path[1])
                return Index(ContextRef("env", 0), Literal(path[1]))
            return None

        test = drivers.env_condition(transform(tree, as_env))
        if test is None:
            return None
        for name in secrets:
            self.report.manual.secrets[name] += 1
            self.secret_used = True
        return f'"$(if {test}; then echo true; else echo false; fi)"'

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
        raw_inputs = step.raw.get("with") or {}
        inputs = Inputs()
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
            inputs[str(key)] = self._folded(text)
        variables = {
            "inputs": inputs,
            "workdir": self.workdir,
            "uses": uses.split("@")[0],
            "ref": uses.split("@", 1)[1] if "@" in uses else "",
            "job_id": self.job.id,
            "step_id": step.id,
        }
        if rule.image is not None:
            image = render(rule.image, variables, rule.source)
            self.image = self._argo_text(image, step, [])
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
                key: self._argo_text(render(value, variables, rule.source), step, pre)
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
        driver = drivers.Driver(self.state, self.workspace, "wfsync-outputs")
        self.secret_used = False
        lines: dict[str, str] = {}
        if self.matrix:
            lines["WFSYNC_LEG"] = "{{inputs.parameters.leg}}"
            self.report.attend(f"job {self.job.id}: outputs of a matrix job are its last leg's")
        scope = self.scope()
        body = []
        for key, value in outputs.items():
            try:
                word = self._word(scalar_text(value), scope, lines, driver)
            except StepProblem as problem:
                self.report.attend(f"job {self.job.id}: output {key} not converted ({problem})")
                continue
            body.append(
                f"printf '%s=%s\\n' {shlex.quote(str(key))} \"$(printf '%s' {word} | base64 | tr -d '\\n')\" >> \"$GITHUB_OUTPUT\""
            )
        driver.commands.extend(body)  # in the driver's shell, where its helper functions are
        source = driver.script(
            ":",
            ["sh -e", '"$wfsync_script"'],
            f'"{self.workspace}"',
            f"job {self.job.id} outputs",
        )
        params = {
            "script": drivers.encode(source),
            "script-encoding": "base64",
            "shell": "sh",
            "image": self.image,
        }
        if lines:
            params["env"] = "".join(f"{k}={v}\n" for k, v in lines.items())
        if self.secret_used:
            params["secret-env"] = "github-secrets"
        self.post.append(
            {
                "name": "wfsync-outputs",
                "templateRef": _ref("shell", "run"),
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
