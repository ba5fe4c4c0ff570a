"""A Kubernetes API server for tests: stdlib HTTP on 127.0.0.1, in a background thread.

It speaks enough of the real API for the official Python client and the ``kubectl`` binary:
discovery, CRUD of the Argo custom resources and of core ``v1`` ConfigMaps (``/api/v1``, for
resource templates) and Pods with resourceVersion semantics, label selectors, watches (chunked
JSON event streams replayed from a bounded history, 410 Expired past it), pod logs (followed as
tests append to them), ``dryRun=All``, RBAC-like denials, validation hooks, Table output, and
injected faults. Every request is logged with its Kubernetes verb so tests can count what a client sent.

Usage::

    with KubeServer() as server:
        config = server.write_kubeconfig(tmp_path / "kubeconfig")
        server.put({"kind": "WorkflowTemplate", "metadata": {"name": "a", "namespace": "ci"}, "spec": {}})
        ...
        assert server.log.count("list") == 1
"""

from __future__ import annotations

import datetime
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.kube import discovery, openapi, status
from tests.kube.faults import Fault, Faults
from tests.kube.podlogs import PodLogs
from tests.kube.requestlog import RequestLog, RequestRecord
from tests.kube.resources import ARGO_RESOURCES, BY_PLURAL, CORE_BY_PLURAL, CORE_RESOURCES, POD, ResourceType
from tests.kube.schema import VALIDATION_MODES
from tests.kube.selectors import SelectorError, field_matcher, label_matcher
from tests.kube.status import ApiError
from tests.kube.store import JSON_PATCH, MERGE_PATCH, Obj, Store
from tests.kube.validation import Validator
from tests.kube.watch import BOOKMARK, DELETED, ERROR, Batch, Change, event_for, expired_status

DEFAULT_TOKEN = "wfsync-test-token"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
DEFAULT_USER = "wfsync-test"


@dataclass(frozen=True)
class ForbidRule:
    """Deny matching requests with 403, as RBAC would for a missing Role binding.

    ``namespace`` ``None`` denies the cluster scope (cluster-scoped kinds and all-namespace lists);
    ``verbs`` and ``resources`` ``None`` mean all of them.
    """

    namespace: str | None
    verbs: frozenset[str] | None = None
    resources: frozenset[str] | None = None

    def denies(self, verb: str, resource: str, namespace: str | None) -> bool:
        """Whether this rule forbids the request."""
        return (
            self.namespace == namespace
            and (self.verbs is None or verb in self.verbs)
            and (self.resources is None or resource in self.resources)
        )


@dataclass(frozen=True)
class Grant:
    """One RBAC rule bound to the user: in a namespace (a Role) or everywhere (``None``, a ClusterRole).

    Once any grant is made the server authorises like RBAC: what no grant allows is a 403.
    ``verbs`` and ``resources`` ``None`` mean all of them.
    """

    namespace: str | None
    verbs: frozenset[str] | None = None
    resources: frozenset[str] | None = None

    def allows(self, verb: str, resource: str, namespace: str | None) -> bool:
        """Whether this rule lets the request through."""
        return (
            (self.namespace is None or self.namespace == namespace)
            and (self.verbs is None or verb in self.verbs)
            and (self.resources is None or resource in self.resources)
        )


@dataclass
class _Route:
    """A parsed request path."""

    verb: str
    resource: ResourceType | None = None
    plural: str | None = None
    namespace: str | None = None
    name: str | None = None


class _Answer(Exception):
    """A success answer with another status than 200 (201 Created), thrown out of request handling."""

    def __init__(self, body: Obj, code: int = 200) -> None:
        super().__init__(code)
        self.body, self.code = body, code


class _Stream(Exception):
    """A 200 answer streamed in chunks as they come (a watch, a followed log), thrown out of request handling."""

    def __init__(self, chunks: Iterator[bytes], content_type: str) -> None:
        super().__init__(content_type)
        self.chunks, self.content_type = chunks, content_type


