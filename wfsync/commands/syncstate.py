"""What ``diff``, ``push`` and ``status`` share: the target, its cluster, the desired and live state.

The target comes from ``--target``, else ``$WFSYNC_TARGET``, else the configuration's default.
The desired state is the library in the working tree, or at ``--ref`` (read from git into a
scratch folder, never touching the working tree). The live state is one list per kind and
namespace: ClusterWorkflowTemplates once, WorkflowTemplates once for each namespace the library
uses plus the target's own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from wfsync.cluster.api import Cluster, ForbiddenError, Obj
from wfsync.commands.context import repository_config
from wfsync.config import CONFIG_FILE, Config
from wfsync.errors import InputError, UsageError
from wfsync.library.discover import find_yaml_files, read_file
from wfsync.model.documents import Document, Kind
from wfsync.model.targets import Target
from wfsync.sync.desired import DesiredObject, desired_object, merge
from wfsync.sync.ownership import selector as ownership_selector
from wfsync.sync.plan import Plan, build_plan, kinds_and_namespaces

TARGET_ENV = "WFSYNC_TARGET"
KINDS = (Kind.CLUSTER_WORKFLOW_TEMPLATE.value, Kind.WORKFLOW_TEMPLATE.value)


@dataclasses.dataclass
class Library:
    """The desired state: where its files are, the objects, and the commit they came from."""

    folder: Path
    """The library folder read (the working tree's, or a scratch copy of ``ref``)."""
    root: Path
    """What source paths are relative to (the repository root, or the scratch folder)."""
    objects: list[DesiredObject]
    commit: str
    ref: str | None


@dataclasses.dataclass
class SyncState:
    """Everything a sync command works from."""

    config: Config
    target: Target
    cluster: Cluster
    library: Library
    live: list[Obj]
    plan: Plan


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
    return EmbeddedCluster(config.state_dir / folder)


@contextlib.contextmanager
def library_files(config: Config, ref: str | None) -> Iterator[tuple[Path, Path, str]]:
    """The library folder to read, what paths are relative to, and the source commit.

    With ``ref`` the files are exported from git into a temporary folder for the duration.
    """
    from wfsync.library.gitsource import export_library, working_tree_commit

    if ref is None:
        if not config.library.is_dir():
            raise UsageError(f"the library folder {config.library} (from {config.path}) does not exist")
        yield config.library, config.root, working_tree_commit(config.root, config.library)
        return
    with tempfile.TemporaryDirectory(prefix="wfsync-ref-") as scratch:
        commit, folder = export_library(config.root, config.library, ref, Path(scratch))
        yield folder, Path(scratch), commit


PARALLEL_THRESHOLD = 64
"""Below this many files, starting worker processes costs more than parsing them here."""


def read_library(
    config: Config, target: Target, folder: Path, root: Path, commit: str, ref: str | None
) -> Library:
    """Parse the library's documents into the objects a push writes; unreadable files are input errors.

    Parsing and hashing depend only on each file, so a large library is read on all cores.
    """
    files, problems = find_yaml_files([folder], root=root)
    if problems:
        p = problems[0]
        raise InputError(p.message, path=_shown(p.path, root), line=p.line)
    work = [(path, root, config.library_id, target.namespace, commit) for path in files]
    jobs = os.cpu_count() or 1
    if jobs > 1 and len(work) >= PARALLEL_THRESHOLD:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            per_file = list(pool.map(_read_one, work, chunksize=max(1, len(work) // (jobs * 8))))
    else:
        per_file = [_read_one(item) for item in work]
    return Library(folder, root, merge(obj for objs in per_file for obj in objs), commit, ref)


def _read_one(item: tuple[Path, Path, str, str, str]) -> list[DesiredObject]:
    path, root, library_id, namespace, commit = item
    read = read_file(path)
    if read.problem is not None:
        p = read.problem
        raise InputError(
            f"{p.message} (fix it, or run 'wfsync lint')", path=_shown(p.path, root), line=p.line
        )
    shown = _shown(path, root)
    made = (
        desired_object(
            Document(doc.body, doc.source),  # no node tree: it is not needed here and costs to send back
            library_id=library_id,
            namespace=namespace,
            source_commit=commit,
            relative_path=lambda _: shown,
        )
        for doc in read.documents
    )
    return [d for d in made if d is not None]


def list_live(
    cluster: Cluster,
    target: Target,
    objects: list[DesiredObject],
    selector: str = "",
    *,
    library_id: str = "",
) -> list[Obj]:
    """One list per kind and namespace in play (the CRDs are checked first, in one request).

    With ``library_id``, one more list of WorkflowTemplates across all namespaces, by this
    library's ownership labels, finds objects left in namespaces the library no longer uses (so
    they can be shown and pruned). A target that may not list across namespaces skips it.
    """
    cluster.check_crds(KINDS)
    live: list[Obj] = []
    listed: set[str] = set()
    for kind, namespace in kinds_and_namespaces(objects, target.namespace):
        live.extend(cluster.list(kind, namespace, selector))
        if kind == Kind.WORKFLOW_TEMPLATE and namespace:
            listed.add(namespace)
    if library_id:
        try:
            owned = cluster.list(Kind.WORKFLOW_TEMPLATE.value, None, ownership_selector(library_id), listed)
        except ForbiddenError:
            owned = []
        live.extend(o for o in owned if (o.get("metadata") or {}).get("namespace") not in listed)
    return live


def sync_state(
    cwd: Path,
    target_name: str | None,
    ref: str | None,
    *,
    prune: bool = False,
    folder: tuple[Path, Path, str] | None = None,
) -> SyncState:
    """Config, target, cluster, desired and live state, and the plan (working tree unless ``ref``)."""
    config = require_config(cwd)
    target = resolve_target(config, target_name)
    cluster = open_cluster(config, target)
    if folder is None:
        with library_files(config, ref) as found:
            library = read_library(config, target, *found, ref)
    else:
        library = read_library(config, target, *folder, ref)
    live = list_live(cluster, target, library.objects, library_id=config.library_id)
    plan = build_plan(library.objects, live, library_id=config.library_id, prune=prune or target.prune)
    return SyncState(config, target, cluster, library, live, plan)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
