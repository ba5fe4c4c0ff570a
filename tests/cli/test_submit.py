"""``wfsync submit`` and ``stop`` through Typer's runner.

Refusals that need no cluster (local target, invalid input) first; then both real transports (the
test Kubernetes API server with :class:`KubernetesWorkflows`, and the fake Argo Server with
:class:`ArgoServerWorkflows` through ``ARGO_SERVER``), with the test controller advancing the
created workflows from recorded status frames.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.kube.argoserver import FakeArgoServer
from tests.kube.controller import Script, TestController
from tests.kube.server import KubeServer
from tests.kube.validation import FieldError
from wfsync.cli import nodetree
from wfsync.cli.app import app
from wfsync.cluster.argo_server import ArgoServerWorkflows
from wfsync.cluster.kube_workflows import KubernetesWorkflows

CONFIG = """\
library: library
libraryId: demo
targets:
  local:
    type: embedded
    namespace: ci
  kube:
    type: kubernetes
    kubeconfig: kubeconfig
    namespace: ci
    allowedContexts: [wfsync-test]
"""
SAY = """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: say
  labels: {wfsync.io/version: "VERSION"}
spec:
  templates:
    - name: main
      inputs: {parameters: [{name: msg}]}
      container: {image: alpine:3, command: [echo], args: ["{{inputs.parameters.msg}}"]}
"""
HELLO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: msg, value: hello}]}
  templates:
    - name: main
      steps:
        - - name: a
            templateRef: {name: say, template: main, clusterScope: true}
            arguments: {parameters: [{name: msg, value: "{{workflow.parameters.msg}}"}]}
          - name: b
            template: local
    - name: local
      container: {image: alpine:3, command: [echo, b]}
"""
INVALID = HELLO.replace("entrypoint: main", "entrypoint: mian")


