"""A resource template's manifest and target, checked before acting (``resource.go``'s preparation).

What every action shares: the manifest read within the YAML limits, the kind/namespace/name an
action is about (from kubectl-style flags or the manifest), the kinds a local run refuses, the
object a create/apply writes, and cluster errors turned into the node's failure.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from wfsync.engine.executor import Unsupported
from wfsync.errors import WfsyncError
from wfsync.library.yamlload import MAX_FILE_BYTES, YamlSyntaxError, load_stream

_NEEDS_CONTROLLER = frozenset(
    {"Job", "CronJob", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}
)
"""Kinds whose objects only mean something once a controller runs pods for them."""
_SERVED = frozenset(
    {
        "Pod",
        "ConfigMap",
        "Secret",
        "Service",
        "ServiceAccount",
        "PersistentVolumeClaim",
        "Namespace",
        "Workflow",
        "WorkflowTemplate",
        "ClusterWorkflowTemplate",
        "CronWorkflow",
    }
)
"""Kinds a cluster with Argo installed serves and that need no controller for what examples do."""
_FLAGS_WITH_VALUE = frozenset({"-n", "--namespace"})
_PLAIN_FLAGS = frozenset({"--ignore-not-found", "--validate=false", "--wait=false", "--wait"})
_T = TypeVar("_T")
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class ResourceFailed(WfsyncError):
    """The action or a failure condition failed the node (Failed, with Argo's message)."""


def load_manifest(res: Mapping[str, object]) -> object:
    """The manifest as data, read within the YAML input limits (it is workflow content)."""
    text = str(res.get("manifest") or "")
    if len(text) > MAX_FILE_BYTES:
        raise ResourceFailed(f"the resource manifest is over the {MAX_FILE_BYTES} byte limit")
    try:
        docs = list(load_stream(text))
    except YamlSyntaxError as exc:
        problem = "is over a YAML input limit" if exc.limit else "is not valid YAML"
        raise ResourceFailed(f"the resource manifest {problem}: line {exc.line}: {exc.message}") from None
    if len(docs) > 1:
        raise ResourceFailed("the resource manifest holds more than one YAML document")
    return docs[0].data if docs else None


def target(manifest: object, flags: list[str], namespace: str, *, patch: bool) -> tuple[str, str, str]:
    """Kind, namespace and name the action is about: from ``flags`` (``kind name``) or the manifest."""
    positional: list[str] = []
    ns = namespace
    skip = False
    for i, flag in enumerate(flags):
        if skip:
            skip = False
        elif flag in _FLAGS_WITH_VALUE and i + 1 < len(flags):
            ns, skip = flags[i + 1], True
        elif flag.startswith("--namespace="):
            ns = flag.partition("=")[2]
        elif flag.startswith("-"):
            if flag not in _PLAIN_FLAGS:
                raise Unsupported(f"resource flag {flag!r} is not implemented locally")
        else:
            positional.append(flag)
    if patch and len(positional) >= 2:
        return kind_of(positional[0]), ns, positional[1]
    if len(positional) == 1 and "/" in positional[0]:
        kind, _, name = positional[0].partition("/")
        return kind_of(kind), ns, name
    if not isinstance(manifest, dict):
        raise ResourceFailed("the resource manifest must be one object (or give kind and name in flags)")
    meta = manifest.get("metadata") or {}
    return str(manifest.get("kind") or ""), str(meta.get("namespace") or ns), str(meta.get("name") or "")


def kind_of(word: str) -> str:
    """``pod``/``pods``/``po`` -> ``Pod`` (the kubectl short names the examples use)."""
    known = {
        "po": "Pod",
        "pod": "Pod",
        "pods": "Pod",
        "cm": "ConfigMap",
        "configmap": "ConfigMap",
        "configmaps": "ConfigMap",
        "secret": "Secret",
        "secrets": "Secret",
        "wf": "Workflow",
        "workflow": "Workflow",
        "workflows": "Workflow",
        "svc": "Service",
        "service": "Service",
        "services": "Service",
    }
    kind = known.get(word.lower().split(".", 1)[0])
    if kind is None:
        raise Unsupported(f"resource flags name the kind {word!r}, which is not known locally")
    return kind


def refuse_controller_kinds(kind: str, *, simulated: bool) -> None:
    """Kinds a local store cannot give meaning to; a real cluster serves (or refuses) kinds itself."""
    if not simulated:
        if kind in _NEEDS_CONTROLLER:
            raise Unsupported(
                f"a {kind} runs pods on the cluster, which a local run neither waits for nor cleans up"
            )
        return
    if kind in _NEEDS_CONTROLLER:
        raise Unsupported(f"environment: a {kind} needs a Kubernetes cluster to run its pods")
    if kind not in _SERVED:
        raise Unsupported(f"environment: kind {kind!r} needs its API (and controller) in a real cluster")


def prepared(
    manifest: dict[str, Any],
    res: Mapping[str, Any],
    namespace: str,
    workflow: Mapping[str, Any],
    *,
    simulated: bool,
) -> dict[str, Any]:
    """The manifest as the object to write: namespace defaulted, generateName resolved, owner set."""
    obj = copy.deepcopy(manifest)
    refuse_controller_kinds(str(obj.get("kind")), simulated=simulated)
    meta = obj.setdefault("metadata", {})
    meta.setdefault("namespace", namespace)
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = str(meta["generateName"]) + "".join(random.choice(_NAME_ALPHABET) for _ in range(5))
    if res.get("setOwnerReference"):
        wf_meta = workflow.get("metadata") or {}
        meta.setdefault("ownerReferences", []).append(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "name": str(wf_meta.get("name")),
                "uid": str(wf_meta.get("uid") or ""),
                "blockOwnerDeletion": True,
            }
        )
    return obj


def call(fn: Callable[[], _T]) -> _T:
    """A cluster call; its error fails the node (Failed with the cluster's message)."""
    try:
        return fn()
    except WfsyncError as exc:
        raise ResourceFailed(str(exc)) from None
