"""What ``diff``, ``push`` and ``status`` share: the target, its cluster, the desired and live state.

The target comes from ``--target``, else ``$WFSYNC_TARGET``, else the configuration's default.
The desired state is the library in the working tree, or at ``--ref`` (read from git into a
scratch folder, never touching the working tree). The live state is one list per kind and
namespace: ClusterWorkflowTemplates once when the library holds any (else only this library's,
and a refusal to list them is no error), WorkflowTemplates once for each namespace the library
uses plus the target's own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from wfsync import safepath
from wfsync.cluster.api import Cluster, CrdMissingError, ForbiddenError, Obj, identity_of
from wfsync.commands.context import repository_config
from wfsync.config import CONFIG_FILE, Config, state_folder
from wfsync.errors import InputError, UsageError
from wfsync.library.discover import find_yaml_files, parse_bytes, read_file
from wfsync.library.yamlload import read_bounded
from wfsync.model.documents import Identity, Kind
from wfsync.model.targets import Target
from wfsync.sync.cache import CachedDocument, SyncCache, file_digest, json_exact
from wfsync.sync.channels import with_channels
from wfsync.sync.desired import DesiredObject, merge, prepare, stamped
from wfsync.sync.normalize import content_hash
from wfsync.sync.ownership import label
from wfsync.sync.ownership import selector as ownership_selector
from wfsync.sync.plan import Action, Plan, build_plan, kinds_and_namespaces
from wfsync.sync.references import references

TARGET_ENV = "WFSYNC_TARGET"
KINDS = (Kind.CLUSTER_WORKFLOW_TEMPLATE.value, Kind.WORKFLOW_TEMPLATE.value)
COMPLETED_LABEL = "workflows.argoproj.io/completed"


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
    return EmbeddedCluster(state_folder(config.root, folder))


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
    config: Config,
    target: Target,
    folder: Path,
    root: Path,
    commit: str,
    ref: str | None,
    cache: SyncCache | None = None,
    lister: LiveLister | None = None,
) -> Library:
    """Parse the library's documents into the objects a push writes; unreadable files are input errors.

    Parsing and hashing depend only on each file, so a large library is read on all cores, and
    with a ``cache`` a file whose bytes did not change is not parsed at all. A ``lister`` hears
    the namespaces of cached objects as soon as they are known.
    """
    files, problems = find_yaml_files([folder], root=root)
    if problems:
        p = problems[0]
        raise InputError(p.message, path=_shown(p.path, root), line=p.line)
    cache = cache or SyncCache.open(None)
    shown = _Shown(root)
    per_file: list[list[CachedDocument] | None] = []
    work: list[tuple[Path, str, bytes | None, str, bool]] = []
    digests: list[str] = []
    places = [shown(path) for path in files]
    for path, where in zip(files, places, strict=True):
        data, digest = None, ""
        if cache.enabled:
            try:
                data = read_bounded(path)
            except OSError as err:
                raise InputError(
                    _unreadable(f"cannot read: {err.strerror or err}"), path=where, line=1
                ) from None
            digest = file_digest(data, target.namespace)
            hit = cache.documents(where, digest)
            if hit is not None:
                per_file.append(hit)
                if lister is not None:
                    for d in hit:
                        if d.kind == Kind.WORKFLOW_TEMPLATE:
                            lister.namespace(d.namespace)
                continue
        per_file.append(None)
        work.append((path, where, data, target.namespace, cache.enabled))
        digests.append(digest)
    jobs = os.cpu_count() or 1
    if jobs > 1 and len(work) >= PARALLEL_THRESHOLD:
        import multiprocessing

        if lister is not None:
            lister.settle()  # fork with no request in flight in another thread
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            parsed = list(pool.map(_read_one, work, chunksize=max(1, len(work) // (jobs * 8))))
    else:
        parsed = [_read_one(item) for item in work]
    done = iter(zip(work, digests, parsed, strict=True))
    objects: list[DesiredObject] = []
    for where, docs in zip(places, per_file, strict=True):
        if docs is None:
            _, digest, (docs, exact) = next(done)
            if exact:
                cache.put_documents(where, digest, docs)
        for d in docs:  # namespace and name become store paths and API URLs: checked, with file:line
            if d.namespace:
                safepath.check_namespace(d.namespace, path=where, line=d.line)
            safepath.check_name(d.name, path=where, line=d.line)
        objects.extend(
            stamped(
                Identity(d.kind, d.namespace, d.name),
                d.body,
                d.content_hash,
                line=d.line,
                library_id=config.library_id,
                source_path=where,
                source_commit=commit,
                refs=d.refs,
            )
            for d in docs
        )
    return Library(folder, root, merge(with_channels(objects, library_id=config.library_id)), commit, ref)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection for the duration (then collection resumes as before).

    Reading a library and its live objects allocates tens of thousands of containers that all
    stay alive until the plan is made; the collector would rescan them again and again for
    nothing (about a sixth of a diff's time). Forked workers inherit the pause. At the end they
    join the oldest generation directly (freeze, unfreeze): re-enabling alone would scan them
    all at the next allocation, as the youngest generation.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        gc.enable()


def _read_one(item: tuple[Path, str, bytes | None, str, bool]) -> tuple[list[CachedDocument], bool]:
    """One file's documents (and whether their bodies can be cached exactly)."""
    path, where, data, namespace, keep = item
    read = read_file(path) if data is None else parse_bytes(path, data)
    if read.problem is not None:
        p = read.problem
        raise InputError(_unreadable(p.message), path=where, line=p.line)
    docs: list[CachedDocument] = []
    for doc in read.documents:
        try:
            prepared = prepare(doc, namespace)
        except InputError as err:  # shown relative to the repository, as other read errors are
            raise InputError(err.message, path=where, line=err.line) from None
        if prepared is not None:
            ident, body, digest = prepared
            refs = frozenset(references(body, ident.namespace))
            docs.append(
                CachedDocument(ident.kind, ident.namespace, ident.name, doc.source.line, digest, body, refs)
            )
    return docs, keep and all(json_exact(d.body) for d in docs)


