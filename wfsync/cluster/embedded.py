"""The embedded cluster: the default ``local`` target, a store under ``.wfsync/cluster/``.

It keeps the API server's write semantics so that everything sync does against it (plans,
conflicts, drift, prune) behaves as it will on Kubernetes: a global resourceVersion counter,
uid and creationTimestamp on create, generation bumped when anything outside metadata changes,
stale updates and deletes refused, no-op updates keeping the resourceVersion.

Layout: ``objects/<plural>/<namespace or _cluster>/<name>.json`` plus ``state.json`` (the
counter). Each object file is written to a temporary file and renamed, so a reader never sees a
half-written object; every operation holds an exclusive ``fcntl`` lock on ``lock`` for its whole
read-check-write, so two wfsync processes at once serialise instead of losing writes.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import fcntl
import json
import os
import re
import tempfile
import uuid
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from wfsync.cluster.api import (
    API_VERSION,
    PLURALS,
    ClusterError,
    ConflictError,
    InvalidObjectError,
    NotFoundError,
    Obj,
    identity_of,
    plural,
)
from wfsync.model.documents import API_GROUP, Identity, Kind
from wfsync.safepath import check_name, check_namespace, within

CLUSTER_SCOPE_DIR = "_cluster"
_SERVER_FIELDS = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


_CLUSTER_SCOPED = frozenset(
    {
        Kind.CLUSTER_WORKFLOW_TEMPLATE.value,
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "StorageClass",
        "CustomResourceDefinition",
        "PriorityClass",
    }
)
"""Kinds stored without a namespace (the Argo one, and the core cluster-scoped kinds)."""


class EmbeddedCluster:
    """A file-backed store with Kubernetes API semantics for the Argo kinds.

    With ``any_kind`` it also stores objects of other kinds (Pods, ConfigMaps, ...), as the
    local engine's resource templates need; sync keeps the default, Argo kinds only.
    """

    simulated = True
    """A local store: resource templates keep their own (never scheduled) pod here."""

    def __init__(self, root: Path, *, any_kind: bool = False) -> None:
        self.root = root
        self.any_kind = any_kind

    def _plural(self, kind: str) -> str:
        """The folder of a kind: Argo's plurals, else (with ``any_kind``) the lowercased kind + s."""
        if self.any_kind and kind not in PLURALS:
            if not kind or not kind.isalnum():
                raise InvalidObjectError(f"{kind!r} is not a valid kind")
            return kind.lower() + "s"
        return plural(kind)

    @property
    def description(self) -> str:
        """Where the store is."""
        return f"embedded cluster at {self.root}"

    # -- reads -----------------------------------------------------------------------------------

    def check_crds(self, kinds: Iterable[str]) -> None:
        """The embedded store serves every Argo kind (unknown kinds are a programming error)."""
        for kind in kinds:
            self._plural(kind)

    def list(
        self,
        kind: str,
        namespace: str | None,
        label_selector: str = "",
        exclude_namespaces: Collection[str] = (),
    ) -> list[Obj]:
        """Objects of a kind in a namespace (``None``: all), filtered by an equality label selector."""
        wanted = _parse_selector(label_selector)
        base = self.root / "objects" / self._plural(kind)
        if _cluster_scoped(kind):
            folders = [base / CLUSTER_SCOPE_DIR]
        elif namespace is None:
            folders = (
                sorted(p for p in base.glob("*") if p.is_dir() and p.name not in exclude_namespaces)
                if base.is_dir()
                else []
            )
        else:
            folders = [base / check_namespace(namespace)]
        out: list[Obj] = []
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.json")):
                obj = _read(path)
                if obj is None:
                    continue
                labels = obj.get("metadata", {}).get("labels") or {}
                if all(labels.get(k) == v for k, v in wanted.items()):
                    out.append(obj)
        return out

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        """One object or None."""
        return _read(self._path(kind, namespace, name))

    # -- writes ----------------------------------------------------------------------------------

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """Store a new object; a taken name is a conflict (AlreadyExists)."""
        new = self._prepare(obj)
        ident = identity_of(new)
        meta = new["metadata"]
        if meta.get("resourceVersion"):
            raise InvalidObjectError(f"{ident}: resourceVersion must not be set on create")
        for field in _SERVER_FIELDS:
            meta.pop(field, None)
        with self._locked():
            path = self._path(ident.kind, ident.namespace, ident.name)
            if path.exists():
                raise ConflictError(f"{ident} already exists", ident)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = _now()
            meta["generation"] = 1
            if dry_run:
                return new
            meta["resourceVersion"] = self._next_rv()
            _write(path, new)
        return new

    def update(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """Replace an object whose resourceVersion is current; a no-op keeps the resourceVersion."""
        new = self._prepare(obj)
        ident = identity_of(new)
        sent = str(new["metadata"].get("resourceVersion") or "")
        if not sent:
            raise InvalidObjectError(f"{ident}: metadata.resourceVersion must be specified for an update")
        with self._locked():
            path = self._path(ident.kind, ident.namespace, ident.name)
            old = _read(path)
            if old is None:
                raise NotFoundError(f"{ident} not found (deleted since it was read?)")
            current = str(old["metadata"].get("resourceVersion", ""))
            if sent != current:
                raise ConflictError(
                    f"{ident} was changed by someone else (resourceVersion {sent} is stale, now {current})",
                    ident,
                )
            old_meta, meta = old["metadata"], new["metadata"]
            for field in ("uid", "creationTimestamp"):
                meta[field] = old_meta.get(field)
            meta.pop("managedFields", None)
            generation = int(old_meta.get("generation", 1))
            meta["generation"] = generation + 1 if _spec_part(new) != _spec_part(old) else generation
            if _comparable(new) == _comparable(old):
                return old
            if dry_run:
                return new
            meta["resourceVersion"] = self._next_rv()
            _write(path, new)
        return new

    def delete(
        self, kind: str, namespace: str | None, name: str, resource_version: str, *, dry_run: bool = False
    ) -> None:
        """Delete an object that still has ``resource_version``."""
        ident = Identity(kind, "" if _cluster_scoped(kind) else namespace or "", name)
        with self._locked():
            path = self._path(kind, namespace, name)
            old = _read(path)
            if old is None:
                raise NotFoundError(f"{ident} not found")
            current = str(old["metadata"].get("resourceVersion", ""))
            if resource_version and resource_version != current:
                raise ConflictError(
                    f"{ident} was changed by someone else (resourceVersion {resource_version} is stale, now {current})",
                    ident,
                )
            if dry_run:
                return
            path.unlink()
            self._next_rv()

    # -- internals -------------------------------------------------------------------------------

    def _prepare(self, obj: Obj) -> Obj:
        """A deep copy with apiVersion filled, namespace checked and names validated."""
        new = copy.deepcopy(obj)
        kind = str(new.get("kind", ""))
        self._plural(kind)
        new.setdefault("apiVersion", f"{API_GROUP}/{API_VERSION}")
        meta = new.get("metadata")
        if not isinstance(meta, dict):
            raise InvalidObjectError(f"{kind}: metadata must be a mapping")
        ident = identity_of(new)
        if not ident.name or len(ident.name) > 253 or not _NAME.match(ident.name):
            raise InvalidObjectError(f"{ident}: metadata.name {ident.name!r} is not a valid DNS subdomain")
        if _cluster_scoped(kind):
            meta.pop("namespace", None)
        elif not meta.get("namespace"):
            raise InvalidObjectError(f"{ident}: metadata.namespace is required for a {kind}")
        self._path(kind, meta.get("namespace"), ident.name)  # the containment rule, before anything else
        for key, value in (meta.get("labels") or {}).items():
            if not isinstance(value, str):
                raise InvalidObjectError(f"{ident}: label {key!r} must be a string, not {value!r}")
        return new

    def _path(self, kind: str, namespace: str | None, name: str) -> Path:
        """The file of an object: namespace and name come from input, so both are checked first."""
        scope = CLUSTER_SCOPE_DIR if _cluster_scoped(kind) else check_namespace(namespace or "default")
        relative = f"objects/{self._plural(kind)}/{scope}/{check_name(name)}.json"
        return within(self.root, relative, what=f"{kind}/{name}")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if not self.root.is_dir():
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / ".gitignore").write_text(
                "# wfsync's embedded cluster: local state, never committed\n*\n"
            )
        with (self.root / "lock").open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _next_rv(self) -> str:
        """Bump the counter (caller holds the lock)."""
        state_path = self.root / "state.json"
        state = _read(state_path) or {}
        rv = int(state.get("resourceVersion", 0)) + 1
        _write(state_path, {"resourceVersion": rv})
        return str(rv)


def _cluster_scoped(kind: str) -> bool:
    return kind in _CLUSTER_SCOPED


def _spec_part(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k != "metadata"}


def _comparable(obj: Obj) -> Obj:
    out = copy.deepcopy(obj)
    for field in ("resourceVersion", "generation", "managedFields"):
        out["metadata"].pop(field, None)
    return out


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_selector(selector: str) -> dict[str, str]:
    """``a=b,c==d``: the equality selectors sync uses (set-based ones are not needed here)."""
    wanted: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in selector.split(","))):
        key, sep, value = part.replace("==", "=").partition("=")
        if not sep or not key.strip():
            raise ValueError(f"unsupported label selector {part!r} (only key=value)")
        wanted[key.strip()] = value.strip()
    return wanted


def _read(path: Path) -> Obj | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        loaded = json.loads(data)
    except ValueError as err:
        raise ClusterError(
            f"the embedded cluster file {path} is corrupt ({err}); delete it to recover"
        ) from None
    return loaded if isinstance(loaded, dict) else None


def _write(path: Path, obj: Obj) -> None:
    """Write atomically: a temporary file in the same folder, flushed, then renamed over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(obj, handle, separators=(",", ":"), sort_keys=False)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
