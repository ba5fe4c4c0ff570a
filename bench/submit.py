"""Benchmark ``wfsync submit --watch`` on a 500-node workflow: live-view frame rate and peak memory.

Run ``python bench/submit.py`` (``--nodes 2000 --frames 400 --interval 0.01`` for others). The
test Kubernetes API server and the test controller run here; the controller replays a
generated status of N pod nodes (one step group fanning out, pods going Pending -> Running ->
Succeeded a few at a time) with a frame every ``--interval`` seconds, far more often than the
live view may redraw. ``wfsync submit --watch`` runs in a child process on a forced terminal
(``TTY_COMPATIBLE=1``), so it renders the live tree exactly as on a real one. Printed: frames
written by the controller, live-view redraws and redraws per second over the watch, wall
seconds of the watch, and the child's peak resident memory (``ru_maxrss``, interpreter and
imports included). Targets (issue 15): at most 4 redraws a second, under 100 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.kube.controller import Script, TestController  # noqa: E402
from tests.kube.server import KubeServer  # noqa: E402
from wfsync.engine.status import Node, WorkflowStatus, display_name, node_id  # noqa: E402

CONFIG = """\
library: library
libraryId: bench
targets:
  kube:
    type: kubernetes
    kubeconfig: kubeconfig
    namespace: bench
    allowedContexts: [wfsync-test]
defaultTarget: kube
"""
NAME = "fan-recorded"
START = 1_800_000_000.0


def workflow(count: int) -> dict[str, Any]:
    """A Workflow of one step group with ``count`` pod steps (what is created; the script plays its status)."""
    steps = [[{"name": f"p{i}", "template": "noop"} for i in range(count)]]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "fan-"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {"name": "main", "steps": steps},
                {"name": "noop", "container": {"image": "busybox", "command": ["true"]}},
            ],
        },
    }


def frames(count: int, total: int) -> list[dict[str, Any]]:
    """``total`` statuses of the fan-out: pods start and finish in waves, the last frame Succeeded."""
    out = []
    for index in range(total):
        done_upto = count * index // (total - 1)
        running_upto = min(count, done_upto + max(1, count // 20))
        final = index == total - 1
        phase = "Succeeded" if final else "Running"
        status = WorkflowStatus(NAME, phase=phase, started=START, finished=START + index if final else 0.0)
        root = Node(node_id(NAME, NAME), NAME, NAME, "Steps", phase, template_name="main", started=START)
        group_name = f"{NAME}[0]"
        group = Node(
            node_id(NAME, group_name),
            group_name,
            "[0]",
            "StepGroup",
            phase,
            boundary_id=root.id,
            started=START,
        )
        root.children.append(group.id)
        status.add(root)
        status.add(group)
        for i in range(running_upto):
            full = f"{NAME}[0].p{i}"
            pod_phase = "Succeeded" if i < done_upto or final else "Running"
            pod = Node(
                node_id(NAME, full),
                full,
                display_name(full, NAME),
                "Pod",
                pod_phase,
                boundary_id=root.id,
                template_name="noop",
                started=START + i / count,
                finished=START + index if pod_phase == "Succeeded" else 0.0,
            )
            group.children.append(pod.id)
            status.add(pod)
        out.append(status.to_json())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=500, help="pod nodes (default 500)")
    parser.add_argument("--frames", type=int, default=200, help="status frames replayed (default 200)")
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between frames (default 0.02)")
    args = parser.parse_args()

    script = Script(NAME, frames(args.nodes, args.frames))
    with tempfile.TemporaryDirectory(prefix="wfsync-bench-submit-") as scratch, KubeServer() as kube:
        repo = Path(scratch)
        (repo / "library").mkdir()
        (repo / "wfsync.yaml").write_text(CONFIG, encoding="utf-8")
        (repo / "wf.yaml").write_text(yaml.safe_dump(workflow(args.nodes), sort_keys=False), encoding="utf-8")
        kube.write_kubeconfig(repo / "kubeconfig")
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "ARGO_SERVER", "WFSYNC_TARGET")}
        env.update(TTY_COMPATIBLE="1", COLUMNS="160", LINES="60", PYTHONPATH=str(ROOT))
        command = [sys.executable, "-m", "wfsync", "submit", "wf.yaml", "--watch"]
        with TestController(kube, script, interval=args.interval) as controller:
            started = time.monotonic()
            child = subprocess.Popen(
                command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            span = _Span(controller, args.frames)
            out, err = child.communicate(timeout=600)
            wall = time.monotonic() - started
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            span.join()
        text = out.decode("utf-8", "replace")
        if child.returncode != 0:
            sys.exit(f"submit exited {child.returncode}: {err.decode()[-2000:]}")
        # every redraw writes the header; so do rich's last refresh when the live view stops, and the
        # final tree printed after it
        redraws = len(re.findall(r"Progress:", text)) - 2
        watch = span.seconds
        print(f"pod nodes:               {args.nodes} ({args.nodes + 2} nodes)")
        print(f"frames written:          {controller.writes} (one every {args.interval:g} s)")
        print(f"submit --watch wall:     {wall:.2f} s (start-up and imports included)")
        print(f"live-view redraws:       {redraws}")
        print(
            f"redraws per second:      {redraws / watch:.2f} over the {watch:.2f} s from first to last frame (target <= 4)"
        )
        print(f"submit CPU:              {usage.ru_utime + usage.ru_stime:.2f} s (user + system)")
        print(f"peak memory (ru_maxrss): {usage.ru_maxrss / 1024:.1f} MB (target < 100)")


class _Span(threading.Thread):
    """Times the replay: from the controller's first frame to its last (the child's start-up excluded)."""

    def __init__(self, controller: TestController, frames: int) -> None:
        super().__init__(daemon=True)
        self.controller, self.frames = controller, frames
        self.first = self.last = 0.0
        self.start()

    def run(self) -> None:
        deadline = time.monotonic() + 600
        while self.controller.writes < 1 and time.monotonic() < deadline:
            time.sleep(0.001)
        self.first = time.monotonic()
        while self.controller.writes < self.frames and time.monotonic() < deadline:
            time.sleep(0.001)
        self.last = time.monotonic()

    @property
    def seconds(self) -> float:
        """Seconds from the first frame written to the last."""
        return max(1e-9, self.last - self.first)


if __name__ == "__main__":
    main()
