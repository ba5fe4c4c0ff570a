"""The test API server, exercised through the official Python client and the real kubectl binary."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client, config

from tests.kube.patches import PatchError, json_patch, merge_patch
from tests.kube.selectors import SelectorError, label_matcher
from tests.kube.server import KubeServer
from tests.kube.validation import FieldError

Api = Any  # kubernetes.client.CustomObjectsApi, whose methods are annotated as returning ``object``
G, V = "argoproj.io", "v1alpha1"
WT, CWFT = "workflowtemplates", "clusterworkflowtemplates"


def wt(
    name: str, namespace: str | None = None, labels: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels or {}}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": f"{G}/{V}", "kind": "WorkflowTemplate", "metadata": meta, "spec": spec or {"x": 1}}


def cwft(name: str, **spec: Any) -> dict[str, Any]:
    body = {"apiVersion": f"{G}/{V}", "kind": "ClusterWorkflowTemplate", "metadata": {"name": name}}
    return {**body, "spec": spec or {"x": 1}}


def make_api(kubeconfig: Path, retries: Any = None) -> tuple[Any, Any]:
    """An ApiClient and a CustomObjectsApi on it (typed Any: the client's methods return ``object``)."""
    api_client = config.new_client_from_config(config_file=str(kubeconfig))  # type: ignore[no-untyped-call]
    if retries is not None:
        api_client.configuration.retries = retries
        api_client.rest_client = type(api_client.rest_client)(api_client.configuration)
    return api_client, client.CustomObjectsApi(api_client)


@pytest.fixture
def api(kubeconfig: Path) -> Iterator[Any]:
    api_client, custom = make_api(kubeconfig)
    yield custom
    api_client.close()


@pytest.fixture
def strict_api(kubeconfig: Path) -> Iterator[Any]:
    """A client without urllib3's default retries, so every fault reaches the caller."""
    api_client, custom = make_api(kubeconfig, retries=False)
    yield custom
    api_client.close()


def status_of(exc: client.ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body or "")
    assert body["kind"] == "Status" and body["apiVersion"] == "v1" and body["status"] == "Failure"
    assert body["code"] == exc.status
    return body


# -- CRUD and resourceVersion semantics ----------------------------------------------------------


def test_crud_round_trip_populates_server_metadata(api: Api, kube_server: KubeServer) -> None:
    created = api.create_namespaced_custom_object(G, V, "ci", WT, wt("build"))
    meta = created["metadata"]
    assert meta["namespace"] == "ci" and meta["generation"] == 1
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert int(meta["resourceVersion"]) > 0

    fetched = api.get_namespaced_custom_object(G, V, "ci", WT, "build")
    assert fetched == created

    fetched["spec"] = {"x": 2}
    updated = api.replace_namespaced_custom_object(G, V, "ci", WT, "build", fetched)
    assert int(updated["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])
    assert updated["metadata"]["generation"] == 2
    assert updated["metadata"]["uid"] == meta["uid"]

    relabelled = api.patch_namespaced_custom_object(
        G, V, "ci", WT, "build", {"metadata": {"labels": {"a": "b"}}}
    )
    assert relabelled["metadata"]["labels"] == {"a": "b"}
    assert relabelled["metadata"]["generation"] == 2, "metadata-only change must not bump generation"
    assert relabelled["spec"] == {"x": 2}

    listed = api.list_namespaced_custom_object(G, V, "ci", WT)
    assert listed["kind"] == "WorkflowTemplateList"
    assert [o["metadata"]["name"] for o in listed["items"]] == ["build"]
    assert listed["metadata"]["resourceVersion"] == relabelled["metadata"]["resourceVersion"]

    answer = api.delete_namespaced_custom_object(G, V, "ci", WT, "build")
    assert (answer["kind"], answer["status"]) == ("Status", "Success")
    assert answer["details"] == {"name": "build", "group": G, "kind": WT, "uid": meta["uid"]}
    assert kube_server.get(WT, "ci", "build") is None
    with pytest.raises(client.ApiException) as err:
        api.get_namespaced_custom_object(G, V, "ci", WT, "build")
    assert status_of(err.value)["details"] == {"name": "build", "group": G, "kind": WT}


def test_resource_version_is_a_global_counter(api: Api) -> None:
    a = api.create_namespaced_custom_object(G, V, "ns1", WT, wt("a"))
    b = api.create_namespaced_custom_object(G, V, "ns2", WT, wt("b"))
    c = api.create_cluster_custom_object(G, V, CWFT, cwft("c"))
    versions = [int(o["metadata"]["resourceVersion"]) for o in (a, b, c)]
    assert versions == sorted(versions) and len(set(versions)) == 3
    everything = api.list_cluster_custom_object(G, V, WT)
    assert [o["metadata"]["name"] for o in everything["items"]] == ["a", "b"]
    assert everything["metadata"]["resourceVersion"] == str(versions[-1])


def test_noop_update_keeps_resource_version(api: Api) -> None:
    created = api.create_namespaced_custom_object(G, V, "ci", WT, wt("same"))
    again = api.replace_namespaced_custom_object(G, V, "ci", WT, "same", created)
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_stale_update_is_a_409_conflict(api: Api, kube_server: KubeServer) -> None:
    mine = api.create_namespaced_custom_object(G, V, "ci", WT, wt("raced"))
    kube_server.put({**mine, "spec": {"x": "edited elsewhere"}})  # a concurrent writer
    mine["spec"] = {"x": "mine"}
    with pytest.raises(client.ApiException) as err:
        api.replace_namespaced_custom_object(G, V, "ci", WT, "raced", mine)
    body = status_of(err.value)
    assert err.value.status == 409 and body["reason"] == "Conflict"
    assert body["details"] == {"name": "raced", "group": G, "kind": WT}
    assert "the object has been modified" in body["message"]
    assert kube_server.get(WT, "ci", "raced")["spec"] == {"x": "edited elsewhere"}  # type: ignore[index]


def test_patch_with_stale_resource_version_conflicts(api: Api) -> None:
    created = api.create_namespaced_custom_object(G, V, "ci", WT, wt("p"))
    api.patch_namespaced_custom_object(G, V, "ci", WT, "p", {"spec": {"x": 5}})
    stale = {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]}, "spec": {"x": 6}}
    with pytest.raises(client.ApiException) as err:
        api.patch_namespaced_custom_object(G, V, "ci", WT, "p", stale)
    assert err.value.status == 409


def test_update_without_resource_version_is_invalid(api: Api) -> None:
    api.create_namespaced_custom_object(G, V, "ci", WT, wt("blind"))
    with pytest.raises(client.ApiException) as err:
        api.replace_namespaced_custom_object(G, V, "ci", WT, "blind", wt("blind", "ci"))
    body = status_of(err.value)
    assert err.value.status == 422 and body["details"]["causes"][0]["field"] == "metadata.resourceVersion"


def test_create_twice_is_already_exists(api: Api) -> None:
    api.create_namespaced_custom_object(G, V, "ci", WT, wt("dup"))
    with pytest.raises(client.ApiException) as err:
        api.create_namespaced_custom_object(G, V, "ci", WT, wt("dup"))
    body = status_of(err.value)
    assert (err.value.status, body["reason"]) == (409, "AlreadyExists")
    assert body["message"] == 'workflowtemplates.argoproj.io "dup" already exists'


def test_create_with_resource_version_is_rejected(api: Api) -> None:
    body = wt("rv")
    body["metadata"]["resourceVersion"] = "12"
    with pytest.raises(client.ApiException) as err:
        api.create_namespaced_custom_object(G, V, "ci", WT, body)
    assert err.value.status == 500 and "should not be set" in status_of(err.value)["message"]


def test_cluster_scoped_kind(api: Api, kube_server: KubeServer) -> None:
    body = cwft("shared")
    body["metadata"]["namespace"] = "ignored"
    created = api.create_cluster_custom_object(G, V, CWFT, body)
    assert "namespace" not in created["metadata"]
    assert kube_server.get(CWFT, None, "shared") is not None
    with pytest.raises(client.ApiException) as err:
        api.get_namespaced_custom_object(G, V, "ci", CWFT, "shared")
    assert err.value.status == 404
    api.delete_cluster_custom_object(G, V, CWFT, "shared")
    assert kube_server.objects(CWFT) == []


def test_namespace_mismatch_is_bad_request(api: Api) -> None:
    with pytest.raises(client.ApiException) as err:
        api.create_namespaced_custom_object(G, V, "ci", WT, wt("x", namespace="other"))
    assert err.value.status == 400


def test_json_patch_and_failed_test_op(api: Api) -> None:
    api.create_namespaced_custom_object(G, V, "ci", WT, wt("j"))
    ops = [{"op": "test", "path": "/spec/x", "value": 1}, {"op": "replace", "path": "/spec/x", "value": 9}]
    patched = api.patch_namespaced_custom_object(
        G, V, "ci", WT, "j", ops, _content_type="application/json-patch+json"
    )
    assert patched["spec"] == {"x": 9}
    with pytest.raises(client.ApiException) as err:
        api.patch_namespaced_custom_object(
            G, V, "ci", WT, "j", ops, _content_type="application/json-patch+json"
        )
    assert err.value.status == 422


def test_strategic_merge_patch_is_unsupported_media_type(api: Api) -> None:
    api.create_namespaced_custom_object(G, V, "ci", WT, wt("s"))
    with pytest.raises(client.ApiException) as err:
        api.patch_namespaced_custom_object(
            G, V, "ci", WT, "s", {"spec": {}}, _content_type="application/strategic-merge-patch+json"
        )
    assert err.value.status == 415


def test_finalizers_delay_deletion_until_removed(api: Api, kube_server: KubeServer) -> None:
    body = wt("fin")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    api.create_namespaced_custom_object(G, V, "ci", WT, body)
    marked = api.delete_namespaced_custom_object(G, V, "ci", WT, "fin")
    assert marked["metadata"]["deletionTimestamp"]
    assert kube_server.get(WT, "ci", "fin") is not None
    api.patch_namespaced_custom_object(G, V, "ci", WT, "fin", {"metadata": {"finalizers": None}})
    assert kube_server.get(WT, "ci", "fin") is None


def test_delete_precondition_on_resource_version(api: Api, kube_server: KubeServer) -> None:
    created = api.create_namespaced_custom_object(G, V, "ci", WT, wt("pre"))
    kube_server.put({**created, "spec": {"x": 3}})
    stale = client.V1DeleteOptions(
        preconditions=client.V1Preconditions(resource_version=created["metadata"]["resourceVersion"])
    )
    with pytest.raises(client.ApiException) as err:
        api.delete_namespaced_custom_object(G, V, "ci", WT, "pre", body=stale)
    assert err.value.status == 409 and "Precondition failed" in status_of(err.value)["message"]
    assert kube_server.get(WT, "ci", "pre") is not None


def test_list_pages_with_limit_and_continue(api: Api, kube_server: KubeServer) -> None:
    for i in range(5):
        kube_server.put(wt(f"t{i}", "ci"))
    first = api.list_namespaced_custom_object(G, V, "ci", WT, limit=2)
    names = [o["metadata"]["name"] for o in first["items"]]
    token = first["metadata"]["continue"]
    assert first["metadata"]["remainingItemCount"] == 3
    while token:
        page = api.list_namespaced_custom_object(G, V, "ci", WT, limit=2, _continue=token)
        names += [o["metadata"]["name"] for o in page["items"]]
        token = page["metadata"].get("continue")
    assert names == [f"t{i}" for i in range(5)]


# -- label selectors -------------------------------------------------------------------------------


def test_label_selectors_through_the_client(api: Api, kube_server: KubeServer) -> None:
    kube_server.put(wt("a", "ci", {"tier": "web", "managed": "yes"}))
    kube_server.put(wt("b", "ci", {"tier": "db"}))
    kube_server.put(wt("c", "ci", {}))

    def names(selector: str) -> list[str]:
        items = api.list_namespaced_custom_object(G, V, "ci", WT, label_selector=selector)["items"]
        return [o["metadata"]["name"] for o in items]

    assert names("tier=web") == ["a"]
    assert names("tier==db") == ["b"]
    assert names("tier!=web") == ["b", "c"]
    assert names("tier in (web, db)") == ["a", "b"]
    assert names("tier notin (web)") == ["b", "c"]
    assert names("managed") == ["a"]
    assert names("!managed") == ["b", "c"]
    assert names("tier,!managed") == ["b"]
    assert names("") == ["a", "b", "c"]
    with pytest.raises(client.ApiException) as err:
        names("tier in web")
    assert err.value.status == 400


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("a=b", {"a": "b"}, True),
        ("a=b", {}, False),
        ("a!=b", {}, True),
        ("a notin (x,y)", {"a": "z"}, True),
        ("a in (x,y)", {"a": "y"}, True),
        ("app.kubernetes.io/managed-by=wfsync", {"app.kubernetes.io/managed-by": "wfsync"}, True),
        ("n>3", {"n": "4"}, True),
        ("n<3", {"n": "4"}, False),
    ],
)
def test_label_matcher(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert label_matcher(selector)(labels) is expected


@pytest.mark.parametrize("bad", ["a in b", "a=b=c", "=b", "a in (b", "a=b c"])
def test_label_selector_syntax_errors(bad: str) -> None:
    with pytest.raises(SelectorError):
        label_matcher(bad)


def test_field_selector_on_name(api: Api, kube_server: KubeServer) -> None:
    kube_server.put(wt("a", "ci"))
    kube_server.put(wt("b", "ci"))
    items = api.list_namespaced_custom_object(G, V, "ci", WT, field_selector="metadata.name=b")["items"]
    assert [o["metadata"]["name"] for o in items] == ["b"]


# -- CRDs, RBAC, validation, dry run ---------------------------------------------------------------


def test_missing_crd_is_404_and_absent_from_discovery(kube_server: KubeServer, kubeconfig: Path) -> None:
    api_client, api = make_api(kubeconfig)
    try:
        kube_server.uninstall_crd(CWFT)
        with pytest.raises(client.ApiException) as err:
            api.list_cluster_custom_object(G, V, CWFT)
        body = status_of(err.value)
        assert (err.value.status, body["reason"]) == (404, "NotFound") and "details" not in body
        resources = api.get_api_resources(G, V).resources
        assert WT in [r.name for r in resources] and CWFT not in [r.name for r in resources]
        for plural in (WT, "workflows", "cronworkflows"):
            kube_server.uninstall_crd(plural)
        groups = client.ApisApi(api_client).get_api_versions().groups
        assert G not in [g.name for g in groups]
    finally:
        api_client.close()


def test_forbidden_namespace(api: Api, kube_server: KubeServer) -> None:
    kube_server.forbid("locked")
    with pytest.raises(client.ApiException) as err:
        api.list_namespaced_custom_object(G, V, "locked", WT)
    body = status_of(err.value)
    assert (err.value.status, body["reason"]) == (403, "Forbidden")
    assert body["message"] == (
        'workflowtemplates.argoproj.io is forbidden: User "wfsync-test" cannot list resource '
        '"workflowtemplates" in API group "argoproj.io" in the namespace "locked"'
    )
    with pytest.raises(client.ApiException) as err:
        api.create_namespaced_custom_object(G, V, "locked", WT, wt("x"))
    assert err.value.status == 403
    assert api.list_namespaced_custom_object(G, V, "open", WT)["items"] == []


def test_forbid_only_some_verbs_and_cluster_scope(api: Api, kube_server: KubeServer) -> None:
    kube_server.forbid("ro", verbs=["create", "update", "patch", "delete"])
    kube_server.forbid(None, resources=[CWFT])
    assert api.list_namespaced_custom_object(G, V, "ro", WT)["items"] == []
    with pytest.raises(client.ApiException) as err:
        api.create_namespaced_custom_object(G, V, "ro", WT, wt("x"))
    assert err.value.status == 403
    with pytest.raises(client.ApiException) as err:
        api.list_cluster_custom_object(G, V, CWFT)
    assert err.value.status == 403 and "at the cluster scope" in status_of(err.value)["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"apiVersion": f"{G}/{V}", "kind": "WorkflowTemplate", "metadata": {}, "spec": {}}, "metadata.name"),
        ({"apiVersion": f"{G}/{V}", "kind": "Workflow", "metadata": {"name": "x"}}, "kind"),
        ({"apiVersion": "v1", "kind": "WorkflowTemplate", "metadata": {"name": "x"}}, "apiVersion"),
        (
            {"apiVersion": f"{G}/{V}", "kind": "WorkflowTemplate", "metadata": {"name": "Bad_Name"}},
            "metadata.name",
        ),
        (wt("x", labels={"wfsync.io/source": "library/a b.yaml"}), "metadata.labels"),
    ],
)
def test_invalid_objects_are_422(api: Api, body: dict[str, Any], field: str) -> None:
    with pytest.raises(client.ApiException) as err:
        api.create_namespaced_custom_object(G, V, "ci", WT, body)
    status = status_of(err.value)
    assert (err.value.status, status["reason"]) == (422, "Invalid")
    assert field in [cause["field"] for cause in status["details"]["causes"]]
    assert status["details"]["group"] == G


