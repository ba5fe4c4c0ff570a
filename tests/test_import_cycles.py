"""No import cycles between wfsync's modules (issue 13's target), imports inside functions included.

A cycle makes import order matter and usually means two modules share a concept that belongs in
a third; layer contracts (tests/test_architecture.py) do not see cycles inside one layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (pip install -e '.[dev]')")


def cycles(nodes: Iterable[str], edges: Callable[[str], Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycles_finds_a_loop_and_ignores_a_chain() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"], "e": []}
    assert cycles(graph, lambda m: graph[m]) == [["a", "b", "c"]]
    chain = {"a": ["b"], "b": ["c"], "c": []}
    assert cycles(chain, lambda m: chain[m]) == []


def test_wfsync_has_no_import_cycles() -> None:
    graph = grimp.build_graph("wfsync")
    found = cycles(sorted(graph.modules), graph.find_modules_directly_imported_by)
    assert found == [], f"import cycles: {found}"