def wfsync(*args: str) -> tuple[int, str, str]:
    """Run the CLI; exit code, stdout, stderr."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose library holds ``say`` 1.0.0, with ``hello.yaml`` referring to it."""
    root = tmp_path / "repo"
    (root / "library").mkdir(parents=True)
    (root / "wfsync.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "library" / "say.yaml").write_text(SAY.replace("VERSION", "1.0.0"), encoding="utf-8")
    (root / "hello.yaml").write_text(HELLO, encoding="utf-8")
    (root / "invalid.yaml").write_text(INVALID, encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    monkeypatch.chdir(root)
    for var in ("WFSYNC_TARGET", "ARGO_SERVER", "ARGO_TOKEN", "ARGO_NAMESPACE"):
        monkeypatch.delenv(var, raising=False)
    return root


def test_embedded_target_cannot_run_workflows(repo: Path) -> None:
    code, out, err = wfsync("submit", "hello.yaml")
    assert code == 2
    assert "target 'local' is an embedded store and cannot run workflows" in err
    assert "wfsync run" in err
    assert out == ""


def test_invalid_workflow_refused_before_any_request(repo: Path) -> None:
    # the kubeconfig points nowhere: a request would fail with 3, the refusal comes first with 2
    (repo / "kubeconfig").write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    code, _, err = wfsync("submit", "invalid.yaml", "--target", "kube")
    assert code == 2, err
    assert "invalid.yaml:" in err and "mian" in err


def test_file_and_from_are_exclusive(repo: Path) -> None:
    code, _, err = wfsync("submit", "hello.yaml", "--from", "workflowtemplate/x", "--target", "kube")
    assert code == 2
    assert "either FILE or --from" in err
    code, _, err = wfsync("submit", "--target", "kube")
    assert code == 2


def test_unknown_output_format(repo: Path) -> None:
    code, _, err = wfsync("submit", "hello.yaml", "-o", "markdown")
    assert code == 2
    assert "--output markdown is not available here" in err


def test_unknown_target(repo: Path) -> None:
    code, _, err = wfsync("stop", "hello-x", "--target", "nope")
    assert code == 2
    assert "unknown target 'nope'" in err


def test_json_error_document(repo: Path) -> None:
    code, out, _ = wfsync("submit", "hello.yaml", "-o", "json")
    assert code == 2
    doc = json.loads(out)
    assert doc["schemaVersion"] == 1 and doc["error"]["code"] == "usage"


# -- on real transports, with the test controller ----------------------------------------------------

FAILING = HELLO.replace("command: [echo, b]", 'command: [sh, -c, "echo b; exit 3"]')


@dataclasses.dataclass
class Argo:
    """One transport under test: the test API server, and the fake Argo Server in front of it (or None)."""

    kind: str
    kube: KubeServer
    server: FakeArgoServer | None

    def on_pod(self, namespace: str, pod: str, container: str, lines: list[str]) -> None:
        """The controller's pod-log hook: the log where this transport reads it."""
        if self.server is not None:
            self.server.pod_log(namespace, pod, container, lines)
            return
        self.kube.add_pod(namespace, pod, [container], phase="Succeeded")
        self.kube.append_log(namespace, pod, container, "".join(f"{line}\n" for line in lines))
        self.kube.end_log(namespace, pod, container)

    def on_offload(self, namespace: str, name: str, version: str, nodes: dict[str, Any]) -> None:
        """The controller's offload hook: only the Argo Server can give the nodes back."""
        if self.server is not None:
            self.server.keep_offloaded(namespace, name, version, nodes)

    def controller(
        self, script: Script | Callable[[dict[str, Any]], Script | None], **options: Any
    ) -> TestController:
        """A test controller playing ``script`` for created workflows, logs and offloads wired here."""
        options.setdefault("interval", 0.02)
        return TestController(self.kube, script, on_pod=self.on_pod, on_offload=self.on_offload, **options)

    def gets(self) -> int:
        """Workflow reads (not lists or watches) sent so far through this transport."""
        if self.server is not None:
            return sum(
                1
                for r in self.server.requests
                if r.method == "GET" and re.fullmatch(r".*/api/v1/workflows/[^/]+/[^/]+", r.path)
            )
        return self.kube.log.count("get", "workflows")

    def watches(self) -> int:
        """Watch requests sent so far through this transport."""
        if self.server is not None:
            return sum(1 for r in self.server.requests if "workflow-events" in r.path)
        return self.kube.log.count("watch", "workflows")


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Script]:
    """Frames and logs of local runs of ``hello.yaml`` and its failing variant (recorded once)."""
    root = tmp_path_factory.mktemp("record")
    (root / "library").mkdir()
    (root / "library" / "say.yaml").write_text(SAY.replace("VERSION", "1.0.0"), encoding="utf-8")
    out = {}
    for name, text in (("hello", HELLO), ("failing", FAILING)):
        path = root / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        out[name] = Script.record(path, root / "state", library=root / "library")
    return out


@pytest.fixture(params=["kube", "argo-server"])
def argo(request: pytest.FixtureRequest, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Argo]:
    """The repository's ``kube`` target on the test API server; with ``argo-server``, ARGO_SERVER set too."""
    with KubeServer() as kube:
        kube.write_kubeconfig(repo / "kubeconfig")
        if request.param == "kube":
            yield Argo("kube", kube, None)
            return
        with FakeArgoServer(kube) as server:
            for key, value in server.env().items():
                monkeypatch.setenv(key, value)
            yield Argo("argo-server", kube, server)


def pushed(code_out_err: tuple[int, str, str]) -> None:
    """Assert a push went through."""
    assert code_out_err[0] == 0, code_out_err[2]


def test_succeeded_workflow_watched_to_the_end(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    with argo.controller(scripts["hello"]):
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--watch", "-p", "msg=hi")
    assert code == 0, err
    name = out.splitlines()[0].removeprefix("submitted ")
    assert name.startswith("hello-")
    assert "Status:              Succeeded" in out
    assert re.search(r"✔ a\s", out) and re.search(r"✔ b\s", out)
    stored = argo.kube.get("workflows", "ci", name)
    assert stored is not None
    assert stored["spec"]["arguments"]["parameters"] == [{"name": "msg", "value": "hi"}]


def test_failed_workflow_exits_1(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    (Path.cwd() / "failing.yaml").write_text(FAILING, encoding="utf-8")
    with argo.controller(scripts["failing"]):
        code, out, err = wfsync("submit", "failing.yaml", "--target", "kube", "--watch")
    assert code == 1, err
    assert "Status:              Failed" in out


def test_without_watch_prints_the_name_only(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    code, out, err = wfsync("submit", "hello.yaml", "--target", "kube")
    assert code == 0, err
    name = out.strip()
    assert argo.kube.get("workflows", "ci", name) is not None


def test_json_is_the_final_workflow(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    with argo.controller(scripts["hello"]):
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--watch", "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schemaVersion"] == 1 and doc["kind"] == "Workflow"
    assert doc["status"]["phase"] == "Succeeded"
    pods = [n for n in doc["status"]["nodes"].values() if n["type"] == "Pod"]
    assert len(pods) == 2


def test_yaml_is_the_final_workflow(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    with argo.controller(scripts["hello"]):
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--watch", "-o", "yaml")
    assert code == 0, err
    assert yaml.safe_load(out)["status"]["phase"] == "Succeeded"


def _mid_run(argo: Argo, controller: TestController, action: Callable[[], None]) -> threading.Thread:
    """Run ``action`` while the controller holds the workflow mid-run and ``submit`` watches it.

    The controller was made with ``hold_after``: however slow the machine, the workflow cannot
    finish before the action, nor the action come before the watch. The action is repeated until
    the client watches again (a watch request is counted a moment before its stream follows the
    store, and an end or expiry in between passes it by); then the workflow is released, so what
    the client saw when it reconnected was the held, mid-run state.
    """

    def until(done: Callable[[], bool], meanwhile: Callable[[], None] = lambda: None) -> None:
        deadline = time.monotonic() + 20
        while not done() and time.monotonic() < deadline:
            meanwhile()
            time.sleep(0.02)

    def wait() -> None:
        try:
            until(lambda: controller.writes >= (controller.hold_after or 0) and argo.watches() >= 1)
            seen = argo.watches()
            until(lambda: argo.watches() > seen, action)
        finally:
            controller.release()

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    return thread


def _before_last(script: Script) -> int:
    """Frames to write before holding: all but the last (how many a recording has depends on timing)."""
    assert len(script.frames) >= 2, "the recording must have a frame before the final one"
    return len(script.frames) - 1


def test_stream_closed_mid_run_reconnects(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    if argo.server is not None:
        argo.server.watch_close_after = 0.05
    with argo.controller(
        scripts["hello"], interval=0.05, hold_after=_before_last(scripts["hello"])
    ) as controller:
        _mid_run(argo, controller, argo.kube.end_watches if argo.server is None else lambda: None)
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--watch")
    assert code == 0, err
    assert "Status:              Succeeded" in out
    assert argo.watches() >= 2


def test_watch_expired_mid_run_gets_and_watches_again(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    server = argo.server
    if server is not None:
        server.watch_close_after = 0.05
    with argo.controller(
        scripts["hello"], interval=0.05, hold_after=_before_last(scripts["hello"])
    ) as controller:

        def expire() -> None:
            if server is None:
                argo.kube.expire_watches()
                return
            (workflow,) = argo.kube.objects("workflows")
            server.expire_before(int(workflow["metadata"]["resourceVersion"]) + 1)

        _mid_run(argo, controller, expire)
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--watch")
    assert code == 0, err
    assert "Status:              Succeeded" in out
    assert argo.watches() >= 2
    assert argo.gets() >= 1, "an expired watch is followed by a get"


def test_logs_streamed_once_per_node(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    if argo.server is not None:
        argo.server.watch_close_after = 0.05  # reconnects must not repeat a log
    with argo.controller(scripts["hello"]):
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--logs", "-p", "msg=hi there")
    assert code == 0, err
    lines = out.splitlines()
    # the recorded runs said "hello" (the script's own logs are what the pods wrote)
    assert lines.count("a: hello") == 1, out
    assert lines.count("b: b") == 1, out


def test_offloaded_nodes(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    with argo.controller(scripts["hello"], offload=True):
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--watch")
    assert code == 0, err
    assert "Status:              Succeeded" in out
    if argo.server is None:
        assert "offloaded" in err and "ARGO_SERVER" in err
        assert "✔ a" not in out
    else:
        assert "offloaded" not in err
        assert re.search(r"✔ a\s", out)


def test_compressed_nodes_decoded(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    with argo.controller(scripts["hello"], compress=True):
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--watch")
    assert code == 0, err
    assert re.search(r"✔ a\s", out) and re.search(r"✔ b\s", out)


def test_missing_template_refused_then_pushed(argo: Argo, scripts: dict[str, Script]) -> None:
    code, _, err = wfsync("submit", "hello.yaml", "--target", "kube")
    assert code == 3
    assert "ClusterWorkflowTemplate/say: missing: not on the target (push it with --push-templates" in err
    assert argo.kube.objects("workflows") == []
    with argo.controller(scripts["hello"]):
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--push-templates", "--watch")
    assert code == 0, err
    assert "created ClusterWorkflowTemplate/say" in out
    assert argo.kube.get("clusterworkflowtemplates", None, "say") is not None


def test_outdated_template_refused_then_pushed(argo: Argo, scripts: dict[str, Script], repo: Path) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    (repo / "library" / "say.yaml").write_text(SAY.replace("VERSION", "1.1.0").replace("echo", "printf"))
    code, _, err = wfsync("submit", "hello.yaml", "--target", "kube")
    assert code == 3
    assert "ClusterWorkflowTemplate/say: outdated: the target has version 1.0.0, the library 1.1.0" in err
    code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--push-templates")
    assert code == 0, err
    assert "updated ClusterWorkflowTemplate/say" in out
    live = argo.kube.get("clusterworkflowtemplates", None, "say")
    assert live is not None and live["metadata"]["labels"]["wfsync.io/version"] == "1.1.0"


def test_template_edited_on_the_target_is_not_overwritten(argo: Argo, repo: Path) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    live = argo.kube.get("clusterworkflowtemplates", None, "say")
    assert live is not None
    live["spec"]["templates"][0]["container"]["image"] = "alpine:edge"
    argo.kube.put(live)
    code, _, err = wfsync("submit", "hello.yaml", "--target", "kube", "--push-templates")
    assert code == 3
    assert "ClusterWorkflowTemplate/say: drifted" in err and "wfsync push --force" in err
    assert argo.kube.objects("workflows") == []


def test_forbidden(argo: Argo, repo: Path) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    if argo.server is not None:
        argo.server.forbid("ci")
    else:
        argo.kube.forbid("ci", verbs=["create"], resources=["workflows"])
    code, _, err = wfsync("submit", "hello.yaml", "--target", "kube")
    assert code == 3
    assert "forbidden" in err.lower() or "permission" in err.lower()
    assert argo.kube.objects("workflows") == []


NO_ENTRYPOINT = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: parts
  labels: {wfsync.io/version: "1.0.0"}
spec:
  templates:
    - name: one
      container: {image: alpine:3, command: [echo, one]}
"""


def test_invalid_workflow_rejected_by_the_server_keeps_its_message(argo: Argo, repo: Path) -> None:
    (repo / "library" / "parts.yaml").write_text(NO_ENTRYPOINT, encoding="utf-8")
    pushed(wfsync("push", "--yes", "--target", "kube"))
    if argo.server is not None:  # Argo's own validation: a template without an entrypoint
        code, _, err = wfsync("submit", "--from", "workflowtemplate/parts", "--target", "kube")
        assert code == 3
        assert "spec.entrypoint is required" in err
        return

    def webhook(obj: dict[str, Any]) -> list[FieldError]:  # an admission webhook's refusal
        if obj.get("kind") != "Workflow":
            return []
        return [FieldError("spec.serviceAccountName", "service account 'robot' is not allowed here")]

    argo.kube.add_validator(webhook)
    code, _, err = wfsync("submit", "hello.yaml", "--target", "kube")
    assert code == 3
    assert "service account 'robot' is not allowed here" in err
    assert argo.kube.objects("workflows") == []


def test_ctrl_c_stops_watching_and_says_how_to_stop(
    argo: Argo, scripts: dict[str, Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    transport = ArgoServerWorkflows if argo.server is not None else KubernetesWorkflows
    real = transport.watch

    def interrupted(self: Any, name: str, resource_version: str, *, timeout: float = 300.0) -> Iterator[Any]:
        yield from itertools.islice(real(self, name, resource_version, timeout=timeout), 1)
        raise KeyboardInterrupt

    monkeypatch.setattr(transport, "watch", interrupted)
    with argo.controller(scripts["hello"], interval=0.2):
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--watch")
    assert code == 3
    name = out.splitlines()[0].removeprefix("submitted ")
    assert f"workflow {name} is still running; stop it with: wfsync stop {name} --target kube" in err


def test_stop(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    code, out, err = wfsync("submit", "hello.yaml", "--target", "kube")
    assert code == 0, err
    name = out.strip()
    code, _, err = wfsync("stop", name, "--target", "kube", "--message", "enough")
    assert code == 0, err
    assert f"asked {name} to stop" in err or f"asked {name} to stop" in _
    stored = argo.kube.get("workflows", "ci", name)
    assert stored is not None and stored["spec"].get("shutdown") == "Stop"


def test_stop_unknown_workflow(argo: Argo) -> None:
    code, _, err = wfsync("stop", "nothere", "--target", "kube")
    assert code == 3
    assert "nothere" in err


def test_crd_missing(repo: Path) -> None:
    with KubeServer() as kube:
        kube.write_kubeconfig(repo / "kubeconfig")
        pushed(wfsync("push", "--yes", "--target", "kube"))
        kube.uninstall_crd("workflows")
        code, _, err = wfsync("submit", "hello.yaml", "--target", "kube")
    assert code == 3
    assert "not installed" in err or "CRD" in err, err


def test_unreachable(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with KubeServer() as kube:
        kube.write_kubeconfig(repo / "kubeconfig")
    code, _, err = wfsync("submit", "--from", "workflowtemplate/ci", "--target", "kube")
    assert code == 3, err
    assert "unreachable" in err.lower() or "connect" in err.lower(), err
    monkeypatch.setenv("ARGO_SERVER", "127.0.0.1:9")
    monkeypatch.setenv("ARGO_SECURE", "false")
    code, _, err = wfsync("stop", "x", "--target", "kube")
    assert code == 3, err


CI_TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: ci
  labels: {wfsync.io/version: "1.0.0"}
spec:
  entrypoint: main
  arguments: {parameters: [{name: msg, value: hello}]}
  templates:
    - name: main
      steps:
        - - name: a
            templateRef: {name: say, template: main, clusterScope: true}
            arguments: {parameters: [{name: msg, value: "{{workflow.parameters.msg}}"}]}
"""


def test_from_template_checks_it_and_what_it_refers_to(
    argo: Argo, scripts: dict[str, Script], repo: Path
) -> None:
    (repo / "library" / "ci.yaml").write_text(CI_TEMPLATE, encoding="utf-8")
    (repo / "params.yaml").write_text("msg: from a file\n", encoding="utf-8")
    pushed(wfsync("push", "--yes", "--target", "kube"))
    # the library's say moves on: the template submitted --from refers to it, so it is refused
    (repo / "library" / "say.yaml").write_text(SAY.replace("VERSION", "2.0.0").replace("echo", "printf"))
    code, _, err = wfsync("submit", "--from", "workflowtemplate/ci", "--target", "kube")
    assert code == 3
    assert "ClusterWorkflowTemplate/say: outdated" in err
    pushed(wfsync("push", "--yes", "--target", "kube"))
    code, out, err = wfsync(
        "submit", "--from", "WorkflowTemplate/ci", "--target", "kube", "--parameter-file", "params.yaml"
    )
    assert code == 0, err
    stored = argo.kube.get("workflows", "ci", out.strip())
    assert stored is not None
    assert stored["spec"]["workflowTemplateRef"] == {"name": "ci"}
    assert stored["spec"]["arguments"]["parameters"] == [{"name": "msg", "value": "from a file"}]


def test_stop_json(argo: Argo) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "-o", "json")
    assert code == 0, err
    name = json.loads(out)["metadata"]["name"]
    code, out, err = wfsync("stop", name, "--target", "kube", "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["command"] == "stop" and doc["name"] == name and doc["stopped"] is True


def test_stop_hostile_name_refused(repo: Path) -> None:
    code, _, err = wfsync("stop", "../../x", "--target", "kube")
    assert code == 2
    assert "workflow name" in err


@pytest.mark.parametrize("argo", ["kube"], indirect=True)  # RBAC on pods/log is the Kubernetes API's
def test_logs_forbidden_said_once_and_the_workflow_still_followed(
    argo: Argo, scripts: dict[str, Script]
) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    argo.kube.forbid("ci", verbs=["get"], resources=["pods/log"])
    with argo.controller(scripts["hello"]):
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--logs")
    assert code == 0, err
    assert err.count("pod logs cannot be read") == 1, err
    assert "pods/log" in err
    assert "Status:              Succeeded" in out


def test_log_lines_cannot_drive_the_terminal(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    script = Script(
        scripts["hello"].name, scripts["hello"].frames, {"[0].a": ["\x1b[2J\x1b]0;pwned\x07 done"]}
    )
    with argo.controller(script):
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--logs")
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "a: \\x1b[2J\\x1b]0;pwned\\x07 done" in out


def test_live_tree_on_a_terminal_redraws_at_most_four_times_a_second(
    argo: Argo, scripts: dict[str, Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: a terminal, whatever stdout is
    drawn: list[int] = []
    stop = nodetree.LiveTree.stop

    def counted(self: nodetree.LiveTree) -> None:
        drawn.append(self.frames)
        stop(self)

    monkeypatch.setattr(nodetree.LiveTree, "stop", counted)
    hello = scripts["hello"]
    repeated = [frame for frame in hello.frames[:-1] for _ in range(25)]  # a change every 10 ms
    frequent = Script(hello.name, [*repeated, hello.frames[-1]], hello.logs)
    with argo.controller(frequent, interval=0.01) as controller:
        started = time.monotonic()
        code, out, err = wfsync("submit", "hello.yaml", "--target", "kube", "--watch")
        elapsed = time.monotonic() - started
    assert code == 0, err
    assert controller.writes == len(frequent.frames) > 4 * elapsed
    assert len(drawn) == 1, "one live view, stopped once"
    assert 1 <= drawn[0] <= 4 * elapsed + 1, (drawn, elapsed)
    assert "\x1b[" in out  # it was drawn as on a terminal


def test_argo_server_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No wfsync.yaml: the Argo Server alone, its namespace from ARGO_NAMESPACE, nothing to check templates against."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wf.yaml").write_text(
        HELLO.replace("templateRef: {name: say, template: main, clusterScope: true}", "template: local")
    )
    with KubeServer() as kube, FakeArgoServer(kube) as server:
        for key, value in server.env(ARGO_NAMESPACE="team").items():
            monkeypatch.setenv(key, value)
        code, out, err = wfsync("submit", "wf.yaml")
        assert code == 0, err
        assert kube.get("workflows", "team", out.strip()) is not None
        code, _, err = wfsync("submit", "wf.yaml", "--target", "kube")
        assert code == 2
        assert "no wfsync.yaml" in err


@pytest.mark.parametrize("argo", ["kube"], indirect=True)  # nothing reaches a transport
def test_push_templates_refused_when_the_library_fails_lint(argo: Argo, repo: Path) -> None:
    (repo / "library" / "broken.yaml").write_text(
        SAY.replace("name: say", "name: broken").replace("templates:", "templats:"), encoding="utf-8"
    )
    code, _, err = wfsync("submit", "hello.yaml", "--target", "kube", "--push-templates")
    assert code == 3
    assert "lint error(s)" in err and "nothing was submitted" in err
    assert argo.kube.objects("clusterworkflowtemplates") == []
    assert argo.kube.objects("workflows") == []
