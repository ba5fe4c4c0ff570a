"""Scopes and outputs of steps and DAG templates: what ``{{steps.X...}}``/``{{tasks.X...}}`` see.

``buildLocalScope``, ``resolveReferences`` and ``getTemplateOutputsFromScope`` are shared by
steps and DAGs (and by hooks, for the parent's outputs), so they live apart from both.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from wfsync.engine import status as st
from wfsync.engine.nodes import OperationState, Opts, node_inputs
from wfsync.engine.params import param_string
from wfsync.engine.scope import Scope, ScopeError
from wfsync.engine.substitute import Substituter, SubstitutionError, tags_in
from wfsync.engine.templates import Context, ResolveError
from wfsync.expressions.govaluate import WhenError, evaluate_when
from wfsync.model.kinds import NodeType


class AbsentOutputError(SubstitutionError):
    """A step or task reads an absent output nothing handles: its own node ends in Error."""


class OutputsMixin(OperationState):
    """Adding nodes to a scope, resolving a step's references, a template's declared outputs."""

    def add_node_to_scope(
        self,
        scope: Scope,
        prefix: str,
        node: st.Node,
        holder: Mapping[str, object] | None = None,
        ctx: Context | None = None,
    ) -> None:
        """``buildLocalScope`` (a Retry node stands for its last attempt).

        A Skipped or Omitted producer offers its outputs' ``valueFrom.default``; outputs without
        one are *absent* (``nil`` in expressions, dropped as whole-argument references).
        """
        if node.type == NodeType.RETRY:
            last = self.last_child(node)
            if last is not None:
                node = last
        scope.add_node(prefix, node, node.outputs)
        if node.phase in (st.SKIPPED, st.OMITTED) and holder is not None and ctx is not None:
            try:
                tmpl = self.resolver.resolve(holder, ctx).template
            except ResolveError:
                return
            for param in (tmpl.get("outputs") or {}).get("parameters") or []:
                key = f"{prefix}.outputs.parameters.{param.get('name')}"
                default = (param.get("valueFrom") or {}).get("default")
                if default is not None:
                    scope.params[key] = param_string(default)
                else:
                    scope.absent.add(key)
            scope.absent.add(f"{prefix}.outputs.result")

    def resolve_step(self, step: dict[str, Any], scope: Scope) -> dict[str, Any]:
        """``resolveReferences``: substitute the step, then resolve its artifact ``from``s."""
        params = {**self.global_params, **scope.params}
        if scope.absent and (step.get("arguments") or {}).get("parameters"):
            step = copy.deepcopy(step)
            step["arguments"]["parameters"] = [
                p
                for p in step["arguments"]["parameters"]
                if not (isinstance(p.get("value"), str) and _only_tag(p["value"]) in scope.absent)
            ]
        substituter = Substituter(params, env=scope.env(self.global_params) if scope.absent else None)
        new: dict[str, Any] = substituter.value(step)
        if scope.absent:
            _refuse_absent(new.get("when"), scope.absent)
        try:
            proceed = evaluate_when(str(new.get("when") or ""))
        except WhenError:
            if not (new.get("withItems") or new.get("withParam") or new.get("withSequence") is not None):
                raise
            proceed = True
        if not proceed:
            return new  # a step that does not run is not failed over absent outputs
        if scope.absent:  # loop fields expand without absent outputs (``getParameters``), then fail
            _refuse_absent({k: v for k, v in new.items() if k not in _LOOP_KEYS}, scope.absent)
        arts = []
        for art in (new.get("arguments") or {}).get("artifacts") or []:
            if not art.get("from") and not art.get("fromExpression"):
                arts.append(art)
                continue
            found = self._artifact_keeping(art, scope, "subPath")
            if found is not None:
                arts.append(found)
        if arts or (new.get("arguments") or {}).get("artifacts"):
            new.setdefault("arguments", {})["artifacts"] = arts
        return new

    def _artifact_or_none(self, art: Mapping[str, object], scope: Scope) -> dict[str, object] | None:
        """The artifact ``from``/``fromExpression`` names, as ``art`` calls it; None if optional and absent."""
        try:
            found = scope.resolve_artifact(art, self.global_params)
        except ScopeError as exc:
            if "Unable to resolve" in str(exc) and art.get("optional"):
                return None
            raise
        found["name"] = art["name"]
        return found

    def _artifact_keeping(
        self, art: Mapping[str, object], scope: Scope, key: str
    ) -> dict[str, object] | None:
        """The artifact resolved (as :meth:`_artifact_or_none`), keeping its own ``key`` when it has one."""
        found = self._artifact_or_none(art, scope)
        if found is not None and art.get(key):
            found[key] = art[key]
        return found

    def open_boundary(
        self, node_name: str, node_type: str, tmpl: dict[str, object], opts: Opts, common: dict[str, Any]
    ) -> st.Node:
        """The Steps or DAG node (created on the first pass), with its template kept for its children."""
        node = self.status.by_name(node_name)
        if node is None:
            node = self.init_node(node_name, node_type, st.RUNNING, opts, inputs=node_inputs(tmpl), **common)
        self.boundary_templates[node.id] = tmpl
        return node

    def succeed_boundary(
        self, node: st.Node, tmpl: Mapping[str, object], scope: Scope, outbound: list[str] | None = None
    ) -> st.Node:
        """A finished Steps or DAG node: its declared outputs (global ones too), then Succeeded.

        An output that cannot be resolved makes it Error instead (its outbound nodes unset).
        """
        try:
            outputs = self.template_outputs(tmpl, scope)
        except ScopeError as exc:
            return self.mark(node, st.ERROR, str(exc))
        if outputs is not None:
            node.outputs = outputs
            self.add_outputs_to_global_scope(outputs)
        if outbound is not None:
            node.outbound_nodes = outbound
        return self.mark(node, st.SUCCEEDED)

    def template_outputs(self, tmpl: Mapping[str, Any], scope: Scope) -> dict[str, Any] | None:
        """``getTemplateOutputsFromScope`` for steps and DAG templates."""
        declared = tmpl.get("outputs") or {}
        if not declared.get("parameters") and not declared.get("artifacts"):
            return None
        outputs: dict[str, object] = {}
        params = []
        for param in declared.get("parameters") or []:
            value_from = param.get("valueFrom")
            if not isinstance(value_from, dict):
                raise ScopeError("output parameters must have a valueFrom specified")
            try:
                value = scope.resolve_parameter(value_from, self.global_params)
            except ScopeError:
                if value_from.get("default") is None:
                    raise
                value = param_string(value_from["default"])
            params.append({**{k: v for k, v in param.items() if k != "valueFrom"}, "value": value})
        if params:
            outputs["parameters"] = params
        arts = []
        for art in declared.get("artifacts") or []:
            found = self._artifact_keeping(art, scope, "globalName")
            if found is not None:
                arts.append(found)
        if arts:
            outputs["artifacts"] = arts
        return outputs


_LOOP_KEYS = ("withItems", "withParam", "withSequence")


def _refuse_absent(value: object, absent: set[str]) -> None:
    """Argo's terminal error for a reference to an absent output that nothing handled.

    A Skipped or Omitted producer without a ``valueFrom.default`` leaves its outputs *absent*
    (``nil``): a simple tag to one fails ("failed to resolve {{...}} to string",
    ``simpleReplaceStrict``), an expression tag that still gave ``nil`` fails too. Argo records it
    on the step's or task's own node (``initTerminalErrorNode``); its siblings go on.
    """
    for tag in tags_in(value):
        stripped = tag.strip()
        if stripped in absent:
            raise AbsentOutputError(f"failed to resolve {{{{{tag}}}}} to string")
        if stripped.startswith("=") and any(key in stripped for key in absent):
            raise AbsentOutputError(f'failed to evaluate expression "{stripped[1:].strip()}"')


def _only_tag(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
        return stripped[2:-2].strip()
    return ""
