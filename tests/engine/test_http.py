"""HTTP templates against a real loopback server: the agent's verdicts, outputs and refusals."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wfsync.engine import httptemplate, network
from wfsync.engine import status as st
from wfsync.engine.executor import Unsupported
from wfsync.engine.run import RunResult

from .conftest import node_table


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers by path: /status/<code>, /echo (request as JSON), /slow (sleeps), /text."""

    seen: list[dict[str, object]]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        self.seen.append({"method": self.command, "path": self.path, "body": body})
        if self.path.startswith("/status/"):
            code = int(self.path.rsplit("/", 1)[1])
            self._send(code, f"status {code}")
        elif self.path == "/echo":
            echo = {"method": self.command, "body": body, "headers": dict(self.headers.items())}
            self._send(200, json.dumps(echo, sort_keys=True), {"Content-Type": "application/json"})
        elif self.path == "/slow":
            time.sleep(2)
            try:
                self._send(200, "late")
            except BrokenPipeError:
                pass  # the client gave up first, which is what the timeout test wants
        elif self.path == "/redirect-out":
            self._send(302, "", {"Location": "http://example.com/"})
        else:
            self._send(200, "hello from loopback", {"X-Served-By": "wfsync-test"})

    def _send(self, code: int, text: str, headers: dict[str, str] | None = None) -> None:
        data = text.encode("utf-8")
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base class
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A threaded HTTP server on 127.0.0.1 (random port); yields its base URL and the requests seen."""
    seen: list[dict[str, object]] = []
    handler = type("Handler", (_Handler,), {"seen": seen})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _wf(url: str, http_fields: str = "", consumer: bool = False) -> str:
    downstream = (
        """
      - name: show
        dependencies: [call]
        template: echo
        arguments: {parameters: [{name: text, value: "{{tasks.call.outputs.result}}"}]}"""
        if consumer
        else ""
    )
    return f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: web}}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {{name: call, template: call}}{downstream}
  - name: call
    http:
      url: "{url}"{http_fields}
  - name: echo
    inputs: {{parameters: [{{name: text}}]}}
    container:
      image: alpine:3.23
      command: [sh, -c]
      args: ['echo "got: {{{{inputs.parameters.text}}}}"']
"""


def _node(result: RunResult, display: str) -> st.Node:
    return next(n for n in result.status.nodes.values() if n.display_name == display)


def test_get_succeeds_and_result_flows_downstream(
    run_yaml: Callable[..., RunResult], server: tuple[str, list[dict[str, object]]]
) -> None:
    base, seen = server
    result = run_yaml(_wf(base + "/", consumer=True))
    assert result.status.phase == "Succeeded", node_table(result)
    call = _node(result, "call")
    assert call.type == "HTTP"
    assert call.pod_name in ("", None)
    assert call.outputs == {"result": "hello from loopback"}
    assert result.status.to_json()["nodes"][call.id]["type"] == "HTTP"
    assert _node(result, "show").outputs is not None
    assert _node(result, "show").outputs["result"] == "got: hello from loopback"  # type: ignore[index]
    assert seen == [{"method": "GET", "path": "/", "body": ""}]


def test_non_2xx_fails_with_the_agents_message_and_keeps_the_body(
    run_yaml: Callable[..., RunResult], server: tuple[str, list[dict[str, object]]]
) -> None:
    base, _ = server
    result = run_yaml(_wf(base + "/status/404"))
    call = _node(result, "call")
    assert (call.phase, call.message) == ("Failed", "received non-2xx response code: 404")
    assert call.outputs == {"result": "status 404"}
    assert result.status.phase == "Failed"