class KubeServer:
    """A loopback API server with a store, a request log, fault injection and kubeconfig output.

    A wrong bearer token is always 401. A missing one is accepted as ``system:anonymous`` unless
    ``require_auth``: kubectl (client-go) sends no credentials over plain http, the Python client does.
    """

    def __init__(
        self,
        crds: Iterable[ResourceType | str] = ARGO_RESOURCES,
        *,
        token: str = DEFAULT_TOKEN,
        user: str = DEFAULT_USER,
        require_auth: bool = False,
    ) -> None:
        self.store = Store()
        self.pod_logs = PodLogs()
        self._follow_store()
        self.log = RequestLog()
        self.faults = Faults()
        self.forbidden: list[ForbidRule] = []
        self.grants: list[Grant] = []
        self.schemas: dict[str, Obj] = {}
        self.token, self.user, self.require_auth = token, user, require_auth
        self._installed: dict[str, ResourceType] = {}
        for crd in crds:
            self.install_crd(crd)
        self._default_crds = self.installed
        self._started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> KubeServer:
        """Listen on a free port of 127.0.0.1 and serve from a daemon thread."""
        handler = type("BoundHandler", (_Handler,), {"server_api": self})
        self._httpd = _HTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.02,), name="kube-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call twice."""
        self.end_watches()
        self.pod_logs.close_all()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> KubeServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def write_kubeconfig(
        self,
        path: Path,
        *,
        namespace: str = "default",
        context: str = "wfsync-test",
        token: str | None = None,
    ) -> Path:
        """A kubeconfig with one context pointing here over plain http, authenticated by a bearer token."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": self.url}}],
            "users": [{"name": self.user, "user": {"token": self.token if token is None else token}}],
            "contexts": [
                {"name": context, "context": {"cluster": context, "user": self.user, "namespace": namespace}}
            ],
            "current-context": context,
            "preferences": {},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    def reset(self) -> None:
        """Back to a fresh server on the same port: empty store and log, no faults, rules or validators."""
        self.end_watches()
        self.pod_logs.close_all()
        self.store = Store()
        self.pod_logs = PodLogs()
        self._follow_store()
        self.log.clear()
        self.faults.clear()
        self.forbidden.clear()
        self.grants.clear()
        self.store.schemas = dict(self.schemas)
        self._installed = {res.plural: res for res in self._default_crds}

    # -- configuration -------------------------------------------------------------------------

    def install_crd(self, crd: ResourceType | str) -> None:
        """Serve a resource (by type or Argo plural); it appears in discovery."""
        res = BY_PLURAL[crd] if isinstance(crd, str) else crd
        self._installed[res.plural] = res

    def uninstall_crd(self, plural: str) -> None:
        """Stop serving a resource: 404 for its paths, gone from discovery (stored objects are kept)."""
        self._installed.pop(plural, None)

    @property
    def installed(self) -> list[ResourceType]:
        """The served resources."""
        return list(self._installed.values())

    def forbid(
        self,
        namespace: str | None,
        verbs: Iterable[str] | None = None,
        resources: Iterable[str] | None = None,
    ) -> ForbidRule:
        """Deny requests in a namespace (``None``: at cluster scope), optionally only some verbs/resources."""
        rule = ForbidRule(
            namespace,
            frozenset(verbs) if verbs is not None else None,
            frozenset(resources) if resources is not None else None,
        )
        self.forbidden.append(rule)
        return rule

    def grant(
        self,
        namespace: str | None,
        verbs: Iterable[str] | None = None,
        resources: Iterable[str] | None = None,
    ) -> Grant:
        """Allow requests as a Role in ``namespace`` (``None``: a ClusterRole) would; from then on, RBAC
        is on and everything no grant allows is forbidden (discovery stays open, as for system:authenticated)."""
        rule = Grant(
            namespace,
            frozenset(verbs) if verbs is not None else None,
            frozenset(resources) if resources is not None else None,
        )
        self.grants.append(rule)
        return rule

    def use_schemas(self, schemas: dict[str, Obj]) -> None:
        """Apply these structural schemas (by plural) to writes, as the CRDs would (kept across resets)."""
        self.schemas = dict(schemas)
        self.store.schemas = dict(schemas)

    def add_validator(self, validator: Validator) -> None:
        """Reject objects on create, update and patch when the hook returns field errors (422)."""
        self.store.validators.append(validator)

    @property
    def latency(self) -> float:
        """Seconds added to every request."""
        return self.faults.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.faults.latency = seconds

    def fail(
        self,
        code: int = 503,
        count: int | None = 1,
        verb: str | None = None,
        path: str | None = None,
        dry_run: bool | None = None,
    ) -> Fault:
        """Answer the next ``count`` matching requests (``None``: all of them) with an error Status.

        ``dry_run`` False hits only real writes, True only dry runs.
        """
        return self.faults.add(Fault("status", code=code, count=count, verb=verb, path=path, dry_run=dry_run))

    def drop(self, count: int | None = 1, verb: str | None = None, path: str | None = None) -> Fault:
        """Close the connection without any answer for the next ``count`` matching requests."""
        return self.faults.add(Fault("drop", count=count, verb=verb, path=path))

    def lose_answer(self, count: int | None = 1, verb: str | None = None, path: str | None = None) -> Fault:
        """Do the next ``count`` matching requests, then close the connection without answering them."""
        return self.faults.add(Fault("lose", count=count, verb=verb, path=path))

    def throttle(
        self, count: int | None = 1, retry_after: int = 1, verb: str | None = None, path: str | None = None
    ) -> Fault:
        """Answer 429 TooManyRequests with ``Retry-After`` to the next ``count`` matching requests."""
        return self.faults.add(
            Fault("throttle", code=429, count=count, verb=verb, path=path, retry_after=retry_after)
        )

    def delay(
        self, seconds: float, count: int | None = None, verb: str | None = None, path: str | None = None
    ) -> Fault:
        """Add latency to matching requests only."""
        return self.faults.add(Fault("delay", count=count, verb=verb, path=path, seconds=seconds))

    # -- state, bypassing HTTP -----------------------------------------------------------------

    def put(self, obj: Obj) -> Obj:
        """Store an object as another client would (see :meth:`Store.put`)."""
        return self.store.put(obj)

    def get(self, plural: str, namespace: str | None, name: str) -> Obj | None:
        """The stored object, or None."""
        return self.store.peek(plural, namespace, name)

    def objects(self, plural: str | None = None, namespace: str | None = None) -> list[Obj]:
        """Stored objects, sorted."""
        return self.store.objects(plural, namespace)

    # -- watches -------------------------------------------------------------------------------

    def compact(self) -> None:
        """Forget the watch history, as etcd's compaction does: watches and continue tokens from
        older versions are answered 410 Expired."""
        self.store.history.compact()

    def end_watches(self) -> None:
        """Close every open watch stream, as the server's watch timeout does."""
        self.store.history.end_all()

    def expire_watches(self) -> None:
        """Send every open watch a 410 ERROR event and close it (a watcher that fell behind the window)."""
        self.store.history.expire_all()

    def bookmark_watches(self) -> None:
        """Send a BOOKMARK with the current resourceVersion to every open watch that allows bookmarks."""
        self.store.history.bookmark_all()

    # -- pods and their logs -------------------------------------------------------------------

    def add_pod(
        self, namespace: str, name: str, containers: Iterable[str] = ("main",), phase: str = "Running"
    ) -> Obj:
        """Store a Pod with these containers (as Argo's controller would create one) and empty logs."""
        names = list(containers)
        return self.put(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"containers": [{"name": c, "image": "busybox"} for c in names]},
                "status": {"phase": phase},
            }
        )

    def append_log(self, namespace: str, pod: str, container: str, text: str) -> None:
        """The container wrote ``text``; following readers get it at once."""
        self.pod_logs.append((namespace, pod, container), text)

    def end_log(self, namespace: str, pod: str, container: str) -> None:
        """The container exited: following readers get the rest and their stream ends."""
        self.pod_logs.end((namespace, pod, container))

    def _follow_store(self) -> None:
        """Deleting a pod ends its logs, whichever way it is deleted."""

        def listener(change: Change) -> None:
            if change.type == DELETED and change.plural == "pods":
                self.pod_logs.pod_gone(change.namespace, str(change.meta["name"]))

        self.store.history.listeners.append(listener)

    # -- request handling (called from handler threads) ----------------------------------------

    def route(self, method: str, path: str, query: dict[str, str]) -> _Route:
        """Parse a path into a Kubernetes verb and resource coordinates (``resource`` None: not served)."""
        parts = [p for p in path.split("/") if p]
        if method == "GET" and (
            not parts or parts[0] in ("version", "openapi", "healthz", "livez", "readyz")
        ):
            return _Route("discovery")
        if parts[:1] == ["api"]:
            return self._route_core(method, parts[1:], query)
        if parts[:1] != ["apis"]:
            return _Route("discovery" if method == "GET" else method.lower())
        if len(parts) <= 3:
            return _Route("discovery" if method == "GET" else method.lower())
        group, version, rest = parts[1], parts[2], parts[3:]
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural, name = rest[0], (rest[1] if len(rest) > 1 else None)
        res = self._installed.get(plural)
        route = _Route(_verb(method, name, query), None, plural, namespace, name)
        if res is not None and res.group == group and res.version == version and len(rest) <= 2:
            if res.namespaced or namespace is None:
                route.resource = res
        return route

    def _route_core(self, method: str, rest: list[str], query: dict[str, str]) -> _Route:
        if len(rest) >= 2 and rest[0] == "v1" and rest[1] == "namespaces" and len(rest) <= 3:
            name = rest[2] if len(rest) == 3 else None
            return _Route(_verb(method, name, query), None, "namespaces", None, name)
        if len(rest) >= 2 and rest[0] == "v1":  # /api/v1/[namespaces/<ns>/]<plural>[/<name>]
            namespace: str | None = None
            path = rest[1:]
            if path[0] == "namespaces" and len(path) >= 3:
                namespace, path = path[1], path[2:]
            if len(path) <= 2:
                name = path[1] if len(path) == 2 else None
                res = CORE_BY_PLURAL.get(path[0])
                return _Route(_verb(method, name, query), res, path[0], namespace, name)
            if path[0] == "pods" and len(path) == 3 and path[2] == "log" and namespace:
                verb = "get" if method == "GET" else method.lower()
                return _Route(verb, POD, "pods/log", namespace, path[1])
        return _Route("discovery" if method == "GET" else method.lower())

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        warnings: list[str] | None = None,
    ) -> Obj:
        """The JSON answer to one request, or an ApiError (``warnings`` collects Warning headers)."""
        route = self.route(method, path, query)
        credentials = headers.get("authorization")
        if credentials != f"Bearer {self.token}" and (credentials is not None or self.require_auth):
            raise ApiError(401, "Unauthorized")
        user = self.user if credentials else "system:anonymous"
        if route.verb == "discovery":
            return self._discovery(path)
        if route.plural == "namespaces":
            return self._namespaces(route)
        if route.plural is None:
            raise status.resource_not_found()
        denied_by_rule = any(
            rule.denies(route.verb, route.plural, route.namespace) for rule in self.forbidden
        )
        if denied_by_rule or (
            self.grants and not any(g.allows(route.verb, route.plural, route.namespace) for g in self.grants)
        ):
            if route.plural == "pods/log":
                raise _forbidden_log(user, route.namespace or "", route.name or "")
            denied = route.resource or _unknown(route.plural, path)
            raise status.forbidden(denied, route.verb, user, route.namespace, route.name)
        res = route.resource
        if res is None:
            raise status.resource_not_found()
        if route.plural == "pods/log" and route.verb == "get":
            raise self._pod_log(route.namespace or "", route.name or "", query)
        if route.verb == "watch":
            raise self._watch(res, route, query)
        dry_run = _dry_run(query, route.verb)
        validation = _field_validation(query)
        _field_manager(query)
        payload = _decode(body) if body else None
        if route.verb == "list":
            return self._list(res, route.namespace, query, headers)
        if route.verb == "get":
            obj = self.store.get(res, route.namespace, route.name or "")
            return self._maybe_table([obj], obj["metadata"], headers, query) or obj
        if route.verb == "create" and route.name is None:
            if res.namespaced and route.namespace is None:
                raise ApiError(
                    405, f"the server does not allow this method on the requested resource ({method})"
                )
            created = self.store.create(res, route.namespace, payload, dry_run, validation, warnings)
            raise _Answer(created, 201)
        if route.verb == "update" and route.name:
            return self.store.update(res, route.namespace, route.name, payload, dry_run, validation, warnings)
        if route.verb == "patch" and route.name:
            content_type = headers.get("content-type", "").split(";")[0].strip()
            if content_type == STRATEGIC_PATCH and not res.group:
                content_type = MERGE_PATCH  # the core kinds served here have no merge-keyed lists
            elif content_type == STRATEGIC_PATCH:  # custom resources take none, as on a real server
                raise ApiError(
                    415,
                    "the body of the request was in an unknown format - accepted media types include: "
                    f"{JSON_PATCH}, {MERGE_PATCH}, application/apply-patch+yaml",
                )
            elif content_type not in (MERGE_PATCH, JSON_PATCH):
                raise ApiError(
                    415,
                    f"the body of the request was in an unknown format ({content_type}) - this test server "
                    f"accepts {JSON_PATCH} and {MERGE_PATCH} (no strategic merge or server-side apply)",
                )
            return self.store.patch(
                res, route.namespace, route.name, content_type, payload, dry_run, validation, warnings
            )
        if route.verb == "delete" and route.name:
            gone = self.store.delete(res, route.namespace, route.name, payload, dry_run)
            if gone["metadata"].get("deletionTimestamp"):
                return gone  # waiting for finalizers: the server answers with the object
            return status.deleted(res, route.name, gone["metadata"].get("uid", ""))
        raise ApiError(405, f"the server does not allow this method on the requested resource ({route.verb})")

    def _discovery(self, path: str) -> Obj:
        path = "/" + path.strip("/")
        installed = self.installed
        found: Obj | None = None
        if path == "/version":
            found = discovery.version_info()
        elif path == "/api":
            found = discovery.core_versions(f"127.0.0.1:{self.port}")
        elif path == "/api/v1":
            found = discovery.core_resources(CORE_RESOURCES)
        elif path == "/apis":
            found = discovery.group_list(installed)
        elif path.startswith("/apis/") and path.count("/") == 2:
            found = discovery.group(installed, path.split("/")[2])
        elif path.startswith("/apis/") and path.count("/") == 3:
            found = discovery.resource_list(installed, path.split("/", 2)[2])
        elif path == "/openapi/v3":
            found = openapi.root(installed)
        elif path.startswith("/openapi/v3/apis/"):
            found = openapi.group_version(installed, path.removeprefix("/openapi/v3/apis/"))
        if found is None:
            raise status.resource_not_found()
        return found

    def _namespaces(self, route: _Route) -> Obj:
        names = self.store.known_namespaces()
        items = [
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": n, "creationTimestamp": self._started},
                "status": {"phase": "Active"},
            }
            for n in names
        ]
        if route.verb == "list":
            return {"apiVersion": "v1", "kind": "NamespaceList", "metadata": {}, "items": items}
        if route.verb == "get" and route.name in names:
            return items[names.index(route.name)]
        if route.verb == "get":
            raise ApiError(
                404,
                f'namespaces "{route.name}" not found',
                details={"name": route.name, "kind": "namespaces"},
            )
        raise ApiError(405, "namespaces are read-only on this test server")

    def _watch(self, res: ResourceType, route: _Route, query: dict[str, str]) -> _Stream:
        """A watch: ADDED for what exists (no resourceVersion, or ``0``), then the changes after it.

        A version older than the history window is a 200 stream whose one event is a 410 ERROR, as
        the real server answers; ``timeoutSeconds`` (or :meth:`end_watches`) ends the stream.
        """
        fields = query.get("fieldSelector", "")
        if route.name:  # the deprecated watch of one object's path
            fields = ",".join(filter(None, [fields, f"metadata.name={route.name}"]))
        try:
            labels_ok, fields_ok = label_matcher(query.get("labelSelector", "")), field_matcher(fields)
        except SelectorError as exc:
            raise status.bad_request(str(exc)) from exc
        raw_rv = query.get("resourceVersion", "")
        try:
            since = int(raw_rv or 0)
            timeout = int(query["timeoutSeconds"]) if query.get("timeoutSeconds") else None
        except ValueError as exc:
            raise status.bad_request(f"invalid watch parameter: {exc}") from exc
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        deadline = time.monotonic() + timeout if timeout is not None else None
        initial: list[Obj] = []
        if since == 0:
            current = self.store.list(res, route.namespace, query.get("labelSelector", ""), fields)
            initial, since = current.items, int(current.resource_version)
        batches = self.store.history.follow(since, deadline)  # from now: see History.follow
        return _Stream(
            _watch_events(res, route.namespace, batches, initial, bookmarks, labels_ok, fields_ok),
            "application/json",
        )

    def _pod_log(self, namespace: str, name: str, query: dict[str, str]) -> _Stream:
        """A container's log as text: 404 without the pod, 400 for a container it lacks."""
        pod = self.store.get(POD, namespace, name)
        containers = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or []]
        container = query.get("container") or ""
        if not container and len(containers) == 1:
            container = containers[0]
        elif not container:
            raise status.bad_request(
                f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
            )
        if container not in containers:
            raise status.bad_request(f"container {container} is not valid for pod {name}")
        if (pod.get("status") or {}).get("phase") == "Pending":
            raise status.bad_request(
                f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating'
            )
        try:
            tail_lines = int(query["tailLines"]) if query.get("tailLines") else None
        except ValueError as exc:
            raise status.bad_request(f"invalid tailLines: {query['tailLines']!r}") from exc
        follow = query.get("follow") in ("1", "true")
        text = self.pod_logs.read((namespace, name, container), follow=follow, tail_lines=tail_lines)
        return _Stream((part.encode() for part in text), "text/plain")

    def _list(
        self, res: ResourceType, namespace: str | None, query: dict[str, str], headers: dict[str, str]
    ) -> Obj:
        try:
            limit = int(query.get("limit") or 0)
        except ValueError as exc:
            raise status.bad_request(f"invalid limit: {query['limit']!r}") from exc
        result = self.store.list(
            res,
            namespace,
            label_selector=query.get("labelSelector", ""),
            field_selector=query.get("fieldSelector", ""),
            limit=limit,
            continue_token=query.get("continue", ""),
        )
        meta: Obj = {"resourceVersion": result.resource_version}
        if result.continue_token:
            meta["continue"] = result.continue_token
            meta["remainingItemCount"] = result.remaining
        table = self._maybe_table(result.items, meta, headers, query)
        if table is not None:
            return table
        return {
            "apiVersion": res.api_version,
            "kind": f"{res.kind}List",
            "metadata": meta,
            "items": result.items,
        }

    @staticmethod
    def _maybe_table(
        items: list[Obj], meta: Obj, headers: dict[str, str], query: dict[str, str]
    ) -> Obj | None:
        version = discovery.wants_table(headers.get("accept", ""))
        if version is None:
            return None
        list_meta = {
            k: v for k, v in meta.items() if k in ("resourceVersion", "continue", "remainingItemCount")
        }
        now = datetime.datetime.now(datetime.UTC)
        return discovery.table(items, list_meta, version, query.get("includeObject", "Metadata"), now)


