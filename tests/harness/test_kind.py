"""The kind harness against a recording fake of docker/kind/kubectl, and once against real processes."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from tests.harness.kind_fakes import FakeDeployment, FakeTools
from wfsync.errors import ExitCode, UsageError
from wfsync.harness import kind
from wfsync.harness.kind import Action, UpRequest
from wfsync.harness.tools import Completed, SubprocessTools, ToolFailed, ToolMissing, check, tail


def test_up_creates_installs_binds_and_waits_in_that_order() -> None:
    tools = FakeTools()
    steps = kind.up(tools, UpRequest(name="ci"))
    assert [(s.what, s.action) for s in steps] == [
        ("kind cluster ci", Action.CREATED),
        ("Argo Workflows", Action.INSTALLED),
        ("executor RBAC", Action.CREATED),
        ("deployment/workflow-controller", Action.WAITED),
        ("deployment/argo-server", Action.WAITED),
    ]
    lines = tools.commands()
    assert lines[0] == "docker info --format {{.ServerVersion}}"
    create = next(line for line in lines if line.startswith("kind create cluster"))
    assert create == f"kind create cluster --name ci --image {kind.NODE_IMAGE} --wait 300s"
    url = f"https://github.com/argoproj/argo-workflows/releases/download/{kind.ARGO_VERSION}/install.yaml"
    applies = [line for line in lines if " apply " in line]
    assert applies == [
        "kubectl --context kind-ci apply --server-side --force-conflicts --field-manager wfsync --filename -",
        f"kubectl --context kind-ci apply --server-side --force-conflicts --field-manager wfsync --namespace argo --filename {url}",
        "kubectl --context kind-ci apply --server-side --force-conflicts --field-manager wfsync --filename -",
    ]
    stdin = [i for i in tools.inputs if i]
    assert "kind: Namespace" in stdin[0] and "name: argo" in stdin[0]
    assert "workflowtaskresults" in stdin[1] and "verbs: [create, patch]" in stdin[1]
    assert "name: default" in stdin[1] and "kind: RoleBinding" in stdin[1]
    rollouts = [line for line in lines if "rollout status" in line]
    assert rollouts == [
        "kubectl --context kind-ci --namespace argo rollout status deployment/workflow-controller --timeout=300s",
        "kubectl --context kind-ci --namespace argo rollout status deployment/argo-server --timeout=300s",
    ]
    # kubectl never relies on the current context
    assert all(c[1:3] == ("--context", "kind-ci") for c in tools.calls if c[0] == "kubectl")


def test_second_up_changes_nothing() -> None:
    tools = FakeTools()
    kind.up(tools, UpRequest(name="ci"))
    tools.calls.clear()
    steps = kind.up(tools, UpRequest(name="ci"))
    assert not any(s.changed for s in steps)
    assert [s.action for s in steps[:3]] == [Action.UNCHANGED] * 3
    assert not [line for line in tools.commands() if " apply " in line or "create cluster" in line]


def test_other_argo_version_upgrades_in_place() -> None:
    tools = FakeTools()
    kind.up(tools, UpRequest(name="ci"))
    steps = kind.up(tools, UpRequest(name="ci", argo_version="v4.1.0"))
    argo = next(s for s in steps if s.what == "Argo Workflows")
    assert argo.action is Action.UPGRADED and argo.detail == f"{kind.ARGO_VERSION} -> v4.1.0"
    assert kind.status(tools, "ci").argo_version == "v4.1.0"


@pytest.mark.parametrize(
    ("installed", "missing"),
    [
        ({"kind", "kubectl"}, "docker"),
        ({"docker", "kubectl"}, "kind"),
        ({"docker", "kind"}, "kubectl"),
    ],
)
def test_missing_tool_refused_before_anything_runs(installed: set[str], missing: str) -> None:
    tools = FakeTools(installed=installed)
    with pytest.raises(ToolMissing) as err:
        kind.up(tools, UpRequest())
    assert err.value.exit_code == ExitCode.INCOMPLETE
    assert str(err.value).startswith(f"{missing} not found on PATH")
    assert kind.INSTALL_HINTS[missing].split(" (")[0] in str(err.value)
    assert tools.calls == []  # nothing was created, nothing even asked


def test_docker_daemon_down_is_refused_before_kind_runs() -> None:
    tools = FakeTools(daemon_up=False)
    with pytest.raises(ToolMissing, match="docker daemon is not reachable .*exit 1.*Cannot connect"):
        kind.up(tools, UpRequest())
    assert tools.commands() == ["docker info --format {{.ServerVersion}}"]


def test_failing_command_names_command_exit_code_and_stderr_tail() -> None:
    stderr = "\n".join(f"line {i}" for i in range(20)) + "\nERROR: failed to create cluster: boom\n"
    tools = FakeTools(fail={"kind create cluster": (1, stderr)})
    with pytest.raises(ToolFailed) as err:
        kind.up(tools, UpRequest(name="ci"))
    message = str(err.value)
    assert message.startswith("`kind create cluster --name ci --image kindest/node:")
    assert "failed (exit 1): " in message
    assert message.endswith("line 19 | ERROR: failed to create cluster: boom")
    assert "line 12" not in message  # only the last lines
    assert err.value.exit_code == ExitCode.INCOMPLETE


def test_rollout_timeout_is_a_failure_with_kubectl_message() -> None:
    tools = FakeTools(rollout_makes_ready=False)
    with pytest.raises(
        ToolFailed,
        match=r"rollout status deployment/workflow-controller --timeout=300s` failed \(exit 1\): error: timed out",
    ):
        kind.up(tools, UpRequest(name="ci"))


def test_command_timeout_is_reported() -> None:
    tools = FakeTools(timeout_on="kind create")
    with pytest.raises(ToolFailed, match="did not finish within 600 s"):
        kind.up(tools, UpRequest())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Bad_Name"),
        ("name", "a" * 41),
        ("argo_version", "latest"),
        ("argo_version", "v4.0.0/../../evil"),
        ("node_image", "kindest/node:v1 --config /etc/passwd"),
    ],
)
def test_bad_request_is_a_usage_error_before_any_command(field: str, value: str) -> None:
    tools = FakeTools()
    with pytest.raises(UsageError):
        kind.up(tools, UpRequest(**{field: value}))
    assert tools.calls == []


def test_down_deletes_and_absent_cluster_is_fine() -> None:
    tools = FakeTools(clusters={"ci"})
    assert kind.down(tools, "ci").action is Action.DELETED
    assert "kind delete cluster --name ci" in tools.commands()
    assert tools.clusters == set()
    again = kind.down(tools, "ci")
    assert again.action is Action.ABSENT and not again.changed
    assert tools.commands("kind").count("kind delete cluster --name ci") == 1
    assert "kubectl" not in {c[0] for c in tools.calls}  # down does not need kubectl


def test_status_reads_version_and_readiness_from_deployments() -> None:
    tools = FakeTools(clusters={"ci"})
    tools.deployments["ci"] = {
        "workflow-controller": FakeDeployment("quay.io/argoproj/workflow-controller:v4.0.15", 1, 1),
        "argo-server": FakeDeployment("quay.io/argoproj/argocli:v4.0.15", 2, 1),
    }
    found = kind.status(tools, "ci")
    assert found.exists and found.argo_version == "v4.0.15"
    assert found.deployment("workflow-controller").ready  # type: ignore[union-attr]
    assert not found.deployment("argo-server").ready  # type: ignore[union-attr]
    assert not found.ready
    tools.deployments["ci"]["argo-server"].ready = 2
    assert kind.status(tools, "ci").ready
    absent = kind.status(FakeTools(), "ci")
    assert not absent.exists and not absent.ready and absent.argo_version is None


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("quay.io/argoproj/workflow-controller:v4.0.15", "v4.0.15"),
        ("localhost:5000/argoproj/workflow-controller:v3.7.1", "v3.7.1"),
        ("quay.io/argoproj/workflow-controller@sha256:" + "a" * 64, None),
        ("workflow-controller", None),
    ],
)
def test_image_tag(image: str, tag: str | None) -> None:
    assert kind.image_tag(image) == tag


def test_parse_deployments_rejects_non_json() -> None:
    with pytest.raises(ToolFailed, match="not JSON"):
        kind.parse_deployments("<html>", "kubectl get deployments")


def test_tail_and_check() -> None:
    assert tail("a\n\n b \nc\n", 2) == "b | c"
    ok = Completed(("true",), 0)
    assert check(ok) is ok
    with pytest.raises(ToolFailed, match=r"^`false x` failed \(exit 2\): no output$"):
        check(Completed(("false", "x"), 2))


def _fake_tool(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!{sys.executable}\nimport os, sys\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_subprocess_tools_run_real_processes(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_tool(bin_dir, "echoargs", "print(repr(sys.argv[1:])); print(sys.stdin.read().upper(), end='')")
    _fake_tool(bin_dir, "fails", "sys.stderr.write('one\\ntwo\\nthree\\n'); sys.exit(4)")
    _fake_tool(bin_dir, "sleeps", "import time; time.sleep(5)")
    env = {**os.environ, "PATH": str(bin_dir)}
    tools = SubprocessTools(env=env)
    assert tools.which("echoargs") == str(bin_dir / "echoargs")
    assert tools.which("kind") is None
    done = tools.run(["echoargs", "a b", "--x=1"], input="hello\n", timeout=10)
    assert done.ok and done.stdout == "['a b', '--x=1']\nHELLO\n"
    failed = tools.run(["fails"], timeout=10)
    assert failed.returncode == 4
    with pytest.raises(ToolFailed, match=r"^`fails` failed \(exit 4\): one \| two \| three$"):
        check(failed)
    assert tools.run(["no-such-tool"], timeout=10).returncode == 127
    with pytest.raises(ToolFailed, match="did not finish within 0.5 s"):
        tools.run(["sleeps"], timeout=0.5)
