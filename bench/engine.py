"""Benchmark the local engine at scale: how its cost grows with the number of nodes.

Run ``python bench/engine.py`` (sizes 100 / 1,000 / 5,000; ``--quick``: 100 / 500 / 1,000;
``--sizes 100,2000`` for others). Each shape and size runs in its own process (so peak memory is
that run's alone) with no-op ``busybox true`` pods, and prints wall seconds of ``run()`` (the
interpreter start and imports excluded), milliseconds per pod node, peak resident memory of the
engine process (pods excluded) and the ratio of the per-node cost to the smallest size's. Shapes:

- ``fan-out``: a DAG of N tasks with no dependencies;
- ``chain``: a DAG of N tasks, each ``depends`` on the previous one;
- ``steps``: N sequential steps (one step per group);
- ``items``: one step ``withItems`` over N/3 items, each a steps template of 3 sequential pods.

``--repeat 3`` runs each case three times and prints the median wall time (and the largest peak
memory): on a shared, busy machine one run says little, so compare medians.

It also times ``wfsync lint`` of an N-task chain (largest size) against parsing the same file
(the target: checking at most 3x parsing).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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

NOOP = {"name": "noop", "container": {"image": "busybox", "command": ["true"]}}
SHAPES = ("fan-out", "chain", "steps", "items")


def _workflow(name: str, templates: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name},
        "spec": {"entrypoint": "main", "templates": templates},
    }


def build(shape: str, count: int) -> dict[str, Any]:
    """The workflow of ``shape`` with about ``count`` pod nodes."""
    if shape == "fan-out":
        tasks = [{"name": f"t{i}", "template": "noop"} for i in range(count)]
        return _workflow("bench-fan-out", [{"name": "main", "dag": {"tasks": tasks}}, NOOP])
    if shape == "chain":
        tasks = [{"name": "t0", "template": "noop"}]
        tasks += [{"name": f"t{i}", "template": "noop", "depends": f"t{i - 1}"} for i in range(1, count)]
        return _workflow("bench-chain", [{"name": "main", "dag": {"tasks": tasks}}, NOOP])
    if shape == "steps":
        steps = [[{"name": f"s{i}", "template": "noop"}] for i in range(count)]
        return _workflow("bench-steps", [{"name": "main", "steps": steps}, NOOP])
    if shape == "items":
        outer = [[{"name": "each", "template": "inner", "withItems": list(range(max(1, count // 3)))}]]
        inner = [[{"name": f"s{i}", "template": "noop"}] for i in range(3)]
        return _workflow(
            "bench-items", [{"name": "main", "steps": outer}, {"name": "inner", "steps": inner}, NOOP]
        )
    raise SystemExit(f"unknown shape {shape!r}")


def run_case(shape: str, count: int) -> dict[str, Any]:
    """Run one workflow in this process; its wall time, pod count and this process's peak memory."""
    from wfsync.engine.run import RunRequest, run

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / f"{shape}.yaml"
        path.write_text(yaml.safe_dump(build(shape, count)), encoding="utf-8")
        started = time.perf_counter()
        try:
            result = run(RunRequest(path=path, state_dir=folder / "state"))
        except RecursionError:
            return {"error": "RecursionError"}
        wall = time.perf_counter() - started
    pods = sum(1 for n in result.status.nodes.values() if n.type == "Pod")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "phase": result.status.phase,
        "message": result.status.message,
        "wall": wall,
        "pods": pods,
        "nodes": len(result.status.nodes),
        "peak_mb": peak_kib / 1024,
    }


def lint_case(count: int) -> dict[str, float]:
    """Seconds to parse an N-task chain and to lint it (in this process)."""
    from wfsync.lint.linter import LintOptions, lint_paths

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chain.yaml"
        path.write_text(yaml.safe_dump(build("chain", count)), encoding="utf-8")
        started = time.perf_counter()
        list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
        parse = time.perf_counter() - started
        started = time.perf_counter()
        lint_paths([path], LintOptions())
        lint = time.perf_counter() - started
    return {"parse": parse, "lint": lint}


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": tail[:60]}
    parsed: dict[str, Any] = json.loads(lines[-1])
    return parsed


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from repeated runs: the median wall time, the largest peak; a failed run wins."""
    for out in runs:
        if "error" in out or out.get("phase") != "Succeeded":
            return out
    return {
        **runs[0],
        "wall": statistics.median(out["wall"] for out in runs),
        "peak_mb": max(out["peak_mb"] for out in runs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 100 / 500 / 1,000")
    parser.add_argument("--sizes", help="comma-separated node counts (default 100,1000,5000)")
    parser.add_argument("--shapes", help=f"comma-separated shapes (default {','.join(SHAPES)})")
    parser.add_argument("--no-lint", action="store_true", help="skip the lint-of-a-chain figure")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per case; the median wall time is printed (default 1)"
    )
    parser.add_argument("--case", nargs=2, metavar=("SHAPE", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--lint-case", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case[0], int(args.case[1]))))
        return 0
    if args.lint_case:
        print(json.dumps(lint_case(args.lint_case)))
        return 0
    sizes = [int(s) for s in (args.sizes or ("100,500,1000" if args.quick else "100,1000,5000")).split(",")]
    shapes = args.shapes.split(",") if args.shapes else list(SHAPES)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{'shape':<8} {'nodes':>6} {'pods':>6} {'seconds':>8} {'ms/node':>8} {'x smallest':>10} {'peak MB':>8}"
    )
    for shape in shapes:
        base = None
        for size in sizes:
            out = _median([_child(["--case", shape, str(size)]) for _ in range(max(1, args.repeat))])
            if "error" in out or out.get("phase") != "Succeeded":
                problem = out.get("error") or f"{out.get('phase')}: {out.get('message', '')[:60]}"
                print(f"{shape:<8} {size:>6} {'':>6} {'FAILED':>8}  {problem}")
                continue
            per_node = out["wall"] / max(1, out["pods"]) * 1000
            base = base or per_node
            print(
                f"{shape:<8} {size:>6} {out['pods']:>6} {out['wall']:>8.2f} {per_node:>8.2f} "
                f"{per_node / base:>10.2f} {out['peak_mb']:>8.0f}"
            )
    if not args.no_lint:
        size = max(sizes)
        out = _child(["--lint-case", str(size)])
        if "error" in out:
            print(f"lint of a {size}-task chain: FAILED {out['error']}")
        else:
            print(
                f"lint of a {size}-task chain: parse {out['parse']:.3f} s, lint {out['lint']:.3f} s "
                f"({out['lint'] / out['parse']:.1f}x parsing)"
            )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
