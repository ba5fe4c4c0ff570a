"""Where a command runs: the repository root and its configuration, if any."""

from __future__ import annotations

from pathlib import Path

from wfsync.config import Config, default_config, find_root, load_config


def repository_config(cwd: Path) -> Config | None:
    """The configuration of the wfsync repository around ``cwd``, or None outside one."""
    root = find_root(cwd)
    return load_config(root) if root is not None else None


def config_or_default(cwd: Path) -> Config:
    """The repository's configuration, or the defaults for ``cwd``."""
    return repository_config(cwd) or default_config(cwd.resolve())
