"""``--runtime docker|podman``: the ``run`` command lines, and one run through a fake ``docker``.

No container engine exists on the test machines: the end-to-end test puts a ``docker`` shim on
PATH that records its argv and plays the container by running the command on the host with the
bind mounts applied as path rewrites. It checks what wfsync asks of the engine, not an engine.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfsync.cli.app import app
from wfsync.engine.containers import (
    ContainerExecutor,
    Mount,
    RuntimeMissing,
    make_executor,
    pod_mounts,
    run_argv,
)
from wfsync.engine.executor import Container, Pod
from wfsync.engine.run import RunResult


def _pod(tmp_path: Path, **kwargs: object) -> Pod:
    main = Container(
        "main",
        "alpine:3.23",
        ("sh", "-c"),
        ("echo hi > /tmp/out/msg.txt",),
        (("GREETING", "hello world"),),
        "/work",
    )
    fields: dict[str, object] = {
        "name": "wf-main-123",
        "node_name": "wf.main",
        "main": main,
        "root": tmp_path / "pod",
        "paths": ("/in/data.txt", "/tmp/out/msg.txt", "/argo/staging/script", "/cache"),
        "files": (("/in/data.txt", b"data", None), ("/argo/staging/script", b"echo", 0o755)),
        "mounts": ("/cache",),
        "shared_dirs": (("/shared", tmp_path / "vol"),),
    }
    fields.update(kwargs)
    return Pod(**fields)  # type: ignore[arg-type]


def test_mounts_inputs_exactly_outputs_by_parent_volumes_as_folders(tmp_path: Path) -> None:
    pod = _pod(tmp_path)
    fs = tmp_path / "pod" / "fs"
    assert pod_mounts(pod) == [
        Mount(tmp_path / "vol", "/shared"),
        Mount(fs / "cache", "/cache"),
        Mount(fs / "argo/staging/script", "/argo/staging/script"),
        Mount(fs / "in/data.txt", "/in/data.txt"),
        Mount(fs / "tmp/out", "/tmp/out"),
    ]


def test_run_argv_for_docker_and_podman(tmp_path: Path) -> None:
    pod = _pod(tmp_path)
    mounts = [Mount(tmp_path / "pod/fs/tmp/out", "/tmp/out")]
    argv = run_argv("docker", pod, pod.main, mounts, uid=1000, gid=100)
    assert argv == [
        "docker",
        "run",
        "--rm",
        "--name",
        "wfsync-wf-main-123-main",
        "--network",
        "host",
        "--user",
        "1000:100",
        "--volume",
        f"{tmp_path}/pod/fs/tmp/out:/tmp/out",
        "--env",
        "ARGO_POD_NAME=wf-main-123",
        "--env",
        "ARGO_CONTAINER_NAME=main",
        "--env",
        "ARGO_NODE_NAME=wf.main",
        "--env",
        "GREETING=hello world",
        "--workdir",
        "/work",
        "--entrypoint",
        "sh",
        "alpine:3.23",
        "-c",
        "echo hi > /tmp/out/msg.txt",
    ]
    podman = run_argv("podman", pod, pod.main, mounts, uid=1000, gid=100)
    assert podman[:2] == ["podman", "run"]
    assert "--user" not in podman  # rootless podman maps the container's root to the user already


def test_output_at_the_filesystem_root_is_refused(tmp_path: Path) -> None:
    executor = ContainerExecutor("docker", "/bin/false")
    result = executor.run(
        _pod(tmp_path, paths=("/result.txt",), files=(), mounts=(), shared_dirs=()), threading.Event()
    )
    assert result.exit_code is None
    assert result.message.startswith("unsupported: output path /result.txt is at the root")


def test_no_command_keeps_the_image_entrypoint(tmp_path: Path) -> None:
    pod = _pod(tmp_path)
    ctr = Container("main", "argoproj/argosay:v2", (), ("echo", "x"))
    argv = run_argv("docker", pod, ctr, [])
    assert "--entrypoint" not in argv
    assert argv[-3:] == ["argoproj/argosay:v2", "echo", "x"]


def test_missing_engine_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeMissing, match="docker not found on PATH"):
        make_executor("docker")
    assert make_executor("host") is None


def test_cli_reports_a_missing_engine_with_exit_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    wf = tmp_path / "wf.yaml"
    wf.write_text(HELLO, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(app, ["run", str(wf), "--runtime", "podman"])
    assert result.exit_code == 3
    assert "podman not found on PATH" in result.stderr
    result = CliRunner().invoke(app, ["run", str(wf), "--runtime", "lxc"])
    assert result.exit_code == 2


SHIM = r"""
import json, os, re, subprocess, sys
args = sys.argv[1:]
with open(os.environ["SHIM_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
assert args[:2] == ["run", "--rm"], args
i, mounts, env, entry, workdir = 2, [], {}, None, None
while args[i].startswith("--"):
    flag, value = args[i], args[i + 1]
    i += 2
    if flag == "--volume":
        host, ctr = value.rsplit(":", 1)
        mounts.append((ctr, host))
    elif flag == "--env":
        k, v = value.split("=", 1)
        env[k] = v
    elif flag == "--entrypoint":
        entry = value
    elif flag == "--workdir":
        workdir = value
image, rest = args[i], args[i + 1:]
mounts.sort(key=lambda m: -len(m[0]))
def mapped(text):
    for ctr, host in mounts:
        text = re.sub(r"(?<![\w/])" + re.escape(ctr) + r"(?=$|/|[^\w.-])", host, text)
    return text
argv = [entry or "sh", *rest] if entry else ["sh", "-c", " ".join(rest)]
proc = subprocess.run([mapped(a) for a in argv], env={**os.environ, **env})
sys.exit(proc.returncode)
"""

HELLO = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: boxed}
spec:
  entrypoint: main
  templates:
  - name: main
    inputs:
      artifacts:
      - {name: data, path: /in/data.txt, raw: {data: "from an input"}}
    outputs:
      parameters:
      - {name: msg, valueFrom: {path: /out/msg.txt}}
    container:
      image: curlimages/curl:8
      command: [sh, -c]
      args: ["cat /in/data.txt > /out/msg.txt && echo \\"$GREETING\\""]
      env: [{name: GREETING, value: hi from the container}]
"""


def test_end_to_end_through_a_fake_docker(
    run_yaml: Callable[..., RunResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shims = tmp_path / "bin"
    shims.mkdir()
    docker = shims / "docker"
    docker.write_text(f"#!{sys.executable}\n{textwrap.dedent(SHIM)}", encoding="utf-8")
    docker.chmod(0o755)
    log = tmp_path / "docker.log"
    monkeypatch.setenv("SHIM_LOG", str(log))
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    # curlimages/curl has no host stand-in: with host processes it is refused, in a container it runs
    result = run_yaml(HELLO, runtime="docker")
    assert result.status.phase == "Succeeded", [(n.name, n.message) for n in result.status.nodes.values()]
    node = result.status.nodes["boxed"]
    assert node.outputs is not None
    assert node.outputs["result"] == "hi from the container"
    assert node.outputs["parameters"] == [{"name": "msg", "value": "from an input"}]
    assert result.substitutions == {}  # the image itself runs: nothing stands in for it
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(calls) == 1
    argv = calls[0]
    assert argv[:4] == [
        "run",
        "--rm",
        "--name",
        "wfsync-boxed-main",
    ]  # the root node's pod is the workflow's name
    assert "curlimages/curl:8" in argv
    volumes = [argv[i + 1].rsplit(":", 1)[1] for i, a in enumerate(argv) if a == "--volume"]
    assert sorted(volumes) == ["/in/data.txt", "/out"]


def test_cancel_removes_the_container(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shims = tmp_path / "bin"
    shims.mkdir()
    log = tmp_path / "docker.log"
    docker = shims / "docker"
    docker.write_text(
        f'#!/bin/sh\necho "$*" >> {log}\ncase "$1" in run) exec sleep 30;; esac\n', encoding="utf-8"
    )
    docker.chmod(0o755)
    executor = ContainerExecutor("docker", str(docker))
    cancel = threading.Event()
    cancel.set()
    result = executor.run(_pod(tmp_path), cancel)
    assert result.message == "pod terminated"
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("run --rm --name wfsync-wf-main-123-main")
    assert lines[-1] == "rm --force wfsync-wf-main-123-main"
