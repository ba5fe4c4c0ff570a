"""Objects of any kind in a Kubernetes cluster: what resource templates act on with a Kubernetes target.

:class:`~wfsync.cluster.kubernetes.KubernetesCluster` knows the Argo kinds by heart; a resource
template may name any kind, so this store finds each kind's resource (plural) and scope the way
kubectl does, through discovery (``/api/v1``, ``/apis/<group>/<version>``, cached per group
version), and sends raw REST requests through the cluster's own transport, so retries, error
mapping and the ``allowedContexts`` check (done when the cluster was opened) are the same as sync's.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from wfsync.cluster.api import ClusterError, ConflictError, ForbiddenError, NotFoundError, Obj
from wfsync.cluster.kube_requests import FIELD_MANAGER
from wfsync.cluster.kubernetes import KubernetesCluster

PATCH_TYPES = {
    "strategic": "application/strategic-merge-patch+json",
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
}
"""The media type of each ``mergeStrategy`` (``kubectl patch --type``)."""
_LIKELY_GROUP_VERSIONS = ("v1", "apps/v1", "batch/v1", "argoproj.io/v1alpha1")
"""Where a kind named without its apiVersion (``get``/``delete`` by kind) is looked for first."""


class UnknownKindError(ClusterError):
    """The cluster serves no resource of this kind (its CRD is not installed, or a typo)."""


@dataclass(frozen=True)
class Resource:
    """One served resource: where its objects live and whether they are namespaced."""

    group_version: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None, name: str = "") -> str:
        """``/api/v1/namespaces/<ns>/<plural>/<name>`` or ``/apis/<g>/<v>/<plural>`` and so on."""
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if self.namespaced:
            base += f"/namespaces/{quote(namespace or 'default', safe='')}"
        base += f"/{self.plural}"
        return f"{base}/{quote(name, safe='')}" if name else base


class KubernetesObjects:
    """A :class:`wfsync.engine.resource.ClusterStore` over a Kubernetes cluster, for any served kind."""

    simulated = False
    """Objects land on a real cluster: nothing may be created that a controller would act on by itself."""

    def __init__(self, cluster: KubernetesCluster) -> None:
        self.cluster = cluster
        self._lock = threading.Lock()
        self._served: dict[str, dict[str, Resource] | None] = {}  # group version -> kind -> resource
        self._groups: list[str] | None = None

    @property
    def description(self) -> str:
        """The cluster's context and server."""
        return self.cluster.description

    # -- the ClusterStore protocol -----------------------------------------------------------------

    def get(self, kind: str, namespace: str | None, name: str, api_version: str = "") -> Obj | None:
        """One object or None (the kind is found in ``api_version``, else in any group, as kubectl does)."""
        res = self.resource(kind, api_version)
        try:
            found: Obj = self._send(
                "GET", res.path(namespace, name), _what(kind, res, namespace, name), "get"
            )
        except NotFoundError:
            return None
        return found

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """POST the object; AlreadyExists is a :class:`ConflictError` with the server's message."""
        res, namespace, name = self._place(obj)
        body = _scoped(obj, res)
        what = _what(str(obj.get("kind")), res, namespace, name)
        try:
            created: Obj = self._send("POST", res.path(namespace), what, "create", body, dry_run=dry_run)
        except ConflictError as err:
            live = self.get(str(obj.get("kind")), namespace, name) if err.retried and name else None
            if live is not None and self.cluster.holds(live, body, res.path(namespace, name)):
                return live  # an earlier attempt that lost its answer did create it
            raise
        return created

    def update(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """PUT the object (its ``metadata.resourceVersion`` is a precondition when set)."""
        res, namespace, name = self._place(obj)
        what = _what(str(obj.get("kind")), res, namespace, name)
        body = _scoped(obj, res)
        updated: Obj = self._send("PUT", res.path(namespace, name), what, "update", body, dry_run=dry_run)
        return updated

    def delete(
        self,
        kind: str,
        namespace: str | None,
        name: str,
        resource_version: str,
        *,
        dry_run: bool = False,
        api_version: str = "",
    ) -> None:
        """DELETE with background propagation (and a resourceVersion precondition when given).

        The answer comes when deletion has started: an object with finalizers stays until its
        controllers remove them (see :meth:`wait_deleted`).
        """
        res = self.resource(kind, api_version)
        options: Obj = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        if resource_version:
            options["preconditions"] = {"resourceVersion": resource_version}
        what = _what(kind, res, namespace, name)
        try:
            self._send("DELETE", res.path(namespace, name), what, "delete", options, dry_run=dry_run)
        except NotFoundError as err:
            if not err.retried:  # else an earlier attempt that lost its answer did delete it
                raise

    def patch(
        self,
        kind: str,
        namespace: str | None,
        name: str,
        patch: dict[str, object] | Sequence[object],
        strategy: str,
        *,
        api_version: str = "",
    ) -> Obj:
        """PATCH with ``strategy`` (``strategic``, ``merge`` or ``json``), as ``kubectl patch --type`` sends it.

        The server merges it into the current object, so other writers' fields (and finalizers)
        stay, and no resourceVersion race is lost. Custom resources take no strategic merge patch
        (the server says so, 415).
        """
        content_type = PATCH_TYPES.get(strategy)
        if content_type is None:
            raise ClusterError(f"unknown patch strategy {strategy!r} (one of {', '.join(PATCH_TYPES)})")
        res = self.resource(kind, api_version)
        what = _what(kind, res, namespace, name)
        query = [("fieldValidation", "Strict"), ("fieldManager", FIELD_MANAGER)]
        return self.cluster.send(
            "PATCH",
            res.path(namespace, name),
            what=what,
            verb="patch",
            query=query,
            body=patch,
            content_type=content_type,
        )

    # -- discovery ---------------------------------------------------------------------------------

    def resource(self, kind: str, api_version: str = "") -> Resource:
        """The resource serving ``kind`` (in ``api_version`` when given), or :class:`UnknownKindError`."""
        if api_version:
            found = (self._discover(api_version) or {}).get(kind)
            if found is None:
                raise UnknownKindError(
                    f"kind {kind!r} ({api_version}) is not served by {self.description}: "
                    f"no resource of that kind in {_discovery_path(api_version)} (is its CRD installed?)"
                )
            return found
        for group_version in _LIKELY_GROUP_VERSIONS:
            found = (self._discover(group_version) or {}).get(kind)
            if found is not None:
                return found
        failed: list[str] = []
        for group_version in self._preferred_group_versions():  # only then every group (as kubectl does)
            try:
                found = (self._discover(group_version) or {}).get(kind)
            except ClusterError as err:  # one unavailable aggregated API does not hide the others
                if isinstance(err, ForbiddenError):
                    raise
                failed.append(group_version)
                continue
            if found is not None:
                return found
        unavailable = f" ({', '.join(failed)} did not answer discovery)" if failed else ""
        raise UnknownKindError(
            f"kind {kind!r} is not served by {self.description}: no API group has a resource of that "
            f"kind{unavailable} (is its CRD installed?)"
        )

    def _place(self, obj: Obj) -> tuple[Resource, str | None, str]:
        kind, meta = str(obj.get("kind") or ""), obj.get("metadata") or {}
        res = self.resource(kind, str(obj.get("apiVersion") or ""))
        namespace = str(meta.get("namespace") or "default") if res.namespaced else None
        return res, namespace, str(meta.get("name") or "")

    def _discover(self, group_version: str) -> dict[str, Resource] | None:
        """The kinds a group version serves (None: the group version is not served); cached."""
        with self._lock:
            if group_version in self._served:
                return self._served[group_version]
        try:
            answer = self._send("GET", _discovery_path(group_version), f"the {group_version} API", "discover")
        except NotFoundError:
            answer = None
        kinds: dict[str, Resource] | None = None
        if answer is not None:
            kinds = {}
            for entry in answer.get("resources") or []:
                name = str(entry.get("name") or "")
                if name and "/" not in name:  # subresources (pods/log, .../status) are not kinds
                    kinds.setdefault(
                        str(entry.get("kind")), Resource(group_version, name, bool(entry.get("namespaced")))
                    )
        with self._lock:
            self._served[group_version] = kinds
        return kinds

    def _preferred_group_versions(self) -> list[str]:
        """Every group's preferred version (``/apis``, once): where other kinds are looked for."""
        if self._groups is None:
            answer = self._send("GET", "/apis", "the API groups", "discover")
            self._groups = [
                str((group.get("preferredVersion") or {}).get("groupVersion") or "")
                for group in answer.get("groups") or []
            ]
        return [gv for gv in self._groups if gv and gv not in _LIKELY_GROUP_VERSIONS]

    # -- transport ---------------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, what: str, verb: str, body: Obj | None = None, *, dry_run: bool = False
    ) -> Obj:
        """One JSON request through the cluster's transport, its retries and its error mapping."""
        query = [("dryRun", "All")] if dry_run else []
        if method in ("POST", "PUT", "PATCH"):
            query += [("fieldValidation", "Strict"), ("fieldManager", FIELD_MANAGER)]
        return self.cluster.send(method, path, what=what, verb=verb, query=query, body=body)


def _discovery_path(group_version: str) -> str:
    return "/api/v1" if group_version == "v1" else f"/apis/{group_version}"


def _what(kind: str, res: Resource, namespace: str | None, name: str) -> str:
    """How messages name the object: ``ConfigMap ci/made`` (``Namespace ci`` when cluster-scoped)."""
    where = f"{namespace}/{name}" if res.namespaced else name
    return f"{kind} {where}"


def _scoped(obj: Obj, res: Resource) -> Obj:
    """The body to send: no namespace on a cluster-scoped object (the engine defaults one)."""
    if res.namespaced:
        return obj
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "namespace"}
    return {**obj, "metadata": meta}