def test_validator_hook(api: Api, kube_server: KubeServer) -> None:
    def needs_entrypoint(obj: dict[str, Any]) -> list[FieldError]:
        if "entrypoint" not in obj.get("spec", {}):
            return [FieldError("spec.entrypoint", "Required value", "FieldValueRequired")]
        return []

    kube_server.add_validator(needs_entrypoint)
    with pytest.raises(client.ApiException) as err:
        api.create_namespaced_custom_object(G, V, "ci", WT, wt("x"))
    assert status_of(err.value)["message"] == (
        'WorkflowTemplate.argoproj.io "x" is invalid: spec.entrypoint: Required value'
    )
    api.create_namespaced_custom_object(G, V, "ci", WT, wt("x", entrypoint="main"))
    with pytest.raises(client.ApiException) as err:
        api.patch_namespaced_custom_object(G, V, "ci", WT, "x", {"spec": {"entrypoint": None}})
    assert err.value.status == 422


def test_dry_run_answers_but_stores_nothing(api: Api, kube_server: KubeServer) -> None:
    dry = api.create_namespaced_custom_object(G, V, "ci", WT, wt("d"), dry_run="All")
    assert dry["metadata"]["name"] == "d" and kube_server.get(WT, "ci", "d") is None
    assert kube_server.store.resource_version == "0"

    live = api.create_namespaced_custom_object(G, V, "ci", WT, wt("d"))
    rv = live["metadata"]["resourceVersion"]
    changed = {**live, "spec": {"x": 7}}
    answer = api.replace_namespaced_custom_object(G, V, "ci", WT, "d", changed, dry_run="All")
    assert answer["spec"] == {"x": 7} and answer["metadata"]["generation"] == 2
    patched = api.patch_namespaced_custom_object(G, V, "ci", WT, "d", {"spec": {"x": 8}}, dry_run="All")
    assert patched["spec"] == {"x": 8}
    api.delete_namespaced_custom_object(G, V, "ci", WT, "d", dry_run="All")
    stored = kube_server.get(WT, "ci", "d")
    assert stored is not None and stored["spec"] == {"x": 1} and stored["metadata"]["resourceVersion"] == rv
    with pytest.raises(client.ApiException) as err:
        api.replace_namespaced_custom_object(
            G,
            V,
            "ci",
            WT,
            "d",
            {**changed, "metadata": {**changed["metadata"], "resourceVersion": "999"}},
            dry_run="All",
        )
    assert err.value.status == 409, "a dry run still checks the resourceVersion"
    with pytest.raises(client.ApiException) as err:
        api.create_namespaced_custom_object(G, V, "ci", WT, wt("e"), dry_run="Some")
    assert err.value.status == 400


