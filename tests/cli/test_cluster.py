"""``wfsync cluster up|down|status`` through the CLI: exit codes, messages, JSON, wfsync.yaml edits.

Most tests inject the recording fake of docker/kind/kubectl; one runs the real subprocess adapter
against small executables written on PATH by the test.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.harness.kind_fakes import FakeTools
from wfsync.cli.app import app
from wfsync.harness import kind

CONFIG = """\
# demo repository
library: library
libraryId: demo   # the library id
targets:
  local:
    type: embedded
# lint policy
lint:
  disable: []
"""


@pytest.fixture
def tools(monkeypatch: pytest.MonkeyPatch) -> FakeTools:
    fake = FakeTools()
    monkeypatch.setattr("wfsync.commands.cluster.SubprocessTools", lambda: fake)
    return fake


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "wfsync.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_up_twice_second_changes_nothing(tools: FakeTools, repo: Path) -> None:
    code, out, err = invoke("cluster", "up")
    assert code == 0, err
    assert "kind cluster wfsync: created" in out
    assert f"Argo Workflows: installed ({kind.ARGO_VERSION})" in out
    assert "executor RBAC: created (Role executor bound to ServiceAccount argo/default)" in out
    assert "target kind-wfsync in wfsync.yaml: created" in out
    assert "workflows run as ServiceAccount argo/default" in out
    text = (repo / "wfsync.yaml").read_text()
    assert text.startswith(CONFIG.split("# lint policy")[0])
    assert "  kind-wfsync:\n    type: kubernetes\n    context: kind-wfsync\n    namespace: argo\n" in text
    assert text.endswith("# lint policy\nlint:\n  disable: []\n")

    calls = len(tools.calls)
    code, out, _ = invoke("cluster", "up")
    assert code == 0
    assert "nothing changed: cluster wfsync is up with Argo" in out
    assert "target kind-wfsync in wfsync.yaml: unchanged" in out
    assert (repo / "wfsync.yaml").read_text() == text
    second = [" ".join(c) for c in tools.calls[calls:]]
    assert not [c for c in second if " apply " in c or "create cluster" in c]

    code, out, _ = invoke("cluster", "up", "-o", "json")
    doc = json.loads(out)
    assert code == 0 and doc["command"] == "cluster up" and doc["changed"] is False
    assert doc["target"] == {
        "name": "kind-wfsync",
        "action": "unchanged",
        "config": str(repo / "wfsync.yaml"),
        "createdFile": False,
        "defaultCleared": False,
        "spec": {
            "type": "kubernetes",
            "context": "kind-wfsync",
            "namespace": "argo",
            "allowedContexts": ["kind-wfsync"],
        },
    }
    assert [s["action"] for s in doc["steps"]] == ["unchanged", "unchanged", "unchanged", "ready", "ready"]


def test_up_options_reach_the_tools(tools: FakeTools, repo: Path) -> None:
    image = "kindest/node:v1.35.5@sha256:" + "c" * 64
    code, _, err = invoke(
        "cluster",
        "up",
        "--name",
        "e2e",
        "--argo-version",
        "v4.1.0",
        "--node-image",
        image,
        "--target-name",
        "ci",
    )
    assert code == 0, err
    assert f"kind create cluster --name e2e --image {image} --wait 300s" in tools.commands()
    assert any(c.endswith("/download/v4.1.0/install.yaml") for c in tools.commands("kubectl"))
    text = (repo / "wfsync.yaml").read_text()
    assert "  ci:\n    type: kubernetes\n    context: kind-e2e\n" in text


def test_up_outside_a_repository_prints_the_target(
    tools: FakeTools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = invoke("cluster", "up")
    assert code == 0
    assert "no wfsync.yaml around this folder" in out
    assert "targets:\n  kind-wfsync:\n    type: kubernetes\n    context: kind-wfsync\n" in out
    assert "allowedContexts: [kind-wfsync]" in out
    assert list(tmp_path.iterdir()) == []


def test_up_with_config_creates_a_minimal_file(
    tools: FakeTools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "repo").mkdir()
    code, out, _ = invoke("cluster", "up", "--config", "repo/wfsync.yaml")
    assert code == 0
    assert "created repo/wfsync.yaml" in out
    from wfsync.config import load_config

    assert load_config(tmp_path / "repo").targets["kind-wfsync"].context == "kind-wfsync"


def test_up_refuses_an_invalid_config_before_creating_anything(tools: FakeTools, repo: Path) -> None:
    (repo / "wfsync.yaml").write_text("targets:\n  kind-wfsync:\n    type: kind\n")
    code, _, err = invoke("cluster", "up")
    assert code == 2
    assert "wfsync.yaml:3: target type must be one of embedded, kubernetes" in err
    assert tools.calls == []


def test_up_with_kind_missing_exits_3_with_hint(tools: FakeTools, repo: Path) -> None:
    tools.installed.discard("kind")
    code, out, err = invoke("cluster", "up")
    assert code == 3
    assert "error: kind not found on PATH (kind: install kind v0.32.0" in err
    assert "Traceback" not in err + out
    assert tools.calls == []
    assert (repo / "wfsync.yaml").read_text() == CONFIG


def test_failing_command_exits_3_with_command_and_stderr(tools: FakeTools, repo: Path) -> None:
    tools.fail["kubectl --context kind-wfsync apply"] = (
        1,
        "error: unable to recognize\nthe server could not find the requested resource\n",
    )
    code, out, _ = invoke("cluster", "up", "-o", "json")
    assert code == 3
    doc = json.loads(out)
    message = doc["error"]["message"]
    assert message.startswith("`kubectl --context kind-wfsync apply --server-side")
    assert message.endswith(
        "failed (exit 1): error: unable to recognize | the server could not find the requested resource"
    )
    assert doc["exitCode"] == 3 and doc["command"] == "cluster up"
    assert (repo / "wfsync.yaml").read_text() == CONFIG  # no target for a cluster that is not up


@pytest.mark.parametrize(
    "args",
    [
        ("up", "--name", "Bad_Name"),
        ("up", "--argo-version", "latest"),
        ("up", "--target-name", "No Spaces"),
        ("down", "--name", "x" * 41),
        ("status", "--name", "UPPER"),
    ],
)
def test_bad_names_are_usage_errors_before_any_command(
    tools: FakeTools, repo: Path, args: tuple[str, ...]
) -> None:
    code, out, err = invoke("cluster", *args, "-o", "json")
    assert code == 2
    doc = json.loads(out)
    assert doc["command"] == f"cluster {args[0]}" and doc["error"]["code"] == "usage"
    assert tools.calls == []


def test_down_removes_cluster_target_and_default(tools: FakeTools, repo: Path) -> None:
    assert invoke("cluster", "up")[0] == 0
    path = repo / "wfsync.yaml"
    path.write_text(
        path.read_text().replace("libraryId: demo", "defaultTarget: kind-wfsync\nlibraryId: demo")
    )
    code, out, err = invoke("cluster", "down")
    assert code == 0, err
    assert "kind cluster wfsync: deleted" in out
    assert "target kind-wfsync in wfsync.yaml: removed" in out
    assert "defaultTarget named kind-wfsync: removed (the default target is local again)" in out
    assert path.read_text() == CONFIG
    code, out, _ = invoke("cluster", "down")
    assert code == 0
    assert "kind cluster wfsync: absent (no such cluster)" in out
    assert "target kind-wfsync in wfsync.yaml: absent" in out


def test_status_exit_codes_and_json(tools: FakeTools, repo: Path) -> None:
    code, out, _ = invoke("cluster", "status")
    assert code == 1
    assert "cluster wfsync (context kind-wfsync): absent" in out
    assert invoke("cluster", "up")[0] == 0
    code, out, _ = invoke("cluster", "status")
    assert code == 0
    assert f"Argo Workflows: {kind.ARGO_VERSION}" in out
    assert "workflow-controller: ready (1/1)" in out
    assert "target kind-wfsync in wfsync.yaml: present" in out
    tools.deployments["wfsync"]["argo-server"].ready = 0
    code, out, _ = invoke("cluster", "status", "-o", "json")
    doc = json.loads(out)
    assert code == 1 and doc["ready"] is False and doc["argoVersion"] == kind.ARGO_VERSION
    assert {d["name"]: d["ready"] for d in doc["deployments"]} == {
        "workflow-controller": True,
        "argo-server": False,
    }
    assert doc["target"]["present"] is True and doc["cluster"]["exists"] is True
    tools.installed.discard("kubectl")
    code, out, err = invoke("cluster", "status")
    assert code == 3 and "kubectl not found on PATH" in err


FAKE = r"""
import json, os, sys
state_path = os.environ["FAKE_KIND_STATE"]
state = json.load(open(state_path)) if os.path.exists(state_path) else {"clusters": [], "argo": {}, "rbac": []}
tool, args = os.path.basename(sys.argv[0]), sys.argv[1:]
with open(state_path + ".log", "a") as log:
    log.write(json.dumps([tool, *args]) + "\n")
