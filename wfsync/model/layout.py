"""Layered layout of a directed graph: each node's row is its longest path from a root.

Steps groups and DAG depths then read top to bottom, as Argo's UI draws a run; the review's
pictures and the run report both lay out with it.
"""

from __future__ import annotations

from collections.abc import Sequence


def layers(names: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Each node's layer: the longest path to it from a node nothing points to (cycles cut)."""
    parents: dict[str, list[str]] = {n: [] for n in names}
    for a, b in edges:
        if a in parents and b in parents:
            parents[b].append(a)
    depth: dict[str, int] = {}
    for name in names:
        stack, visiting = [(name, False)], set()
        while stack:
            node, done = stack.pop()
            if node in depth:
                continue
            if done:
                depth[node] = 1 + max((depth.get(p, 0) for p in parents[node] if p in depth), default=-1)
                visiting.discard(node)
                continue
            visiting.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in parents[node] if p not in depth and p not in visiting)
    return depth