def _watch_events(
    res: ResourceType,
    namespace: str | None,
    batches: Iterator[Batch],
    initial: list[Obj],
    bookmarks: bool,
    labels_ok: Callable[[Mapping[str, Any]], bool],
    fields_ok: Callable[[Mapping[str, Any]], bool],
) -> Iterator[bytes]:
    """The JSON lines of one watch."""

    def line(kind: str, raw: bytes) -> bytes:
        return b'{"type": "%s", "object": %s}\n' % (kind.encode(), raw)

    for obj in initial:
        yield line("ADDED", json.dumps(obj).encode())

    def matches(obj: Any) -> bool:
        return bool(labels_ok((obj.get("metadata") or {}).get("labels") or {}) and fields_ok(obj))

    for batch in batches:
        if batch.expired is not None:
            yield line(ERROR, json.dumps(expired_status(*batch.expired)).encode())
            return
        if batch.bookmark is not None and bookmarks:
            mark = {
                "kind": res.kind,
                "apiVersion": res.api_version,
                "metadata": {"resourceVersion": str(batch.bookmark)},
            }
            yield line(BOOKMARK, json.dumps(mark).encode())
        lines = [
            line(*event)
            for change in batch.changes
            if change.plural == res.plural and (event := event_for(change, namespace, matches)) is not None
        ]
        if lines:
            yield b"".join(lines)