# -- direct state, auth, discovery -----------------------------------------------------------------


def test_put_seeds_and_simulates_foreign_edits(kube_server: KubeServer) -> None:
    first = kube_server.put(wt("s", "ci"))
    assert first["metadata"]["generation"] == 1 and first["metadata"]["resourceVersion"] == "1"
    second = kube_server.put({**first, "spec": {"x": 2}})
    assert second["metadata"]["uid"] == first["metadata"]["uid"]
    assert (second["metadata"]["generation"], second["metadata"]["resourceVersion"]) == (2, "2")
    assert kube_server.objects(WT, "ci") == [second]
    assert kube_server.log.records == []


def test_tokens(kube_server: KubeServer, tmp_path: Path) -> None:
    wrong = kube_server.write_kubeconfig(tmp_path / "wrong", token="nope")
    api_client, api = make_api(wrong)
    try:
        with pytest.raises(client.ApiException) as err:
            api.list_namespaced_custom_object(G, V, "ci", WT)
        assert (err.value.status, status_of(err.value)["reason"]) == (401, "Unauthorized")
    finally:
        api_client.close()
    anonymous = urllib.request.urlopen(f"{kube_server.url}/apis/{G}/{V}/namespaces/ci/{WT}")
    assert json.load(anonymous)["items"] == []
    kube_server.require_auth = True
    with pytest.raises(urllib.error.HTTPError) as http_err:
        urllib.request.urlopen(f"{kube_server.url}/apis/{G}/{V}/namespaces/ci/{WT}")
    assert http_err.value.code == 401


