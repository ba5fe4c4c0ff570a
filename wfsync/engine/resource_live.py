"""Resource actions against a real cluster, as ``kubectl`` in Argo's executor does them.

``apply`` keeps the last applied manifest in an annotation and patches three-way from it,
``delete`` waits for the object to be gone, ``patch`` lets the server merge.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from wfsync.engine.resource_manifest import ResourceFailed, call, prepared, refuse_controller_kinds, target
from wfsync.engine.resource_patch import three_way


@runtime_checkable
class LiveCluster(Protocol):
    """What a real cluster adds (:class:`wfsync.cluster.objects.KubernetesObjects`).

    Kinds found in the manifest's apiVersion, and patches merged by the server, as ``kubectl`` sends them.
    """

    def get(
        self, kind: str, namespace: str | None, name: str, api_version: str = ""
    ) -> dict[str, Any] | None:
        """One object or None."""

    def delete(
        self,
        kind: str,
        namespace: str | None,
        name: str,
        resource_version: str,
        *,
        dry_run: bool = False,
        api_version: str = "",
    ) -> None:
        """Start deleting an object (finalizers may keep it a while)."""

    def patch(
        self,
        kind: str,
        namespace: str | None,
        name: str,
        patch: object,
        strategy: str,
        *,
        api_version: str = "",
    ) -> dict[str, object]:
        """Merge ``patch`` into the object on the server (``strategic``, ``merge`` or ``json``)."""

    def create(self, obj: dict[str, object], *, dry_run: bool = False) -> dict[str, object]:
        """Store a new object."""


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
"""Where ``kubectl apply`` keeps what it applied last, to know which fields a new manifest drops."""
DELETE_TIMEOUT = 300.0
"""How long a delete waits for the object to be gone (finalizers), unless ``--wait=false``."""


def act_live(
    cluster: LiveCluster,
    action: str,
    res: Mapping[str, object],
    flags: list[str],
    namespace: str,
    workflow: Mapping[str, object],
    manifest: object,
) -> dict[str, object] | None:
    """``kubectl apply|delete|patch|get`` as Argo's executor runs them, against a real cluster.

    apply: create, or a three-way merge patch from the last applied manifest (other writers' fields
    and finalizers stay); delete: waits until the object is gone unless ``--wait=false``; patch:
    the server merges with the template's ``mergeStrategy``; kinds are found in the manifest's
    apiVersion when it has one.
    """
    api_version = str(manifest.get("apiVersion") or "") if isinstance(manifest, dict) else ""
    if action == "apply":
        if not isinstance(manifest, dict):
            raise ResourceFailed("the resource manifest must be one object")
        return _apply(cluster, prepared(manifest, res, namespace, workflow, simulated=False), api_version)
    kind, ns, name = target(manifest, flags, namespace, patch=action == "patch")
    if not (isinstance(manifest, dict) and kind == str(manifest.get("kind") or "")):
        api_version = ""  # the kind came from flags: found in any group, as kubectl does
    refuse_controller_kinds(kind, simulated=False)
    if action == "get":
        found = call(lambda: cluster.get(kind, ns, name, api_version))
        if found is None:
            raise ResourceFailed(f'{kind.lower()}s "{name}" not found')
        return found
    if action == "delete":
        existing = call(lambda: cluster.get(kind, ns, name, api_version))
        if existing is None:
            if "--ignore-not-found" in flags:
                return None
            raise ResourceFailed(f'{kind.lower()}s "{name}" not found')
        call(lambda: cluster.delete(kind, ns, name, "", api_version=api_version))
        if "--wait=false" not in flags:
            _wait_deleted(
                cluster, kind, ns, name, api_version, str((existing.get("metadata") or {}).get("uid") or "")
            )
        return None
    strategy = str(res.get("mergeStrategy") or "strategic")
    if strategy not in ("strategic", "merge", "json"):
        raise ResourceFailed(f"unknown mergeStrategy {strategy!r}")
    if strategy == "json" and not isinstance(manifest, list):
        raise ResourceFailed("a json patch must be a list of operations")
    if strategy != "json" and not isinstance(manifest, dict):
        raise ResourceFailed("a merge patch must be an object")
    return call(lambda: cluster.patch(kind, ns, name, manifest, strategy, api_version=api_version))


def _apply(cluster: LiveCluster, obj: dict[str, Any], api_version: str) -> dict[str, Any]:
    """``kubectl apply``: create (noting what was applied), or patch three-way from the last applied."""
    meta = obj["metadata"]
    kind, ns, name = str(obj.get("kind")), str(meta["namespace"]), str(meta.get("name") or "")
    applied = json.dumps(
        {k: v for k, v in obj.items() if k != "status"}, separators=(",", ":"), sort_keys=True
    )
    existing = call(lambda: cluster.get(kind, ns, name, api_version)) if name else None
    if existing is None:
        meta.setdefault("annotations", {})[LAST_APPLIED] = applied
        return call(lambda: cluster.create(obj))
    last = _last_applied(existing)
    patch = three_way(last, {k: v for k, v in obj.items() if k not in ("status", "apiVersion", "kind")})
    patch.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = applied
    return call(lambda: cluster.patch(kind, ns, name, patch, "merge", api_version=api_version))


def _last_applied(obj: Mapping[str, Any]) -> dict[str, object]:
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        last = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return (
        {k: v for k, v in last.items() if k not in ("status", "apiVersion", "kind")}
        if isinstance(last, dict)
        else {}
    )


def _wait_deleted(
    cluster: LiveCluster, kind: str, namespace: str, name: str, api_version: str, uid: str
) -> None:
    """Until the object (this one: same uid) is gone, as ``kubectl delete`` waits by default."""
    deadline = time.monotonic() + DELETE_TIMEOUT
    pause = 0.05
    while True:
        current = call(lambda: cluster.get(kind, namespace, name, api_version))
        if current is None or str((current.get("metadata") or {}).get("uid") or "") != uid:
            return
        if time.monotonic() > deadline:
            raise ResourceFailed(
                f'timed out waiting for the deletion of {kind.lower()}s "{name}" (finalizers: '
                f"{', '.join((current.get('metadata') or {}).get('finalizers') or []) or 'none'})"
            )
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
