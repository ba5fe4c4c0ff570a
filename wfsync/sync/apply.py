"""Apply a plan: write only what changed, in order, stopping at the first failure with an exact account.

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

from wfsync.cluster.api import Cluster, ClusterError
from wfsync.sync.plan import Action, Change, Plan


@dataclasses.dataclass
class ApplyResult:
    """What a push did: applied (with the verb), skipped (with why), the failure, and the rest."""

    applied: list[tuple[Change, str]] = dataclasses.field(default_factory=list)
    skipped: list[tuple[Change, str]] = dataclasses.field(default_factory=list)
    failed: tuple[Change, ClusterError] | None = None
    not_attempted: list[Change] = dataclasses.field(default_factory=list)
    dry_run: bool = False

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


def apply_plan(
    plan: Plan,
    cluster: Cluster,
    *,
    force: bool = False,
    dry_run: bool = False,
    progress: Callable[[Change, str], None] | None = None,
) -> ApplyResult:
    """Write the plan's changes to ``cluster`` (a server-side dry run when ``dry_run``)."""
    result = ApplyResult(dry_run=dry_run)
    for change in plan.changes:
        if change.action is Action.CONFLICT:
            result.skipped.append((change, change.reason))
        elif change.action is Action.DRIFT and not force:
            result.skipped.append((change, "drift: edited outside git; --force overwrites it"))
        elif change.action is Action.PRUNE and change.blocked:
            result.skipped.append((change, change.blocked))
    todo = writes(plan, force=force)
    for index, change in enumerate(todo):
        verb = _verb(change)
        try:
            _write(cluster, change, dry_run)
        except ClusterError as err:
            result.failed = (change, err)
            result.not_attempted = todo[index + 1 :]
            return result
        result.applied.append((change, verb))
        if progress is not None:
            progress(change, verb)
    return result


def _verb(change: Change) -> str:
    return {Action.CREATE: "created", Action.PRUNE: "deleted"}.get(change.action, "updated")


def _write(cluster: Cluster, change: Change, dry_run: bool) -> None:
    ident = change.identity
    if change.action is Action.PRUNE:
        cluster.delete(
            ident.kind, ident.namespace or None, ident.name, change.resource_version, dry_run=dry_run
        )
        return
    assert change.desired is not None
    body = copy.deepcopy(change.desired.body)
    if change.action is Action.CREATE:
        cluster.create(body, dry_run=dry_run)
        return
    body["metadata"]["resourceVersion"] = change.resource_version
    cluster.update(body, dry_run=dry_run)
