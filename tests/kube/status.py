"""Kubernetes ``Status`` bodies, worded like the real API server so clients map them the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.kube.resources import ResourceType

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


@dataclass
class ApiError(Exception):
    """An error answer: raised anywhere in request handling, rendered as a Status by the server."""

    code: int
    message: str
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The ``Status`` object the API server would send."""
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason or _REASONS.get(self.code, "Unknown"),
            "details": self.details,
            "code": self.code,
        }
        if not self.details:
            del status["details"]
        return status


def _details(res: ResourceType, name: str | None, kind: str | None = None) -> dict[str, Any]:
    details: dict[str, Any] = {"group": res.group, "kind": kind or res.plural}
    if name:
        details = {"name": name, **details}
    return details


def not_found(res: ResourceType, name: str) -> ApiError:
    """The object does not exist (``details.kind`` is the plural, as the server sends it)."""
    return ApiError(404, f'{res.qualified} "{name}" not found', details=_details(res, name))


def resource_not_found() -> ApiError:
    """The path names no served resource: what a client sees when a CRD is not installed."""
    return ApiError(404, "the server could not find the requested resource")


def already_exists(res: ResourceType, name: str) -> ApiError:
    """Create of a name that is taken."""
    return ApiError(
        409, f'{res.qualified} "{name}" already exists', "AlreadyExists", details=_details(res, name)
    )


def conflict(res: ResourceType, name: str, why: str = "") -> ApiError:
    """Optimistic-concurrency failure on a stale ``resourceVersion`` (or failed precondition)."""
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    return ApiError(
        409, f'Operation cannot be fulfilled on {res.qualified} "{name}": {why}', details=_details(res, name)
    )


def invalid(res: ResourceType, name: str, causes: list[dict[str, str]]) -> ApiError:
    """422 with field causes; the message joins them as the server does."""
    text = ", ".join(f"{c['field']}: {c['message']}" for c in causes)
    if len(causes) > 1:
        text = f"[{text}]"
    details = {**_details(res, name, kind=res.kind), "causes": causes}
    return ApiError(422, f'{res.kind}.{res.group} "{name}" is invalid: {text}', details=details)


def forbidden(res: ResourceType, verb: str, user: str, namespace: str | None, name: str | None) -> ApiError:
    """RBAC's wording for a denied request."""
    subject = f'{res.qualified} "{name}"' if name else res.qualified
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{subject} is forbidden: User "{user}" cannot {verb} resource "{res.plural}" '
        f'in API group "{res.group}" {where}'
    )
    return ApiError(403, message, details=_details(res, name))


def bad_request(message: str) -> ApiError:
    """A malformed request (body, query or selector)."""
    return ApiError(400, message)


def deleted(res: ResourceType, name: str, uid: str) -> dict[str, Any]:
    """What a custom resource's immediate DELETE answers (its store does not return the object)."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": name, "group": res.group, "kind": res.plural, "uid": uid},
    }
