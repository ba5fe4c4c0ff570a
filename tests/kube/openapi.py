"""Minimal OpenAPI v3 documents: enough for ``kubectl apply`` to validate and pick its patch type.

kubectl asks ``/openapi/v3`` whether a kind's PATCH accepts ``fieldValidation`` (then it leaves
validation to the server) and which patch media types it takes. Listing only JSON and merge patch
makes ``kubectl apply`` send a merge patch, which is what an API server does for custom resources.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from tests.kube.resources import ResourceType

Obj = dict[str, Any]

_QUERY_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "pretty")
_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json")


def _gvk(res: ResourceType) -> Obj:
    return {"group": res.group, "version": res.version, "kind": res.kind}


def _schema_name(res: ResourceType) -> str:
    return f"io.argoproj.workflow.{res.version}.{res.kind}"


def _operation(res: ResourceType, action: str, body_types: Iterable[str] = ()) -> Obj:
    ref = {"$ref": f"#/components/schemas/{_schema_name(res)}"}
    op: Obj = {
        "operationId": f"{action}{res.kind}",
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(res),
        "parameters": [{"name": name, "in": "query", "schema": {"type": "string"}} for name in _QUERY_PARAMS],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}},
    }
    if body_types:
        op["requestBody"] = {"content": {media: {"schema": {"type": "object"}} for media in body_types}}
    return op


def _group_versions(installed: Iterable[ResourceType]) -> list[str]:
    return sorted({res.api_version for res in installed})


def root(installed: Iterable[ResourceType]) -> Obj:
    """``/openapi/v3``: where each group version's document lives."""
    resources = list(installed)
    paths = {}
    for group_version in _group_versions(resources):
        digest = hashlib.sha256(
            ",".join(r.plural for r in resources if r.api_version == group_version).encode()
        ).hexdigest()[:16]
        paths[f"apis/{group_version}"] = {
            "serverRelativeURL": f"/openapi/v3/apis/{group_version}?hash={digest}"
        }
    return {"paths": paths}


def group_version(installed: Iterable[ResourceType], group_version: str) -> Obj | None:
    """``/openapi/v3/apis/<group>/<version>``: the kinds with open (unvalidated) specs, or None."""
    resources = [res for res in installed if res.api_version == group_version]
    if not resources:
        return None
    paths: Obj = {}
    schemas: Obj = {}
    for res in resources:
        scope = (
            f"/apis/{res.api_version}/namespaces/{{namespace}}"
            if res.namespaced
            else f"/apis/{res.api_version}"
        )
        json_body = ("application/json",)
        paths[f"{scope}/{res.plural}"] = {
            "get": _operation(res, "list"),
            "post": _operation(res, "post", json_body),
        }
        paths[f"{scope}/{res.plural}/{{name}}"] = {
            "get": _operation(res, "get"),
            "put": _operation(res, "put", json_body),
            "patch": _operation(res, "patch", _PATCH_TYPES),
            "delete": _operation(res, "delete"),
        }
        schemas[_schema_name(res)] = {
            "type": "object",
            "x-kubernetes-group-version-kind": [_gvk(res)],
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0-wfsync-test"},
        "paths": paths,
        "components": {"schemas": schemas},
    }
