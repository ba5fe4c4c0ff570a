"""Who calls what: every ``templateRef`` / ``workflowTemplateRef`` of the library, caller folders and a target.

The references come from lint's document index (:func:`wfsync.lint.index.summarize`: the one
place that walks steps, DAG tasks and hooks for references), so review and lint agree on what
a caller is and which input parameters it passes.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping

from wfsync.lint.index import DocumentSummary
from wfsync.model.documents import Identity
from wfsync.model.kinds import Kind
from wfsync.model.resolve import RefTarget, holds


@dataclasses.dataclass(frozen=True)
class Caller:
    """One reference to a template: where, from what, and the parameters it passes."""

    origin: str
    """``library``, ``callers`` (a --callers folder) or ``target`` (a live object)."""
    kind: str
    name: str
    where: str
    """``path:line`` (or ``Kind/namespace/name`` for a live object)."""
    template: str
    """The member referenced ('' for a workflowTemplateRef)."""
    supplied: tuple[str, ...]
    target: RefTarget
    """What the reference resolves to, with Argo's namespace rule (:mod:`wfsync.model.resolve`)."""
    supplied_artifacts: tuple[str, ...] = ()
    """The input artifacts it passes (``supplied`` holds the parameters)."""


class CallerIndex:
    """References by the family they name; a WorkflowTemplate's callers are those in its namespace (or unknown)."""

    def __init__(self) -> None:
        self._by_family: dict[tuple[str, str], list[Caller]] = defaultdict(list)

    def add(self, origin: str, summaries: Iterable[DocumentSummary], where: str | None = None) -> None:
        """Index the references of ``summaries`` (``where`` overrides their location, for live objects)."""
        for s in summaries:
            for ref in s.refs:
                kind = Kind.CLUSTER_WORKFLOW_TEMPLATE if ref.cluster_scope else Kind.WORKFLOW_TEMPLATE
                target = RefTarget(kind, "" if ref.cluster_scope else s.namespace, ref.name, ref.template)
                place = where or f"{s.path}:{ref.caller_line or ref.line}"
                self._by_family[(kind.value, ref.name)].append(
                    Caller(
                        origin,
                        s.kind,
                        s.name,
                        place,
                        ref.template,
                        ref.supplied,
                        target,
                        ref.supplied_artifacts,
                    )
                )

    def of(self, family: Identity, member: str | None = None) -> list[Caller]:
        """Callers of a family, or of one member of it (a workflowTemplateRef calls the family)."""
        found = [
            c
            for c in self._by_family.get((family.kind, family.name), [])
            if holds(c.target, family.kind, family.namespace, family.name)
        ]
        if member is None:
            return list(found)
        return [c for c in found if c.template == member]

    def passing(
        self, family: Identity, member: str, *, artifacts: bool = False
    ) -> Mapping[str, list[Caller]]:
        """Callers of ``member`` by the input parameter (or, with ``artifacts``, artifact) names they pass."""
        out: dict[str, list[Caller]] = defaultdict(list)
        for caller in self.of(family, member):
            for name in caller.supplied_artifacts if artifacts else caller.supplied:
                out[name].append(caller)
        return out

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_family.values())