def _forbidden_log(user: str, namespace: str, name: str) -> ApiError:
    """RBAC's wording for the ``pods/log`` subresource."""
    return ApiError(
        403,
        f'pods "{name}" is forbidden: User "{user}" cannot get resource "pods/log" in API group "" '
        f'in the namespace "{namespace}"',
        details={"name": name, "kind": "pods"},
    )


def _verb(method: str, name: str | None, query: dict[str, str]) -> str:
    if method == "GET":
        if query.get("watch") in ("1", "true"):
            return "watch"
        return "get" if name else "list"
    if method == "DELETE" and not name:
        return "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
        method, method.lower()
    )


def _unknown(plural: str, path: str) -> ResourceType:
    parts = [p for p in path.split("/") if p]
    group = parts[1] if len(parts) > 1 else ""
    return ResourceType(group, "", plural, plural, plural, True)


def _dry_run(query: dict[str, str], verb: str) -> bool:
    value = query.get("dryRun")
    if value is None or value == "":
        return False
    if value != "All":
        raise status.bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    if verb not in ("create", "update", "patch", "delete", "deletecollection"):
        raise status.bad_request(f"dryRun is not supported for {verb}")
    return True


def _field_validation(query: dict[str, str]) -> str:
    """``fieldValidation``: Warn when absent (the server's default since Kubernetes 1.27)."""
    value = query.get("fieldValidation") or "Warn"
    if value not in VALIDATION_MODES:
        raise status.bad_request(
            f'fieldValidation: Unsupported value: "{value}": supported values: "Ignore", "Strict", "Warn"'
        )
    return value


