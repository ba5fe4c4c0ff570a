"""Generate ``argo.json``, the compact structural schema lint checks documents against.

Hera's pydantic models (generated from Argo's OpenAPI spec) are the source of truth for which
fields exist and their types. Importing them costs over a second, so lint never does: this module
runs at development time (``python -m wfsync.lint.schema.generate``) and a test checks that the
shipped file matches a fresh generation.

Hera lags Argo by a minor version; :data:`OVERLAY` adds the fields Argo 4.1 has and Hera 7's
models lack, and corrects types where the models are looser or stricter than Argo's decoder
. Parameter values stay strings: Argo's own decoder would take ``value: 5``, but the API server
validates against the CRD, which says string, and rejects the object.

Type specs in the output: ``"s"`` string, ``"i"`` integer, ``"n"`` number, ``"b"`` boolean,
``"a"`` anything, ``"is"`` int-or-string, ``"as"`` any scalar read as a string (AnyString),
``{"l": spec}`` list, ``{"m": spec}`` map with string keys, ``{"r": "Def"}`` reference.
"""

from __future__ import annotations

import datetime
import json
import types
import typing
from typing import Any

from wfsync.lint.schema.check import SCHEMA_FILE as SCHEMA_PATH  # what lint reads is what this writes

ROOTS = {
    "WorkflowTemplate": "WorkflowTemplate",
    "ClusterWorkflowTemplate": "ClusterWorkflowTemplate",
    "Workflow": "Workflow",
    "CronWorkflow": "CronWorkflow",
}

OVERLAY: dict[str, dict[str, Any]] = {
    # Argo 4.1 additions (argoproj.io_workflowtemplates.yaml in the full CRDs).
    "WorkflowSpec": {
        "podResources": {"r": "ResourceRequirements"},
        "resourceClaims": {"l": "a"},
        "executorPlugins": {"l": {"r": "ExecutorPlugin"}},
    },
    "Template": {"podResources": {"r": "ResourceRequirements"}, "resourceClaims": {"l": "a"}},
    "ArtifactRepositoryRef": {},
}
"""Per definition: fields to add or retype (``{}`` means "no change")."""

NEW_DEFS: dict[str, dict[str, Any]] = {
    # The plugin's spec is checked by the plugin, not by Argo's CRD; only its frame is strict here.
    "ExecutorPlugin": {"f": {"metadata": {"r": "ObjectMeta"}, "spec": "a"}, "r": []},
}
"""Definitions Argo 4.1 has and Hera's models lack."""

OPEN_DEFS = frozenset({"Plugin", "FieldsV1"})
"""Definitions whose body is free-form (``x-kubernetes-preserve-unknown-fields`` in the CRD)."""


def _spec(annotation: Any, defs: dict[str, Any]) -> Any:
    from pydantic import AwareDatetime, BaseModel, RootModel

    origin = typing.get_origin(annotation)
    if origin is not None:
        return _generic_spec(origin, typing.get_args(annotation), defs)
    if annotation is Any:
        return "a"
    if isinstance(annotation, type) and issubclass(annotation, RootModel):
        name = annotation.__name__
        if name == "Quantity":
            return "is"
        return _spec(annotation.model_fields["root"].annotation, defs)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        name = _def_name(annotation)
        if name not in defs:
            defs[name] = None  # placeholder against recursion
            defs[name] = _model(annotation, defs)
        return {"r": name}
    if annotation is AwareDatetime:
        return "s"
    if annotation in _LEAVES:
        return _LEAVES[annotation]
    raise TypeError(f"no schema type for {annotation!r}")


_LEAVES: dict[object, str] = {str: "s", bool: "b", int: "i", float: "n", datetime.datetime: "s"}
"""Schema types of plain Python ones (``i`` integer, ``n`` number, ``is`` int-or-string...)."""


def _generic_spec(origin: object, args: tuple[Any, ...], defs: dict[str, Any]) -> Any:
    """The schema type of ``Optional[X]``, ``X | Y``, ``Annotated``, ``list``, ``dict`` or ``Literal``."""
    if origin in (typing.Union, types.UnionType):
        specs = [_spec(a, defs) for a in args if a is not type(None)]
        if sorted(map(str, specs)) == ["i", "s"]:
            return "is"
        return specs[0] if len(specs) == 1 else "a"
    if origin is typing.Annotated:
        return _spec(args[0], defs)
    if origin is list:
        return {"l": _spec(args[0], defs)}
    if origin is dict:
        return {"m": _spec(args[1], defs)}
    if origin is typing.Literal:
        return "s"
    raise TypeError(f"no schema type for {origin!r}{list(args)!r}")


_NAMES: dict[type, str] = {}


def _def_name(model: type) -> str:
    """A unique definition name: Argo and Kubernetes both have an ``HTTPHeader``, for one."""
    if model not in _NAMES:
        name = model.__name__
        if name in _NAMES.values():
            name = f"{model.__module__.rsplit('.', 2)[-2]}.{name}"
        _NAMES[model] = name
    return _NAMES[model]


def _model(model: Any, defs: dict[str, Any]) -> dict[str, Any]:
    name = model.__name__
    if name in OPEN_DEFS or not model.model_fields:
        return {"f": {}, "r": [], "open": True}
    fields: dict[str, Any] = {}
    required: list[str] = []
    for attr, info in model.model_fields.items():
        key = info.alias or attr
        fields[key] = _spec(info.annotation, defs)
        if info.is_required():
            required.append(key)
    fields.update(OVERLAY.get(name, {}))
    return {"f": dict(sorted(fields.items())), "r": sorted(required)}


def generate() -> dict[str, Any]:
    """Build the schema document from Hera's models."""
    from hera.workflows.models.io.argoproj.workflow import v1alpha1

    defs: dict[str, Any] = {}
    for root in ROOTS.values():
        _spec(getattr(v1alpha1, root), defs)
    defs.update(NEW_DEFS)
    for name in OVERLAY:
        if name not in defs:
            raise KeyError(f"overlay names unknown definition {name}")
    import hera

    return {
        "source": f"hera {getattr(hera, '__version__', '?')} models + wfsync overlay",
        "roots": ROOTS,
        "defs": dict(sorted(defs.items())),
    }


def render(schema: dict[str, Any]) -> str:
    """Serialise deterministically (one definition per line keeps diffs reviewable)."""
    lines = ["{", f'"source": {json.dumps(schema["source"])},', f'"roots": {json.dumps(schema["roots"])},']
    lines.append('"defs": {')
    items = list(schema["defs"].items())
    for i, (name, body) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"{json.dumps(name)}: {json.dumps(body, separators=(',', ':'))}{comma}")
    lines.append("}}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render(generate()), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
