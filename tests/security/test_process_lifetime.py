"""No pod process outlives a ``wfsync run``: real runs, real pods, real signals.

Every pod here leaves a daemonised child (``setsid``) that keeps the pod's stdout open, the case
that used to make the engine wait for the pipe forever. The processes are found by a token in
their command line, unique to each test, so nothing else on the machine is mistaken for them.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")


def _token() -> str:
    """A sleep duration no other process on the machine uses: it marks the test's processes."""
    return f"{300 + secrets.randbelow(600)}.{secrets.randbelow(10**6):06d}"


def _pod_script(token: str, tail: str = "sleep {token}") -> str:
    """A daemonised child holding stdout, a plain background child, then ``tail``."""
    return (
        f"setsid sh -c 'sleep {token}; echo never' & "
        f"sleep {token} >/dev/null 2>&1 & "
        f"echo started; {tail.format(token=token)}"
    )


def _workflow(
    tmp_path: Path, token: str, *, pods: int = 2, deadline: int | None = None, tail: str = ""
) -> Path:
    template: dict[str, object] = {
        "name": "pod",
        "container": {
            "image": "busybox",
            "command": ["sh", "-c"],
            "args": [_pod_script(token, tail) if tail else _pod_script(token)],
        },
    }
    if deadline is not None:
        template["activeDeadlineSeconds"] = deadline
    group = [{"name": f"p{i}", "template": "pod"} for i in range(pods)]
    wf = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "lifetime"},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [group]}, template]},
    }
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(wf), encoding="utf-8")
    return path


