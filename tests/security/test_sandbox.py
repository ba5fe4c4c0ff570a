"""The sandbox runtime (bubblewrap): pods see the host read-only and their own paths for real.

Real pods under real ``bwrap``; skipped with the reason when bubblewrap is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import pytest

from wfsync.engine.run import RunRequest, RunResult, run
from wfsync.engine.sandbox import SandboxExecutor, SandboxMissing
from wfsync.errors import ExitCode

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None,
    reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap (.ci/run does)",
)


def _run(tmp_path: Path, text: str) -> RunResult:
    path = tmp_path / "wf.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return run(RunRequest(path=path, state_dir=tmp_path / "state", runtime="sandbox"))


def _pod(result: RunResult, name: str = "") -> dict[str, object]:
    nodes = [n.to_json() for n in result.status.nodes.values() if n.type == "Pod"]
    return next(n for n in nodes if not name or n["displayName"] == name)


@needs_bwrap
def test_a_pod_cannot_change_the_host(tmp_path: Path) -> None:
    site = Path(sysconfig.get_paths()["purelib"])
    home = Path.home()
    before = sorted(site.iterdir()), sorted(home.iterdir())
    token = f"wfsync-sandbox-{os.getpid()}-{time.time_ns()}"
    result = _run(
        tmp_path,
        f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{name: host-writes}}
        spec:
          entrypoint: main
          templates:
          - name: main
            script:
              image: python:3.11
              command: [python]
              source: |
                import json, os, sysconfig
                targets = [
                    os.path.join(sysconfig.get_paths()["purelib"], "{token}.pth"),
                    "/usr/local/{token}",
                    "/etc/{token}",
                    os.path.join("{home}", "{token}"),
                    os.path.abspath(os.path.join("..", "..", "{token}")),
                    os.path.join("/", "".join(["v", "a", "r"]), "tmp", "{token}"),
                ]
                outcome = {{}}
                for target in targets:
                    try:
                        with open(target, "w") as f:
                            f.write("x")
                        outcome[target] = "written"
                    except OSError as exc:
                        outcome[target] = exc.strerror
                print(json.dumps(outcome))
        """,
    )
    assert result.status.phase == "Succeeded", result.status.message
    outcome = json.loads(str(_pod(result)["outputs"]["result"]))  # type: ignore[index]
    assert len(outcome) == 6
    for target in outcome:
        assert not Path(target).exists(), f"{target} reached the host"
    assert (sorted(site.iterdir()), sorted(home.iterdir())) == before
    system = [t for t in outcome if t.startswith(("/usr/", "/etc/", str(site)))]
    assert len(system) == 3
    layered = SandboxExecutor().layered  # where a container has its own writable layer
    for target in system:
        top = target.strip("/").split("/", 1)[0]
        assert outcome[target] == ("written" if top in layered else "Read-only file system"), target


@needs_bwrap
def test_a_container_layer_is_its_own(tmp_path: Path) -> None:
    if "usr" not in SandboxExecutor().layered:
        pytest.skip("no writable layers here (needs root, unshare and overlayfs): host folders are read-only")
    result = _run(
        tmp_path,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: layers}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: a, template: write}
              - {name: b, template: write}
            - - {name: c, template: read}
          - name: write
            container:
              image: busybox
              command: [sh, -c, "test ! -e /usr/local/wfsync-layer && echo mine > /usr/local/wfsync-layer"]
          - name: read
            container:
              image: busybox
              command: [sh, -c, "test ! -e /usr/local/wfsync-layer"]
        """,
    )
    assert result.status.phase == "Succeeded", result.status.message  # parallel pods share nothing
    assert not Path("/usr/local/wfsync-layer").exists()


@needs_bwrap
def test_declared_paths_are_real_paths_and_commands_run_unchanged(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: real-paths}
        spec:
          entrypoint: main
          templates:
          - name: main
            outputs:
              parameters: [{name: where, valueFrom: {path: /workspace/where.txt}}]
              artifacts: [{name: out, path: /mnt/out, archive: {none: {}}}]
            container:
              image: alpine:3
              workingDir: /workspace
              command: [sh, -c]
              args:
              - >-
                d=/mn; mkdir -p "${d}t/out" && echo hi > "${d}t/out/part.txt" &&
                pwd > where.txt && echo "$TMPDIR" && echo $$
        """,
    )
    assert result.status.phase == "Succeeded", result.status.message
    pod = _pod(result)
    outputs = pod["outputs"]
    assert isinstance(outputs, dict)
    assert outputs["parameters"][0]["value"] == "/workspace"
    assert [a["name"] for a in outputs["artifacts"]] == ["out"]
    tmpdir, pid = str(outputs["result"]).splitlines()
    assert tmpdir == "/tmp"  # noqa: S108 - the pod's own /tmp
    assert int(pid) < 10  # its own PID namespace


