"""Object validation: the API server's metadata rules plus pluggable per-test validators."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from tests.kube.resources import ResourceType


class FieldError(NamedTuple):
    """One rejected field, rendered as a ``details.causes`` entry of a 422."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"

    def cause(self) -> dict[str, str]:
        """The Status cause dict."""
        return {"reason": self.reason, "message": self.message, "field": self.field}


Validator = Callable[[dict[str, Any]], list[FieldError]]
"""A hook that can reject an object (e.g. play a validating webhook or a structural CRD schema)."""

_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_ANNOTATIONS_MAX = 256 * 1024


def _key_errors(path: str, key: str) -> list[FieldError]:
    prefix, _, name = key.rpartition("/")
    errors = []
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        errors.append(FieldError(path, f'Invalid value: "{key}": prefix part must be a DNS-1123 subdomain'))
    if not name or len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        errors.append(
            FieldError(
                path,
                f'Invalid value: "{key}": name part must consist of alphanumeric characters, '
                "'-', '_' or '.', must start and end with an alphanumeric character and be at most 63 long",
            )
        )
    return errors


def metadata_errors(obj: dict[str, Any]) -> list[FieldError]:
    """What ``ValidateObjectMeta`` rejects: name syntax, label keys and values, annotation keys and size."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return [FieldError("metadata", "Required value", "FieldValueRequired")]
    errors: list[FieldError] = []
    name = meta.get("name")
    if not name:
        errors.append(
            FieldError(
                "metadata.name", "Required value: name or generateName is required", "FieldValueRequired"
            )
        )
    elif not isinstance(name, str) or len(name) > 253 or not _DNS_SUBDOMAIN.fullmatch(name):
        errors.append(
            FieldError(
                "metadata.name",
                f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case '
                "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            )
        )
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    for field, mapping in (("metadata.labels", labels), ("metadata.annotations", annotations)):
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            errors.append(
                FieldError(field, "Invalid value: must be a map of strings", "FieldValueTypeInvalid")
            )
            return errors
    for key, value in labels.items():
        errors += _key_errors("metadata.labels", key)
        if value and (len(value) > 63 or not _QUALIFIED_NAME.fullmatch(value)):
            errors.append(
                FieldError(
                    "metadata.labels",
                    f'Invalid value: "{value}": a valid label must be an empty string or consist of '
                    "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                    "character, at most 63 characters",
                )
            )
    for key in annotations:
        errors += _key_errors("metadata.annotations", key)
    if len(json.dumps(annotations)) > _ANNOTATIONS_MAX:
        errors.append(
            FieldError(
                "metadata.annotations", "Too long: must have at most 262144 bytes", "FieldValueTooLong"
            )
        )
    return errors


def type_errors(res: ResourceType, obj: dict[str, Any]) -> list[FieldError]:
    """An object of another kind or apiVersion posted to this resource."""
    errors = []
    if obj.get("apiVersion") != res.api_version:
        errors.append(
            FieldError(
                "apiVersion",
                f'Unsupported value: "{obj.get("apiVersion")}": must be "{res.api_version}"',
                "FieldValueNotSupported",
            )
        )
    if obj.get("kind") != res.kind:
        errors.append(
            FieldError(
                "kind",
                f'Unsupported value: "{obj.get("kind")}": must be "{res.kind}"',
                "FieldValueNotSupported",
            )
        )
    return errors