def _processes(token: str) -> list[int]:
    """Live (not zombie) processes whose command line carries ``token``."""
    found = []
    needle = token.encode()
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit():
            continue
        try:
            if needle not in (folder / "cmdline").read_bytes():
                continue
            state = (folder / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            found.append(int(folder.name))
    return found


def _settled(token: str, timeout: float = 2.0) -> list[int]:
    """The token's processes still alive once ``timeout`` passed (killed ones need a moment to go)."""
    end = time.time() + timeout
    while True:
        left = _processes(token)
        if not left or time.time() > end:
            return left
        time.sleep(0.05)


_STARTED: list[subprocess.Popen[str]] = []


def _start(tmp_path: Path, workflow: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        # host processes: this module tests how they are found and ended (process groups, markers,
        # the next run's sweep); a sandbox's PID namespaces end every pod process by themselves
        [sys.executable, "-m", "wfsync", "-o", "json", "run", "--runtime", "host", str(workflow)],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _STARTED.append(proc)
    return proc


def _run_folders(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / ".wfsync").glob("wfsync-run-*"))


@pytest.fixture
def token() -> Iterator[str]:
    value = _token()
    yield value
    while _STARTED:  # a run that timed out, then its pods: never left behind, whatever the test found
        run = _STARTED.pop()
        if run.poll() is None:
            run.kill()
            run.communicate()
    for pid in _processes(value):
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_kills_every_pod_process_and_removes_the_run_folder(
    tmp_path: Path, token: str, sig: signal.Signals
) -> None:
    proc = _start(tmp_path, _workflow(tmp_path, token))
    end = time.time() + 10
    while len(_processes(token)) < 6 and time.time() < end:  # 2 pods x (main, setsid child, sleep)
        time.sleep(0.05)
    assert len(_processes(token)) >= 6, "the pods did not start"
    proc.send_signal(sig)
    started = time.time()
    out, err = proc.communicate(timeout=15)
    name = {signal.SIGINT: "Ctrl-C"}.get(sig, sig.name)
    assert proc.returncode == 3, err
    assert time.time() - started < 5
    assert f"interrupted ({name})" in err
    assert "lifetime[0].p0" in err and "lifetime[0].p1" in err
    status = json.loads(out)["status"]
    assert status["phase"] == "Failed"
    assert status["message"].startswith(f"interrupted ({name})")
    assert "running: lifetime[0].p0, lifetime[0].p1" in status["message"]
    assert "Traceback" not in err
    assert _settled(token) == []
    assert _run_folders(tmp_path) == []


def test_the_next_run_clears_up_after_a_run_killed_outright(tmp_path: Path, token: str) -> None:
    killed = _start(tmp_path, _workflow(tmp_path, token, pods=1))
    end = time.time() + 10
    while len(_processes(token)) < 3 and time.time() < end:
        time.sleep(0.05)
    killed.kill()  # SIGKILL: no handler runs, the pods and the run folder stay behind
    killed.communicate()
    assert len(_processes(token)) >= 3
    assert len(_run_folders(tmp_path)) == 1
    other = tmp_path / "next"
    other.mkdir()
    quick = _start(tmp_path, _workflow(other, _token(), pods=1, tail="echo done"))
    # the quick run's own pods (a fresh token) end with it; only the killed run's matter here
    _, err = quick.communicate(timeout=20)
    assert quick.returncode == 0, err
    assert _settled(token) == []
    assert _run_folders(tmp_path) == []


def test_a_daemonised_child_holding_stdout_does_not_outlast_the_pod_deadline(
    tmp_path: Path, token: str
) -> None:
    started = time.time()
    proc = _start(tmp_path, _workflow(tmp_path, token, pods=1, deadline=1))
    out, err = proc.communicate(timeout=20)
    assert time.time() - started < 8
    assert proc.returncode == 1, err
    nodes = json.loads(out)["status"]["nodes"]
    pod = next(n for n in nodes.values() if n["type"] == "Pod")
    assert pod["message"] == "Pod was active on the node longer than the specified deadline"
    assert _settled(token) == []
    assert _run_folders(tmp_path) == []


def test_a_pod_ends_with_its_main_process_and_takes_its_children_along(tmp_path: Path, token: str) -> None:
    stale = tmp_path / ".wfsync" / "wfsync-run-stale"
    stale.mkdir(parents=True)
    dead = subprocess.Popen(["true"])  # noqa: S607 - a pid that is certainly not running any more
    dead.wait()
    (stale / ".owner").write_text(str(dead.pid), encoding="utf-8")
    started = time.time()
    proc = _start(tmp_path, _workflow(tmp_path, token, pods=1, tail="echo done"))
    out, err = proc.communicate(timeout=20)
    assert time.time() - started < 8
    assert proc.returncode == 0, err
    workflow = json.loads(out)
    assert workflow["status"]["phase"] == "Succeeded"
    pod = next(n for n in workflow["status"]["nodes"].values() if n["type"] == "Pod")
    assert pod["outputs"]["result"] == "started\ndone"
    assert _settled(token) == []
    assert _run_folders(tmp_path) == []  # its own, and the one a killed run left behind


def test_a_failed_run_removes_its_folder_and_leaves_a_live_runs_alone(tmp_path: Path) -> None:
    keep = tmp_path / ".wfsync" / "wfsync-run-alive"
    keep.mkdir(parents=True)
    (keep / ".owner").write_text(str(os.getpid()), encoding="utf-8")  # a live run: not touched
    path = tmp_path / "wf.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: bad}
            spec:
              entrypoint: main
              templates:
              - name: main
                container: {image: busybox, command: [sh, -c, "exit 3"]}
            """
        ),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "wfsync", "run", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert _run_folders(tmp_path) == [keep]


def test_an_internal_error_mid_run_stops_every_pod_and_removes_the_run_folder(
    tmp_path: Path, token: str
) -> None:
    import threading

    from wfsync.engine.run import RunRequest, run
    from wfsync.engine.status import WorkflowStatus

    def boom(status: WorkflowStatus) -> None:
        if any(n.type == "Pod" and n.phase == "Running" for n in status.nodes.values()):
            raise RuntimeError("an engine bug")

    state = tmp_path / "state"
    raised: list[BaseException] = []

    def go() -> None:
        try:
            run(RunRequest(path=_workflow(tmp_path, token, pods=1), state_dir=state, on_change=boom))
        except RuntimeError as exc:
            raised.append(exc)

    worker = threading.Thread(target=go, daemon=True)  # a thread: a regression fails, not hangs
    worker.start()
    worker.join(timeout=8)  # the pod would sleep for minutes
    assert not worker.is_alive(), "the run waited for its pod after an internal error"
    assert [str(e) for e in raised] == ["an engine bug"]
    assert _settled(token) == []
    assert sorted(state.glob("wfsync-run-*")) == []
