"""Argo Workflows through the Kubernetes API: the Workflow resource, its watch, and its pods' logs.

Requests go through a :class:`~wfsync.cluster.kubernetes.KubernetesCluster` (its pool, credentials,
retries and error mapping); this module adds what following a run needs: a name chosen here from
``generateName`` (a retried create then meets its own first attempt instead of starting a second
run), a watch read line by line with a bound on each event, pod logs as lines, and ``argo stop``'s
patch. Every error names the workflow.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from urllib.parse import quote

from wfsync.cluster.api import (
    API_VERSION,
    ClusterError,
    CrdMissingError,
    InvalidObjectError,
    NotFoundError,
    Obj,
)
from wfsync.cluster.kubernetes import GoneError, KubernetesCluster
from wfsync.cluster.workflows import WatchExpired, WorkflowEvent
from wfsync.model.documents import API_GROUP, Kind

MAX_EVENT_BYTES = 64 << 20
"""The largest watch event read: far above what etcd stores (1.5 MiB by default, beyond which Argo
compresses or offloads node status), still a bound on what a broken or hostile server makes us hold."""
MAX_LOG_LINE = 1 << 20
"""Log lines longer than this are cut into pieces of this size (a container may write anything)."""
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
"""The characters of the API server's generated name suffixes (no vowels, no look-alikes)."""
MAX_NAME = 63
SUFFIX = 5
"""As the API server's name generator: the prefix cut to 58 characters, then 5 random ones."""
FINISHED = frozenset({"Succeeded", "Failed", "Error"})
"""Workflow phases after which there is nothing to stop."""


class EventTooLarge(ClusterError):
    """A watch event beyond :data:`MAX_EVENT_BYTES`: refused rather than held in memory."""


