"""Kubernetes API requests as text: REST paths of the Argo kinds, write queries, RBAC wording, streams.

Pure helpers of :class:`~wfsync.cluster.kubernetes.KubernetesCluster` (which alone talks to the
client library): what a request looks like and how its answers read.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from urllib.parse import quote

import urllib3

from wfsync.cluster.api import API_VERSION, Obj, plural
from wfsync.model.documents import API_GROUP, Kind

FIELD_MANAGER = "wfsync"


def cluster_scoped(kind: str) -> bool:
    """Whether the kind's objects live at cluster scope (their paths take no namespace)."""
    return kind == Kind.CLUSTER_WORKFLOW_TEMPLATE


def rest_path(kind: str, namespace: str | None, name: str = "") -> str:
    """The REST path of an Argo kind's collection (or one object) in a namespace or at cluster scope."""
    base = f"/apis/{API_GROUP}/{API_VERSION}"
    if namespace and not cluster_scoped(kind):
        base += f"/namespaces/{quote(namespace, safe='')}"
    base += f"/{plural(kind)}"
    return f"{base}/{quote(name, safe='')}" if name else base


def write_query(dry_run: bool) -> list[tuple[str, str]]:
    """Every write: unknown fields are refused (never pruned in silence), and wfsync owns its fields."""
    query = [("fieldValidation", "Strict"), ("fieldManager", FIELD_MANAGER)]
    return [("dryRun", "All"), *query] if dry_run else query


def lacked_permission(verb: str, path: str) -> str:
    """``'list' on workflowtemplates.argoproj.io in namespace 'ci'``, read from the request path."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"]:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return ""
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return ""
    resource = f"{rest[0]}.{group}" if group else rest[0]
    if len(rest) >= 3:  # a subresource: pods/log
        resource = f"{rest[0]}/{rest[2]}" + (f".{group}" if group else "")
    rbac_verb = {"check": "update", "discover": "get"}.get(verb, verb)
    where = f"in namespace {namespace!r}" if namespace else "at cluster scope"
    return f"{rbac_verb!r} on {resource} {where}"


def chunks(response: urllib3.BaseHTTPResponse, size: int) -> Generator[bytes, None, None]:
    """The body's chunks as they arrive; a dropped connection or a silent server ends them."""
    complete = False
    try:
        for chunk in response.stream(size):
            if chunk:
                yield chunk
        complete = True
    except (urllib3.exceptions.HTTPError, OSError):
        return
    finally:
        if not complete:
            response.close()
        response.release_conn()


def warning_text(header: str) -> str:
    """The text of an RFC 7234 Warning header (``299 - "unknown field ..."``), unquoted."""
    match = re.match(r'\s*\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"', header)
    if match is None:
        return header.strip()
    return re.sub(r"\\(.)", r"\1", match.group(1))


def transport_reason(err: BaseException) -> str:
    """A transport failure's cause without urllib3's object repr (which says nothing to a user)."""
    reason = getattr(err, "reason", None)
    text = str(reason or err)
    return text.split(": ", 1)[-1] if "object at 0x" in text else text


def same_content(live: Obj, sent: Obj) -> bool:
    """Whether ``live`` holds what ``sent`` asked for (labels, annotations and everything but metadata)."""

    def part(obj: Obj) -> tuple[object, ...]:
        meta = obj.get("metadata") or {}
        rest = {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}
        return (meta.get("labels") or {}, meta.get("annotations") or {}, rest)

    return part(live) == part(sent)
