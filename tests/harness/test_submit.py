"""Preparing the Workflow to submit: file or --from, parameters, entrypoint, names, lint before any request."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.harness.fakes import HELLO_WORKFLOW
from wfsync.errors import InputError, UsageError
from wfsync.harness.submit import apply_options, from_reference, read_workflow


def _write(tmp_path: Path, body: object, name: str = "wf.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def test_reads_the_workflow_and_applies_options(tmp_path: Path) -> None:
    wf = read_workflow(_write(tmp_path, HELLO_WORKFLOW))
    out = apply_options(wf, namespace="ci", parameters=[("msg", "hi"), ("n", "2")], entrypoint="say")
    assert out["metadata"] == {"generateName": "hello-", "namespace": "ci"}
    assert out["spec"]["entrypoint"] == "say"
    assert out["spec"]["arguments"]["parameters"] == [
        {"name": "msg", "value": "hi"},
        {"name": "n", "value": "2"},
    ]
    assert "entrypoint" not in wf["spec"] or wf["spec"]["entrypoint"] == "main"  # the input is not changed


def test_parameter_replaces_declared_value_and_valuefrom() -> None:
    wf = {
        "metadata": {"name": "w"},
        "spec": {
            "entrypoint": "main",
            "templates": [{"name": "main"}],
            "arguments": {
                "parameters": [{"name": "msg", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}]
            },
        },
    }
    out = apply_options(wf, namespace="ci", parameters=[("msg", "x")])
    assert out["spec"]["arguments"]["parameters"] == [{"name": "msg", "value": "x"}]


def test_template_file_becomes_a_workflow_template_ref(tmp_path: Path) -> None:
    template = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "ci"},
        "spec": HELLO_WORKFLOW["spec"],
    }
    wf = read_workflow(_write(tmp_path, template))
    assert wf["spec"] == {"workflowTemplateRef": {"name": "ci"}}
    assert wf["metadata"]["generateName"] == "ci-"


def test_from_reference_kinds() -> None:
    assert from_reference("workflowtemplate/ci")["spec"] == {"workflowTemplateRef": {"name": "ci"}}
    assert from_reference("ClusterWorkflowTemplate/lib")["spec"] == {
        "workflowTemplateRef": {"name": "lib", "clusterScope": True}
    }
    for bad in ("ci", "pod/x", "workflowtemplate/", "workflowtemplate/../x"):
        with pytest.raises((UsageError, InputError)):
            from_reference(bad)


def test_unknown_entrypoint_refused_with_suggestion() -> None:
    with pytest.raises(UsageError, match="did you mean 'main'"):
        apply_options(HELLO_WORKFLOW, namespace="ci", entrypoint="mian")


def test_invalid_workflow_refused_with_its_line(tmp_path: Path) -> None:
    bad = {**HELLO_WORKFLOW, "spec": {**HELLO_WORKFLOW["spec"], "entrypoint": "nope"}}
    with pytest.raises(InputError) as caught:
        read_workflow(_write(tmp_path, bad))
    assert caught.value.line and caught.value.path == tmp_path / "wf.yaml"
    assert "nope" in str(caught.value)


def test_hostile_names_refused() -> None:
    with pytest.raises(InputError):
        apply_options({**HELLO_WORKFLOW, "metadata": {"name": "../../etc"}}, namespace="ci")
    with pytest.raises(InputError):
        apply_options(HELLO_WORKFLOW, namespace="a/b")


def test_missing_file_is_usage(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        read_workflow(tmp_path / "absent.yaml")
