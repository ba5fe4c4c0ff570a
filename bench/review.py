"""Review cost: ``wfsync review`` of N changed templates against ``wfsync lint --no-cache`` of the same library.

A git repository in a temporary folder gets N ClusterWorkflowTemplates (a DAG over two members
and a reference to the next template) committed as the base; then every template changes in
the working tree (a fifth each: enum narrowed, input added with a default, image tag, script
line, description). Both commands run as real processes, in turn, ``--runs`` times; medians are
shown with their ratio (the target: review within 3x lint). Then the Markdown comment's size
for the same change (the limit: 65,536 characters, summary first).

Usage: ``python bench/review.py [N] [--runs R]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.review.helpers import change_all, git, make_repo, many_templates  # noqa: E402
from wfsync.review.markdown import LIMIT, MARKER  # noqa: E402


def timed(args: list[str], cwd: Path, expect: tuple[int, ...]) -> tuple[float, str]:
    """Seconds and stdout of one ``wfsync`` process."""
    started = time.perf_counter()
    done = subprocess.run(["wfsync", *args], cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in expect:
        raise SystemExit(f"wfsync {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
    return seconds, done.stdout


def main() -> None:
    """Build the repository, time both commands, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wfsync-bench-review-") as scratch:
        root = make_repo(Path(scratch) / "repo", files={"README.md": "bench\n"})
        many_templates(root / "library", args.n)
        git(root, "add", "-A")
        git(root, "commit", "-qm", f"{args.n} templates")
        git(root, "tag", "-f", "base")
        change_all(root / "library", args.n)
        lint_s: list[float] = []
        review_s: list[float] = []
        for _ in range(args.runs):
            lint_s.append(timed(["lint", "--no-cache"], root, (0, 1))[0])
            review_s.append(timed(["review", "--no-cache", "-o", "json"], root, (0, 1))[0])
        lint_m, review_m = statistics.median(lint_s), statistics.median(review_s)
        _, markdown = timed(["review", "--no-cache", "-o", "markdown"], root, (0, 1))
        print(f"templates changed:         {args.n}")
        print(f"lint --no-cache (median):  {lint_m:.2f} s  runs {', '.join(f'{s:.2f}' for s in lint_s)}")
        print(f"review (median):           {review_m:.2f} s  runs {', '.join(f'{s:.2f}' for s in review_s)}")
        print(f"review / lint:             {review_m / lint_m:.2f}x (target <= 3x)")
        summary_ok = markdown.startswith(MARKER) and "## wfsync review:" in markdown.split("\n", 2)[1]
        print(
            f"markdown:                  {len(markdown)} characters (limit {LIMIT}), summary intact: {summary_ok}"
        )


if __name__ == "__main__":
    main()
