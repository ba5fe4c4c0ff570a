"""Which templates a workflow needs on the target, and whether the target holds the library's versions.

Argo resolves ``workflowTemplateRef`` and every ``templateRef`` when the workflow runs, from
what the cluster holds then. A workflow submitted against a missing template fails half-way, and
against an older or edited one runs something other than what was reviewed: both are found here,
before anything is created, from the sync plan of the library against the target.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Mapping

from wfsync.cluster.api import Obj
from wfsync.model import values
from wfsync.model.documents import Identity
from wfsync.sync.ownership import VERSION_LABEL
from wfsync.sync.plan import Action, Change
from wfsync.sync.references import references


class Problem(enum.StrEnum):
    """Why a referenced template is not what the workflow expects."""

    MISSING = "missing"
    """Not on the target (in the library or not)."""
    OUTDATED = "outdated"
    """On the target with another version or content than the library's (a push updates it)."""
    DRIFTED = "drifted"
    """Edited on the target since wfsync pushed it (only ``wfsync push --force`` overwrites it)."""
    FOREIGN = "foreign"
    """An object of that name that this library does not manage (wfsync never takes it over)."""


@dataclasses.dataclass(frozen=True)
class TemplateProblem:
    """One referenced template the target does not hold as the library has it."""

    identity: Identity
    problem: Problem
    detail: str
    in_library: bool

    @property
    def pushable(self) -> bool:
        """Whether ``--push-templates`` (a normal push of it) fixes this."""
        return self.in_library and self.problem in (Problem.MISSING, Problem.OUTDATED)


def referenced(
    workflow: Mapping[str, object], namespace: str, bodies: Callable[[Identity], Mapping[str, object] | None]
) -> list[Identity]:
    """Every template ``workflow`` refers to, directly or through the templates it refers to.

    ``bodies`` gives a referenced template's body (the library's, else the target's) or None;
    references inside it are followed in the workflow's ``namespace``, where Argo resolves them.
    Sorted, each once; cycles end.
    """
    seen: set[Identity] = set()
    todo = list(references(workflow, namespace))
    while todo:
        ident = todo.pop()
        if ident in seen:
            continue
        seen.add(ident)
        body = bodies(ident)
        if body is not None:
            todo.extend(references(body, namespace) - seen)
    return sorted(seen, key=lambda i: (i.kind, i.namespace, i.name))


def problems(
    wanted: Iterable[Identity], changes: Mapping[Identity, Change], live: Mapping[Identity, Obj]
) -> list[TemplateProblem]:
    """What is wrong with each wanted template: ``changes`` is the library's plan, ``live`` the rest.

    A template the library holds is judged by its plan entry; one it does not hold only has to
    exist on the target.
    """
    out: list[TemplateProblem] = []
    for ident in wanted:
        change = changes.get(ident)
        if change is None:
            if ident not in live:
                out.append(
                    TemplateProblem(ident, Problem.MISSING, "not on the target nor in the library", False)
                )
            continue
        found = _problem(change)
        if found is not None:
            out.append(found)
    return out


def _problem(change: Change) -> TemplateProblem | None:
    ident = change.identity
    if change.action is Action.CREATE:
        return TemplateProblem(ident, Problem.MISSING, "not on the target", True)
    if change.action is Action.UPDATE:
        have, want = _version(change.live), _version(change.desired.body if change.desired else None)
        if have != want:
            detail = f"the target has version {have or '(none)'}, the library {want or '(none)'}"
        else:
            detail = f"the target's content differs from the library's (both version {want or '(none)'})"
        return TemplateProblem(ident, Problem.OUTDATED, detail, True)
    if change.action is Action.DRIFT:
        return TemplateProblem(
            ident, Problem.DRIFTED, change.reason or "edited on the target since wfsync pushed it", True
        )
    if change.action is Action.CONFLICT:
        return TemplateProblem(ident, Problem.FOREIGN, change.reason or "not managed by this library", True)
    return None


def _version(obj: Mapping[str, object] | None) -> str:
    return str(values.metadata(obj or {}, "labels").get(VERSION_LABEL) or "")
