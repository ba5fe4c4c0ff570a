"""Images stood in by host tools, said honestly: versions, exact interpreters, ``--strict-images``."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wfsync.engine.host import HostExecutor, image_family, is_busybox_image
from wfsync.engine.images import StandIns, Tool, differs, matches, tag_version
from wfsync.engine.run import RunRequest, RunResult, run


def _run(tmp_path: Path, text: str) -> RunResult:
    path = tmp_path / "wf.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return run(RunRequest(path=path, state_dir=tmp_path / "state"))


def _pods(result: RunResult) -> dict[str, dict[str, object]]:
    return {n.display_name: n.to_json() for n in result.status.nodes.values() if n.type == "Pod"}


def test_which_images_are_busybox_by_repository_not_by_last_segment() -> None:
    """One rule for the shell stand-in and the applet shims: the repository after registry and library/."""
    busybox = [
        "busybox",
        "alpine:3.19",
        "docker.io/library/alpine:3.19@sha256:" + "0" * 64,
        "localhost:5000/busybox",
    ]
    others = ["alpine/git", "someone/busybox", "quay.io/someone/alpine", "debian", "busyboxy"]
    assert [is_busybox_image(i) for i in busybox] == [True] * len(busybox)
    assert [is_busybox_image(i) for i in others] == [False] * len(others)
    assert image_family("someone/busybox") is None  # so no pod of it runs on a stand-in at all


def test_the_version_a_tag_names() -> None:
    assert [
        tag_version(i) for i in ("python:3.9-slim", "python", "python:latest", "node:v20", "alpine:3.20.1")
    ] == [
        "3.9",
        None,
        None,
        "20",
        "3.20.1",
    ]
    assert tag_version("localhost:5000/python") is None  # a registry port is not a tag
    assert tag_version("python:3.9@sha256:abc") == "3.9"
    assert matches("3.9", "3.9.18") and not matches("3.9", "3.10.1") and not matches("3.1", "3.11.7")
    host = Tool("/x", "host Python 3.11.7", "3.11.7")
    assert (differs("python:3.9", host), differs("python:3.11", host), differs("python", host)) == (
        True,
        False,
        False,
    )
    assert differs("alpine:3.20", Tool("/bin/sh", "host sh"))  # no version known: not provably the same
    assert not differs("argoproj/argosay:v2", Tool("/x", "wfsync argosay shim", exact=True))


def test_a_python_image_runs_the_exact_version_when_there_is_one(tmp_path: Path) -> None:
    wanted = "3.9" if not platform.python_version().startswith("3.9.") else "3.10"
    tool = StandIns().python(wanted)
    result = _run(
        tmp_path,
        f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{name: exact-python}}
        spec:
          entrypoint: main
          templates:
          - name: main
            script:
              image: python:{wanted}
              command: [python]
              source: import platform; print(platform.python_version())
        """,
    )
    assert result.status.phase == "Succeeded", result.status.message
    pod = _pods(result)["exact-python"]
    assert pod["outputs"]["result"] == tool.version  # type: ignore[index]
    assert result.substitutions[f"python:{wanted}"] == tool.label
    if tool.path == sys.executable:  # none here: the host interpreter, and the node says which
        assert tool.label == f"host Python {platform.python_version()}"
        assert pod["message"] == f"python:{wanted} ran as {tool.label}"
    else:  # the exact version: nothing to say on the node (Argo's message, empty, stays)
        assert str(tool.version).startswith(wanted + ".")
        assert "message" not in pod


def test_uv_provides_the_exact_python_when_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a stand-in for uv and for the interpreter it finds: the contract is `uv python find X.Y`
    python = tmp_path / "python3.7"
    python.write_text("#!/bin/sh\necho 3.7.99\n")
    uv = tmp_path / "uv"
    uv.write_text(
        f'#!/bin/sh\n[ "$1 $2 $3 $UV_OFFLINE" = "python find --no-python-downloads 1" ] && echo {python}\n'
    )
    for script in (python, uv):
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    tool = StandIns().python("3.7")
    assert (tool.path, tool.label, tool.version) == (str(python), "uv Python 3.7.99", "3.7.99")
    assert StandIns().python("2.1").label == f"host Python {platform.python_version()}"  # uv has none


def test_alpine_sh_is_the_hosts_busybox(tmp_path: Path) -> None:
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed (.ci/run installs it)")
    result = _run(
        tmp_path,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: ash}
        spec:
          entrypoint: main
          templates:
          - name: main
            container: {image: "alpine:3.20", command: [sh, -c, 'echo "${RANDOM:-none}"']}
        """,
    )
    assert result.status.phase == "Succeeded", result.status.message
    pod = _pods(result)["ash"]
    assert str(pod["outputs"]["result"]).isdigit()  # type: ignore[index]  # dash has no $RANDOM
    label = StandIns().tool("busybox", busybox).label
    assert label.startswith("host BusyBox ")
    assert result.substitutions["alpine:3.20"] == label  # the summary says what ran it


_STRICT = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: strict}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: first, template: marker}
    - - {name: old, template: old}
  - name: marker
    container:  # the marker's path without its leading slash: host pods rewrite literal /tmp paths
      image: busybox
      command: [sh, -c, 'touch "/$MARKER"']
      env: [{name: MARKER, value: "MARKER_PATH"}]
  - name: old
    script: {image: "python:2.1", command: [python], source: print(1)}
"""


