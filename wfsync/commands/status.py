"""``wfsync status``: this library's objects in a target, their version, source commit and drift."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from wfsync.cluster.api import Obj, identity_of
from wfsync.commands.syncstate import open_cluster, require_config, resolve_target
from wfsync.errors import ExitCode
from wfsync.model.documents import Identity
from wfsync.sync.desired import DesiredObject
from wfsync.sync.ownership import (
    SOURCE_COMMIT,
    SOURCE_PATH,
    VERSION_LABEL,
    annotation,
    label,
)
from wfsync.sync.pipeline import owned_state
from wfsync.sync.plan import drifted, holds


@dataclasses.dataclass(frozen=True)
class ManagedObject:
    """One object of this library in the target."""

    identity: Identity
    version: str
    source_path: str
    source_commit: str
    drift: bool
    in_library: bool
    up_to_date: bool

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        return {
            "kind": self.identity.kind,
            "namespace": self.identity.namespace or None,
            "name": self.identity.name,
            "version": self.version or None,
            "sourcePath": self.source_path or None,
            "sourceCommit": self.source_commit or None,
            "drift": self.drift,
            "inLibrary": self.in_library,
            "upToDate": self.up_to_date,
        }


@dataclasses.dataclass(frozen=True)
class StatusResult:
    """The managed objects of a target, and where they were read from."""

    target: str
    cluster: str
    objects: tuple[ManagedObject, ...]
    missing: tuple[Identity, ...]
    """Library objects not in the target yet."""
    library_commit: str = ""
    """The commit the library was read at (``-dirty`` when the working tree differs; empty outside git):
    an object pushed before the first commit has no source commit, but may hold this commit's content."""

    @property
    def drifted(self) -> list[ManagedObject]:
        """Objects edited outside git."""
        return [o for o in self.objects if o.drift]

    @property
    def exit_code(self) -> ExitCode:
        """1 when any object was edited outside git (drift), else 0."""
        return ExitCode.FINDINGS if self.drifted else ExitCode.CLEAN


def run_status(cwd: Path, *, target: str | None, use_cache: bool = True) -> StatusResult:
    """List this library's objects (one list per kind and namespace, by ownership labels).

    With ``use_cache``, unchanged library files are not parsed again and live objects seen before
    (same uid and resourceVersion) are not hashed again, as in ``diff``.
    """
    config = require_config(cwd)
    chosen = resolve_target(config, target)
    cluster = open_cluster(config, chosen)
    library, owned = owned_state(config, chosen, cluster, use_cache=use_cache)
    desired = {d.identity: d for d in library.objects}
    objects = tuple(
        sorted((_managed(obj, desired, digest) for obj, digest in owned), key=lambda o: o.identity)
    )
    present = {o.identity for o in objects}
    missing = tuple(sorted(i for i in desired if i not in present))
    return StatusResult(chosen.name, cluster.description, objects, missing, library.commit)


def _managed(obj: Obj, desired: dict[Identity, DesiredObject], live_hash: str) -> ManagedObject:
    ident = identity_of(obj)
    wanted = desired.get(ident)
    return ManagedObject(
        ident,
        label(obj, VERSION_LABEL),
        annotation(obj, SOURCE_PATH),
        annotation(obj, SOURCE_COMMIT),
        drift=drifted(obj, live_hash),
        in_library=wanted is not None,
        up_to_date=wanted is not None and holds(obj, live_hash, wanted.content_hash),
    )
