"""``wfsync lint``: which files to check, with which library context, cache and policy."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from wfsync.commands.context import repository_config
from wfsync.config import CONFIG_FILE, cache_root, state_folder
from wfsync.errors import UsageError
from wfsync.lint.linter import LintOptions, LintReport, lint_paths


def run_lint(paths: Sequence[Path], *, cwd: Path, use_cache: bool = True) -> LintReport:
    """Lint ``paths``, or the configured library when none are given.

    Inside a wfsync repository the library is always loaded as context, so a workflow given on
    the command line can reference library templates; library-only rules (version label) apply to
    files under the library path.
    """
    config = repository_config(cwd)
    library = _relative(config.library, cwd) if config else None
    if not paths:
        if config is None:
            raise UsageError(
                f"no {CONFIG_FILE} here or above {cwd}: give files or folders to lint, or run 'wfsync init'"
            )
        if not config.library.exists():
            raise UsageError(f"the library folder {config.library} (from {config.path}) does not exist")
        paths = [library or config.library]
        for extra in config.lint.paths:  # lint.paths: workflows that call the library, checked too
            if not extra.exists():
                raise UsageError(f"{extra} (lint.paths in {config.path}) does not exist")
            paths.append(_relative(extra, cwd))
    cache_dir = state_folder(cache_root(cwd), "cache") if use_cache else None
    options = LintOptions(
        library=config.library if config else None,
        root=config.root if config else None,
        cache_dir=cache_dir,
        disable=config.lint.disable if config else frozenset(),
        warn=config.lint.warn if config else frozenset(),
        context=(library,) if library else (),
    )
    return lint_paths(list(paths), options)


def _relative(path: Path, cwd: Path) -> Path:
    """``path`` relative to ``cwd`` when it is below it, so messages show short paths."""
    try:
        return path.resolve().relative_to(cwd.resolve())
    except ValueError:
        return path
