"""The issue's targets, measured for real in the sandbox.

- A pod that runs ``pip install``, writes to ``$HOME``, ``/usr/local``, ``/etc``, ``../..`` and a
  computed absolute path leaves the host unchanged: the interpreter's site-packages and the
  touched folders hash the same before and after.
- Two runs of the converted ``python-package`` starter workflow give the same verdict, and
  leave every interpreter its legs ran unchanged (slow: its legs ``pip install`` from PyPI;
  offline, both runs fail the same way, which is still the same verdict).
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import sysconfig
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import corpus_path
from wfsync.engine.images import StandIns
from wfsync.engine.run import RunRequest, RunResult, run
from wfsync.engine.sandbox import SandboxExecutor

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None,
    reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap (.ci/run does)",
)


def tree_hash(folder: Path, *, depth: int = 64) -> str:
    """A hash of every path below ``folder`` with its type, mode, size and modification time."""
    digest = hashlib.sha256()
    if not folder.exists():
        return "absent"
    base = len(folder.parts)
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        if len(Path(root).parts) - base >= depth:
            dirs[:] = []
        for name in sorted(files) + [f"{d}/" for d in dirs]:
            path = Path(root) / name.rstrip("/")
            try:
                info = path.lstat()
            except OSError:
                continue
            stamp = f"{path.relative_to(folder)}\0{info.st_mode}\0{info.st_size}\0{info.st_mtime_ns}\0"
            digest.update(stamp.encode())
    return digest.hexdigest()


def _hashes(folders: list[Path]) -> dict[str, str]:
    return {str(f): tree_hash(f, depth=1 if f in (Path("/etc"), Path.home()) else 64) for f in folders}


@needs_bwrap
def test_a_pod_that_writes_everywhere_leaves_the_host_unchanged(tmp_path: Path) -> None:
    site = Path(sysconfig.get_paths()["purelib"])
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)  # the real one: the tests' $HOME is a temporary folder
    watched = [site, Path("/usr/local"), Path("/etc"), home]
    before = _hashes(watched)
    name = f"wfsyncprobe{os.getpid()}"
    path = tmp_path / "wf.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {{name: writes-everywhere}}
            spec:
              entrypoint: main
              templates:
              - name: main
                script:
                  image: python:{sys.version_info.major}.{sys.version_info.minor}
                  command: [python]
                  source: |
                    import os, subprocess, sys, zipfile
                    wheel = "/tmp/{name}-1.0-py3-none-any.whl"
                    info = "{name}-1.0.dist-info"
                    with zipfile.ZipFile(wheel, "w") as z:
                        z.writestr("{name}/__init__.py", "X = 1")
                        z.writestr(info + "/METADATA", "Metadata-Version: 2.1\\nName: {name}\\nVersion: 1.0\\n")
                        z.writestr(info + "/WHEEL", "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
                        z.writestr(info + "/RECORD", "")
                    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--disable-pip-version-check"]
                    subprocess.run([*pip, wheel], stderr=subprocess.DEVNULL)
                    for target in ["{home}/{name}", "/usr/local/{name}", "/etc/{name}",
                                   os.path.abspath("../../{name}"), os.path.join("/", "".join("tmp"), "{name}"),
                                   "{tmp_path.parent}/{name}"]:
                        try:
                            with open(target, "w") as f:
                                f.write("x")
                        except OSError as exc:
                            print(target, exc.strerror)
            """
        ),
        encoding="utf-8",
    )
    result = run(RunRequest(path=path, state_dir=tmp_path / "state", runtime="sandbox"))
    assert result.status.phase == "Succeeded", result.status.message
    time.sleep(0.1)
    after = _hashes(watched)
    assert after == before
    assert not any(Path(d, name).exists() for d in ("/usr/local", "/etc", str(home), str(tmp_path.parent)))


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[str]:
    """A tiny Python project in a git repository served by ``git daemon`` on 127.0.0.1 (its URL)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "served" / "calc"
    repo.mkdir(parents=True)
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (repo / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    for argv in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "calc"]):
        subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            f"--base-path={repo.parent}",
            "--listen=127.0.0.1",
            f"--port={port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"git://127.0.0.1:{port}/calc"
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def _verdict(result: RunResult) -> tuple[str, list[tuple[str, str, str]]]:
    name = result.status.name  # generated anew each run
    nodes = sorted((n.name.replace(name, "WF", 1), n.type, n.phase) for n in result.status.nodes.values())
    return result.status.phase, nodes


@needs_bwrap
@pytest.mark.slow
def test_two_runs_of_the_converted_python_package_workflow_agree(tmp_path: Path, git_daemon: str) -> None:
    starter = corpus_path("gha", "starter-workflows", "ci") / "python-package.yml"
    out = tmp_path / "converted"
    convert = [
        sys.executable,
        "-m",
        "wfsync",
        "convert",
        "github-actions",
        str(starter),
        "--starter",
        "--out-dir",
        str(out),
    ]
    subprocess.run(convert, cwd=tmp_path, check=True, capture_output=True)
    workflow = out / "python-package.yaml"
    assert workflow.is_file()
    legs = {StandIns().python(v).path for v in ("3.9", "3.10", "3.11")}
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    sites = sorted({Path(subprocess.check_output([p, "-c", purelib], text=True).strip()) for p in legs})
    before = _hashes(sites)
    verdicts = []
    for attempt in range(2):
        result = run(
            RunRequest(
                path=workflow,
                state_dir=tmp_path / f"state-{attempt}",
                runtime="sandbox",
                parameters=[("repo", git_daemon)],
                library=Path(__file__).resolve().parents[2] / "library",
            ),
            SandboxExecutor(),
        )
        verdicts.append(_verdict(result))
    assert verdicts[0] == verdicts[1]
    assert _hashes(sites) == before  # no leg's pip install reached an interpreter on the host