def test_success_condition_overrides_the_2xx_default(
    run_yaml: Callable[..., RunResult], server: tuple[str, list[dict[str, object]]]
) -> None:
    base, _ = server
    ok = run_yaml(_wf(base + "/status/418", "\n      successCondition: response.statusCode == 418"))
    assert _node(ok, "call").phase == "Succeeded"
    cond = 'response.body contains \\"nope\\"'
    bad = run_yaml(_wf(base + "/", f'\n      successCondition: "{cond}"'))
    call = _node(bad, "call")
    assert call.phase == "Failed"
    assert call.message == "successCondition 'response.body contains \"nope\"' evaluated false"
    headers = run_yaml(
        _wf(base + "/", '\n      successCondition: \'response.headers["X-Served-By"][0] == "wfsync-test"\'')
    )
    assert _node(headers, "call").phase == "Succeeded", node_table(headers)


def test_method_headers_body_and_secret_headers_are_sent(
    run_yaml: Callable[..., RunResult], tmp_path: Path, server: tuple[str, list[dict[str, object]]]
) -> None:
    base, _ = server
    secret = tmp_path / "secret.yaml"
    secret.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\ndata: {token: czNjcjN0}\n",  # "s3cr3t"
        encoding="utf-8",
    )
    fields = """
      method: POST
      body: '{"n": 1}'
      headers:
      - {name: X-Plain, value: plain}
      - name: Authorization
        valueFrom: {secretKeyRef: {name: creds, key: token}}"""
    result = run_yaml(_wf(base + "/echo", fields), with_paths=[secret])
    call = _node(result, "call")
    assert call.phase == "Succeeded", node_table(result)
    echo = json.loads(str((call.outputs or {})["result"]))
    assert echo["method"] == "POST"
    assert echo["body"] == '{"n": 1}'
    assert echo["headers"]["X-Plain"] == "plain"
    assert echo["headers"]["Authorization"] == "s3cr3t"
    assert "content-type" not in {k.lower() for k in echo["headers"]}  # Go adds none; urllib a form type
    assert echo["headers"]["User-Agent"] == "Go-http-client/1.1"


def test_missing_secret_fails_the_node(
    run_yaml: Callable[..., RunResult], server: tuple[str, list[dict[str, object]]]
) -> None:
    base, seen = server
    fields = """
      headers:
      - name: Authorization
        valueFrom: {secretKeyRef: {name: absent, key: token}}"""
    result = run_yaml(_wf(base + "/echo", fields))
    call = _node(result, "call")
    assert (call.phase, call.message) == ("Failed", 'secrets "absent" not found')
    assert seen == []


def test_timeout_fails_with_go_wording(
    run_yaml: Callable[..., RunResult], server: tuple[str, list[dict[str, object]]]
) -> None:
    base, _ = server
    began = time.monotonic()
    result = run_yaml(_wf(base + "/slow", "\n      timeoutSeconds: 1"))
    call = _node(result, "call")
    assert call.phase == "Failed"
    assert call.message == f'Get "{base}/slow": context deadline exceeded'
    assert time.monotonic() - began < 2


def test_connection_refused_fails_the_node(run_yaml: Callable[..., RunResult]) -> None:
    result = run_yaml(_wf("http://127.0.0.1:9/"))
    call = _node(result, "call")
    assert call.phase == "Failed"
    assert call.message.startswith('Get "http://127.0.0.1:9/": ')


def test_public_url_is_refused_before_anything_runs(run_yaml: Callable[..., RunResult]) -> None:
    with pytest.raises(Unsupported, match=r"https://example.com/ is not on this machine \(needs the network"):
        run_yaml(_wf("https://example.com/"))


def test_templated_public_url_is_refused_on_its_node(run_yaml: Callable[..., RunResult]) -> None:
    text = _wf("{{workflow.parameters.url}}").replace(
        "  entrypoint: main\n",
        "  entrypoint: main\n  arguments: {parameters: [{name: url, value: 'https://example.com/'}]}\n",
    )
    result = run_yaml(text)
    call = _node(result, "call")
    assert call.phase == "Error"
    assert call.message.startswith("unsupported: http template: https://example.com/ is not on this machine")


