"""The test API server behaves as kube-apiserver does where sync depends on it: structural-schema
defaulting and pruning from Argo's full CRDs, Go number encoding, fieldValidation, RBAC, finalizers."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.kube.schema import apply_schema, go_numbers
from tests.kube.server import KubeServer

WT_PATH = "/apis/argoproj.io/v1alpha1/namespaces/ci/workflowtemplates"


def _send(
    server: KubeServer, method: str, path: str, body: Any = None, query: str = ""
) -> tuple[int, Any, list[str]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{server.url}{path}{'?' + query if query else ''}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {server.token}"},
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read()), answer.headers.get_all("Warning") or []
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers.get_all("Warning") or []


def _template(**spec: Any) -> dict[str, Any]:
    container = {"image": "alpine", "ports": [{"containerPort": 8080.0}], "contaner": "typo"}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "t", "namespace": "ci"},
        "spec": {
            "entrypoint": "main",
            "templates": [{"name": "main", "retryStrategy": {"limit": 2.0}, "container": container}],
            **spec,
        },
    }


def test_go_numbers_integral_floats_become_integers() -> None:
    assert go_numbers({"a": [1.0, 1.5, 2**64, True, 1e21]}) == {
        "a": [1, 1.5, 18446744073709551616, True, 1e21]
    }
    assert isinstance(go_numbers(1.0), int)
    assert isinstance(go_numbers(1e21), float)


def test_schema_prunes_defaults_and_types() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "port": {
                        "type": "object",
                        "properties": {"protocol": {"type": "string", "default": "TCP"}},
                    },
                    "name": {"type": "string"},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    "gone": {"type": "string"},
                    "count": {"x-kubernetes-int-or-string": True},
                },
                "required": ["name"],
            }
        },
    }
    obj = {
        "metadata": {"name": "x", "bogus": 1},
        "spec": {"port": {}, "free": {"any": 1}, "gone": None, "x": 1},
    }
    admission = apply_schema(schema, obj)
    assert obj["spec"] == {"port": {"protocol": "TCP"}, "free": {"any": 1}}
    assert admission.unknown == ["metadata.bogus", "spec.x"]
    assert [e.message for e in admission.errors] == ["Required value"]
    wrong = {"spec": {"name": 3, "count": 1.5}}
    errors = apply_schema(schema, wrong).errors
    assert errors[0].field == "spec.name"
    assert (
        errors[0].message == 'Invalid value: "integer": spec.name in body must be of type string: "integer"'
    )
    assert "integer,string" in errors[1].message


def test_full_argo_crds_default_prune_and_reencode(argo_kube_server: KubeServer) -> None:
    code, stored, warnings = _send(argo_kube_server, "POST", WT_PATH, _template())
    assert code == 201, stored
    container = stored["spec"]["templates"][0]["container"]
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert "contaner" not in container
    assert stored["spec"]["templates"][0]["retryStrategy"]["limit"] == 2
    assert warnings == ['299 - "unknown field \\"spec.templates[0].container.contaner\\""']
    assert argo_kube_server.get("workflowtemplates", "ci", "t") == stored


def test_strict_field_validation_refuses_naming_the_field(argo_kube_server: KubeServer) -> None:
    code, status, _ = _send(argo_kube_server, "POST", WT_PATH, _template(), "fieldValidation=Strict")
    assert code == 400
    assert status["reason"] == "BadRequest"
    assert status["message"] == 'strict decoding error: unknown field "spec.templates[0].container.contaner"'
    assert argo_kube_server.objects("workflowtemplates") == []
    code, _, warnings = _send(argo_kube_server, "POST", WT_PATH, _template(), "fieldValidation=Ignore")
    assert code == 201 and warnings == []
    code, status, _ = _send(argo_kube_server, "POST", WT_PATH, _template(), "fieldValidation=Loose")
    assert code == 400 and "fieldValidation" in status["message"]


def test_type_errors_are_422_with_causes(argo_kube_server: KubeServer) -> None:
    body = _template()
    body["spec"]["arguments"] = {"parameters": [{"name": "n", "value": 3}]}
    code, status, _ = _send(argo_kube_server, "POST", WT_PATH, body)
    assert code == 422, status
    assert status["details"]["causes"][0]["field"] == "spec.arguments.parameters[0].value"


def test_dry_run_answers_the_stored_form(argo_kube_server: KubeServer) -> None:
    code, dry, _ = _send(argo_kube_server, "POST", WT_PATH, _template(), "dryRun=All")
    assert code == 201
    assert dry["spec"]["templates"][0]["container"]["ports"][0]["protocol"] == "TCP"
    assert argo_kube_server.objects("workflowtemplates") == []


def test_rbac_grants_one_namespace(kube_server: KubeServer) -> None:
    kube_server.grant("ci", resources=["workflowtemplates"], verbs=["get", "list", "create", "update"])
    assert _send(kube_server, "GET", WT_PATH)[0] == 200
    code, status, _ = _send(kube_server, "GET", "/apis/argoproj.io/v1alpha1/clusterworkflowtemplates")
    assert code == 403
    assert status["message"] == (
        'clusterworkflowtemplates.argoproj.io is forbidden: User "wfsync-test" cannot list resource '
        '"clusterworkflowtemplates" in API group "argoproj.io" at the cluster scope'
    )
    code, status, _ = _send(kube_server, "DELETE", f"{WT_PATH}/x")
    assert code == 403 and 'cannot delete resource "workflowtemplates"' in status["message"]
    assert 'in the namespace "ci"' in status["message"]
    assert _send(kube_server, "GET", "/apis/argoproj.io/v1alpha1")[0] == 200  # discovery stays open


def test_deletion_with_finalizers_is_asynchronous(kube_server: KubeServer) -> None:
    kube_server.store.finalizer_delays["example.com/cleanup"] = 0.2
    kube_server.put(
        {
            "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "ci", "finalizers": ["example.com/cleanup"]},
        }
    )
    code, marked, _ = _send(kube_server, "DELETE", "/api/v1/namespaces/ci/configmaps/c")
    assert code == 200 and marked["metadata"]["deletionTimestamp"]
    assert kube_server.get("configmaps", "ci", "c") is not None
    deadline = time.monotonic() + 5
    while kube_server.get("configmaps", "ci", "c") is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert kube_server.get("configmaps", "ci", "c") is None


def test_foreground_deletion_waits_for_the_garbage_collector(kube_server: KubeServer) -> None:
    kube_server.store.gc_delay = 0.2
    kube_server.put({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ci"}})
    options = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground"}
    code, marked, _ = _send(kube_server, "DELETE", "/api/v1/namespaces/ci/configmaps/c", options)
    assert code == 200 and marked["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert kube_server.get("configmaps", "ci", "c") is not None
    time.sleep(0.5)
    assert kube_server.get("configmaps", "ci", "c") is None


@pytest.mark.parametrize("value", [1.0, 3.0])
def test_numbers_come_back_as_go_encodes_them(kube_server: KubeServer, value: float) -> None:
    body = _template()
    body["spec"]["templates"][0]["retryStrategy"]["limit"] = value
    code, stored, _ = _send(kube_server, "POST", WT_PATH, body)
    assert code == 201
    assert json.dumps(stored["spec"]["templates"][0]["retryStrategy"]["limit"]) == str(int(value))