@needs_bwrap
def test_a_volume_is_a_mount_of_its_own(tmp_path: Path) -> None:
    """As on Kubernetes, an emptyDir volume is listed in the pod's /proc/mounts (volumes-emptydir)."""
    result = _run(
        tmp_path,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: emptydir}
        spec:
          entrypoint: main
          volumes: [{name: workdir, emptyDir: {}}]
          templates:
          - name: main
            container:
              image: alpine:3
              command: [sh, -c, 'grep -c " /mnt/vol " /proc/mounts; grep -c " /mnt " /proc/mounts || true']
              volumeMounts: [{name: workdir, mountPath: /mnt/vol}]
        """,
    )
    assert result.status.phase == "Succeeded", result.status.message
    assert str(_pod(result)["outputs"]["result"]).split() == ["1", "0"]  # type: ignore[index]


@needs_bwrap
def test_every_process_of_a_pod_dies_with_it(tmp_path: Path) -> None:
    token = f"{400 + os.getpid() % 500}.{time.time_ns() % 10**6:06d}"
    started = time.time()
    result = _run(
        tmp_path,
        f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{name: escapees}}
        spec:
          entrypoint: main
          templates:
          - name: main
            container:
              image: busybox
              command: [sh, -c]
              args: ["env -i setsid sleep {token} </dev/null >/dev/null 2>&1 & echo started"]
        """,
    )
    assert time.time() - started < 8
    assert result.status.phase == "Succeeded"
    time.sleep(0.2)
    procs = [p.name for p in Path("/proc").iterdir() if p.name.isdigit()]
    left = [p for p in procs if _cmdline(p).startswith(f"sleep {token}")]
    for pid in left:
        os.kill(int(pid), signal.SIGKILL)
    assert left == []  # even one that cleared its environment and closed its pipes


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_machine_without_a_working_bwrap_is_told_so(tmp_path: Path) -> None:
    with pytest.raises(SandboxMissing, match="cannot make a sandbox") as info:
        SandboxExecutor(binary="/bin/false")
    assert info.value.exit_code == ExitCode.INCOMPLETE
    env = {**os.environ, "PATH": str(tmp_path)}  # no bwrap there
    path = tmp_path / "wf.yaml"
    path.write_text("kind: Workflow\nmetadata: {name: x}\nspec: {entrypoint: main, templates: []}\n")
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "wfsync", "run", "--runtime", "sandbox", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 3
    assert "bwrap (bubblewrap) is not on PATH" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_memory_quantities_read_as_kubernetes_reads_them() -> None:
    from wfsync.engine.cgroups import container_limits, cpu_millis, memory_bytes

    assert [memory_bytes(q) for q in ("5M", "64Mi", "1Gi", "1e6", "128974848", "500m", "x", "0")] == [
        5_000_000,
        64 * 2**20,
        2**30,
        1_000_000,
        128974848,
        1,  # a fraction of a byte rounds up
        None,
        None,
    ]
    template = {
        "script": {"resources": {"limits": {"memory": "5M"}}},
        "sidecars": [{"name": "helper", "resources": {"limits": {"memory": "1Mi"}}}],
    }
    limits = [container_limits(template, name) for name in ("main", "helper", "other")]
    assert [lim.memory for lim in limits] == [5_000_000, 2**20, None]
    assert [lim.pids for lim in limits] == [1024] * 3  # the default pod process limit
    assert [cpu_millis(q) for q in ("500m", "0.5", "2", "1m", "0.0001", "x", "0")] == [
        500,
        500,
        2000,
        1,
        1,
        None,
        None,
    ]


