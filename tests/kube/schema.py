"""Structural schemas, applied to custom resources the way kube-apiserver's apiextensions code does.

A real API server does not store a custom resource as it was sent: it decodes numbers the Go way
(``1.0`` comes back as ``1``), drops ``null`` from fields that are not nullable, prunes fields
the CRD's ``openAPIV3Schema`` does not declare (unless ``x-kubernetes-preserve-unknown-fields``),
fills in the schema's ``default`` values, and validates types and required fields. With
``fieldValidation=Strict`` a pruned field is a 400 ``strict decoding error``; with ``Warn`` (the
server's default) it comes back as a ``Warning`` header; with ``Ignore`` it goes silently.

The schemas come from the real source of truth, Argo's full CRDs (``../shared/corpus/argo/crds``,
the manifests Argo's release installs); :func:`argo_schemas` reads them once per process.
Not modelled: CEL rules (``x-kubernetes-validations``), patterns, enums and bounds, list-map
uniqueness, defaulting on read after a CRD change (objects are defaulted when written).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.kube.validation import FieldError

Obj = dict[str, Any]

ROOT = Path(__file__).resolve().parent.parent.parent
ARGO_CRDS = ROOT.parent / "shared" / "corpus" / "argo" / "crds"
"""Argo's full CRDs (``manifests/base/crds/full``), read by path, never copied into the project."""

OBJECT_META = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
"""The fields of ``metadata`` a custom resource keeps (ObjectMeta); anything else is pruned."""

VALIDATION_MODES = ("Ignore", "Warn", "Strict")
_GO_FLOAT_LIMIT = 1e21
"""Go's encoder writes floats below this without an exponent: an integral one comes back as an integer."""
_INT64 = 2**63


def argo_crds_available() -> bool:
    """Whether Argo's full CRDs are there to read (tests skip with a reason when not)."""
    return (ARGO_CRDS / "argoproj.io_workflowtemplates.yaml").is_file()


@functools.cache
def argo_schemas() -> dict[str, Obj]:
    """Each Argo resource's ``openAPIV3Schema`` (by plural) from the full CRDs (about 2 s, once)."""
    schemas: dict[str, Obj] = {}
    for path in sorted(ARGO_CRDS.glob("argoproj.io_*.yaml")):
        with path.open("rb") as stream:
            crd = yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        version = crd["spec"]["versions"][0]
        schemas[crd["spec"]["names"]["plural"]] = version["schema"]["openAPIV3Schema"]
    return schemas


def go_numbers(value: Any) -> Any:
    """``value`` as Go's JSON decode and encode leave it: integral floats become integers."""
    if isinstance(value, dict):
        return {k: go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [go_numbers(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -_INT64 <= value < _INT64:
        value = float(value)  # json.Number.Int64 fails: decoded as float64
    if isinstance(value, float) and value.is_integer() and abs(value) < _GO_FLOAT_LIMIT:
        return int(value)
    return value


@dataclass
class Admission:
    """What the schema did to one object: the fields it pruned and what it refuses."""

    unknown: list[str] = field(default_factory=list)
    """Paths of pruned fields, as the server names them (``spec.templates[0].contaner``)."""
    errors: list[FieldError] = field(default_factory=list)


def apply_schema(schema: Obj, obj: Obj) -> Admission:
    """Prune, drop non-nullable nulls, default and validate ``obj`` in place (root: a whole object)."""
    result = Admission()
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        for key in [k for k in meta if k not in OBJECT_META]:
            del meta[key]
            result.unknown.append(f"metadata.{key}")
    props = schema.get("properties") or {}
    for key in [k for k in obj if k not in props and k not in ("apiVersion", "kind", "metadata")]:
        del obj[key]
        result.unknown.append(key)
    for key, sub in props.items():
        if key in ("apiVersion", "kind", "metadata"):
            continue
        _default_missing(obj, key, sub)
        if key in obj:
            obj[key] = _walk(sub, obj[key], key, result)
            if obj[key] is _PRUNE:
                del obj[key]
    for key in schema.get("required") or ():
        if key not in obj:
            result.errors.append(FieldError(key, "Required value", "FieldValueRequired"))
    return result


class _Pruned:
    """Marks a ``null`` that is dropped (not nullable and no default)."""


_PRUNE: Any = _Pruned()


def _default_missing(obj: Obj, key: str, sub: Obj) -> None:
    if key not in obj and "default" in sub:
        obj[key] = copy.deepcopy(sub["default"])
    elif obj.get(key, 0) is None and not sub.get("nullable") and "default" in sub:
        obj[key] = copy.deepcopy(sub["default"])


def _walk(schema: Obj, value: Any, path: str, result: Admission) -> Any:
    """One value against its schema; returns the value to keep (or ``_PRUNE``)."""
    if value is None:
        if schema.get("nullable"):
            return None
        return _PRUNE
    if schema.get("x-kubernetes-int-or-string"):
        if isinstance(value, bool) or not isinstance(value, int | str):
            result.errors.append(_type_error(path, value, "integer or string"))
        return value
    kind = schema.get("type")
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    if kind is None and preserve:
        return value
    if kind and not _is(kind, value):
        result.errors.append(_type_error(path, value, kind))
        return value
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is not None:
            for key in [k for k in value if k not in props and not preserve]:
                del value[key]
                result.unknown.append(f"{path}.{key}")
            for key, sub in props.items():
                _default_missing(value, key, sub)
                if key in value:
                    value[key] = _walk(sub, value[key], f"{path}.{key}", result)
                    if value[key] is _PRUNE:
                        del value[key]
            for key in schema.get("required") or ():
                if key not in value:
                    result.errors.append(FieldError(f"{path}.{key}", "Required value", "FieldValueRequired"))
        elif isinstance(extra, dict):
            for key in list(value):
                value[key] = _walk(extra, value[key], f"{path}.{key}", result)
                if value[key] is _PRUNE:
                    del value[key]
        elif not preserve and not extra:
            for key in list(value):  # an object with neither properties nor additionalProperties
                del value[key]
                result.unknown.append(f"{path}.{key}")
        return value
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            kept = []
            for index, item in enumerate(value):
                walked = _walk(items, item, f"{path}[{index}]", result)
                if walked is not _PRUNE:
                    kept.append(walked)
            return kept
    return value


_GO_TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}


def _is(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    expected = _GO_TYPES.get(kind)
    return expected is None or isinstance(value, expected)


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_error(path: str, value: Any, kind: str) -> FieldError:
    """kube-openapi's wording: ``Invalid value: "integer": spec.x in body must be of type string: "integer"``."""
    got = _go_type(value)
    wanted = "integer,string" if kind == "integer or string" else kind
    return FieldError(
        path,
        f'Invalid value: "{got}": {path} in body must be of type {wanted}: "{got}"',
        "FieldValueTypeInvalid",
    )
