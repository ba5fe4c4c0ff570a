"""The plan: for every object, what a push would do and why (a pure function of desired and live).

* create: in the library, not in the target;
* update: in both, managed by this library, contents differ;
* unchanged: in both and equal by meaning (see :mod:`wfsync.sync.normalize`), or the live object
  is still what the server stored from wfsync's write of this very content (it hashes to its
  ``wfsync.io/stored-hash``: a real API server fills in schema defaults, prunes and re-encodes
  numbers, none of which is a change);
* drift: managed by this library but edited outside git since wfsync wrote it (its content
  hashes neither to its ``wfsync.io/content-hash`` nor to its ``wfsync.io/stored-hash``); only
  ``--force`` overwrites it;
* conflict: an object of that name exists but is not this library's (unmanaged, or another
  library's); wfsync never takes it over;
* prune: this library's object that is no longer in the library; deleted only when prune is
  enabled, never when the library is empty and never while anything kept still refers to it: a
  template of the library, a live template that is not this library's, or a referrer from
  outside (a live Workflow or CronWorkflow, a ``--callers`` file), as given by the caller. That is
  what keeps an older major channel (:mod:`wfsync.sync.channels`) while it is still used.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence

from wfsync.cluster.api import Obj, identity_of
from wfsync.model.documents import Identity, Kind
from wfsync.sync.desired import DesiredObject, apply_order
from wfsync.sync.normalize import content_hash, normalize
from wfsync.sync.ownership import CONTENT_HASH, LIBRARY_LABEL, STORED_HASH, Owner, annotation, label, owner
from wfsync.sync.references import references


class Action(enum.StrEnum):
    """What happens to one object."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DRIFT = "drift"
    CONFLICT = "conflict"
    PRUNE = "prune"


@dataclasses.dataclass(frozen=True)
class Change:
    """One object's entry in the plan.

    ``blocked`` says why a planned change will not be applied (prune disabled, still referenced,
    empty library); ``reason`` explains conflicts and drift.
    """

    identity: Identity
    action: Action
    desired: DesiredObject | None = None
    live: Obj | None = None
    reason: str = ""
    blocked: str = ""

    @property
    def resource_version(self) -> str:
        """The live object's resourceVersion at plan time ('' when there is none)."""
        if self.live is None:
            return ""
        return str((self.live.get("metadata") or {}).get("resourceVersion") or "")

    def before(self) -> dict[str, object]:
        """The live object's normal form ({} when absent)."""
        return normalize(self.live) if self.live is not None else {}

    def after(self) -> dict[str, object]:
        """The normal form after the change ({} for a prune)."""
        if self.action is Action.PRUNE or self.desired is None:
            return {}
        return normalize(self.desired.body)


@dataclasses.dataclass(frozen=True)
class Plan:
    """Every change, in apply order (ClusterWorkflowTemplates first; prunes last, referrers first)."""

    changes: tuple[Change, ...]

    def of(self, *actions: Action) -> list[Change]:
        """The changes with one of these actions."""
        return [c for c in self.changes if c.action in actions]

    @property
    def counts(self) -> dict[str, int]:
        """Number of changes per action (every action present, zeros included)."""
        return {a.value: sum(1 for c in self.changes if c.action is a) for a in Action}

    @property
    def in_sync(self) -> bool:
        """Whether the target holds exactly the library (nothing to create, update, prune; no drift or conflict)."""
        return all(c.action is Action.UNCHANGED for c in self.changes)


def build_plan(
    desired: Sequence[DesiredObject],
    live: Iterable[Obj],
    *,
    library_id: str,
    prune: bool,
    live_hash: Callable[[Obj], str] = content_hash,
    outside_refs: Mapping[Identity, Sequence[str]] | None = None,
    unchecked: str = "",
) -> Plan:
    """Compare desired objects with live ones (all live objects of the listed kinds and namespaces).

    ``live_hash`` is :func:`~wfsync.sync.normalize.content_hash`, or a cached equivalent.
    ``outside_refs`` names, per template, referrers outside the library and the listed templates
    (live Workflows and CronWorkflows, ``--callers`` files): a prune of one of them is blocked.
    ``unchecked`` says why those referrers could not all be read: every prune is then blocked.
    """
    live_by_id = {identity_of(obj): obj for obj in live}
    wanted = {d.identity for d in desired}
    changes = [_compare(item, live_by_id.get(item.identity), library_id, live_hash) for item in desired]
    candidates = [
        (ident, obj)
        for ident, obj in live_by_id.items()
        if ident not in wanted and owner(obj, library_id) is Owner.THIS_LIBRARY
    ]
    kept_refs: dict[Identity, list[str]] = {k: list(v) for k, v in (outside_refs or {}).items()}
    for item in desired if candidates else ():
        refs = item.refs if item.refs is not None else references(item.body, item.identity.namespace)
        for ref in refs:
            kept_refs.setdefault(ref, []).append(str(item.identity))
    pruned = {ident for ident, _ in candidates}
    for ident, obj in live_by_id.items() if candidates else ():
        if ident not in wanted and ident not in pruned:  # desired ones refer by their new body
            for ref in references(obj, ident.namespace):
                kept_refs.setdefault(ref, []).append(f"live {ident}")
    blocked = _blocked_prunes(candidates, kept_refs, empty_library=not desired, prune=prune)
    for ident, _ in candidates if unchecked else ():
        blocked.setdefault(ident, unchecked)
    prunes = [
        Change(ident, Action.PRUNE, live=obj, blocked=blocked.get(ident, "")) for ident, obj in candidates
    ]
    # referrers go first: WorkflowTemplates before the ClusterWorkflowTemplates they may use
    prunes.sort(key=lambda c: (-apply_order(c.identity)[0], c.identity.namespace, c.identity.name))
    return Plan(tuple(changes + prunes))