def test_discovery_documents(kube_server: KubeServer) -> None:
    def fetch(path: str) -> Any:
        with urllib.request.urlopen(kube_server.url + path) as resp:
            return json.load(resp)

    assert fetch("/version")["major"] == "1"
    assert fetch("/api")["versions"] == ["v1"]
    assert [r["name"] for r in fetch("/api/v1")["resources"]] == ["namespaces", "configmaps", "pods"]
    assert fetch("/apis")["groups"][0]["preferredVersion"]["groupVersion"] == f"{G}/{V}"
    assert fetch(f"/apis/{G}")["name"] == G
    resources = {r["name"]: r for r in fetch(f"/apis/{G}/{V}")["resources"]}
    assert set(resources) == {WT, CWFT, "workflows", "cronworkflows"}
    assert resources[CWFT]["namespaced"] is False and resources[CWFT]["shortNames"] == [
        "clusterwftmpl",
        "cwft",
    ]
    assert resources[WT]["kind"] == "WorkflowTemplate" and "update" in resources[WT]["verbs"]
    assert f"apis/{G}/{V}" in fetch("/openapi/v3")["paths"]


def test_binds_loopback_only_and_stops(kubeconfig: Path) -> None:
    server = KubeServer().start()
    assert server.url.startswith("http://127.0.0.1:")
    url = server.url
    server.stop()
    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/version", timeout=2)


