"""``{{...}}`` tags that resolve to nothing where they are used (Argo's ``resolveAllVariables``).

Argo checks only tags with a prefix it knows (``inputs.``, ``steps.``, ``workflow.`` ...); the
scope is what the template declares plus the steps or tasks that ran before the tag's step or
task. Expression tags (``{{=...}}``) are left to the expression checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet

from wfsync.lint.rules.parts import Fields, names, params
from wfsync.lint.rules.suggest import did_you_mean
from wfsync.model.findings import JsonPath

Problem = tuple[JsonPath, str, str]

TAG = re.compile(r"\{\{([^{}]*)\}\}")
"""A template tag as fasttemplate finds it; ``{{=...}}`` tags are expressions."""
VALIDATED_PREFIXES = ("item.", "steps.", "inputs.", "outputs.", "pod.", "workflow.", "tasks.")
WORKFLOW_VARS = frozenset(
    {
        "workflow.name",
        "workflow.namespace",
        "workflow.uid",
        "workflow.mainEntrypoint",
        "workflow.serviceAccountName",
        "workflow.parameters",
        "workflow.parameters.json",
        "workflow.labels.json",
        "workflow.annotations.json",
        "workflow.priority",
        "workflow.status",
        "workflow.failures",
        "workflow.duration",
        "workflow.scheduledTime",
        "workflow.labels",
        "workflow.annotations",
    }
)
WORKFLOW_OPEN_PREFIXES = (
    "workflow.labels.",
    "workflow.annotations.",
    "workflow.outputs.",
    "workflow.creationTimestamp",
)
NODE_ATTRS = frozenset(
    {"id", "ip", "status", "exitCode", "startedAt", "finishedAt", "hostNodeName", "outputs"}
)


def strings(value: object, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    """Every string (map keys included) inside ``value`` with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "{{" in key:
                yield (*path, key), key
            yield from strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, (*path, index))


def tags(text: str) -> Iterator[str]:
    """The plain (not expression) tags of a string, stripped."""
    if "{{" not in text:
        return
    for match in TAG.finditer(text):
        tag = match.group(1).strip()
        if not tag.startswith("="):
            yield tag


def base_scope(template: Fields) -> set[str]:
    """What every tag of a template may name: its inputs and the pod's and node's name."""
    scope = {"inputs.parameters", "pod.name", "node.name"}
    for p in names(params(template, "inputs", "parameters")):
        scope.add(f"inputs.parameters.{p}")
    for a in names(params(template, "inputs", "artifacts")):
        scope.add(f"inputs.artifacts.{a}")
        scope.add(f"inputs.artifacts.{a}.path")
    return scope


class Variables:
    """Checks tags against a scope; one per document (its workflow parameters are shared)."""

    def __init__(self, workflow_params: set[str] | None) -> None:
        self.workflow_params = workflow_params
        """The parameters ``spec.arguments`` declares, or None when they are not known here."""

    def check(
        self,
        value: object,
        path: JsonPath,
        base: set[str],
        nodes: AbstractSet[str],
        *,
        loop: bool,
        local: str = "",
    ) -> Iterator[Problem]:
        """Report ``{{...}}`` tags with a validated prefix that resolve to nothing in scope."""
        for spath, text in strings(value, path):
            for tag in tags(text):
                problem = self.unresolved(tag, base, nodes, loop=loop, local=local)
                if problem:
                    yield spath, "variable-unresolved", f"failed to resolve {{{{{tag}}}}}: {problem}"

    def unresolved(
        self, tag: str, base: set[str], nodes: AbstractSet[str], *, loop: bool, local: str
    ) -> str | None:
        """Why ``tag`` resolves to nothing, or None when it resolves (or is not checked)."""
        if not tag.startswith(VALIDATED_PREFIXES) or tag in base:
            return None
        root, _, rest = tag.partition(".")
        if root == "outputs":
            return None
        if root == "item":
            return (
                None
                if loop
                else "item is only defined in a step or task with withItems, withParam or withSequence"
            )
        if root == "inputs":
            return _input_problem(rest, base)
        if root == "pod":
            return "only pod.name is defined"
        if root == "workflow":
            return self._workflow_problem(tag)
        if root in ("steps", "tasks"):
            return _node_problem(root, rest, nodes, local)
        return None

    def _workflow_problem(self, tag: str) -> str | None:
        if tag in WORKFLOW_VARS or tag.startswith(WORKFLOW_OPEN_PREFIXES):
            return None
        if tag.startswith("workflow.parameters."):
            if self.workflow_params is None:
                return None
            pname = tag[len("workflow.parameters.") :]
            if pname in self.workflow_params:
                return None
            return f"spec.arguments has no parameter {pname!r}{did_you_mean(pname, self.workflow_params)}"
        return "not a workflow variable"


def _input_problem(rest: str, base: set[str]) -> str | None:
    section, _, name = rest.partition(".")
    if section == "artifacts" and name.split(".")[0] in {
        b.split(".")[2] for b in base if b.startswith("inputs.artifacts.")
    }:
        return None
    what = section[:-1] if section.endswith("s") else section
    declared = [b.split(".")[2] for b in base if b.startswith(f"inputs.{section}.")]
    return f"the template has no input {what} {name!r}{did_you_mean(name, declared)}"


def _node_problem(root: str, rest: str, nodes: AbstractSet[str], local: str) -> str | None:
    if rest == "name":
        return None
    if root != local:
        return f"{root}.* is only defined inside a {'steps' if root == 'steps' else 'dag'} template"
    node, _, attr = rest.partition(".")
    if node not in nodes:
        where = "an earlier step" if root == "steps" else "a task this one depends on (directly or not)"
        return f"{node!r} is not {where}"
    head = attr.split(".")[0]
    if head not in NODE_ATTRS:
        return f"{head!r} is not a {root[:-1]} attribute"
    return None
