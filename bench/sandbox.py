"""Benchmark the sandbox runtime against host processes: per-pod cost, and where it goes.

Run ``python bench/sandbox.py`` (``--pods 200 --repeat 3``). Each runtime runs a DAG chain of
N no-op ``busybox true`` pods (the shape of ``bench/engine.py``) in its own process, ``--repeat``
times, and prints the median wall seconds of ``run()``, milliseconds per pod with the executor's
start (the bwrap and overlay probes) spread over the pods and without it, and the sandbox's
ratio to host processes (the issue's target: within 2x). ``--breakdown`` also times one
container start step by step: a bare process, bare ``bwrap``, the sandbox's full ``bwrap``
command line (with a new pod folder each time, on disk and in memory: bwrap makes its mount points
there), then with the container's own writable layer (overlays made in the child) and cgroups
(memory, pids).

The machine is shared: medians of several repeats, and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RUNTIMES = ("host", "sandbox")


def run_case(runtime: str, count: int) -> dict[str, Any]:
    """Start the executor, then run the chain of ``count`` pods (in this process)."""
    from engine import build  # bench/engine.py's workflow shapes

    from wfsync.engine.containers import make_executor
    from wfsync.engine.host import HostExecutor
    from wfsync.engine.run import RunRequest, run

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "chain.yaml"
        path.write_text(yaml.safe_dump(build("chain", count)), encoding="utf-8")
        started = time.perf_counter()
        executor = make_executor(runtime) or HostExecutor()
        start = time.perf_counter() - started
        started = time.perf_counter()
        result = run(RunRequest(path=path, state_dir=folder / "state", runtime=runtime), executor)
        wall = time.perf_counter() - started
    pods = sum(1 for n in result.status.nodes.values() if n.type == "Pod")
    return {"phase": result.status.phase, "start": start, "wall": wall, "pods": pods}


def _timed(argv: list[str], repeat: int, **kwargs: Any) -> float:
    """Median milliseconds of ``argv`` run to its end."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kwargs)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def breakdown(repeat: int) -> list[tuple[str, float]]:
    """Milliseconds of one container start, step by step (see the module docstring)."""
    from wfsync.engine.executor import Container, Pod
    from wfsync.engine.sandbox import BWRAP, SandboxExecutor

    sandbox = SandboxExecutor()
    rows = [("process (true)", _timed(["true"], repeat))]
    rows.append(("bwrap --ro-bind / / true", _timed([BWRAP, "--ro-bind", "/", "/", "true"], repeat)))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pods" / "p"
        root.mkdir(parents=True)
        pod = Pod(name="p", node_name="p", main=Container("main", "busybox", ("true",)), root=root)
        env = {"ARGO_TEMPLATE": json.dumps({"container": {}})}
        plan, sandbox.plan, cgroups, sandbox.cgroups = sandbox.plan, None, sandbox.cgroups, None
        bare = sandbox.wrap(pod, pod.main, ["true"], env)
        rows.append(("+ the sandbox's binds, /dev, /proc", _timed(bare, repeat)))
        rows.extend(_fresh_folders(sandbox, Path(tmp), env, repeat))
        sandbox.plan = plan
        if plan is not None:
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                argv = sandbox.wrap(pod, pod.main, ["true"], env)
                subprocess.run(argv, check=True)
                sandbox.release(pod)
                times.append(time.perf_counter() - started)
            rows.append(
                (
                    f"+ own layer ({len(plan.overlays)} overlay, made, removed)",
                    statistics.median(times) * 1000,
                )
            )
        sandbox.cgroups = cgroups
        for what, limits in (("pids", {}), ("memory, cpu, pids", {"memory": "64Mi", "cpu": "1"})):
            if cgroups is None:
                break
            spec = {"container": {"resources": {"limits": limits}}}
            env = {"ARGO_TEMPLATE": json.dumps(spec)}
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                argv = sandbox.wrap(pod, pod.main, ["true"], env)
                with sandbox.spawning(pod, pod.main):
                    proc = subprocess.Popen(argv)
                proc.wait()
                sandbox.release(pod)
                times.append(time.perf_counter() - started)
            rows.append((f"+ cgroups ({what})", statistics.median(times) * 1000))
        sandbox.close()
    return rows


def _fresh_folders(sandbox: Any, tmp: Path, env: dict[str, str], repeat: int) -> list[tuple[str, float]]:
    """A new pod folder per start (as in a run): on disk, then in a tmpfs (:mod:`wfsync.engine.podfs`)."""
    from wfsync.engine.executor import Container, Pod
    from wfsync.engine.podfs import PodFolders

    rows = []
    for where, memory in (("on disk", False), ("in memory", True)):
        pods = tmp / f"pods-{where.replace(' ', '-')}"
        folders = PodFolders(enabled=memory)
        folders.ensure(pods)
        pods.mkdir(exist_ok=True)
        times = []
        for index in range(repeat):
            root = pods / str(index)
            started = time.perf_counter()
            root.mkdir()
            pod = Pod(name="p", node_name="p", main=Container("main", "busybox", ("true",)), root=root)
            subprocess.run(sandbox.wrap(pod, pod.main, ["true"], env), check=True)
            times.append(time.perf_counter() - started)
        folders.close()
        rows.append((f"  with a new pod folder {where}", statistics.median(times) * 1000))
    return rows


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1][:80]}
    parsed: dict[str, Any] = json.loads(lines[-1])
    return parsed


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=200, help="pods in the chain (default 200)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per runtime; the median counts")
    parser.add_argument("--breakdown", action="store_true", help="time one container start step by step")
    parser.add_argument("--case", nargs=2, metavar=("RUNTIME", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case[0], int(args.case[1]))))
        return 0
    print(f"load average: {_load()}")
    print(f"{'runtime':<8} {'pods':>5} {'start ms':>9} {'seconds':>8} {'ms/pod':>7} {'+start':>7}")
    per_pod: dict[str, float] = {}
    for runtime in RUNTIMES:
        outs = [_child(["--case", runtime, str(args.pods)]) for _ in range(args.repeat)]
        bad = [o for o in outs if "error" in o or o.get("phase") != "Succeeded"]
        if bad:
            print(f"{runtime:<8} FAILED {bad[0].get('error') or bad[0].get('phase')}")
            continue
        start = statistics.median(o["start"] for o in outs) * 1000
        wall = statistics.median(o["wall"] for o in outs)
        pods = outs[0]["pods"]
        per_pod[runtime] = wall / pods * 1000
        print(
            f"{runtime:<8} {pods:>5} {start:>9.1f} {wall:>8.2f} {per_pod[runtime]:>7.2f} "
            f"{per_pod[runtime] + start / pods:>7.2f}"
        )
    if len(per_pod) == len(RUNTIMES):
        print(f"sandbox / host per pod: {per_pod['sandbox'] / per_pod['host']:.2f}x (target: 2x or less)")
    if args.breakdown:
        print("one container start (median ms):")
        for name, ms in breakdown(max(20, args.repeat * 10)):
            print(f"  {name:<40} {ms:>6.2f}")
    print(f"load average: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
