"""Strict JSON-schema validators built from Argo's full CRDs in the shared corpus.

A v4 API server prunes or rejects fields its structural schema does not know, so the CRDs are the
reference for what a document may contain. The plain CRD schema lets unknown keys through; this
module closes every object that lists its properties (unless the CRD says to preserve unknown
fields) and turns ``x-kubernetes-int-or-string`` into ``integer | string``, which gives an offline
validator as strict as the API server with kubectl's strict field validation.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import jsonschema  # type: ignore[import-untyped,unused-ignore]
import yaml

from tests.conftest import corpus_path

CRD_FILES: dict[str, str] = {
    "Workflow": "argoproj.io_workflows.yaml",
    "WorkflowTemplate": "argoproj.io_workflowtemplates.yaml",
    "ClusterWorkflowTemplate": "argoproj.io_clusterworkflowtemplates.yaml",
    "CronWorkflow": "argoproj.io_cronworkflows.yaml",
}

_PRESERVE = "x-kubernetes-preserve-unknown-fields"
_INT_OR_STRING = "x-kubernetes-int-or-string"


def strict_schema(schema: Any) -> Any:
    """A copy of an openAPIV3Schema with unknown fields forbidden and int-or-string made explicit."""
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {key: strict_schema(value) for key, value in schema.items()}
    if out.get(_INT_OR_STRING):
        # The CRD spells it anyOf [integer, string]; one type list gives clearer messages.
        out.pop("anyOf", None)
        out["type"] = ["integer", "string"]
    if "properties" in schema and not schema.get(_PRESERVE) and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    return out


def crd_schema(kind: str) -> dict[str, Any]:
    """The raw openAPIV3Schema of the CRD for ``kind`` (skips the test when the corpus is absent)."""
    try:
        file_name = CRD_FILES[kind]
    except KeyError:
        raise ValueError(f"no CRD for kind {kind!r}; known kinds: {', '.join(sorted(CRD_FILES))}") from None
    path = corpus_path("argo", "crds") / file_name
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        crd = yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader is passed
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


@functools.cache
def strict_validator(kind: str) -> Any:
    """A cached jsonschema validator for ``kind`` built from its CRD made strict."""
    schema = strict_schema(crd_schema(kind))
    validator_class = jsonschema.Draft7Validator
    validator_class.check_schema(schema)
    return validator_class(schema)


def json_path(parts: Iterable[Any]) -> str:
    """``$.spec.templates[0].name`` style path for a jsonschema error location."""
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def validate_document(doc: dict[str, Any]) -> list[str]:
    """Readable schema errors for one Argo document, each prefixed with its JSON path; [] when valid."""
    kind = doc.get("kind")
    if not isinstance(kind, str) or kind not in CRD_FILES:
        return [f"$.kind: {kind!r} is not one of {', '.join(sorted(CRD_FILES))}"]
    validator = strict_validator(kind)
    errors = sorted(validator.iter_errors(doc), key=lambda error: [str(p) for p in error.absolute_path])
    messages = []
    for error in errors:
        # For anyOf/oneOf failures the most specific sub-error says what is actually wrong.
        best = jsonschema.exceptions.best_match([error]) if error.context else error
        messages.append(f"{json_path(best.absolute_path)}: {best.message}")
    return messages
