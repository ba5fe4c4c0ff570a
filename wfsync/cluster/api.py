"""The one interface sync needs from a cluster, and the errors every backend raises.

Objects are plain dicts as the Kubernetes API returns them. Backends map their transport's
failures onto the :class:`ClusterError` family so that sync and the CLI never see a backend's
own exceptions, and every message names the object (or the namespace) it is about.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, Protocol

from wfsync.errors import CompletionError
from wfsync.model.documents import Identity, Kind

Obj = dict[str, Any]

API_VERSION = "v1alpha1"
PLURALS = {
    Kind.WORKFLOW_TEMPLATE.value: "workflowtemplates",
    Kind.CLUSTER_WORKFLOW_TEMPLATE.value: "clusterworkflowtemplates",
    Kind.WORKFLOW.value: "workflows",
    Kind.CRON_WORKFLOW.value: "cronworkflows",
}
"""The resource (plural) of each Argo kind, as the CRDs declare it."""


def plural(kind: str) -> str:
    """The resource name of a kind."""
    try:
        return PLURALS[kind]
    except KeyError:
        raise ValueError(f"not an Argo kind wfsync syncs: {kind!r}") from None


def identity_of(obj: Obj) -> Identity:
    """The identity of a live or desired object ('' namespace when cluster-scoped)."""
    kind = str(obj.get("kind", ""))
    meta = obj.get("metadata") or {}
    namespace = "" if kind == Kind.CLUSTER_WORKFLOW_TEMPLATE else str(meta.get("namespace") or "")
    return Identity(kind, namespace, str(meta.get("name", "")))


class ClusterError(CompletionError):
    """A cluster request that failed; exit code 3 (could not complete)."""

    retried: bool = False
    """Whether an earlier attempt of the same request got no usable answer (it may have been applied)."""


class ConflictError(ClusterError):
    """The object changed since it was read (stale resourceVersion) or already exists."""

    def __init__(self, message: str, identity: Identity | None = None) -> None:
        super().__init__(message)
        self.identity = identity


class NotFoundError(ClusterError):
    """The object (or its namespace) does not exist."""


class ForbiddenError(ClusterError):
    """Credentials rejected (401) or not allowed to do this (403), or a context not allowed."""


class InvalidObjectError(ClusterError):
    """The server refused the object as invalid (422)."""


class UnreachableError(ClusterError):
    """No answer: connection refused or dropped, timeouts, or server errors after all retries."""


class CrdMissingError(ClusterError):
    """The Argo CRDs are not installed in the cluster."""


class Cluster(Protocol):
    """What sync needs from a cluster: one list per kind and namespace, writes with preconditions."""

    @property
    def description(self) -> str:
        """Where this is, for messages (``embedded store at ...``, ``context kind-ci (https://...)``)."""
        ...

    def check_crds(self, kinds: Iterable[str]) -> None:
        """Raise :class:`CrdMissingError` naming the kinds whose CRDs the cluster does not serve."""
        ...

    def list(
        self,
        kind: str,
        namespace: str | None,
        label_selector: str = "",
        exclude_namespaces: Collection[str] = (),
    ) -> list[Obj]:
        """Every object of ``kind`` in ``namespace`` (``None``: cluster-scoped or all), in one request.

        ``exclude_namespaces`` (with ``namespace=None``) leaves out namespaces already listed.
        """
        ...

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        """One object, or None when it does not exist."""
        ...

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """Create ``obj``; :class:`ConflictError` when the name is taken. Returns the stored object."""
        ...

    def update(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """Replace ``obj``, whose ``metadata.resourceVersion`` must be current, else :class:`ConflictError`."""
        ...

    def delete(
        self, kind: str, namespace: str | None, name: str, resource_version: str, *, dry_run: bool = False
    ) -> None:
        """Delete the object if it still has ``resource_version``, else :class:`ConflictError`."""
        ...