def save():
    json.dump(state, open(state_path, "w"))
if tool == "docker":
    print("29.0.0")
elif tool == "kind" and args[:2] == ["get", "clusters"]:
    print("\n".join(state["clusters"]))
elif tool == "kind" and args[:2] == ["create", "cluster"]:
    state["clusters"].append(args[args.index("--name") + 1]); save()
elif tool == "kind" and args[:2] == ["delete", "cluster"]:
    state["clusters"].remove(args[args.index("--name") + 1]); save()
elif tool == "kubectl":
    ctx, rest = args[1], args[2:]
    if rest[:2] == ["get", "deployments"]:
        version = state["argo"].get(ctx)
        items = [] if version is None else [
            {"metadata": {"name": n}, "spec": {"replicas": 1, "template": {"spec": {"containers": [{"image": f"quay.io/argoproj/{n}:{version}"}]}}},
             "status": {"readyReplicas": 1}} for n in ("workflow-controller", "argo-server")]
        print(json.dumps({"items": items}))
    elif rest[0] == "apply":
        source = rest[rest.index("--filename") + 1]
        if source == "-":
            if "kind: Role" in sys.stdin.read():
                state["rbac"].append(ctx)
        else:
            state["argo"][ctx] = source.split("/download/")[1].split("/")[0]
        save()
    elif rest[0] == "get":
        if ctx not in state["rbac"]:
            sys.stderr.write('Error from server (NotFound): roles.rbac.authorization.k8s.io "executor" not found\n'); sys.exit(1)
        print("role.rbac.authorization.k8s.io/executor\nrolebinding.rbac.authorization.k8s.io/executor-default")
    elif "rollout" in rest:
        print("successfully rolled out")
