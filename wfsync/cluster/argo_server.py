"""Argo Workflows through the Argo Server's HTTP API, configured as the ``argo`` CLI is.

The Argo Server fronts the Kubernetes API with its own routes and its own auth (``ARGO_TOKEN``),
which is what a user outside the cluster's RBAC often has. It also hydrates node status that the
controller offloaded to its database, which the Kubernetes API cannot. Errors come back as
grpc-gateway JSON (``{"code": N, "message": "..."}``) and watches and logs as server-sent events;
both are mapped here onto the :class:`~wfsync.cluster.api.ClusterError` family so that the harness
behaves the same on either transport.
"""

from __future__ import annotations

import copy
import json
import time
import warnings
from collections.abc import Iterator, Mapping
from urllib.parse import quote, urlencode, urlsplit

import urllib3

from wfsync.cluster.api import (
    ClusterError,
    Obj,
    UnreachableError,
)
from wfsync.cluster.argo_env import bearer, server_settings
from wfsync.cluster.argo_errors import (
    TRANSIENT_STATUS,
    Answer,
    error_body,
    expired,
    mapped_error,
    snippet,
    to_int,
    transport_reason,
    watch_error,
)
from wfsync.cluster.workflows import WatchExpired, WorkflowEvent
from wfsync.errors import ConfigError
from wfsync.model.documents import Identity, Kind

__all__ = ["MAX_EVENT_BYTES", "TRANSIENT_STATUS", "ArgoServerWorkflows", "from_environment"]

MAX_EVENT_BYTES = 32 * 1024 * 1024
"""Largest server-sent event line accepted (a big workflow's status is a few MB; bounded all the same)."""

MAX_ERROR_BYTES = 64 * 1024
"""Error answers are read up to this size: only their message is shown."""