# -- faults and the request log --------------------------------------------------------------------


def test_latency(api: Api, kube_server: KubeServer) -> None:
    kube_server.latency = 0.2
    started = time.monotonic()
    api.list_namespaced_custom_object(G, V, "ci", WT)
    assert time.monotonic() - started >= 0.2
    kube_server.latency = 0
    kube_server.delay(0.3, verb="create")
    started = time.monotonic()
    api.list_namespaced_custom_object(G, V, "ci", WT)
    assert time.monotonic() - started < 0.2


@pytest.mark.parametrize(
    ("code", "reason"), [(500, "InternalError"), (503, "ServiceUnavailable"), (504, "Timeout")]
)
def test_5xx_for_the_next_requests(strict_api: Api, kube_server: KubeServer, code: int, reason: str) -> None:
    kube_server.fail(code, count=2)
    for _ in range(2):
        with pytest.raises(client.ApiException) as err:
            strict_api.list_namespaced_custom_object(G, V, "ci", WT)
        assert (err.value.status, status_of(err.value)["reason"]) == (code, reason)
    assert strict_api.list_namespaced_custom_object(G, V, "ci", WT)["items"] == []


def test_5xx_by_verb_and_path(api: Api, kube_server: KubeServer) -> None:
    kube_server.fail(500, count=None, verb="create", path="/namespaces/flaky/")
    api.create_namespaced_custom_object(G, V, "ok", WT, wt("a"))
    for _ in range(3):
        with pytest.raises(client.ApiException):
            api.create_namespaced_custom_object(G, V, "flaky", WT, wt("a"))
    assert api.list_namespaced_custom_object(G, V, "flaky", WT)["items"] == []
    kube_server.faults.clear()
    api.create_namespaced_custom_object(G, V, "flaky", WT, wt("a"))