def _unreadable(message: str) -> str:
    return f"{message} (fix it, or run 'wfsync lint')"


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
    with LiveLister(cluster, target, selector, library_id=library_id) as lister:
        return lister.finish(objects)


REMOTE_CONCURRENCY = 4
"""Requests in flight at once to a remote API server (each mostly waits for the server); 0: one by one."""


class LiveLister:
    """Sends the list requests of :func:`list_live`, for a remote target as soon as each is known.

    The discovery request, the cluster-scoped list and the target namespace's list need nothing
    from the library, and a WorkflowTemplate namespace is in play as soon as one library object
    names it: a remote API server prepares those answers while the library is still being read
    (a few requests at once, one per kind and namespace as ever). Lists wait for the discovery
    answer, so nothing is listed when the CRDs are missing. Results and the first failure come
    in the order :func:`list_live` would send the requests. An embedded target is simply listed
    in :meth:`finish`, one request after the other.
    """

    def __init__(self, cluster: Cluster, target: Target, selector: str = "", *, library_id: str = "") -> None:
        self.cluster, self.target, self.selector, self.library_id = cluster, target, selector, library_id
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False
        self._sent: dict[tuple[str, str | None], Future[list[Obj]]] = {}
        self._crds: Future[None] | None = None
        if target.type == "kubernetes" and REMOTE_CONCURRENCY > 0:
            self._pool = ThreadPoolExecutor(REMOTE_CONCURRENCY, thread_name_prefix="wfsync-list")
            self._crds = self._pool.submit(cluster.check_crds, KINDS)
            self.want(Kind.WORKFLOW_TEMPLATE.value, target.namespace)

    def __enter__(self) -> LiveLister:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Send nothing more (requests already sent finish in the background)."""
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def want(self, kind: str, namespace: str | None) -> None:
        """List ``kind`` in ``namespace`` now if the target is remote (else in :meth:`finish`)."""
        if self._pool is None or (kind, namespace) in self._sent:
            return
        self._sent[(kind, namespace)] = self._pool.submit(self._after_crds, kind, namespace)

    def namespace(self, namespace: str) -> None:
        """A library WorkflowTemplate goes to ``namespace``: list it."""
        if namespace:
            self.want(Kind.WORKFLOW_TEMPLATE.value, namespace)

    def settle(self) -> None:
        """Wait until no request is in flight (before forking worker processes)."""
        if self._pool is not None:
            pending: list[Future[Any]] = [f for f in [self._crds, *self._sent.values()] if f is not None]
            wait(pending)

    def _after_crds(self, kind: str, namespace: str | None) -> list[Obj]:
        assert self._crds is not None
        self._crds.result()  # raises the discovery failure: no list is sent then
        if self._closed:  # the command failed meanwhile (an unreadable library): send no more
            return []
        return self.cluster.list(kind, namespace, self.selector)

    def finish(self, objects: list[DesiredObject]) -> list[Obj]:
        """Everything listed for ``objects``, in request order (the first failure in that order raises)."""
        wanted = kinds_and_namespaces(objects, self.target.namespace)
        listed = {ns for kind, ns in wanted if kind == Kind.WORKFLOW_TEMPLATE and ns}
        leftovers = bool(self.library_id) and (Kind.CLUSTER_WORKFLOW_TEMPLATE.value, None) not in wanted
        if self._pool is None:
            self.cluster.check_crds(KINDS)
            parts = [self.cluster.list(kind, ns, self.selector) for kind, ns in wanted]
            live = [obj for part in parts for obj in part] + (self._owned(listed) if self.library_id else [])
            return live + (self._cluster_leftovers() if leftovers else [])
        for kind, ns in wanted:
            self.want(kind, ns)
        owned = self._pool.submit(self._owned_after_crds, listed) if self.library_id else None
        extra = self._pool.submit(self._after_crds_call, self._cluster_leftovers) if leftovers else None
        assert self._crds is not None
        self._crds.result()
        live = [obj for kind, ns in wanted for obj in self._sent[(kind, ns)].result()]
        return live + (owned.result() if owned is not None else []) + (extra.result() if extra else [])

    def _after_crds_call(self, call: Callable[[], list[Obj]]) -> list[Obj]:
        assert self._crds is not None
        self._crds.result()
        return [] if self._closed else call()

    def _cluster_leftovers(self) -> list[Obj]:
        """This library's ClusterWorkflowTemplates when it holds none any more (so they can be pruned).

        Credentials limited to namespaces may not list at cluster scope: then there is nothing to
        find that they could prune anyway, and the WorkflowTemplates still sync.
        """
        try:
            return self.cluster.list(
                Kind.CLUSTER_WORKFLOW_TEMPLATE.value, None, ownership_selector(self.library_id)
            )
        except ForbiddenError:
            return []

    def _owned_after_crds(self, listed: set[str]) -> list[Obj]:
        assert self._crds is not None
        self._crds.result()
        return [] if self._closed else self._owned(listed)

    def _owned(self, listed: set[str]) -> list[Obj]:
        try:
            found = self.cluster.list(
                Kind.WORKFLOW_TEMPLATE.value, None, ownership_selector(self.library_id), listed
            )
        except ForbiddenError:
            return []
        return [o for o in found if (o.get("metadata") or {}).get("namespace") not in listed]


def open_cache(config: Config, *, use_cache: bool, ref: str | None = None) -> SyncCache:
    """The sync cache under ``.wfsync/cache``, or one that remembers nothing (``--no-cache``, ``--ref``)."""
    return SyncCache.open(state_folder(config.root, "cache") if use_cache and ref is None else None)


def live_hasher(cache: SyncCache, target: Target) -> Callable[[Obj], str]:
    """:func:`content_hash` of live objects, remembered by uid and resourceVersion."""

    def live_hash(obj: Obj) -> str:
        digest = cache.live_hash(target.name, obj)
        if digest is None:
            digest = content_hash(obj)
            cache.put_live_hash(target.name, obj, digest)
        return digest

    return live_hash


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
            outside, unchecked = outside_referrers(cluster, target, callers, config.root)
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
    cluster: Cluster, target: Target, callers: Sequence[Path], root: Path
) -> tuple[dict[Identity, list[str]], str]:
    """Templates referred to by live Workflows (not completed), CronWorkflows and ``callers`` files.

    The second value says why the cluster could not be checked ('' when it was): a prune is
    then refused rather than risked.
    """
    from wfsync.review.snapshot import load_documents

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
    for doc in load_documents(callers, root) if callers else ():
        where = f"{_shown(doc.source.path, root)}:{doc.source.line}"
        for ref in references(doc.body, doc.namespace or target.namespace):
            found.setdefault(ref, []).append(where)
    return found, unchecked


def _shown(path: Path, root: Path) -> str:
    return _Shown(root)(path)


class _Shown:
    """A path as recorded and shown: relative to ``root`` with symlinks resolved.

    Resolving stats every part of a path; a library has thousands of files in a few folders, so
    each folder (and the root) is resolved once.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.prefix = os.path.join(self.root, "")  # noqa: PTH118 - strings: pathlib is the cost here
        self.folders: dict[str, str] = {}

    def __call__(self, path: Path) -> str:
        text = os.fspath(path)
        if os.path.islink(text):  # noqa: PTH114
            real = os.fspath(path.resolve())
        else:
            parent, name = os.path.split(text)
            folder = self.folders.get(parent)
            if folder is None:
                folder = self.folders[parent] = os.fspath(Path(parent or ".").resolve())
            real = os.path.join(folder, name)  # noqa: PTH118
        if real.startswith(self.prefix):
            relative = real[len(self.prefix) :]
            return relative if os.sep == "/" else relative.replace(os.sep, "/")
        if real == os.fspath(self.root):
            return "."
        return text
