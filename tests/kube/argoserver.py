"""A fake Argo Server over a :class:`~tests.kube.server.KubeServer`'s store, for the Argo Server transport.

It serves the routes ``argo`` (and :mod:`wfsync.cluster.argo_server`) use: create, get, the
``workflow-events`` and ``log`` server-sent event streams, and stop, with Argo's token auth,
grpc-gateway error bodies (``{"code": N, "message": ...}`` with the matching HTTP status) and
Argo's validation messages for the two mistakes users make most (no entrypoint, an undefined
template). Workflows live in the KubeServer's store, so a test controller writing status there is
seen here, as a real Argo Server reads the same API server as the controller. Watches poll the
store every ``poll`` seconds (20 ms), so writes closer together than that reach a watcher as one
event (a real watch sends each); every event still carries a newer resourceVersion than the last.

Test hooks: :meth:`FakeArgoServer.forbid` (403 in a namespace), :meth:`~FakeArgoServer.expire_before`
(watches from older versions get the API's 410 relayed as a stream error),
:meth:`~FakeArgoServer.set_log` (pod logs, followed until ``done``), :meth:`~FakeArgoServer.offload`
(node status moved to the "database", hydrated on the way out), :meth:`~FakeArgoServer.fail` (5xx).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import random
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.kube.server import KubeServer

Obj = dict[str, Any]

DEFAULT_ARGO_TOKEN = "argo-test-token"
TOKEN_INVALID = "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/"
"""What Argo's gatekeeper answers (code 16) to a missing or wrong token."""

SERVICE_ACCOUNT = "system:serviceaccount:argo:argo-server"
_HTTP_BY_GRPC = {3: 400, 5: 404, 6: 409, 7: 403, 13: 500, 14: 503, 16: 401}
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # what the API server's generateName suffix uses


@dataclasses.dataclass
class Recorded:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, str]
    authorization: str
    accept: str
    body: Any
    status: int = 0


@dataclasses.dataclass
class _Log:
    lines: list[str]
    done: bool
    error: tuple[int, str] | None = None


@dataclasses.dataclass
class _Failure:
    code: int
    count: int | None
    path: str | None


class _Error(Exception):
    """A grpc-gateway error answer."""

    def __init__(self, grpc: int, message: str) -> None:
        super().__init__(message)
        self.grpc, self.message = grpc, message


