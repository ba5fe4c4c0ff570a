"""Argo Server errors: grpc-gateway bodies parsed bounded and mapped onto the ClusterError family.

The harness behaves the same on either transport because both map their errors onto the same
family; this module is the Argo Server half (the Kubernetes half is in :mod:`wfsync.cluster.kubernetes`).
"""

from __future__ import annotations

import dataclasses
import json

from wfsync.cluster.api import (
    ClusterError,
    ConflictError,
    CrdMissingError,
    ForbiddenError,
    InvalidObjectError,
    NotFoundError,
    Obj,
    UnreachableError,
)
from wfsync.cluster.workflows import WatchExpired
from wfsync.model.documents import Identity

TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
"""Answers retried (bounded) before the server is called unreachable."""

_GRPC_BY_HTTP = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 410: 3}


_TOKEN_HINT = (
    "set ARGO_TOKEN to a valid token (`argo auth token` prints one; the 'Bearer ' prefix is optional)"
)


def error_body(raw: bytes, status: int) -> tuple[int | None, str]:
    """The gRPC code and message of a grpc-gateway error body (or the raw text, bounded)."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict):
        nested = body.get("error")
        inner: dict[str, object] = nested if isinstance(nested, dict) else body
        message = str(inner.get("message") or inner.get("error") or "").strip()
        code = to_int(inner.get("code") if "code" in inner else inner.get("grpc_code"))
        if message or code is not None:
            return code, message or f"HTTP {status}"
    text = raw.decode("utf-8", "replace").strip()
    return None, (text[:300] + ("..." if len(text) > 300 else "")) or f"HTTP {status}"


def watch_error(status: Obj, what: str, where: str) -> ClusterError:
    """An ``ERROR`` event relayed as a result: its object is the API's Status."""
    message = str(status.get("message") or "")
    if to_int(status.get("code")) == 410 or expired(message) or status.get("reason") in ("Expired", "Gone"):
        return WatchExpired(f"watch of {what} expired: {message or '410 Gone'}")
    return ClusterError(f"cannot watch {what}: the {where} sent an error event: {message or status}")


def expired(message: str) -> bool:
    """Whether the message is the API's 410 for a watch resumed too late (Argo relays it as text)."""
    return "too old resource version" in message.lower()


def to_int(value: object) -> int | None:
    """A code from an error body, which may come as a number, a string or not at all."""
    if not isinstance(value, int | float | str) or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return None


def snippet(raw: bytes) -> str:
    """The start of an unexpected answer, to show what the server really is."""
    text = raw[:120].decode("utf-8", "replace").strip()
    return text or "an empty answer"


def transport_reason(err: BaseException) -> str:
    """The root cause of a transport failure, short (``Connection refused``, ``certificate verify failed``)."""
    reason = getattr(err, "reason", None) or err
    text = str(reason)
    for marker in ("Connection refused", "certificate verify failed", "wrong version number", "timed out"):
        if marker in text:
            return marker
    return text[:200]


@dataclasses.dataclass(frozen=True)
class Answer:
    """An error answer of the Argo Server, and what it was sent with (for the message)."""

    status: int
    code: int | None
    message: str
    server: str
    token_sent: bool
    namespace: str


def mapped_error(
    answer: Answer, what: str, verb: str, attempts: int, identity: Identity | None
) -> ClusterError:
    """A grpc-gateway error (HTTP status and gRPC code) as the ClusterError users see."""
    status, code, message = answer.status, answer.code, answer.message
    grpc = code if code is not None else _GRPC_BY_HTTP.get(status)
    where = f"the Argo Server at ARGO_SERVER={answer.server}"
    if expired(message) or status == 410:
        return WatchExpired(f"watch of {what} expired: {message}")
    if grpc == 16 or status == 401:
        said = "sent no token" if not answer.token_sent else "rejected the token"
        return ForbiddenError(f"cannot {verb} {what}: {where} {said} ({message}); {_TOKEN_HINT}")
    if grpc == 7 or status == 403:
        return ForbiddenError(
            f"cannot {verb} {what}: forbidden by {where}: {message}; the token's service account needs "
            f"RBAC to {verb} workflows in namespace {answer.namespace}"
        )
    if grpc == 5 or status == 404:
        if "could not find the requested resource" in message:
            return CrdMissingError(
                f"cannot {verb} {what}: the cluster behind {where} does not serve Workflows "
                f"(are Argo's CRDs installed?): {message}"
            )
        return NotFoundError(f"cannot {verb} {what}: not found by {where}: {message}")
    if grpc == 6 or status == 409:
        return ConflictError(f"cannot {verb} {what}: {message}", identity)
    if grpc == 3 or status in (400, 422):
        return InvalidObjectError(f"cannot {verb} {what}: the Argo Server refused it as invalid: {message}")
    if status in TRANSIENT_STATUS or grpc == 14:
        return UnreachableError(
            f"cannot {verb} {what}: {where} answered {status} after {attempts} "
            f"attempt{'s' if attempts > 1 else ''}: {message}"
        )
    return ClusterError(f"cannot {verb} {what}: {where} answered {status}: {message}")
