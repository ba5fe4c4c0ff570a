"""HTTP templates, run as Argo's agent runs them (``workflow/executor/agent.go`` ``executeHTTPTemplate``).

The controller creates an ``HTTP`` node (no pod) and hands the substituted template to the agent,
which sends one request and reports a phase, a message and ``outputs.result`` (the response body).
Success is a 2xx status unless ``successCondition`` (expr-lang over ``request`` and ``response``)
says otherwise; a request that cannot complete (refused, timed out, bad URL) fails the node with
Go's error text. Only this machine is reachable unless the network is allowed
(:mod:`wfsync.engine.network`).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import http.client
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import IO

from wfsync.engine import network
from wfsync.engine import status as st
from wfsync.engine.resource import ClusterStore
from wfsync.engine.templates import Store
from wfsync.expressions import exprlang
from wfsync.model.values import listed, mapping

DEFAULT_TIMEOUT = 30.0
"""``timeoutSeconds`` when the template gives none (the documented default of the field)."""

SecretLookup = Callable[[str], Mapping[str, str] | None]
"""A Secret's decoded ``data`` by name (None when there is no such Secret)."""


@dataclasses.dataclass(frozen=True)
class HttpOutcome:
    """What the agent reports for one HTTP node."""

    phase: str
    message: str
    result: str | None = None

    @property
    def outputs(self) -> dict[str, object]:
        """The node's ``outputs`` (only ``result``, as the agent sets it)."""
        return {} if self.result is None else {"result": self.result}


class _Failure(Exception):
    """A request that could not complete; the message is what Go's client would say."""


def secret_data(body: Mapping[str, object]) -> dict[str, str]:
    """A Secret's ``data`` (base64-decoded) with ``stringData`` on top, as the API server merges them."""
    out: dict[str, str] = {}
    for key, value in mapping(body.get("data")).items():
        try:
            out[str(key)] = base64.b64decode(str(value), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            out[str(key)] = str(value)
    for key, value in mapping(body.get("stringData")).items():
        out[str(key)] = str(value)
    return out


def canonical_header(name: str) -> str:
    """Go's ``textproto.CanonicalMIMEHeaderKey`` (``content-type`` -> ``Content-Type``)."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _op(method: str) -> str:
    """``url.Error.Op`` for a method: ``Get``, ``Post``, ..."""
    return method[:1] + method[1:].lower() if method else "Get"


def _body(spec: Mapping[str, object]) -> bytes:
    body_from = spec.get("bodyFrom")
    if isinstance(body_from, Mapping):
        raw = body_from.get("bytes")
        if raw is None:
            return b""
        if isinstance(raw, bytes | bytearray):
            return bytes(raw)
        try:
            return base64.b64decode(str(raw), validate=True)
        except (binascii.Error, ValueError):
            raise _Failure(f"bodyFrom.bytes is not base64: {str(raw)[:40]!r}") from None
    return str(spec.get("body") or "").encode("utf-8")


def _headers(spec: Mapping[str, object], secrets: SecretLookup) -> list[tuple[str, str]]:
    headers = []
    for header in listed(spec.get("headers")):
        if not isinstance(header, Mapping):
            continue
        value = str(header.get("value") or "")
        ref = mapping(header.get("valueFrom")).get("secretKeyRef")
        if isinstance(ref, Mapping):
            name, key = str(ref.get("name") or ""), str(ref.get("key") or "")
            data = secrets(name)
            if data is None:
                raise _Failure(f'secrets "{name}" not found')
            if key not in data:
                raise _Failure(f"secret '{name}' does not have the key '{key}'")
            value = data[key]
        headers.append((str(header.get("name") or ""), value))
    return headers


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects as Go's client does, but never off this machine unless allowed."""

    def __init__(self, allow_network: bool) -> None:
        self.allow_network = allow_network

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        reason = network.check("http template redirect", newurl, allow_network=self.allow_network)
        if reason is not None:
            raise _Failure(reason)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _NoDefaultContentType(urllib.request.BaseHandler):
    """Go sends no Content-Type it was not given; urllib adds a form one to every body."""

    handler_order = 999  # after urllib's own request preparation (500)

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        if not any(k.lower() == "content-type" for k in req.headers):
            req.unredirected_hdrs.pop("Content-type", None)
        return req

    https_request = http_request


def _send(
    url: str,
    method: str,
    body: bytes,
    headers: list[tuple[str, str]],
    *,
    timeout: float,
    insecure: bool,
    allow_network: bool,
) -> tuple[int, bytes, dict[str, list[str]]]:
    request = urllib.request.Request(url, data=body or None, method=method)
    for name, value in headers:
        if name.lower() == "host":
            request.add_unredirected_header("Host", value)
        else:
            request.add_header(name, value)
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    proxies = urllib.request.ProxyHandler({} if network.is_local_url(url) else None)
    opener = urllib.request.build_opener(
        proxies,
        urllib.request.HTTPSHandler(context=context),
        _Redirects(allow_network),
        _NoDefaultContentType(),
    )
    opener.addheaders = [("User-Agent", "Go-http-client/1.1")]  # what Argo's agent sends
    deadline = time.monotonic() + timeout
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        response = exc  # a non-2xx answer is still an answer: its body is the result
    try:
        data = response.read()
        if time.monotonic() > deadline:
            raise TimeoutError
        found: dict[str, list[str]] = {}
        for name, value in response.headers.items():
            found.setdefault(canonical_header(name), []).append(value)
        return int(response.status or 0), data, found
    finally:
        response.close()


def _error_text(exc: BaseException, host: str) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, TimeoutError | socket.timeout):
        return "context deadline exceeded"
    if isinstance(exc, ConnectionRefusedError):
        return "connect: connection refused"
    if isinstance(exc, socket.gaierror):
        return f"dial tcp: lookup {host}: {exc.strerror or exc}"
    return str(getattr(exc, "strerror", None) or exc)


