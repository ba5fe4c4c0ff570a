"""Process-count and CPU limits in the sandbox: a real fork bomb, a real busy loop.

Real pods under real ``bwrap`` in real cgroups; skipped with the reason when bubblewrap is absent
or this machine lets wfsync make no cgroup of that kind (limits are then not enforced).
"""

from __future__ import annotations

import shutil
import textwrap
import time
from pathlib import Path

import pytest

from wfsync.engine import lifetime
from wfsync.engine.run import RunRequest, RunResult, run
from wfsync.engine.sandbox import SandboxExecutor

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None,
    reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap (.ci/run does)",
)


def _sandbox(controller: str, **kwargs: int) -> SandboxExecutor:
    executor = SandboxExecutor(**kwargs)
    if executor.cgroups is None or controller not in executor.cgroups.enforced:
        pytest.skip(f"no {controller} cgroup wfsync may create here: that limit is not enforced")
    return executor


def _run(tmp_path: Path, text: str, executor: SandboxExecutor) -> RunResult:
    path = tmp_path / "wf.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return run(RunRequest(path=path, state_dir=tmp_path / "state", runtime="sandbox"), executor)


def _pod(result: RunResult) -> dict[str, object]:
    return next(n.to_json() for n in result.status.nodes.values() if n.type == "Pod")


_SPAWN = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: many-processes}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c]
      args:
      - |
        (i=0; while [ $i -lt 120 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null
        set -- /proc/[0-9]*; echo $#
"""


@needs_bwrap
@pytest.mark.parametrize("limit", [40, None])
def test_a_container_has_at_most_its_process_limit(tmp_path: Path, limit: int | None) -> None:
    # its own PID namespace: /proc lists the pod's processes only
    result = _run(
        tmp_path, _SPAWN, _sandbox("pids", pids_limit=limit) if limit else SandboxExecutor(pids_limit=None)
    )
    assert result.status.phase == "Succeeded", result.status.message
    alive = int(str(_pod(result)["outputs"]["result"]))  # type: ignore[index]
    if limit is None:
        assert alive > 100  # the same pod without the limit: the count is real
    else:
        assert alive <= limit


@needs_bwrap
def test_a_fork_bomb_is_stopped_and_leaves_nothing(tmp_path: Path) -> None:
    executor = _sandbox("pids", pids_limit=32)
    started = time.monotonic()
    result = _run(
        tmp_path,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: fork-bomb}
        spec:
          entrypoint: main
          templates:
          - name: main
            activeDeadlineSeconds: 2
            container:
              image: busybox
              command: [sh, -c, 'bomb() { bomb | bomb & }; bomb; while :; do :; done']
        """,
        executor,
    )
    assert time.monotonic() - started < 15
    assert lifetime.escapees(f"{executor.token}:", prefix=True) == []  # every bomb process died
    assert result.status.phase == "Failed"
    # stopped by its deadline; on a loaded machine the main shell may itself meet the limit first
    # (a fork it needs fails), which ends the pod as a failure too
    assert _pod(result)["message"] in (
        "Pod was active on the node longer than the specified deadline",
        "main: Error (exit code 2)",
    )


@needs_bwrap
def test_a_cpu_limit_throttles_the_container(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: cpu-limit}
        spec:
          entrypoint: main
          templates:
          - name: main
            script:
              image: python:3.11
              command: [python]
              resources:
                limits: {cpu: 100m}
              source: |
                import time
                end = time.monotonic() + 0.6
                while time.monotonic() < end:
                    pass
                path = next(l.split(":", 2)[2] for l in open("/proc/self/cgroup") if ":cpu:" in l or ":cpu," in l or l.startswith("0::"))
                base = "/sys/fs/cgroup/cpu" if ":cpu" in open("/proc/self/cgroup").read() else "/sys/fs/cgroup"
                stat = dict(l.split() for l in open(base + path.strip() + "/cpu.stat"))
                print(time.process_time(), stat["nr_throttled"])
        """,
        _sandbox("cpu"),
    )
    assert result.status.phase == "Succeeded", result.status.message
    cpu, throttled = str(_pod(result)["outputs"]["result"]).split()  # type: ignore[index]
    assert int(throttled) > 0
    assert float(cpu) < 0.3  # 100m of 0.6 s is about 0.06 s