def test_throttling_429_with_retry_after(strict_api: Api, kube_server: KubeServer) -> None:
    kube_server.throttle(1, retry_after=3)
    with pytest.raises(client.ApiException) as err:
        strict_api.list_namespaced_custom_object(G, V, "ci", WT)
    assert err.value.status == 429 and err.value.headers is not None
    assert err.value.headers["Retry-After"] == "3"
    assert status_of(err.value)["details"] == {"retryAfterSeconds": 3}


def test_default_client_retries_429_transparently(api: Api, kube_server: KubeServer) -> None:
    """urllib3's default Retry honours Retry-After: good to know when counting requests."""
    kube_server.throttle(1, retry_after=0)
    assert api.list_namespaced_custom_object(G, V, "ci", WT)["items"] == []
    assert [r.code for r in kube_server.log.records] == [429, 200]


def test_dropped_connection_is_an_error(api: Api, strict_api: Api, kube_server: KubeServer) -> None:
    kube_server.drop(1, verb="create")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        api.create_namespaced_custom_object(G, V, "ci", WT, wt("a"))
    assert kube_server.get(WT, "ci", "a") is None
    kube_server.drop(1, verb="list")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        strict_api.list_namespaced_custom_object(G, V, "ci", WT)
    kube_server.drop(None, verb="get")
    with pytest.raises(urllib3.exceptions.MaxRetryError):  # GETs are retried by urllib3 (3 times)
        api.get_namespaced_custom_object(G, V, "ci", WT, "a")
    assert [r.code for r in kube_server.log.select("get")] == [0, 0, 0, 0]