def _blocked_prunes(
    candidates: Sequence[tuple[Identity, Obj]],
    kept_refs: dict[Identity, list[str]],
    *,
    empty_library: bool,
    prune: bool,
) -> dict[Identity, str]:
    """Why each prune candidate stays (absent: it may go).

    A candidate kept because something refers to it keeps what it refers to in turn, until
    nothing changes: an older major channel still in use keeps the channels it calls.
    """
    if empty_library:
        return {
            ident: "the library is empty: wfsync never prunes on an empty desired set"
            for ident, _ in candidates
        }
    by_id = dict(candidates)
    blocked: dict[Identity, str] = {}
    queue = [ident for ident, _ in candidates if ident in kept_refs]
    while queue:  # each candidate is blocked once, so this is linear in candidates and references
        ident = queue.pop()
        if ident in blocked:
            continue
        users = sorted(set(kept_refs[ident]))
        more = f" and {len(users) - 3} more" if len(users) > 3 else ""
        blocked[ident] = f"still referenced by {', '.join(users[:3])}{more}"
        for ref in references(by_id[ident], ident.namespace):
            kept_refs.setdefault(ref, []).append(f"{ident} (kept)")
            if ref in by_id and ref not in blocked:
                queue.append(ref)
    if not prune:
        for ident, _ in candidates:
            blocked.setdefault(ident, "prune is not enabled (--prune, or prune: true on the target)")
    return blocked


def _compare(
    item: DesiredObject, obj: Obj | None, library_id: str, live_hash: Callable[[Obj], str]
) -> Change:
    ident = item.identity
    if obj is None:
        return Change(ident, Action.CREATE, item)
    who = owner(obj, library_id)
    if who is Owner.UNMANAGED:
        return Change(
            ident,
            Action.CONFLICT,
            item,
            obj,
            reason="exists but is not managed by wfsync; wfsync does not take over objects it did not create "
            "(delete it, or rename the template)",
        )
    if who is Owner.OTHER_LIBRARY:
        return Change(
            ident,
            Action.CONFLICT,
            item,
            obj,
            reason=f"belongs to another wfsync library ({LIBRARY_LABEL}={label(obj, LIBRARY_LABEL)!r})",
        )
    digest = live_hash(obj)
    if holds(obj, digest, item.content_hash):
        return Change(ident, Action.UNCHANGED, item, obj)
    if drifted(obj, digest):
        return Change(
            ident,
            Action.DRIFT,
            item,
            obj,
            reason="edited outside git since wfsync wrote it (content no longer matches its "
            f"{CONTENT_HASH} annotation); --force overwrites it",
        )
    return Change(ident, Action.UPDATE, item, obj)


def holds(obj: Obj, digest: str, wanted: str) -> bool:
    """Whether live ``obj`` (content hash ``digest``) holds the library content hashing to ``wanted``.

    Either it hashes to it, or it is still the form the server stored from wfsync's write of
    exactly that content (``wfsync.io/stored-hash``, schema defaults and all).
    """
    if digest == wanted:
        return True
    recorded = annotation(obj, CONTENT_HASH)
    return recorded == wanted and digest == (annotation(obj, STORED_HASH) or recorded)


def drifted(obj: Obj, digest: str) -> bool:
    """Whether ``obj`` was edited since wfsync wrote it: it hashes to neither of its own annotations."""
    return digest not in (
        annotation(obj, STORED_HASH) or annotation(obj, CONTENT_HASH),
        annotation(obj, CONTENT_HASH),
    )


def kinds_and_namespaces(
    desired: Iterable[DesiredObject], default_namespace: str
) -> list[tuple[str, str | None]]:
    """What to list: ClusterWorkflowTemplates once if the library holds any, WorkflowTemplates per namespace.

    Credentials limited to a namespace (a Role) can so sync a library of WorkflowTemplates.
    """
    desired = list(desired)
    namespaces = {default_namespace} | {
        d.identity.namespace for d in desired if d.identity.kind == Kind.WORKFLOW_TEMPLATE
    }
    cluster_scoped = any(d.identity.kind == Kind.CLUSTER_WORKFLOW_TEMPLATE for d in desired)
    return [(Kind.CLUSTER_WORKFLOW_TEMPLATE.value, None)] * cluster_scoped + [
        (Kind.WORKFLOW_TEMPLATE.value, ns) for ns in sorted(namespaces)
    ]
