"""Resource templates against a cluster (``workflow/executor/resource.go``), the embedded one by default.

The action (create, apply, replace, delete, get, patch) is done on the manifest after
substitution; ``successCondition``/``failureCondition`` are evaluated on the resulting object;
output parameters come from it by ``jsonPath`` or ``jqFilter``. In a simulated (embedded) store
the resource template's own pod exists while it runs (``{{pod.name}}`` patches work). On a real
cluster no pod is created (a scheduler would run it) and no Workflow exists, so what refers to
them (``{{pod.name}}``, ``setOwnerReference``, owner references to the workflow) is refused before
acting. What would need a controller (a Job or Deployment that runs pods, a condition that only a
controller can make true) is refused with an ``unsupported:`` reason instead of waiting forever
or giving another verdict.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Protocol

from wfsync.engine.executor import Unsupported
from wfsync.engine.resource_conditions import check_conditions, condition_met, outputs
from wfsync.engine.resource_live import LAST_APPLIED, LiveCluster, act_live
from wfsync.engine.resource_manifest import (
    ResourceFailed,
    call,
    load_manifest,
    prepared,
    refuse_controller_kinds,
    target,
)
from wfsync.engine.resource_patch import patched

__all__ = ["LAST_APPLIED", "ClusterStore", "ResourceFailed", "condition_met", "execute"]


class ClusterStore(Protocol):
    """What a resource template needs of a cluster (:class:`wfsync.cluster.embedded.EmbeddedCluster`)."""

    @property
    def simulated(self) -> bool:
        """True for a local store (the template's own pod is stored there), False for a real cluster."""

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """One object or None."""

    def create(self, obj: dict[str, object], *, dry_run: bool = False) -> dict[str, object]:
        """Store a new object."""

    def update(self, obj: dict[str, object], *, dry_run: bool = False) -> dict[str, object]:
        """Replace an object (current resourceVersion)."""

    def delete(
        self, kind: str, namespace: str | None, name: str, resource_version: str, *, dry_run: bool = False
    ) -> None:
        """Delete an object."""


def execute(
    cluster: ClusterStore,
    tmpl: Mapping[str, Any],
    *,
    namespace: str,
    pod_name: str,
    node: tuple[str, str],
    workflow: Mapping[str, object],
) -> dict[str, object]:
    """Do the resource action; the node's outputs. Raises :class:`ResourceFailed` or :class:`Unsupported`."""
    res = tmpl.get("resource") or {}
    action = str(res.get("action") or "")
    if res.get("manifestFrom"):
        raise Unsupported("resource manifestFrom artifacts are not implemented locally yet")
    flags = [str(f) for f in res.get("flags") or []]
    if not cluster.simulated:
        _refuse_what_needs_the_run(res, flags, namespace, pod_name, workflow)
        return _act_and_judge(cluster, tmpl, action, flags, namespace, workflow)
    own = _own_pod(pod_name, namespace, node, workflow)
    cluster.create(own)
    try:
        return _act_and_judge(cluster, tmpl, action, flags, namespace, workflow)
    finally:
        current = cluster.get("Pod", namespace, pod_name)
        if current is not None:
            cluster.delete("Pod", namespace, pod_name, "")


def _act_and_judge(
    cluster: ClusterStore,
    tmpl: Mapping[str, Any],
    action: str,
    flags: list[str],
    namespace: str,
    workflow: Mapping[str, object],
) -> dict[str, object]:
    """Act, check the conditions on the resulting object, and read the outputs from it."""
    res = tmpl.get("resource") or {}
    obj = _act(cluster, action, res, flags, namespace, workflow)
    if obj is not None:
        check_conditions(res, obj)
    return outputs(tmpl, obj)


def _refuse_what_needs_the_run(
    res: Mapping[str, object], flags: list[str], namespace: str, pod_name: str, workflow: Mapping[str, Any]
) -> None:
    """On a real cluster: refuse, before acting, what refers to the local run's pod or Workflow.

    Neither exists there: the pod is not created (it would be scheduled), the Workflow is not
    submitted, and the garbage collector deletes objects whose owner does not exist.
    """
    wf_name = str((workflow.get("metadata") or {}).get("name") or "")
    if res.get("setOwnerReference"):
        raise Unsupported(
            f"setOwnerReference: the owner would be Workflow {wf_name!r}, which a local run does not "
            "create on the cluster (the object would be garbage-collected)"
        )
    own_pod = Unsupported(
        f"the resource template refers to its own pod {pod_name!r} ({{{{pod.name}}}}), which a local "
        "run does not create on the cluster"
    )
    manifest = load_manifest(res)
    action = str(res.get("action") or "")
    if action in ("get", "delete", "patch"):
        about: tuple[str, ...] = ()
        with contextlib.suppress(ResourceFailed, Unsupported):  # the action reports those itself
            about = target(manifest, flags, namespace, patch=action == "patch")[::2]
        if about == ("Pod", pod_name):
            raise own_pod
    for doc in manifest if isinstance(manifest, list) else [manifest]:
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        owners = meta.get("ownerReferences") if isinstance(meta, dict) else None
        for owner in owners if isinstance(owners, list) else []:
            if not isinstance(owner, dict):
                continue
            if owner.get("kind") == "Pod" and owner.get("name") == pod_name:
                raise own_pod
            if owner.get("kind") == "Workflow" and owner.get("name") == wf_name:
                raise Unsupported(
                    f"the manifest's ownerReferences name Workflow {wf_name!r}, which a local run does "
                    "not create on the cluster (the object would be garbage-collected)"
                )


def _own_pod(
    pod_name: str, namespace: str, node: tuple[str, str], workflow: Mapping[str, Any]
) -> dict[str, object]:
    meta = workflow.get("metadata") or {}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name,
            "namespace": namespace,
            "labels": {
                "workflows.argoproj.io/workflow": str(meta.get("name")),
                "workflows.argoproj.io/completed": "false",
            },
            "annotations": {
                "workflows.argoproj.io/node-id": node[0],
                "workflows.argoproj.io/node-name": node[1],
            },
        },
        "spec": {"containers": [{"name": "main", "image": "argoproj/argoexec"}]},
    }


