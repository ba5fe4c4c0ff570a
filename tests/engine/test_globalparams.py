"""The workflow's global parameters (pure functions over the Workflow object)."""

from __future__ import annotations

import json

import pytest

from wfsync.engine.executor import Unsupported
from wfsync.engine.globalparams import argument_globals, identity_globals, metadata_globals
from wfsync.engine.params import ArgumentError


def test_arguments_become_strings_in_the_spec_and_globals_with_configmap_values() -> None:
    params: list[dict[str, object]] = [
        {"name": "n", "value": 3},
        {"name": "flag", "value": True},
        {"name": "cm", "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "k"}}},
        {"name": "dflt", "valueFrom": {"configMapKeyRef": {"name": "none", "key": "k"}, "default": "d"}},
    ]
    spec: dict[str, object] = {"arguments": {"parameters": params}}
    lookups: list[tuple[str, str]] = []

    def config_map_value(name: str, key: str) -> str | None:
        lookups.append((name, key))
        return "from-cm" if name == "conf" else None

    g = argument_globals(spec, config_map_value)
    assert g["workflow.parameters.n"] == "3"
    assert g["workflow.parameters.flag"] == "true"
    assert g["workflow.parameters.cm"] == "from-cm"
    assert g["workflow.parameters.dflt"] == "d"
    assert lookups == [("conf", "k"), ("none", "k")]
    assert [p["value"] for p in params] == ["3", "true", "from-cm", "d"]
    assert json.loads(g["workflow.parameters"]) == params
    assert g["workflow.parameters.json"] == g["workflow.parameters"]


def test_an_absent_configmap_is_an_environment_problem_and_no_value_an_argument_error() -> None:
    ref = {"name": "conf", "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "k"}}}
    with pytest.raises(Unsupported, match="environment: ConfigMap 'conf'"):
        argument_globals({"arguments": {"parameters": [ref]}}, lambda name, key: None)
    with pytest.raises(ArgumentError, match="either value or valueFrom"):
        argument_globals({"arguments": {"parameters": [{"name": "x"}]}}, lambda name, key: None)


def test_workflow_metadata_labels_win_over_the_workflows_own() -> None:
    meta = {"labels": {"app": "a", "tier": "t"}, "annotations": {"note": "n"}}
    spec = {"workflowMetadata": {"labels": {"app": "b"}}}
    g = metadata_globals(meta, spec)
    assert g["workflow.labels.app"] == "b"
    assert g["workflow.labels.tier"] == "t"
    assert g["workflow.annotations.note"] == "n"
    assert json.loads(g["workflow.labels.json"]) == {"app": "b", "tier": "t"}


def test_identity_names_times_and_priority() -> None:
    g = identity_globals(
        "wf-x", {"namespace": "ns", "uid": "u-1"}, {"entrypoint": "main", "priority": 5}, 0.0
    )
    assert g["workflow.name"] == "wf-x"
    assert g["workflow.namespace"] == "ns"
    assert g["workflow.uid"] == "u-1"
    assert g["workflow.creationTimestamp"] == "1970-01-01T00:00:00Z"
    assert g["workflow.creationTimestamp.Y"] == "1970"
    assert g["workflow.creationTimestamp.s"] == "0"
    assert g["workflow.priority"] == "5"
    assert "workflow.priority" not in identity_globals("w", {}, {}, 0.0)
