"""``uses:`` steps of public actions: the action's rule (``converters/gha``) or ``github-action/run``.

A rule renders library template calls from the action's ``with:``; inputs known only at run time
reach it as tokens (:func:`rule_text`), and nothing is decided now from a guessed value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

import jinja2

from wfsync.convert.gha import script as drivers
from wfsync.convert.gha.argo import library_call, parameters, template_ref
from wfsync.convert.gha.compiler import to_argo_condition
from wfsync.convert.gha.expressions import (
    ExpressionError,
    evaluate,
    find_expressions,
    parse,
    referenced_contexts,
)
from wfsync.convert.gha.expressions.nodes import Expr
from wfsync.convert.gha.jobstate import ArgoStep, JobState, StepProblem, boolean_valued, inlined
from wfsync.convert.gha.model import Step
from wfsync.convert.gha.report import StepEntry
from wfsync.convert.gha.rules import GENERIC, GENERIC_TEMPLATE, ActionRule, Inputs, StepTemplate, render
from wfsync.convert.gha.translate import Untranslatable, expr_string, known_contexts
from wfsync.convert.gha.values import argo_text, env_value, folded
from wfsync.convert.gha.yaml12 import scalar_text

WithInput = Callable[[str, str], str]
"""Renders the rule's parameter with one input set to a value."""

_PROBES = ("true", "false", "1.x", "v2.0.x", "20", "Probe A/b_c-d.e", "", "x\ny")
"""Values a run-time input is tried with, to see whether a rule passes it through unchanged."""
_EDGE = 6
"""Probes before this index are ordinary values; the rest are the edge cases (empty, two lines)."""

_LEG = "{{inputs.parameters.leg}}"


class RuleVariables(TypedDict):
    """What a rule's templates see: the action's inputs, the job's folder, the action and ids."""

    inputs: Inputs
    workdir: str
    uses: str
    ref: str
    job_id: str
    step_id: str


def action_step(job: JobState, step: Step, entry: StepEntry, name: str) -> list[ArgoStep]:
    """The step bodies of a ``uses:`` step (more than one when the rule calls several templates)."""
    uses = step.uses or ""
    if uses.startswith("./") or uses.startswith(".\\"):
        raise StepProblem(job.local_problems.get(step.id, f"{uses}: local action not converted"))
    rule = job.conv.rules.action(uses)
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
        return [generic_call(job, step, uses)]
    raw_inputs = step.raw.get("with") or {}
    inputs, runtime = _rule_inputs(job, step, rule, raw_inputs)
    variables: RuleVariables = {
        "inputs": inputs,
        "workdir": job.workdir,
        "uses": uses.split("@")[0],
        "ref": uses.split("@", 1)[1] if "@" in uses else "",
        "job_id": job.job.id,
        "step_id": step.id,
    }
    if rule.image is not None:
        job.image = rule_text(job, rule.image, variables, rule, step, [], runtime)
    for secret in rule.secrets:
        _manual(job, f"create the Secret {secret} ({rule.uses})")
    later_env(job, rule, variables, step)
    bodies: list[ArgoStep] = []
    for template in rule.steps:
        body = _template_call(job, template, variables, rule, step, runtime, name, raw_inputs)
        if template.position == "post":
            job.post.append({"name": job.unique(f"{name}-post"), **body})
        else:
            bodies.append(body)
    return bodies


def _rule_inputs(
    job: JobState, step: Step, rule: ActionRule, raw_inputs: object
) -> tuple[Inputs, dict[str, str]]:
    """The ``with:`` values a rule sees (known ones folded), and those known only at run time.

    A run-time input is given to the rule as a token ``wfsync-run-time-input-N``; secrets are
    never given to a rule (it reads its own Secret).
    """
    inputs = Inputs()
    runtime: dict[str, str] = {}
    for key, value in raw_inputs.items() if isinstance(raw_inputs, dict) else []:
        text = scalar_text(value)
        if "secrets." in text or "github.token" in text:
            if rule.env_from_secret:
                job.attend(
                    step,
                    f"input {key} holds a secret; put its value in the Secret {rule.env_from_secret.secret} instead",
                )
            elif not rule.secrets:  # else the rule reads credentials from its own Secret
                job.attend(
                    step,
                    f"input {key} holds a secret; give it to the library template as a Secret name instead",
                )
            continue
        value_now = folded(job, text)
        if "${{" in value_now and rule.verdict != "generic":  # the rule sees a token (rule_text)
            runtime[str(key)] = value_now
            value_now = f"wfsync-run-time-input-{len(runtime)}"
        inputs[str(key)] = value_now
    return inputs, runtime


def _template_call(
    job: JobState,
    template: StepTemplate,
    variables: RuleVariables,
    rule: ActionRule,
    step: Step,
    runtime: dict[str, str],
    name: str,
    raw_inputs: object,
) -> ArgoStep:
    """One library call of a rule; steps it needs first (``hashFiles``) go into the job's groups."""
    family, template_name = template.template.split("/")
    pre: list[ArgoStep] = []
    params = {
        key: rule_text(job, value, variables, rule, step, pre, runtime)
        for key, value in template.parameters.items()
    }
    body: ArgoStep = {"templateRef": template_ref(family, template_name)}
    if params:
        body["arguments"] = {"parameters": parameters(params)}
    if family == "cache":
        job.conv.uses_cache = True
    if template.template == "artifact/upload":
        name_input = (
            raw_inputs.get("name") if isinstance(raw_inputs, dict) else None
        )  # with: is a mapping (schema)
        artifact = job.plan.uploads.get(scalar_text(name_input) or "artifact")
        if artifact:
            job.output_artifacts.append(
                {"name": artifact, "from": f"{{{{steps.{name}.outputs.artifacts.files}}}}", "optional": True}
            )
    if template.template == "artifact/download":
        _download(job, body, raw_inputs)
    for extra in pre:
        job.groups.append([extra])
    return body


