"""Benchmark the local engine: 100 sequential no-op steps and a 500-task DAG (width 50).

Run ``python bench/engine.py``. Prints wall seconds per workflow and the median per-node
overhead: the time from a node's predecessor finishing (its result applied to the status) to
the node being started, i.e. what the scheduler adds on top of the pods themselves.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from wfsync.engine.run import RunRequest, run

NOOP = {"name": "noop", "container": {"image": "busybox", "command": ["true"]}}


def steps_workflow(count: int) -> dict[str, object]:
    steps = [[{"name": f"s{i}", "template": "noop"}] for i in range(count)]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "bench-steps"},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": steps}, NOOP]},
    }


def dag_workflow(count: int, width: int) -> dict[str, object]:
    tasks = []
    for i in range(count):
        layer, column = divmod(i, width)
        task: dict[str, object] = {"name": f"t{i}", "template": "noop"}
        if layer:
            task["dependencies"] = [f"t{(layer - 1) * width + column}"]
        tasks.append(task)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "bench-dag"},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "dag": {"tasks": tasks}}, NOOP]},
    }


def measure(
    label: str, workflow: dict[str, object], folder: Path, predecessor: Callable[[str], str | None]
) -> None:
    path = folder / f"{label}.yaml"
    path.write_text(yaml.safe_dump(workflow), encoding="utf-8")
    started = time.perf_counter()
    result = run(RunRequest(path=path, state_dir=folder / "state"))
    wall = time.perf_counter() - started
    pods = {n.display_name: n for n in result.status.nodes.values() if n.type == "Pod"}
    assert result.status.phase == "Succeeded", result.status.message
    gaps = []
    for name, node in pods.items():
        previous = predecessor(name)
        if previous is not None:
            gaps.append(node.started - pods[previous].finished)
    durations = [n.finished - n.started for n in pods.values()]
    print(
        f"{label}: {len(pods)} nodes in {wall:.2f} s ({wall / len(pods) * 1000:.1f} ms wall per node); "
        f"median per-node overhead {statistics.median(gaps) * 1000:.1f} ms (predecessor finished -> node started), "
        f"median pod {statistics.median(durations) * 1000:.1f} ms (process start to result applied)"
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        measure(
            "steps-100", steps_workflow(100), folder, lambda n: f"s{int(n[1:]) - 1}" if n != "s0" else None
        )
        measure(
            "dag-500x50",
            dag_workflow(500, 50),
            folder,
            lambda n: f"t{int(n[1:]) - 50}" if int(n[1:]) >= 50 else None,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
