"""The Kubernetes backend: the only module that imports the official ``kubernetes`` client.

It talks to the Argo custom resources through ``CustomObjectsApi`` from a kubeconfig context (or
the in-cluster service account), and turns every way a request can fail into a
:class:`~wfsync.cluster.api.ClusterError` that names the object and says what to do. Transient
failures (429, 5xx, dropped connections, timeouts) are retried with bounded exponential backoff;
the rest are not. A context the target does not allow is refused before any request is sent.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any, TypeVar

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
from wfsync.errors import ConfigError
from wfsync.model.documents import API_GROUP, Identity, Kind

IN_CLUSTER = "in-cluster"
"""The context name that selects the pod's service account instead of a kubeconfig."""
TRANSIENT = frozenset({429, 500, 502, 503, 504})

T = TypeVar("T")


class KubernetesCluster:
    """Argo custom objects in a Kubernetes cluster, through the official client."""

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
        self.server = str(configuration.host)
        self.api_client = k8s.ApiClient(configuration)
        self._api = k8s.CustomObjectsApi(self.api_client)

    @property
    def description(self) -> str:
        """Context and server."""
        return f"context {self.context!r} ({self.server})"

    # -- reads -----------------------------------------------------------------------------------

    def check_crds(self, kinds: Iterable[str]) -> None:
        """One discovery request for argoproj.io/v1alpha1; names the kinds it does not serve."""
        wanted = {plural(k): k for k in kinds}
        what = f"the {API_GROUP}/{API_VERSION} API"
        try:
            found = self._call(what, "discover", lambda: self._api.get_api_resources(API_GROUP, API_VERSION))
        except NotFoundError:
            found = None
        served = {r.name for r in getattr(found, "resources", None) or []}
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
        where = f"{kind}s in namespace {namespace!r}" if namespace and not _cluster(kind) else f"{kind}s"

        def call() -> Any:
            # the raw body: the client's generic deserialiser is the slowest part of a big list
            opts: dict[str, Any] = {
                "label_selector": label_selector,
                "_request_timeout": self.timeout,
                "_preload_content": False,
            }
            raw: Any
            if _cluster(kind):
                raw = self._api.list_cluster_custom_object(API_GROUP, API_VERSION, res, **opts)
            elif namespace is None:
                if exclude_namespaces:  # the API server filters, so already-listed objects are not resent
                    opts["field_selector"] = ",".join(
                        f"metadata.namespace!={n}" for n in sorted(exclude_namespaces)
                    )
                raw = self._api.list_custom_object_for_all_namespaces(API_GROUP, API_VERSION, res, **opts)
            else:
                raw = self._api.list_namespaced_custom_object(API_GROUP, API_VERSION, namespace, res, **opts)
            return json.loads(raw.data)

        try:
            answer = self._call(where, "list", call)
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
        ident = Identity(kind, "" if _cluster(kind) else namespace or "", name)
        res = plural(kind)

        def call() -> Any:
            if _cluster(kind):
                return self._api.get_cluster_custom_object(
                    API_GROUP, API_VERSION, res, name, _request_timeout=self.timeout
                )
            return self._api.get_namespaced_custom_object(
                API_GROUP, API_VERSION, namespace or "default", res, name, _request_timeout=self.timeout
            )

        try:
            found: Obj = self._call(str(ident), "get", call)
        except NotFoundError:
            return None
        return found

    # -- writes ----------------------------------------------------------------------------------

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """POST the object; 409 AlreadyExists is a conflict naming it."""
        ident = identity_of(obj)
        res = plural(ident.kind)
        mode = "All" if dry_run else None

        def call() -> Any:
            if _cluster(ident.kind):
                return self._api.create_cluster_custom_object(
                    API_GROUP, API_VERSION, res, obj, _request_timeout=self.timeout, dry_run=mode
                )
            return self._api.create_namespaced_custom_object(
                API_GROUP, API_VERSION, ident.namespace, res, obj, _request_timeout=self.timeout, dry_run=mode
            )

        try:
            created: Obj = self._call(str(ident), "create", call)
        except ConflictError as err:
            if err.retried and (live := self.get(ident.kind, ident.namespace, ident.name)):
                if _same_content(live, obj):
                    return live  # an earlier attempt that lost its answer did create it
            raise ConflictError(f"{ident} already exists in {self.description}", ident) from None
        return created

    def update(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """PUT with the object's resourceVersion; a stale one is a conflict naming the object."""
        ident = identity_of(obj)
        res = plural(ident.kind)
        mode = "All" if dry_run else None

        def call() -> Any:
            if _cluster(ident.kind):
                return self._api.replace_cluster_custom_object(
                    API_GROUP, API_VERSION, res, ident.name, obj, _request_timeout=self.timeout, dry_run=mode
                )
            return self._api.replace_namespaced_custom_object(
                API_GROUP,
                API_VERSION,
                ident.namespace,
                res,
                ident.name,
                obj,
                _request_timeout=self.timeout,
                dry_run=mode,
            )

        try:
            updated: Obj = self._call(str(ident), "update", call)
        except ConflictError as err:
            if err.retried and (live := self.get(ident.kind, ident.namespace, ident.name)):
                if _same_content(live, obj):
                    return live
            raise ConflictError(
                f"{ident} was changed in {self.description} since it was read (resourceVersion "
                f"{obj.get('metadata', {}).get('resourceVersion')} is stale); run the command again",
                ident,
            ) from None
        return updated

    def delete(
        self, kind: str, namespace: str | None, name: str, resource_version: str, *, dry_run: bool = False
    ) -> None:
        """DELETE with a resourceVersion precondition and background propagation."""
        ident = Identity(kind, "" if _cluster(kind) else namespace or "", name)
        res = plural(kind)
        body = k8s.V1DeleteOptions(
            propagation_policy="Background",
            preconditions=k8s.V1Preconditions(resource_version=resource_version or None),
        )
        mode = "All" if dry_run else None

        def call() -> Any:
            if _cluster(kind):
                return self._api.delete_cluster_custom_object(
                    API_GROUP, API_VERSION, res, name, body=body, _request_timeout=self.timeout, dry_run=mode
                )
            return self._api.delete_namespaced_custom_object(
                API_GROUP,
                API_VERSION,
                ident.namespace,
                res,
                name,
                body=body,
                _request_timeout=self.timeout,
                dry_run=mode,
            )

        try:
            self._call(str(ident), "delete", call)
        except NotFoundError as err:
            if err.retried:
                return  # an earlier attempt that lost its answer did delete it
            raise
        except ConflictError:
            raise ConflictError(
                f"{ident} was changed in {self.description} since it was read; not deleted", ident
            ) from None

    # -- transport -------------------------------------------------------------------------------

    def request(self, what: str, verb: str, call: Callable[[], T]) -> T:
        """One request with this cluster's retries and error mapping (:mod:`wfsync.cluster.objects` too)."""
        return self._call(what, verb, call)

    def _call(self, what: str, verb: str, call: Callable[[], T]) -> T:
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
                mapped = self._map(err, what, verb, attempt + 1)
                mapped.retried = retried
                raise mapped from None
            except (urllib3.exceptions.HTTPError, OSError) as err:
                if not last:
                    self._sleep(attempt, None)
                    retried = True
                    continue
                raise UnreachableError(
                    f"cannot {verb} {what}: no answer from {self.description} after {attempt + 1} attempts "
                    f"({_transport_reason(err)})"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        delay = retry_after if retry_after is not None else self.backoff * (2**attempt)
        time.sleep(min(delay, self.max_backoff))

    def _map(self, err: ApiException, what: str, verb: str, attempts: int) -> ClusterError:
        code = int(err.status or 0)
        message = _server_message(err)
        if code == 401:
            return ForbiddenError(
                f"cannot {verb} {what}: {self.description} rejected the credentials (401 Unauthorized): "
                f"{message}; log in again or check the kubeconfig user"
            )
        if code == 403:
            return ForbiddenError(f"cannot {verb} {what}: forbidden in {self.description}: {message}")
        if code == 404:
            return NotFoundError(f"cannot {verb} {what}: not found in {self.description}: {message}")
        if code == 409:
            return ConflictError(f"cannot {verb} {what}: conflict: {message}")
        if code == 422:
            return InvalidObjectError(f"cannot {verb} {what}: the server refused it as invalid: {message}")
        if code in TRANSIENT:
            return UnreachableError(
                f"cannot {verb} {what}: {self.description} answered {code} after {attempts} attempts: {message}"
            )
        return ClusterError(f"cannot {verb} {what}: {self.description} answered {code}: {message}")


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


def _cluster(kind: str) -> bool:
    return kind == Kind.CLUSTER_WORKFLOW_TEMPLATE


def _server_message(err: ApiException) -> str:
    """The ``message`` of the Status the server answered, else the HTTP reason."""
    body: object = err.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body:
        try:
            status = json.loads(body)
        except ValueError:
            return body.strip()[:300]
        if isinstance(status, dict) and status.get("message"):
            return str(status["message"])
    return str(err.reason or f"HTTP {err.status}")


def _retry_after(err: ApiException) -> float | None:
    headers = err.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _transport_reason(err: BaseException) -> str:
    reason = getattr(err, "reason", None)
    text = str(reason or err)
    return text.split(": ", 1)[-1] if "object at 0x" in text else text


def _same_content(live: Obj, sent: Obj) -> bool:
    """Whether ``live`` holds what ``sent`` asked for (labels, annotations and everything but metadata)."""

    def part(obj: Obj) -> tuple[Any, ...]:
        meta = obj.get("metadata") or {}
        rest = {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}
        return (meta.get("labels") or {}, meta.get("annotations") or {}, rest)

    return part(live) == part(sent)
