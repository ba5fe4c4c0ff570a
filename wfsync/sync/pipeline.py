"""The sync pipeline: desired and live state read side by side, then the plan.

The library is read while a remote target already answers list requests (see
:mod:`wfsync.sync.live`); with the cache, unchanged files and live objects are not parsed or
hashed again. When the plan would delete anything, what live Workflows, CronWorkflows and
callers' files still refer to is read too, and kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

from wfsync.cluster.api import Cluster, CrdMissingError, ForbiddenError, Obj, identity_of
from wfsync.config import Config, state_folder
from wfsync.library.bulk import gc_paused
from wfsync.model.documents import Document, Identity, Kind
from wfsync.model.targets import Target
from wfsync.sync.cache import SyncCache, live_key
from wfsync.sync.live import LiveLister, list_live
from wfsync.sync.normalize import content_hash
from wfsync.sync.ownership import label
from wfsync.sync.ownership import selector as ownership_selector
from wfsync.sync.plan import Action, Plan, build_plan
from wfsync.sync.reading import Library, library_files, read_library, shown_path
from wfsync.sync.references import references

COMPLETED_LABEL = "workflows.argoproj.io/completed"


@dataclasses.dataclass
class SyncState:
    """Everything a sync command works from."""

    config: Config
    target: Target
    cluster: Cluster
    library: Library
    live: list[Obj]
    plan: Plan


def open_cache(config: Config, *, use_cache: bool, ref: str | None = None) -> SyncCache:
    """The sync cache under ``.wfsync/cache``, or one that remembers nothing (``--no-cache``, ``--ref``)."""
    return SyncCache.open(state_folder(config.root, "cache") if use_cache and ref is None else None)


def live_hasher(cache: SyncCache, target: Target) -> Callable[[Obj], str]:
    """:func:`content_hash` of live objects, remembered by uid and resourceVersion.

    Across runs in the cache, and within this hasher even without one (``--no-cache``): a plan
    with prunes is built twice (again with what refers to the pruned), and hashing every live
    object twice cost a sixth of a push.
    """
    seen: dict[tuple[str, str], str] = {}

    def live_hash(obj: Obj) -> str:
        key = live_key(obj)
        digest = seen.get(key) if key is not None else None
        if digest is None:
            digest = cache.live_hash(target.name, obj)
        if digest is None:
            digest = content_hash(obj)
            cache.put_live_hash(target.name, obj, digest)
        if key is not None:
            seen[key] = digest
        return digest

    return live_hash


def build_state(
    config: Config,
    target: Target,
    cluster: Cluster,
    ref: str | None,
    *,
    prune: bool,
    folder: tuple[Path, Path, str] | None,
    use_cache: bool,
    callers: Callable[[], Iterable[Document]],
) -> SyncState:
    """Desired and live state and the plan; ``callers`` yields the documents whose references keep templates."""
    with gc_paused():
        cache = open_cache(config, use_cache=use_cache, ref=ref)
        with LiveLister(cluster, target, library_id=config.library_id) as lister:
            if folder is None:
                with library_files(config, ref) as found:
                    library = read_library(config, target, *found, ref, cache, lister)
            else:
                library = read_library(config, target, *folder, ref, cache, lister)
            live = lister.finish(library.objects)
        hasher = live_hasher(cache, target)
        prune = prune or target.prune
        plan = build_plan(library.objects, live, library_id=config.library_id, prune=prune, live_hash=hasher)
        if any(c.action is Action.PRUNE and not c.blocked for c in plan.changes):
            outside, unchecked = outside_referrers(cluster, target, callers(), config.root)
            plan = build_plan(
                library.objects,
                live,
                library_id=config.library_id,
                prune=prune,
                live_hash=hasher,
                outside_refs=outside,
                unchecked=unchecked,
            )
        cache.save()
    return SyncState(config, target, cluster, library, live, plan)


def outside_referrers(
    cluster: Cluster, target: Target, callers: Iterable[Document], root: Path
) -> tuple[dict[Identity, list[str]], str]:
    """Templates referred to by live Workflows (not completed), CronWorkflows and ``callers`` documents.

    The second value says why the cluster could not be checked ('' when it was): a prune is
    then refused rather than risked.
    """
    found: dict[Identity, list[str]] = {}
    unchecked = ""
    for kind in (Kind.WORKFLOW.value, Kind.CRON_WORKFLOW.value):
        try:
            try:
                objects = cluster.list(kind, None)
            except ForbiddenError:  # allowed in the target's namespace only, perhaps
                objects = cluster.list(kind, target.namespace)
        except (ForbiddenError, CrdMissingError) as err:
            unchecked = f"could not check what refers to it: listing {kind}s failed ({err})"
            continue
        for obj in objects:
            if kind == Kind.WORKFLOW.value and label(obj, COMPLETED_LABEL) == "true":
                continue  # a finished run resolves nothing any more
            ident = identity_of(obj)
            for ref in references(obj, ident.namespace):
                found.setdefault(ref, []).append(f"live {ident}")
    for doc in callers:
        where = f"{shown_path(doc.source.path, root)}:{doc.source.line}"
        for ref in references(doc.body, doc.namespace or target.namespace):
            found.setdefault(ref, []).append(where)
    return found, unchecked


def owned_state(
    config: Config, target: Target, cluster: Cluster, *, use_cache: bool
) -> tuple[Library, list[tuple[Obj, str]]]:
    """The library (working tree) and this library's live objects, each with its content hash.

    One list per kind and namespace, by ownership labels; with ``use_cache``, unchanged library
    files are not parsed again and live objects seen before are not hashed again.
    """
    with gc_paused():
        cache = open_cache(config, use_cache=use_cache)
        with library_files(config, None) as found:
            library = read_library(config, target, *found, None, cache)
        live = list_live(
            cluster,
            target,
            library.objects,
            ownership_selector(config.library_id),
            library_id=config.library_id,
        )
        live_hash = live_hasher(cache, target)
        hashed = [(obj, live_hash(obj)) for obj in live]
        cache.save()
    return library, hashed
