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
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from typing import TypeGuard

from wfsync.model import values
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


def normalize(obj: Mapping[str, object]) -> dict[str, object]:
    """The normal form of a document or live object (a new dict; the input is not changed)."""
    out: dict[str, object] = {}
    for key, value in obj.items():
        if key.__class__ is not str:
            key = str(key)  # as nested keys are: JSON (and so the content hash) needs string keys
        if key == "status":
            continue
        if key == "metadata" and isinstance(value, Mapping):
            value = _metadata(value, str(obj.get("kind", "")))
        folded = _fold(value, key)
        if not _empty(folded):
            out[key] = folded
    return out


def content_hash(obj: Mapping[str, object]) -> str:
    """``sha256:<hex>`` of the normal form: equal by meaning means equal hash."""
    data = json.dumps(normalize(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()


def _metadata(meta: Mapping[str, object], kind: str) -> dict[str, object]:
    out = {k: v for k, v in meta.items() if k not in SERVER_METADATA}
    if kind == "ClusterWorkflowTemplate":
        out.pop("namespace", None)
    labels = {k: str(v) for k, v in values.mapping(meta.get("labels")).items() if k not in OWNERSHIP_LABELS}
    annotations = {
        k: str(v) for k, v in values.mapping(meta.get("annotations")).items() if k not in IGNORED_ANNOTATIONS
    }
    out["labels"], out["annotations"] = labels, annotations
    return out


def _fold(value: object, key: str | None, in_parameter: bool = False) -> object:
    if isinstance(value, dict):
        return _fold_dict(value, key, in_parameter)
    if isinstance(value, list):
        return _fold_list(value, key, in_parameter)
    return _fold_scalar(value, key, in_parameter)


def _fold_scalar(value: object, key: str | None, in_parameter: bool) -> object:
    if in_parameter and key in PARAMETER_STRINGS:
        return _argo_string(value)
    if key in INT_OR_STRING and value.__class__ is str and _INTEGER.match(value):
        return int(value)
    return value


def _fold_dict(value: dict[object, object], key: str | None, in_parameter: bool) -> dict[str, object]:
    # The hot loop of diff (every node of every desired and live object): children are
    # dispatched inline and empties (None, {}, []) dropped without a call per value.
    out: dict[str, object] = {}
    for k, v in value.items():
        if k.__class__ is not str:
            k = str(k)
        if isinstance(v, dict):
            v = _fold_dict(v, k, in_parameter)
            if not v:
                continue
        elif isinstance(v, list):
            v = _fold_list(v, k, in_parameter)
            if not v:
                continue
        elif v is None:
            continue
        elif (in_parameter and k in PARAMETER_STRINGS) or k in INT_OR_STRING:
            v = _fold_scalar(v, k, in_parameter)
        out[k] = v
    if key in ("limits", "requests"):
        out = {k: _quantity(v) for k, v in out.items()}
    return out


def _fold_list(value: list[object], key: str | None, in_parameter: bool) -> list[object]:
    child = key == "parameters"
    items: list[object] = [
        _fold_dict(v, None, child)
        if isinstance(v, dict)
        else _fold_list(v, None, child)
        if isinstance(v, list)
        else v
        for v in value
    ]
    if key == "enum" and in_parameter:
        items = [_argo_string(v) for v in items]
    if key in UNORDERED_NAMED_LISTS and _named(items):
        items.sort(key=lambda item: str(item["name"]))
    return items


def _named(items: list[object]) -> TypeGuard[list[dict[str, object]]]:
    names = [item.get("name") for item in items if isinstance(item, dict)]
    return (
        len(names) == len(items) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)
    )


def _argo_string(value: object) -> object:
    """Parameter values are strings in Argo (AnyString): ``3`` is ``"3"``, ``true`` is ``"true"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _quantity(value: object) -> object:
    """A resource quantity as its amount (``"1Gi"`` and ``"1024Mi"`` agree); others unchanged."""
    text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    if not isinstance(text, str):
        return value
    amount = _quantity_text(text)
    return value if amount is None else amount


@functools.lru_cache(maxsize=4096)
def _quantity_text(text: str) -> str | None:
    """The amount of a quantity string, None when it is not one (cached: few distinct values)."""
    match = _QUANTITY.match(text.strip())
    if match is None:
        return None
    try:
        amount = decimal.Decimal(match.group(1)) * decimal.Decimal(_SUFFIX[match.group(2) or ""])
    except decimal.InvalidOperation:
        return None
    return format(amount.normalize(), "f")


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, dict | list) and not value)