def _field_manager(query: dict[str, str]) -> None:
    manager = query.get("fieldManager")
    if manager is not None and len(manager) > 128:
        raise status.bad_request(
            f'fieldManager: Too long: may not be more than 128 bytes (got "{manager[:16]}...")'
        )


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise status.bad_request(f"the body of the request could not be decoded as JSON: {exc}") from exc


class _HTTPServer(ThreadingHTTPServer):
    """Quiet about clients that hang up (a closed watch or log stream): that is how they end them."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive like a real server, so clients reuse pooled connections."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes; no 40 ms delayed-ACK stalls
    server_api: KubeServer  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is the record."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        api = self.server_api
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
        headers = {key.lower(): value for key, value in self.headers.items()}
        body = self._read_body()
        route = api.route(self.command, url.path, query)
        delay, fault = api.faults.take(route.verb, url.path, query.get("dryRun") == "All")
        if delay:
            time.sleep(delay)
        extra: dict[str, str] = {}
        warnings: list[str] = []
        try:
            if fault is not None and fault.action == "drop":
                api.log.add(_record(self.command, url.path, query, route, 0))
                self.close_connection = True
                return
            if fault is not None and fault.action != "lose":
                raise _fault_error(fault)
            code, answer = 200, api.answer(self.command, url.path, query, headers, body, warnings)
        except _Answer as done:
            code, answer = done.code, done.body
        except _Stream as stream:
            api.log.add(_record(self.command, url.path, query, route, 200))
            self._stream(stream)
            return
        except ApiError as err:
            code, answer, extra = err.code, err.body(), err.headers
        except Exception as exc:
            code, answer = 500, ApiError(500, f"test server error: {exc!r}").body()
        api.log.add(_record(self.command, url.path, query, route, code))
        if fault is not None and fault.action == "lose":  # done, but the answer never reaches the client
            self.close_connection = True
            return
        data = json.dumps(answer).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for key, value in extra.items():
            self.send_header(key, value)
        for warning in warnings:  # one header each, as the server sends them (RFC 7234 warn-code 299)
            self.send_header("Warning", '299 - "' + warning.replace("\\", "\\\\").replace('"', '\\"') + '"')
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, stream: _Stream) -> None:
        """Write the chunks as they come (chunked transfer encoding); a client gone ends it."""
        self.send_response(200)
        self.send_header("Content-Type", stream.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        try:
            for chunk in stream.chunks:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client hung up
            self.close_connection = True
        finally:
            close = getattr(stream.chunks, "close", None)
            if close is not None:
                close()


def _record(method: str, path: str, query: dict[str, str], route: _Route, code: int) -> RequestRecord:
    return RequestRecord(
        verb=route.verb,
        path=path,
        query=query,
        method=method,
        resource=route.plural,
        namespace=route.namespace,
        name=route.name,
        code=code,
    )


def _fault_error(fault: Fault) -> ApiError:
    if fault.action == "throttle":
        return ApiError(
            429,
            "Too many requests, please try again later.",
            details={"retryAfterSeconds": fault.retry_after},
            headers={"Retry-After": str(fault.retry_after)},
        )
    messages = {
        500: f"Internal error occurred: {fault.message}",
        503: f"service unavailable: {fault.message}",
        504: "Timeout: request did not complete within the allotted timeout",
    }
    return ApiError(fault.code, messages.get(fault.code, fault.message))


# -- as a process ---------------------------------------------------------------------------------

CONTROL_OPS = (
    "requests",
    "remove",
    "put",
    "compact",
    "end_watches",
    "expire_watches",
    "add_pod",
    "append_log",
    "end_log",
    "stop",
)


def control(server: KubeServer, command: dict[str, Any]) -> Any:
    """Answer one control command (see :func:`main`)."""
    op = command.get("op")
    if op == "requests":  # requests by verb since the last clear (and clear, if asked)
        verbs = dict(server.log.by_verb())
        if command.get("clear"):
            server.log.clear()
        return verbs
    if op == "remove":
        return server.store.remove(command["plural"], command.get("namespace"), command["name"])
    if op == "put":
        return server.put(command["object"])
    if op in ("compact", "end_watches", "expire_watches"):
        getattr(server, op)()
        return True
    if op == "add_pod":
        return server.add_pod(
            command["namespace"],
            command["name"],
            command.get("containers", ["main"]),
            command.get("phase", "Running"),
        )
    if op == "append_log":
        server.append_log(
            command["namespace"], command["pod"], command.get("container", "main"), command["text"]
        )
        return True
    if op == "end_log":
        server.end_log(command["namespace"], command["pod"], command.get("container", "main"))
        return True
    raise ValueError(f"unknown control op {op!r} (one of {', '.join(CONTROL_OPS)})")


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.kube.server [--kubeconfig PATH]``: serve from a process of its own.

    A real API server runs apart from its clients; in the same process its JSON work competes
    with the client's for the GIL, so benchmarks run it this way. Prints one JSON line
    ``{"port", "url", "kubeconfig"}``, then reads JSON commands from stdin, one per line, and
    answers each with one JSON line (``{"ok": ...}`` or ``{"error": ...}``): ``{"op": "requests",
    "clear": true}`` (requests by verb), ``{"op": "remove", "plural", "namespace", "name"}``,
    ``{"op": "put", "object"}``, ``{"op": "compact"|"end_watches"|"expire_watches"}``,
    ``{"op": "add_pod", "namespace", "name", "containers", "phase"}``, ``{"op": "append_log",
    "namespace", "pod", "container", "text"}``, ``{"op": "end_log", "namespace", "pod",
    "container"}``, ``{"op": "stop"}``. End of input stops it too.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.kube.server", description=main.__doc__)
    parser.add_argument("--kubeconfig", type=Path, help="write a kubeconfig for it here")
    parser.add_argument(
        "--argo-crds",
        action="store_true",
        help="apply Argo's full CRD schemas (defaults, pruning) from the corpus",
    )
    args = parser.parse_args(argv)
    server = KubeServer()
    if args.argo_crds:
        from tests.kube.schema import argo_schemas

        server.use_schemas(argo_schemas())
    server.start()
    try:
        if args.kubeconfig is not None:
            server.write_kubeconfig(args.kubeconfig)
        kubeconfig = str(args.kubeconfig) if args.kubeconfig else None
        print(json.dumps({"port": server.port, "url": server.url, "kubeconfig": kubeconfig}), flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                command = json.loads(line)
                if command.get("op") == "stop":
                    print(json.dumps({"ok": True}), flush=True)
                    break
                answer: dict[str, Any] = {"ok": control(server, command)}
            except Exception as exc:  # an answer, not a dead server: the caller decides
                answer = {"error": repr(exc)}
            print(json.dumps(answer), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
