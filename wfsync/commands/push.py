"""``wfsync push``: lint, plan, then apply (the CLI asks for confirmation in between).

Nothing is written when any library document fails lint, nor when the server refuses any write in
a dry run of them all (a refusal names the file and line of the field). The plan is computed from one list per
kind and namespace and applied change by change with resourceVersion preconditions (see
:mod:`wfsync.sync.apply`); a failure half-way is reported with exactly what was written.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from wfsync.commands.syncstate import SyncState, library_files, require_config, resolve_target, sync_state
from wfsync.config import state_folder
from wfsync.errors import ExitCode, UsageError
from wfsync.lint.linter import LintReport, lint_library
from wfsync.sync.apply import ApplyResult, apply_plan, writes
from wfsync.sync.locate import locator
from wfsync.sync.plan import Action, Change


@dataclasses.dataclass
class PreparedPush:
    """The lint report and, when lint passed, the plan."""

    lint: LintReport
    state: SyncState | None
    prune: bool
    force: bool

    @property
    def to_write(self) -> list[Change]:
        """The changes the push would write."""
        return writes(self.state.plan, force=self.force) if self.state else []

    @property
    def refused(self) -> list[Change]:
        """Changes that will not be applied and make the push incomplete (conflicts, drift without force)."""
        if self.state is None:
            return []
        bad = [Action.CONFLICT] + ([] if self.force else [Action.DRIFT])
        return self.state.plan.of(*bad)

    def exit_code(self, result: ApplyResult | None) -> ExitCode:
        """0 applied or nothing to do; 3 incomplete: a write failed, or changes or prunes were refused."""
        if result is not None and result.failed is not None:
            return ExitCode.INCOMPLETE
        if self.refused or self.blocked_prunes:
            return ExitCode.INCOMPLETE
        return ExitCode.CLEAN

    @property
    def blocked_prunes(self) -> list[Change]:
        """Prunes that were asked for but refused (still referenced, empty library)."""
        if self.state is None or not self.prune:
            return []
        return [c for c in self.state.plan.of(Action.PRUNE) if c.blocked]


@contextlib.contextmanager
def prepare_push(
    cwd: Path,
    *,
    target: str | None,
    ref: str | None,
    prune: bool,
    force: bool,
    use_cache: bool = True,
    callers: Sequence[Path] = (),
) -> Iterator[PreparedPush]:
    """Lint the library (at ``ref``) and, if clean, plan the push (``callers`` files keep what they use)."""
    config = require_config(cwd)
    chosen = resolve_target(config, target)
    if prune and chosen.prune_forbidden:
        raise UsageError(
            f"target {chosen.name!r} forbids prune (prune: never in wfsync.yaml); "
            "nothing was pushed: push without --prune"
        )
    with library_files(config, ref) as (folder, root, commit):
        cache = state_folder(config.root, "cache") if (use_cache and ref is None) else None
        report = lint_library(folder, root, config.lint, cache)
        if report.errors:
            yield PreparedPush(report, None, prune, force)
            return
        prune = prune or chosen.prune
        for given in callers:
            if not given.exists():
                raise UsageError(f"--callers {given}: no such file or folder")
        state = sync_state(
            cwd,
            chosen.name,
            ref,
            prune=prune,
            folder=(folder, root, commit),
            use_cache=use_cache,
            callers=callers,
        )
        yield PreparedPush(report, state, prune, force)


def execute_push(
    prepared: PreparedPush, *, dry_run: bool, progress: Callable[[Change, str], None] | None = None
) -> ApplyResult:
    """Apply the prepared plan."""
    assert prepared.state is not None
    return apply_plan(
        prepared.state.plan,
        prepared.state.cluster,
        force=prepared.force,
        dry_run=dry_run,
        progress=progress,
        locate=locator(prepared.state.library.root),
    )
