"""The Argo Server transport over real HTTP against the fake Argo Server (which shares a KubeServer's store)."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.fakes import HELLO_WORKFLOW, steps_status
from tests.kube.argoserver import TOKEN_INVALID, FakeArgoServer, self_signed
from tests.kube.controller import Script, TestController
from tests.kube.server import KubeServer
from wfsync.cluster import argo_server
from wfsync.cluster.api import (
    ClusterError,
    ConflictError,
    CrdMissingError,
    ForbiddenError,
    InvalidObjectError,
    NotFoundError,
    UnreachableError,
)
from wfsync.cluster.argo_server import ArgoServerWorkflows, from_environment
from wfsync.cluster.workflows import WatchExpired
from wfsync.engine.status import Node, WorkflowStatus
from wfsync.errors import ConfigError
from wfsync.harness.follow import follow

NS = "ci"


def hello(name: str = "", **spec: Any) -> dict[str, Any]:
    meta = {"name": name} if name else {"generateName": "hello-"}
    body = {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "alpine:3"}}]}
    body.update(spec)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta, "spec": body}


@pytest.fixture
def fake(shared_kube_server: KubeServer) -> Iterator[FakeArgoServer]:
    with FakeArgoServer(shared_kube_server) as server:
        yield server


@pytest.fixture
def client(fake: FakeArgoServer) -> ArgoServerWorkflows:
    return ArgoServerWorkflows(fake.url, NS, token=fake.token, backoff=0.01, max_backoff=0.02, timeout=(2, 5))


def write_status(kube: KubeServer, name: str, **status: Any) -> str:
    """Write status as the controller does (through the store); the new resourceVersion."""
    obj = kube.get("workflows", NS, name)
    assert obj is not None
    obj["status"] = status
    return str(kube.put(obj)["metadata"]["resourceVersion"])


# -- configuration from the environment ---------------------------------------------------------


def test_environment_unset_means_no_argo_server() -> None:
    assert from_environment({}, NS) is None
    assert from_environment({"ARGO_SERVER": "  "}, NS) is None


def test_environment_as_the_argo_cli_reads_it() -> None:
    secure = from_environment({"ARGO_SERVER": "argo.example:2746", "ARGO_TOKEN": "abc"}, NS)
    assert secure is not None
    assert secure.base_url == "https://argo.example:2746"
    assert (secure.namespace, secure.token, secure.insecure) == (NS, "Bearer abc", False)
    assert secure.description == "Argo Server https://argo.example:2746"
    plain = from_environment(
        {
            "ARGO_SERVER": "localhost:2746",
            "ARGO_SECURE": "false",
            "ARGO_INSECURE_SKIP_VERIFY": "TRUE",
            "ARGO_BASE_HREF": "/argo/",
            "ARGO_TOKEN": "Bearer v2:xyz",
            "ARGO_NAMESPACE": "team",
        },
        NS,
    )
    assert plain is not None
    assert plain.base_url == "http://localhost:2746/argo"
    assert (plain.namespace, plain.token, plain.insecure) == ("team", "Bearer v2:xyz", True)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ARGO_SERVER": "h:1", "ARGO_SECURE": "maybe"}, "ARGO_SECURE='maybe'"),
        ({"ARGO_SERVER": "h:1", "ARGO_INSECURE_SKIP_VERIFY": "sure"}, "ARGO_INSECURE_SKIP_VERIFY"),
        ({"ARGO_SERVER": "h:2746/argo"}, "ARGO_SERVER='h:2746/argo' is not host:port"),
        ({"ARGO_SERVER": "h:port"}, "invalid port"),
        ({"ARGO_SERVER": "ftp://h:1"}, "ARGO_SERVER='ftp://h:1'"),
    ],
)
def test_environment_mistakes_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_environment(env, NS)
    assert named in str(caught.value)


# -- create, get, stop --------------------------------------------------------------------------


def test_create_posts_argos_body_and_lands_in_the_kube_store(
    client: ArgoServerWorkflows, fake: FakeArgoServer, shared_kube_server: KubeServer
) -> None:
    made = client.create(hello())
    name = made["metadata"]["name"]
    assert name.startswith("hello-") and len(name) == len("hello-") + 5
    stored = shared_kube_server.get("workflows", NS, name)
    assert stored is not None and stored["metadata"]["uid"] == made["metadata"]["uid"]
    post = fake.requests[-1]
    assert (post.method, post.path, post.authorization) == (
        "POST",
        f"/api/v1/workflows/{NS}",
        "Bearer " + fake.token,
    )
    assert post.body["namespace"] == NS
    assert post.body["workflow"]["metadata"] == {"generateName": "hello-", "namespace": NS}
    assert client.get(name)["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


def test_create_twice_is_a_conflict_naming_the_workflow(client: ArgoServerWorkflows) -> None:
    client.create(hello("fixed"))
    with pytest.raises(ConflictError) as caught:
        client.create(hello("fixed"))
    assert str(caught.value) == (
        f'cannot create workflow fixed in namespace {NS}: workflows.argoproj.io "fixed" already exists'
    )
    assert caught.value.identity is not None and caught.value.identity.name == "fixed"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"entrypoint": ""}, "spec.entrypoint is required"),
        ({"entrypoint": "nope"}, "template name 'nope' undefined"),
        (
            {"templates": [{"name": "main", "steps": [[{"name": "a", "template": "missing"}]]}]},
            "templates.main.steps[0].a template name 'missing' undefined",
        ),
        (
            {
                "templates": [
                    {
                        "name": "main",
                        "dag": {"tasks": [{"name": "t", "templateRef": {"name": "lib", "template": "x"}}]},
                    }
                ]
            },
            "templates.main.tasks.t template reference lib.x not found",
        ),
        (
            {"entrypoint": "", "workflowTemplateRef": {"name": "absent"}},
            'workflowtemplates.argoproj.io "absent" not found',
        ),
    ],
)
def test_invalid_workflows_keep_argos_message(
    client: ArgoServerWorkflows, shared_kube_server: KubeServer, spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidObjectError) as caught:
        client.create(hello(**spec))
    assert str(caught.value) == (
        f"cannot create workflow hello-* in namespace {NS}: the Argo Server refused it as invalid: {message}"
    )
    assert shared_kube_server.objects("workflows") == []


def test_workflow_template_ref_is_resolved_in_the_store(
    client: ArgoServerWorkflows, shared_kube_server: KubeServer
) -> None:
    shared_kube_server.put(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "WorkflowTemplate",
            "metadata": {"name": "lib", "namespace": NS},
            "spec": {
                "entrypoint": "main",
                "templates": [{"name": "main", "container": {"image": "alpine:3"}}],
            },
        }
    )
    made = client.create(
        {"metadata": {"generateName": "from-lib-"}, "spec": {"workflowTemplateRef": {"name": "lib"}}}
    )
    assert made["spec"] == {"workflowTemplateRef": {"name": "lib"}}


def test_get_missing_and_names_stay_one_segment(client: ArgoServerWorkflows, fake: FakeArgoServer) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get("a/../../b")
    assert 'workflows.argoproj.io "a/../../b" not found' in str(caught.value)
    assert str(caught.value).startswith(f"cannot get workflow a/../../b in namespace {NS}: not found by ")
    assert fake.requests[-1].path == f"/api/v1/workflows/{NS}/a%2F..%2F..%2Fb"
    with pytest.raises(ConfigError):
        client.get("..")


def test_offloaded_nodes_are_hydrated_by_the_server(
    client: ArgoServerWorkflows, fake: FakeArgoServer, shared_kube_server: KubeServer
) -> None:
    assert client.hydrates_offloaded
    name = client.create(hello())["metadata"]["name"]
    rv = write_status(shared_kube_server, name, phase="Running")
    nodes = {name: {"id": name, "name": name, "type": "Pod", "phase": "Running"}}
    version = fake.offload(NS, name, nodes)
    stored = shared_kube_server.get("workflows", NS, name)
    assert stored is not None and "nodes" not in stored["status"]
    assert stored["status"]["offloadNodeStatusVersion"] == version
    got = client.get(name)
    assert got["status"]["nodes"] == nodes and got["status"]["offloadNodeStatusVersion"] == version
    event = next(iter(client.watch(name, rv, timeout=2)))
    assert event.workflow["status"]["nodes"] == nodes


def test_stop_sets_shutdown_in_the_store_and_sends_the_message(
    client: ArgoServerWorkflows, fake: FakeArgoServer, shared_kube_server: KubeServer
) -> None:
    name = client.create(hello())["metadata"]["name"]
    client.stop(name, "stopped by wfsync")
    stored = shared_kube_server.get("workflows", NS, name)
    assert stored is not None and stored["spec"]["shutdown"] == "Stop"
    assert fake.stops == [{"name": name, "namespace": NS, "message": "stopped by wfsync"}]
    assert fake.requests[-1].method == "PUT" and fake.requests[-1].path.endswith(f"/{name}/stop")
    with pytest.raises(NotFoundError, match="cannot stop workflow gone in namespace ci"):
        client.stop("gone")


def test_base_href_prefixes_every_route(shared_kube_server: KubeServer) -> None:
    with FakeArgoServer(shared_kube_server, base_href="/argo/") as fake:
        env = fake.env(ARGO_BASE_HREF="argo")
        client = from_environment(env, NS)
        assert client is not None
        name = client.create(hello())["metadata"]["name"]
        assert client.get(name)["metadata"]["name"] == name
        assert fake.requests[-1].path == f"/argo/api/v1/workflows/{NS}/{name}"


# -- auth and transport errors ------------------------------------------------------------------


def test_wrong_or_missing_token_says_to_set_argo_token(fake: FakeArgoServer) -> None:
    wrong = ArgoServerWorkflows(fake.url, NS, token="Bearer nope")
    with pytest.raises(ForbiddenError) as caught:
        wrong.get("x")
    assert str(caught.value) == (
        f"cannot get workflow x in namespace {NS}: the Argo Server at ARGO_SERVER={fake.address} rejected "
        f"the token ({TOKEN_INVALID}); set ARGO_TOKEN to a valid token (`argo auth token` prints one; "
        "the 'Bearer ' prefix is optional)"
    )
    assert fake.requests[-1].status == 401
    anonymous = ArgoServerWorkflows(fake.url, NS)
    with pytest.raises(ForbiddenError, match="sent no token"):
        anonymous.create(hello())
    assert fake.requests[-1].authorization == ""


def test_forbidden_namespace(client: ArgoServerWorkflows, fake: FakeArgoServer) -> None:
    fake.forbid(NS)
    with pytest.raises(ForbiddenError) as caught:
        client.create(hello())
    text = str(caught.value)
    assert text.startswith(f"cannot create workflow hello-* in namespace {NS}: forbidden by the Argo Server")
    assert f'cannot create resource "workflows" in API group "argoproj.io" in the namespace "{NS}"' in text
    assert text.endswith(f"needs RBAC to create workflows in namespace {NS}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_unreachable_after_bounded_retries() -> None:
    port = free_port()
    client = ArgoServerWorkflows(f"http://127.0.0.1:{port}", NS, attempts=3, backoff=0.01, max_backoff=0.01)
    started = time.monotonic()
    with pytest.raises(UnreachableError) as caught:
        client.get("x")
    assert str(caught.value) == (
        f"cannot get workflow x in namespace {NS}: no answer from the Argo Server at "
        f"ARGO_SERVER=127.0.0.1:{port} after 3 attempts (Connection refused)"
    )
    assert time.monotonic() - started < 2


def test_tls_to_a_plain_http_server_says_what_to_set(fake: FakeArgoServer) -> None:
    client = from_environment({"ARGO_SERVER": fake.address, "ARGO_TOKEN": fake.token}, NS)
    assert client is not None and client.base_url.startswith("https://")
    with pytest.raises(UnreachableError) as caught:
        client.get("x")
    text = str(caught.value)
    assert f"TLS with the Argo Server at ARGO_SERVER={fake.address} failed" in text
    assert "ARGO_SECURE=false" in text and "ARGO_INSECURE_SKIP_VERIFY=true" in text


@pytest.fixture
def tls_fake(shared_kube_server: KubeServer, tmp_path: Path) -> Iterator[FakeArgoServer]:
    pair = self_signed(tmp_path)
    if pair is None:
        pytest.skip("openssl is not installed: no certificate for the TLS tests")
    with FakeArgoServer(shared_kube_server, tls=pair) as server:
        yield server


def test_a_self_signed_certificate_is_refused_unless_told_to_skip_verification(
    tls_fake: FakeArgoServer,
) -> None:
    verified = from_environment({"ARGO_SERVER": tls_fake.address, "ARGO_TOKEN": tls_fake.token}, NS)
    assert verified is not None
    with pytest.raises(UnreachableError) as caught:
        verified.get("x")
    assert str(caught.value) == (
        f"cannot get workflow x in namespace {NS}: TLS with the Argo Server at ARGO_SERVER={tls_fake.address} "
        "failed (certificate verify failed); set ARGO_INSECURE_SKIP_VERIFY=true for a self-signed certificate, "
        "or ARGO_SECURE=false if the server speaks plain http"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no InsecureRequestWarning on the user's terminal
        unverified = from_environment(tls_fake.env(), NS)
        assert unverified is not None and unverified.base_url.startswith("https://")
        made = unverified.create(hello())
        name, rv = made["metadata"]["name"], made["metadata"]["resourceVersion"]
        assert unverified.get(name)["metadata"]["uid"] == made["metadata"]["uid"]
        tls_fake.watch_close_after = 0.1
        assert list(unverified.watch(name, rv, timeout=5)) == []


def test_server_errors_are_retried_then_unreachable(
    client: ArgoServerWorkflows, fake: FakeArgoServer
) -> None:
    name = client.create(hello())["metadata"]["name"]
    fake.fail(503, count=2)
    assert client.get(name)["metadata"]["name"] == name
    assert [r.status for r in fake.requests[-3:]] == [503, 503, 200]
    fake.fail(500, count=None)
    with pytest.raises(UnreachableError) as caught:
        client.get(name)
    assert str(caught.value) == (
        f"cannot get workflow {name} in namespace {NS}: the Argo Server at ARGO_SERVER={fake.address} "
        "answered 500 after 4 attempts: injected 500"
    )
    assert caught.value.retried


def test_a_create_answered_with_a_5xx_is_not_repeated(
    client: ArgoServerWorkflows, fake: FakeArgoServer
) -> None:
    fake.fail(503, count=None)
    before = len(fake.requests)
    with pytest.raises(UnreachableError, match="answered 503 after 1 attempt: injected 503"):
        client.create(hello())
    assert len(fake.requests) == before + 1  # it may have been applied: never created twice


# -- watch --------------------------------------------------------------------------------------


def test_watch_streams_changes_in_order(
    client: ArgoServerWorkflows, fake: FakeArgoServer, shared_kube_server: KubeServer
) -> None:
    made = client.create(hello())
    name, rv = made["metadata"]["name"], made["metadata"]["resourceVersion"]
    phases = ["Pending", "Running", "Running", "Succeeded"]

    def controller() -> None:
        for index, phase in enumerate(phases):
            time.sleep(0.08)
            write_status(shared_kube_server, name, phase=phase, progress=f"{index}/4")

    thread = threading.Thread(target=controller)
    thread.start()
    seen = []
    for event in client.watch(name, rv, timeout=5):
        seen.append(
            (
                event.type,
                event.workflow["status"]["progress"],
                int(event.workflow["metadata"]["resourceVersion"]),
            )
        )
        if event.workflow["status"]["phase"] == "Succeeded":
            break
    thread.join()
    assert [(kind, progress) for kind, progress, _ in seen] == [("MODIFIED", f"{i}/4") for i in range(4)]
    versions = [version for _, _, version in seen]
    assert versions == sorted(versions) and versions[0] > int(rv)
    request = next(r for r in fake.requests if r.path == f"/api/v1/workflow-events/{NS}")
    assert request.accept == "text/event-stream"
    assert request.query["listOptions.fieldSelector"] == f"metadata.name={name}"
    assert request.query["listOptions.resourceVersion"] == rv


def test_watch_ends_when_the_server_closes_the_stream(
    client: ArgoServerWorkflows, fake: FakeArgoServer
) -> None:
    made = client.create(hello())
    fake.watch_close_after = 0.2
    started = time.monotonic()
    assert list(client.watch(made["metadata"]["name"], made["metadata"]["resourceVersion"], timeout=30)) == []
    assert time.monotonic() - started < 2


def test_watch_sees_deletion(client: ArgoServerWorkflows, shared_kube_server: KubeServer) -> None:
    made = client.create(hello())
    name = made["metadata"]["name"]
    threading.Timer(0.1, lambda: shared_kube_server.store.remove("workflows", NS, name)).start()
    events = client.watch(name, made["metadata"]["resourceVersion"], timeout=3)
    event = next(iter(events))
    assert (event.type, event.workflow["metadata"]["name"]) == ("DELETED", name)


@pytest.mark.parametrize("as_event", [False, True], ids=["stream-error", "error-event"])
def test_expired_version_raises_watch_expired(
    client: ArgoServerWorkflows, fake: FakeArgoServer, shared_kube_server: KubeServer, as_event: bool
) -> None:
    made = client.create(hello())
    name, rv = made["metadata"]["name"], made["metadata"]["resourceVersion"]
    newer = write_status(shared_kube_server, name, phase="Running")
    fake.expire_before(newer)
    fake.expiry_as_event = as_event
    with pytest.raises(WatchExpired) as caught:
        list(client.watch(name, rv, timeout=5))
    assert str(caught.value).startswith(
        f"watch of workflow {name} in namespace {NS} expired: too old resource version: {rv} ("
    )
    event = next(iter(client.watch(name, "0", timeout=5)))  # from no version: the current state
    assert event.workflow["metadata"]["resourceVersion"] == newer


def test_watch_of_a_missing_workflow(client: ArgoServerWorkflows) -> None:
    with pytest.raises(NotFoundError, match="cannot watch workflow gone in namespace ci"):
        list(client.watch("gone", "1", timeout=2))


def test_an_event_over_the_size_bound_is_refused(
    client: ArgoServerWorkflows, shared_kube_server: KubeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = client.create(hello())
    name = made["metadata"]["name"]
    monkeypatch.setattr(argo_server, "MAX_EVENT_BYTES", 4096)
    write_status(shared_kube_server, name, phase="Running", message="x" * 200_000)
    with pytest.raises(ClusterError, match=f"an event about workflow {name} in namespace ci is larger than"):
        list(client.watch(name, made["metadata"]["resourceVersion"], timeout=3))


# -- logs ---------------------------------------------------------------------------------------


def test_logs_of_a_finished_pod(client: ArgoServerWorkflows, fake: FakeArgoServer) -> None:
    name = client.create(hello())["metadata"]["name"]
    fake.set_log(NS, f"{name}-1", ["first", "", "third: with data: inside"])
    assert list(client.logs(name, f"{name}-1")) == ["first", "", "third: with data: inside"]
    request = fake.requests[-1]
    assert request.path == f"/api/v1/workflows/{NS}/{name}/log"
    assert request.query == {"podName": f"{name}-1", "logOptions.container": "main"}


def test_logs_follow_until_the_pod_ends(client: ArgoServerWorkflows, fake: FakeArgoServer) -> None:
    name = client.create(hello())["metadata"]["name"]
    pod = f"{name}-2"
    fake.set_log(NS, pod, ["one"], done=False)

    def writer() -> None:
        for line in ("two", "three"):
            time.sleep(0.08)
            fake.append_log(NS, pod, [line])
        time.sleep(0.08)
        fake.append_log(NS, pod, ["four"], done=True)

    thread = threading.Thread(target=writer)
    thread.start()
    started = time.monotonic()
    arrived = [(line, time.monotonic() - started) for line in client.logs(name, pod, follow=True)]
    thread.join()
    assert [line for line, _ in arrived] == ["one", "two", "three", "four"]
    assert arrived[0][1] < 0.08 < arrived[-1][1]  # streamed as written, not at the end
    assert fake.requests[-1].query["logOptions.follow"] == "true"


def test_logs_of_a_missing_pod(client: ArgoServerWorkflows) -> None:
    name = client.create(hello())["metadata"]["name"]
    with pytest.raises(NotFoundError) as caught:
        list(client.logs(name, "nope", "wait"))
    assert str(caught.value).startswith(
        f"cannot read the log of pod nope (container wait) of workflow {name} in namespace {NS}: not found"
    )
    assert 'pods "nope" not found' in str(caught.value)


# -- the harness over this transport ------------------------------------------------------------


class Recorder:
    """A follow listener that keeps what it heard."""

    def __init__(self) -> None:
        self.phases: list[str] = []
        self.done: list[str] = []
        self.lines: list[tuple[str, str]] = []
        self.notes: list[str] = []

    def status(self, status: WorkflowStatus) -> None:
        self.phases.append(status.phase)

    def node_done(self, node: Node) -> None:
        self.done.append(node.display_name)

    def log(self, node: str, line: str) -> None:
        self.lines.append((node, line))

    def note(self, message: str) -> None:
        self.notes.append(message)


def test_follow_through_the_argo_server_with_offloaded_nodes_reconnects_and_logs(
    client: ArgoServerWorkflows, fake: FakeArgoServer, shared_kube_server: KubeServer
) -> None:
    frames = [
        steps_status("rec", {"a": "Running", "b": "Pending"}).to_json(),
        steps_status("rec", {"a": "Succeeded", "b": "Running"}).to_json(),
        steps_status("rec", {"a": "Succeeded", "b": "Succeeded"}, workflow_phase="Succeeded").to_json(),
    ]
    script = Script("rec", frames, {"[0].a": ["hello from a"], "[0].b": ["b says", "bye"]})
    fake.watch_close_after = 0.1  # streams end under the follow: it must resume from its last version
    with TestController(
        shared_kube_server,
        script,
        interval=0.15,
        offload=True,
        on_offload=fake.keep_offloaded,
        on_pod=fake.pod_log,
    ) as controller:
        created = client.create(HELLO_WORKFLOW)
        heard = Recorder()
        result = follow(client, created, heard, logs=True, watch_timeout=5)
        controller.wait(created["metadata"]["name"], NS)
    stored = shared_kube_server.get("workflows", NS, created["metadata"]["name"])
    assert stored is not None and "nodes" not in stored["status"]  # offloaded in the store
    assert result.finished and result.status.phase == "Succeeded" and not result.offloaded_hidden
    name = created["metadata"]["name"]
    assert sorted(heard.done) == sorted(["[0]", "a", "b", name]) and len(result.status.nodes) == 4
    assert sorted(heard.lines) == [("a", "hello from a"), ("b", "b says"), ("b", "bye")]
    assert result.reconnects >= 1 and heard.notes == []


def test_a_dropped_stream_ends_a_watch_but_breaks_a_log(
    client: ArgoServerWorkflows, fake: FakeArgoServer, shared_kube_server: KubeServer
) -> None:
    made = client.create(hello())
    name, rv = made["metadata"]["name"], made["metadata"]["resourceVersion"]
    write_status(shared_kube_server, name, phase="Running")
    fake.cut_streams_after = 1
    started = time.monotonic()
    events = list(client.watch(name, rv, timeout=10))
    assert [e.workflow["status"]["phase"] for e in events] == ["Running"]  # the watcher resumes from there
    assert time.monotonic() - started < 2
    fake.set_log(NS, "p", ["one", "two"])
    lines = []
    with pytest.raises(UnreachableError) as caught:
        lines.extend(client.logs(name, "p", follow=True))
    assert lines == ["one"]
    assert str(caught.value).startswith(
        f"cannot read the log of pod p (container main) of workflow {name} in namespace {NS}: the stream from "
        f"the Argo Server at ARGO_SERVER={fake.address} broke off ("
    )


def test_missing_workflow_crd_behind_the_server(
    client: ArgoServerWorkflows, shared_kube_server: KubeServer
) -> None:
    shared_kube_server.uninstall_crd("workflows")
    with pytest.raises(CrdMissingError) as caught:
        client.create(hello())
    assert str(caught.value).startswith(
        f"cannot create workflow hello-* in namespace {NS}: the cluster behind the Argo Server at ARGO_SERVER="
    )
    assert "(are Argo's CRDs installed?): the server could not find the requested resource" in str(
        caught.value
    )


def test_an_error_inside_a_log_stream_is_mapped(client: ArgoServerWorkflows, fake: FakeArgoServer) -> None:
    name = client.create(hello())["metadata"]["name"]
    fake.set_log(NS, "p", ["before"], done=False)
    fake.break_log(NS, "p", 5, 'pods "p" not found')
    lines: list[str] = []
    with pytest.raises(NotFoundError) as caught:
        lines.extend(client.logs(name, "p", follow=True))
    assert lines == ["before"]
    assert str(caught.value).endswith(
        f'not found by the Argo Server at ARGO_SERVER={fake.address}: pods "p" not found'
    )
