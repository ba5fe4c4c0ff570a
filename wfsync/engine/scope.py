"""A steps or DAG scope: parameters (flat strings) and artifacts visible to the next steps.

Mirrors ``wfScope`` (``workflow/controller/scope.go``): ``resolve_parameter`` and
``resolve_artifact`` follow ``valueFrom.parameter``/``expression`` and ``from``/``fromExpression``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

from wfsync.engine.params import param_string
from wfsync.engine.status import Node, rfc3339
from wfsync.errors import ExitCode, WfsyncError
from wfsync.expressions import exprlang


class ScopeError(WfsyncError):
    """A reference a scope cannot resolve (``Unable to resolve: {{...}}``)."""

    exit_code = ExitCode.FINDINGS


def _strip_tag(text: str) -> str:
    text = text.strip()
    if text.startswith("{{") and text.endswith("}}"):
        return text[2:-2].strip()
    return text


@dataclasses.dataclass
class Scope:
    """Parameters and artifacts by their flat names (``steps.a.outputs.result``, ...)."""

    params: dict[str, str] = dataclasses.field(default_factory=dict)
    artifacts: dict[str, dict[str, object]] = dataclasses.field(default_factory=dict)
    absent: set[str] = dataclasses.field(default_factory=set)
    """Outputs of Skipped/Omitted producers without a default: ``nil`` in expressions."""

    @classmethod
    def of_template(cls, tmpl: Mapping[str, Any]) -> Scope:
        """``createScope``: the template's own inputs."""
        scope = cls()
        inputs = tmpl.get("inputs") or {}
        for p in inputs.get("parameters") or []:
            if p.get("value") is not None:
                scope.params[f"inputs.parameters.{p['name']}"] = param_string(p["value"])
        for a in inputs.get("artifacts") or []:
            scope.artifacts[f"inputs.artifacts.{a['name']}"] = a
        return scope

    def add_node(self, prefix: str, node: Node, outputs: Mapping[str, object] | None) -> None:
        """``buildLocalScope``: id, status, timestamps, exit code and outputs of a sibling node."""
        self.params[f"{prefix}.id"] = node.id
        if node.started:
            self.params[f"{prefix}.startedAt"] = rfc3339(node.started)
        if node.finished:
            self.params[f"{prefix}.finishedAt"] = rfc3339(node.finished)
        if node.host_node_name:
            self.params[f"{prefix}.hostNodeName"] = node.host_node_name
        self.params[f"{prefix}.status"] = node.phase
        if getattr(node, "pod_ip", ""):
            self.params[f"{prefix}.ip"] = node.pod_ip
        self.add_outputs(prefix, outputs)

    def add_outputs(self, prefix: str, outputs: Mapping[str, Any] | None) -> None:
        """``addOutputsToLocalScope``."""
        if not outputs:
            return
        if prefix != "workflow" and outputs.get("result") is not None:
            self.params[f"{prefix}.outputs.result"] = outputs["result"]
        if prefix != "workflow" and outputs.get("exitCode") is not None:
            self.params[f"{prefix}.exitCode"] = str(outputs["exitCode"])
        for p in outputs.get("parameters") or []:
            if p.get("value") is not None:
                self.params[f"{prefix}.outputs.parameters.{p['name']}"] = param_string(p["value"])
        for a in outputs.get("artifacts") or []:
            self.artifacts[f"{prefix}.outputs.artifacts.{a['name']}"] = a

    def env(self, global_params: Mapping[str, str]) -> dict[str, object]:
        """The expr-lang environment of globals, parameters and artifacts."""
        flat: dict[str, object] = {**global_params, **self.params}
        flat.update(self.artifacts)
        for key in self.absent:
            flat.setdefault(key, None)
        return exprlang.build_env(flat)

    def resolve_parameter(self, value_from: Mapping[str, object], global_params: Mapping[str, str]) -> str:
        """The value of ``valueFrom.parameter`` or ``valueFrom.expression``."""
        if value_from.get("expression"):
            try:
                result = exprlang.evaluate(str(value_from["expression"]), self.env(global_params))
            except exprlang.ExprError as exc:
                raise ScopeError(f"failed to evaluate expression: {exc}") from None
            if result is None:
                raise ScopeError(f"Unable to resolve: {value_from['expression']}")
            return exprlang.render_expression_tag(result)
        key = _strip_tag(str(value_from.get("parameter", "")))
        if key in self.params:
            return self.params[key]
        if key in global_params:
            return global_params[key]
        raise ScopeError(f"Unable to resolve: {{{{{key}}}}}")

    def resolve_artifact(
        self, art: Mapping[str, object], global_params: Mapping[str, str]
    ) -> dict[str, object]:
        """The artifact an argument's ``from`` or ``fromExpression`` names (a copy)."""
        if art.get("fromExpression"):
            try:
                found = exprlang.evaluate(str(art["fromExpression"]), self.env(global_params))
            except exprlang.ExprError as exc:
                raise ScopeError(f"failed to evaluate expression: {exc}") from None
            if not isinstance(found, dict):
                raise ScopeError(f"Unable to resolve: {art['fromExpression']}")
            return copy.deepcopy(found)
        key = _strip_tag(str(art.get("from", "")))
        found_art = self.artifacts.get(key)
        if found_art is None:
            raise ScopeError(f"Unable to resolve: {{{{{key}}}}}")
        return copy.deepcopy(found_art)
