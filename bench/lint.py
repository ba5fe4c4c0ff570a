"""Lint throughput: a library of N WorkflowTemplates built from Argo's examples.

Prints the time PyYAML's C loader alone needs to parse the files (the yardstick), cold lint
(no cache), warm lint (cache of unchanged files) and templates per second, in-process and
through the CLI. Usage: ``python bench/lint.py [N] [--corpus DIR]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wfsync.lint.linter import LintOptions, lint_paths  # noqa: E402


def build_library(examples: Path, count: int, out: Path) -> int:
    """Write ``count`` template documents (one file each) derived from the examples."""
    workflows, definitions = [], []
    for path in sorted(examples.rglob("*.yaml")):
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
        except yaml.YAMLError:
            continue
        for doc in docs:
            if doc.get("kind") == "Workflow" and "workflowTemplateRef" not in doc.get("spec", {}):
                workflows.append(doc)
            elif doc.get("kind") in ("WorkflowTemplate", "ClusterWorkflowTemplate"):
                definitions.append(doc)
    written = 0
    for doc in definitions:
        (out / f"def-{written:05d}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        written += 1
    index = 0
    while written < count:
        doc = dict(workflows[index % len(workflows)])
        meta = dict(doc.get("metadata") or {})
        base = (meta.pop("generateName", None) or meta.get("name") or "wf").rstrip("-")
        meta["name"] = f"{base}-{index}"[:200]
        doc = {**doc, "kind": "WorkflowTemplate", "metadata": meta}
        (out / f"tmpl-{written:05d}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        written += 1
        index += 1
    return written


def parse_only(files: list[Path]) -> None:
    for path in files:
        list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", nargs="?", type=int, default=1000)
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("WFSYNC_CORPUS", ROOT.parent / "shared" / "corpus")),
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wfsync-bench-"))
    try:
        lib = work / "library"
        lib.mkdir()
        n = build_library(args.corpus / "argo" / "examples", args.count, lib)
        files = sorted(lib.glob("*.yaml"))
        size = sum(f.stat().st_size for f in files)
        parse = best(lambda: parse_only(files), args.repeat)

        cache = work / "cache"

        def cold() -> None:
            shutil.rmtree(cache, ignore_errors=True)
            lint_paths([lib], LintOptions(cache_dir=cache))

        cold_s = best(cold, args.repeat)
        no_cache_s = best(lambda: lint_paths([lib], LintOptions()), args.repeat)
        one_job_s = best(lambda: lint_paths([lib], LintOptions(jobs=1)), args.repeat)
        lint_paths([lib], LintOptions(cache_dir=cache))
        warm_s = best(lambda: lint_paths([lib], LintOptions(cache_dir=cache)), args.repeat)
        report = lint_paths([lib], LintOptions(cache_dir=cache))

        def cli(*extra: str) -> float:
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "wfsync", "-q", "lint", *extra, str(lib)],
                cwd=work,
                capture_output=True,
            )
            return time.perf_counter() - start

        shutil.rmtree(work / ".wfsync", ignore_errors=True)
        cli_cold = cli()
        cli_warm = statistics.median(cli() for _ in range(3))
        version = statistics.median(
            best(
                lambda: subprocess.run([sys.executable, "-m", "wfsync", "--version"], capture_output=True), 1
            )
            for _ in range(5)
        )
        print(
            f"library: {n} templates in {len(files)} files, {size / 1e6:.1f} MB ({report.documents} documents, {len(report.findings)} findings)"
        )
        print(f"parse (PyYAML CSafeLoader only): {parse:.3f} s")
        print(
            f"lint cold (writes cache):        {cold_s:.3f} s  = {cold_s / parse:.2f}x parse  ({n / cold_s:,.0f} templates/s)  target <= 2x"
        )
        print(f"lint --no-cache:                 {no_cache_s:.3f} s  = {no_cache_s / parse:.2f}x parse")
        print(f"lint --no-cache, one process:    {one_job_s:.3f} s  = {one_job_s / parse:.2f}x parse")
        print(
            f"lint warm (unchanged files):     {warm_s:.3f} s  = {warm_s / parse:.2f}x parse  ({n / warm_s:,.0f} templates/s)  target <= 0.3x"
        )
        print(
            f"CLI end-to-end cold / warm:      {cli_cold:.3f} s / {cli_warm:.3f} s (includes interpreter start-up)"
        )
        print(f"wfsync --version:                {version:.3f} s  target < 0.5 s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
