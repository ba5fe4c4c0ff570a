"""How long the ``argo get``-like node table takes to render (``wfsync run`` / ``submit`` final output).

Usage: python bench/nodetree.py [NODES...]   (default 500 5000 20000)
Prints the median of five renders of a synthetic tree (half step pods in groups of 50, half DAG
tasks) per size, and the per-node cost: it should stay flat as the tree grows (linear rendering).
"""

from __future__ import annotations

import statistics
import sys
import time

from tests.cli.test_nodetree import NOW, UTC, big_tree, capture
from wfsync.cli import nodetree


def main() -> int:
    """Print one line per size."""
    sizes = [int(a) for a in sys.argv[1:]] or [500, 5000, 20000]
    print(f"{'nodes':>7} {'median s':>9} {'us/node':>8}")
    for size in sizes:
        status = big_tree(size).status
        times = []
        for _ in range(5):
            term, _, _ = capture()
            start = time.perf_counter()
            nodetree.text(term, status, now=NOW, tz=UTC)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"{size:>7} {median:>9.3f} {median / size * 1e6:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
