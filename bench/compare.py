"""Before and after: the lint, sync and engine benchmarks of an earlier commit against this tree.

Run ``python bench/compare.py REV`` (for example the commit before a refactoring). REV is checked
out in a temporary git worktree, this tree's bench scripts are copied into it (so both sides are
timed by the same code), and the benchmarks run in turn, alternating which side goes first each
round: on a machine whose load drifts, interleaving is what makes the two comparable. It prints,
per figure, the median and the best over the rounds of each side and the change in percent.

- lint: ``bench/lint.py N`` (cold, ``--no-cache``, one process, warm, and PyYAML's parse alone,
  which neither side owns: its change is the noise floor of the run);
- sync: ``bench/sync.py N`` (cold and warm diff, ``push --prune``, on both backends);
- engine: ``bench/engine.py --sizes 100,N`` (wall seconds per shape and size).

``--benches lint,sync`` picks some; ``--rounds 5`` gives steadier medians. The worktree is removed
at the end. The corpus is this tree's (``WFSYNC_CORPUS`` or ``../shared/corpus``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHES = ("lint", "sync", "engine")

_LINT = {
    "parse (PyYAML only)": r"parse \(PyYAML[^:]*:\s+([\d.]+) s",
    "lint cold": r"lint cold[^:]*:\s+([\d.]+) s",
    "lint --no-cache": r"lint --no-cache:\s+([\d.]+) s",
    "lint --no-cache, one process": r"one process:\s+([\d.]+) s",
    "lint warm": r"lint warm[^:]*:\s+([\d.]+) s",
}
_SYNC = {
    "cold diff": r"cold: lint [\d.]+ s  diff ([\d.]+) s",
    "warm diff": r"warm: lint [\d.]+ s  diff ([\d.]+) s",
    "push --prune": r"push --prune: ([\d.]+) s",
}
_ENGINE_ROW = re.compile(r"^(\S+)\s+(\d+)\s+\d+\s+([\d.]+)\s", re.MULTILINE)

Figures = dict[str, float]


def command(bench: str, size: int) -> list[str]:
    """The benchmark's command line (run in the checkout it measures)."""
    script = f"bench/{bench}.py"
    if bench == "lint":
        return [sys.executable, script, str(size), "--repeat", "3"]
    if bench == "sync":
        return [sys.executable, script, str(size), "--runs", "3"]
    return [sys.executable, script, "--sizes", f"100,{size}", "--no-lint"]


def figures(bench: str, output: str) -> Figures:
    """The seconds a benchmark printed, by figure name (a figure it did not print is left out)."""
    found: Figures = {}
    if bench == "lint":
        for name, pattern in _LINT.items():
            if match := re.search(pattern, output):
                found[name] = float(match.group(1))
    elif bench == "sync":
        for backend, section in re.findall(r"^\[(\w+)[^\]]*\]\n(.*?)(?=^\[|\Z)", output, re.M | re.S):
            for name, pattern in _SYNC.items():
                if match := re.search(pattern, section):
                    found[f"{backend} {name}"] = float(match.group(1))
    else:
        for shape, size, seconds in _ENGINE_ROW.findall(output):
            found[f"{shape} {size}"] = float(seconds)
    return found


def table(runs: dict[tuple[str, str], dict[str, list[float]]], base: str) -> list[str]:
    """Rows: figure, median and best of each side, and the change of each in percent."""
    lines = [f"{'figure':<38} {base[:10]:>9} {'now':>9} {'median':>7} {'best':>7}   (median seconds)"]
    for (bench, name), sides in sorted(runs.items()):
        before, after = sides.get("base", []), sides.get("now", [])
        if not before or not after:
            lines.append(
                f"{bench + ' ' + name:<38} failed or missing: {len(before)} runs before, {len(after)} now"
            )
            continue
        was, now = statistics.median(before), statistics.median(after)
        lines.append(
            f"{bench + ' ' + name:<38} {was:>9.3f} {now:>9.3f} {_change(was, now):>7} "
            f"{_change(min(before), min(after)):>7}"
        )
    return lines


def _change(before: float, after: float) -> str:
    return f"{100 * (after / before - 1):+.0f}%" if before > 0 else "n/a"


def _worktree(rev: str, into: Path) -> Path:
    """REV checked out below ``into`` with this tree's bench scripts in it."""
    tree = into / "base"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), rev],
        check=True,
    )
    for script in (ROOT / "bench").glob("*.py"):
        shutil.copy2(script, tree / "bench" / script.name)
    return tree


def _run(checkout: Path, bench: str, size: int, env: dict[str, str]) -> tuple[Figures, str]:
    done = subprocess.run(
        command(bench, size), cwd=checkout, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {}, f"exit {done.returncode}: {tail}"
    return figures(bench, done.stdout), ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the commit to compare against (any git revision)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each benchmark per side (default 3)")
    parser.add_argument("--size", type=int, default=1000, help="templates / nodes (default 1000)")
    parser.add_argument(
        "--benches", default=",".join(BENCHES), help="comma-separated subset of lint,sync,engine"
    )
    args = parser.parse_args()
    benches = [b for b in args.benches.split(",") if b]
    if unknown := sorted(set(benches) - set(BENCHES)):
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    env = dict(os.environ)
    env.setdefault("WFSYNC_CORPUS", str(ROOT.parent / "shared" / "corpus"))
    runs: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with tempfile.TemporaryDirectory(prefix="wfsync-compare-") as tmp:
        base = _worktree(args.rev, Path(tmp))
        try:
            for round_ in range(args.rounds):
                sides = [("base", base), ("now", ROOT)]
                for side, checkout in sides if round_ % 2 == 0 else sides[::-1]:
                    for bench in benches:
                        found, problem = _run(checkout, bench, args.size, env)
                        print(
                            f"round {round_ + 1} {side} {bench}: {problem or f'{len(found)} figures'}",
                            flush=True,
                        )
                        for name, seconds in found.items():
                            runs[(bench, name)][side].append(seconds)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n{args.rev} against this tree, {args.rounds} rounds, size {args.size}; load now {load}")
    print("\n".join(table(runs, args.rev)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