class KubernetesWorkflows:
    """Workflows in one namespace of a cluster, through its Kubernetes API (see :class:`~wfsync.cluster.workflows.Workflows`)."""

    def __init__(
        self, cluster: KubernetesCluster, namespace: str, *, max_event_bytes: int = MAX_EVENT_BYTES
    ) -> None:
        self.cluster = cluster
        self._namespace = namespace
        self.max_event_bytes = max_event_bytes

    @property
    def description(self) -> str:
        """The cluster's context and server."""
        return self.cluster.description

    @property
    def namespace(self) -> str:
        """Where workflows are created, read and stopped."""
        return self._namespace

    @property
    def hydrates_offloaded(self) -> bool:
        """No: node status Argo offloaded to its database is only readable through the Argo Server."""
        return False

    def create(self, workflow: Obj) -> Obj:
        """POST the Workflow in this namespace; a ``generateName`` gets its suffix here (see the module)."""
        meta = dict(workflow.get("metadata") or {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = generated_name(str(meta["generateName"]))
        meta["namespace"] = self._namespace
        body = {
            **workflow,
            "apiVersion": f"{API_GROUP}/{API_VERSION}",
            "kind": Kind.WORKFLOW.value,
            "metadata": meta,
        }
        with self._about(str(meta.get("name") or "")):
            return self.cluster.create(body)

    def get(self, name: str) -> Obj:
        """The Workflow as it is now."""
        with self._about(name):
            return self.cluster.send("GET", self._path(name), what="it", verb="get")

    def watch(self, name: str, resource_version: str, *, timeout: float = 300.0) -> Iterator[WorkflowEvent]:
        """Watch one workflow by field selector; the request is sent now, so a 410 raises here.

        The server is asked to end the stream after ``timeout`` seconds; the client gives it 30 more
        before it takes silence for a dead connection and ends too.
        """
        query = [
            ("watch", "true"),
            ("fieldSelector", f"metadata.name={name}"),
            ("allowWatchBookmarks", "true"),
        ]
        if resource_version:
            query.append(("resourceVersion", resource_version))
        query.append(("timeoutSeconds", str(max(1, int(timeout)))))
        with self._about(name):
            chunks = self.cluster.stream(
                self._path(), what="it", verb="watch", query=query, read_timeout=timeout + 30.0
            )
        return self._events(name, resource_version, chunks)

    def logs(
        self, workflow: str, pod: str, container: str = "main", *, follow: bool = False
    ) -> Iterator[str]:
        """The container's log as lines; a pod not started yet is not found (yet), as a missing one is."""
        query = [("container", container)] + ([("follow", "true")] if follow else [])
        path = f"/api/v1/namespaces/{quote(self._namespace, safe='')}/pods/{quote(pod, safe='')}/log"
        what = f"the logs of pod {pod} (container {container})"
        try:
            with self._about(workflow, crd=False):  # a missing pod says nothing about Argo's CRDs
                chunks = self.cluster.stream(
                    path,
                    what=what,
                    verb="get",
                    query=query,
                    read_timeout=None if follow else self.cluster.timeout[1],
                )
        except InvalidObjectError as err:
            if "waiting to start" in str(err) or "ContainerCreating" in str(err):
                raise NotFoundError(str(err)) from None
            raise
        return _decoded(chunks)

    def stop(self, name: str, message: str = "") -> None:  # noqa: ARG002 (the Protocol's signature)
        """``argo stop``'s merge patch: the controller stops the pods and still runs exit handlers.

        ``message`` has no place in the Workflow without a node selector, so (as ``argo stop``
        without ``--node-field-selector``) it is not sent. A finished workflow is refused, as
        ``argo stop`` refuses it (its ``AlreadyShutdownError``).
        """
        live = self.get(name)
        phase = str((live.get("status") or {}).get("phase") or "")
        if phase in FINISHED:
            raise ClusterError(
                f"workflow {self._namespace}/{name}: cannot stop it: it has already finished ({phase})"
            )
        with self._about(name):
            self.cluster.send(
                "PATCH",
                self._path(name),
                what="it",
                verb="patch",
                query=[("fieldManager", "wfsync"), ("fieldValidation", "Strict")],
                body={"spec": {"shutdown": "Stop"}},
                content_type="application/merge-patch+json",
            )

    # -- internals -------------------------------------------------------------------------------

    def _path(self, name: str = "") -> str:
        base = f"/apis/{API_GROUP}/{API_VERSION}/namespaces/{quote(self._namespace, safe='')}/workflows"
        return f"{base}/{quote(name, safe='')}" if name else base

    def _events(self, name: str, since: str, chunks: Generator[bytes, None, None]) -> Iterator[WorkflowEvent]:
        with closing(chunks):  # a watcher that stops early closes the connection now, not at collection
            yield from self._parse(name, since, chunks)

    def _parse(self, name: str, since: str, chunks: Generator[bytes, None, None]) -> Iterator[WorkflowEvent]:
        where = f"workflow {self._namespace}/{name}"
        for line in split_lines(chunks, self.max_event_bytes, cut_long=False, what=f"{where}: a watch event"):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
                kind, obj = str(event["type"]), event["object"]
            except (ValueError, KeyError, TypeError):
                raise ClusterError(
                    f"{where}: the watch sent something that is not an event: {line[:120]!r}"
                ) from None
            if kind == "ERROR":
                code = obj.get("code") if isinstance(obj, dict) else None
                text = obj.get("message") if isinstance(obj, dict) else obj
                if code == 410:
                    raise WatchExpired(
                        f"{where}: the watch from resourceVersion {since} expired (410: {text}); "
                        "get the workflow and watch from its version"
                    )
                raise ClusterError(f"{where}: the watch failed in {self.description} ({code}: {text})")
            if kind in ("ADDED", "MODIFIED", "DELETED") and isinstance(obj, dict):
                yield WorkflowEvent(kind, obj)

    @contextmanager
    def _about(self, name: str, *, crd: bool = True) -> Iterator[None]:
        """Name the workflow in every error; a 404 where Argo's CRD is missing says Argo is not installed."""
        where = f"workflow {self._namespace}/{name}"
        try:
            yield
        except GoneError as err:
            raise WatchExpired(f"{where}: {err}; get the workflow and watch from its version") from None
        except NotFoundError as err:
            if not crd:
                raise _named(err, where) from None
            try:
                self.cluster.check_crds([Kind.WORKFLOW.value])
            except CrdMissingError as missing:
                raise CrdMissingError(f"{where}: Argo Workflows is not installed: {missing}") from None
            except ClusterError:
                pass  # discovery not allowed either: the 404 is all there is to say
            raise _named(err, where) from None
        except ClusterError as err:
            raise _named(err, where) from None


def _decoded(chunks: Generator[bytes, None, None]) -> Iterator[str]:
    with closing(chunks):
        for line in split_lines(chunks, MAX_LOG_LINE, cut_long=True):
            yield line.decode("utf-8", "replace")


def _named(err: ClusterError, where: str) -> ClusterError:
    """The same error, its message prefixed with the workflow."""
    named = type(err)(f"{where}: {err}")
    named.retried = err.retried
    return named


def generated_name(prefix: str) -> str:
    """``prefix`` plus the API server's random five-character suffix (the prefix cut to fit 63)."""
    suffix = "".join(secrets.choice(NAME_ALPHABET) for _ in range(SUFFIX))
    return prefix[: MAX_NAME - SUFFIX] + suffix


def split_lines(
    chunks: Iterable[bytes], limit: int, *, cut_long: bool, what: str = "a line"
) -> Iterator[bytes]:
    """Lines (without their newline) of a byte stream, holding at most ``limit`` bytes of one line.

    A longer line is cut into ``limit``-byte pieces (``cut_long``) or refused with
    :class:`EventTooLarge`. A last line without newline is kept when cutting (a log's last words)
    and dropped otherwise (a watch event cut off by a dropped connection: the caller resumes).
    """
    buffer = bytearray()
    for chunk in chunks:
        scan = len(buffer)  # what is already held has no newline
        buffer += chunk
        start = 0
        while True:
            end = buffer.find(b"\n", scan)
            stop = end if end >= 0 else len(buffer)
            while stop - start > limit:
                if not cut_long:
                    raise EventTooLarge(
                        f"{what} is larger than the {_size(limit)} wfsync reads "
                        f"(over {_size(stop - start)}); refused"
                    )
                yield bytes(buffer[start : start + limit])
                start += limit
            if end < 0:
                break
            yield bytes(buffer[start:end])
            start = scan = end + 1
        del buffer[:start]
    if buffer and cut_long:
        yield bytes(buffer)


def _size(count: int) -> str:
    return f"{count / (1 << 20):.0f} MiB" if count >= 1 << 20 else f"{count} bytes"
