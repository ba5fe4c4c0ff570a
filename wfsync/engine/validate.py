"""What ``argo submit`` rejects before a workflow exists (``workflow/validate`` ``ValidateWorkflow``).

A workflow Argo would refuse at submission is invalid input, not something the local engine
"cannot run": :func:`submit_problem` gives Argo's own message so ``wfsync run`` exits 2 with it
instead of running or reporting it as unsupported.

It follows Argo's walk: the entrypoint, then ``onExit``, then every template of the spec, each
step and task resolved with the same :class:`~wfsync.engine.templates.Resolver` the run uses, so
what it accepts is exactly what the run can resolve. ``wfsync lint`` checks the same references
with file and line (its ``template-not-found`` rule); the engine cannot import the linter (both
are services), and its callers (``run``, ``convert --run``, ``verify``) all pass through here.
A ``templateRef`` to a WorkflowTemplate the run does not have is an environment problem (the
cluster may hold it), reported by the pre-run checks, not here.
"""

from __future__ import annotations

from collections.abc import Mapping

from wfsync.engine.templates import (
    Context,
    ResolveError,
    Resolver,
    context_for,
    template_type,
)
from wfsync.model.kinds import Kind
from wfsync.model.values import at, listed, mapping


class _Invalid(Exception):
    """Argo's validation error (``str()`` is its message)."""


def submit_problem(wf: Mapping[str, object], resolver: Resolver) -> str | None:
    """Argo's message for the first reason ``argo submit`` rejects ``wf`` (None when it accepts it)."""
    spec = mapping(wf.get("spec"))
    walker = _Walker(resolver)
    root = context_for(wf, Kind.WORKFLOW)
    try:
        entrypoint = spec.get("entrypoint")
        if not entrypoint:
            raise _Invalid("spec.entrypoint is required")
        walker.holder({"template": entrypoint}, root)
        if spec.get("onExit"):
            walker.holder({"template": spec["onExit"]}, root)
        for tmpl in listed(spec.get("templates")):
            if not isinstance(tmpl, dict) or not isinstance(tmpl.get("name"), str):
                continue
            try:
                walker.holder({"template": tmpl["name"]}, root)
            except _Invalid as exc:
                raise _Invalid(f"templates.{tmpl['name']} {exc}") from None
    except _Invalid as exc:
        return str(exc)
    return None


class _Walker:
    """``templateValidationCtx``: validates each template once (its ``results`` cache)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.done: set[tuple[str, str]] = set()

    def holder(self, holder: Mapping[str, object], ctx: Context) -> None:
        """``validateTemplateHolder``: the named template exists, then is validated itself."""
        name = holder.get("template")
        ref = holder.get("templateRef")
        inline = holder.get("inline")
        if isinstance(inline, dict):
            self.template(inline, ctx)
            return
        if isinstance(ref, dict):
            if name:
                raise _Invalid("template name cannot be specified with templateRef.")
            if not ref.get("name"):
                raise _Invalid("resource name is required")
            if not ref.get("template"):
                raise _Invalid("template name is required")
            if "{{" in str(ref.get("name")) + str(ref.get("template")):
                return  # resolved when it runs (``VerifyResolvedVariables``)
            try:
                self.resolver.store.holder(str(ref["name"]), bool(ref.get("clusterScope")))
            except ResolveError:
                return  # not here: the pre-run checks say where it is missing
            try:
                resolved = self.resolver.resolve(holder, ctx)
            except ResolveError:
                raise _Invalid(f"template reference {ref['name']}.{ref['template']} not found") from None
            self.template(resolved.template, resolved.context)
            return
        if not isinstance(name, str) or not name or "{{" in name:
            return
        if name not in ctx.templates:
            raise _Invalid(f"template name '{name}' undefined")
        self.template(dict(ctx.templates[name]), ctx)

    def template(self, tmpl: Mapping[str, object], ctx: Context) -> None:
        """``validateTemplate`` for what refers to other templates: steps and DAG tasks."""
        if tmpl.get("name"):
            key = (ctx.scope, str(tmpl["name"]))
            if key in self.done:
                return
            self.done.add(key)
        kind = template_type(tmpl)
        if kind == "steps":
            self.steps(tmpl, ctx)
        elif kind == "dag":
            self.dag(tmpl, ctx)

    def steps(self, tmpl: Mapping[str, object], ctx: Context) -> None:
        """``validateSteps``: names required and unique, every step's template defined."""
        name = tmpl.get("name")
        seen: set[str] = set()
        for index, group in enumerate(listed(tmpl.get("steps"))):
            steps = group if isinstance(group, list) else listed(mapping(group).get("steps"))
            for step in steps:
                if not isinstance(step, dict):
                    continue
                step_name = step.get("name")
                if not step_name:
                    raise _Invalid(f"templates.{name}.steps[{index}].name is required")
                if step_name in seen:
                    raise _Invalid(f"templates.{name}.steps[{index}].name '{step_name}' is not unique")
                seen.add(str(step_name))
                try:
                    self.holder(step, ctx)
                except _Invalid as exc:
                    raise _Invalid(f"templates.{name}.steps[{index}].{step_name} {exc}") from None

    def dag(self, tmpl: Mapping[str, object], ctx: Context) -> None:
        """``validateDAG``: every task's template defined."""
        name = tmpl.get("name")
        for task in listed(at(tmpl, "dag", "tasks")):
            if not isinstance(task, dict):
                continue
            try:
                self.holder(task, ctx)
            except _Invalid as exc:
                raise _Invalid(f"templates.{name}.tasks.{task.get('name')} {exc}") from None