def test_request_log_counts_kubernetes_verbs(api: Api, kube_server: KubeServer) -> None:
    for ns in ("a", "b"):
        api.list_namespaced_custom_object(G, V, ns, WT)
        api.create_namespaced_custom_object(G, V, ns, WT, wt("t"))
    api.list_cluster_custom_object(G, V, CWFT)
    obj = api.get_namespaced_custom_object(G, V, "a", WT, "t")
    api.replace_namespaced_custom_object(G, V, "a", WT, "t", {**obj, "spec": {"x": 2}})
    api.patch_namespaced_custom_object(G, V, "b", WT, "t", {"spec": {"x": 3}}, dry_run="All")
    api.delete_namespaced_custom_object(G, V, "b", WT, "t")

    log = kube_server.log
    assert log.by_verb() == {"list": 3, "create": 2, "get": 1, "update": 1, "patch": 1, "delete": 1}
    assert log.lists() == {(WT, "a"): 1, (WT, "b"): 1, (CWFT, None): 1}
    assert log.count("create", WT, "a") == 1
    assert [(r.verb, r.namespace) for r in log.writes()] == [
        ("create", "a"),
        ("create", "b"),
        ("update", "a"),
        ("delete", "b"),
    ]
    assert len(log.writes(include_dry_run=True)) == 5
    first = log.records[0]
    assert (first.method, first.path, first.query) == ("GET", f"/apis/{G}/{V}/namespaces/a/{WT}", {})


# -- patches (pure) --------------------------------------------------------------------------------


def test_merge_patch_semantics() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": None, "e": 3}, "d": [2]}) == {
        "a": {"c": 2, "e": 3},
        "d": [2],
    }


def test_json_patch_operations() -> None:
    doc = {"l": [1, 2], "m": {"k": "v"}}
    ops = [
        {"op": "add", "path": "/l/-", "value": 3},
        {"op": "add", "path": "/l/0", "value": 0},
        {"op": "remove", "path": "/m/k"},
        {"op": "copy", "from": "/l", "path": "/m/l"},
        {"op": "move", "from": "/m/l", "path": "/n"},
    ]
    assert json_patch(doc, ops) == {"l": [0, 1, 2, 3], "m": {}, "n": [0, 1, 2, 3]}
    assert doc == {"l": [1, 2], "m": {"k": "v"}}
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "replace", "path": "/missing", "value": 1}])


