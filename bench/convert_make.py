"""``wfsync convert make`` on a generated 2,000-target Makefile against ``make -p -n`` on it.

Usage: python bench/convert_make.py [TARGETS]   (default 2000)
Writes a Makefile whose targets form chains and fan-ins (one ``touch`` each), then prints the
best of three times of ``make -p -n``, of a plain ``make`` build, of the whole conversion with
``--dry-run-recipes`` (one ``make -p -n`` run, the graph and the YAML in ``wfsync fmt`` form;
target: at most 3x ``make -p -n``), of the same command as a process (Python's start-up and
imports included), of the YAML written by ruamel instead (the reference form, for comparison) and
of the default conversion (a recorded real build, which is bounded by the build itself).
Exit 0 when the target holds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from wfsync.commands.convert_make import render, render_ruamel
from wfsync.convert.make import MakeRequest, convert_makefile


def generate(folder: Path, count: int) -> None:
    """``all`` over ``count`` file targets, each depending on up to two earlier ones."""
    lines = [".PHONY: all", "all: " + " ".join(f"t{i}.out" for i in range(count)), ""]
    for i in range(count):
        deps = " ".join(f"t{j}.out" for j in (i - 1, i // 2) if 0 <= j < i)
        lines += [f"t{i}.out: {deps}".rstrip(), "\ttouch $@", ""]
    (folder / "Makefile").write_text("\n".join(lines), encoding="utf-8")


def best(action: Callable[[], object], runs: int = 3) -> float:
    """The fastest of ``runs`` runs, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    """Print the times and whether the target holds."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory(prefix="wfsync-bench-make-") as tmp:
        folder = Path(tmp) / "project"
        folder.mkdir()
        generate(folder, count)
        make = shutil.which("make") or "make"
        wfsync = shutil.which("wfsync") or "wfsync"

        def database() -> None:
            subprocess.run([make, "-p", "-n"], cwd=folder, capture_output=True, check=True)  # noqa: S603

        def build() -> None:
            work = Path(tmp) / "build"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(folder, work)
            subprocess.run([make], cwd=work, capture_output=True, check=True)  # noqa: S603

        def full() -> None:
            render(convert_makefile(MakeRequest(folder, dry_run_recipes=True)))

        def process() -> None:
            subprocess.run(  # noqa: S603
                [wfsync, "convert", "make", "-C", str(folder), "--dry-run-recipes", "--out-dir", tmp],
                capture_output=True,
                check=False,
            )

        conversion = convert_makefile(MakeRequest(folder, dry_run_recipes=True))
        same = render(conversion) == render_ruamel(conversion)

        def recorded() -> None:
            render(convert_makefile(MakeRequest(folder)))

        base, real = best(database), best(build)
        fast, command = best(full), best(process)
        reference, slow = best(lambda: render_ruamel(conversion), runs=1), best(recorded, runs=1)
    print(f"{count} targets")
    print(f"make -p -n:                             {base:.2f} s")
    print(f"make (real build):                      {real:.2f} s")
    print(
        f"convert make --dry-run-recipes, YAML:   {fast:.2f} s ({fast / base:.1f}x make -p -n; target <= 3x)"
    )
    print(
        f"  the same as a process (wfsync ...):   {command:.2f} s ({command / base:.1f}x, start-up included)"
    )
    print(f"  YAML through ruamel instead:          {reference:.2f} s (same text: {same})")
    print(f"convert make (recorded real run):       {slow:.2f} s ({slow / real:.1f}x the real build)")
    return 0 if fast <= 3 * base and same else 1


if __name__ == "__main__":
    sys.exit(main())
