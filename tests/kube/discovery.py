"""Discovery documents, ``/version`` and ``meta.k8s.io`` Tables: what kubectl reads besides objects."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from tests.kube.resources import ResourceType

Obj = dict[str, Any]

_CR_VERBS = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]


def version_info() -> Obj:
    """``/version`` of a recent server, recognisably a test double in gitVersion."""
    return {
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0-wfsync-test",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def core_versions(address: str) -> Obj:
    """``/api``."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def core_resources(core: Iterable[ResourceType] = ()) -> Obj:
    """``/api/v1``: the read-only namespaces, and the ``core`` resources this server stores."""
    return {
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": [
            {
                "name": "namespaces",
                "singularName": "namespace",
                "namespaced": False,
                "kind": "Namespace",
                "verbs": ["get", "list"],
                "shortNames": ["ns"],
            },
            *(
                {
                    "name": res.plural,
                    "singularName": res.singular,
                    "namespaced": res.namespaced,
                    "kind": res.kind,
                    "verbs": _CR_VERBS,
                    "shortNames": list(res.short_names),
                }
                for res in core
            ),
        ],
    }


def _group(name: str, versions: list[str]) -> Obj:
    entries = [{"groupVersion": f"{name}/{version}", "version": version} for version in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def _versions_by_group(installed: Iterable[ResourceType]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for res in installed:
        versions = groups.setdefault(res.group, [])
        if res.version not in versions:
            versions.append(res.version)
    return groups


def group_list(installed: Iterable[ResourceType]) -> Obj:
    """``/apis``: groups that have at least one installed resource."""
    groups = [_group(name, versions) for name, versions in sorted(_versions_by_group(installed).items())]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(installed: Iterable[ResourceType], name: str) -> Obj | None:
    """``/apis/<group>`` or None when nothing of that group is installed."""
    versions = _versions_by_group(installed).get(name)
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)} if versions else None


def resource_list(installed: Iterable[ResourceType], group_version: str) -> Obj | None:
    """``/apis/<group>/<version>`` or None when nothing of it is installed."""
    resources = [
        {
            "name": res.plural,
            "singularName": res.singular,
            "namespaced": res.namespaced,
            "kind": res.kind,
            "verbs": _CR_VERBS,
            "shortNames": list(res.short_names),
        }
        for res in installed
        if res.api_version == group_version
    ]
    if not resources:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def wants_table(accept: str) -> str | None:
    """The Table version asked for in an Accept header (``v1`` or ``v1beta1``), if any."""
    for part in accept.split(","):
        params = dict(item.strip().split("=", 1) for item in part.split(";")[1:] if "=" in item)
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io":
            return params.get("v", "v1")
    return None


def human_age(created: str, now: datetime.datetime) -> str:
    """Age as kubectl shows it (``42s``, ``5m10s``, ``3h``, ``12d``), from an RFC 3339 timestamp."""
    try:
        then = datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    except ValueError:
        return "<unknown>"
    secs = max(0, int((now - then).total_seconds()))
    mins, hours, days = secs // 60, secs // 3600, secs // 86400
    if secs < 120:
        return f"{secs}s"
    if mins < 10:
        return f"{mins}m{secs % 60}s" if secs % 60 else f"{mins}m"
    if hours < 3:
        return f"{mins}m"
    if hours < 8:
        return f"{hours}h{mins % 60}m" if mins % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    return f"{days}d" if days < 730 else f"{days // 365}y{days % 365}d"


def table(items: list[Obj], list_meta: Obj, version: str, include_object: str, now: datetime.datetime) -> Obj:
    """The Table a CRD without printer columns gets (Name, Age), as ``kubectl get`` asks for it."""
    rows = []
    for obj in items:
        meta = obj.get("metadata", {})
        row: Obj = {"cells": [meta.get("name", ""), human_age(meta.get("creationTimestamp", ""), now)]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": f"meta.k8s.io/{version}",
                "metadata": meta,
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": list_meta,
        "columnDefinitions": [
            {
                "name": "Name",
                "type": "string",
                "format": "name",
                "description": "Name must be unique within a namespace.",
                "priority": 0,
            },
            {
                "name": "Age",
                "type": "date",
                "format": "",
                "description": "CreationTimestamp is the server time when this object was created.",
                "priority": 0,
            },
        ],
        "rows": rows,
    }
