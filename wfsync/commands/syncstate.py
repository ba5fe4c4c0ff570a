"""What ``diff``, ``push`` and ``status`` share: the target, its cluster, and the sync pipeline wired to them.

The target comes from ``--target``, else ``$WFSYNC_TARGET``, else the configuration's default.
Reading the desired and live state and planning is :mod:`wfsync.sync.pipeline`'s; the names it
and its parts define stay importable from here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from wfsync.cluster.api import Cluster
from wfsync.commands.context import repository_config
from wfsync.config import CONFIG_FILE, Config, state_folder
from wfsync.errors import UsageError
from wfsync.library.bulk import PARALLEL_THRESHOLD, gc_paused
from wfsync.model.documents import Document
from wfsync.model.targets import Target
from wfsync.sync.live import KINDS, REMOTE_CONCURRENCY, LiveLister, list_live
from wfsync.sync.pipeline import COMPLETED_LABEL, SyncState, build_state, live_hasher, open_cache
from wfsync.sync.reading import Library, library_files, read_library

__all__ = [
    "COMPLETED_LABEL",
    "KINDS",
    "PARALLEL_THRESHOLD",
    "REMOTE_CONCURRENCY",
    "TARGET_ENV",
    "Library",
    "LiveLister",
    "SyncState",
    "gc_paused",
    "library_files",
    "list_live",
    "live_hasher",
    "open_cache",
    "open_cluster",
    "read_library",
    "require_config",
    "resolve_target",
    "sync_state",
]

TARGET_ENV = "WFSYNC_TARGET"


def require_config(cwd: Path) -> Config:
    """The repository's configuration; sync commands need one."""
    config = repository_config(cwd)
    if config is None:
        raise UsageError(f"no {CONFIG_FILE} here or above {cwd}: run 'wfsync init' first")
    return config


def resolve_target(config: Config, name: str | None) -> Target:
    """``--target``, else ``$WFSYNC_TARGET``, else the default target; unknown names are usage errors."""
    chosen = name or os.environ.get(TARGET_ENV) or config.default_target
    target = config.targets.get(chosen)
    if target is None:
        known = ", ".join(sorted(config.targets))
        raise UsageError(f"unknown target {chosen!r} (targets in {CONFIG_FILE}: {known})")
    return target


def open_cluster(config: Config, target: Target) -> Cluster:
    """The cluster adapter for a target (the Kubernetes client is imported only for Kubernetes targets)."""
    if target.type == "kubernetes":
        from wfsync.cluster.kubernetes import KubernetesCluster

        kubeconfig = None
        if target.kubeconfig:
            kubeconfig = Path(target.kubeconfig).expanduser()
            if not kubeconfig.is_absolute():
                kubeconfig = config.root / kubeconfig
        return KubernetesCluster(
            context=target.context, kubeconfig=kubeconfig, allowed_contexts=target.allowed_contexts
        )
    from wfsync.cluster.embedded import EmbeddedCluster

    folder = "cluster" if target.name == "local" else f"cluster-{target.name}"
    return EmbeddedCluster(state_folder(config.root, folder))


def sync_state(
    cwd: Path,
    target_name: str | None,
    ref: str | None,
    *,
    prune: bool = False,
    folder: tuple[Path, Path, str] | None = None,
    use_cache: bool = True,
    callers: Sequence[Path] = (),
) -> SyncState:
    """Config, target, cluster, desired and live state, and the plan (working tree unless ``ref``).

    With ``use_cache`` (and no ``ref``), unchanged library files and live objects are not parsed
    or hashed again (see :mod:`wfsync.sync.cache`). When the plan would delete anything, the live
    Workflows and CronWorkflows and the ``callers`` files are read too: what they still refer to
    is kept (an older major channel in use, for one).
    """
    config = require_config(cwd)
    target = resolve_target(config, target_name)
    cluster = open_cluster(config, target)
    return build_state(
        config,
        target,
        cluster,
        ref,
        prune=prune,
        folder=folder,
        use_cache=use_cache,
        callers=lambda: _caller_documents(callers, config.root),
    )


def _caller_documents(callers: Sequence[Path], root: Path) -> list[Document]:
    """The documents of the ``--callers`` files (read only when a prune is in the plan)."""
    if not callers:
        return []
    from wfsync.review.snapshot import load_documents

    return load_documents(callers, root)