def _act(
    cluster: ClusterStore,
    action: str,
    res: Mapping[str, object],
    flags: list[str],
    namespace: str,
    workflow: Mapping[str, object],
) -> dict[str, object] | None:
    manifest = load_manifest(res)
    if (
        not cluster.simulated
        and isinstance(cluster, LiveCluster)
        and action in ("apply", "delete", "patch", "get")
    ):
        return act_live(cluster, action, res, flags, namespace, workflow, manifest)
    if action in ("create", "apply", "replace"):
        if not isinstance(manifest, dict):
            raise ResourceFailed("the resource manifest must be one object")
        obj = prepared(manifest, res, namespace, workflow, simulated=cluster.simulated)
        meta = obj["metadata"]
        kind, ns, name = str(obj.get("kind")), str(meta["namespace"]), str(meta.get("name") or "")
        if action == "create":
            return call(lambda: cluster.create(obj))
        existing = call(lambda: cluster.get(kind, ns, name)) if name else None
        if action == "apply" and existing is None:
            return call(lambda: cluster.create(obj))
        if existing is None:
            raise ResourceFailed(f'{kind.lower()}s "{name}" not found')
        obj["metadata"]["resourceVersion"] = existing["metadata"].get("resourceVersion")
        return call(lambda: cluster.update(obj))
    if action in ("get", "delete", "patch"):
        kind, ns, name = target(manifest, flags, namespace, patch=action == "patch")
        refuse_controller_kinds(kind, simulated=cluster.simulated)
        existing = call(lambda: cluster.get(kind, ns, name))
        if existing is None:
            if action == "delete" and "--ignore-not-found" in flags:
                return None
            raise ResourceFailed(f'{kind.lower()}s "{name}" not found')
        if action == "get":
            return existing
        if action == "delete":
            call(lambda: cluster.delete(kind, ns, name, ""))
            return None
        new = patched(existing, manifest, str(res.get("mergeStrategy") or "strategic"))
        return call(lambda: cluster.update(new))
    raise Unsupported(f"resource action {action!r} is not implemented locally")