# -- kubectl ---------------------------------------------------------------------------------------

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def kubectl(kubeconfig: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    cache = kubeconfig.parent / "kube-cache"
    result = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@needs_kubectl
def test_kubectl_get(kube_server: KubeServer, kubeconfig: Path) -> None:
    kube_server.put(wt("build", "ci", {"team": "a"}))
    kube_server.put(wt("test", "ci", {"team": "b"}))
    kube_server.put(wt("lint", "default"))
    kube_server.put(cwft("checkout"))

    rows = kubectl(kubeconfig, "get", "workflowtemplates", "-A").stdout.splitlines()
    assert rows[0].split() == ["NAMESPACE", "NAME", "AGE"]
    assert [row.split()[:2] for row in rows[1:]] == [["ci", "build"], ["ci", "test"], ["default", "lint"]]

    assert kubectl(kubeconfig, "get", "cwft", "-o", "name").stdout.split() == [
        "clusterworkflowtemplate.argoproj.io/checkout"
    ]
    selected = kubectl(kubeconfig, "get", "wftmpl", "-n", "ci", "-l", "team=b", "-o", "name").stdout.split()
    assert selected == ["workflowtemplate.argoproj.io/test"]
    as_json = json.loads(kubectl(kubeconfig, "get", "wftmpl", "build", "-n", "ci", "-o", "json").stdout)
    assert as_json["metadata"]["uid"] == kube_server.get(WT, "ci", "build")["metadata"]["uid"]  # type: ignore[index]

    missing = kubectl(kubeconfig, "get", "wftmpl", "nope", "-n", "ci", check=False)
    assert missing.returncode == 1 and 'workflowtemplates.argoproj.io "nope" not found' in missing.stderr
    kube_server.forbid("ci")
    denied = kubectl(kubeconfig, "get", "wftmpl", "-n", "ci", check=False)
    assert denied.returncode == 1 and "Forbidden" in denied.stderr


@needs_kubectl
def test_kubectl_apply_diff_delete(kube_server: KubeServer, kubeconfig: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "wt.yaml"
    doc = wt("applied", "ci", {"app": "demo"}, entrypoint="main", templates=[{"name": "main"}])
    manifest.write_text(json.dumps(doc))
    assert "created" in kubectl(kubeconfig, "apply", "-f", str(manifest)).stdout
    assert kubectl(kubeconfig, "diff", "-f", str(manifest), check=False).returncode == 0

    doc["spec"]["entrypoint"] = "other"
    manifest.write_text(json.dumps(doc))
    diff = kubectl(kubeconfig, "diff", "-f", str(manifest), check=False)
    assert diff.returncode == 1 and "+  entrypoint: other" in diff.stdout
    assert kube_server.get(WT, "ci", "applied")["spec"]["entrypoint"] == "main"  # type: ignore[index]
    assert "configured" in kubectl(kubeconfig, "apply", "-f", str(manifest)).stdout
    stored = kube_server.get(WT, "ci", "applied")
    assert stored is not None and stored["spec"]["entrypoint"] == "other"
    assert stored["metadata"]["generation"] == 2
    assert "unchanged" in kubectl(kubeconfig, "apply", "-f", str(manifest)).stdout
    assert kube_server.log.count("patch") == 2  # the dry run for diff and the real apply

    assert "deleted" in kubectl(kubeconfig, "delete", "-f", str(manifest)).stdout
    assert kube_server.get(WT, "ci", "applied") is None


def test_shared_server_is_reset_between_tests(shared_kube_server: KubeServer, kubeconfig: Path) -> None:
    assert shared_kube_server.objects() == [] and shared_kube_server.log.records == []
    assert shared_kube_server.faults.pending() == [] and shared_kube_server.forbidden == []
    shared_kube_server.put(wt("left-behind", "ci"))
    shared_kube_server.uninstall_crd(CWFT)
    shared_kube_server.forbid("ci")
    assert str(shared_kube_server.port) in kubeconfig.read_text()


def test_shared_server_again(shared_kube_server: KubeServer) -> None:
    assert shared_kube_server.objects() == [] and shared_kube_server.forbidden == []
    assert CWFT in [res.plural for res in shared_kube_server.installed]


# -- core v1 ConfigMaps ------------------------------------------------------------------------------


def test_config_maps_through_core_v1_and_kubectl(kube_server: KubeServer, kubeconfig: Path) -> None:
    api_client = config.new_client_from_config(config_file=str(kubeconfig))  # type: ignore[no-untyped-call]
    core = client.CoreV1Api(api_client)
    served = {r.name: r for r in core.get_api_resources().resources}
    assert served["configmaps"].kind == "ConfigMap" and served["configmaps"].namespaced
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"x": "1"}}
    made = core.create_namespaced_config_map("ci", body)
    assert made.metadata.namespace == "ci" and made.metadata.resource_version
    assert core.read_namespaced_config_map("a", "ci").data == {"x": "1"}
    with pytest.raises(client.ApiException) as taken:
        core.create_namespaced_config_map("ci", body)
    assert taken.value.status == 409
    assert status_of(taken.value)["message"] == 'configmaps "a" already exists'
    assert [c.metadata.name for c in core.list_config_map_for_all_namespaces().items] == ["a"]
    kube_server.forbid("prod", resources=["configmaps"])
    with pytest.raises(client.ApiException) as denied:
        core.create_namespaced_config_map("prod", body)
    assert denied.value.status == 403
    api_client.close()
    if KUBECTL is not None:
        assert kubectl(kubeconfig, "get", "cm", "-n", "ci", "-o", "name").stdout.split() == ["configmap/a"]
        assert "deleted" in kubectl(kubeconfig, "delete", "configmap", "a", "-n", "ci").stdout
        assert kube_server.get("configmaps", "ci", "a") is None