def _succeeded(
    condition: str, spec: Mapping[str, object], status: int, text: str, headers: object
) -> tuple[bool, str]:
    """``argoexpr.EvalBool`` of ``successCondition``; (ok, failure message)."""
    env = {
        "request": {
            "method": str(spec.get("method") or ""),
            "url": str(spec.get("url") or ""),
            "body": str(spec.get("body") or ""),
            "headers": {
                str(h.get("name")): [str(h.get("value") or "")]
                for h in listed(spec.get("headers"))
                if isinstance(h, Mapping)
            },
        },
        "response": {"statusCode": status, "body": text, "headers": headers},
    }
    try:
        value = exprlang.evaluate(condition, env, functions={})
    except exprlang.ExprError as exc:
        return False, f"unable to evaluate expression '{condition}': {exc}"
    if not isinstance(value, bool):
        return False, f"unable to cast expression result '{value}' to bool"
    if not value:
        return False, f"successCondition '{condition}' evaluated false"
    return True, ""


def perform(spec: Mapping[str, object], *, secrets: SecretLookup, allow_network: bool = False) -> HttpOutcome:
    """Send the request of a substituted ``http:`` template and judge the answer as the agent does."""
    url = str(spec.get("url") or "")
    method = str(spec.get("method") or "GET").upper()
    op = f'{_op(method)} "{url}"'
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        return HttpOutcome(st.FAILED, f'{op}: unsupported protocol scheme "{scheme}"')
    reason = network.check("http template", url, allow_network=allow_network)
    if reason is not None:
        return HttpOutcome(st.ERROR, reason)
    timeout = spec.get("timeoutSeconds")
    try:
        number = timeout if isinstance(timeout, int | float) else str(timeout)
        seconds = float(number) if timeout is not None and str(timeout).strip() else DEFAULT_TIMEOUT
    except ValueError:
        return HttpOutcome(st.ERROR, f"timeoutSeconds is not a number: {timeout!r}")
    try:
        status, data, headers = _send(
            url,
            method,
            _body(spec),
            _headers(spec, secrets),
            timeout=seconds,
            insecure=bool(spec.get("insecureSkipVerify")),
            allow_network=allow_network,
        )
    except _Failure as exc:
        text = str(exc)
        return HttpOutcome(st.ERROR if text.startswith("unsupported:") else st.FAILED, text)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        host = urllib.parse.urlsplit(url).hostname or ""
        return HttpOutcome(st.FAILED, f"{op}: {_error_text(exc, host)}")
    text = data.decode("utf-8", "replace")
    condition = str(spec.get("successCondition") or "")
    if not condition:
        if 200 <= status < 300:
            return HttpOutcome(st.SUCCEEDED, "", text)
        return HttpOutcome(st.FAILED, f"received non-2xx response code: {status}", text)
    ok, message = _succeeded(condition, spec, status, text, headers)
    return HttpOutcome(st.SUCCEEDED if ok else st.FAILED, message, text)


def secret_lookup(store: Store, cluster: ClusterStore | None, namespace: str) -> SecretLookup:
    """Secrets given with ``--with`` (or the library) first, then the run's cluster."""

    def lookup(name: str) -> Mapping[str, str] | None:
        body = store.secrets.get(name)
        if body is None and cluster is not None:
            body = cluster.get("Secret", namespace, name)
        return None if body is None else secret_data(body)

    return lookup