def test_redirect_off_this_machine_is_refused(server: tuple[str, list[dict[str, object]]]) -> None:
    base, _ = server
    done = httptemplate.perform({"url": base + "/redirect-out"}, secrets=lambda _: None)
    assert done.phase == "Error"
    assert "http://example.com/ is not on this machine" in done.message


def test_allow_network_lets_a_non_local_host_through() -> None:
    # ".invalid" never resolves (RFC 2606): the request is attempted and fails as a lookup, not refused
    done = httptemplate.perform({"url": "http://wfsync.invalid/"}, secrets=lambda _: None, allow_network=True)
    assert done.phase == "Failed"
    assert done.message.startswith('Get "http://wfsync.invalid/": ')


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8080/x", True),
        ("http://127.1.2.3/", True),
        ("http://[::1]:80/", True),
        ("http://localhost/", True),
        ("http://api.localhost/", True),
        ("file:///srv/repo.git", True),
        ("/srv/repo.git", True),
        ("https://github.com/argoproj/argo-workflows.git", False),
        ("git@github.com:argoproj/argo-workflows.git", False),
        ("http://10.0.0.1/", False),
        ("http://localhost.example.com/", False),
    ],
)
def test_is_local_url(url: str, local: bool) -> None:
    assert network.is_local_url(url) is local


def test_canonical_header_matches_go() -> None:
    assert httptemplate.canonical_header("x-served-by") == "X-Served-By"
    assert httptemplate.canonical_header("content-TYPE") == "Content-Type"


def test_cli_allow_network_turns_the_refusal_into_an_attempt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from wfsync.cli.app import app

    monkeypatch.chdir(tmp_path)
    wf = tmp_path / "wf.yaml"
    wf.write_text(_wf("http://wfsync.invalid/"), encoding="utf-8")
    refused = CliRunner().invoke(app, ["run", str(wf)])
    assert refused.exit_code == 3
    assert "http://wfsync.invalid/ is not on this machine (needs the network" in refused.stderr
    tried = CliRunner().invoke(app, ["run", str(wf), "--allow-network", "-o", "json"])
    assert tried.exit_code == 1, tried.stderr
    nodes = json.loads(tried.stdout)["status"]["nodes"]
    call = next(n for n in nodes.values() if n["displayName"] == "call")
    assert call["type"] == "HTTP"
    assert call["phase"] == "Failed"
    assert call["message"].startswith('Get "http://wfsync.invalid/": ')


def test_body_from_bytes_is_sent_decoded(server: tuple[str, list[dict[str, object]]]) -> None:
    base, seen = server
    done = httptemplate.perform(
        {"url": base + "/echo", "method": "PUT", "bodyFrom": {"bytes": "aGVsbG8gYnl0ZXM="}},  # "hello bytes"
        secrets=lambda _: None,
    )
    assert done.phase == "Succeeded"
    assert json.loads(str(done.result))["body"] == "hello bytes"
    assert seen[-1]["method"] == "PUT"


def test_http_nodes_in_flight_do_not_count_toward_workflow_parallelism(
    run_yaml: Callable[..., RunResult], server: tuple[str, list[dict[str, object]]]
) -> None:
    """``spec.parallelism`` counts only Pod nodes (``getActivePodsCounter``): HTTP runs in the agent."""
    base, _ = server
    result = run_yaml(
        f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{name: web}}
        spec:
          entrypoint: main
          parallelism: 1
          templates:
          - name: main
            dag:
              tasks:
              - {{name: call, template: call}}
              - {{name: first, template: echo}}
              - {{name: second, template: echo, dependencies: [first]}}
          - name: call
            http: {{url: "{base}/slow"}}
          - name: echo
            container: {{image: alpine:3.23, command: [echo, hi]}}
        """
    )
    assert result.status.phase == "Succeeded", node_table(result)
    call, second = _node(result, "call"), _node(result, "second")
    assert call.type == "HTTP"
    assert second.started < call.finished, "the pod waited for the HTTP request as if it were a pod"
