"""``wfsync diff``: the plan against a target, with a semantic diff per changed object."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from wfsync.commands.syncstate import SyncState, sync_state
from wfsync.errors import ExitCode
from wfsync.secrets import mask_text
from wfsync.sync.plan import Action, Change
from wfsync.sync.semdiff import FieldChange, field_changes, unified


@dataclasses.dataclass(frozen=True)
class ObjectDiff:
    """One object's line in the diff: the plan entry, its field changes and (if asked) a unified diff."""

    change: Change
    fields: tuple[FieldChange, ...] = ()
    unified: str = ""

    def to_json(self) -> dict[str, object]:
        """JSON form (values masked)."""
        c = self.change
        out: dict[str, object] = {
            "kind": c.identity.kind,
            "namespace": c.identity.namespace or None,
            "name": c.identity.name,
            "action": c.action.value,
            "source": c.desired.where if c.desired else None,
        }
        if c.reason:
            out["reason"] = mask_text(c.reason)
        if c.blocked:
            out["blocked"] = mask_text(c.blocked)
        if self.fields:
            out["changes"] = [f.to_json() for f in self.fields]
        if self.unified:
            out["unified"] = self.unified
        return out


@dataclasses.dataclass(frozen=True)
class DiffResult:
    """The whole diff: where, from which source, and each object."""

    state: SyncState
    objects: tuple[ObjectDiff, ...]

    @property
    def in_sync(self) -> bool:
        """Whether the target holds exactly the library."""
        return self.state.plan.in_sync

    @property
    def exit_code(self) -> ExitCode:
        """0 in sync, 1 differences (``diff`` fails a CI check on drift)."""
        return ExitCode.CLEAN if self.in_sync else ExitCode.FINDINGS


def describe(change: Change, *, with_unified: bool) -> ObjectDiff:
    """The field changes (and unified diff) of one plan entry."""
    if change.action is Action.UNCHANGED:
        return ObjectDiff(change)
    if change.action is Action.CONFLICT:
        return ObjectDiff(change)
    before, after = change.before(), change.after()
    fields = tuple(field_changes(before, after)) if change.action in (Action.UPDATE, Action.DRIFT) else ()
    text = unified(before, after, str(change.identity)) if with_unified else ""
    return ObjectDiff(change, fields, text)


def run_diff(
    cwd: Path, *, target: str | None, ref: str | None, with_unified: bool = False, use_cache: bool = True
) -> DiffResult:
    """Compute the plan and describe every object in it (``use_cache``: see :func:`sync_state`)."""
    state = sync_state(cwd, target, ref, use_cache=use_cache)
    return DiffResult(state, tuple(describe(c, with_unified=with_unified) for c in state.plan.changes))