"""


def test_real_processes_up_status_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "fake-tool"
    script.write_text(f"#!{sys.executable}\n{FAKE}")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    for name in ("docker", "kind", "kubectl"):
        (bin_dir / name).symlink_to(script)
    state = tmp_path / "state.json"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_KIND_STATE", str(state))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "wfsync.yaml").write_text(CONFIG)
    monkeypatch.chdir(repo)

    assert invoke("cluster", "up", "--name", "real")[0] == 0
    assert invoke("cluster", "status", "--name", "real")[0] == 0
    code, out, _ = invoke("cluster", "up", "--name", "real")
    assert code == 0 and "nothing changed" in out
    assert invoke("cluster", "down", "--name", "real")[0] == 0
    assert invoke("cluster", "status", "--name", "real")[0] == 1
    log = [json.loads(line) for line in (tmp_path / "state.json.log").read_text().splitlines()]
    assert [
        "kind",
        "create",
        "cluster",
        "--name",
        "real",
        "--image",
        kind.NODE_IMAGE,
        "--wait",
        "300s",
    ] in log
    assert ["kind", "delete", "cluster", "--name", "real"] in log
    assert sum(1 for entry in log if entry[:2] == ["kind", "create"]) == 1
    assert (repo / "wfsync.yaml").read_text() == CONFIG


@pytest.mark.parametrize("command", ["up", "down"])
def test_a_target_pointing_elsewhere_is_never_rewritten(tools: FakeTools, repo: Path, command: str) -> None:
    text = CONFIG.replace(
        "# lint policy", "  prod:\n    type: kubernetes\n    context: prod-ctx\n# lint policy"
    )
    (repo / "wfsync.yaml").write_text(text)
    code, _, err = invoke("cluster", command, "--target-name", "prod")
    assert code == 2
    assert "target 'prod' in" in err and "points to context 'prod-ctx', not 'kind-wfsync'" in err
    code, _, err = invoke("cluster", command, "--target-name", "local")
    assert code == 2 and "target 'local' is the embedded cluster" in err
    assert tools.calls == []
    assert (repo / "wfsync.yaml").read_text() == text


def test_a_target_of_an_older_kind_cluster_is_taken_over(tools: FakeTools, repo: Path) -> None:
    text = CONFIG.replace(
        "# lint policy", "  kind:\n    type: kubernetes\n    context: kind-old\n# lint policy"
    )
    (repo / "wfsync.yaml").write_text(text)
    code, out, _ = invoke("cluster", "up", "--target-name", "kind")
    assert code == 0 and "target kind in wfsync.yaml: updated" in out
    assert "  kind:\n    type: kubernetes\n    context: kind-wfsync\n" in (repo / "wfsync.yaml").read_text()


def test_status_with_an_unreachable_cluster_exits_3(tools: FakeTools, repo: Path) -> None:
    tools.clusters.add("wfsync")
    tools.fail["kubectl --context kind-wfsync get deployments"] = (
        1,
        'error: context "kind-wfsync" does not exist\n',
    )
    code, _, err = invoke("cluster", "status")
    assert code == 3
    assert (
        "`kubectl --context kind-wfsync get deployments --namespace argo --output json` failed (exit 1)"
        in err
    )
    assert 'error: context "kind-wfsync" does not exist' in err
