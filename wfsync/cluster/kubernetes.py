"""The Kubernetes backend: the only module that imports the official ``kubernetes`` client.

It talks to the Argo custom resources with plain JSON requests over the client's connection pool,
configured from a kubeconfig context (or the in-cluster service account), and turns every way a
request can fail into a :class:`~wfsync.cluster.api.ClusterError` that names the object, the
server's reason and what to do. Transient failures (429, 503, 504, dropped connections,
timeouts) are retried with bounded exponential backoff; the rest are shown at once. A context the target does not allow is refused before any request is sent.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Collection, Generator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from wfsync.cluster.api import (
    API_VERSION,
    ClusterError,
    ConflictError,
    CrdMissingError,
    ForbiddenError,
    InvalidObjectError,
    NotFoundError,
    Obj,
    UnreachableError,
    identity_of,
    plural,
)
from wfsync.cluster.kube_requests import (
    chunks,
    cluster_scoped,
    lacked_permission,
    rest_path,
    same_content,
    transport_reason,
    warning_text,
    write_query,
)
from wfsync.errors import ConfigError
from wfsync.model.documents import API_GROUP, Identity

__all__ = ["IN_CLUSTER", "TRANSIENT", "GoneError", "KubernetesCluster"]

IN_CLUSTER = "in-cluster"
"""The context name that selects the pod's service account instead of a kubeconfig."""
TRANSIENT = frozenset({429, 503, 504})
"""Answers worth another attempt: throttled, unavailable, timed out. Any other answer (a 500 such as
etcd's "request is too large" included) is the server's considered answer: shown at once."""

ERROR_BODY_LIMIT = 1 << 20
"""Bytes of a streamed request's error answer read for its message (a Status is a few hundred)."""

T = TypeVar("T")


class GoneError(ClusterError):
    """410 Gone: a watch's resourceVersion or a list's continue token is older than the server keeps."""