def test_strict_images_refuses_a_version_it_cannot_provide_before_any_pod_runs(tmp_path: Path) -> None:
    marker = tmp_path / "first-pod-ran"
    path = tmp_path / "wf.yaml"
    path.write_text(_STRICT.replace("MARKER_PATH", str(marker).lstrip("/")), encoding="utf-8")
    # host processes: the marker is a host path, which a sandboxed pod (the default, auto) cannot
    # touch, nor a host pod without --allow-host-writes where Landlock confines it
    argv = [sys.executable, "-m", "wfsync", "run", "--runtime", "host", "--allow-host-writes"]
    argv += ["--strict-images", str(path)]
    proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 2, proc.stderr
    assert f"python:2.1 would run as host Python {platform.python_version()}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not marker.exists()
    lenient = subprocess.run(
        argv[:7] + ["-o", "json", str(path)], cwd=tmp_path, capture_output=True, text=True
    )
    assert marker.exists()  # without --strict-images it runs, saying what stood in
    nodes = json.loads(lenient.stdout)["status"]["nodes"].values()
    old = next(n for n in nodes if n["displayName"] == "old")
    assert old["message"] == f"python:2.1 ran as host Python {platform.python_version()}"


def test_strict_images_accepts_exact_and_untagged_stand_ins(tmp_path: Path) -> None:
    executor = HostExecutor(strict_images=True)
    assert executor.strict_problem("busybox", ("sh",)) is None
    assert (
        executor.strict_problem(f"python:{sys.version_info.major}.{sys.version_info.minor}", ("python",))
        is None
    )
    assert executor.strict_problem("argoproj/argosay:v2", ()) is None
    assert (
        executor.strict_problem("python:2.1", ("python",))
        == f"python:2.1 would run as host Python {platform.python_version()}"
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_NC = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: nc}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: IMAGE
      command: [sh, -c]
      args: ['nc -lk -p PORT -e /bin/echo served & sleep 0.5; nc 127.0.0.1 PORT </dev/null; nc -z 127.0.0.1 PORT && echo open']
"""


def test_alpine_nc_speaks_alpines_options_for_real(tmp_path: Path) -> None:
    """Debian's BusyBox nc has no ``-k``: busybox/alpine images get a stand-in with Alpine's options."""
    if shutil.which("busybox") is None:
        pytest.skip("busybox is not installed (.ci/run installs it)")
    port = _free_port()
    result = _run(tmp_path, _NC.replace("IMAGE", "alpine:3.23").replace("PORT", str(port)))
    assert result.status.phase == "Succeeded", result.status.message
    assert _pods(result)["nc"]["outputs"]["result"] == "served\nopen"  # type: ignore[index]
    assert "wfsync nc stand-in" in result.substitutions["alpine:3.23"]


def test_two_pods_may_listen_on_one_port_as_they_would_on_their_own_ips(tmp_path: Path) -> None:
    """Pods share the machine's network here: a second listener is not refused (variables-showcase)."""
    if shutil.which("busybox") is None:
        pytest.skip("busybox is not installed (.ci/run installs it)")
    args = (
        "args: ['nc -lk -p PORT -e /bin/true & a=$!; nc -lk -p PORT -e /bin/true & b=$!; sleep 0.5;"
        " kill -0 $a && kill -0 $b && echo both']"
    )
    text = _NC.replace("IMAGE", "alpine:3.23").replace(_NC.splitlines()[-1].strip(), args)
    result = _run(tmp_path, text.replace("PORT", str(_free_port())))
    assert result.status.phase == "Succeeded", result.status.message
    assert _pods(result)["nc"]["outputs"]["result"] == "both"  # type: ignore[index]  # both still listen


def test_the_nc_stand_in_is_for_busybox_images_only(tmp_path: Path) -> None:
    if shutil.which("nc") is not None:
        pytest.skip("this host has an nc of its own")
    result = _run(tmp_path, _NC.replace("IMAGE", "debian:12").replace("PORT", str(_free_port())))
    assert _pods(result)["nc"]["message"].startswith("unsupported:")  # type: ignore[union-attr]


def test_an_nc_option_the_stand_in_lacks_is_unsupported_not_run(tmp_path: Path) -> None:
    if shutil.which("busybox") is None:
        pytest.skip("busybox is not installed (.ci/run installs it)")
    args = "args: ['nc -u -l -p PORT']"
    text = _NC.replace("IMAGE", "busybox").replace(_NC.splitlines()[-1].strip(), args)
    result = _run(tmp_path, text.replace("PORT", str(_free_port())))
    assert result.status.phase != "Succeeded"
    assert "option -u: not found" in _pods(result)["nc"]["message"]  # type: ignore[operator]
