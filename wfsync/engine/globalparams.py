"""The workflow's global parameters (``setGlobalParameters``): identity, times, arguments, metadata.

Pure functions over the Workflow object, so the scheduler only merges their results in Argo's
order; the arguments' ``configMapKeyRef`` values are read through the given lookup.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping

from wfsync.engine import status as st
from wfsync.engine.executor import Unsupported
from wfsync.engine.params import ArgumentError, param_string
from wfsync.model.values import at, listed, mapping

ConfigMapValue = Callable[[str, str], str | None]
"""``(ConfigMap name, key)`` to the value, or None when the ConfigMap or key is absent."""

_STRFTIME_CHARS = "aAbBcCdDeFgGhHIjklmMnprRStTuUVwWxXyYzZ"
"""``workflow.creationTimestamp.<c>``: each ``strftime`` directive Argo exposes."""


def identity_globals(
    name: str, meta: Mapping[str, object], spec: Mapping[str, object], started: float
) -> dict[str, str]:
    """``workflow.name``/``uid``/``creationTimestamp.*``/``priority``/``status``/``duration``."""
    created = dt.datetime.fromtimestamp(started, dt.UTC)
    g: dict[str, str] = {}
    g["workflow.name"] = name
    g["workflow.namespace"] = str(meta.get("namespace") or "default")
    g["workflow.uid"] = str(meta.get("uid") or uuid.uuid4())
    g["workflow.mainEntrypoint"] = str(spec.get("entrypoint", ""))
    g["workflow.serviceAccountName"] = str(spec.get("serviceAccountName") or "")
    g["workflow.creationTimestamp"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    g["workflow.creationTimestamp.RFC3339"] = g["workflow.creationTimestamp"]
    g["workflow.creationTimestamp.s"] = str(int(started))
    for char in _STRFTIME_CHARS:
        try:
            g[f"workflow.creationTimestamp.{char}"] = created.strftime(f"%{char}")
        except ValueError:
            continue
    if spec.get("priority") is not None:
        g["workflow.priority"] = str(spec["priority"])
    g["workflow.status"] = st.RUNNING
    g["workflow.duration"] = "0"
    return g


def argument_globals(spec: Mapping[str, object], config_map_value: ConfigMapValue) -> dict[str, str]:
    """``workflow.parameters.*`` and their JSON; each argument's value is set in ``spec`` as a string.

    An argument from a ConfigMap that is absent (without a default) is refused as an
    environment problem, as the run cannot be faithful without it.
    """
    g: dict[str, str] = {}
    params: list[dict[str, object]] = []
    for param in listed(at(spec, "arguments", "parameters")):
        if not isinstance(param, dict):
            continue
        value = param.get("value")
        value_from = mapping(param.get("valueFrom"))
        ref = value_from.get("configMapKeyRef")
        if value is None and isinstance(ref, dict):
            value = config_map_value(str(ref.get("name")), str(ref.get("key")))
            if value is None:
                value = value_from.get("default")
            if value is None:
                raise Unsupported(
                    f"environment: ConfigMap {ref.get('name')!r} (key {ref.get('key')!r}) is not available; give it with --with"
                )
            param["value"] = value
        if value is None:
            raise ArgumentError("either value or valueFrom must be specified")
        text = param["value"] = param_string(value)
        g[f"workflow.parameters.{param['name']}"] = text
        params.append(param)
    g["workflow.parameters"] = json.dumps(params, separators=(",", ":"))
    g["workflow.parameters.json"] = g["workflow.parameters"]
    return g


def metadata_globals(meta: Mapping[str, object], spec: Mapping[str, object]) -> dict[str, str]:
    """``workflow.labels.*``/``annotations.*`` (``workflowMetadata`` over the metadata) and their JSON."""
    labels = {**mapping(meta.get("labels")), **mapping(at(spec, "workflowMetadata", "labels"))}
    annotations = {**mapping(meta.get("annotations")), **mapping(at(spec, "workflowMetadata", "annotations"))}
    g: dict[str, str] = {}
    for key, value in labels.items():
        g[f"workflow.labels.{key}"] = str(value)
    for key, value in annotations.items():
        g[f"workflow.annotations.{key}"] = str(value)
    g["workflow.labels.json"] = json.dumps(labels, separators=(",", ":"))
    g["workflow.annotations.json"] = json.dumps(annotations, separators=(",", ":"))
    return g