@needs_bwrap
def test_a_container_over_its_memory_limit_is_oomkilled(tmp_path: Path) -> None:
    cgroups = SandboxExecutor().cgroups
    if cgroups is None or "memory" not in cgroups.enforced:
        pytest.skip("no memory cgroup wfsync may create here: limits are not enforced on this machine")
    result = _run(
        tmp_path,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: oom}
        spec:
          entrypoint: main
          templates:
          - name: main
            script:
              image: python:3.11
              command: [python]
              source: |
                blocks = [bytearray(2**20) for _ in range(200)]
                print("survived", len(blocks))
              resources:
                limits: {memory: 50Mi}
        """,
    )
    assert result.status.phase == "Failed"
    pod = _pod(result)
    assert pod["message"] == "OOMKilled (exit code 137)"
    assert pod["outputs"]["exitCode"] == "137"  # type: ignore[index]


@needs_bwrap
def test_pip_install_into_the_interpreter_stays_in_the_container(tmp_path: Path) -> None:
    site = Path(sysconfig.get_paths()["purelib"])
    if site.parts[1] not in SandboxExecutor().layered:
        pytest.skip(f"no writable layer over {site} here (needs root, unshare and overlayfs)")
    before = sorted(site.iterdir())
    name = f"wfsyncprobe{os.getpid()}"
    result = _run(
        tmp_path,
        f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{name: pip-install}}
        spec:
          entrypoint: main
          templates:
          - name: main
            script:
              image: python:3.11
              command: [python]
              source: |
                import subprocess, sys, zipfile
                wheel = "/tmp/{name}-1.0-py3-none-any.whl"
                info = "{name}-1.0.dist-info"
                with zipfile.ZipFile(wheel, "w") as z:
                    z.writestr("{name}/__init__.py", "X = 1")
                    z.writestr(info + "/METADATA", "Metadata-Version: 2.1\\nName: {name}\\nVersion: 1.0\\n")
                    z.writestr(info + "/WHEEL", "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
                    z.writestr(info + "/RECORD", "")
                pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--disable-pip-version-check"]
                subprocess.run([*pip, wheel], check=True, stderr=subprocess.DEVNULL)
                subprocess.run([sys.executable, "-c", "import {name}; print({name}.__file__)"], check=True)
        """,
    )
    assert result.status.phase == "Succeeded", result.status.message
    assert _pod(result)["outputs"]["result"] == str(site / name / "__init__.py")  # type: ignore[index]
    assert sorted(site.iterdir()) == before  # installed in the container's layer only


_PID_WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: which-runtime}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [sh, -c, 'echo $$']}
"""


def _cli_run(tmp_path: Path, *args: str, path_env: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "wf.yaml"
    path.write_text(_PID_WORKFLOW, encoding="utf-8")
    env = {**os.environ, "PATH": path_env}
    return subprocess.run(
        [sys.executable, "-m", "wfsync", "-o", "json", "run", *args, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _pid_of_main(proc: subprocess.CompletedProcess[str]) -> int:
    workflow = json.loads(proc.stdout)
    pods = [n for n in workflow["status"]["nodes"].values() if n["type"] == "Pod"]
    return int(pods[0]["outputs"]["result"])


@needs_bwrap
@pytest.mark.parametrize("args", [("--runtime", "auto"), ()], ids=["auto", "the default"])
def test_runtime_auto_is_the_sandbox_where_bwrap_works(tmp_path: Path, args: tuple[str, ...]) -> None:
    proc = _cli_run(tmp_path, *args, path_env=os.environ["PATH"])
    assert proc.returncode == 0, proc.stderr
    assert _pid_of_main(proc) < 10  # its own PID namespace
    assert "runtime auto: no sandbox" not in proc.stderr


@pytest.mark.parametrize("args", [("--runtime", "auto"), ()], ids=["auto", "the default"])
def test_runtime_auto_without_bwrap_runs_on_the_host_and_says_what_it_lacks(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("sh", "busybox"):  # the host shell tools, without bwrap
        found = shutil.which(tool)
        if found is not None:
            (tools / tool).symlink_to(found)
    proc = _cli_run(tmp_path, *args, path_env=str(tools))
    assert proc.returncode == 0, proc.stderr
    assert _pid_of_main(proc) >= 10  # a host process (the sandbox's are 2 or 3)
    assert "runtime auto: no sandbox here" in proc.stderr
    assert "resources.limits are not enforced" in proc.stderr


@needs_bwrap
def test_wfsync_installed_below_tmp_still_runs_its_stand_ins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkout below /tmp (CI clones there) is hidden by the pod's own /tmp unless bound."""
    from wfsync.engine import sandbox

    package = tmp_path / "site" / "wfsync-shims"
    package.mkdir(parents=True)
    tool = package / "hello-tool"
    tool.write_text("#!/bin/sh\necho from-below-tmp\n", encoding="utf-8")
    tool.chmod(0o755)
    assert str(tool).startswith("/tmp/"), "pytest's tmp_path is expected below /tmp here"
    real = sandbox._engine_paths()
    monkeypatch.setattr(sandbox, "_engine_paths", lambda: (*real, package))
    result = _run(
        tmp_path,
        f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{name: below-tmp}}
        spec:
          entrypoint: main
          templates:
          - name: main
            container:
              image: busybox
              command: [sh, -c, "{tool}"]
        """,
    )
    # a hidden path ends the pod with sh's 127 (not found): only a bound one succeeds
    assert result.status.phase == "Succeeded", result.status.message