class FakeArgoServer:
    """A loopback Argo Server (HTTP, thread) over ``kube``'s store; ``token=""`` turns auth off."""

    def __init__(
        self,
        kube: KubeServer,
        token: str = DEFAULT_ARGO_TOKEN,
        *,
        poll: float = 0.02,
        base_href: str = "",
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.kube = kube
        self.tls = tls
        """A certificate and key to serve https with (see :func:`self_signed`); plain http when None."""
        self.base_href = [p for p in base_href.split("/") if p]
        """Path segments the server is mounted under (``--basehref``); other paths are 404."""
        self.token = token
        self.poll = poll
        self.requests: list[Recorded] = []
        self.stops: list[Obj] = []
        self.forbidden: set[str] = set()
        self.expired_before = 0
        self.expiry_as_event = False
        """Relay an expired watch as an ``ERROR`` result carrying the API's 410 Status, not a stream error."""
        self.cut_streams_after: int | None = None
        """Drop the connection of every stream after this many events, with no end of the stream."""
        self.watch_close_after: float | None = None
        """Seconds after which the server ends every watch stream (as a real one does on its timeout)."""
        self._logs: dict[tuple[str, str, str], _Log] = {}
        self._offloaded: dict[tuple[str, str, str], Obj] = {}
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeArgoServer:
        """Listen on a free port of 127.0.0.1 and serve from a daemon thread."""
        handler = type("BoundArgoHandler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            # A client that refuses the certificate fails in accept(), an OSError the server ignores.
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.02,), name="fake-argo-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeArgoServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``, what ``ARGO_SERVER`` holds."""
        if self._httpd is None:
            raise RuntimeError("the fake Argo Server is not running")
        return f"127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (``https://`` when serving TLS)."""
        return f"{'https' if self.tls else 'http'}://{self.address}"

    def env(self, **extra: str) -> dict[str, str]:
        """The variables the argo CLI would need for this server (this token; TLS unverified when served)."""
        env = {"ARGO_SERVER": self.address}
        env.update({"ARGO_INSECURE_SKIP_VERIFY": "true"} if self.tls else {"ARGO_SECURE": "false"})
        if self.token:
            env["ARGO_TOKEN"] = self.token
        env.update(extra)
        return env

    # -- test hooks ------------------------------------------------------------------------------

    def forbid(self, namespace: str) -> None:
        """Answer 403 PermissionDenied to everything in ``namespace``."""
        self.forbidden.add(namespace)

    def expire_before(self, resource_version: str | int) -> None:
        """Watches from a resourceVersion below this one get 'too old resource version'."""
        self.expired_before = int(resource_version)

    def set_log(
        self, namespace: str, pod: str, lines: Iterable[str], done: bool = True, container: str = "main"
    ) -> None:
        """The pod container's log so far; a follow streams what is added until ``done``."""
        with self._lock:
            self._logs[(namespace, pod, container)] = _Log(list(lines), done)

    def append_log(
        self, namespace: str, pod: str, lines: Iterable[str], done: bool = False, container: str = "main"
    ) -> None:
        """Add lines to a pod's log (created when absent); ``done`` ends follows once they are sent."""
        with self._lock:
            log = self._logs.setdefault((namespace, pod, container), _Log([], False))
            log.lines.extend(lines)
            log.done = done

    def offload(self, namespace: str, name: str, nodes: Obj) -> str:
        """Move ``nodes`` to the offload "database": the stored Workflow keeps only the version.

        Returns the ``status.offloadNodeStatusVersion`` written. Reads through this server merge
        the nodes back, as the real server's hydrator does; the Kubernetes API shows none.
        """
        stored = self.kube.get("workflows", namespace, name)
        if stored is None:
            raise KeyError(f"no workflow {namespace}/{name} to offload")
        digest = hashlib.sha256(json.dumps(nodes, sort_keys=True).encode()).hexdigest()[:16]
        version = f"fnv:{int(digest, 16) % 4294967296}"
        with self._lock:
            self._offloaded[(namespace, name, version)] = copy.deepcopy(nodes)
        status = stored.setdefault("status", {})
        status.pop("nodes", None)
        status["offloadNodeStatusVersion"] = version
        self.kube.put(stored)
        return version

    def break_log(self, namespace: str, pod: str, code: int, message: str, container: str = "main") -> None:
        """End the pod's log stream, after its lines, with a grpc-gateway error chunk (a pod deleted meanwhile)."""
        with self._lock:
            log = self._logs.setdefault((namespace, pod, container), _Log([], False))
            log.error = (code, message)

    def keep_offloaded(self, namespace: str, name: str, version: str, nodes: Obj) -> None:
        """Hold nodes a controller offloaded under ``version`` (the test controller's ``on_offload`` hook)."""
        with self._lock:
            self._offloaded[(namespace, name, version)] = copy.deepcopy(nodes)

    def pod_log(self, namespace: str, pod: str, container: str, lines: list[str]) -> None:
        """A finished pod's whole log (the test controller's ``on_pod`` hook)."""
        self.set_log(namespace, pod, lines, done=True, container=container)

    def fail(self, code: int = 503, count: int | None = 1, path: str | None = None) -> None:
        """Answer the next ``count`` requests (whose path contains ``path``) with this HTTP error."""
        with self._lock:
            self._failures.append(_Failure(code, count, path))

    def hydrate(self, obj: Obj) -> Obj:
        """``obj`` with its offloaded nodes merged back, as the real server answers it."""
        status = obj.get("status")
        if not isinstance(status, dict) or not status.get("offloadNodeStatusVersion"):
            return obj
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace")), str(meta.get("name")), str(status["offloadNodeStatusVersion"]))
        with self._lock:
            nodes = self._offloaded.get(key)
        if nodes is not None:
            obj = copy.deepcopy(obj)
            obj["status"]["nodes"] = copy.deepcopy(nodes)
        return obj

    # -- request handling (handler threads) ------------------------------------------------------

    def _failure(self, path: str) -> int | None:
        with self._lock:
            for failure in self._failures:
                if failure.path is not None and failure.path not in path:
                    continue
                if failure.count is not None:
                    if failure.count <= 0:
                        continue
                    failure.count -= 1
                return failure.code
        return None

    def _check(self, authorization: str, namespace: str, verb: str, resource: str) -> None:
        if self.token and authorization != f"Bearer {self.token}":
            raise _Error(16, TOKEN_INVALID)
        if namespace in self.forbidden:
            group = ' in API group "argoproj.io"' if resource == "workflows" else ' in API group ""'
            full = "workflows.argoproj.io" if resource == "workflows" else resource
            raise _Error(
                7,
                f'{full} is forbidden: User "{SERVICE_ACCOUNT}" cannot {verb} resource "{resource}"'
                f'{group} in the namespace "{namespace}"',
            )

    def _served(self, verb: str) -> None:
        """The API server's answer, relayed by Argo, when the Workflow CRD is not installed."""
        if "workflows" not in {res.plural for res in self.kube.installed}:
            raise _Error(
                5, f"the server could not find the requested resource ({verb} workflows.argoproj.io)"
            )

    def _workflow(self, namespace: str, name: str) -> Obj:
        self._served("get")
        found = self.kube.get("workflows", namespace, name)
        if found is None:
            raise _Error(5, f'workflows.argoproj.io "{name}" not found')
        return found

    def create(self, namespace: str, body: Any) -> Obj:
        """POST /api/v1/workflows/{ns}: validate as Argo does, then create in the store."""
        if not isinstance(body, dict) or not isinstance(body.get("workflow"), dict):
            raise _Error(3, "unable to get a workflow")  # what Argo says when the body has none
        workflow = copy.deepcopy(body["workflow"])
        meta = workflow.setdefault("metadata", {})
        if meta.get("namespace") not in (None, "", namespace):
            raise _Error(
                3,
                "the namespace of the provided object does not match the namespace sent on the request",
            )
        meta["namespace"] = namespace
        workflow.setdefault("apiVersion", "argoproj.io/v1alpha1")
        workflow.setdefault("kind", "Workflow")
        if workflow.get("kind") != "Workflow":
            raise _Error(3, f"the object is a {workflow.get('kind')}, not a Workflow")
        validate_workflow(self.kube, namespace, workflow)
        self._served("post")
        with self._lock:
            name = str(meta.get("name") or "")
            if not name:
                prefix = str(meta.get("generateName") or "")
                if not prefix:
                    raise _Error(
                        3,
                        'Workflow.argoproj.io "" is invalid: metadata.name: Required value: '
                        "name or generateName is required",
                    )
                for _ in range(20):
                    name = prefix + "".join(random.choice(_NAME_CHARS) for _ in range(5))
                    if self.kube.get("workflows", namespace, name) is None:
                        break
                meta["name"] = name
            if self.kube.get("workflows", namespace, name) is not None:
                raise _Error(6, f'workflows.argoproj.io "{name}" already exists')
            return self.kube.put(workflow)

    def stop_workflow(self, namespace: str, name: str, body: Any) -> Obj:
        """PUT .../stop: ``spec.shutdown: Stop`` in the store (the controller does the rest)."""
        stored = self._workflow(namespace, name)
        with self._lock:
            self.stops.append(body if isinstance(body, dict) else {})
        stored.setdefault("spec", {})["shutdown"] = "Stop"
        return self.hydrate(self.kube.put(stored))

    def watch_events(self, namespace: str, query: dict[str, str], alive: threading.Event) -> Iterator[Obj]:
        """The payloads of a workflow-events stream (``{"result": ...}`` or one ``{"error": ...}``)."""
        selector = query.get("listOptions.fieldSelector", "")
        name = selector.split("metadata.name=", 1)[1].split(",", 1)[0] if "metadata.name=" in selector else ""
        raw_rv = query.get("listOptions.resourceVersion", "") or "0"
        try:
            since = int(raw_rv)
        except ValueError:
            yield {"error": {"code": 3, "message": f'invalid resource version "{raw_rv}"', "details": []}}
            return
        if 0 < since < self.expired_before:
            current = self.kube.store.resource_version
            message = f"too old resource version: {since} ({current})"
            if self.expiry_as_event:
                status = {
                    "kind": "Status",
                    "status": "Failure",
                    "message": message,
                    "reason": "Expired",
                    "code": 410,
                }
                yield {"result": {"type": "ERROR", "object": status}}
                return
            yield {
                "error": {
                    "code": 3,
                    "message": f"too old resource version: {since} ({current})",
                    "details": [],
                }
            }
            return
        timeout = float(query.get("listOptions.timeoutSeconds") or 0) or None
        limits = [t for t in (timeout, self.watch_close_after) if t]
        deadline = time.monotonic() + min(limits) if limits else None
        seen: Obj | None = self.kube.get("workflows", namespace, name) if name else None
        existed = seen is not None
        last = since
        if since == 0 and seen is not None:  # no version: the current state first, as the API does
            last = int(seen["metadata"]["resourceVersion"])
            yield {"result": {"type": "ADDED", "object": self.hydrate(seen)}}
        while alive.is_set() and (deadline is None or time.monotonic() < deadline):
            current = self.kube.get("workflows", namespace, name)
            if current is None:
                if seen is not None and existed:
                    yield {"result": {"type": "DELETED", "object": self.hydrate(seen)}}
                    existed = False
                seen = None
            else:
                rv = int(current["metadata"]["resourceVersion"])
                if rv > last:
                    kind = "MODIFIED" if existed else "ADDED"
                    existed, seen, last = True, current, rv
                    yield {"result": {"type": kind, "object": self.hydrate(current)}}
                    continue
            time.sleep(self.poll)

    def log_lines(
        self, namespace: str, name: str, query: dict[str, str], alive: threading.Event
    ) -> Iterator[Obj]:
        """The payloads of a pod log stream: ``{"result": {"content": line, "podName": pod}}``."""
        pod = query.get("podName", "")
        container = query.get("logOptions.container", "main") or "main"
        follow = query.get("logOptions.follow", "").lower() == "true"
        sent = 0
        while True:
            with self._lock:
                log = self._logs.get((namespace, pod, container))
                lines = list(log.lines[sent:]) if log is not None else []
                done = log.done if log is not None else True
                error = log.error if log is not None else None
            for line in lines:
                yield {"result": {"content": line, "podName": pod}}
            sent += len(lines)
            if error is not None:
                yield {"error": {"code": error[0], "message": error[1], "details": []}}
                return
            if done or not follow or not alive.is_set():
                return
            time.sleep(self.poll)

    def has_log(self, namespace: str, pod: str, container: str) -> bool:
        with self._lock:
            return (namespace, pod, container) in self._logs


def self_signed(folder: Path) -> tuple[Path, Path] | None:
    """A self-signed certificate for 127.0.0.1 and its key (made by ``openssl``); None without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "argo-server.crt", folder / "argo-server.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


def validate_workflow(kube: KubeServer, namespace: str, workflow: Obj) -> None:
    """Argo's checks for an entrypoint and for templates that exist, with Argo's messages."""
    spec = workflow.get("spec")
    if not isinstance(spec, dict):
        raise _Error(3, "spec.entrypoint is required")
    ref = spec.get("workflowTemplateRef")
    if isinstance(ref, dict):
        cluster = bool(ref.get("clusterScope"))
        plural = "clusterworkflowtemplates" if cluster else "workflowtemplates"
        found = kube.get(plural, None if cluster else namespace, str(ref.get("name") or ""))
        if found is None:
            raise _Error(3, f'{plural}.argoproj.io "{ref.get("name")}" not found')
        templates = (found.get("spec") or {}).get("templates") or []
        entrypoint = spec.get("entrypoint") or (found.get("spec") or {}).get("entrypoint")
    else:
        templates = spec.get("templates") or []
        entrypoint = spec.get("entrypoint")
    if not entrypoint:
        raise _Error(3, "spec.entrypoint is required")
    by_name = {str(t.get("name")): t for t in templates if isinstance(t, dict)}
    visited: set[str] = set()

    def check(template_name: str) -> None:
        template = by_name.get(template_name)
        if template is None:
            raise _Error(3, f"template name '{template_name}' undefined")
        if template_name in visited:
            return
        visited.add(template_name)
        for index, group in enumerate(template.get("steps") or []):
            for step in group if isinstance(group, list) else []:
                holder(step, f"templates.{template_name}.steps[{index}].{step.get('name')}")
        for task in (template.get("dag") or {}).get("tasks") or []:
            holder(task, f"templates.{template_name}.tasks.{task.get('name')}")

    def holder(step: Obj, prefix: str) -> None:
        try:
            if isinstance(step.get("templateRef"), dict):
                template_ref(kube, namespace, step["templateRef"])
            elif step.get("template"):
                check(str(step["template"]))
        except _Error as err:
            raise _Error(3, f"{prefix} {err.message}") from None

    check(str(entrypoint))
    for extra in by_name:  # Argo validates every template, not only those reached
        try:
            check(extra)
        except _Error as err:
            raise _Error(3, f"templates.{extra} {err.message}") from None


def template_ref(kube: KubeServer, namespace: str, ref: Obj) -> None:
    """A step's templateRef must name a template of an existing (Cluster)WorkflowTemplate."""
    cluster = bool(ref.get("clusterScope"))
    plural = "clusterworkflowtemplates" if cluster else "workflowtemplates"
    found = kube.get(plural, None if cluster else namespace, str(ref.get("name") or ""))
    names = {t.get("name") for t in ((found or {}).get("spec") or {}).get("templates") or []}
    if found is None or ref.get("template") not in names:
        raise _Error(3, f"template reference {ref.get('name')}.{ref.get('template')} not found")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeArgoServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def _serve(self) -> None:
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        parts = [unquote(p) for p in split.path.split("/") if p]
        if self.fake.base_href:
            mounted = parts[: len(self.fake.base_href)] == self.fake.base_href
            parts = parts[len(self.fake.base_href) :] if mounted else ["not-mounted"]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 16 * 1024 * 1024)) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = Recorded(
            self.command,
            split.path,
            query,
            self.headers.get("Authorization", ""),
            self.headers.get("Accept", ""),
            body,
        )
        with self.fake._lock:
            self.fake.requests.append(record)
        try:
            failed = self.fake._failure(split.path)
            if failed is not None:
                grpc = {500: 13, 503: 14, 502: 14, 504: 4}.get(failed, 2)
                record.status = failed
                self._json(failed, {"code": grpc, "message": f"injected {failed}", "details": []})
                return
            self._route(record, parts, query, body)
        except _Error as err:
            status = _HTTP_BY_GRPC.get(err.grpc, 500)
            record.status = status
            self._json(status, {"code": err.grpc, "message": err.message, "details": []})
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self, record: Recorded, parts: list[str], query: dict[str, str], body: Any) -> None:
        fake = self.fake
        auth = record.authorization
        if parts[:3] == ["api", "v1", "workflows"] and len(parts) == 4 and self.command == "POST":
            fake._check(auth, parts[3], "create", "workflows")
            self._ok(record, fake.create(parts[3], body))
        elif parts[:3] == ["api", "v1", "workflows"] and len(parts) == 5 and self.command == "GET":
            fake._check(auth, parts[3], "get", "workflows")
            self._ok(record, fake.hydrate(fake._workflow(parts[3], parts[4])))
        elif parts[:3] == ["api", "v1", "workflows"] and parts[5:] == ["stop"] and self.command == "PUT":
            fake._check(auth, parts[3], "update", "workflows")
            self._ok(record, fake.stop_workflow(parts[3], parts[4], body))
        elif parts[:3] == ["api", "v1", "workflows"] and parts[5:] == ["log"] and self.command == "GET":
            namespace, name = parts[3], parts[4]
            fake._check(auth, namespace, "get", "pods/log")
            fake._workflow(namespace, name)
            pod, container = query.get("podName", ""), query.get("logOptions.container", "main") or "main"
            if not fake.has_log(namespace, pod, container):
                raise _Error(5, f'pods "{pod}" not found')
            self._stream(record, lambda alive: fake.log_lines(namespace, name, query, alive))
        elif parts[:3] == ["api", "v1", "workflow-events"] and len(parts) == 4 and self.command == "GET":
            namespace = parts[3]
            fake._check(auth, namespace, "watch", "workflows")
            selector = query.get("listOptions.fieldSelector", "")
            if selector.startswith("metadata.name="):
                fake._workflow(namespace, selector.split("=", 1)[1])  # Argo gets it first (aliases)
            self._stream(record, lambda alive: fake.watch_events(namespace, query, alive))
        else:
            raise _Error(5, "Not Found")  # grpc-gateway's answer to an unknown route

    def _ok(self, record: Recorded, obj: Obj) -> None:
        record.status = 200
        self._json(200, obj)

    def _json(self, status: int, body: Obj) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _stream(self, record: Recorded, events: Any) -> None:
        """Server-sent events, chunked, as grpc-gateway's streaming answers are."""
        record.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        alive = threading.Event()
        alive.set()
        try:
            for sent, payload in enumerate(events(alive), start=1):
                self._chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")
                if self.fake.cut_streams_after is not None and sent >= self.fake.cut_streams_after:
                    alive.clear()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            alive.clear()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()