def generic_call(job: JobState, step: Step, uses: str) -> ArgoStep:
    """``github-action/run`` for a public action without a rule: ``with:`` and ``env:`` as env lines.

    The lines are ``shell/step``'s: constants, ``$NAME`` for secrets (the Secret
    ``github-secrets``) and ``github.token``, run-time values as JSON from an Argo tag. The
    job's ``shell/setup`` runs first, so the action sees the job's env and GITHUB_* context.
    """
    job.uses_step = True
    job.secret_used = job.job_secret
    scope = job.scope()
    params = {"action": uses, "job": job.workdir}
    for key, source in (("inputs", step.raw.get("with")), ("env", step.raw.get("env"))):
        if isinstance(source, dict) and source:
            values = {str(k): env_value(job, scalar_text(v), scope) for k, v in source.items()}
            params[key] = drivers.env_lines(values) + "\n"
    if job.secret_used:
        params["secret-env"] = "github-secrets"
    timeout = job.timeout(step)
    if timeout:
        params["timeout"] = timeout
    family, template = GENERIC_TEMPLATE.split("/")
    return library_call(family, template, params)


def rule_text(
    job: JobState,
    template: jinja2.Template,
    variables: RuleVariables,
    rule: ActionRule,
    step: Step,
    pre: list[ArgoStep],
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
            out = out.replace(token, text)  # passed through: compiled by argo_text below
            continue
        others = [inputs[k] for k in runtime if k != key]
        per_leg = _per_leg(job, text, key, with_input)
        if per_leg is not None and not any(o in per_leg for o in others):
            return per_leg
        if all(with_input(key, probe) == base.replace(token, probe) for probe in _PROBES[:_EDGE]):
            job.attend(
                step,
                f"input {key} ({text}) reaches {rule.uses}'s "
                "template as it is at run time; what the rule does with an empty or multi-line value is not applied",
            )
            out = out.replace(token, text)
            continue
        computed = _on_truth(job, text, key, with_input)
        if computed is None or any(o in computed for o in others):
            raise StepProblem(
                f"input {key}: {text} is needed when converting (rule {rule.uses}), "
                "and is known only at run time; set the parameter by hand",
                "partial",
            )
        return computed
    return argo_text(job, out, step, pre)


def _per_leg(job: JobState, text: str, key: str, with_input: WithInput) -> str | None:
    """``{{=[...][leg]}}``: the rule rendered for each matrix leg, when the input reads only the matrix."""
    legs = job.plan.legs
    tree = _whole_expression(text)
    if not legs or tree is None:
        return None
    known = known_contexts(job.scope())
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


def _on_truth(job: JobState, text: str, key: str, with_input: WithInput) -> str | None:
    """``{{=cond ? yes : no}}`` for a boolean input (a comparison), the rule rendered for each."""
    tree = _whole_expression(text)
    if tree is None or not boolean_valued(tree):
        return None
    scope = job.scope()
    try:
        condition = to_argo_condition(inlined(tree, scope), scope)
    except Untranslatable:
        return None
    job.conv.use_parameters(scope)
    yes, no = _leg_literal(with_input(key, "true")), _leg_literal(with_input(key, "false"))
    if yes is None or no is None:
        return None
    return f"{{{{={condition} ? {yes} : {no}}}}}"


def later_env(job: JobState, rule: ActionRule, variables: RuleVariables, step: Step) -> None:
    """Apply a rule's ``env`` and ``env-from-secret`` to the run steps after this one.

    Like GITHUB_ENV on GitHub: the values join the job's env (so ``env.AWS_REGION`` reads
    them too) from here on; steps built before this one are not touched. Secret values stay
    in the Secret, which ``shell/run`` reads through ``credentials-env``.
    """
    if rule.env:
        values = {key: render(value, variables, rule.source) for key, value in rule.env.items()}
        job.add_env({k: v for k, v in values.items() if v}, job.static_env, job.dynamic_env)
    wanted = rule.env_from_secret
    if wanted is None:
        return
    if job.credentials_secret not in (None, wanted.secret):
        job.attend(
            step,
            f"only one credentials Secret per job; later steps keep {job.credentials_secret}, not {wanted.secret}",
        )
        return
    job.credentials_secret = wanted.secret
    keys = ", ".join(wanted.keys)
    optional = f" (optional: {', '.join(wanted.optional)})" if wanted.optional else ""
    _manual(job, f"create the Secret {wanted.secret} with keys {keys}{optional} ({rule.uses})")


def _manual(job: JobState, note: str) -> None:
    if note not in job.report.manual.other:
        job.report.manual.other.append(note)


def _download(job: JobState, body: ArgoStep, raw_inputs: object) -> None:
    name = scalar_text(raw_inputs.get("name")) if isinstance(raw_inputs, dict) else ""
    wanted = name or "artifact"
    for artifact, task in job.conv.downloads(job.plan).items():
        upstream = next(p for p in job.conv.plans.values() if p.task == task)
        if upstream.uploads.get(wanted) == artifact:
            if not any(a["name"] == artifact for a in job.input_artifacts):
                job.input_artifacts.append({"name": artifact})
            body.setdefault("arguments", {})["artifacts"] = [
                {"name": "files", "from": f"{{{{inputs.artifacts.{artifact}}}}}"}
            ]
            return
    raise StepProblem(
        f"artifact {wanted!r} is not uploaded by a job this job needs"
        + ("" if name else " (downloading all artifacts is not converted)")
    )


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
