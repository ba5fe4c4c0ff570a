"""Time ``wfsync convert github-actions`` over GitHub's 175 starter workflows (target: under 5 s).

Usage: python bench/convert.py [CORPUS_DIR]   (default ../shared/corpus/gha/starter-workflows)
Converts, formats and writes every workflow into a temporary folder, three times, and prints the
best time and the verdict totals.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from wfsync.commands.convert import run_convert_github_actions

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    source = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else ROOT.parent / "shared" / "corpus" / "gha" / "starter-workflows"
    )
    if not source.is_dir():
        print(f"no corpus at {source}", file=sys.stderr)
        return 2
    best = float("inf")
    result = None
    for _ in range(3):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            result = run_convert_github_actions([source], out_dir=Path(out), starter=True)
            best = min(best, time.perf_counter() - started)
    assert result is not None
    verdicts = dict(result.audit.verdicts())
    print(f"{len(result.files)} workflows converted in {best:.2f} s (best of 3): {verdicts}")
    return 0 if best < 5.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