class KubernetesCluster:
    """Argo custom objects in a Kubernetes cluster, through the official client's configuration.

    Requests go out as plain JSON over the client's own connection pool (TLS, client certificates,
    proxy and token refresh as its kubeconfig loader set them up), not through its generated API
    classes, whose signatures changed across the supported client versions; every write says
    ``fieldValidation=Strict`` and ``fieldManager=wfsync``, and the server's Warning headers are kept.
    """

    def __init__(
        self,
        *,
        context: str | None = None,
        kubeconfig: Path | None = None,
        allowed_contexts: Iterable[str] = (),
        attempts: int = 4,
        backoff: float = 0.25,
        max_backoff: float = 4.0,
        timeout: tuple[float, float] = (5.0, 30.0),
    ) -> None:
        self.attempts = max(1, attempts)
        self.backoff, self.max_backoff, self.timeout = backoff, max_backoff, timeout
        configuration = k8s.Configuration()
        self.context = _load(configuration, context, kubeconfig, tuple(allowed_contexts))
        configuration.retries = False  # retries are ours: bounded, and only for transient failures
        self.configuration = configuration
        self.server = str(configuration.host).rstrip("/")
        self.api_client = k8s.ApiClient(configuration)
        self._pool = self.api_client.rest_client.pool_manager
        self._lock = threading.Lock()
        self._warnings: list[str] = []

    @property
    def description(self) -> str:
        """Context and server."""
        return f"context {self.context!r} ({self.server})"

    def take_warnings(self) -> list[str]:
        """The server's Warning headers since the last call, each with the object it was about."""
        with self._lock:
            taken, self._warnings = self._warnings, []
        return taken

    # -- reads -----------------------------------------------------------------------------------

    def check_crds(self, kinds: Iterable[str]) -> None:
        """One discovery request for argoproj.io/v1alpha1; names the kinds it does not serve."""
        wanted = {plural(k): k for k in kinds}
        what = f"the {API_GROUP}/{API_VERSION} API"
        try:
            found = self.send("GET", f"/apis/{API_GROUP}/{API_VERSION}", what=what, verb="discover")
        except NotFoundError:
            found = {}
        served = {str(r.get("name")) for r in found.get("resources") or []}
        missing = sorted(kind for name, kind in wanted.items() if name not in served)
        if missing:
            raise CrdMissingError(
                f"the Argo CRDs are not installed in {self.description}: {', '.join(missing)} "
                f"({API_GROUP}/{API_VERSION}) not served; install Argo Workflows (or its CRDs) first"
            )

    def list(
        self,
        kind: str,
        namespace: str | None,
        label_selector: str = "",
        exclude_namespaces: Collection[str] = (),
    ) -> list[Obj]:
        """One list request for a kind in a namespace (cluster scope for ClusterWorkflowTemplates)."""
        res = plural(kind)
        where = (
            f"{kind}s in namespace {namespace!r}" if namespace and not cluster_scoped(kind) else f"{kind}s"
        )
        query: list[tuple[str, str]] = [("labelSelector", label_selector)] if label_selector else []
        scope: str | None = None if cluster_scoped(kind) else namespace
        if not cluster_scoped(kind) and namespace is None and exclude_namespaces:
            # the API server filters, so already-listed objects are not resent
            query.append(
                ("fieldSelector", ",".join(f"metadata.namespace!={n}" for n in sorted(exclude_namespaces)))
            )
        try:
            answer = self.send("GET", rest_path(kind, scope), query=query, what=where, verb="list")
        except NotFoundError:
            raise CrdMissingError(
                f"cannot list {where} in {self.description}: the server does not serve {res}.{API_GROUP} "
                "(are the Argo CRDs installed?)"
            ) from None
        items = answer.get("items") or []
        for item in items:  # lists omit kind and apiVersion on their items
            item.setdefault("kind", kind)
            item.setdefault("apiVersion", f"{API_GROUP}/{API_VERSION}")
        return list(items)

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        """One object or None."""
        ident = Identity(kind, "" if cluster_scoped(kind) else namespace or "", name)
        try:
            return self.send(
                "GET", rest_path(kind, ident.namespace or "default", name), what=str(ident), verb="get"
            )
        except NotFoundError:
            return None

    # -- writes ----------------------------------------------------------------------------------

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """POST the object; 409 AlreadyExists is a conflict naming it."""
        ident = identity_of(obj)
        return self._write(
            "POST",
            rest_path(ident.kind, ident.namespace),
            obj,
            dry_run=dry_run,
            conflict=f"{ident} already exists in {self.description}",
        )

    def update(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """PUT with the object's resourceVersion; a stale one is a conflict naming the object."""
        ident = identity_of(obj)
        return self._write(
            "PUT",
            rest_path(ident.kind, ident.namespace, ident.name),
            obj,
            dry_run=dry_run,
            conflict=f"{ident} was changed in {self.description} since it was read (resourceVersion "
            f"{obj.get('metadata', {}).get('resourceVersion')} is stale); run the command again",
        )

    def _write(self, method: str, path: str, obj: Obj, *, dry_run: bool, conflict: str) -> Obj:
        """Send a create (POST) or update (PUT); a conflict is raised with the ``conflict`` message.

        A conflict met by a retry may be this write's own earlier attempt, whose answer was lost:
        when the live object holds what was sent, that attempt landed and the live object is the answer.
        """
        ident = identity_of(obj)
        verb = "create" if method == "POST" else "update"
        try:
            return self.send(method, path, query=write_query(dry_run), body=obj, what=str(ident), verb=verb)
        except ConflictError as err:
            live = self.get(ident.kind, ident.namespace, ident.name) if err.retried else None
            if live and self.holds(live, obj):
                return live
            raise ConflictError(conflict, ident) from None

    def delete(
        self, kind: str, namespace: str | None, name: str, resource_version: str, *, dry_run: bool = False
    ) -> None:
        """DELETE with a resourceVersion precondition and background propagation."""
        ident = Identity(kind, "" if cluster_scoped(kind) else namespace or "", name)
        options: Obj = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        if resource_version:
            options["preconditions"] = {"resourceVersion": resource_version}
        query = [("dryRun", "All")] if dry_run else []
        try:
            self.send(
                "DELETE",
                rest_path(kind, ident.namespace, name),
                query=query,
                body=options,
                what=str(ident),
                verb="delete",
            )
        except NotFoundError as err:
            if err.retried:
                return  # an earlier attempt that lost its answer did delete it
            raise
        except ConflictError:
            raise ConflictError(
                f"{ident} was changed in {self.description} since it was read; not deleted", ident
            ) from None

    def holds(self, live: Obj, sent: Obj, path: str = "") -> bool:
        """Whether ``live`` is what the server makes of ``sent`` (its defaults, pruning and numbers).

        Asked when a write's answer was lost and a retry met a conflict: a server-side dry run of
        ``sent`` over ``live`` answers the object the server would store, which is ``live`` itself
        when the lost write did land.
        """
        probe = {**sent, "metadata": {**(sent.get("metadata") or {})}}
        probe["metadata"]["resourceVersion"] = (live.get("metadata") or {}).get("resourceVersion")
        if not path:
            ident = identity_of(sent)
            path = rest_path(ident.kind, ident.namespace, ident.name)
        try:
            answer = self.send(
                "PUT", path, query=write_query(True), body=probe, what="a retried write", verb="check"
            )
        except ClusterError:
            return False
        return same_content(live, answer)

    # -- transport -------------------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        verb: str,
        query: Sequence[tuple[str, str]] = (),
        body: Obj | Sequence[Any] | None = None,
        content_type: str = "application/json",
    ) -> Obj:
        """One JSON request with this cluster's retries and error mapping (:mod:`wfsync.cluster.objects` too)."""
        url = self.server + path + (f"?{urlencode(list(query))}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        return self._call(what, verb, lambda: self._raw(method, url, data, content_type, what), path)

    def stream(
        self,
        path: str,
        *,
        what: str,
        verb: str,
        query: Sequence[tuple[str, str]] = (),
        read_timeout: float | None = None,
        chunk_size: int = 1 << 16,
    ) -> Generator[bytes, None, None]:
        """A GET whose answer is read as it arrives (a watch, a followed log), over the same pool.

        The request is sent now, with this cluster's retries and error mapping (a 410 is a
        :class:`GoneError`); the iterator then yields the body's chunks and ends when the server
        closes the stream, or when it stays silent ``read_timeout`` seconds (``None``: never) or
        the connection drops, since the caller resumes from what it last saw. Closing the iterator
        early closes its connection rather than returning a half-read one to the pool.
        """
        url = self.server + path + (f"?{urlencode(list(query))}" if query else "")
        timeout = urllib3.Timeout(connect=self.timeout[0], read=read_timeout)

        def call() -> urllib3.BaseHTTPResponse:
            response = self._pool.request(
                "GET",
                url,
                headers=self._headers(None, "", "application/json, */*"),
                timeout=timeout,
                retries=False,
                preload_content=False,
            )
            if not 200 <= response.status <= 299:
                body = response.read(ERROR_BODY_LIMIT)
                response.close()
                response.release_conn()
                err = ApiException(status=response.status, reason=response.reason)
                err.body = body.decode("utf-8", "replace")
                err.headers = response.headers
                raise err
            return response

        return chunks(self._call(what, verb, call, path), chunk_size)

    def _headers(
        self, data: bytes | None, content_type: str, accept: str = "application/json"
    ) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": "wfsync"}
        if data is not None:
            headers["Content-Type"] = content_type
        settings: Mapping[str, object] = dict(self.configuration.auth_settings())
        for setting in settings.values():  # the bearer token, refreshed by the loader's hook
            if isinstance(setting, Mapping) and setting.get("in") == "header" and setting.get("value"):
                headers[str(setting["key"])] = str(setting["value"])
        return headers

    def _raw(self, method: str, url: str, data: bytes | None, content_type: str, what: str) -> Obj:
        headers = self._headers(data, content_type)
        timeout = urllib3.Timeout(connect=self.timeout[0], read=self.timeout[1])
        response = self._pool.request(method, url, body=data, headers=headers, timeout=timeout, retries=False)
        for warning in response.headers.getlist("Warning"):
            text = warning_text(warning)
            if text:
                with self._lock:
                    self._warnings.append(f"{what}: {text}")
        if not 200 <= response.status <= 299:
            err = ApiException(status=response.status, reason=response.reason)
            err.body = response.data.decode("utf-8", "replace")
            err.headers = response.headers
            raise err
        answer = json.loads(response.data) if response.data else {}
        if not isinstance(answer, dict):
            raise urllib3.exceptions.ProtocolError(f"the answer is not a JSON object: {str(answer)[:80]}")
        return answer

    def _call(self, what: str, verb: str, call: Callable[[], T], path: str = "") -> T:
        """Run one request, retrying transient failures; map the final failure to a ClusterError."""
        retried = False  # per call: requests may run in parallel (resource templates)
        for attempt in range(self.attempts):
            last = attempt == self.attempts - 1
            try:
                return call()
            except ApiException as err:
                code = int(err.status or 0)
                if code in TRANSIENT and not last:
                    self._sleep(attempt, _retry_after(err))
                    retried = True
                    continue
                mapped = self._map(err, what, verb, attempt + 1, path)
                mapped.retried = retried
                raise mapped from None
            except (urllib3.exceptions.HTTPError, OSError) as err:
                if not last:
                    self._sleep(attempt, None)
                    retried = True
                    continue
                raise UnreachableError(
                    f"cannot {verb} {what}: no answer from {self.description} after {attempt + 1} attempts "
                    f"({transport_reason(err)})"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        delay = retry_after if retry_after is not None else self.backoff * (2**attempt)
        time.sleep(min(delay, self.max_backoff))

    def _map(self, err: ApiException, what: str, verb: str, attempts: int, path: str = "") -> ClusterError:
        code = int(err.status or 0)
        message, reason = _server_message(err)
        if code == 401:
            return ForbiddenError(
                f"cannot {verb} {what}: {self.description} rejected the credentials (401 Unauthorized): "
                f"{message}; log in again or check the kubeconfig user"
            )
        if code == 403:
            lacked = lacked_permission(verb, path)
            return ForbiddenError(
                f"cannot {verb} {what}: forbidden in {self.description}"
                + (f": the credentials lack {lacked}" if lacked else "")
                + f" (403 {reason}: {message})"
            )
        if code == 404:
            return NotFoundError(f"cannot {verb} {what}: not found in {self.description}: {message}")
        if code == 409:
            return ConflictError(f"cannot {verb} {what}: conflict: {message}")
        if code == 410:
            return GoneError(f"cannot {verb} {what}: expired ({code} {reason}): {message}")
        if code in (400, 422):
            return InvalidObjectError(
                f"cannot {verb} {what}: the server refused it as invalid ({code} {reason}): {message}"
            )
        if code in TRANSIENT:
            return UnreachableError(
                f"cannot {verb} {what}: {self.description} answered {code} {reason} after {attempts} attempts: "
                f"{message}"
            )
        return ClusterError(f"cannot {verb} {what}: {self.description} answered {code} {reason}: {message}")


def _load(
    configuration: k8s.Configuration, context: str | None, kubeconfig: Path | None, allowed: tuple[str, ...]
) -> str:
    """Fill ``configuration`` from the kubeconfig (or in-cluster); refuse a context not allowed first."""
    path = str(kubeconfig) if kubeconfig is not None else None
    in_cluster = context == IN_CLUSTER or (
        context is None
        and kubeconfig is None
        and not os.environ.get("KUBECONFIG")
        and not (Path.home() / ".kube" / "config").exists()
        and bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
    )
    if in_cluster:
        name = IN_CLUSTER
    else:
        try:
            contexts, active = k8s_config.list_kube_config_contexts(config_file=path)  # type: ignore[no-untyped-call]
        except (ConfigException, OSError) as err:
            where = path or os.environ.get("KUBECONFIG") or "~/.kube/config"
            raise ConfigError(f"cannot read the kubeconfig {where}: {err}") from None
        names = [c["name"] for c in contexts]
        name = context or (active or {}).get("name", "")
        if not name:
            raise ConfigError("the kubeconfig has no current context; set 'context' on the target")
        if name not in names:
            raise ConfigError(
                f"context {name!r} is not in the kubeconfig (contexts: {', '.join(names) or 'none'})"
            )
    if allowed and name not in allowed:
        raise ForbiddenError(
            f"context {name!r} is not allowed for this target (allowedContexts: {', '.join(allowed)}); "
            "nothing was sent"
        )
    try:
        if in_cluster:
            k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        else:
            k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=path, context=name, client_configuration=configuration, persist_config=False
            )
    except (ConfigException, OSError) as err:
        raise ConfigError(f"cannot load context {name!r}: {err}") from None
    return name


def _server_message(err: ApiException) -> tuple[str, str]:
    """The ``message`` and ``reason`` of the Status the server answered, else the body and HTTP reason."""
    body: object = err.body
    reason = str(err.reason or f"HTTP {err.status}")
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body:
        try:
            status = json.loads(body)
        except ValueError:
            return body.strip()[:300], reason
        if isinstance(status, dict) and status.get("message"):
            return str(status["message"]), str(status.get("reason") or reason)
        return body.strip()[:300], reason
    return reason, reason


def _retry_after(err: ApiException) -> float | None:
    headers = err.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
