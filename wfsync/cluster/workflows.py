"""What ``submit``, ``verify`` and ``stop`` need from a real Argo: create, follow, read logs, stop.

Two transports implement :class:`Workflows`: the Kubernetes API (:mod:`wfsync.cluster.kube_workflows`,
through a target's kubeconfig context) and the Argo Server API (:mod:`wfsync.cluster.argo_server`,
configured from ``ARGO_SERVER``/``ARGO_TOKEN`` as the ``argo`` CLI is). Both raise the
:class:`~wfsync.cluster.api.ClusterError` family with messages that name the workflow, so the
harness never sees a transport's own exceptions and behaves the same on either.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Protocol

from wfsync.cluster.api import ClusterError, Obj


class WatchExpired(ClusterError):
    """The watch's resourceVersion is too old (410 Gone): get the workflow again and watch from its version."""


@dataclasses.dataclass(frozen=True)
class WorkflowEvent:
    """One change to a watched workflow: ``ADDED``, ``MODIFIED`` or ``DELETED`` and the object after it."""

    type: str
    workflow: Obj


class Workflows(Protocol):
    """Argo Workflows in one namespace, through one transport."""

    @property
    def description(self) -> str:
        """Where this is, for messages (``context kind-ci (https://...)``, ``Argo Server https://...``)."""
        ...

    @property
    def namespace(self) -> str:
        """The namespace workflows are created, read and stopped in."""
        ...

    @property
    def hydrates_offloaded(self) -> bool:
        """Whether :meth:`get` fills in node status Argo offloaded to its database.

        The Argo Server does; the Kubernetes API cannot, so a workflow read through it whose
        ``status.offloadNodeStatusVersion`` is set has no ``status.nodes``.
        """
        ...

    def create(self, workflow: Obj) -> Obj:
        """Create the Workflow (``metadata.generateName`` allowed) and return it as stored.

        Raises :class:`~wfsync.cluster.api.InvalidObjectError` (the server's reason kept),
        :class:`~wfsync.cluster.api.ForbiddenError`, :class:`~wfsync.cluster.api.CrdMissingError`,
        :class:`~wfsync.cluster.api.ConflictError` (name taken) or
        :class:`~wfsync.cluster.api.UnreachableError`.
        """
        ...

    def get(self, name: str) -> Obj:
        """The Workflow as it is now; :class:`~wfsync.cluster.api.NotFoundError` when it does not exist."""
        ...

    def watch(self, name: str, resource_version: str, *, timeout: float = 300.0) -> Iterator[WorkflowEvent]:
        """Changes to the workflow ``name`` after ``resource_version``, as they happen.

        The iterator ends when the server closes the stream (its timeout, or ``timeout`` seconds);
        the caller watches again from the last version it saw. Bookmarks are consumed here.
        Raises :class:`WatchExpired` when the version is too old (a 410 answer, or an ``ERROR``
        event carrying one), so that the caller gets the workflow and watches from its version.
        """
        ...

    def logs(
        self, workflow: str, pod: str, container: str = "main", *, follow: bool = False
    ) -> Iterator[str]:
        """The lines (without their newline) the pod's ``container`` wrote; with ``follow`` until it ends.

        :class:`~wfsync.cluster.api.NotFoundError` when the pod does not exist (yet, or any longer).
        """
        ...

    def stop(self, name: str, message: str = "") -> None:
        """Stop the workflow as ``argo stop`` does (``spec.shutdown: Stop``, exit handlers still run)."""
        ...
