"""One resolver of what a step, task or hook calls: ``template``, ``templateRef`` or ``inline``.

Argo's namespace rule (``templateresolution``): a ``templateRef`` (and a ``workflowTemplateRef``)
without ``clusterScope: true`` names a WorkflowTemplate in the *calling workflow's* namespace;
with ``clusterScope: true`` it names a ClusterWorkflowTemplate, which has no namespace.

An empty namespace means "not known yet": a file with no ``metadata.namespace`` lands in
whatever namespace it is applied or submitted to. :func:`namespace_matches` therefore treats an
empty namespace on either side as matching (lint of loose files); once both are known (sync
against a target, which fills in the target namespace) only the same namespace matches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from wfsync.model.documents import Identity
from wfsync.model.kinds import Kind


@dataclasses.dataclass(frozen=True)
class RefTarget:
    """The object a ``templateRef`` or ``workflowTemplateRef`` points at.

    ``namespace`` is '' for a ClusterWorkflowTemplate, or when the caller's namespace is unknown;
    ``template`` is '' for a ``workflowTemplateRef`` (or a templateRef that names none).
    """

    kind: Kind
    namespace: str
    name: str
    template: str = ""

    @property
    def cluster_scope(self) -> bool:
        """Whether this names a ClusterWorkflowTemplate."""
        return self.kind is Kind.CLUSTER_WORKFLOW_TEMPLATE

    @property
    def identity(self) -> Identity:
        """The identity of the holder in a cluster."""
        return Identity(self.kind.value, self.namespace, self.name)

    @property
    def label(self) -> str:
        """``name.template`` (or ``name``), as messages show the reference."""
        return f"{self.name}.{self.template}" if self.template else self.name


def is_literal(value: object) -> bool:
    """A non-empty string with no ``{{...}}`` (only those can be resolved before a run)."""
    return isinstance(value, str) and bool(value) and "{{" not in value


def ref_target(ref: object, caller_namespace: str) -> RefTarget | None:
    """Where a ``templateRef``/``workflowTemplateRef`` mapping points (None when its name is not literal)."""
    if not isinstance(ref, Mapping) or not is_literal(ref.get("name")):
        return None
    template = ref.get("template")
    template = template if isinstance(template, str) else ""
    if ref.get("clusterScope") is True:
        return RefTarget(Kind.CLUSTER_WORKFLOW_TEMPLATE, "", str(ref["name"]), template)
    return RefTarget(Kind.WORKFLOW_TEMPLATE, caller_namespace, str(ref["name"]), template)


def namespace_matches(holder_namespace: str, caller_namespace: str) -> bool:
    """Whether a WorkflowTemplate in ``holder_namespace`` is visible to a caller (see module doc)."""
    return not holder_namespace or not caller_namespace or holder_namespace == caller_namespace


def holds(target: RefTarget, kind: str, namespace: str, name: str) -> bool:
    """Whether the object ``kind/namespace/name`` is what ``target`` resolves to."""
    if kind != target.kind or name != target.name:
        return False
    return target.cluster_scope or namespace_matches(namespace, target.namespace)


@dataclasses.dataclass(frozen=True)
class Call:
    """What a caller runs: a local template by name, a template of another object, or an inline one."""

    local: str = ""
    ref: RefTarget | None = None
    inline: Mapping[str, object] | None = None


def call_of(node: Mapping[str, object], caller_namespace: str) -> Call | None:
    """What a step, task or hook calls (``inline`` over ``templateRef`` over ``template``, as Argo).

    None when it names nothing resolvable: no template, or a templated (``{{...}}``) reference.
    """
    inline = node.get("inline")
    if isinstance(inline, Mapping):
        return Call(inline=inline)
    if "templateRef" in node:
        target = ref_target(node.get("templateRef"), caller_namespace)
        return Call(ref=target) if target is not None else None
    local = node.get("template")
    return Call(local=str(local)) if is_literal(local) else None
