"""Apply a plan: write only what changed, in order, stopping at the first failure with an exact account.

Every write is first sent as a server-side dry run, all of them before the first real one, so
what the server refuses is found before anything is written.

ClusterWorkflowTemplates are created and updated before the WorkflowTemplates that may refer to
them; prunes come last, referrers first. Every update carries the resourceVersion seen when the
plan was made, so a concurrent change is a conflict, never an overwrite; every prune carries it
as a delete precondition. Drift is overwritten only with ``force``. When a request fails, the
result says which objects were written, which one failed and which were not attempted, and since
the plan is recomputed from the cluster each time, running the push again converges.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable

from wfsync.cluster.api import Cluster, ClusterError, Obj
from wfsync.model import values
from wfsync.sync.normalize import content_hash
from wfsync.sync.ownership import STORED_HASH
from wfsync.sync.plan import Action, Change, Plan


@dataclasses.dataclass
class ApplyResult:
    """What a push did: applied (with the verb), skipped (with why), the failure, and the rest."""

    applied: list[tuple[Change, str]] = dataclasses.field(default_factory=list)
    skipped: list[tuple[Change, str]] = dataclasses.field(default_factory=list)
    failed: tuple[Change, ClusterError] | None = None
    not_attempted: list[Change] = dataclasses.field(default_factory=list)
    dry_run: bool = False
    warnings: list[str] = dataclasses.field(default_factory=list)
    """The server's Warning headers (deprecations, fields it dropped), each naming its object."""

    @property
    def complete(self) -> bool:
        """Whether everything was written except blocked prunes (no failure, no conflict, no drift left)."""
        return self.failed is None and all(c.action is Action.PRUNE for c, _ in self.skipped)


def writes(plan: Plan, *, force: bool) -> list[Change]:
    """The changes a push writes, in order."""
    actions = {Action.CREATE, Action.UPDATE} | ({Action.DRIFT} if force else set())
    ordered = [c for c in plan.changes if c.action in actions]
    ordered += [c for c in plan.changes if c.action is Action.PRUNE and not c.blocked]
    return ordered


Locate = Callable[[Change, ClusterError], ClusterError]
"""Turns a refusal of a library object into one naming its file and line (see :mod:`wfsync.sync.locate`)."""


def apply_plan(
    plan: Plan,
    cluster: Cluster,
    *,
    force: bool = False,
    dry_run: bool = False,
    progress: Callable[[Change, str], None] | None = None,
    locate: Locate | None = None,
) -> ApplyResult:
    """Write the plan's changes to ``cluster``: every write as a server-side dry run first, then for real.

    The dry runs find what the server refuses (an unknown field under ``fieldValidation=Strict``,
    a type error, a missing permission) before anything is written, and answer the form the
    server will store each object in; when that form hashes otherwise than the library document
    (schema defaults, pruning, number encoding), the write records its hash as
    ``wfsync.io/stored-hash``, so the next plan sees no change and no drift there. With
    ``dry_run`` the dry runs are all that is sent.
    """
    result = ApplyResult(dry_run=dry_run, skipped=_skipped(plan, force=force))
    todo = writes(plan, force=force)
    bodies: list[Obj | None] = []
    for index, change in enumerate(todo):
        body = _body(change)
        try:
            answer = _write(cluster, change, body, dry_run=True)
        except ClusterError as err:
            result.failed = (change, locate(change, err) if locate is not None else err)
            result.not_attempted = todo[:index] + todo[index + 1 :] if not dry_run else todo[index + 1 :]
            result.warnings += _warnings(cluster)
            return result
        if body is not None and change.desired is not None and answer is not None:
            stored = content_hash(answer)
            if stored != change.desired.content_hash:
                body["metadata"].setdefault("annotations", {})[STORED_HASH] = stored
        bodies.append(body)
        if dry_run:
            result.applied.append((change, _verb(change)))
            if progress is not None:
                progress(change, _verb(change))
    result.warnings += _warnings(cluster)
    if dry_run:
        return result
    for index, (change, body) in enumerate(zip(todo, bodies, strict=True)):
        verb = _verb(change)
        try:
            _write(cluster, change, body, dry_run=False)
        except ClusterError as err:
            result.failed = (change, err)
            result.not_attempted = todo[index + 1 :]
            break
        result.applied.append((change, verb))
        if progress is not None:
            progress(change, verb)
    result.warnings += [w for w in _warnings(cluster) if w not in result.warnings]
    return result


def _skipped(plan: Plan, *, force: bool) -> list[tuple[Change, str]]:
    """Changes not written, each with why: conflicts, drift without ``force``, blocked prunes."""
    skipped: list[tuple[Change, str]] = []
    for change in plan.changes:
        if change.action is Action.CONFLICT:
            skipped.append((change, change.reason))
        elif change.action is Action.DRIFT and not force:
            skipped.append((change, "drift: edited outside git; --force overwrites it"))
        elif change.action is Action.PRUNE and change.blocked:
            skipped.append((change, change.blocked))
    return skipped


def _verb(change: Change) -> str:
    return {Action.CREATE: "created", Action.PRUNE: "deleted"}.get(change.action, "updated")


def _body(change: Change) -> Obj | None:
    """The object to send (None for a prune): the stamped library document, with the plan's resourceVersion."""
    if change.action is Action.PRUNE:
        return None
    assert change.desired is not None
    body = copy.deepcopy(change.desired.body)
    if change.action is not Action.CREATE:
        body["metadata"] = {
            **values.mapping(body.get("metadata")),
            "resourceVersion": change.resource_version,
        }
    return body


def _write(cluster: Cluster, change: Change, body: Obj | None, *, dry_run: bool) -> Obj | None:
    ident = change.identity
    if body is None:
        cluster.delete(
            ident.kind, ident.namespace or None, ident.name, change.resource_version, dry_run=dry_run
        )
        return None
    if change.action is Action.CREATE:
        return cluster.create(copy.deepcopy(body), dry_run=dry_run)
    return cluster.update(copy.deepcopy(body), dry_run=dry_run)


def _warnings(cluster: Cluster) -> list[str]:
    """Warning headers the cluster kept (a backend without any has no ``take_warnings``)."""
    take: Callable[[], list[str]] | None = getattr(cluster, "take_warnings", None)
    return list(take()) if take is not None else []
