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
import copy
import json
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

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
_REQUIREMENT = re.compile(r"^\s*(!?[\w.\[\]/-]+)\s*(==|!=|=|>|<|\s+in\s+|\s+notin\s+)?\s*(.*?)\s*$")


class ClusterStore(Protocol):
    """What a resource template needs of a cluster (:class:`wfsync.cluster.embedded.EmbeddedCluster`)."""

    @property
    def simulated(self) -> bool:
        """True for a local store (the template's own pod is stored there), False for a real cluster."""

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """One object or None."""

    def create(self, obj: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        """Store a new object."""

    def update(self, obj: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        """Replace an object (current resourceVersion)."""

    def delete(
        self, kind: str, namespace: str | None, name: str, resource_version: str, *, dry_run: bool = False
    ) -> None:
        """Delete an object."""


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
        self, kind: str, namespace: str | None, name: str, patch: Any, strategy: str, *, api_version: str = ""
    ) -> dict[str, Any]:
        """Merge ``patch`` into the object on the server (``strategic``, ``merge`` or ``json``)."""

    def create(self, obj: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        """Store a new object."""


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
"""Where ``kubectl apply`` keeps what it applied last, to know which fields a new manifest drops."""
DELETE_TIMEOUT = 300.0
"""How long a delete waits for the object to be gone (finalizers), unless ``--wait=false``."""


class ResourceFailed(WfsyncError):
    """The action or a failure condition failed the node (Failed, with Argo's message)."""


def execute(
    cluster: ClusterStore,
    tmpl: Mapping[str, Any],
    *,
    namespace: str,
    pod_name: str,
    node: tuple[str, str],
    workflow: Mapping[str, Any],
) -> dict[str, Any]:
    """Do the resource action; the node's outputs. Raises :class:`ResourceFailed` or :class:`Unsupported`."""
    res = tmpl.get("resource") or {}
    action = str(res.get("action") or "")
    if res.get("manifestFrom"):
        raise Unsupported("resource manifestFrom artifacts are not implemented locally yet")
    flags = [str(f) for f in res.get("flags") or []]
    if not cluster.simulated:
        _refuse_what_needs_the_run(res, flags, namespace, pod_name, workflow)
        obj = _act(cluster, action, res, flags, namespace, workflow)
        if obj is not None:
            _check_conditions(res, obj)
        return _outputs(tmpl, obj)
    own = _own_pod(pod_name, namespace, node, workflow)
    cluster.create(own)
    try:
        obj = _act(cluster, action, res, flags, namespace, workflow)
        if obj is not None:
            _check_conditions(res, obj)
        return _outputs(tmpl, obj)
    finally:
        current = cluster.get("Pod", namespace, pod_name)
        if current is not None:
            cluster.delete("Pod", namespace, pod_name, "")


def _refuse_what_needs_the_run(
    res: Mapping[str, Any], flags: list[str], namespace: str, pod_name: str, workflow: Mapping[str, Any]
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
    manifest = _load_manifest(res)
    action = str(res.get("action") or "")
    if action in ("get", "delete", "patch"):
        about: tuple[str, ...] = ()
        with contextlib.suppress(ResourceFailed, Unsupported):  # the action reports those itself
            about = _target(manifest, flags, namespace, patch=action == "patch")[::2]
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
) -> dict[str, Any]:
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


def _load_manifest(res: Mapping[str, Any]) -> Any:
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


def _target(manifest: Any, flags: list[str], namespace: str, *, patch: bool) -> tuple[str, str, str]:
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
        return _kind_of(positional[0]), ns, positional[1]
    if len(positional) == 1 and "/" in positional[0]:
        kind, _, name = positional[0].partition("/")
        return _kind_of(kind), ns, name
    if not isinstance(manifest, dict):
        raise ResourceFailed("the resource manifest must be one object (or give kind and name in flags)")
    meta = manifest.get("metadata") or {}
    return str(manifest.get("kind") or ""), str(meta.get("namespace") or ns), str(meta.get("name") or "")


def _kind_of(word: str) -> str:
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


def _refuse_controller_kinds(kind: str, *, simulated: bool) -> None:
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


def _act(
    cluster: ClusterStore,
    action: str,
    res: Mapping[str, Any],
    flags: list[str],
    namespace: str,
    workflow: Mapping[str, Any],
) -> dict[str, Any] | None:
    manifest = _load_manifest(res)
    if (
        not cluster.simulated
        and isinstance(cluster, LiveCluster)
        and action in ("apply", "delete", "patch", "get")
    ):
        return _act_live(cluster, action, res, flags, namespace, workflow, manifest)
    if action in ("create", "apply", "replace"):
        if not isinstance(manifest, dict):
            raise ResourceFailed("the resource manifest must be one object")
        obj = _prepared(manifest, res, namespace, workflow, simulated=cluster.simulated)
        meta = obj["metadata"]
        kind, ns, name = str(obj.get("kind")), str(meta["namespace"]), str(meta.get("name") or "")
        if action == "create":
            return _call(lambda: cluster.create(obj))
        existing = _call(lambda: cluster.get(kind, ns, name)) if name else None
        if action == "apply" and existing is None:
            return _call(lambda: cluster.create(obj))
        if existing is None:
            raise ResourceFailed(f'{kind.lower()}s "{name}" not found')
        obj["metadata"]["resourceVersion"] = existing["metadata"].get("resourceVersion")
        return _call(lambda: cluster.update(obj))
    if action in ("get", "delete", "patch"):
        kind, ns, name = _target(manifest, flags, namespace, patch=action == "patch")
        _refuse_controller_kinds(kind, simulated=cluster.simulated)
        existing = _call(lambda: cluster.get(kind, ns, name))
        if existing is None:
            if action == "delete" and "--ignore-not-found" in flags:
                return None
            raise ResourceFailed(f'{kind.lower()}s "{name}" not found')
        if action == "get":
            return existing
        if action == "delete":
            _call(lambda: cluster.delete(kind, ns, name, ""))
            return None
        patched = _patch(existing, manifest, str(res.get("mergeStrategy") or "strategic"))
        return _call(lambda: cluster.update(patched))
    raise Unsupported(f"resource action {action!r} is not implemented locally")


def _prepared(
    manifest: dict[str, Any],
    res: Mapping[str, Any],
    namespace: str,
    workflow: Mapping[str, Any],
    *,
    simulated: bool,
) -> dict[str, Any]:
    """The manifest as the object to write: namespace defaulted, generateName resolved, owner set."""
    obj = copy.deepcopy(manifest)
    _refuse_controller_kinds(str(obj.get("kind")), simulated=simulated)
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


def _act_live(
    cluster: LiveCluster,
    action: str,
    res: Mapping[str, Any],
    flags: list[str],
    namespace: str,
    workflow: Mapping[str, Any],
    manifest: Any,
) -> dict[str, Any] | None:
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
        obj = _prepared(manifest, res, namespace, workflow, simulated=False)
        meta = obj["metadata"]
        kind, ns, name = str(obj.get("kind")), str(meta["namespace"]), str(meta.get("name") or "")
        applied = json.dumps(
            {k: v for k, v in obj.items() if k != "status"}, separators=(",", ":"), sort_keys=True
        )
        existing = _call(lambda: cluster.get(kind, ns, name, api_version)) if name else None
        if existing is None:
            meta.setdefault("annotations", {})[LAST_APPLIED] = applied
            return _call(lambda: cluster.create(obj))
        last = _last_applied(existing)
        patch = _three_way(last, {k: v for k, v in obj.items() if k not in ("status", "apiVersion", "kind")})
        patch.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = applied
        return _call(lambda: cluster.patch(kind, ns, name, patch, "merge", api_version=api_version))
    kind, ns, name = _target(manifest, flags, namespace, patch=action == "patch")
    if not (isinstance(manifest, dict) and kind == str(manifest.get("kind") or "")):
        api_version = ""  # the kind came from flags: found in any group, as kubectl does
    _refuse_controller_kinds(kind, simulated=False)
    if action == "get":
        found = _call(lambda: cluster.get(kind, ns, name, api_version))
        if found is None:
            raise ResourceFailed(f'{kind.lower()}s "{name}" not found')
        return found
    if action == "delete":
        existing = _call(lambda: cluster.get(kind, ns, name, api_version))
        if existing is None:
            if "--ignore-not-found" in flags:
                return None
            raise ResourceFailed(f'{kind.lower()}s "{name}" not found')
        _call(lambda: cluster.delete(kind, ns, name, "", api_version=api_version))
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
    return _call(lambda: cluster.patch(kind, ns, name, manifest, strategy, api_version=api_version))


def _last_applied(obj: Mapping[str, Any]) -> dict[str, Any]:
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


def _three_way(last: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON merge patch setting ``new`` and removing what ``last`` set and ``new`` no longer does."""
    patch: dict[str, Any] = {key: None for key in last if key not in new}
    for key, value in new.items():
        before = last.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            patch[key] = _three_way(before, value)
        else:
            patch[key] = copy.deepcopy(value)
    return patch


def _wait_deleted(
    cluster: LiveCluster, kind: str, namespace: str, name: str, api_version: str, uid: str
) -> None:
    """Until the object (this one: same uid) is gone, as ``kubectl delete`` waits by default."""
    deadline = time.monotonic() + DELETE_TIMEOUT
    pause = 0.05
    while True:
        current = _call(lambda: cluster.get(kind, namespace, name, api_version))
        if current is None or str((current.get("metadata") or {}).get("uid") or "") != uid:
            return
        if time.monotonic() > deadline:
            raise ResourceFailed(
                f'timed out waiting for the deletion of {kind.lower()}s "{name}" (finalizers: '
                f"{', '.join((current.get('metadata') or {}).get('finalizers') or []) or 'none'})"
            )
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def _call(fn: Callable[[], _T]) -> _T:
    try:
        return fn()
    except WfsyncError as exc:
        raise ResourceFailed(str(exc)) from None


def _patch(obj: dict[str, Any], patch: Any, strategy: str) -> dict[str, Any]:
    if strategy == "json":
        if not isinstance(patch, list):
            raise ResourceFailed("a json patch must be a list of operations")
        out = copy.deepcopy(obj)
        for op in patch:
            _json_patch_op(out, op)
        return out
    if not isinstance(patch, dict):
        raise ResourceFailed("a merge patch must be an object")
    if strategy == "strategic" and _has_list(patch):
        raise Unsupported("strategic merge patches of lists are not implemented locally")
    if strategy not in ("merge", "strategic"):
        raise ResourceFailed(f"unknown mergeStrategy {strategy!r}")
    return _merge(copy.deepcopy(obj), patch)


def _has_list(value: Any) -> bool:
    if isinstance(value, list):
        return True
    return isinstance(value, dict) and any(_has_list(v) for v in value.values())


def _merge(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch (null deletes)."""
    for key, value in patch.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _json_patch_op(doc: dict[str, Any], op: Any) -> None:
    """One RFC 6902 operation (add, remove, replace, test)."""
    if not isinstance(op, dict) or "path" not in op:
        raise ResourceFailed(f"invalid json patch operation {op!r}")
    kind = op.get("op")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in str(op["path"]).split("/")[1:]]
    parent: Any = doc
    for part in parts[:-1]:
        parent = (
            parent[int(part)]
            if isinstance(parent, list)
            else parent.get(part)
            if isinstance(parent, dict)
            else None
        )
        if parent is None:
            raise ResourceFailed(f"doc is missing path: {op['path']}")
    last = parts[-1] if parts else ""
    if kind in ("add", "replace"):
        if isinstance(parent, list):
            index = len(parent) if last == "-" else int(last)
            if kind == "add":
                parent.insert(index, op.get("value"))
            else:
                parent[index] = op.get("value")
        elif isinstance(parent, dict):
            if kind == "replace" and last not in parent:
                raise ResourceFailed(f"replace operation does not apply: doc is missing key: {op['path']}")
            parent[last] = op.get("value")
        else:
            raise ResourceFailed(f"doc is missing path: {op['path']}")
    elif kind == "remove":
        try:
            del parent[int(last) if isinstance(parent, list) else last]
        except (KeyError, IndexError, TypeError, ValueError):
            raise ResourceFailed(
                f"remove operation does not apply: doc is missing path: {op['path']}"
            ) from None
    elif kind == "test":
        current = parent.get(last) if isinstance(parent, dict) else None
        if current != op.get("value"):
            raise ResourceFailed(f"testing value {op['path']} failed")
    else:
        raise Unsupported(f"json patch operation {kind!r} is not implemented locally")


def _lookup(obj: Any, path: str) -> tuple[bool, Any]:
    """A dotted path (``status.phase``, ``items[0].name``) in an object; (found, value)."""
    current = obj
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path.strip(".")):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(current, list) or index >= len(current):
                return False, None
            current = current[index]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return False, None
    return True, current


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def condition_met(condition: str, obj: Mapping[str, Any]) -> bool:
    """A label-selector style condition (``status.phase == Succeeded,status.failed > 0``) on ``obj``."""
    for requirement in filter(None, (r.strip() for r in re.split(r",(?![^()]*\))", condition))):
        match = _REQUIREMENT.match(requirement)
        if match is None:
            raise Unsupported(f"condition {condition!r} is not understood locally")
        path, op, value = match.group(1), (match.group(2) or "").strip(), match.group(3)
        negate = path.startswith("!")
        found, current = _lookup(obj, path.lstrip("!"))
        if not op:
            if found == negate:
                return False
            continue
        text = _text(current) if found else ""
        if op in ("==", "="):
            ok = found and text == value
        elif op == "!=":
            ok = not found or text != value
        elif op in (">", "<"):
            try:
                left, right = float(text), float(value)
            except ValueError:
                return False
            ok = left > right if op == ">" else left < right
        else:
            values = {v.strip() for v in value.strip("()").split(",")}
            ok = (found and text in values) if op == "in" else (not found or text not in values)
        if not ok:
            return False
    return True


def _check_conditions(res: Mapping[str, Any], obj: Mapping[str, Any]) -> None:
    success, failure = res.get("successCondition"), res.get("failureCondition")
    if not success and not failure:
        return
    if failure and condition_met(str(failure), obj):
        raise ResourceFailed(f"failure condition '{failure}' met")
    if success and condition_met(str(success), obj):
        return
    if not success:
        return
    raise Unsupported(
        f"resource condition '{success}' is not met yet and only a controller could change that locally"
    )


def _outputs(tmpl: Mapping[str, Any], obj: Mapping[str, Any] | None) -> dict[str, Any]:
    params = []
    for param in (tmpl.get("outputs") or {}).get("parameters") or []:
        value_from = param.get("valueFrom") or {}
        path = value_from.get("jsonPath") or value_from.get("jqFilter")
        out = {k: v for k, v in param.items() if k != "valueFrom"}
        if path:
            text = str(path).strip()
            if text.startswith("{") and text.endswith("}"):
                text = text[1:-1]
            if any(ch in text for ch in "|?*@()"):
                raise Unsupported(
                    f"output parameter {param.get('name')!r}: path {path!r} is not implemented locally"
                )
            found, value = _lookup(obj or {}, text)
            if not found:
                if value_from.get("default") is not None:
                    out["value"] = str(value_from["default"])
                    params.append(out)
                    continue
                raise ResourceFailed(
                    f"output parameter {param.get('name')!r}: {path} not found in the resource"
                )
            out["value"] = _text(value)
        elif value_from.get("default") is not None:
            out["value"] = str(value_from["default"])
        else:
            continue
        params.append(out)
    return {"parameters": params} if params else {}