class ArgoServerWorkflows:
    """:class:`~wfsync.cluster.workflows.Workflows` in one namespace, through an Argo Server.

    ``server_url`` is ``https://host:port`` (``http://`` when ``ARGO_SECURE=false``); ``base_href``
    is the path the server is mounted under (``ARGO_BASE_HREF``). Requests that get no answer or a
    5xx are tried ``attempts`` times with bounded backoff, except a create that may have been
    applied (only a refused connection is tried again: a second POST could create a second workflow).
    """

    def __init__(
        self,
        server_url: str,
        namespace: str,
        *,
        token: str = "",
        insecure_skip_verify: bool = False,
        base_href: str = "",
        timeout: tuple[float, float] = (5.0, 30.0),
        attempts: int = 4,
        backoff: float = 0.25,
        max_backoff: float = 4.0,
        log_idle_timeout: float = 600.0,
    ) -> None:
        parts = urlsplit(server_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"the Argo Server address {server_url!r} is not an http(s)://host:port URL")
        self.server = parts.netloc
        href = "/".join(p for p in base_href.split("/") if p)
        self.base_url = f"{parts.scheme}://{parts.netloc}" + (f"/{href}" if href else "")
        self._namespace = namespace
        self.token = bearer(token)
        self.insecure = insecure_skip_verify
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff, self.max_backoff = backoff, max_backoff
        self.log_idle_timeout = log_idle_timeout
        if insecure_skip_verify:
            # Asked for explicitly (ARGO_INSECURE_SKIP_VERIFY): no warning on every request. A filter
            # for the process, since catch_warnings() around each request is not thread-safe.
            warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
        self._pool = urllib3.PoolManager(
            num_pools=2,
            maxsize=8,
            cert_reqs="CERT_NONE" if insecure_skip_verify else "CERT_REQUIRED",
            retries=False,
        )

    # -- the Workflows protocol ------------------------------------------------------------------

    @property
    def description(self) -> str:
        """``Argo Server https://host:port`` (with the base href when there is one)."""
        return f"Argo Server {self.base_url}"

    @property
    def namespace(self) -> str:
        """The namespace workflows are created, read and stopped in."""
        return self._namespace

    @property
    def hydrates_offloaded(self) -> bool:
        """True: the Argo Server merges offloaded node status back into what it answers."""
        return True

    def create(self, workflow: Obj) -> Obj:
        """POST the Workflow as ``argo submit`` does; the server validates it (Argo's message kept)."""
        body = copy.deepcopy(workflow)
        meta = body.setdefault("metadata", {})
        meta["namespace"] = self._namespace
        name = str(meta.get("name") or "")
        what = _workflow_label(name or f"{meta.get('generateName') or ''}*", self._namespace)
        answer = self._json(
            "POST",
            f"/api/v1/workflows/{_seg(self._namespace)}",
            what=what,
            verb="create",
            body={"namespace": self._namespace, "workflow": body},
            identity=Identity(Kind.WORKFLOW.value, self._namespace, name),
        )
        return answer

    def get(self, name: str) -> Obj:
        """The Workflow as it is now, offloaded nodes hydrated by the server."""
        return self._json(
            "GET",
            f"/api/v1/workflows/{_seg(self._namespace)}/{_seg(name)}",
            what=_workflow_label(name, self._namespace),
            verb="get",
        )

    def watch(self, name: str, resource_version: str, *, timeout: float = 300.0) -> Iterator[WorkflowEvent]:
        """Workflow events after ``resource_version`` from the server's event stream, until it ends."""
        query = [
            ("listOptions.fieldSelector", f"metadata.name={name}"),
            ("listOptions.resourceVersion", resource_version),
            ("listOptions.timeoutSeconds", str(max(1, int(timeout)))),
        ]
        what = _workflow_label(name, self._namespace)
        path = f"/api/v1/workflow-events/{_seg(self._namespace)}"
        deadline = time.monotonic() + timeout
        for data in self._events(
            path, query, what=what, verb="watch", idle=timeout + 5.0, deadline=deadline, resumable=True
        ):
            result = data.get("result")
            if not isinstance(result, dict):
                continue
            kind = str(result.get("type") or "")
            obj = result.get("object")
            if kind == "ERROR":
                raise watch_error(obj if isinstance(obj, dict) else {}, what, self.description)
            if kind == "BOOKMARK" or not isinstance(obj, dict):
                continue
            yield WorkflowEvent(kind, obj)

    def logs(
        self, workflow: str, pod: str, container: str = "main", *, follow: bool = False
    ) -> Iterator[str]:
        """Lines of the pod's container from the server's log stream (until it ends, with ``follow``)."""
        query = [("podName", pod), ("logOptions.container", container)]
        if follow:
            query.append(("logOptions.follow", "true"))
        what = f"the log of pod {pod} (container {container}) of {_workflow_label(workflow, self._namespace)}"
        path = f"/api/v1/workflows/{_seg(self._namespace)}/{_seg(workflow)}/log"
        idle = self.log_idle_timeout if follow else self.timeout[1]
        for data in self._events(
            path, query, what=what, verb="read", idle=idle, deadline=None, resumable=False
        ):
            result = data.get("result")
            if not isinstance(result, dict):
                continue
            if result.get("podName") not in (None, "", pod):
                continue  # a workflow-wide stream would carry other pods too
            yield str(result.get("content") or "")

    def stop(self, name: str, message: str = "") -> None:
        """PUT .../stop as ``argo stop`` does: the controller shuts it down, exit handlers still run."""
        self._json(
            "PUT",
            f"/api/v1/workflows/{_seg(self._namespace)}/{_seg(name)}/stop",
            what=_workflow_label(name, self._namespace),
            verb="stop",
            body={"name": name, "namespace": self._namespace, "message": message},
        )

    # -- requests --------------------------------------------------------------------------------

    def _headers(self, accept: str) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": "wfsync"}
        if self.token:
            headers["Authorization"] = self.token
        return headers

    def _json(
        self,
        method: str,
        path: str,
        *,
        what: str,
        verb: str,
        body: Obj | None = None,
        identity: Identity | None = None,
    ) -> Obj:
        """One JSON request with retries and grpc-gateway error mapping."""
        data = json.dumps(body).encode() if body is not None else None
        headers = self._headers("application/json")
        if data is not None:
            headers["Content-Type"] = "application/json"
        timeout = urllib3.Timeout(connect=self.timeout[0], read=self.timeout[1])
        response = self._send(method, self.base_url + path, data, headers, timeout, what, verb, identity)
        raw = b""
        try:
            raw = response.read(MAX_EVENT_BYTES + 1) or b""
        except (urllib3.exceptions.HTTPError, OSError) as err:
            raise UnreachableError(
                f"cannot {verb} {what}: the answer from the Argo Server at ARGO_SERVER={self.server} broke "
                f"off ({transport_reason(err)})"
            ) from None
        finally:
            if not raw or len(raw) > MAX_EVENT_BYTES:
                response.close()  # possibly unread: not for the pool
            response.release_conn()
        if len(raw) > MAX_EVENT_BYTES:
            raise ClusterError(
                f"cannot {verb} {what}: the answer is larger than {MAX_EVENT_BYTES // (1024 * 1024)} MiB; refused"
            )
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise ClusterError(
                f"cannot {verb} {what}: the {self.description} answered something that is not a JSON object "
                f"({snippet(raw)}); is ARGO_SERVER={self.server} an Argo Server?"
            )
        return answer

    def _send(
        self,
        method: str,
        url: str,
        data: bytes | None,
        headers: dict[str, str],
        timeout: urllib3.Timeout,
        what: str,
        verb: str,
        identity: Identity | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """Send with bounded retries; answer the 2xx response or raise the mapped error."""
        retried = False
        idempotent = method != "POST"
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                response = self._pool.request(
                    method,
                    url,
                    body=data,
                    headers=headers,
                    timeout=timeout,
                    retries=False,
                    preload_content=False,
                    redirect=False,
                )
            except urllib3.exceptions.SSLError as err:
                raise UnreachableError(
                    f"cannot {verb} {what}: TLS with the Argo Server at ARGO_SERVER={self.server} failed "
                    f"({transport_reason(err)}); set ARGO_INSECURE_SKIP_VERIFY=true for a self-signed certificate, "
                    "or ARGO_SECURE=false if the server speaks plain http"
                ) from None
            except (urllib3.exceptions.HTTPError, OSError) as err:
                # A refused connection sent nothing: safe to repeat even a create.
                unsent = isinstance(err, urllib3.exceptions.NewConnectionError | ConnectionRefusedError)
                if not last and (idempotent or unsent):
                    retried = retried or not unsent
                    self._sleep(attempt)
                    continue
                error = UnreachableError(
                    f"cannot {verb} {what}: no answer from the Argo Server at ARGO_SERVER={self.server} "
                    f"after {attempt} attempt{'s' if attempt > 1 else ''} ({transport_reason(err)})"
                )
                error.retried = retried
                raise error from None
            if 200 <= response.status <= 299:
                return response
            raw = _read_bounded(response, MAX_ERROR_BYTES)
            response.close()  # an error body may be longer than what was read
            response.release_conn()
            if response.status in TRANSIENT_STATUS and not last and idempotent:
                retried = True
                self._sleep(attempt)
                continue
            code, message = error_body(raw, response.status)
            mapped = self._map(response.status, code, message, what, verb, attempt, identity)
            mapped.retried = retried
            raise mapped
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _sleep(self, attempt: int) -> None:
        time.sleep(min(self.backoff * 2 ** (attempt - 1), self.max_backoff))

    def _events(
        self,
        path: str,
        query: list[tuple[str, str]],
        *,
        what: str,
        verb: str,
        idle: float,
        deadline: float | None,
        resumable: bool,
    ) -> Iterator[Obj]:
        """The JSON payloads of a server-sent event stream; ``{"error": ...}`` chunks raised mapped.

        A ``resumable`` stream (a watch) that goes idle past ``idle`` seconds or drops just ends;
        another (a log) raises :class:`UnreachableError`, so that its reader opens it again.
        """
        url = f"{self.base_url}{path}?{urlencode(query)}"
        timeout = urllib3.Timeout(connect=self.timeout[0], read=idle)
        response = self._send("GET", url, None, self._headers("text/event-stream"), timeout, what, verb)
        try:
            for line in _lines(response, MAX_EVENT_BYTES, what):
                if not line.startswith(b"data:"):
                    continue  # blank separators, comments, event: and id: fields
                try:
                    data = json.loads(line[5:])
                except ValueError:
                    raise ClusterError(
                        f"cannot {verb} {what}: the {self.description} sent an event that is not JSON "
                        f"({snippet(line[5:])})"
                    ) from None
                if not isinstance(data, dict):
                    continue
                error = data.get("error")
                if isinstance(error, dict):
                    raise self._stream_error(error, what, verb)
                yield data
                if deadline is not None and time.monotonic() >= deadline:
                    return
        except (urllib3.exceptions.HTTPError, OSError) as err:
            if resumable:
                return  # idle past its timeout, or dropped: the caller watches again from its last version
            raise UnreachableError(
                f"cannot {verb} {what}: the stream from the Argo Server at ARGO_SERVER={self.server} "
                f"broke off ({transport_reason(err)})"
            ) from None
        finally:
            response.close()  # an unfinished stream must not go back to the pool
            response.release_conn()

    def _stream_error(self, error: Obj, what: str, verb: str) -> ClusterError:
        """An error sent inside a stream (after the 200): Argo's watch relays the API's 410 this way."""
        message = str(error.get("message") or "")
        http = to_int(error.get("http_code") or error.get("httpCode"))
        code = to_int(error.get("code") if "code" in error else error.get("grpc_code"))
        if expired(message) or http == 410 or code == 410:
            return WatchExpired(f"watch of {what} expired: {message or '410 Gone'}")
        status = http or {3: 400, 16: 401, 7: 403, 5: 404, 6: 409, 14: 503}.get(code or 13, 500)
        return self._map(status, code, message, what, verb, 1, None)

    def _map(
        self,
        status: int,
        code: int | None,
        message: str,
        what: str,
        verb: str,
        attempts: int,
        identity: Identity | None,
    ) -> ClusterError:
        """A grpc-gateway error (HTTP status and gRPC code) as the ClusterError users see."""
        server = Answer(status, code, message, self.server, bool(self.token), self._namespace)
        return mapped_error(server, what, verb, attempts, identity)


# -- helpers -------------------------------------------------------------------------------------


def _seg(value: str) -> str:
    """One path segment: a name from YAML or a server can never add segments or climb out of the API."""
    if not value or value in (".", ".."):
        raise ConfigError(f"{value!r} is not a valid name for the Argo Server API")
    return quote(value, safe="")


def _workflow_label(name: str, namespace: str) -> str:
    return f"workflow {name} in namespace {namespace}"


def _read_bounded(response: urllib3.BaseHTTPResponse, limit: int) -> bytes:
    try:
        return response.read(limit) or b""
    except (urllib3.exceptions.HTTPError, OSError):
        return b""


def _lines(response: urllib3.BaseHTTPResponse, limit: int, what: str) -> Iterator[bytes]:
    """Lines of a streamed body as they arrive, without their line ending; refuse one over ``limit``."""
    buffer = bytearray()
    while True:
        chunk = response.read1(65536)
        if not chunk:
            break
        start = len(buffer)
        buffer += chunk
        begin = 0
        while (end := buffer.find(b"\n", max(start, begin))) >= 0:
            yield bytes(buffer[begin:end]).rstrip(b"\r")
            begin = end + 1
        del buffer[:begin]
        if len(buffer) > limit:
            raise ClusterError(f"an event about {what} is larger than {limit // (1024 * 1024)} MiB; refused")
    if buffer.strip():
        yield bytes(buffer).rstrip(b"\r")


def from_environment(env: Mapping[str, str], namespace: str) -> ArgoServerWorkflows | None:
    """A client of the Argo Server the ``argo`` CLI would use (:func:`server_settings`); None without one."""
    settings = server_settings(env, namespace)
    if settings is None:
        return None
    return ArgoServerWorkflows(
        settings.server_url,
        settings.namespace,
        token=settings.token,
        insecure_skip_verify=settings.insecure_skip_verify,
        base_href=settings.base_href,
    )
