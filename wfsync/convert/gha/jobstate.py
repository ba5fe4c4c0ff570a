"""What the builder of one job knows while it works: env, names, step groups, flags.

:mod:`.jobs` builds the template; the modules for each kind of step (:mod:`.runsteps`,
:mod:`.actionsteps`, :mod:`.services`) and for values (:mod:`.values`, :mod:`.shellwords`) are
functions over this state, so that none of them imports the builder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wfsync.convert.gha.argo import slug
from wfsync.convert.gha.expressions import ExpressionError, find_expressions, parse, walk
from wfsync.convert.gha.expressions.nodes import Compare, ContextRef, Expr, Index, Literal, Logical, Not
from wfsync.convert.gha.inline import inline_env
from wfsync.convert.gha.model import Step
from wfsync.convert.gha.plans import JobPlan, WorkflowBuild
from wfsync.convert.gha.translate import Scope, Untranslatable, expr_string, fold_tree
from wfsync.convert.gha.yaml12 import scalar_text
from wfsync.model.spec_types import Artifact, WorkflowStep

STEP_IMAGE = "ghcr.io/catthehacker/ubuntu:act-22.04"
"""``shell/step``'s default image (the ``ubuntu-latest`` runner rule's)."""

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""An environment variable name a shell can export."""

ArgoStep = WorkflowStep
"""One step of the job's ``steps`` template (``name``, ``templateRef``, ``arguments``, ``when``...)."""


class StepProblem(Exception):
    """A step that cannot be converted; the message goes into a failing step and the report."""

    def __init__(self, message: str, verdict: str = "unsupported") -> None:
        super().__init__(message)
        self.verdict = verdict


@dataclass
class JobScope(Scope):
    """A scope inside a job that also knows the ``env`` values computed at run time."""

    dynamic_env: dict[str, str] = field(default_factory=dict)


class JobState:
    """The state of one job's conversion (``WorkflowBuild`` owns the workflow-wide state)."""

    def __init__(self, converter: WorkflowBuild, plan: JobPlan, workdir: str) -> None:
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
        """Whether an earlier step's script writes GITHUB_ENV (an ``if:`` over env cannot see it)."""
        self.runtime_conditions: dict[str, str] = {}
        """Step id -> POSIX test of an ``if:`` over ``env``, decided by ``shell/step``."""
        self.secret_used = False
        """Whether the job's env reads a secret (every step then gets ``secret-env``)."""
        self.groups: list[list[ArgoStep]] = []
        self.post: list[ArgoStep] = []
        self.step_names: dict[str, str] = {}
        self.names: set[str] = set()
        self.mandatory: list[str] = []
        self.credentials_secret: str | None = None
        """Secret a cloud credential action gave the later run steps (``env-from-secret``)."""
        self.input_artifacts: list[Artifact] = []
        self.output_artifacts: list[Artifact] = []
        self.service_env: dict[str, str] = {}
        self.local_problems: dict[str, str] = {}
        self.continue_steps: set[str] = set()
        """Steps with ``continue-on-error: true``: their conclusion is success even when they fail."""
        self.static_env: dict[str, str] = {}
        self.dynamic_env: dict[str, str] = {}
        self._read_env_and_defaults()

    def _read_env_and_defaults(self) -> None:
        raw, workflow = self.job.raw, self.conv.wf.raw
        container = raw.get("container")
        for source in (
            workflow.get("env"),
            raw.get("env"),
            container.get("env") if isinstance(container, dict) else None,
        ):
            self.add_env(source, self.static_env, self.dynamic_env)
        defaults: dict[str, object] = {}
        for level in (workflow.get("defaults"), raw.get("defaults")):
            if isinstance(level, dict) and isinstance(level.get("run"), dict):
                defaults.update(level["run"])
        self.default_shell: str | None = scalar_text(defaults["shell"]) if defaults.get("shell") else None
        self.default_wd: str | None = (
            scalar_text(defaults["working-directory"]) if defaults.get("working-directory") else None
        )
        timeout = raw.get("timeout-minutes")
        self.job_timeout = f"{int(timeout)}m" if isinstance(timeout, (int, float)) else ""

    def add_env(self, source: object, static: dict[str, str], dynamic: dict[str, str]) -> None:
        """Add an ``env:`` mapping: values known now go to ``static``, the others to ``dynamic``."""
        if not isinstance(source, dict):
            return
        for key, value in source.items():
            if not NAME.match(key):  # kept for the env context; not exported (see runsteps)
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

    def step_scope(self, step: Step) -> JobScope:
        """The scope of one step: the job's env with the step's own ``env`` over it."""
        env_static, env_dynamic = dict(self.static_env), dict(self.dynamic_env)
        self.add_env(step.raw.get("env"), env_static, env_dynamic)
        return self.scope(env_static, env_dynamic)

    def _fold_text(self, text: str, env: dict[str, str], dynamic: dict[str, str]) -> str | None:
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
        matrix: dict[str, object] | None = {} if self.matrix else None
        return JobScope(
            "job",
            env=dict(self.static_env if env is None else env),
            matrix=matrix,
            task_names={j: self.conv.task_name(j) for j in self.job.needs},
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

    def unique(self, base: str) -> str:
        """A step name not taken yet in this template (and not one of wfsync's own)."""
        name = slug(base.lstrip("_"), 40)
        name = re.sub(r"-{2,}", "--" if "--" in base else "-", name).strip("-") or "step"
        candidate, n = name, 1
        while candidate in self.names or candidate.startswith("wfsync-"):
            n += 1
            candidate = f"{name}-{n}"
        self.names.add(candidate)
        return candidate

    def timeout(self, step: Step) -> str:
        """The step's ``timeout-minutes`` as an Argo duration, else the job's ('' for none)."""
        minutes = step.raw.get("timeout-minutes")
        if isinstance(minutes, (int, float)):
            return f"{int(minutes)}m"
        return self.job_timeout

    def secret(self, name: str) -> None:
        """Note that the step reads the secret ``name`` (the report lists it; ``secret-env`` is set)."""
        self.report.manual.secrets[name] += 1
        self.secret_used = True

    def attend(self, step: Step, message: str) -> None:
        """Record something about a step that did not convert exactly."""
        self.report.attend(f"job {self.job.id} step {step.name!r}: {message}")


def inlined(tree: Expr, scope: Scope) -> Expr:
    """``tree`` with ``env.K`` of run-time env values replaced by their expressions (:mod:`.inline`)."""
    return inline_env(tree, scope.dynamic_env) if isinstance(scope, JobScope) else tree


def boolean_valued(tree: Expr) -> bool:
    """Whether the expression's value is a boolean (comparisons, ``!`` and ``&&``/``||`` of those)."""
    if isinstance(tree, (Compare, Not)):
        return True
    return isinstance(tree, Logical) and all(boolean_valued(a) for a in tree.args)


def reads_secrets(tree: Expr) -> bool:
    """Whether an expression reads ``secrets`` or ``github.token`` (values Argo must never hold)."""
    for node in walk(tree):
        if isinstance(node, ContextRef) and node.name.lower() == "secrets":
            return True
        path = simple_path(node)
        if path and [p.lower() for p in path] == ["github", "token"]:
            return True
    return False


def reads_secrets_or_env(tree: Expr) -> bool:
    """Whether an expression reads values only the step has (secrets, ``github.token``, ``env``)."""
    return reads_secrets(tree) or any(
        isinstance(node, ContextRef) and node.name.lower() == "env" for node in walk(tree)
    )


def simple_path(tree: Expr) -> list[str] | None:
    """``['github', 'token']`` for ``github.token`` (or ``github['token']``), else None."""
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
