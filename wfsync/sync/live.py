"""The live state: one list per kind and namespace, sent early to a remote target.

ClusterWorkflowTemplates are listed once when the library holds any (else only this library's,
and a refusal to list them is no error), WorkflowTemplates once for each namespace the library
uses plus the target's own.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from wfsync.cluster.api import Cluster, ForbiddenError, Obj
from wfsync.model.documents import Kind
from wfsync.model.targets import Target
from wfsync.sync.desired import DesiredObject
from wfsync.sync.ownership import selector as ownership_selector
from wfsync.sync.plan import kinds_and_namespaces

KINDS = (Kind.CLUSTER_WORKFLOW_TEMPLATE.value, Kind.WORKFLOW_TEMPLATE.value)


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
            if self._crds is not None:
                wait([self._crds])
            wait(list(self._sent.values()))

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
