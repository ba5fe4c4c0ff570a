"""Normalisation: the form in which a library document and a live object compare equal by meaning.

Without it an unchanged library shows differences forever (the OutOfSync-with-an-empty-diff
problem of other GitOps tools). Both sides go through :func:`normalize`, which

* drops what the server populates (uid, resourceVersion, generation, timestamps, managedFields,
  status) and wfsync's own ownership labels and annotations (they are stamped, not authored);
* folds empty values (``null``, ``{}``, ``[]``) into absence;
* compares int-or-string fields by meaning (``limit: "3"`` is ``limit: 3``), parameter values as
  the strings Argo stores, and resource quantities by amount (``1000m`` is ``1``);
* sorts lists whose order carries no meaning (templates, DAG tasks, parameters, artifacts, env,
  volumes, mounts) by ``name``; ordered lists (steps, args, command) keep their order.

The content hash of an object is the hash of its normal form, so it is stable across key order,
YAML style and server defaults.
"""

from __future__ import annotations

import decimal
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from wfsync.sync.ownership import OWNERSHIP_ANNOTATIONS, OWNERSHIP_LABELS

SERVER_METADATA = frozenset(
    {
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
    }
)
IGNORED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"}) | OWNERSHIP_ANNOTATIONS
UNORDERED_NAMED_LISTS = frozenset(
    {
        "templates",
        "tasks",
        "parameters",
        "artifacts",
        "env",
        "volumes",
        "volumeMounts",
        "volumeClaimTemplates",
    }
)
"""Lists whose items are identified by ``name`` and whose order means nothing to Argo."""
INT_OR_STRING = frozenset({"limit", "activeDeadlineSeconds", "factor", "port", "targetPort"})
"""Fields Argo or Kubernetes declare as IntOrString: ``"3"`` and ``3`` mean the same."""
PARAMETER_STRINGS = frozenset({"value", "default"})
_INTEGER = re.compile(r"^-?\d+$")
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_SUFFIX: dict[str, int | decimal.Decimal] = {
    "": 1,
    "n": decimal.Decimal("1e-9"),
    "u": decimal.Decimal("1e-6"),
    "m": decimal.Decimal("1e-3"),
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def normalize(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The normal form of a document or live object (a new dict; the input is not changed)."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "status":
            continue
        if key == "metadata" and isinstance(value, Mapping):
            value = _metadata(value, str(obj.get("kind", "")))
        folded = _fold(value, key)
        if not _empty(folded):
            out[key] = folded
    return out


def content_hash(obj: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of the normal form: equal by meaning means equal hash."""
    data = json.dumps(normalize(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()


def _metadata(meta: Mapping[str, Any], kind: str) -> dict[str, Any]:
    out = {k: v for k, v in meta.items() if k not in SERVER_METADATA}
    if kind == "ClusterWorkflowTemplate":
        out.pop("namespace", None)
    labels = {k: str(v) for k, v in (meta.get("labels") or {}).items() if k not in OWNERSHIP_LABELS}
    annotations = {
        k: str(v) for k, v in (meta.get("annotations") or {}).items() if k not in IGNORED_ANNOTATIONS
    }
    out["labels"], out["annotations"] = labels, annotations
    return out


def _fold(value: Any, key: str | None, in_parameter: bool = False) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            folded = _fold(v, str(k), in_parameter=in_parameter)
            if not _empty(folded):
                out[str(k)] = folded
        if key in ("limits", "requests"):
            out = {k: _quantity(v) for k, v in out.items()}
        return out
    if isinstance(value, list):
        items = [_fold(v, None, in_parameter=key == "parameters") for v in value]
        if key == "enum" and in_parameter:
            items = [_argo_string(v) for v in items]
        if key in UNORDERED_NAMED_LISTS and _named(items):
            items.sort(key=lambda item: str(item["name"]))
        return items
    if in_parameter and key in PARAMETER_STRINGS:
        return _argo_string(value)
    if key in INT_OR_STRING and value.__class__ is str and _INTEGER.match(value):
        return int(value)
    return value


def _named(items: list[Any]) -> bool:
    names = [item.get("name") for item in items if isinstance(item, dict)]
    return (
        len(names) == len(items) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)
    )


def _argo_string(value: Any) -> Any:
    """Parameter values are strings in Argo (AnyString): ``3`` is ``"3"``, ``true`` is ``"true"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _quantity(value: Any) -> Any:
    """A resource quantity as its amount (``"1Gi"`` and ``"1024Mi"`` agree); others unchanged."""
    text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    if not isinstance(text, str):
        return value
    match = _QUANTITY.match(text.strip())
    if match is None:
        return value
    try:
        amount = decimal.Decimal(match.group(1)) * decimal.Decimal(_SUFFIX[match.group(2) or ""])
    except decimal.InvalidOperation:
        return value
    normal = amount.normalize()
    return format(normal, "f")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, dict | list) and not value)
